"""``emit(report, view)``: the one output dispatch, from a command's report to stdout and stderr text.

Each report type has one view function; the formats (-o), headers and colour are read here
and nowhere in the click layer. Warnings (what could not be read) and kubectl's "No resources
found" go to stderr so that stdout stays parseable.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Type

from ..core.reports import CleanReport, EvictedReport, SecretsReport, WhyReport
from . import evicted, secrets, why
from .safe import safe_report
from .view import Rendered, View

VIEWS: Dict[Type[Any], Callable[[Any, View], Rendered]] = {
    WhyReport: why.render_report,
    EvictedReport: evicted.render_evicted,
    CleanReport: evicted.render_clean,
    SecretsReport: secrets.render_report,
}


def emit(report: Any, view: View) -> Rendered:
    """The text for ``report`` in ``view``'s format; text formats see the report neutralised
    (``safe``), documents the exact text (their encoders escape it)."""
    shown = report if view.output in ("json", "yaml") else safe_report(report)
    return VIEWS[type(report)](shown, view)

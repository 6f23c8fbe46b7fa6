"""``emit(report, view)``: the one output dispatch, from a command's report to stdout and stderr text.

Each report type has one view function; the formats (-o), headers and colour are read here
and nowhere in the click layer. Warnings (what could not be read) and kubectl's "No resources
found" go to stderr so that stdout stays parseable.

kubectl's other printers are the same for every command that lists: ``-o name`` from the report
(``render.names``), and ``-o jsonpath=`` / ``jsonpath-as-json=`` / ``custom-columns=`` over the very
document ``-o json`` prints (``render.templates``). Like kubectl's, they print no "No ... found".
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Callable, Dict, Type

from ..core.reports import CleanReport, EvictedReport, SecretsReport, WhyReport
from ..core.retrying import RetryReport
from . import evicted, names, retry, secrets, templates, why
from .safe import neutralise, safe_report
from .view import Rendered, View, warnings_text

VIEWS: Dict[Type[Any], Callable[[Any, View], Rendered]] = {
    WhyReport: why.render_report,
    EvictedReport: evicted.render_evicted,
    CleanReport: evicted.render_clean,
    SecretsReport: secrets.render_report,
    RetryReport: retry.render_retry,
}

NAMES: Dict[Type[Any], Callable[[Any], str]] = {
    WhyReport: names.why_names,
    EvictedReport: names.evicted_names,
    SecretsReport: names.secrets_names,
}


def emit(report: Any, view: View) -> Rendered:
    """The text for ``report`` in ``view``'s format. What reaches a terminal is neutralised
    (``safe``): tables and names see a neutralised copy of the report, template output is
    neutralised once made; documents keep the exact text (their encoders escape it)."""
    render = VIEWS[type(report)]
    if view.output == "name" and type(report) in NAMES:
        shown = safe_report(report)
        return Rendered(stdout=NAMES[type(report)](shown), stderr=warnings_text(shown.warnings))
    if view.output in templates.TEMPLATE_FORMATS:
        as_json = render(report, replace(view, output="json"))
        try:
            text = templates.render(json.loads(as_json.stdout), view.output, view.template, no_headers=view.no_headers)
        except templates.OutputError as error:
            return Rendered(stderr=neutralise(as_json.stderr, keep_layout=True), error=neutralise(str(error)))
        return Rendered(stdout=neutralise(text, keep_layout=True), stderr=neutralise(as_json.stderr, keep_layout=True))
    if view.output in ("json", "yaml"):
        return render(report, view)
    return render(safe_report(report), view)

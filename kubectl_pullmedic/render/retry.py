"""How ``retry`` shows its plan and deletes (the follow-up lines are ``render.watch``'s).

The delete lines are ``clean``'s (kubectl delete's words); a bare pod gets the command that
recreates it; with ``--probe`` each failing image says whether its cause is gone.
"""

from __future__ import annotations

from typing import List

from . import documents
from .evicted import outcome_lines, pod_line
from ..core.evictions.cleanup import DELETED
from ..core.retrying import RetryReport
from .view import Rendered, View, nothing_found, warnings_text

__all__ = ["render_retry"]


def render_retry(report: RetryReport, view: View) -> Rendered:
    out = Rendered(stderr=warnings_text(report.warnings))
    if view.output == "json":
        document = documents.list_document("RetryResult", report.outcomes or [], report.warnings,
                                           dryRun=report.dry_run, refused=report.refused, checks=report.checks,
                                           toDelete=report.plan.to_delete, kept=report.plan.kept)
        out.stdout = documents.document(document, "json")
        return out
    if view.output == "name":
        deleted = [o.item for o in report.outcomes if o.result == DELETED] if report.outcomes is not None \
            else ([] if report.refused else report.plan.to_delete)
        out.stdout = "".join(f"pod/{item.name}\n" for item in deleted)
        return out
    lines: List[str] = []
    for check in report.checks:
        mark = {True: "gone", False: "NOT gone", None: "unknown"}[check.gone]
        pods = ", ".join(check.pods[:3]) + (f" and {len(check.pods) - 3} more" if len(check.pods) > 3 else "")
        lines.append(f"Cause {mark}: {check.image + ': ' if check.image else ''}{check.text} ({pods})\n")
    if report.refused:
        lines.append(f"Not deleting {_pods(len(report.plan.to_delete))}: the probe does not show the cause gone; "
                     "fix it first (kubectl pullmedic why), or use --force to delete them anyway.\n")
    elif report.outcomes is not None:
        lines.append(outcome_lines(report.outcomes, dry_run=report.dry_run == "server"))
    else:
        lines += [pod_line(item.namespace, item.name, "deleted", "(dry run)") for item in report.plan.to_delete]
    for kept in report.plan.bare:
        lines.append(pod_line(kept.namespace, kept.name, "kept").rstrip("\n") + f": {kept.detail}:\n  {kept.command}\n")
    out.stdout = "".join(lines)
    if not report.plan.to_delete and not report.plan.bare:
        out.stderr += nothing_found(report.where, report.subject)
    return out


def _pods(count: int) -> str:
    return f"{count} pod{'s' if count != 1 else ''}"

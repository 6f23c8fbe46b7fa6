"""How each subcommand's results look: which columns, which detail blocks, which document.

Built on the primitives in ``render``; every function takes results and options and returns
text. Results reaching this module hold no credentials, so no output format can leak one.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

from . import documents, tables
from ..core.reports import SecretsReport
from .probe import probe_table
from .view import Rendered, View, nothing_found, warnings_text

SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "dim"}


def render_report(report: SecretsReport, view: View) -> Rendered:
    out = Rendered(stderr=warnings_text(report.warnings))
    if not report.findings and not report.probes and view.output in ("table", "wide"):
        out.stderr += nothing_found(report.where, "pull-secret problems")
    else:
        out.stdout = secrets_check(report.findings, report.probes, fmt=view.output,
                                   all_namespaces=report.where.all_namespaces, no_headers=view.no_headers,
                                   color=view.color, warnings=report.warnings,
                                   several_contexts=report.where.several_contexts)
    return out


def secrets_check(findings: Sequence[Any], probes: Sequence[Any], *, fmt: str, all_namespaces: bool,
                  no_headers: bool, color: bool, warnings: Sequence[str] = (), several_contexts: bool = False) -> str:
    """Findings as a table with a numbered explanation under it; probes in a second table."""
    if fmt in ("json", "yaml"):
        extra: Dict[str, Any] = {}
        if probes:
            extra["probes"] = list(probes)
        return documents.document(documents.list_document("SecretCheckList", list(findings), warnings, **extra), fmt)
    wide = fmt == "wide"
    headers = (["context"] if several_contexts else []) + (["namespace"] if all_namespaces else []) + [
        "workload", "container", "secret", "severity", "finding"]
    if wide:
        headers += ["image"]
    rows = []
    for finding in findings:
        row = tables.context_columns(several_contexts, [finding.context or ""]) + (
            [finding.namespace] if all_namespaces else []) + [
            finding.workload,
            finding.container,
            finding.secret,
            tables.style(finding.severity, SEVERITY_STYLE.get(finding.severity, ""), color),
            finding.code,
        ]
        rows.append(row + ([finding.image] if wide else []))
    text = tables.table(headers, rows, no_headers=no_headers)
    details = _finding_details(findings)
    if details and not no_headers:
        text += "\n" + details
    if probes:
        text += "\n" + probe_table(probes, no_headers=no_headers)
    return text


def _finding_details(findings: Sequence[Any]) -> str:
    lines: List[str] = []
    for number, finding in enumerate(findings, 1):
        subject = f"{finding.namespace}/{finding.workload}" + (f" ({finding.container})" if finding.container else "")
        subject += f" in context {finding.context}" if finding.context else ""
        lines.append(f"{number}. {finding.code} {subject}: {finding.message}")
        if finding.fix:
            lines.extend(f"   fix: {line}" if i == 0 else f"        {line}" for i, line in enumerate(finding.fix.splitlines()))
    return "\n".join(lines) + ("\n" if lines else "")

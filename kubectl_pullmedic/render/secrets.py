"""How each subcommand's results look: which columns, which detail blocks, which document.

Built on the primitives in ``render``; every function takes results and options and returns
text. Results reaching this module hold no credentials, so no output format can leak one.
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

from . import documents, tables
from .probe import probe_table

SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "dim"}


def secrets_check(findings: Sequence[Any], probes: Sequence[Any], *, fmt: str, all_namespaces: bool,
                  no_headers: bool, color: bool) -> str:
    """Findings as a table with a numbered explanation under it; probes in a second table."""
    if fmt in ("json", "yaml"):
        extra: Dict[str, Any] = {}
        if probes:
            extra["probes"] = [probe.to_dict() for probe in probes]
        return documents.document(documents.list_document("SecretCheckList", [f.to_dict() for f in findings], **extra), fmt)
    wide = fmt == "wide"
    headers = (["namespace"] if all_namespaces else []) + ["workload", "container", "secret", "severity", "finding"]
    if wide:
        headers += ["image"]
    rows = []
    for finding in findings:
        row = ([finding.namespace] if all_namespaces else []) + [
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
        lines.append(f"{number}. {finding.code} {subject}: {finding.message}")
        if finding.fix:
            lines.extend(f"   fix: {line}" if i == 0 else f"        {line}" for i, line in enumerate(finding.fix.splitlines()))
    return "\n".join(lines) + ("\n" if lines else "")

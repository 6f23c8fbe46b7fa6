"""What ``secrets-check`` reports: one ``Finding`` per problem, its severity, and how probes settle one."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, List, Optional, Set

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True)
class Finding:
    """One problem with the pull credentials of one workload (and container)."""

    code: str
    severity: str  # error | warning | info
    namespace: str
    workload: str  # e.g. deployment/api or pod/api-7d4b9c-x2x
    container: str = ""
    image: str = ""
    secret: str = ""
    message: str = ""
    fix: str = ""
    context: Optional[str] = None  # the kubeconfig context, when a command read several (core.fleet)

    DOCUMENT_IF_SET = ("context",)


def settle_with_probes(findings: Iterable[Finding], served_anonymously: Set[str]) -> List[Finding]:
    """Informational, not a warning, once the registry served an image without credentials.

    ``NoCredentialsForRegistry`` warns because a private image would fail; ``--probe`` can
    show the image is public, and then nothing is wrong.
    """
    settled = []
    for finding in findings:
        if finding.code == "NoCredentialsForRegistry" and finding.severity == WARNING \
                and finding.image in served_anonymously:
            finding = replace(finding, severity=INFO, fix="",
                              message=finding.message + "; the probe read its manifest anonymously: it is public")
        settled.append(finding)
    return settled


def has_errors(findings: Iterable[Finding]) -> bool:
    """True when any finding is an error: ``secrets-check`` then exits 1 to stop a pipeline."""
    return any(finding.severity == ERROR for finding in findings)

"""``secrets-check``: pods, workload templates, their secrets and service accounts; findings; probes."""

from __future__ import annotations

from datetime import datetime
from typing import Callable, List, Optional, Sequence

from ..cluster import gather
from ..cluster.api import Cluster
from ..cluster.gather import Scope
from ..core.credentials.findings import settle_with_probes
from ..core.credentials.secretscheck import check_pull_secrets
from ..core.probing.plan import ProbeTarget, probe_targets
from ..core.probing.results import ProbeResult
from ..core.reports import SecretsReport, Where


def secrets_check(cluster: Cluster, scope: Scope, *, now: datetime,
                  prober: Optional[Callable[[Sequence[ProbeTarget]], List[ProbeResult]]] = None) -> SecretsReport:
    """With a ``prober``, an image the registry served anonymously settles its no-credentials warning."""
    data = gather.for_secrets_check(cluster, scope)
    findings = check_pull_secrets(data.pods, data.workloads, data.secrets, data.service_accounts, now=now,
                                  unreadable=data.unreadable)
    probes: List[ProbeResult] = []
    if prober:
        targets = probe_targets(data.pods, data.workloads, data.secrets, data.service_accounts)
        probes = prober(targets)
        served = {target.image for target, answer in zip(targets, probes) if not target.secret and answer.manifest_found}
        findings = settle_with_probes(findings, served)
    return SecretsReport(Where(scope.namespace), findings, probes, list(data.warnings))

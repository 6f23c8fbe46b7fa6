"""``kubectl pullmedic secrets-check``."""

from __future__ import annotations

from typing import Optional, Tuple

import click

from ..cluster import gather
from ..render import secrets as secretsview
from ..core.probing.plan import probe_targets
from ..core.credentials.secretscheck import check_pull_secrets, has_errors, settle_with_probes
from ..errors import ExitCode
from ..settings import Settings
from . import cli
from .common import connect, emit, nothing_found, probe_registries, scope_of, warn
from .options import connection_options, listing_options, probe_options

EXAMPLES = """\
# Check the pull secrets of every pod and workload in the current namespace
kubectl pullmedic secrets-check

# Check the whole cluster and fail a CI job on any error-level finding
kubectl pullmedic secrets-check -A || exit 1

# Also ask each registry whether the credentials work and the tags exist
kubectl pullmedic secrets-check -n payments --probe --registry-ca ./corp-ca.pem
"""


@cli.command("secrets-check", examples=EXAMPLES)
@connection_options
@listing_options()
@probe_options
@click.pass_obj
def secrets_check(settings: Settings, probe: bool, insecure_registries: Tuple[str, ...], registry_ca: Optional[str]) -> int:
    """Check imagePullSecrets before they break a rollout.

    Covers running pods and the pod templates of Deployments, StatefulSets, DaemonSets, Jobs
    and CronJobs: missing, wrong-type, malformed and expired pull secrets, secrets whose
    registry entries do not cover the image under the kubelet's matching rules, and cloud
    registries used without a secret. Exits 1 when any error-level finding exists.
    Passwords, tokens and auth values are never printed.
    """
    cluster = connect(settings)
    scope = scope_of(settings, cluster)
    data = gather.for_secrets_check(cluster, scope)
    warn(settings, data.warnings)
    findings = check_pull_secrets(data.pods, data.workloads, data.secrets, data.service_accounts, now=settings.now())
    probes = []
    if probe:
        targets = probe_targets(data.pods, data.workloads, data.secrets, data.service_accounts)
        probes = probe_registries(settings, targets, insecure_registries, registry_ca)
        findings = settle_with_probes(findings, {target.image for target, answer in zip(targets, probes)
                                                 if not target.secret and answer.manifest_found})
    if not findings and not probes and settings.output in ("table", "wide"):
        nothing_found(settings, scope, "pull-secret problems")
    else:
        emit(settings, secretsview.secrets_check(findings, probes, fmt=settings.output, all_namespaces=scope.all_namespaces,
                                           no_headers=settings.no_headers, color=settings.use_color))
    return ExitCode.FINDINGS if has_errors(findings) else ExitCode.OK

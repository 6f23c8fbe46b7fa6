"""``kubectl pullmedic secrets-check``."""

from __future__ import annotations

from typing import Optional, Tuple

import click

from ..engine import secrets_check as engine
from ..settings import Settings
from .common import connect, exit_code, prober_for, scope_of, show
from .options import (LISTING_FORMATS, KubectlCommand, connection_options, filename_option, listing_options,
                      probe_options)

EXAMPLES = """\
# Check the pull secrets of every pod and workload in the current namespace
kubectl pullmedic secrets-check

# Check the whole cluster and fail a CI job on any error-level finding
kubectl pullmedic secrets-check -A || exit 1

# Also ask each registry whether the credentials work and the tags exist
kubectl pullmedic secrets-check -n payments --probe --registry-ca ./corp-ca.pem
"""


@click.command("secrets-check", cls=KubectlCommand, examples=EXAMPLES)
@connection_options
@filename_option
@listing_options(formats=LISTING_FORMATS)
@probe_options
@click.pass_obj
def secrets_check(settings: Settings, probe: bool, insecure_registries: Tuple[str, ...], registry_ca: Optional[str]) -> int:
    """Check imagePullSecrets before they break a rollout.

    Covers running pods and the pod templates of Deployments, StatefulSets, DaemonSets, Jobs
    and CronJobs: missing, wrong-type, malformed and expired pull secrets, secrets whose
    registry entries do not cover the image under the kubelet's matching rules, and cloud
    registries used without a secret. Exits 1 when any error-level finding exists; else
    4 when part of the cluster could not be read.
    Passwords, tokens and auth values are never printed.
    """
    cluster = connect(settings)
    report = engine.secrets_check(cluster, scope_of(settings, cluster), now=settings.now(),
                                  prober=prober_for(settings, probe, insecure_registries, registry_ca))
    show(settings, report)
    return exit_code(report.has_errors, report.warnings)

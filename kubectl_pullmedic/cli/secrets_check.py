"""``kubectl pullmedic secrets-check``."""

from __future__ import annotations

from typing import Optional, Tuple

import click

from ..engine import secrets_check as engine
from ..settings import Settings
from .common import exit_code, prober_for, show
from .contexts import per_context
from .options import (LISTING_FORMATS, KubectlCommand, connection_options, filename_option, fleet_options,
                      listing_options, probe_options)

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
@fleet_options
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
    prober = prober_for(settings, probe, insecure_registries, registry_ca)
    report = per_context(settings, lambda cluster, scope: engine.secrets_check(cluster, scope, now=settings.now(),
                                                                               prober=prober))
    show(settings, report)
    return exit_code(report.has_errors, report.warnings)

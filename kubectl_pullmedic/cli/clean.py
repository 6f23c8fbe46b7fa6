"""``kubectl pullmedic clean``."""

from __future__ import annotations

from datetime import timedelta
from typing import Dict, Optional

import click

from ..cluster.api import Cluster
from ..engine import clean as engine
from ..engine.fleet import apply_each
from ..errors import ExitCode, PullmedicError
from ..render.safe import safe_report
from ..render.view import warnings_text
from ..settings import Settings
from .common import exit_code, show, write
from . import deleting
from .contexts import per_context
from .options import Duration, KubectlCommand, connection_options, filename_option, fleet_options, listing_options

EXAMPLES = """\
# See what would be deleted, and what would be kept and why
kubectl pullmedic clean -A --dry-run=client

# Delete evicted pods older than a day in one namespace, without asking
kubectl pullmedic clean -n shop --older-than 24h --yes

# Also remove pods the kubelet refused at admission, and evicted Job pods
kubectl pullmedic clean -A --include-rejected --include-jobs -y

# Also remove pods stopped by a graceful node shutdown or preempted for a critical pod
kubectl pullmedic clean -A --include-shutdown --dry-run=client

# One plan and one question over two clusters; each deletes through its own context
kubectl pullmedic clean -A --context prod-eu,prod-us
"""


@click.command("clean", cls=KubectlCommand, examples=EXAMPLES)
@connection_options
@filename_option
@listing_options(formats=("name", "json"))
@click.option("--node", metavar="NODE", help="Only pods that ran on this node.")
@click.option("--older-than", type=Duration(), metavar="DURATION", help="Only pods evicted at least this long ago (e.g. 1h, 7d).")
@click.option("--include-rejected", is_flag=True, help="Also delete pods the kubelet refused at admission (OutOfcpu, NodeAffinity, node pressure, ...; they never ran).")
@click.option("--include-shutdown", is_flag=True, help="Also delete pods stopped by a graceful node shutdown or preempted by the kubelet for a critical pod.")
@click.option("--include-jobs", is_flag=True, help="Also delete evicted pods of Jobs (they count toward the Job's backoffLimit).")
@deleting.delete_options
@fleet_options
@click.pass_obj
def clean(settings: Settings, node: Optional[str], older_than: Optional[timedelta], include_rejected: bool,
          include_shutdown: bool, include_jobs: bool, dry_run: str, yes: bool, concurrency: int) -> int:
    """Delete evicted pods, and only evicted pods.

    Unlike `kubectl delete pods --field-selector status.phase=Failed`, failed Job pods,
    pods past their deadline and other failures the kubelet did not cause are never touched;
    admission refusals, node-shutdown and kubelet-preemption endings, and Job pods only when
    asked. Each delete is guarded by the pod's uid and resourceVersion, so a pod recreated
    under the same name is never deleted.
    """
    if settings.filenames:
        raise PullmedicError("clean deletes pods from a cluster: a dump read with -f has nothing to delete")
    clusters: Dict[str, Cluster] = {}
    report = per_context(settings, lambda cluster, scope: engine.plan(
        cluster, scope, node=node, now=settings.now(), include_rejected=include_rejected, include_jobs=include_jobs,
        older_than=older_than, dry_run=dry_run, include_shutdown=include_shutdown),
        max_connections=concurrency, clusters=clusters)
    unread = report.warnings  # a namespace that could not be listed: its evicted pods are unknown (exit 4)
    if dry_run == "client" or not report.plan.to_delete:
        show(settings, report)
        return exit_code(False, unread)
    write(settings.stderr, warnings_text(safe_report(unread)))
    if not deleting.go_ahead(settings, safe_report(report.plan), yes, dry_run):
        return ExitCode.OK
    total = len(report.plan.to_delete)
    progress = deleting.progress(settings, total)
    try:
        report = apply_each(clusters, report, lambda cluster, part: engine.apply(cluster, part, workers=concurrency,
                                                                                on_done=progress))
    except engine.DeletesInterrupted as stopped:
        return deleting.interrupted(settings, stopped, total)
    show(settings, report)
    return ExitCode.PARTIAL if report.partly_failed or unread else ExitCode.OK


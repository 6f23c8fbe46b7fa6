"""``kubectl pullmedic retry``."""

from __future__ import annotations

from datetime import timedelta
from typing import Optional, Tuple

import click

from ..core.evictions.cleanup import DELETED, FAILED, GONE, CleanupPlan
from ..engine import retry as engine
from ..engine.watch import Watch, WatchQuery
from ..errors import ExitCode, PullmedicError
from ..render.safe import safe_report
from ..render.view import warnings_text
from ..settings import Settings
from . import deleting
from .common import connect, exit_code, parse_target, prober_for, scope_of, show, write
from .contexts import one_context
from .options import Duration, KubectlCommand, connection_options, filename_option, listing_options, probe_options
from .watching import follow

EXAMPLES = """\
# After fixing the tag or the pull secret: recreate the pods of a Deployment that are in pull back-off
kubectl pullmedic retry deploy/web -n shop

# First make sure the registry now serves the image to the pods' credentials
kubectl pullmedic retry deploy/web -n shop --probe --yes

# See which pods would be deleted, and which are kept and why
kubectl pullmedic retry -A --dry-run=client
"""


@click.command("retry", cls=KubectlCommand, examples=EXAMPLES)
@connection_options
@filename_option
@listing_options(formats=("name", "json"))
@click.argument("retry_target", required=False, metavar="[POD | TYPE/NAME]")
@deleting.delete_options
@click.option("--timeout", type=Duration(), metavar="DURATION", default="5m", show_default=True,
              help="How long to follow the replacements; exit 1 naming what does not run by then.")
@probe_options
@click.option("--force", is_flag=True, help="With --probe: delete even when the probe does not show the cause gone.")
@click.pass_obj
def retry(settings: Settings, retry_target: Optional[str], dry_run: str, yes: bool, concurrency: int, timeout: timedelta,
          probe: bool, insecure_registries: Tuple[str, ...], registry_ca: Optional[str], force: bool) -> int:
    """Recreate pods stuck in image-pull back-off after a fix, and follow the new pods.

    After each failed pull the kubelet waits longer before the next (10 s doubling to
    5 min). Pods in ErrImagePull or ImagePullBackOff whose controller recreates them
    (ReplicaSet, StatefulSet, DaemonSet, Job) are deleted, as `clean` deletes (a prompt unless
    --yes, each delete guarded by the pod's uid and resourceVersion), and their replacements,
    which pull at once, are followed until they run (exit 0) or fail again with a cause
    (exit 1). A pod without a controller is never deleted: nothing would recreate it; the
    command that does is printed instead.

    With --probe, each failing image is first asked of its registry with the pods'
    credentials; unless the cause is shown gone (the image exists, the credentials are
    accepted), nothing is deleted (exit 1) unless --force.
    """
    if settings.filenames:
        raise PullmedicError("retry deletes pods from a cluster: a dump read with -f has nothing to delete")
    one_context(settings, "retry")
    parsed = parse_target(retry_target, settings)
    cluster = connect(settings, max_connections=max(concurrency, 10))
    scope = scope_of(settings, cluster)
    query = engine.RetryQuery(scope, parsed, retry_target or "", settings.now(), dry_run, force)
    report = engine.plan(cluster, query, prober_for(settings, probe, insecure_registries, registry_ca))
    if dry_run == "client" or report.refused or not report.plan.to_delete:
        show(settings, report)
        return ExitCode.FINDINGS if report.refused else exit_code(False, report.warnings)
    write(settings.stderr, warnings_text(safe_report(report.warnings)))
    if not deleting.go_ahead(settings, safe_report(CleanupPlan(list(report.plan.to_delete))), yes, dry_run):
        return ExitCode.OK
    deleted = frozenset(item.uid for item in report.plan.to_delete)
    following = WatchQuery(scope, parsed, timeout, deleted, pod_selector=report.pod_selector)
    watch = Watch(cluster, following, settings.now) if dry_run == "none" else None
    if watch is not None:
        watch.open()  # listed before the deletes, so the watch sees them and the new pods
    total = len(report.plan.to_delete)
    try:
        report = engine.apply(cluster, report, workers=concurrency, on_done=deleting.progress(settings, total))
    except engine.DeletesInterrupted as stopped:
        return deleting.interrupted(settings, stopped, total)
    show(settings, report)
    failed = any(o.result == FAILED for o in report.outcomes or ())
    if watch is None:
        return ExitCode.PARTIAL if failed else ExitCode.OK
    # A pod whose delete was skipped (it changed) or failed is not followed; one already gone is.
    watch.follow.forget(frozenset(o.item.uid for o in report.outcomes or () if o.result not in (DELETED, GONE)))
    code = follow(settings, watch, "and their replacements", timeout)
    return ExitCode.PARTIAL if failed and code == ExitCode.OK else code

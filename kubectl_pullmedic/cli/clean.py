"""``kubectl pullmedic clean``."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Optional

import click

from ..render import evicted as evictedview
from ..cluster import gather
from ..core.evictions.cleanup import plan_cleanup
from ..cluster.deleting import FAILED, DeleteOutcome, delete_pods
from ..errors import ExitCode, PullmedicError
from ..settings import Settings
from . import cli
from .common import connect, emit, scope_of, warn
from .options import Duration, connection_options, listing_options

EXAMPLES = """\
# See what would be deleted, and what would be kept and why
kubectl pullmedic clean -A --dry-run=client

# Delete evicted pods older than a day in one namespace, without asking
kubectl pullmedic clean -n shop --older-than 24h --yes

# Also remove pods the kubelet refused under node pressure, and evicted Job pods
kubectl pullmedic clean -A --include-rejected --include-jobs -y
"""


@cli.command("clean", examples=EXAMPLES)
@connection_options
@listing_options(formats=("name", "json"))
@click.option("--node", metavar="NODE", help="Only pods that ran on this node.")
@click.option("--older-than", type=Duration(), metavar="DURATION", help="Only pods evicted at least this long ago (e.g. 1h, 7d).")
@click.option("--include-rejected", is_flag=True, help="Also delete pods the kubelet refused under node pressure (they never ran).")
@click.option("--include-jobs", is_flag=True, help="Also delete evicted pods of Jobs (they count toward the Job's backoffLimit).")
@click.option("--dry-run", type=click.Choice(["none", "client", "server"]), default="none", is_flag=False, flag_value="client",
              show_default=True, help="client: only list; server: send the deletes with dryRun=All.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=16, show_default=True, help="Deletes in flight at once.")
@click.pass_obj
def clean(settings: Settings, node: Optional[str], older_than: Optional[timedelta], include_rejected: bool,
          include_jobs: bool, dry_run: str, yes: bool, concurrency: int) -> int:
    """Delete evicted pods, and only evicted pods.

    Unlike `kubectl delete pods --field-selector status.phase=Failed`, failed Job pods,
    pods past their deadline and other non-evicted failures are never touched; admission
    rejections and evicted Job pods only when asked. Each delete is guarded by the pod's uid
    and resourceVersion, so a pod recreated under the same name is never deleted.
    """
    cluster = connect(settings, max_connections=concurrency)
    scope = scope_of(settings, cluster)
    listing = gather.failed_pods(cluster, scope, node)
    index, hidden = gather.owner_index_for(cluster, listing.items)
    warn(settings, listing.warnings + hidden)
    plan = plan_cleanup(listing.items, now=settings.now(), index=index, include_rejected=include_rejected,
                        include_jobs=include_jobs, older_than=older_than)
    if dry_run == "client" or not plan.to_delete:
        return _report_plan(settings, plan, dry_run)
    if not yes and dry_run == "none":
        settings.stderr.write(evictedview.plan_summary(plan, verb="Will delete"))
        if not settings.interactive:
            raise PullmedicError(
                f"refusing to delete {len(plan.to_delete)} pods without confirmation: there is no terminal to ask on",
                hint="re-run with --yes to delete them, or with --dry-run=client to list them",
            )
        settings.stderr.write(f"Delete {len(plan.to_delete)} pods? [y/N]: ")
        settings.stderr.flush()
        if settings.stdin.readline().strip().lower() not in ("y", "yes"):
            settings.stderr.write("Nothing deleted.\n")
            return ExitCode.OK
    outcomes = delete_pods(cluster, plan.to_delete, dry_run=dry_run == "server", workers=concurrency,
                           on_done=_progress(settings, len(plan.to_delete)))
    if settings.output == "json":
        emit(settings, evictedview.clean_document(plan, outcomes, dry_run))
    elif settings.output == "name":
        emit(settings, "".join(f"pod/{o.item.name}\n" for o in outcomes if o.result == "deleted"))
    else:
        emit(settings, evictedview.outcome_summary(outcomes, dry_run=dry_run == "server"))
    return ExitCode.PARTIAL if any(o.result == FAILED for o in outcomes) else ExitCode.OK


def _report_plan(settings: Settings, plan, dry_run: str) -> int:
    if settings.output == "json":
        emit(settings, evictedview.clean_document(plan, [], dry_run))
    elif settings.output == "name":
        emit(settings, evictedview.planned_names(plan))
    else:
        verb = "Would delete" if plan.to_delete else "Nothing to delete: found"
        emit(settings, evictedview.plan_summary(plan, verb=verb))
        emit(settings, "".join(f"  {item.namespace}/{item.name}\n" for item in plan.to_delete))
    return ExitCode.OK


def _progress(settings: Settings, total: int):
    """A one-line progress counter on stderr, only when stderr is a terminal."""
    if not settings.stderr_is_terminal:
        return None
    lock, done = threading.Lock(), [0]

    def update(_: DeleteOutcome) -> None:
        with lock:
            done[0] += 1
            settings.stderr.write(f"\rdeleting {done[0]}/{total}" + ("\n" if done[0] == total else ""))
            settings.stderr.flush()

    return update

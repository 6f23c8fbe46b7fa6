"""``clean``: plan from the failed pods (evicted only, unless asked for refusals or shutdown endings), then apply."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable, Optional

from ..cluster import gather
from ..cluster.api import Cluster
from ..cluster.deleting import DeletesInterrupted, delete_pods
from ..cluster.gather import Scope
from ..core.evictions.cleanup import DeleteOutcome, plan_cleanup
from ..core.reports import CleanReport


def plan(cluster: Cluster, scope: Scope, *, node: Optional[str], now: datetime, include_rejected: bool,
         include_jobs: bool, older_than: Optional[timedelta], dry_run: str,
         include_shutdown: bool = False) -> CleanReport:
    """What would be deleted and what is kept, and why; nothing is sent."""
    listing = gather.failed_pods(cluster, scope, node)
    index, hidden = gather.owner_index_for(cluster, listing.items)
    cleanup = plan_cleanup(listing.items, now=now, index=index, include_rejected=include_rejected,
                           include_shutdown=include_shutdown, include_jobs=include_jobs, older_than=older_than)
    return CleanReport(cleanup, dry_run, None, listing.warnings + hidden)


def apply(cluster: Cluster, report: CleanReport, *, workers: int,
          on_done: Optional[Callable[[DeleteOutcome], None]] = None) -> CleanReport:
    """Send the planned deletes (with ``dryRun=All`` for a server dry run), each guarded by uid and resourceVersion.

    Interrupted (Ctrl-C), ``DeletesInterrupted`` is raised with ``report``: what was done so far.
    """
    try:
        outcomes = delete_pods(cluster, report.plan.to_delete, dry_run=report.dry_run == "server", workers=workers,
                               on_done=on_done)
    except DeletesInterrupted as stopped:
        stopped.report = CleanReport(report.plan, report.dry_run, stopped.outcomes, [])
        raise
    return CleanReport(report.plan, report.dry_run, outcomes, [])

"""``retry``: plan (the pods in pull back-off, and with a prober whether their cause is gone), then
apply the deletes through ``clean``'s guarded deleter; the CLI follows the replacements with
``engine.watch``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable, List, Optional, Tuple

from ..cluster import gather
from ..cluster.api import Cluster, Obj
from ..cluster.gather import Scope
from ..core.evictions.cleanup import CleanupPlan, DeleteOutcome
from ..core.reports import CleanReport, Where
from ..core.retrying import CauseCheck, RetryReport, backoff_reason, cause_checks, plan_retry
from . import clean
from .clean import DeletesInterrupted
from .why import Prober, WhyQuery, why

__all__ = ["DeletesInterrupted", "RetryQuery", "apply", "plan"]


@dataclass(frozen=True)
class RetryQuery:
    scope: Scope
    target: Optional[Tuple[str, str]]  # (kind, name) from POD or TYPE/NAME; None: every pod in back-off in scope
    target_text: str
    now: datetime
    dry_run: str = "none"  # none | client | server
    force: bool = False  # delete even when the probe does not show the cause gone


def plan(cluster: Cluster, query: RetryQuery, prober: Optional[Prober] = None) -> RetryReport:
    """What would be deleted, what is kept and why; with a prober, whether each failing image now pulls."""
    scope = query.scope
    warnings: List[str] = []
    pods: List[Obj]
    selector: Optional[str] = None
    if query.target:
        reads = gather.target_reads(cluster, scope, *query.target)
        pods, selector = reads.pods, reads.selector
        scope = Scope(scope.namespace or cluster.namespace, scope.label_selector)
    else:
        listing = gather.pods_matching(cluster, scope, keep=lambda pod: backoff_reason(pod) is not None)
        pods, warnings = listing.items, list(listing.warnings)
    index, hidden = gather.owner_index_for(cluster, pods)
    retry_plan = plan_retry(pods, index)
    checks: List[CauseCheck] = []
    if prober is not None and retry_plan.to_delete:
        diagnosed = why(cluster, WhyQuery(scope, query.target, query.target_text, query.now), prober)
        checks = cause_checks(diagnosed.probes, retry_plan.to_delete)
        warnings += diagnosed.warnings
    refused = not query.force and any(check.gone is not True for check in checks)
    subject = f"pods in pull back-off of {query.target_text}" if query.target else "pods in pull back-off"
    return RetryReport(Where(scope.namespace), subject, retry_plan, query.dry_run, checks, refused, None,
                       warnings + hidden, selector)


def apply(cluster: Cluster, report: RetryReport, *, workers: int,
          on_done: Optional[Callable[[DeleteOutcome], None]] = None) -> RetryReport:
    """Delete the planned pods exactly as ``clean`` does (uid and resourceVersion preconditions,
    ``dryRun=All`` for a server dry run). Interrupted, ``DeletesInterrupted`` carries this report."""
    cleaning = CleanReport(CleanupPlan(to_delete=list(report.plan.to_delete)), report.dry_run)
    try:
        done = clean.apply(cluster, cleaning, workers=workers, on_done=on_done)
    except DeletesInterrupted as stopped:
        stopped.report = replace(report, outcomes=stopped.outcomes, warnings=[])
        raise
    return replace(report, outcomes=done.outcomes, warnings=[])  # the plan's warnings were shown with it

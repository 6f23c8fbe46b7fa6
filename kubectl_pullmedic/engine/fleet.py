"""Several contexts at once: the command's engine run per context, concurrently and bounded, then merged.

Each context has its own connection (credentials, time-out) and its own errors: a context that
cannot be read (unreachable, unauthorized, forbidden, a broken kubeconfig entry) becomes one
warning naming it and the others go on (``core.fleet``). Only when no context at all could be
read is it an error.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, List, Mapping, Sequence, TypeVar

from ..cluster.api import Cluster
from ..cluster.deleting import DeletesInterrupted
from ..core.fleet import ContextResult, context_warning, merge, split_plan, with_outcomes
from ..core.reports import CleanReport
from ..errors import PullmedicError

R = TypeVar("R")


def read_contexts(names: Sequence[str], read: Callable[[str], R], parallel: int) -> List[ContextResult[R]]:
    """``read(name)`` for every context, at most ``parallel`` at once; results in the order of ``names``.

    A ``PullmedicError`` (what the one-context command would print as ``error: ...``) is that
    context's result; anything else is a bug and propagates. On Ctrl-C no other context starts.
    """

    def one(name: str) -> ContextResult[R]:
        try:
            return ContextResult(name, read(name))
        except PullmedicError as error:
            return ContextResult(name, error=error.message)

    pool = ThreadPoolExecutor(max_workers=max(1, min(parallel, len(names))), thread_name_prefix="pullmedic-context")
    try:
        futures = [pool.submit(one, name) for name in names]
        return [future.result() for future in futures]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def fleet_report(names: Sequence[str], read: Callable[[str], R], parallel: int) -> R:
    """The contexts' reports merged into one; an error only when none could be read."""
    results = read_contexts(names, read, parallel)
    if all(result.report is None for result in results):
        lines = "".join(f"\n  {context_warning(result.context, result.error)}" for result in results)
        raise PullmedicError(f"none of the {len(results)} contexts could be read:{lines}")
    return merge(results, names)


def apply_each(clusters: Mapping[str, Cluster], report: CleanReport,
               apply: Callable[[Cluster, CleanReport], CleanReport]) -> CleanReport:
    """A merged plan's deletes, each context's through its own cluster, one context after the other
    (each sends its deletes concurrently), so Ctrl-C stops as it does for one context: the deletes
    in flight finish, none other is sent, and ``DeletesInterrupted`` carries every context's so far.
    """
    outcomes: list = []
    for context, part in split_plan(report):
        try:
            done = apply(clusters[context], part)
        except DeletesInterrupted as stopped:
            stopped.outcomes = outcomes + list(stopped.outcomes)
            stopped.report = with_outcomes(report, stopped.outcomes)
            raise
        outcomes += done.outcomes or []
    return with_outcomes(report, outcomes)

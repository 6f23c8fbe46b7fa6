"""Several contexts at once: the command's engine run per context, concurrently and bounded, then merged.

Each context has its own connection (credentials, time-out) and its own errors: a context that
cannot be read (unreachable, unauthorized, forbidden, a broken kubeconfig entry) becomes one
warning naming it and the others go on (``core.fleet``). Only when no context at all could be
read is it an error.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator, List, Mapping, Sequence, TypeVar

from ..cluster.api import Cluster
from ..cluster.deleting import DeletesInterrupted
from ..core.fleet import ContextResult, context_warning, merge, split_plan, with_outcomes
from ..core.reports import CleanReport
from ..errors import PullmedicError

R = TypeVar("R")


def read_contexts(names: Sequence[str], read: Callable[[str], R], parallel: int) -> List[ContextResult[R]]:
    """``read(name)`` for every context, at most ``parallel`` at once; results in the order of ``names``.

    A ``PullmedicError`` (what the one-context command would print as ``error: ...``) is that
    context's result; anything else is a bug and is raised here. The readers are daemon threads:
    on Ctrl-C no other context starts and the command ends without waiting for the slow ones.
    """
    with _fewer_collections():
        results = _read_all(names, read, parallel)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """The cyclic garbage collector runs ~100x less often while contexts are read, then as before.

    Every page of every cluster is decoded into fresh dicts and lists, which trip a collection
    every 700 allocations, and the full ones scan the growing heap of what every context keeps:
    0.30 s of the 1.8 s CPU time of 20 contexts of 1000 pods (benchmarks/contexts_bench.py), 0.09 s
    with this. Decoded JSON holds no cycles (reference counting frees a dropped page), so
    collecting is only put off, not given up: memory stays bounded.
    """
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], 70000), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


def _read_all(names: Sequence[str], read: Callable[[str], R], parallel: int) -> List[Any]:
    """Each context's result, or the bug its reader raised."""
    results: List[Any] = [None] * len(names)
    slots = threading.BoundedSemaphore(max(1, parallel))

    def one(index: int, name: str) -> None:
        try:
            results[index] = ContextResult(name, read(name))
        except PullmedicError as error:
            results[index] = ContextResult(name, error=error.message)
        except BaseException as bug:  # noqa: B036 - handed to the main thread, which raises it
            results[index] = bug
        finally:
            slots.release()

    threads = []
    for index, name in enumerate(names):
        slots.acquire()
        thread = threading.Thread(target=one, args=(index, name), name=f"pullmedic-context-{index}", daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    return results


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

"""Several contexts at once: the command's engine run per context, concurrently and bounded, then merged.

Each context has its own connection (credentials, time-out) and its own errors: a context that
cannot be read (unreachable, unauthorized, forbidden, a broken kubeconfig entry) becomes one
warning naming it and the others go on (``core.fleet``). Only when no context at all could be
read is it an error.

Threads overlap the waiting; what each context costs the CPU (decoding its pages, filtering and
diagnosing its pods) they take in turn, one interpreter at a time. On Linux the contexts are
therefore dealt to one process per CPU (``fork``, the children read theirs in threads and send
their reports back pickled), so a fleet's CPU work overlaps too.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import threading
import traceback
from contextlib import contextmanager
from typing import Any, Callable, Iterator, List, Mapping, Sequence, Tuple, TypeVar

from ..cluster.api import Cluster
from ..cluster.deleting import DeletesInterrupted
from ..core.fleet import ContextResult, context_warning, merge, split_plan, with_outcomes
from ..core.reports import CleanReport
from ..errors import PullmedicError

R = TypeVar("R")


def read_contexts(names: Sequence[str], read: Callable[[str], R], parallel: int,
                  processes: int = 1) -> List[ContextResult[R]]:
    """``read(name)`` for every context, at most ``parallel`` at once, in up to ``processes`` processes;
    results in the order of ``names``.

    A ``PullmedicError`` (what the one-context command would print as ``error: ...``) is that
    context's result; anything else is a bug and is raised here. The readers are daemon threads:
    on Ctrl-C no other context starts and the command ends without waiting for the slow ones (and
    the forked readers are killed). With several processes, ``read`` runs in a child for most
    contexts: what it returns must pickle, and what it changes there stays there.
    """
    with _fewer_collections():
        if processes > 1 and len(names) > 1:
            results = _read_forked(names, read, parallel, min(processes, len(names)))
        else:
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


def worker_processes(contexts: int) -> int:
    """How many processes read ``contexts`` contexts: one per CPU this process may use, where a
    process can be forked and go on without exec (Linux) and nothing else runs in it yet; else one,
    reading them in threads. A thread of its own (a sandbox serving in the same process, say) may
    hold a lock at the fork that no child could ever take."""
    if contexts < 2 or not sys.platform.startswith("linux") or threading.active_count() > 1:
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), contexts))


def _read_forked(names: Sequence[str], read: Callable[[str], Any], parallel: int, processes: int) -> List[Any]:
    """The contexts dealt round-robin to ``processes`` processes: each forked child reads its share in
    threads and sends the results back pickled, while this process reads the first share.

    The children are forked before any thread of this run starts. Each ignores SIGINT (a terminal
    sends it to the whole group): the parent's Ctrl-C kills them. A child that dies or whose
    ``read`` raised a bug makes the run fail as a bug in this process would.
    """
    shares = [list(range(first, len(names), processes)) for first in range(processes)]
    per_process = max(1, -(-parallel // processes))  # --parallel bounds the whole run
    results: List[Any] = [None] * len(names)
    children: List[Tuple[int, int, List[int]]] = []  # (pid, the pipe's reading end, its share)
    try:
        for share in shares[1:]:
            incoming, outgoing = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child's coverage is not collected
                os.close(incoming)
                _child(outgoing, [names[index] for index in share], read, per_process)
            os.close(outgoing)
            children.append((pid, incoming, share))
        received: List[List[bytes]] = [[] for _ in children]
        receivers = [threading.Thread(target=_receive, args=(incoming, into), daemon=True)
                     for (_, incoming, _), into in zip(children, received)]
        for receiver in receivers:
            receiver.start()
        for index, result in zip(shares[0], _read_all([names[index] for index in shares[0]], read, per_process)):
            results[index] = result
        for receiver in receivers:
            receiver.join()
        for (pid, _, share), into in zip(children, received):
            _, status = os.waitpid(pid, 0)
            if status != 0 or not into:
                raise RuntimeError(f"the process reading contexts {', '.join(names[i] for i in share)} "
                                   f"ended with wait status {status}")
            for index, result in zip(share, pickle.loads(into[0])):
                results[index] = result
        children.clear()
    finally:
        for pid, _, _ in children:
            _kill(pid)
    return results


def _child(outgoing: int, names: List[str], read: Callable[[str], Any], parallel: int) -> None:
    """A forked reader: its results pickled to ``outgoing`` (a bug as a RuntimeError carrying its
    traceback); it never returns into the parent's code, whatever happens."""
    status = 70  # EX_SOFTWARE: the results could not be sent
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        results = [RuntimeError("".join(traceback.format_exception(type(result), result, result.__traceback__)))
                   if isinstance(result, BaseException) else result for result in _read_all(names, read, parallel)]
        with os.fdopen(outgoing, "wb") as stream:
            stream.write(pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL))
        status = 0
    finally:
        os._exit(status)


def _receive(incoming: int, into: List[bytes]) -> None:
    with os.fdopen(incoming, "rb") as stream:
        data = stream.read()
    if data:
        into.append(data)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def fleet_report(names: Sequence[str], read: Callable[[str], R], parallel: int, processes: int = 1) -> R:
    """The contexts' reports merged into one; an error only when none could be read."""
    results = read_contexts(names, read, parallel, processes)
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

"""Deleting the pods a cleanup plan chose: concurrently, race-safe, and accounted for.

Every delete carries the uid and resourceVersion the plan saw as preconditions, so a pod
recreated under the same name, or changed since it was listed, is never deleted: the API
server answers 409 and the pod is reported as skipped. A 404 means someone else already
deleted it, which is what was wanted.

At most ``workers`` deletes are in flight and the next is submitted only when one ends, so
Ctrl-C stops the submitting at once: the deletes already sent finish, no new one starts, and
``DeletesInterrupted`` carries what was done. A worker looks for the signal just before it
sends (through the signal's wakeup pipe, written by the C handler the moment SIGINT arrives,
before Python's main thread gets to raise ``KeyboardInterrupt``), so a delete handed to a
worker but not yet sent is abandoned rather than sent after the signal.
"""

from __future__ import annotations

import os
import select
import signal
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

from .api import Cluster
from ..core.evictions.cleanup import DELETED, FAILED, GONE, SKIPPED, CleanupItem, DeleteOutcome
from ..errors import ApiError, ClusterUnreachable, Conflict, NotFound


class DeletesInterrupted(KeyboardInterrupt):
    """Ctrl-C during the deletes; ``outcomes`` are those of the deletes sent before it, in plan order."""

    report: Any = None  # the engine's report of what was done, set on the way up

    def __init__(self, outcomes: List[DeleteOutcome]) -> None:
        super().__init__()
        self.outcomes = outcomes

def delete_pods(
    cluster: Cluster,
    items: Sequence[CleanupItem],
    *,
    dry_run: bool = False,
    workers: int = 16,
    on_done: Optional[Callable[[DeleteOutcome], None]] = None,
) -> List[DeleteOutcome]:
    """Delete each item once; outcomes come back in the order given."""

    def one(item: CleanupItem, stopped: Callable[[], bool]) -> Optional[DeleteOutcome]:
        if stopped():
            return None  # Ctrl-C came before this one was sent: it never will be
        if not item.uid:
            return DeleteOutcome(item, SKIPPED, "no uid to guard the delete with")
        try:
            cluster.delete("pods", item.name, item.namespace, uid=item.uid,
                           resource_version=item.resource_version or None, dry_run=dry_run)
        except NotFound:
            return DeleteOutcome(item, GONE, "already deleted")
        except Conflict as error:
            return DeleteOutcome(item, SKIPPED, f"changed since it was listed: {error.message}")
        except (ApiError, ClusterUnreachable) as error:
            return DeleteOutcome(item, FAILED, error.message)
        return DeleteOutcome(item, DELETED)

    outcomes: Dict[int, Optional[DeleteOutcome]] = {}
    waiting = iter(enumerate(items))
    running: Dict[Future, int] = {}
    interrupted = False
    with _interrupt_seen() as signalled, ThreadPoolExecutor(max_workers=max(1, min(workers, len(items) or 1))) as pool:
        stop = threading.Event()

        def stopped() -> bool:
            return stop.is_set() or signalled()

        def submit_next() -> None:
            for position, item in waiting:
                running[pool.submit(one, item, stopped)] = position
                return

        for _ in range(max(1, workers)):
            submit_next()
        while running:
            try:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    outcome = outcomes[running.pop(future)] = future.result()
                    if interrupted or outcome is None:
                        continue
                    if on_done is not None:
                        on_done(outcome)
                    submit_next()
            except KeyboardInterrupt:
                interrupted = True  # let the deletes in flight finish; start no other
                stop.set()
    ordered = [outcome for _, outcome in sorted(outcomes.items()) if outcome is not None]
    if interrupted:
        raise DeletesInterrupted(ordered)
    return ordered


@contextmanager
def _interrupt_seen() -> Iterator[Callable[[], bool]]:
    """A check, callable from any thread, of whether SIGINT has arrived since entering.

    The signal's wakeup pipe gets its byte from the C-level handler at once, where the
    ``KeyboardInterrupt`` waits for the main thread to hold the interpreter. Outside the main
    thread (no wakeup fd can be set there), the check is always false and the caller's own
    flag is what stops the workers.
    """
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    try:
        previous = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    except ValueError:  # not the main thread
        os.close(read_end), os.close(write_end)
        yield lambda: False
        return
    os.set_blocking(read_end, False)
    seen, lock = [False], threading.Lock()

    def check() -> bool:
        with lock:
            while not seen[0] and select.select([read_end], [], [], 0)[0]:
                seen[0] = signal.SIGINT in os.read(read_end, 64)  # one byte per signal: its number
        return seen[0]

    try:
        yield check
    finally:
        signal.set_wakeup_fd(previous)
        os.close(read_end), os.close(write_end)

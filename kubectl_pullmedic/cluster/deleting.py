"""Deleting the pods a cleanup plan chose: concurrently, race-safe, and accounted for.

Every delete carries the uid and resourceVersion the plan saw as preconditions, so a pod
recreated under the same name, or changed since it was listed, is never deleted: the API
server answers 409 and the pod is reported as skipped. A 404 means someone else already
deleted it, which is what was wanted.

At most ``workers`` deletes are in flight and the next is submitted only when one ends, so
Ctrl-C stops the submitting at once: the deletes already sent finish, no new one starts, and
``DeletesInterrupted`` carries what was done.
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Callable, Dict, List, Optional, Sequence

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

    def one(item: CleanupItem) -> DeleteOutcome:
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

    outcomes: Dict[int, DeleteOutcome] = {}
    waiting = iter(enumerate(items))
    running: Dict[Future, int] = {}
    interrupted = False
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items) or 1))) as pool:

        def submit_next() -> None:
            for position, item in waiting:
                running[pool.submit(one, item)] = position
                return

        for _ in range(max(1, workers)):
            submit_next()
        while running:
            try:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    outcome = outcomes[running.pop(future)] = future.result()
                    if interrupted:
                        continue
                    if on_done is not None:
                        on_done(outcome)
                    submit_next()
            except KeyboardInterrupt:
                interrupted = True  # let the deletes in flight finish; start no other
    ordered = [outcomes[position] for position in sorted(outcomes)]
    if interrupted:
        raise DeletesInterrupted(ordered)
    return ordered

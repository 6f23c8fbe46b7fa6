"""Deleting the pods a cleanup plan chose: concurrently, race-safe, and accounted for.

Every delete carries the uid and resourceVersion the plan saw as preconditions, so a pod
recreated under the same name, or changed since it was listed, is never deleted: the API
server answers 409 and the pod is reported as skipped. A 404 means someone else already
deleted it, which is what was wanted.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Callable, Dict, List, Optional, Sequence

from .api import Cluster
from ..core.evictions.cleanup import DELETED, FAILED, GONE, SKIPPED, CleanupItem, DeleteOutcome
from ..errors import ApiError, ClusterUnreachable, Conflict, NotFound

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
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(items) or 1))) as pool:
        futures = {pool.submit(one, item): position for position, item in enumerate(items)}
        for future in as_completed(futures):
            outcome = future.result()
            outcomes[futures[future]] = outcome
            if on_done is not None:
                on_done(outcome)
    return [outcomes[position] for position in range(len(items))]

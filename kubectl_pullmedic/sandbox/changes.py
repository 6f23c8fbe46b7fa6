"""The sandbox's change history: what the watch cache and etcd's revisions give kube-apiserver.

Every write to the store gets the next revision and one ``Change`` here, in revision order, so
a watch can resume after any resourceVersion the history still holds. The history is bounded
(``capacity``), as the watch cache and etcd compaction bound a real one: a watch from a version
older than what is kept is answered ``410 Gone`` (``too old resource version``). Tests can also
compact it on demand, close every open stream (``drop_streams``) and wait for writes.
"""

from __future__ import annotations

import collections
import itertools
import json
import threading
from dataclasses import dataclass
from typing import Any, Deque, Dict, List

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"
DEFAULT_CAPACITY = 5000


@dataclass(frozen=True)
class Change:
    """One write: its revision, event type, resource (plural) and the stored objects.

    ``entry`` is the object after the write (for DELETED, the last stored state); ``previous``
    is the state before a MODIFIED, so a filtered watch can tell "now matches" from "no longer".
    """

    revision: int
    type: str
    resource: str
    namespace: str
    entry: Any  # store.StoredObject
    previous: Any = None

    def object_bytes(self) -> bytes:
        """The object as the event carries it; a deleted one carries the deletion's revision."""
        if self.type != DELETED:
            return bytes(self.entry.raw)
        obj: Dict[str, Any] = self.entry.decode()
        obj.setdefault("metadata", {})["resourceVersion"] = str(self.revision)
        return json.dumps(obj, separators=(",", ":")).encode()


class TooOld(Exception):
    """A resourceVersion older than the history keeps: the watch answer is 410 Expired."""

    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")
        self.requested = requested
        self.oldest = oldest


class StreamDropped(Exception):
    """The test harness asked for every open watch stream to be cut."""


class ChangeLog:
    """A bounded, revision-ordered history of writes that watchers can wait on."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._condition = threading.Condition(threading.RLock())
        self._changes: Deque[Change] = collections.deque()
        self.capacity = capacity
        self._compacted = 0  # every revision up to this one is forgotten
        self._revision = 0
        self._drop_epoch = 0
        self._expire_next = 0
        self._closed = False

    # ----- writers (called by the store, under its lock, in revision order) ---------------

    def record(self, change: Change) -> None:
        with self._condition:
            self._changes.append(change)
            self._revision = change.revision
            while len(self._changes) > max(self.capacity, 0):
                self._compacted = self._changes.popleft().revision
            self._condition.notify_all()

    # ----- harness controls -----------------------------------------------------------------

    def compact(self, expire_next: bool = True) -> None:
        """Forget every change so far, as an etcd compaction; with ``expire_next`` the next watch
        that resumes from a resourceVersion is answered 410 even if it names the current one."""
        with self._condition:
            self._changes.clear()
            self._compacted = self._revision
            if expire_next:
                self._expire_next += 1
            self._condition.notify_all()

    def drop_streams(self) -> None:
        """Make every stream open now end abruptly (its connection is cut, no last chunk)."""
        with self._condition:
            self._drop_epoch += 1
            self._condition.notify_all()

    def close(self) -> None:
        """The server stops: every stream ends and new ones end at once."""
        with self._condition:
            self._closed = True
            self._drop_epoch += 1
            self._condition.notify_all()

    def reopen(self) -> None:
        """The server starts (again): watches stream."""
        with self._condition:
            self._closed = False

    # ----- readers ------------------------------------------------------------------------

    @property
    def revision(self) -> int:
        with self._condition:
            return self._revision

    @property
    def drop_epoch(self) -> int:
        with self._condition:
            return self._drop_epoch

    def check_resume(self, revision: int) -> None:
        """Raise TooOld when a watch cannot resume after ``revision``."""
        with self._condition:
            if self._expire_next:
                self._expire_next -= 1
                raise TooOld(revision, self._compacted)
            if revision < self._compacted:
                raise TooOld(revision, self._compacted)

    def since(self, revision: int, epoch: int, timeout: float) -> List[Change]:
        """The changes after ``revision``, waiting up to ``timeout`` seconds for one.

        Raises TooOld when some were already forgotten (the watcher fell behind the history)
        and StreamDropped when the stream was cut after it started (``epoch``).
        """
        with self._condition:
            self._condition.wait_for(
                lambda: self._revision > revision or self._drop_epoch != epoch, timeout=max(timeout, 0.0)
            )
            if self._drop_epoch != epoch or self._closed:
                raise StreamDropped()
            return self.after(revision)

    def wait_past(self, revision: int, timeout: float) -> None:
        """Block until a write after ``revision`` (or the log closes), at most ``timeout`` seconds."""
        with self._condition:
            self._condition.wait_for(lambda: self._revision > revision or self._closed, timeout=max(timeout, 0.0))

    def after(self, revision: int) -> List[Change]:
        """The changes after ``revision`` without waiting; TooOld when some are forgotten."""
        with self._condition:
            if revision < self._compacted:
                raise TooOld(revision, self._compacted)
            if not self._changes or self._revision <= revision:
                return []
            start = max(revision + 1 - self._changes[0].revision, 0)  # revisions are contiguous
            return list(itertools.islice(self._changes, start, None))

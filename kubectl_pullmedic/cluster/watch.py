"""List, then watch from the list's resourceVersion, as client-go's reflector does.

Each ``Stream`` follows one resource (pods, or pod events of one kind) in its own thread and
puts ``Update``s on a shared queue (``cluster.feed.Feed``), so the caller reads one ordered feed
and stays free to stop at a deadline or on Ctrl-C:

- the watch asks for bookmarks (``allowWatchBookmarks=true``), which only move the version on;
- ``410 Gone`` (as the HTTP status or as an ``ERROR`` event) means the version is too old:
  the resource is listed again and only what really changed since the last object seen is
  reported (an object whose resourceVersion is the same is not news), deletions included;
- a stream that drops (reset, closed, a server error) is opened again from the last version,
  after a back-off that doubles from 0.8 s to 30 s (client-go's), and a stream the server ends
  at its ``timeoutSeconds`` is opened again at once.

The request timeout (``--request-timeout``) does not bound a stream, which is meant to stay
open; ``timeoutSeconds`` and a read limit just past it keep a dead connection from hanging it,
and the caller's deadline (``--timeout``) shortens both.
"""

from __future__ import annotations

import json
import queue
import random
import threading
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from ..core.kube import dig, name_of, namespace_of, uid_of
from ..errors import ApiError, ClusterUnreachable, Gone, Unauthorized
from .api import Cluster, Obj

BACKOFF_FIRST, BACKOFF_MAX = 0.8, 30.0  # client-go's reflector back-off
STREAM_SECONDS = (300, 600)  # timeoutSeconds asked per watch request, chosen at random as client-go does
READ_SLACK = 30.0  # past timeoutSeconds with nothing read, the connection is taken to be dead


@dataclass(frozen=True)
class WatchSpec:
    """What one stream follows."""

    resource: str  # pods | events
    namespace: Optional[str]  # None: every namespace
    label_selector: Optional[str] = None
    field_selector: Optional[str] = None


@dataclass(frozen=True)
class Update:
    """One item of the feed: an object ADDED / MODIFIED / DELETED, a NOTICE (a relist, a reconnect),
    or a FAILED stream (``error`` set: the watch cannot go on, e.g. 401 or 403)."""

    resource: str
    type: str
    obj: Obj
    error: Optional[Exception] = None

def object_key(obj: Obj) -> str:
    """What identifies an object across lists and watch events: its uid, else namespace/name."""
    return uid_of(obj) or f"{namespace_of(obj)}/{name_of(obj)}"


def _stub(obj: Obj) -> Obj:
    """What a DELETED reported after a relist needs of an object no longer listed."""
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    keep = {key: meta[key] for key in ("name", "namespace", "uid", "ownerReferences", "labels") if key in meta}
    return {"metadata": keep, **({"involvedObject": obj["involvedObject"]} if "involvedObject" in obj else {})}


class Stream:
    """One resource's list-then-watch; ``list()`` in the caller's thread, then ``start()``."""

    def __init__(self, cluster: Cluster, spec: WatchSpec, feed: "queue.Queue[Update]", stop: threading.Event,
                 deadline: Optional[float] = None) -> None:
        self.cluster, self.spec, self.feed, self.stop_event, self.deadline = cluster, spec, feed, stop, deadline
        self.version = ""
        self.known: Dict[str, Tuple[str, Obj]] = {}  # key -> (resourceVersion, stub)
        self._response: Any = None
        self._thread: Optional[threading.Thread] = None
        self.reconnects = 0
        self.relists = 0
        self.failed: Optional[Exception] = None  # what ended the stream for good (401, 403, ...)

    # -- listing ---------------------------------------------------------------------------

    def list(self) -> List[Obj]:
        """Every object now, paged (``Cluster.list_pages``: a continue token that expired restarts the
        list, a repeated one stops it); the list's resourceVersion is where the watch starts."""
        metadata: Obj = {}
        items = [item for page in self.cluster.list_pages(self.spec.resource, self.spec.namespace,
                                                          label_selector=self.spec.label_selector,
                                                          field_selector=self.spec.field_selector,
                                                          on_metadata=metadata.update)
                 for item in page]
        self.version = str(metadata.get("resourceVersion") or "")
        self.known = {object_key(item): (str(dig(item, "metadata", "resourceVersion") or ""), _stub(item)) for item in items}
        return items

    def relist(self) -> None:
        """After 410 Gone: list again and report only the differences from what was known."""
        before = self.known
        items = self.list()
        self.relists += 1
        self.feed.put(Update(self.spec.resource, "NOTICE", {"message": f"{self.spec.resource}: resourceVersion too old "
                                                                       f"(410 Gone); listed again at {self.version}"}))
        for item in items:
            old = before.get(object_key(item))
            if old is None:
                self.feed.put(Update(self.spec.resource, "ADDED", item))
            elif old[0] != str(dig(item, "metadata", "resourceVersion") or ""):
                self.feed.put(Update(self.spec.resource, "MODIFIED", item))
        for key, (_, stub) in before.items():
            if key not in self.known:
                self.feed.put(Update(self.spec.resource, "DELETED", stub))

    # -- watching --------------------------------------------------------------------------

    @property
    def started(self) -> bool:
        return self._thread is not None

    def start(self) -> "Stream":
        self._thread = threading.Thread(target=self._run, name=f"watch-{self.spec.resource}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Unblock a read in progress (urllib3's ``shutdown``) and let the thread end."""
        self.stop_event.set()
        response = self._response
        if response is not None:
            try:
                response.shutdown()
            except (AttributeError, OSError):
                pass
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _run(self) -> None:
        delay = BACKOFF_FIRST
        while not self.stop_event.is_set():
            try:
                began = time.monotonic()
                if not self._watch_once():
                    self._safe_relist()  # 410 Gone in an ERROR event
                elif time.monotonic() - began < 1:
                    self.stop_event.wait(BACKOFF_FIRST)  # ended at once: do not spin on a server that does so
                delay = BACKOFF_FIRST  # the server ended the stream (at its timeout): go on
                continue
            except (Unauthorized, ApiError) as error:
                if isinstance(error, Gone):
                    self._safe_relist()
                    continue
                if isinstance(error, Unauthorized) or error.status in (400, 403, 404):
                    self.failed = error
                    self.feed.put(Update(self.spec.resource, "FAILED", {}, error))
                    return
                reason = error.message
            except (ClusterUnreachable, OSError, ValueError) as error:
                reason = getattr(error, "message", None) or str(error) or type(error).__name__
            except self.cluster.transport_error as error:
                reason = str(error) or type(error).__name__
            if self.stop_event.is_set():
                return
            self.reconnects += 1
            self.feed.put(Update(self.spec.resource, "NOTICE", {
                "message": f"{self.spec.resource}: the watch stream was cut ({reason}); "
                           f"reconnecting from resourceVersion {self.version} in {delay:.1f}s"}))
            self.stop_event.wait(delay)
            delay = min(delay * 2, BACKOFF_MAX)

    def _safe_relist(self) -> None:
        try:
            self.relist()
        except (ApiError, ClusterUnreachable) as error:
            self.feed.put(Update(self.spec.resource, "FAILED", {}, error))
            self.stop_event.set()

    def _watch_once(self) -> bool:
        """One watch request, read to its end. True: ended normally; False: 410 in an ERROR event."""
        seconds = random.randint(*STREAM_SECONDS)
        if self.deadline is not None:
            seconds = max(1, min(seconds, int(self.deadline - time.monotonic()) + 1))
        query = self._query(watch="1", allowWatchBookmarks="true", timeoutSeconds=str(seconds),
                            **({"resourceVersion": self.version} if self.version else {}))
        response = self.cluster.open_stream(self.spec.resource, self.spec.namespace, query, seconds + READ_SLACK)
        self._response = response
        try:
            for line in _lines(response):
                if self.stop_event.is_set():
                    return True
                if not line.strip():
                    continue
                event = json.loads(line)
                kind, obj = event.get("type"), event.get("object")
                if not isinstance(obj, dict):
                    continue
                if kind == "ERROR":
                    if obj.get("code") == 410:
                        return False
                    raise ApiError(str(obj.get("message") or "the watch reported an error"), int(obj.get("code") or 500))
                version = str(dig(obj, "metadata", "resourceVersion") or "")
                if version:
                    self.version = version
                if kind == "BOOKMARK" or kind not in ("ADDED", "MODIFIED", "DELETED"):
                    continue
                old = self.known.get(object_key(obj))
                if kind == "DELETED":
                    self.known.pop(object_key(obj), None)
                elif old is not None and old[0] == version:
                    continue  # seen already (a reconnect can repeat the last object)
                else:
                    self.known[object_key(obj)] = (version, _stub(obj))
                self.feed.put(Update(self.spec.resource, kind, obj))
        finally:
            self._response = None
            response.release_conn()
        return True

    def _query(self, **extra: str) -> Dict[str, str]:
        query = {key: value for key, value in (("labelSelector", self.spec.label_selector),
                                               ("fieldSelector", self.spec.field_selector)) if value}
        query.update(extra)
        return query


def _lines(response: Any):
    """The stream's lines as they arrive (chunk by chunk, never waiting for a full buffer)."""
    pending = b""
    chunks = response.stream(None) if response.chunked and response.supports_chunked_reads() else iter(
        lambda: response.read1(65536), b"")
    for chunk in chunks:
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            yield line
    if pending.strip():
        yield pending

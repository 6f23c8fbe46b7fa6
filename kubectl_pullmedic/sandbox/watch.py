"""``?watch=true``: a stream of watch events, one JSON object a line, as kube-apiserver sends them.

The behaviour follows apiserver's ``endpoints/handlers/watch.go`` and the watch cache
(``storage/cacher``): without a resourceVersion (or with ``0``) the current objects come first as
ADDED, then every change after that state; with one, every change after it, or one ERROR event
carrying a ``410 Expired`` Status when the history no longer reaches back that far (``too old
resource version``). Selectors filter as lists do, and an object that stops (starts) matching
is sent as DELETED (ADDED). ``allowWatchBookmarks`` adds BOOKMARK events that carry only
``metadata.resourceVersion``, every ``bookmark_seconds`` and once before a ``timeoutSeconds``
end; without ``timeoutSeconds`` (or with 0) the stream lasts the server's default. Tables
(``kubectl get -w``) get one Table per event, the column definitions only in the first.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Dict, Iterator, List, Optional

import kubectl_pullmedic.sandbox.status as status
from kubectl_pullmedic.sandbox.changes import ADDED, DELETED, MODIFIED, Change, TooOld
from kubectl_pullmedic.sandbox.resources import ResourceType
from kubectl_pullmedic.sandbox.store import ObjectStore, Predicate, StoredObject
from kubectl_pullmedic.sandbox.tables import build_table
from kubectl_pullmedic.sandbox.verbs import Query, TableRequest, list_predicate, table_request

Obj = Dict[str, Any]
BOOKMARK, ERROR = "BOOKMARK", "ERROR"
DEFAULT_TIMEOUT_SECONDS = 1800.0  # kube-apiserver's --min-request-timeout
DEFAULT_BOOKMARK_SECONDS = 60.0  # the watch cache sends a bookmark about once a minute
INITIAL_EVENTS_END = "k8s.io/initial-events-end"


def _one(query: Query, name: str, default: str = "") -> str:
    values = query.get(name)
    return values[-1] if values else default


def _flag(query: Query, name: str) -> bool:
    return _one(query, name).lower() in ("true", "1")


@dataclass(frozen=True)
class WatchRequest:
    """What a watch asked for, checked before the stream starts (a bad one is a plain 400)."""

    resource_version: str
    timeout: float
    bookmarks: bool
    send_initial_events: bool
    predicate: Optional[Predicate]
    table: Optional[TableRequest]
    include_object: str


def parse_request(rt: ResourceType, query: Query, accept: str, default_timeout: float) -> WatchRequest:
    predicate = list_predicate(rt, query)  # a bad selector is a 400, not an ERROR event
    timeout_text = _one(query, "timeoutSeconds", "0") or "0"
    try:
        timeout = float(int(timeout_text))
    except ValueError as error:
        raise status.bad_request(f'strconv.ParseInt: parsing "{timeout_text}": invalid syntax') from error
    version = _one(query, "resourceVersion")
    if version not in ("", "0") and not version.isdigit():
        raise status.bad_request(f'invalid resource version "{version}"')
    return WatchRequest(
        resource_version=version,
        timeout=timeout if timeout > 0 else default_timeout,
        bookmarks=_flag(query, "allowWatchBookmarks"),
        send_initial_events=_flag(query, "sendInitialEvents"),
        predicate=predicate,
        table=table_request(accept),
        include_object=_one(query, "includeObject", "Metadata"),
    )


def _status_object(code: int, reason: str, message: str, details: Optional[Obj] = None) -> Obj:
    body: Obj = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                 "message": message, "reason": reason}
    if details:
        body["details"] = details
    body["code"] = code
    return body


def expired_status(error: TooOld) -> Obj:
    """The Status of the ERROR event for a version older than the history (watch_cache_history.go)."""
    return _status_object(410, "Expired", str(error))


def too_large_status(requested: int, current: int) -> Obj:
    """storage.NewTooLargeResourceVersionError: a version the server has not reached yet."""
    return _status_object(
        504, "Timeout", f"Too large resource version: {requested}, current: {current}",
        {"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
         "retryAfterSeconds": 1},
    )


class WatchStream:
    """The event lines of one watch; iterating blocks until the next event or the end.

    Raises ``changes.StreamDropped`` from the iteration when the harness cuts the stream.
    """

    def __init__(
        self,
        store: ObjectStore,
        rt: ResourceType,
        namespace: str,
        request: WatchRequest,
        now: Callable[[], datetime],
        bookmark_seconds: float = DEFAULT_BOOKMARK_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store, self.rt, self.request = store, rt, request
        self.namespace = namespace if rt.namespaced else ""
        self.now, self.monotonic = now, monotonic
        self.bookmark_seconds = bookmark_seconds
        self.epoch = store.changes.drop_epoch  # a drop from now on ends this stream
        self._headers_sent = False
        # The starting point is fixed now, before the response starts, as the real server
        # establishes its watch before it answers: a write after the answer is always an event.
        self._started = monotonic()
        self._initial: List[StoredObject] = []
        self._error: Optional[Obj] = None
        if request.resource_version in ("", "0") or request.send_initial_events:
            page = store.list_page(rt, self.namespace, request.predicate, 0, "")
            self._initial, self._revision = page.items, int(page.resource_version)
        else:
            self._revision = int(request.resource_version)
            current = store.changes.revision
            try:
                if self._revision > current:
                    self._error = too_large_status(self._revision, current)
                else:
                    store.changes.check_resume(self._revision)
            except TooOld as error:
                self._error = expired_status(error)

    def __iter__(self) -> Iterator[bytes]:
        if self._error is not None:
            yield self._line(ERROR, _encode(self._error))
            return
        for entry in self._initial:
            yield self._line(ADDED, self._object(entry.raw, entry.resource_version))
        self._initial = []
        if self.request.send_initial_events and self.request.bookmarks:
            yield self._bookmark(self._revision, {INITIAL_EVENTS_END: "true"})
        yield from self._follow(self._revision, self._started + self.request.timeout, self._started)

    def _follow(self, revision: int, deadline: float, started: float) -> Iterator[bytes]:
        bookmark_seconds = max(self.bookmark_seconds, 0.01)
        next_bookmark = started + bookmark_seconds
        while True:
            now = self.monotonic()
            if now >= deadline:
                if self.request.bookmarks:
                    yield self._bookmark(revision)
                return
            until = min(deadline, next_bookmark) if self.request.bookmarks else deadline
            try:
                changes = self.store.changes.since(revision, self.epoch, until - now)
            except TooOld as error:  # fell behind the bounded history while streaming
                yield self._line(ERROR, _encode(expired_status(error)))
                return
            for change in changes:
                revision = change.revision
                line = self._event(change)
                if line is not None:
                    yield line
            if self.request.bookmarks and self.monotonic() >= next_bookmark:
                yield self._bookmark(revision)
                next_bookmark = self.monotonic() + bookmark_seconds

    def _event(self, change: Change) -> Optional[bytes]:
        if change.resource != self.rt.resource or (self.namespace and change.namespace != self.namespace):
            return None
        event_type = self._filtered_type(change)
        if event_type is None:
            return None
        version = str(change.revision)
        return self._line(event_type, self._object(change.object_bytes(), version))

    def _filtered_type(self, change: Change) -> Optional[str]:
        """The event a filtered watch sees: a change across the selector's edge is ADDED or DELETED."""
        matches = self.request.predicate
        if matches is None:
            return change.type
        now_matches = matches(change.entry)
        if change.type != MODIFIED:
            return change.type if now_matches else None
        before = matches(change.previous)
        if now_matches and before:
            return MODIFIED
        if now_matches:
            return ADDED
        return DELETED if before else None

    def _object(self, raw: bytes, version: str) -> bytes:
        table = self.request.table
        if table is None:
            return raw
        document = build_table(self.rt, [json.loads(raw)], self.now(), {"resourceVersion": version},
                               self.request.include_object, table.api_version)
        return _encode(self._headers_once(document))

    def _headers_once(self, table: Obj) -> Obj:
        """Only the first Table of a watch carries the column definitions (NoHeaders after it)."""
        if self._headers_sent:
            table["columnDefinitions"] = None
        self._headers_sent = True
        return table

    def _bookmark(self, revision: int, annotations: Optional[Dict[str, str]] = None) -> bytes:
        metadata: Obj = {"resourceVersion": str(revision)}
        if annotations:
            metadata["annotations"] = annotations
        if self.request.table is not None:
            table = {"kind": "Table", "apiVersion": self.request.table.api_version, "metadata": metadata,
                     "columnDefinitions": None, "rows": []}
            return self._line(BOOKMARK, _encode(table))
        return self._line(BOOKMARK, _encode({"kind": self.rt.kind, "apiVersion": self.rt.api_version,
                                             "metadata": metadata}))

    @staticmethod
    def _line(event_type: str, obj: bytes) -> bytes:
        return b'{"type":"' + event_type.encode() + b'","object":' + obj + b"}\n"


def _encode(document: Obj) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()

"""The sandbox's object store: what etcd plus the generic registry do for kube-apiserver.

Each resource keeps its keys ``(namespace, name)`` in a sorted list beside a dict of entries,
so a list page is a bisect and a slice, never a sort, even with 50,000 pods. An entry is the
object's JSON bytes plus what selectors and preconditions need (labels, field set, uid,
resourceVersion), so answering a list joins bytes and filtering never parses JSON.
One global counter gives every write its resourceVersion, as etcd's revision does, and every
write is one ``Change`` in ``changes`` (in revision order), which watches follow.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from kubectl_pullmedic.core.kube import labels_of
import kubectl_pullmedic.sandbox.status as status
from kubectl_pullmedic.sandbox.changes import ADDED, DEFAULT_CAPACITY, DELETED, MODIFIED, Change, ChangeLog
from kubectl_pullmedic.sandbox.resources import NAMESPACES, RESOURCE_TYPES, ResourceType, by_kind

Obj = Dict[str, Any]
Key = Tuple[str, str]
Predicate = Callable[["StoredObject"], bool]


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def resource_type_of(obj: Obj) -> ResourceType:
    """The served type of an object; apiVersion may be left out in hand-written objects."""
    kind = str(obj.get("kind") or "")
    api_version = str(obj.get("apiVersion") or "")
    if api_version:
        rt = by_kind(api_version, kind)
    else:
        rt = next((candidate for candidate in RESOURCE_TYPES if candidate.kind == kind), None)
    if rt is None:
        raise ValueError(f"the sandbox serves no {api_version or '?'} {kind or '(no kind)'}")
    return rt


@dataclass(frozen=True)
class StoredObject:
    """An object as stored: never mutated, shared freely between threads."""

    raw: bytes  # starts with the type: {"apiVersion":...,"kind":...,
    type_prefix: int  # bytes of ``raw`` holding apiVersion and kind
    uid: str
    resource_version: str
    creation_timestamp: str
    labels: Dict[str, str]
    fields: Dict[str, str]

    @property
    def list_item(self) -> bytes:
        """The object as a list item: kube-apiserver leaves out apiVersion and kind there
        (kubernetes issue 3030), so clients must not rely on them."""
        return b"{" + self.raw[self.type_prefix:]

    def decode(self) -> Obj:
        """A fresh copy of the object, which the caller may change."""
        result: Obj = json.loads(self.raw)
        return result


@dataclass(frozen=True)
class ListPage:
    items: List[StoredObject]
    resource_version: str
    continue_token: str
    remaining_item_count: Optional[int]


def _namespace_object(name: str) -> Obj:
    """The Namespace a real cluster would hold for a namespace that objects use."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


class ObjectStore:
    """Thread-safe objects by resource, with paging tokens that can be expired on demand."""

    def __init__(
        self, clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc), history: int = DEFAULT_CAPACITY
    ) -> None:
        self._clock = clock
        self.changes = ChangeLog(history)  # what watches resume from
        self._lock = threading.RLock()
        self._keys: Dict[str, List[Key]] = {rt.resource: [] for rt in RESOURCE_TYPES}
        self._entries: Dict[str, Dict[Key, StoredObject]] = {rt.resource: {} for rt in RESOURCE_TYPES}
        self._revision = 0
        # Tokens name this store and its epoch: a token from another sandbox or from before
        # expire_continue_tokens() is answered 410, as after an etcd compaction.
        self._token_owner = secrets.token_hex(4)
        self._token_epoch = 0

    @property
    def resource_version(self) -> str:
        with self._lock:
            return str(self._revision)

    # ----- writes -------------------------------------------------------------------------

    def put(self, obj: Obj) -> StoredObject:
        """Add an object, or replace the one with its key (keeping its uid unless given)."""
        with self._lock:
            rt, key, entry = self._prepare(obj)
            previous = self._entries[rt.resource].get(key)
            if previous is None:
                bisect.insort(self._keys[rt.resource], key)
            self._entries[rt.resource][key] = entry
            self._record(rt, key, entry, previous)
            return entry

    def put_many(self, objects: Iterable[Obj]) -> List[StoredObject]:
        """Bulk add: one sort per resource instead of one insertion per object."""
        stored: List[StoredObject] = []
        with self._lock:
            touched = set()
            for obj in objects:
                rt, key, entry = self._prepare(obj)
                previous = self._entries[rt.resource].get(key)
                if previous is None:
                    self._keys[rt.resource].append(key)
                    touched.add(rt.resource)
                self._entries[rt.resource][key] = entry
                self._record(rt, key, entry, previous)
                stored.append(entry)
            for resource in touched:
                self._keys[resource].sort()
        return stored

    def create(self, rt: ResourceType, namespace: str, obj: Obj, dry_run: bool) -> StoredObject:
        """POST semantics: 409 when the name is taken; ``generateName`` gets a random suffix."""
        body = dict(obj)
        metadata = dict(body.get("metadata") or {})
        if not metadata.get("name") and metadata.get("generateName"):
            metadata["name"] = metadata["generateName"] + secrets.token_hex(3)[:5]
        if not metadata.get("name"):
            raise status.name_required(rt)
        if rt.namespaced:
            metadata["namespace"] = namespace
        for server_owned in ("uid", "resourceVersion", "creationTimestamp"):
            metadata.pop(server_owned, None)
        body.update({"apiVersion": rt.api_version, "kind": rt.kind, "metadata": metadata})
        with self._lock:
            if (namespace if rt.namespaced else "", metadata["name"]) in self._entries[rt.resource]:
                raise status.already_exists(rt, metadata["name"])
            if dry_run:
                return self._prepare(body, revision=self._revision)[2]
            return self.put(body)

    def update(self, rt: ResourceType, namespace: str, name: str, change: Callable[[Obj], Obj], dry_run: bool) -> StoredObject:
        """PUT and PATCH semantics, checked and applied under one lock.

        ``change`` turns a copy of the stored object into the one to store (or raises ApiStatus).
        A resourceVersion left in it must be the stored one, else 409 as etcd's compare-and-swap
        answers; uid, name and creationTimestamp stay. A change that changes nothing writes
        nothing and keeps the resourceVersion, as etcd3's GuaranteedUpdate short-circuits.
        """
        key = (namespace if rt.namespaced else "", name)
        with self._lock:
            entry = self._entries[rt.resource].get(key)
            if entry is None:
                raise status.not_found(rt, name)
            new = change(entry.decode())
            metadata = dict(new.get("metadata") or {})
            wanted = metadata.get("resourceVersion")
            if wanted and str(wanted) != entry.resource_version:
                raise status.optimistic_lock(rt, name)
            metadata.update(name=name, uid=entry.uid, resourceVersion=entry.resource_version,
                            creationTimestamp=entry.creation_timestamp)
            if rt.namespaced:
                metadata["namespace"] = namespace
            new = dict(new, apiVersion=rt.api_version, kind=rt.kind, metadata=metadata)
            if new == entry.decode():
                return entry
            if dry_run:
                return self._prepare(new, revision=int(entry.resource_version))[2]
            return self.put(new)

    def delete(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        uid: Optional[str] = None,
        resource_version: Optional[str] = None,
        dry_run: bool = False,
    ) -> StoredObject:
        """Delete with DeleteOptions preconditions, checked and applied under one lock."""
        key = (namespace if rt.namespaced else "", name)
        with self._lock:
            entry = self._entries[rt.resource].get(key)
            if entry is None:
                raise status.not_found(rt, name)
            if uid is not None and uid != entry.uid:
                raise status.uid_precondition_failed(rt, name, uid, entry.uid)
            if resource_version is not None and resource_version != entry.resource_version:
                raise status.resource_version_precondition_failed(rt, name, resource_version, entry.resource_version)
            if not dry_run:
                self._remove(rt, key)
                if rt is NAMESPACES:
                    self._remove_namespace_contents(name)
            return entry

    def remove(self, rt: ResourceType, namespace: str, name: str) -> Optional[StoredObject]:
        """Delete without preconditions; None when absent."""
        try:
            return self.delete(rt, namespace, name)
        except status.ApiStatus:
            return None

    # ----- reads --------------------------------------------------------------------------

    def get(self, rt: ResourceType, namespace: str, name: str) -> Optional[StoredObject]:
        with self._lock:
            return self._entries[rt.resource].get((namespace if rt.namespaced else "", name))

    def list_page(
        self,
        rt: ResourceType,
        namespace: str,
        predicate: Optional[Predicate],
        limit: int,
        continue_token: str,
    ) -> ListPage:
        """One page in key order. The token resumes after the last key examined, so a
        filtered page can be short or even empty while more keys remain, as on a real server."""
        with self._lock:
            keys = self._keys[rt.resource]
            entries = self._entries[rt.resource]
            low, high = self._key_range(keys, namespace if rt.namespaced else "")
            list_revision = self._revision
            index = low
            if continue_token:
                start_key, list_revision = self._decode_token(continue_token)
                index = max(low, bisect.bisect_right(keys, start_key))
            items: List[StoredObject] = []
            while index < high and (limit <= 0 or len(items) < limit):
                entry = entries[keys[index]]
                index += 1
                if predicate is None or predicate(entry):
                    items.append(entry)
            more = limit > 0 and index < high
            token = self._encode_token(keys[index - 1], list_revision) if more else ""
            remaining = high - index if more and predicate is None else None
            return ListPage(items, str(list_revision), token, remaining)

    # ----- continue tokens ----------------------------------------------------------------

    def expire_continue_tokens(self) -> None:
        """Make every outstanding continue token answer 410 Gone, like an etcd compaction."""
        with self._lock:
            self._token_epoch += 1

    def _encode_token(self, start: Key, revision: int) -> str:
        payload = {
            "v": "meta.k8s.io/v1",
            "rv": revision,
            "start": list(start),
            "store": f"{self._token_owner}.{self._token_epoch}",
        }
        return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")

    def _decode_token(self, token: str) -> Tuple[Key, int]:
        try:
            payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            start = (str(payload["start"][0]), str(payload["start"][1]))
            revision = int(payload["rv"])
            owner = str(payload["store"])
        except (binascii.Error, ValueError, KeyError, IndexError, TypeError) as error:
            raise status.bad_request(f"continue key is not valid: {error}") from error
        if owner != f"{self._token_owner}.{self._token_epoch}":
            # Like the real server, offer a token that continues from now, inconsistently.
            raise status.expired_continue(self._encode_token(start, -1))
        return start, self._revision if revision < 0 else revision

    # ----- internals ----------------------------------------------------------------------

    @staticmethod
    def _key_range(keys: List[Key], namespace: str) -> Tuple[int, int]:
        if not namespace:
            return 0, len(keys)
        # ("ns",) sorts before every ("ns", name); ("ns\0",) after them and before ("ns-x", ...).
        return bisect.bisect_left(keys, (namespace,)), bisect.bisect_left(keys, (namespace + "\0",))

    def _prepare(self, obj: Obj, revision: Optional[int] = None) -> Tuple[ResourceType, Key, StoredObject]:
        """Validate and complete an object as the server would: kind, uid, rv, timestamps.
        ``revision`` (for dry runs) is used instead of the next one."""
        if not isinstance(obj, dict):
            raise ValueError(f"an object must be a mapping, not {type(obj).__name__}")
        rt = resource_type_of(obj)
        metadata = dict(obj.get("metadata") or {})
        name = str(metadata.get("name") or "")
        if not name:
            raise ValueError(f"a {rt.kind} without metadata.name cannot be stored")
        if rt.namespaced:
            metadata["namespace"] = str(metadata.get("namespace") or "default")
        else:
            metadata.pop("namespace", None)
        key = (metadata.get("namespace", ""), name)
        previous = self._entries[rt.resource].get(key)
        if revision is None:
            # The namespace first, so that revisions reach the change log in order.
            self._ensure_namespace(rt, key[0])
            self._revision += 1
            revision = self._revision
        metadata["uid"] = str(metadata.get("uid") or (previous.uid if previous else uuid.uuid4()))
        metadata["resourceVersion"] = str(revision)
        if not metadata.get("creationTimestamp"):
            metadata["creationTimestamp"] = previous.creation_timestamp if previous else rfc3339(self._clock())
        body = {key: value for key, value in obj.items() if key not in ("apiVersion", "kind")}
        body["metadata"] = metadata
        complete = dict({"apiVersion": rt.api_version, "kind": rt.kind}, **body)
        type_prefix = json.dumps({"apiVersion": rt.api_version, "kind": rt.kind}, separators=(",", ":")).encode()[:-1] + b","
        entry = StoredObject(
            raw=type_prefix + json.dumps(body, separators=(",", ":")).encode()[1:],
            type_prefix=len(type_prefix),
            uid=metadata["uid"],
            resource_version=metadata["resourceVersion"],
            creation_timestamp=str(metadata["creationTimestamp"]),
            labels={str(key): str(value) for key, value in labels_of(complete).items()},
            fields=rt.field_set(complete),
        )
        return rt, key, entry

    def _ensure_namespace(self, rt: ResourceType, namespace: str) -> None:
        if rt.namespaced and ("", namespace) not in self._entries[NAMESPACES.resource]:
            self.put(_namespace_object(namespace))

    def _remove(self, rt: ResourceType, key: Key) -> None:
        keys = self._keys[rt.resource]
        del keys[bisect.bisect_left(keys, key)]
        entry = self._entries[rt.resource].pop(key)
        self._revision += 1
        self.changes.record(Change(self._revision, DELETED, rt.resource, key[0], entry))

    def _record(self, rt: ResourceType, key: Key, entry: StoredObject, previous: Optional[StoredObject]) -> None:
        kind = ADDED if previous is None else MODIFIED
        self.changes.record(Change(int(entry.resource_version), kind, rt.resource, key[0], entry, previous))

    def _remove_namespace_contents(self, namespace: str) -> None:
        for rt in RESOURCE_TYPES:
            if rt.namespaced:
                low, high = self._key_range(self._keys[rt.resource], namespace)
                for key in list(self._keys[rt.resource][low:high]):
                    self._remove(rt, key)

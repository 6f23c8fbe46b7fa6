"""Several watch streams (``cluster.watch.Stream``) merged into one feed the caller reads in order,
with a deadline and a wake-up time; and the fallback when RBAC refuses a cluster-wide stream (its
list, or its watch after the list passed): one stream per readable namespace, bounded, the rest
named as unread, as ``Cluster.collect`` falls back for lists.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import replace
from typing import List, Optional, Set, Tuple

from ..core.kube import dig, name_of, namespace_of
from ..errors import Forbidden
from .api import Cluster, Obj
from .watch import Stream, Update, WatchSpec, object_key

BATCH_SECONDS = 0.2  # updates arriving this close together are put back in the server's order
# A cluster-wide watch that RBAC refuses is followed namespace by namespace in at most this many
# namespaces: each holds a pod stream and three event streams open (a thread and a connection each,
# so at most 32 beside the caller's), where kubectl get -w -A holds one; past it, name one with -n.
NAMESPACE_STREAMS = 8
WOKEN = Update("", "WOKEN", {})  # what ``Feed.get`` returns at its wake-up time with nothing come


def _namespaces(names: List[str]) -> str:
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"{len(names)} namespace{'s' if len(names) != 1 else ''} ({shown})"


def _revision(update: Update) -> float:
    version = str(dig(update.obj, "metadata", "resourceVersion") or "")
    return float(version) if version.isdigit() else float("inf")


class Feed:
    """Several streams merged into one queue; ``get`` waits at most until the deadline."""

    def __init__(self, cluster: Cluster, specs: List[WatchSpec], deadline: Optional[float] = None) -> None:
        self.queue: "queue.Queue[Update]" = queue.Queue()
        self.stop_event = threading.Event()
        self.streams = [Stream(cluster, spec, self.queue, self.stop_event, deadline) for spec in specs]
        self.deadline = deadline
        self.warnings: List[str] = []
        self.namespaces: Optional[List[str]] = None  # listed once, when a cluster-wide stream is refused
        self.watched: Optional[List[str]] = None  # the namespaces watched one by one (None: cluster-wide)
        self.unread: List[str] = []  # namespaces whose pods are not watched: refused, or past the bound
        self.optional: Tuple[str, ...] = ()  # resources a watch can go on without (``list_all``)
        self.deferred: List[Tuple[Stream, Forbidden]] = []  # optional streams refused cluster-wide, pods readable

    def list_all(self, optional: Tuple[str, ...] = ()) -> List[List[Obj]]:
        """Each stream's initial list, in the order of the specs.

        A cluster-wide stream that RBAC refuses falls back, as ``Cluster.collect`` does, to one stream
        per namespace (pods: every namespace the user can list them in, at most
        ``NAMESPACE_STREAMS``; events: the namespaces whose pods are watched); the namespaces refused
        or past the bound are named in ``warnings`` and ``unread`` (the watch's result is partial).
        A stream of an ``optional`` resource that is still refused is dropped (an empty list) and said
        in ``warnings``: events are evidence, not the subject, so a watch goes on from pod status, as
        ``why`` does."""
        lists: List[List[Obj]] = []
        self.optional = optional
        for stream in list(self.streams):
            try:
                lists.append(stream.list())
                continue
            except Forbidden as refused:
                error = refused
            expanded = self._per_namespace(stream, error) if stream.spec.namespace is None else None
            if expanded is not None:
                lists.append(expanded)
                continue
            if stream.spec.resource not in optional:
                raise error
            self.streams.remove(stream)
            if stream.spec.namespace is None:  # pods are read cluster-wide: ``optional_in`` narrows it
                self.deferred.append((stream, error))
            else:
                self.warnings.append(f"{error.message}; following pod status only")
            lists.append([])
        return lists

    def optional_in(self, namespaces: List[str]) -> List[Obj]:
        """After ``list_all``: each optional stream refused cluster-wide while pods were read there (events,
        RBAC granting them per namespace), one stream per namespace of ``namespaces`` (the followed pods',
        at most ``NAMESPACE_STREAMS``); their listed items. The namespaces refused or past the bound, and
        pods followed elsewhere later, go on from pod status, said in ``warnings``."""
        items: List[Obj] = []
        deferred, self.deferred = self.deferred, []
        for stream, refused in deferred:
            what = stream.spec.resource
            streams, listed, denied = self._open_each(stream, namespaces, NAMESPACE_STREAMS)
            self.streams += streams
            items += listed
            opened = [one.spec.namespace or "" for one in streams]
            skipped = namespaces[len(opened) + len(denied):]
            said = [f"{refused.message}; reading {what} namespace by namespace ({len(opened)}: {', '.join(opened)}), "
                    "elsewhere following pod status only" if opened else f"{refused.message}; following pod status only"]
            if denied:
                said.append(f"{what} not watched in {_namespaces(denied)}: forbidden; following pod status only there")
            if skipped:
                said.append(f"{what} not watched in {_namespaces(skipped)}: at most {NAMESPACE_STREAMS} namespaces are "
                            "watched one by one; following pod status only there")
            self.warnings += [text for text in said if text not in self.warnings]
        return items

    def _open_each(self, stream: Stream, namespaces: List[str], bound: Optional[int] = None
                   ) -> Tuple[List[Stream], List[Obj], List[str]]:
        """One stream like ``stream`` per namespace, listed (not started), at most ``bound`` of them:
        the streams, their items, and the namespaces that refused."""
        streams: List[Stream] = []
        items: List[Obj] = []
        denied: List[str] = []
        for namespace in namespaces:
            if bound is not None and len(streams) == bound:
                break
            one = Stream(stream.cluster, replace(stream.spec, namespace=namespace), self.queue, self.stop_event,
                         self.deadline)
            try:
                items.extend(one.list())
            except Forbidden:
                denied.append(namespace)
                continue
            streams.append(one)
        return streams, items, denied

    def _per_namespace(self, stream: Stream, refused: Forbidden) -> Optional[List[Obj]]:
        """``stream`` replaced by one stream per readable namespace (bounded); None when the namespaces
        cannot be listed, or (events) when no pod stream fell back, so there is nowhere narrower to look."""
        if self.watched is None and stream.spec.resource != "pods":
            return None
        if self.namespaces is None:
            try:
                self.namespaces = sorted(name_of(item) for item in stream.cluster.list_all("namespaces", None))
            except Forbidden:
                return None
        pods = self.watched is None
        candidates = self.namespaces if pods else self.watched
        streams, items, denied = self._open_each(stream, candidates, NAMESPACE_STREAMS if pods else None)
        at = self.streams.index(stream)
        self.streams[at:at + 1] = streams
        what = stream.spec.resource
        if pods:
            self.watched = [one.spec.namespace or "" for one in streams]
            skipped = candidates[len(self.watched) + len(denied):]
            self.unread += denied + skipped
            self.warnings.append(f"{refused.message}; watching pods namespace by namespace "
                                 f"({len(self.watched)}: {', '.join(self.watched) or 'none readable'})")
            if denied:
                self.warnings.append(f"pods not watched in {_namespaces(denied)}: forbidden")
            if skipped:
                self.warnings.append(f"pods not watched in {_namespaces(skipped)}: at most {NAMESPACE_STREAMS} "
                                     "namespaces are watched one by one (name one with -n)")
        elif denied:
            self.warnings.append(f"{what} not watched in {_namespaces(denied)}: forbidden; following pod status only there")
        return items

    def recover(self, update: Update, namespaces: List[str] = ()) -> Optional[List[str]]:
        """A stream whose watch RBAC refused after its list passed (a role with list but not watch at
        the cluster scope): pods fall back to one stream per readable namespace, as a refused list does,
        reporting only what changed since (as a relist); an optional resource's stream (``events``)
        falls back to ``namespaces`` (the followed pods', as ``optional_in``) while pods are read
        cluster-wide, else is dropped. The new warnings, or None when the failure is not one of those
        (the watch cannot go on)."""
        stream = next((one for one in self.streams if update.error is not None and one.failed is update.error), None)
        if stream is None or not isinstance(update.error, Forbidden):
            return None
        said = len(self.warnings)
        if stream.spec.resource in self.optional:
            self.streams.remove(stream)
            if stream.spec.namespace is None and self.watched is None and namespaces:
                self.deferred.append((stream, update.error))
                self._relisted(stream, self.optional_in(list(namespaces)), set(namespaces))
            else:
                self.warnings.append(f"{update.error.message}; following pod status only")
            return self.warnings[said:]
        if stream.spec.namespace is not None or self.watched is not None:
            return None
        items = self._per_namespace(stream, update.error)
        if items is None:
            return None
        self._relisted(stream, items, set(self.watched or ()))
        return self.warnings[said:]

    def _relisted(self, stream: Stream, items: List[Obj], kept: Set[str]) -> None:
        """What the streams that replace ``stream`` listed, against what it had seen: only the changes
        queued (as a relist reports them; what went from a namespace still read is DELETED), then
        the new streams started."""
        known = stream.known
        seen = set()
        for item in items:
            seen.add(object_key(item))
            old = known.get(object_key(item))
            if old is None or old[0] != str(dig(item, "metadata", "resourceVersion") or ""):
                self.queue.put(Update(stream.spec.resource, "ADDED" if old is None else "MODIFIED", item))
        for key, (_, stub) in known.items():  # gone meanwhile; a namespace now unread says nothing
            if key not in seen and namespace_of(stub) in kept:
                self.queue.put(Update(stream.spec.resource, "DELETED", stub))
        for one in self.streams:
            if one.spec.resource == stream.spec.resource and not one.started:
                one.start()

    def narrow(self, resource: str, label_selector: str) -> None:
        """Before ``list_all``: the streams of ``resource`` list and watch only what ``label_selector`` picks
        (a workload's pods, not its whole namespace)."""
        for stream in self.streams:
            if stream.spec.resource == resource:
                stream.spec = replace(stream.spec, label_selector=label_selector)

    def start(self) -> "Feed":
        for stream in self.streams:
            stream.start()
        return self

    def get(self, wake_at: Optional[float] = None) -> Optional[Update]:
        """The next update; None once the deadline has passed, or ``WOKEN`` at ``wake_at`` (a monotonic
        time) with nothing come. Waits in short steps, so Ctrl-C is prompt."""
        while True:
            now = time.monotonic()
            left = None if self.deadline is None else self.deadline - now
            if left is not None and left <= 0:
                return None
            if wake_at is not None and wake_at <= now:
                return WOKEN
            step = min(value for value in (0.5, left, None if wake_at is None else wake_at - now) if value is not None)
            try:
                return self.queue.get(timeout=step)
            except queue.Empty:
                continue

    def batch(self, window: float = BATCH_SECONDS, wake_at: Optional[float] = None) -> Optional[List[Update]]:
        """The next updates, in the order the API server made them: the streams are read in parallel,
        so what arrives within ``window`` of the first is sorted by resourceVersion (etcd's revision;
        an opaque one keeps its place). None once the deadline has passed; empty at ``wake_at``."""
        first = self.get(wake_at)
        if first is None:
            return None
        if first is WOKEN:
            return []
        updates, until = [first], time.monotonic() + window
        while True:
            left = until - time.monotonic()
            if left <= 0:
                break
            try:
                updates.append(self.queue.get(timeout=left))
            except queue.Empty:
                break
        return sorted(updates, key=_revision)

    def close(self) -> None:
        self.stop_event.set()
        for stream in self.streams:
            stream.stop()

"""What changed, as ``why --watch`` and ``retry`` follow pods: the previous and new state of a pod
(and its new events) in, typed ``Change``s out.

Pure: the watch streams are read in ``cluster.watch``, the loop runs in ``engine.watch``; here
``Follow`` only keeps what it was told (pods by uid, their pull events, which pods are followed)
and says what is new, through ``core.podchanges`` (each container's view and the lines between
two views). A pod of a controller that is deleted is followed into the pod that replaces it
(same controller uid, or the same name for a StatefulSet), unless its controller will not replace
it (``core.replacements``: scaled down, a Job done, its controller gone), which ``recheck`` asks
again while it waits; a pull under way is looked at again when it turns slow (``next_slow_pull``,
``on_time``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Dict, List, Optional, Set

from .kube import Obj, dig, name_of, namespace_of, owner_reference, uid_of
from .podchanges import (ADDED, DELETED, NOT_REPLACED, PULL_FAILED, REPLACED, Change, ContainerView, container_views,
                         event_change, state_changes)
from .podevents import count_of, involved
from .pulls.progress import SLOW_PULL_AFTER
from .replacements import ControllerRead, Replacement, replacement

__all__ = ["Change", "Follow", "Outstanding", "WatchOutcome", "controller_uid"]

_UNKNOWN_EVENTS_KEPT = 2000  # events of pods not seen yet (they can arrive before their pod), oldest dropped


@dataclass(frozen=True)
class Outstanding:
    """A followed container (or a deleted pod's missing replacement) that is not running or completed."""

    namespace: str
    pod: str
    container: Optional[str]
    state: str  # failing | waiting | exited | replacing
    text: str
    cause: Optional[str] = None
    uid: str = field(default="", metadata={"document": False})


@dataclass(frozen=True)
class WatchOutcome:
    """How a watch ended (settled | timeout | interrupted), and what was still not running then."""

    ended: str  # settled | failed-again | timeout | interrupted
    following: int  # pods followed at the end (and deleted pods waiting for their replacement)
    outstanding: List[Outstanding]
    relists: int = 0  # lists made again after 410 Gone
    reconnects: int = 0  # streams opened again after they were cut
    deleted: int = 0  # followed pods deleted during the watch
    unread: List[str] = field(default_factory=list)  # namespaces whose pods were not watched (refused, or past the bound)

    @property
    def settled(self) -> bool:
        return not self.outstanding

def _settled(view: ContainerView) -> bool:
    return view.state in ("running", "completed") and not view.cause


@dataclass
class Follow:
    """The pods a watch follows and what it last saw of each; fed the stream's objects in order.

    ``member`` says whether a pod is in the watch's target at all (the scope is the server's
    business); a member is followed from the start when it is not yet running (or has a problem),
    or, for a target (``follow_all``), always; later, when it shows a problem or is new, and a new
    pod of the group (``group``) of a deleted followed pod is its replacement.
    """

    member: Callable[[Obj], bool] = lambda pod: True
    follow_all: bool = False
    # Pods that stand in for each other: a deleted one is replaced by a new one of the same group
    # (its controller; for a workload target, any pod of the workload, as a rollout replaces them).
    group: Callable[[Obj], Optional[str]] = lambda pod: controller_uid(pod)
    pods: Dict[str, Obj] = field(default_factory=dict)  # uid -> the pod as last seen (followed ones)
    views: Dict[str, Dict[Optional[str], ContainerView]] = field(default_factory=dict)
    events: Dict[str, Dict[str, Obj]] = field(default_factory=dict)  # pod uid -> event key -> event
    counts: Dict[str, int] = field(default_factory=dict)  # event key -> count seen
    waiting_for_replacement: Dict[str, List[Obj]] = field(default_factory=dict)  # controller uid -> deleted pods
    replacements: Dict[str, List[str]] = field(default_factory=dict)  # controller uid -> new pods not yet paired
    gone: Set[str] = field(default_factory=set)  # pods deleted (or being deleted): never followed again
    # A deleted pod's controller as read now (by the engine, when a followed pod goes and at ``recheck``;
    # None: not a kind it reads), against its pods still active, so a scale-down is not awaited as a replacement.
    controller: Callable[[Obj], Optional[ControllerRead]] = lambda pod: None
    live: Dict[str, Set[str]] = field(default_factory=dict)  # controller uid -> its active pods (every pod streamed)
    unknown: Dict[str, str] = field(default_factory=dict)  # deleted pod uid -> why its replacement is not known
    slow_pull_after: timedelta = SLOW_PULL_AFTER  # --slow-pull: a pull running longer is a SlowPull

    def start(self, pods: List[Obj], events: List[Obj], now: datetime) -> None:
        """The listed state: remembered, no lines."""
        for event in events:
            self._remember_event(event)
        for pod in pods:
            self._count(pod, alive=True)
            if not self.member(pod):
                continue
            views = self._views(pod, now)
            if self.follow_all or not all(_settled(view) for view in views.values()):
                self.pods[uid_of(pod)], self.views[uid_of(pod)] = pod, views

    def namespaces(self, now: datetime, pods: Optional[List[Obj]] = None) -> List[str]:
        """The namespaces of the pods ``start`` would follow among ``pods`` (judged from their status
        alone), or, without them, of the pods followed now (and those awaiting a replacement); the most
        followed first: where a watch without cluster-wide events reads them."""
        if pods is None:
            chosen = list(self.pods.values()) + [pod for gone in self.waiting_for_replacement.values() for pod in gone]
        else:
            chosen = [pod for pod in pods if self.member(pod) and (self.follow_all or not all(
                _settled(view) for view in container_views(pod, [], now).values()))]
        counts: Dict[str, int] = {}
        for pod in chosen:
            counts[namespace_of(pod)] = counts.get(namespace_of(pod), 0) + 1
        return sorted(counts, key=lambda namespace: (-counts[namespace], namespace))

    def on_pod(self, kind: str, pod: Obj, now: datetime) -> List[Change]:
        """A pod ADDED, MODIFIED or DELETED (a relist says the same words)."""
        uid = uid_of(pod)
        self._count(pod, alive=kind != "DELETED")
        if uid in self.gone:
            return []
        if kind == "DELETED" or (dig(pod, "metadata", "deletionTimestamp") and uid in self.pods):
            # Being deleted is as good as gone: its controller creates the replacement at once.
            return self._deleted(pod, now) if uid in self.pods else []
        known = uid in self.pods
        if not known and not self._joins(pod, kind, now):
            return []
        views = self._views(pod, now)
        found: List[Change] = []
        if not known:
            found += self._pair(pod, now)
            if not found:
                found.append(Change(now, namespace_of(pod), name_of(pod), None, ADDED, "created"))
        before = self.views.get(uid, {})
        self.pods[uid], self.views[uid] = pod, views
        return found + state_changes(before, views, pod, now)

    def on_event(self, kind: str, event: Obj, now: datetime) -> List[Change]:
        """A pod event ADDED or MODIFIED: a line when it is new or its count grew."""
        if kind == "DELETED" or not self._remember_event(event):
            return []
        uid = str(involved(event).get("uid") or "")
        pod = self.pods.get(uid)
        if pod is None:
            return []
        views = self._views(pod, now)
        found = state_changes(self.views.get(uid, {}), views, pod, now)
        self.views[uid] = views
        change = event_change(event, pod, views, self._events_of(pod))
        if change is not None and not (change.change == PULL_FAILED and found):
            found.insert(0, change)
        return found

    def next_slow_pull(self) -> Optional[datetime]:
        """When the earliest pull under way of a followed container becomes slow (None: no pull under way):
        the engine wakes then, as a pull can turn slow while nothing about the pod changes."""
        due = [view.pulling_since + self.slow_pull_after for views in self.views.values() for view in views.values()
               if view.pulling_since is not None and not view.cause]
        return min(due) if due else None

    def on_time(self, now: datetime) -> List[Change]:
        """The followed pods whose pull crossed ``slow_pull_after`` by ``now``, looked at again: one
        ``slow pull`` line each (their view then carries the cause, so it is said once)."""
        found: List[Change] = []
        for uid, views in list(self.views.items()):
            if not any(view.pulling_since is not None and not view.cause and view.pulling_since + self.slow_pull_after <= now
                       for view in views.values()):
                continue
            pod = self.pods[uid]
            self.views[uid] = self._views(pod, now)
            found += state_changes(views, self.views[uid], pod, now)
        return found

    def outstanding(self) -> List[Outstanding]:
        """What is not running or completed yet, in pod order: named in a watch's last lines."""
        left: List[Outstanding] = []
        for uid, pod in sorted(self.pods.items(), key=lambda item: (namespace_of(item[1]), name_of(item[1]))):
            for container, view in self.views.get(uid, {}).items():
                if _settled(view):
                    continue
                state = "failing" if view.cause else ("exited" if view.state == "exited" else "waiting")
                text = f"{view.cause}: {view.summary}" if view.cause else (view.reason or "not started")
                left.append(Outstanding(namespace_of(pod), name_of(pod), container, state, text, view.cause, uid))
        for deleted in self.waiting_for_replacement.values():
            for pod in deleted:
                why = self.unknown.get(uid_of(pod)) or "its controller has not created a replacement yet"
                left.append(Outstanding(namespace_of(pod), name_of(pod), None, "replacing", f"deleted; {why}", None,
                                        uid_of(pod)))
        return left

    def recheck(self, now: datetime) -> List[Change]:
        """The deleted pods still awaited, asked again of their controllers (read anew): a controller
        scaled down after the pod went replaces nothing, said once (``not replaced``)."""
        found: List[Change] = []
        for group, deleted in list(self.waiting_for_replacement.items()):
            kept: List[Obj] = []
            for pod in deleted:
                verdict = self._replacement(pod, kept)
                if verdict.due is False:
                    self.unknown.pop(uid_of(pod), None)
                    found.append(Change(now, namespace_of(pod), name_of(pod), None, NOT_REPLACED,
                                        f"not replaced: {verdict.why}"))
                    continue
                self.unknown[uid_of(pod)] = verdict.why
                kept.append(pod)
            if kept:
                self.waiting_for_replacement[group] = kept
            else:
                del self.waiting_for_replacement[group]
        return found

    def forget(self, uids: "frozenset[str]") -> None:
        """Stop following these pods (``retry``: the ones whose delete was skipped or failed)."""
        for uid in uids:
            self.pods.pop(uid, None)
            self.views.pop(uid, None)

    @property
    def following(self) -> int:
        return len(self.pods) + sum(len(pods) for pods in self.waiting_for_replacement.values())

    # -- bookkeeping -----------------------------------------------------------------------

    def _joins(self, pod: Obj, kind: str, now: datetime) -> bool:
        """A pod not followed yet joins as a replacement; else, of the target, when it is new (a target's,
        or a sibling of a followed pod) or shows a problem."""
        group = self.group(pod)
        if group and group in self.waiting_for_replacement:
            return True
        if not self.member(pod):
            return False
        if kind == "ADDED" and (self.follow_all or (group and group in {self.group(p) for p in self.pods.values()})):
            return True
        return any(view.cause for view in container_views(pod, [], now).values())

    def _deleted(self, pod: Obj, now: datetime) -> List[Change]:
        uid = uid_of(pod)
        self.gone.add(uid)
        self.pods.pop(uid, None)
        self.views.pop(uid, None)
        self.events.pop(uid, None)
        controller = self.group(pod)
        waiting = self.replacements.get(controller or "", [])
        if controller and waiting:
            return [self._replaced(pod, waiting.pop(0), now)]
        verdict = self._replacement(pod, [p for pods in self.waiting_for_replacement.values() for p in pods])
        if verdict.due is False:
            return [Change(now, namespace_of(pod), name_of(pod), None, DELETED, f"deleted (not replaced: {verdict.why})")]
        if controller:
            self.waiting_for_replacement.setdefault(controller, []).append(pod)
            if verdict.why:
                self.unknown[uid] = verdict.why
        return [Change(now, namespace_of(pod), name_of(pod), None, DELETED,
                       f"deleted ({verdict.why})" if controller and verdict.why else "deleted")]

    def _count(self, pod: Obj, alive: bool) -> None:
        """Keep each controller's active pods: not deleted (or being deleted) and not finished."""
        owner = controller_uid(pod)
        active = alive and not dig(pod, "metadata", "deletionTimestamp") and \
            dig(pod, "status", "phase") not in ("Succeeded", "Failed")
        if owner and active:
            self.live.setdefault(owner, set()).add(uid_of(pod))
        elif owner and owner in self.live:
            self.live[owner].discard(uid_of(pod))

    def _replacement(self, pod: Obj, awaited: List[Obj]) -> Replacement:
        """What its controller (read now) says of a deleted pod's replacement, the pods of the same
        controller in ``awaited`` counting as already owed one."""
        owner = controller_uid(pod)
        if not owner:
            return replacement(pod, None, 0)
        ahead = sum(1 for other in awaited if controller_uid(other) == owner and uid_of(other) != uid_of(pod))
        return replacement(pod, self.controller(pod), len(self.live.get(owner, ())), ahead)

    def _pair(self, pod: Obj, now: datetime) -> List[Change]:
        """A new pod of a controller: the replacement of a deleted pod of it, if one is waiting."""
        controller = self.group(pod)
        if not controller:
            return []
        deleted = self.waiting_for_replacement.get(controller)
        if not deleted:
            self.replacements.setdefault(controller, []).append(name_of(pod))
            return []
        same = [index for index, old in enumerate(deleted) if name_of(old) == name_of(pod)]  # a StatefulSet's
        old = deleted.pop(same[0] if same else 0)
        self.unknown.pop(uid_of(old), None)
        if not deleted:
            del self.waiting_for_replacement[controller]
        return [self._replaced(old, name_of(pod), now)]

    @staticmethod
    def _replaced(old: Obj, new_name: str, now: datetime) -> Change:
        return Change(now, namespace_of(old), name_of(old), None, REPLACED, f"replaced by {new_name}",
                      replacement=new_name)

    def _remember_event(self, event: Obj) -> bool:
        """Keep a pod event; True when it is new or its count grew (a relist repeats old ones)."""
        key = str(dig(event, "metadata", "uid") or f"{namespace_of(event)}/{name_of(event)}")
        count = count_of(event)
        if self.counts.get(key, 0) >= count:
            return False
        self.counts[key] = count
        uid = str(involved(event).get("uid") or "")
        self.events.setdefault(uid, {})[key] = event
        if uid not in self.pods and len(self.events) > _UNKNOWN_EVENTS_KEPT + len(self.pods):
            stale = next(other for other in self.events if other not in self.pods)
            self.events.pop(stale)
        return True

    def _views(self, pod: Obj, now: datetime) -> Dict[Optional[str], ContainerView]:
        return container_views(pod, self._events_of(pod), now, self.slow_pull_after)

    def _events_of(self, pod: Obj) -> List[Obj]:
        return list(self.events.get(uid_of(pod), {}).values())


def controller_uid(pod: Obj) -> Optional[str]:
    """The uid of the controller that recreates ``pod`` when it is deleted; None for a bare pod."""
    ref = owner_reference(pod) or {}
    return str(ref.get("uid") or "") or None if ref.get("controller") else None

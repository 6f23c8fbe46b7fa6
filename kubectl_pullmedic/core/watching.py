"""What changed, as ``why --watch`` and ``retry`` follow pods: the previous and new state of a pod
(and its new events) in, typed ``Change``s out.

Pure: the watch streams are read in ``cluster.watch``, the loop runs in ``engine.watch``; here
``Follow`` only keeps what it was told (pods by uid, their pull events, which pods are followed)
and says what is new. A container's cause always comes from ``diagnose.diagnose_pods``, so a
line says exactly what ``why`` would; a pull attempt from the kubelet's ``Pulling`` event (its
count is the attempt), a pull's duration from its ``Pulled`` event. A pod of a controller that is
deleted is followed into the pod that replaces it (same controller uid).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Dict, List, Optional, Set, Tuple

from .diagnose import diagnose_pods
from .kube import Obj, dig, iter_containers, name_of, namespace_of, owner_reference, uid_of
from .podevents import EventIndex, container_of, count_of, involved, is_failed_pull, last_seen, message_of, reason_of
from .podhealth import waiting_reason
from .pulls.pulled import pulled_seconds, spoken_seconds

FAILING, CAUSE_CHANGED, PULL_FAILED = "failing", "cause-changed", "pull-failed"
PULLING, PULLED, RUNNING, COMPLETED, WAITING, EXITED = "pulling", "pulled", "running", "completed", "waiting", "exited"
DELETED, REPLACED, ADDED = "deleted", "replaced", "added"

_STARTING = ("ContainerCreating", "PodInitializing")
_UNKNOWN_EVENTS_KEPT = 2000  # events of pods not seen yet (they can arrive before their pod), oldest dropped


@dataclass(frozen=True)
class Change:
    """One thing that happened to a followed pod, as one watch line says it."""

    at: Optional[datetime]
    namespace: str
    pod: str
    container: Optional[str]
    change: str  # failing | cause-changed | pull-failed | pulling | pulled | running | completed | waiting | exited | added | deleted | replaced
    text: str  # "pulling (attempt 6)", "pulled in 3.2 s", "ImageNotFound: ..."
    cause: Optional[str] = None
    attempt: Optional[int] = None
    seconds: Optional[float] = None
    replacement: Optional[str] = None

    KIND = "PodChange"
    DOCUMENT_FIELDS = ("kind", "at", "namespace", "pod", "container", "change", "text", "cause", "attempt", "seconds",
                       "replacement")

    @property
    def kind(self) -> str:
        return self.KIND


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

    @property
    def settled(self) -> bool:
        return not self.outstanding


@dataclass(frozen=True)
class ContainerView:
    """What one container is doing, and its cause when ``why`` diagnoses it."""

    state: str  # running | completed | exited | waiting | none
    reason: str = ""  # the waiting or terminated reason
    cause: Optional[str] = None
    summary: str = ""


def container_views(pod: Obj, events: List[Obj], now: datetime) -> Dict[Optional[str], ContainerView]:
    """Each container's state and its diagnosis (``None`` keys a pod-level one: an eviction)."""
    causes = {d.container: d for d in diagnose_pods([pod], EventIndex(events), now=now)}
    views: Dict[Optional[str], ContainerView] = {}
    for _, spec, status in iter_containers(pod):
        name = str(spec.get("name") or "")
        state = dig(status, "state") or {}
        terminated = state.get("terminated") if isinstance(state, dict) else None
        if isinstance(state, dict) and state.get("running"):
            view = ContainerView("running")
        elif isinstance(terminated, dict):
            code = terminated.get("exitCode")
            reason = str(terminated.get("reason") or "")
            view = ContainerView("completed", reason) if code == 0 else ContainerView("exited", f"{reason or 'Error'}"
                                                                                     f" (exit code {code})")
        else:
            view = ContainerView("waiting" if waiting_reason(status) else "none", waiting_reason(status) or "")
        diagnosis = causes.get(name)
        if diagnosis is not None:
            view = ContainerView(view.state, view.reason, diagnosis.cause, diagnosis.summary)
        views[name] = view
    if None in causes:
        views[None] = ContainerView("exited", "Evicted", causes[None].cause, causes[None].summary)
    return views


def state_changes(before: Dict[Optional[str], ContainerView], after: Dict[Optional[str], ContainerView],
                  pod: Obj, now: datetime) -> List[Change]:
    """The changes between two views of one pod: a new or changed cause, a container running, ended."""
    found: List[Change] = []
    namespace, name = namespace_of(pod), name_of(pod)
    for container, new in after.items():
        old = before.get(container)
        if new.cause and (old is None or not old.cause):
            found.append(Change(now, namespace, name, container, FAILING, f"{new.cause}: {new.summary}", new.cause))
        elif new.cause and old is not None and old.cause and new.cause != old.cause:
            found.append(Change(now, namespace, name, container, CAUSE_CHANGED,
                                f"{old.cause} -> {new.cause}: {new.summary}", new.cause))
        if old is not None and old.state == new.state and old.reason == new.reason:
            continue
        if new.state == "running":
            found.append(Change(now, namespace, name, container, RUNNING, "running"))
        elif new.state == "completed":
            found.append(Change(now, namespace, name, container, COMPLETED, "completed"))
        elif new.state == "exited" and container is not None:
            found.append(Change(now, namespace, name, container, EXITED, f"exited: {new.reason}"))
        elif new.state == "waiting" and not new.cause and new.reason not in _STARTING and old is not None:
            found.append(Change(now, namespace, name, container, WAITING, f"waiting: {new.reason}"))
    return found


def failed_pulls(events: List[Obj], where: Optional[Tuple[str, str]]) -> int:
    """How many pulls of one container have failed: the counts of its ``Failed to pull`` events (one
    object per distinct error, so they add up)."""
    return sum(count_of(event) for event in events if is_failed_pull(event) and container_of(event) == where)


def event_change(event: Obj, pod: Obj, views: Dict[Optional[str], ContainerView], events: List[Obj] = ()) -> Optional[Change]:
    """The line a new (or recounted) kubelet event makes: a pull started, ended, or failed again.

    The attempt is the pull's number for its container: one more than the pulls that failed
    before, as the ``Failed`` events count them (or the ``Pulling`` event's own count if higher).
    """
    where = container_of(event)
    container = where[1] if where else None
    reason, at = reason_of(event), last_seen(event)
    namespace, name = namespace_of(pod), name_of(pod)
    if reason == "Pulling":
        failed = failed_pulls(list(events), where)
        attempt = max(count_of(event), failed + 1 if failed else 1)
        text = "pulling" if attempt == 1 else f"pulling (attempt {attempt})"
        return Change(at, namespace, name, container, PULLING, text, attempt=attempt)
    if reason == "Pulled":
        took, waited = pulled_seconds(message_of(event))
        if took is None:
            return Change(at, namespace, name, container, PULLED, "image already present on the node")
        text = f"pulled in {spoken_seconds(took)}"
        if waited is not None and waited - took >= 1:
            text += f" (after {spoken_seconds(waited - took)} waiting for the node's other pulls)"
        return Change(at, namespace, name, container, PULLED, text, seconds=took)
    if is_failed_pull(event):
        view = views.get(container)
        if view is None or not view.cause:
            return None  # the pod's status has not caught up: its failing line follows with the cause
        attempt = max(count_of(event), failed_pulls(list(events), where))
        return Change(at, namespace, name, container, PULL_FAILED, f"pull failed (attempt {attempt}): {view.cause}",
                      view.cause, attempt=attempt)
    return None


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
    # The replicas a deleted pod's controller wants now (its spec, read by the engine when a followed pod
    # goes; None: unknown), against the pods of it still alive, so a scale-down is not awaited as a replacement.
    desired: Callable[[Obj], Optional[int]] = lambda pod: None
    live: Dict[str, Set[str]] = field(default_factory=dict)  # controller uid -> its pods seen alive (every pod streamed)

    def start(self, pods: List[Obj], events: List[Obj], now: datetime) -> None:
        """The listed state: remembered, no lines."""
        for event in events:
            self._remember_event(event)
        for pod in pods:
            self._count(pod, alive=not dig(pod, "metadata", "deletionTimestamp"))
            if not self.member(pod):
                continue
            views = container_views(pod, self._events_of(pod), now)
            if self.follow_all or not all(_settled(view) for view in views.values()):
                self.pods[uid_of(pod)], self.views[uid_of(pod)] = pod, views

    def on_pod(self, kind: str, pod: Obj, now: datetime) -> List[Change]:
        """A pod ADDED, MODIFIED or DELETED (a relist says the same words)."""
        uid = uid_of(pod)
        self._count(pod, alive=kind != "DELETED" and not dig(pod, "metadata", "deletionTimestamp"))
        if uid in self.gone:
            return []
        if kind == "DELETED" or (dig(pod, "metadata", "deletionTimestamp") and uid in self.pods):
            # Being deleted is as good as gone: its controller creates the replacement at once.
            return self._deleted(pod, now) if uid in self.pods else []
        known = uid in self.pods
        if not known and not self._joins(pod, kind, now):
            return []
        views = container_views(pod, self._events_of(pod), now)
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
        views = container_views(pod, self._events_of(pod), now)
        found = state_changes(self.views.get(uid, {}), views, pod, now)
        self.views[uid] = views
        change = event_change(event, pod, views, self._events_of(pod))
        if change is not None and not (change.change == PULL_FAILED and found):
            found.insert(0, change)
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
                left.append(Outstanding(namespace_of(pod), name_of(pod), None, "replacing",
                                        "deleted; its controller has not created a replacement yet", None, uid_of(pod)))
        return left

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
        scaled = self._scaled_down(pod)
        if scaled:
            return [Change(now, namespace_of(pod), name_of(pod), None, DELETED, f"deleted (not replaced: {scaled})")]
        if controller:
            self.waiting_for_replacement.setdefault(controller, []).append(pod)
        return [Change(now, namespace_of(pod), name_of(pod), None, DELETED, "deleted")]

    def _count(self, pod: Obj, alive: bool) -> None:
        owner = controller_uid(pod)
        if owner and alive:
            self.live.setdefault(owner, set()).add(uid_of(pod))
        elif owner and owner in self.live:
            self.live[owner].discard(uid_of(pod))

    def _scaled_down(self, pod: Obj) -> str:
        """Why nothing will replace a deleted pod ("the ReplicaSet scaled down"), or "" (a replacement
        is due, or it is not known): its controller wants no more pods than it still has."""
        owner = controller_uid(pod)
        desired = self.desired(pod) if owner else None
        if desired is None or desired > len(self.live.get(owner or "", ())):
            return ""
        return f"the {(owner_reference(pod) or {}).get('kind') or 'controller'} scaled down"

    def _pair(self, pod: Obj, now: datetime) -> List[Change]:
        """A new pod of a controller: the replacement of a deleted pod of it, if one is waiting."""
        controller = self.group(pod)
        if not controller:
            return []
        deleted = self.waiting_for_replacement.get(controller)
        if not deleted:
            self.replacements.setdefault(controller, []).append(name_of(pod))
            return []
        old = deleted.pop(0)
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

    def _events_of(self, pod: Obj) -> List[Obj]:
        return list(self.events.get(uid_of(pod), {}).values())


def controller_uid(pod: Obj) -> Optional[str]:
    """The uid of the controller that recreates ``pod`` when it is deleted; None for a bare pod."""
    ref = owner_reference(pod) or {}
    return str(ref.get("uid") or "") or None if ref.get("controller") else None

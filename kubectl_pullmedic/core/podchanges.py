"""One followed pod's changes, as ``why --watch`` and ``retry`` print them: each container's view
(state, and its cause from ``diagnose.diagnose_pods``, so a line says exactly what ``why`` would; a
pull under way), the changes between two views, and the line a kubelet pull event makes (a pull
attempt from the ``Pulling`` event's count, a pull's duration from its ``Pulled`` event).

Pure; ``core.watching.Follow`` keeps the pods and calls these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, List, Optional, Tuple

from .causes import SLOW_PULL as SLOW_PULL_CAUSE
from .diagnose import diagnose_pods
from .durations import human_duration
from .kube import Obj, dig, iter_containers, name_of, namespace_of
from .podevents import EventIndex, container_of, count_of, is_failed_pull, last_seen, message_of, reason_of
from .podhealth import waiting_reason
from .pulls.progress import SLOW_PULL_AFTER, running_pull
from .pulls.pulled import pulled_seconds, spoken_seconds

FAILING, CAUSE_CHANGED, PULL_FAILED = "failing", "cause-changed", "pull-failed"
PULLING, PULLED, RUNNING, COMPLETED, WAITING, EXITED = "pulling", "pulled", "running", "completed", "waiting", "exited"
DELETED, REPLACED, ADDED, SLOW_PULL = "deleted", "replaced", "added", "slow-pull"
NOT_REPLACED = "not-replaced"  # a deleted pod awaited until its controller, read again, wanted no replacement

_STARTING = ("ContainerCreating", "PodInitializing")

@dataclass(frozen=True)
class Change:
    """One thing that happened to a followed pod, as one watch line says it."""

    at: Optional[datetime]
    namespace: str
    pod: str
    container: Optional[str]
    change: str  # failing | cause-changed | pull-failed | pulling | pulled | slow-pull | running | completed | waiting | exited | added | deleted | replaced | not-replaced
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
class ContainerView:
    """What one container is doing, and its cause when ``why`` diagnoses it."""

    state: str  # running | completed | exited | waiting | none
    reason: str = ""  # the waiting or terminated reason
    cause: Optional[str] = None
    summary: str = ""
    pulling_since: Optional[datetime] = None  # a pull under way (its ``Pulling`` event, no outcome after it)


def container_views(pod: Obj, events: List[Obj], now: datetime,
                    slow_pull_after: timedelta = SLOW_PULL_AFTER) -> Dict[Optional[str], ContainerView]:
    """Each container's state and its diagnosis (``None`` keys a pod-level one: an eviction)."""
    causes = {d.container: d for d in diagnose_pods([pod], EventIndex(events), now=now, slow_pull_after=slow_pull_after)}
    pod_events = EventIndex(events).for_pod(pod) if events else []
    views: Dict[Optional[str], ContainerView] = {}
    for field_path, spec, status in iter_containers(pod):
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
        pulling = running_pull(pod_events, field_path, spec, status) if pod_events else None
        diagnosis = causes.get(name)
        view = ContainerView(view.state, view.reason, diagnosis.cause if diagnosis else None,
                             diagnosis.summary if diagnosis else "", last_seen(pulling) if pulling else None)
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
        if new.cause == SLOW_PULL_CAUSE and new.pulling_since and (old is None or not old.cause):
            found.append(Change(now, namespace, name, container, SLOW_PULL, _slow_pull_text(new, pod, now), new.cause))
        elif new.cause and (old is None or not old.cause):
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


def _slow_pull_text(view: ContainerView, pod: Obj, now: datetime) -> str:
    """``slow pull: pulling for 5m2s and not finished (node worker-1)``."""
    took = human_duration(max(0.0, (now - view.pulling_since).total_seconds())) if view.pulling_since else "long"
    node = dig(pod, "spec", "nodeName")
    return f"slow pull: pulling for {took} and not finished" + (f" (node {node})" if isinstance(node, str) and node else "")


def failed_pulls(events: List[Obj], where: Optional[Tuple[str, str]]) -> int:
    """How many pulls of one container have failed: the counts of its ``Failed to pull`` events (one
    object per distinct error, so they add up)."""
    return sum(count_of(event) for event in events if is_failed_pull(event) and container_of(event) == where)


def event_change(event: Obj, pod: Obj, views: Dict[Optional[str], ContainerView], events: List[Obj] = ()) -> Optional[Change]:
    """The line a new (or recounted: the kubelet's correlator updates one object, a MODIFIED with a higher
    count) kubelet event makes: a pull started, ended, or failed again; None when it says nothing new.

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
        if took is None:  # recounted (a container restarted) it says nothing new: once is enough
            return None if count_of(event) > 1 else Change(at, namespace, name, container, PULLED,
                                                           "image already present on the node")
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

"""``why --watch`` (and ``retry``'s follow-up): list, then watch pods and their pull events, and hand
each change to the caller as it happens, until every followed container runs or completes, the
deadline passes, or Ctrl-C.

Reads: one pod stream (the scope, or the target's namespace) and three pod-event streams
selected on the server as ``why`` selects them (Warning events, Normal ``Pulling``, Normal
``Pulled``); each lists first and watches from its list's resourceVersion (``cluster.watch``).
Besides the streams: a deleted followed pod's controller, one GET per controller per batch, again
on a doubling timer while its replacement is awaited (``core.replacements`` decides).
Which pods are followed, and what each change is, is decided in ``core.watching``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Dict, FrozenSet, List, Optional, Set, Tuple

from ..cluster.api import Cluster, Obj
from ..cluster.gather import PULL_PROGRESS_EVENTS, WARNING_POD_EVENTS, INTERMEDIATES, RESOURCE_OF_KIND, Scope, target_reads
from ..cluster.feed import Feed
from ..cluster.watch import WatchSpec
from ..core.kube import name_of, namespace_of, owner_reference, uid_of
from ..core.pulls.progress import SLOW_PULL_AFTER
from ..core.replacements import CONTROLLERS, ControllerRead
from ..core.watching import Change, Follow, WatchOutcome, controller_uid
from ..errors import Forbidden, NotFound, PullmedicError

INTERRUPTED, SETTLED, FAILED_AGAIN, TIMED_OUT = "interrupted", "settled", "failed-again", "timeout"
WAKE_SLACK = 0.05  # seconds past a pull's slow-pull time: SlowPull is "longer than", never "as long as"
# A deleted pod awaiting its replacement: its controller is read again after these many seconds, doubling
# up to the cap (a scale-down after the pod went), one GET per controller each time: at most ~25 reads in 10 min.
RECHECK_FIRST, RECHECK_CAP = 2.0, 30.0


@dataclass(frozen=True)
class WatchQuery:
    scope: Scope
    target: Optional[Tuple[str, str]] = None  # (kind, name) of POD or TYPE/NAME
    timeout: Optional[timedelta] = None  # --timeout: the whole watch ends then
    pods: FrozenSet[str] = frozenset()  # retry: follow only these pods (uids) and their replacements,
    # until each replacement runs or fails again with a cause
    slow_pull: timedelta = SLOW_PULL_AFTER  # --slow-pull: a pull running longer is said once, when it crosses it
    pod_selector: Optional[str] = None  # retry's workload: its label selector, so the pod stream reads only its pods


class Members:
    """Whether a pod belongs to the watch's target: one of its pods, or a new pod of the same
    controller, or (a rollout) of a new ReplicaSet or Job of the same workload, which is read
    once by name to see whose it is."""

    def __init__(self, cluster: Cluster, target: Optional[Tuple[str, str]], pods: List[Obj],
                 intermediates: List[Obj] = (), only: FrozenSet[str] = frozenset()) -> None:
        self.cluster, self.target, self.restricted = cluster, target, bool(only or target)
        self.uids: Set[str] = set(only) if only else {uid_of(pod) for pod in pods}
        # A workload's pods share their controllers; a named pod (or retry's) is followed into its
        # replacement by ``Follow`` itself, never into its siblings.
        by_owner = not only and target is not None and target[0] != "Pod"
        self.owners: Set[str] = {controller_uid(pod) or "" for pod in pods} - {""} if by_owner else set()
        self.workloads: Set[str] = {str((owner_reference(obj) or {}).get("uid") or "") for obj in intermediates} - {""}
        self.checked: Dict[str, bool] = {}

    def __call__(self, pod: Obj) -> bool:
        if not self.restricted or uid_of(pod) in self.uids:
            return True
        owner = controller_uid(pod)
        if owner in self.owners:
            return True
        if not owner or not self.workloads or not self.target or self.target[0] not in INTERMEDIATES:
            return False
        if owner not in self.checked:
            self.checked[owner] = self._owned_by_workload(pod)
        if self.checked[owner]:
            self.owners.add(owner)
        return self.checked[owner]

    def _owned_by_workload(self, pod: Obj) -> bool:
        ref = owner_reference(pod) or {}
        resource = INTERMEDIATES[self.target[0]]
        if ref.get("kind") != {"replicasets": "ReplicaSet", "jobs": "Job"}[resource]:
            return False
        try:
            middle = self.cluster.get(resource, str(ref.get("name") or ""), namespace_of(pod))
        except (NotFound, PullmedicError):
            return False
        return str((owner_reference(middle) or {}).get("uid") or "") in self.workloads


class Watch:
    """One watch: ``open()`` lists (before anything is deleted, for ``retry``), ``run()`` follows."""

    def __init__(self, cluster: Cluster, query: WatchQuery, clock: Callable[[], datetime]) -> None:
        self.cluster, self.query, self.clock = cluster, query, clock
        namespace = query.scope.namespace
        if query.target and namespace is None:
            namespace = cluster.namespace
        self.namespace = namespace
        label = query.pod_selector or (None if query.target else query.scope.label_selector)
        specs = [WatchSpec("pods", namespace, label_selector=label)]
        specs += [WatchSpec("events", namespace, field_selector=selector)
                  for selector in (WARNING_POD_EVENTS,) + PULL_PROGRESS_EVENTS]
        self.deadline = time.monotonic() + query.timeout.total_seconds() if query.timeout is not None else None
        self.feed = Feed(cluster, specs, self.deadline)
        self.follow: Optional[Follow] = None
        self._controllers: Dict[str, ControllerRead] = {}  # controller uid -> as read this batch
        self._recheck_every: float = RECHECK_FIRST  # seconds to the next recheck of awaited replacements
        self._recheck_at: Optional[float] = None  # its monotonic time (None: nothing awaited)

    def open(self) -> Follow:
        """List every stream and decide which pods are followed."""
        query = self.query
        workload = bool(query.target) and query.target[0] != "Pod" and not query.pods
        mine: Optional[List[Obj]] = None
        intermediates: List[Obj] = []
        if workload and query.target[0] in RESOURCE_OF_KIND:
            try:  # the target's pods, as ``why TARGET`` finds them (the owner chain decides)
                reads = target_reads(self.cluster, Scope(self.namespace), *query.target)
                mine, intermediates = reads.pods, reads.intermediates
                if reads.selector:  # its replacements carry the same labels; other workloads' pods stay unread
                    self.feed.narrow("pods", reads.selector)
            except NotFound:
                mine = []
        lists = self.feed.list_all(optional=("events",))
        pods, events = lists[0], [event for listed in lists[1:] for event in listed]
        if mine is None:
            mine = [pod for pod in pods if (uid_of(pod) in query.pods if query.pods else
                                            not query.target or name_of(pod) == query.target[1])]
        members = Members(self.cluster, query.target, mine, intermediates, query.pods)
        self.follow = Follow(member=members, follow_all=bool(query.target) and not query.pods, controller=self._controller,
                             slow_pull_after=query.slow_pull,
                             group=(lambda pod: "workload" if controller_uid(pod) else None) if workload
                             else controller_uid)
        if self.feed.deferred:  # events refused cluster-wide: read in the followed pods' namespaces
            events += self.feed.optional_in(self.follow.namespaces(self.clock(), pods))
        self.follow.start(pods, events, self.clock())
        return self.follow

    def run(self, on_change: Callable[[Change], None], on_notice: Callable[[str], None] = lambda text: None) -> WatchOutcome:
        """Follow until settled, the deadline, or Ctrl-C (``KeyboardInterrupt`` carries no outcome: ask
        ``outcome(INTERRUPTED)``); a stream that cannot go on (401, 403) raises its error."""
        follow = self.follow or self.open()
        for warning in dict.fromkeys(self.feed.warnings):
            on_notice(warning)
        if self.ended():
            return self.outcome(self.ended())
        self.feed.start()
        try:
            while True:
                updates = self.feed.batch(wake_at=self._wake_at(follow))
                self._controllers.clear()  # a controller is read at most once per batch
                if updates is None:
                    return self.outcome(TIMED_OUT)
                for change in follow.on_time(self.clock()):  # a pull that turned slow meanwhile
                    on_change(change)
                for update in updates:
                    if update.type == "FAILED" and update.error is not None:
                        recovered = self.feed.recover(update, follow.namespaces(self.clock()))
                        if recovered is None:
                            raise update.error
                        for warning in recovered:
                            on_notice(warning)
                        continue
                    if update.type == "NOTICE":
                        on_notice(str(update.obj.get("message") or ""))
                        continue
                    handle = follow.on_pod if update.resource == "pods" else follow.on_event
                    for change in handle(update.type, update.obj, self.clock()):
                        on_change(change)
                for change in self._recheck(follow):  # after the batch: a replacement in it is paired first
                    on_change(change)
                if self.ended():
                    return self.outcome(self.ended())
        finally:
            self.feed.close()

    def _wake_at(self, follow: Follow) -> Optional[float]:
        """The monotonic time at which a followed pull turns slow (a timer: nothing is asked of the API),
        or the awaited replacements are to be asked of their controllers again, whichever is first."""
        if not follow.waiting_for_replacement:
            self._recheck_every, self._recheck_at = RECHECK_FIRST, None
        elif self._recheck_at is None:
            self._recheck_at = time.monotonic() + self._recheck_every
        due = follow.next_slow_pull()
        slow = None if due is None else time.monotonic() + max(0.0, (due - self.clock()).total_seconds()) + WAKE_SLACK
        times = [when for when in (slow, self._recheck_at) if when is not None]
        return min(times) if times else None

    def _recheck(self, follow: Follow) -> List[Change]:
        """At its time, the awaited replacements asked again (each controller read once); the next
        time is twice as far, up to ``RECHECK_CAP``."""
        if self._recheck_at is None or time.monotonic() < self._recheck_at or not follow.waiting_for_replacement:
            return []
        self._recheck_every = min(self._recheck_every * 2, RECHECK_CAP)
        self._recheck_at = None
        return follow.recheck(self.clock())

    def _controller(self, pod: Obj) -> Optional[ControllerRead]:
        """The controller of a deleted pod as it is now, read when a followed pod goes or at a recheck
        (one GET per controller per batch, so a scale-down of many pods costs one read); None for a kind
        a watch does not read. Refused or unreachable is not known; 404 is gone."""
        ref = owner_reference(pod) or {}
        kind, uid = str(ref.get("kind") or ""), str(ref.get("uid") or "")
        if kind not in CONTROLLERS or not uid:
            return None
        if uid not in self._controllers:
            try:
                read = ControllerRead(kind, uid, self.cluster.get(CONTROLLERS[kind], str(ref.get("name") or ""),
                                                                 namespace_of(pod)))
            except NotFound:
                read = ControllerRead(kind, uid)
            except Forbidden:
                read = ControllerRead(kind, uid, refused="forbidden")
            except PullmedicError:  # unreachable, a 5xx after its retries
                read = ControllerRead(kind, uid, refused="failing")
            self._controllers[uid] = read
        return self._controllers[uid]

    def ended(self) -> str:
        """SETTLED when nothing is outstanding; for ``retry``, FAILED_AGAIN when only replacements remain
        and each fails with a cause; else "" (go on)."""
        left = (self.follow or Follow()).outstanding()
        if not left:
            return SETTLED
        if self.query.pods and all(item.state == "failing" and item.uid not in self.query.pods for item in left):
            return FAILED_AGAIN
        return ""

    def outcome(self, ended: str) -> WatchOutcome:
        follow = self.follow or Follow()
        return WatchOutcome(ended, follow.following, follow.outstanding(),
                            sum(stream.relists for stream in self.feed.streams),
                            sum(stream.reconnects for stream in self.feed.streams), len(follow.gone),
                            list(self.feed.unread))


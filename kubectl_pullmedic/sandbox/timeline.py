"""Scripted timelines: a scenario that moves, so a fix can be followed to a running pod.

A scenario file is a ``v1 List`` of objects with a ``timeline:`` beside ``items:``::

    timeline:
      replicaSets: [shop/web-6f7d8c9b5]     # recreate their deleted pods from spec.template
      pulls:                                # the sandbox kubelet's answer, first match wins
      - {namespace: shop, replicaSet: web-6f7d8c9b5, needsSecret: regcred,
         error: 'rpc error: ... 401 Unauthorized', seconds: 2.4}
      steps:
      - {name: secret-created, at: 5s, create: {apiVersion: v1, kind: Secret, ...}}
      - {name: pods-pull, when: {exists: secret/shop/regcred}, at: 10s,
         pull: {namespace: shop, replicaSet: web-6f7d8c9b5}}

A step runs once, at ``at`` after the timeline starts, or after another step ran (``after:
NAME``), or after a condition first holds (``when: {exists|absent: KIND/NS/NAME}``). It does one
thing: ``create`` (or replace) an object, ``patch`` one (a merge patch: ``{kind, namespace,
name, merge}``), ``delete`` one (``{kind, namespace, name}``), or ``pull``: one pull attempt for
the matching pods that are not running, whose outcome the ``pulls`` rules decide (a rule with
``needsSecret`` fails while that secret is absent; one without always fails; no rule: the pull
succeeds) unless the step says ``outcome: succeed|fail``; a rule with ``retryEvery: 10s`` also
makes each failing pod it covers try again that often, as the kubelet's back-off does. A pod of
a listed ReplicaSet that is deleted (by anyone) is replaced at once, and the replacement's first
pull follows the rules.

The clock is real (scaled by ``speed``) or manual: ``advance(seconds)`` moves a manual one, and
``run_step(name)`` runs a step now whatever its trigger, so tests need not sleep.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional, Tuple

import kubectl_pullmedic.sandbox.jsonpatch as jsonpatch
import kubectl_pullmedic.sandbox.kubelet as kubelet
from kubectl_pullmedic.core.kube import as_list, dig
from kubectl_pullmedic.sandbox.changes import DELETED, TooOld
from kubectl_pullmedic.sandbox.resources import resolve
from kubectl_pullmedic.sandbox.store import ObjectStore
from kubectl_pullmedic.sandbox.timelinespec import PullRule, Step, parse

Obj = Dict[str, Any]


class Timeline:
    """Runs a scenario's steps and reactions against a store, on a real or a manual clock."""

    def __init__(self, store: ObjectStore, document: Obj, now: Callable[[], datetime],
                 manual: bool = False, speed: float = 1.0) -> None:
        self.steps, self.rules, self.replica_sets = parse(document)
        self.store, self.now, self.manual, self.speed = store, now, manual, speed
        self._lock = threading.RLock()
        self._seen = int(store.resource_version)
        self._manual_time = 0.0
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.log: List[Tuple[float, str]] = []  # (timeline time, what happened), for tests and demos
        self.ran: List[str] = []  # the steps in the order they ran
        self._retries: Dict[str, Tuple[str, str, float]] = {}  # pod uid -> (namespace, name, next attempt)

    # ----- the clock and the runner ----------------------------------------------------

    def time(self) -> float:
        """Seconds of timeline time since it started."""
        if self.manual:
            return self._manual_time
        return (time.monotonic() - self._started) * self.speed

    def start(self) -> None:
        self._stop.clear()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="pullmedic-timeline", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self.settle()
            self.store.changes.wait_past(self._seen, self._wait_seconds())

    def _wait_seconds(self) -> float:
        upcoming = self._next_due(float("inf"))
        if self.manual or upcoming is None:
            return 0.1
        return min(max((upcoming[0] - self.time()) / max(self.speed, 1e-6), 0.0), 0.1)

    # ----- what tests call ------------------------------------------------------------

    def advance(self, by: float) -> List[str]:
        """Move a manual clock by ``by`` seconds, running every step due on the way, in order."""
        if not self.manual:
            raise ValueError("advance() needs a manual timeline clock")
        target = self._manual_time + by
        with self._lock:
            first = len(self.ran)
            while True:
                self.settle()
                upcoming = self._next_due(target)
                if upcoming is None:
                    break
                self._manual_time = max(self._manual_time, upcoming[0])
                self._run_due(upcoming)
            self._manual_time = target
            self.settle()
            return self.ran[first:]

    def run_step(self, name: str) -> None:
        """Run a step now, whatever its trigger; its followers are timed from now."""
        with self._lock:
            step = self._named(name)
            if step.ran_at is not None:
                raise ValueError(f"timeline step {name!r} already ran")
            self.settle()
            self._execute(step)
            self.settle()

    def pending(self) -> List[str]:
        with self._lock:
            return [step.name for step in self.steps if step.ran_at is None]

    def settle(self) -> None:
        """React to every write so far (replacements, conditions) and run the steps now due."""
        with self._lock:
            for _ in range(1000):  # reactions write too; stop if a scenario loops
                changed = self._react()
                self._trigger()
                self._schedule_retries()
                upcoming = self._next_due(self.time())
                if upcoming is not None:
                    self._run_due(upcoming)
                elif not changed:
                    return

    def pull(self, namespace: str, pod: str, outcome: str = "") -> Obj:
        """One pull attempt for a pod now, decided by the rules unless ``outcome`` says."""
        with self._lock:
            entry = self.store.get(kubelet.PODS, namespace, pod)
            if entry is None:
                raise ValueError(f"no pod {namespace}/{pod}")
            return self._pull(entry.decode(), outcome)

    # ----- internals -------------------------------------------------------------------

    def _next_due(self, until: float) -> Optional[Tuple[float, int, Any]]:
        """The earliest step or back-off retry due by ``until``: (time, 0, step index) or (time, 1, uid)."""
        due: List[Tuple[float, int, Any]] = [
            (step.due, 0, index) for index, step in enumerate(self.steps)
            if step.ran_at is None and step.due is not None and step.due <= until]
        due.extend((when, 1, uid) for uid, (_, _, when) in self._retries.items() if when <= until)
        return min(due, key=lambda item: (item[0], item[1])) if due else None

    def _run_due(self, item: Tuple[float, int, Any]) -> None:
        if item[1] == 0:
            self._execute(self.steps[item[2]])
            return
        namespace, name, when = self._retries.pop(item[2])
        entry = self.store.get(kubelet.PODS, namespace, name)
        if entry is None or entry.uid != item[2]:
            return
        pod = self._pull(entry.decode(), "")
        rule = self._rule(pod)
        if rule is not None and rule.retry_every > 0 and not _running(pod):
            self._retries[entry.uid] = (namespace, name, when + rule.retry_every)

    def _schedule_retries(self) -> None:
        """Give every failing pod of a rule with ``retryEvery`` its next attempt, as the kubelet's back-off."""
        for rule in self.rules:
            if rule.retry_every <= 0:
                continue
            for entry in self.store.list_page(kubelet.PODS, rule.namespace, None, 0, "").items:
                if entry.uid in self._retries:
                    continue
                pod = entry.decode()
                if self._rule(pod) is rule and not _running(pod):
                    self._retries[entry.uid] = (rule.namespace, pod["metadata"]["name"], self.time() + rule.retry_every)

    def _named(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise ValueError(f"no timeline step {name!r}")

    def _execute(self, step: Step) -> None:
        step.ran_at = self.time()
        step.due = step.due if step.due is not None else step.ran_at
        self.log.append((step.ran_at, step.name))
        self.ran.append(step.name)
        getattr(self, "_do_" + step.action)(step.spec)
        for follower in self.steps:
            if follower.after == step.name and follower.due is None:
                follower.due = step.ran_at + follower.at

    def _trigger(self) -> None:
        for step in self.steps:
            if step.when is None or step.due is not None or step.ran_at is not None:
                continue
            kind, resource, namespace, name = step.when
            exists = self.store.get(resolve(resource), namespace, name) is not None
            if exists == (kind == "exists"):
                step.due = self.time() + step.at

    def _react(self) -> bool:
        """Replace the deleted pods of the listed ReplicaSets; True when there was news."""
        try:
            changes = self.store.changes.after(self._seen)
        except TooOld:  # more writes than the history holds since the last look
            self._seen = int(self.store.resource_version)
            return True
        if not changes:
            return False
        self._seen = changes[-1].revision
        for change in changes:
            if change.type == DELETED and change.resource == "pods":
                self._replace(change.entry.decode())
        return True

    def _replace(self, deleted: Obj) -> None:
        owner = kubelet.controller_of(deleted) or {}
        namespace = str(dig(deleted, "metadata", "namespace", default=""))
        if owner.get("kind") != "ReplicaSet" or (namespace, owner.get("name")) not in self.replica_sets:
            return
        entry = self.store.get(kubelet.REPLICASETS, namespace, str(owner.get("name")))
        if entry is None:
            return
        replica_set = entry.decode()
        page = self.store.list_page(kubelet.PODS, namespace, None, 0, "")
        owned = [e for e in page.items if (kubelet.controller_of(e.decode()) or {}).get("uid") == entry.uid]
        if len(owned) >= int(dig(replica_set, "spec", "replicas", default=1) or 0):
            return
        pod = kubelet.replacement(replica_set, str(dig(deleted, "spec", "nodeName", default="")), self.now())
        created = self.store.create(kubelet.PODS, namespace, pod, dry_run=False).decode()
        node = dig(created, "spec", "nodeName", default="")
        kubelet.record_event(self.store, created, "Scheduled",
                             f"Successfully assigned {namespace}/{created['metadata']['name']} to {node}", self.now(),
                             component="default-scheduler")
        self.log.append((self.time(), f"replaced {deleted['metadata']['name']} by {created['metadata']['name']}"))
        self._pull(created, "")

    def _rule(self, pod: Obj) -> Optional[PullRule]:
        return next((rule for rule in self.rules if rule.matches(pod)), None)

    def _pull(self, pod: Obj, outcome: str) -> Obj:
        rule = self._rule(pod)
        if outcome:
            succeeds = outcome == "succeed"
        elif rule is None:
            succeeds = True
        elif rule.needs_secret:
            succeeds = self.store.get(resolve("secrets"), rule.namespace, rule.needs_secret) is not None
        else:
            succeeds = False
        error = rule.error if rule else PullRule.error
        took = rule.seconds if rule else PullRule.seconds
        self.log.append((self.time(), f"pull {pod['metadata']['name']}: {'succeeds' if succeeds else 'fails'}"))
        pulled = kubelet.pull(self.store, pod, succeeds, error, took, self.now())
        self._refresh_owner(pulled)
        return pulled

    def _refresh_owner(self, pod: Obj) -> None:
        owner = kubelet.controller_of(pod) or {}
        if owner.get("kind") == "ReplicaSet":
            kubelet.refresh_workload(self.store, str(pod["metadata"]["namespace"]), str(owner.get("name")), self.now())

    def _do_create(self, obj: Obj) -> None:
        self.store.put(dict(obj))

    def _do_patch(self, spec: Obj) -> None:
        rt = resolve(str(spec["kind"]))
        entry = self.store.get(rt, str(spec.get("namespace") or ""), str(spec["name"]))
        if entry is not None:
            self.store.put(jsonpatch.merge_patch(entry.decode(), spec.get("merge") or {}))

    def _do_delete(self, spec: Obj) -> None:
        self.store.remove(resolve(str(spec["kind"])), str(spec.get("namespace") or ""), str(spec["name"]))

    def _do_pull(self, spec: Obj) -> None:
        namespace = str(spec["namespace"])
        selector = PullRule(namespace=namespace, pod=str(spec.get("pod") or ""),
                            replica_set=str(spec.get("replicaSet") or ""))
        page = self.store.list_page(kubelet.PODS, namespace, None, 0, "")
        for entry in page.items:
            pod = entry.decode()
            if selector.matches(pod) and not _running(pod):
                self._pull(pod, str(spec.get("outcome") or ""))


def _running(pod: Obj) -> bool:
    statuses = as_list(dig(pod, "status", "containerStatuses"))
    return bool(statuses) and all("running" in (dig(s, "state", default={}) or {}) for s in statuses)

"""What the objects around an ended pod tell: whether its controller replaced it, and for whom
the kubelet preempted it.

A pod the kubelet refused, shut down with its node or preempted lingers as Failed, but its
controller has usually made a new one already: then nothing is broken, only a leftover remains.
The controller's status says so (a ReplicaSet's ready replicas, a Job's active and succeeded
pods), and so does a live pod of the same controller among the pods read. The kubelet never
names the critical pod it preempted for; a critical pod that started on the same node at the
time of the preemption (its Preempting event or DisruptionTarget condition) is the one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional, Sequence

from .messages import Replacement
from ..kube import Obj, as_list, dig, name_of, namespace_of, owner_reference, parse_time, uid_of
from ..workloads import OwnerIndex, workload_ref

SYSTEM_CRITICAL_PRIORITY = 2_000_000_000  # pkg/apis/scheduling SystemCriticalPriority
CRITICAL_CLASSES = ("system-node-critical", "system-cluster-critical")
# The kubelet admits the critical pod once the preempted ones are killed (up to their grace period).
_BEFORE, _AFTER = timedelta(seconds=30), timedelta(minutes=3)


def _same_controller(pod: Obj, ref: Obj) -> bool:
    other = owner_reference(pod) or {}
    if ref.get("uid") and other.get("uid"):
        return other.get("uid") == ref.get("uid")
    return (other.get("kind"), other.get("name")) == (ref.get("kind"), ref.get("name"))


def _live_siblings(pod: Obj, ref: Obj, peers: Sequence[Obj]) -> Sequence[Obj]:
    return [
        other for other in peers
        if isinstance(other, dict) and uid_of(other) != uid_of(pod) and namespace_of(other) == namespace_of(pod)
        and _same_controller(other, ref) and dig(other, "status", "phase") in ("Running", "Pending")
        and not dig(other, "metadata", "deletionTimestamp")
    ]


def _int(value: object, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _from_replicaset(controller: str, owner: Obj) -> Replacement:
    wanted = _int(dig(owner, "spec", "replicas"), 1)
    ready = _int(dig(owner, "status", "readyReplicas"))
    if wanted == 0:
        return Replacement(controller, True, f"{controller} is scaled to 0 now: a newer revision replaced its pods")
    if ready >= wanted:
        return Replacement(controller, True, f"{controller} has {ready} of {wanted} pods ready")
    return Replacement(controller, False, f"{controller} has {ready} of {wanted} pods ready")


def _from_job(controller: str, owner: Obj) -> Replacement:
    conditions = {c.get("type"): c.get("status") for c in as_list(dig(owner, "status", "conditions"))}
    if conditions.get("Complete") == "True":
        return Replacement(controller, True, f"{controller} has completed")
    if conditions.get("Failed") == "True":
        return Replacement(controller, False, f"{controller} has failed: it makes no more pods")
    active = _int(dig(owner, "status", "active"))
    if active:
        return Replacement(controller, True, f"{controller} runs {active} pod{'s' if active != 1 else ''} now")
    return Replacement(controller, None, f"{controller} runs no pod now")


def replacement_of(pod: Obj, owners: Optional[OwnerIndex], peers: Sequence[Obj] = ()) -> Replacement:
    """Whether the pod's controller has made up for it, from live pods of the same controller
    among ``peers``, else from the controller's own status in ``owners``.

    >>> pod = {"metadata": {"name": "api-1", "namespace": "shop", "uid": "p1", "ownerReferences": [
    ...     {"kind": "ReplicaSet", "name": "api-7d", "uid": "rs1", "controller": True}]}}
    >>> rs = {"metadata": {"name": "api-7d", "namespace": "shop", "uid": "rs1"},
    ...       "spec": {"replicas": 3}, "status": {"readyReplicas": 3}}
    >>> replacement_of(pod, OwnerIndex(replicasets=[rs])).detail
    'replicaset/api-7d has 3 of 3 pods ready'
    >>> replacement_of({"metadata": {"name": "debug"}}, None).replaced
    False
    """
    ref = owner_reference(pod)
    if ref is None:
        return Replacement(None, False, "no controller owns it: nothing re-creates it")
    kind = str(ref.get("kind") or "")
    controller = workload_ref(kind, str(ref.get("name") or ""))
    live = _live_siblings(pod, ref, peers)
    running = [other for other in live if dig(other, "status", "phase") == "Running"]
    if running:
        return Replacement(controller, True, f"{controller} runs {name_of(running[0])} in its place",
                           name_of(running[0]))
    owner = owners.find(namespace_of(pod), ref) if owners is not None else None
    if kind == "ReplicaSet" and owner is not None:
        return _from_replicaset(controller, owner)
    if kind == "Job" and owner is not None:
        return _from_job(controller, owner)
    if kind in ("StatefulSet", "DaemonSet"):
        return Replacement(controller, None, f"{controller} deletes failed pods and creates them again itself")
    if live:
        return Replacement(controller, False, f"{controller}'s new pod {name_of(live[0])} is not running yet",
                           name_of(live[0]))
    return Replacement(controller, None, f"{controller} was not read, so whether it replaced the pod is unknown")


def is_critical(pod: Obj) -> bool:
    """Critical to the kubelet (types.IsCriticalPod): a static or mirror pod, or priority >= 2000000000."""
    annotations = dig(pod, "metadata", "annotations", default={})
    annotations = annotations if isinstance(annotations, dict) else {}
    if "kubernetes.io/config.mirror" in annotations or annotations.get("kubernetes.io/config.source") in ("file", "http"):
        return True
    priority = dig(pod, "spec", "priority")
    if isinstance(priority, int) and priority >= SYSTEM_CRITICAL_PRIORITY:
        return True
    return dig(pod, "spec", "priorityClassName") in CRITICAL_CLASSES


def _started(pod: Obj) -> Optional[datetime]:
    return parse_time(dig(pod, "status", "startTime")) or parse_time(dig(pod, "metadata", "creationTimestamp"))


def preemptor_of(pod: Obj, preempted_at: Optional[datetime], peers: Sequence[Obj]) -> Optional[str]:
    """``namespace/name`` of the critical pod that started on the same node when ``pod`` was preempted.

    None when the time is unknown or no critical pod of the node started then: a guess would
    send people to the wrong workload.
    """
    node = dig(pod, "spec", "nodeName")
    if not node or preempted_at is None:
        return None
    found = []
    for other in peers:
        if not isinstance(other, dict) or uid_of(other) == uid_of(pod) or dig(other, "spec", "nodeName") != node:
            continue
        started = _started(other)
        if started is None or not is_critical(other):
            continue
        if preempted_at - _BEFORE <= started <= preempted_at + _AFTER:
            found.append((abs((started - preempted_at).total_seconds()), f"{namespace_of(other)}/{name_of(other)}"))
    return min(found)[1] if found else None


def node_allocatable(node: Optional[Obj], resource: Optional[str]) -> Optional[str]:
    """The node's allocatable of ``resource`` now, as the API shows it (``8``, ``30Gi``, ``110``)."""
    value = dig(node, "status", "allocatable", resource) if isinstance(node, dict) and resource else None
    return str(value) if value is not None else None

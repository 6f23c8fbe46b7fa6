"""Pods the kubelet ended: recognising them and reading why, from the pod, its condition and its event.

Evictions (node pressure, local-storage limits) and pressure refusals are parsed in ``messages``;
the kubelet's other endings (admission refusals, graceful node shutdown, critical-pod preemption)
in ``endings``; the fixes live in ``fixes``. This module adds what only the pod and its events
know (the Evicted event's annotations, matched by ``involvedObject.uid``, the containers' requests
and limits, the node and the time), what its controller did since (``context``), and is the one
place the rest of the plugin imports eviction functions from. "Evicted" in the names below means
ended by the kubelet in any of these ways: all of them linger as Failed pods.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, List, Mapping, Optional, Sequence, TypeVar

from dataclasses import replace

from .context import node_allocatable, preemptor_of, replacement_of
from .endings import KIND_PREEMPTION, parse_ending
from .fixes import container_resources, eviction_fixes
from .messages import (
    CAUSE_OTHER,
    EPHEMERAL_STORAGE,
    KIND_LOCAL_STORAGE,
    KIND_NODE_PRESSURE,
    KIND_REJECTED,
    ContainerUsage,
    Eviction,
    cause_for,
    is_eviction_message,
    parse_message,
)
from ..podevents import last_seen
from ..kube import Obj, as_list, dig, iter_containers, name_of, namespace_of, parse_time, read_absent, uid_of
from ..workloads import OwnerIndex

__all__ = [
    "ContainerUsage",
    "Eviction",
    "eviction_event",
    "eviction_fixes",
    "is_admission_rejection",
    "is_evicted",
    "parse_eviction",
    "with_node",
    "with_nodes",
]

EVICTED_REASON = "Evicted"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ENDING_EVENT_REASONS = frozenset({EVICTED_REASON, "Preempting"})


def _disruption_condition(pod: Obj) -> Optional[Obj]:
    for condition in as_list(dig(pod, "status", "conditions")):
        if (
            condition.get("type") == "DisruptionTarget"
            and condition.get("status") == "True"
            and condition.get("reason") == "TerminationByKubelet"
        ):
            return condition
    return None


def is_evicted(pod: Obj) -> bool:
    """Whether the kubelet ended ``pod``: evicted it, refused it, shut it down with its node, or preempted it.

    ``status.reason`` is "Evicted" on most evictions; some lose it (kubernetes issue 105467), so
    a Failed pod with no reason also counts when its message, or its DisruptionTarget condition
    (reason TerminationByKubelet), is one of the kubelet's messages. The condition alone is not
    enough: its message says which ending it was (node shutdown and preemption set it too).

    >>> is_evicted({"status": {"phase": "Failed", "reason": "Evicted"}})
    True
    >>> is_evicted({"status": {"phase": "Failed", "reason": "OutOfcpu"}})
    True
    >>> is_evicted({"status": {"phase": "Failed", "reason": "DeadlineExceeded"}})
    False
    """
    status = dig(pod, "status", default={})
    if dig(status, "phase") != "Failed":
        return False
    reason = dig(status, "reason", default="")
    if reason == EVICTED_REASON:
        return True
    condition = _disruption_condition(pod)
    condition_message = condition.get("message") if condition else None
    if parse_ending(reason or None, dig(status, "message"), condition_message) is not None:
        return True
    if reason:
        return False
    return is_eviction_message(dig(status, "message")) or is_eviction_message(condition_message)


def is_admission_rejection(pod: Obj) -> bool:
    """Whether the kubelet refused ``pod`` at admission (node pressure, resources, affinity, ...), so it never ran.

    >>> is_admission_rejection({"status": {"phase": "Failed", "reason": "Evicted",
    ...     "message": "Pod was rejected: The node had condition: [DiskPressure]. "}})
    True
    """
    eviction = parse_eviction(pod)
    return eviction is not None and (eviction.kind == KIND_REJECTED or eviction.refusal is not None)


def eviction_event(pod: Obj, events: Sequence[Obj]) -> Optional[Obj]:
    """The latest event the kubelet wrote when it ended ``pod`` (Evicted, Preempting, or the refusal's
    reason): same uid (same name only if the pod has no uid).

    Matching by uid keeps the event of an older pod that had the same name away.
    """
    uid = uid_of(pod)
    wanted = _ENDING_EVENT_REASONS | {str(dig(pod, "status", "reason") or EVICTED_REASON)}
    matches = []
    for event in events:
        involved = dig(event, "involvedObject") or dig(event, "regarding") or {}
        reason = dig(event, "reason")  # any JSON: a list here must not stop the run
        if not isinstance(reason, str) or reason not in wanted or not isinstance(involved, dict) \
                or involved.get("kind", "Pod") != "Pod":
            continue
        if uid and involved.get("uid") == uid:
            matches.append(event)
        elif not uid and (involved.get("namespace", ""), involved.get("name")) == (namespace_of(pod), name_of(pod)):
            matches.append(event)
    return max(matches, key=lambda event: last_seen(event) or _EPOCH) if matches else None


def _split(value: Any) -> List[str]:
    return [item.strip() for item in str(value or "").split(",") if item.strip()]


def _merge_annotations(eviction: Eviction, event: Optional[Obj]) -> None:
    """Fill in what the message lacks from the Evicted event's annotations (node pressure)."""
    annotations = dig(event, "metadata", "annotations", default={}) if event else {}
    if not isinstance(annotations, dict) or eviction.kind != KIND_NODE_PRESSURE:
        return
    starved = str(annotations.get("starved_resource") or "")
    if starved and not eviction.resource:
        eviction.resource, eviction.cause = starved, cause_for(starved)
    usages = _split(annotations.get("offending_containers_usage"))
    known = {usage.name: usage for usage in eviction.containers}
    for position, container in enumerate(_split(annotations.get("offending_containers"))):
        usage = usages[position] if position < len(usages) else None
        if container in known:
            known[container].usage = known[container].usage or usage
        else:
            eviction.containers.append(ContainerUsage(container, usage))
    if annotations.get("offending_pod") and eviction.pod_usage is None:
        eviction.pod_usage = ContainerUsage(str(annotations["offending_pod"]), annotations.get("offending_pod_usage"))


def _fill_from_spec(eviction: Eviction, pod: Obj) -> None:
    """Requests and limits the message leaves out, from the pod's spec."""
    resource = EPHEMERAL_STORAGE if eviction.kind == KIND_LOCAL_STORAGE else eviction.resource
    if resource not in ("memory", EPHEMERAL_STORAGE):
        return
    resources = container_resources(pod)
    if eviction.exceeded_limit == "pod" and not eviction.containers:
        # The pod's total went over the sum of its containers' limits: all of them share it.
        eviction.containers = [
            ContainerUsage(name) for name, spec in resources.items() if dig(spec, "limits", resource) is not None
        ]
    for usage in eviction.containers:
        spec = resources.get(usage.name, {})
        if usage.request is None and dig(spec, "requests", resource) is not None:
            usage.request = str(dig(spec, "requests", resource))
        if usage.limit is None and dig(spec, "limits", resource) is not None:
            usage.limit = str(dig(spec, "limits", resource))


def _event_text(event: Optional[Obj]) -> Optional[str]:
    return (event.get("message") or event.get("note")) if event else None


def _parse(pod: Obj, event: Optional[Obj], condition: Optional[Obj]) -> Eviction:
    reason = dig(pod, "status", "reason") or None
    status_message = dig(pod, "status", "message")
    condition_message = condition.get("message") if condition else None
    texts = [text for text in (status_message, condition_message, _event_text(event))
             if isinstance(text, str) and text.strip()]
    if reason != EVICTED_REASON:
        ending = parse_ending(reason, status_message, condition_message)
        if ending is None and event is not None and not reason:
            ending = parse_ending(event.get("reason"), _event_text(event))
        if ending is not None:
            return ending
    parsed = (parse_message(text) for text in texts)
    eviction = next((item for item in parsed if item is not None), None)
    if eviction is None:
        eviction = Eviction(KIND_NODE_PRESSURE, CAUSE_OTHER, message=texts[0] if texts else "")
    eviction.reason = reason
    return eviction


def _finished_at(pod: Obj) -> Optional[datetime]:
    """When the last container stopped: the only time a node shutdown leaves behind."""
    moments = [parse_time(dig(status, "state", "terminated", "finishedAt")) for _, _, status in iter_containers(pod)]
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


def parse_eviction(pod: Obj, events: Sequence[Obj] = (), *, owners: Optional[OwnerIndex] = None,
                   peers: Sequence[Obj] = ()) -> Optional[Eviction]:
    """How the kubelet ended ``pod``, from its status message, DisruptionTarget condition and event.

    None when the kubelet did not end it (``is_evicted``). An evicted pod whose message says
    nothing known still gets an Eviction (cause EvictedOther), so that it is not lost. For the
    endings that leave a controller to make up for the pod (refusals, node shutdown,
    preemption), ``owners`` (their status) and ``peers`` (other pods read) tell whether it has;
    ``peers`` also name the critical pod a preemption made room for.

    >>> pod = {"status": {"phase": "Failed", "reason": "Evicted", "message":
    ...     "The node was low on resource: memory. Threshold quantity: 100Mi, available: 88Mi. "
    ...     "Container app was using 1.2Gi, request is 256Mi, has larger consumption of memory. "}}
    >>> eviction = parse_eviction(pod)
    >>> eviction.cause, eviction.threshold, eviction.available, eviction.containers[0].usage
    ('EvictedMemory', '100Mi', '88Mi', '1.2Gi')
    """
    if not is_evicted(pod):
        return None
    event = eviction_event(pod, events)
    condition = _disruption_condition(pod)
    eviction = _parse(pod, event, condition)
    _merge_annotations(eviction, event)
    _fill_from_spec(eviction, pod)
    eviction.node = dig(pod, "spec", "nodeName") or dig(event, "source", "host") or None
    moment = parse_time(condition.get("lastTransitionTime")) if condition else None
    eviction.evicted_at = moment or (last_seen(event) if event else None)
    if eviction.kind in (KIND_NODE_PRESSURE, KIND_LOCAL_STORAGE):
        return eviction
    if eviction.evicted_at is None and eviction.refusal is None:
        eviction.evicted_at = _finished_at(pod)
    eviction.replacement = replacement_of(pod, owners, peers)
    if eviction.kind == KIND_PREEMPTION:
        eviction.preempted_by = preemptor_of(pod, eviction.evicted_at, peers)
    return eviction


Item = TypeVar("Item")  # an EvictedPod (``cleanup``): anything with an ``eviction``


def with_nodes(items: Sequence[Item], nodes: Mapping[str, Obj], refused: Mapping[str, str]) -> List[Item]:
    """``with_node`` for each item, its node looked up among ``nodes`` read by name (``refused``:
    those RBAC refused, unknown): a node neither found nor refused was deleted since."""
    return [replace(item, eviction=with_node(item.eviction, nodes.get(item.eviction.node or ""),
                                             read_absent(item.eviction.node, nodes, refused)))
            for item in items]


def with_node(eviction: Eviction, node: Optional[Obj], gone: bool = False) -> Eviction:
    """The eviction with what its node object says now (a refusal's resource: the allocatable), or
    that the node was read and is absent (``gone``: deleted since the pod was placed)."""
    if gone:
        return replace(eviction, node_gone=True)
    refusal = eviction.refusal
    if refusal is None or not isinstance(node, dict) or not refusal.resource:
        return eviction
    return replace(eviction, refusal=replace(refusal, node_allocatable=node_allocatable(node, refusal.resource)))

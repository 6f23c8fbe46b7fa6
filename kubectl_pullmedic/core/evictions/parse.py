"""Evicted pods: recognising them and reading why, from the pod, its condition and its event.

The message grammar lives in ``evictionmessages`` and the fixes in ``evictionfixes``; this
module adds what only the pod and its events know (the Evicted event's annotations, matched
by ``involvedObject.uid``, the containers' requests and limits, the node and the time) and
is the one place the rest of the plugin imports eviction functions from.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, List, Optional, Sequence

from .fixes import container_resources, eviction_fixes
from .messages import (
    CAUSE_OTHER,
    EPHEMERAL_STORAGE,
    KIND_LOCAL_STORAGE,
    KIND_NODE_PRESSURE,
    ContainerUsage,
    Eviction,
    cause_for,
    is_eviction_message,
    is_rejection_message,
    parse_message,
)
from ..podevents import last_seen
from ..kube import Obj, as_list, dig, name_of, namespace_of, parse_time, uid_of

__all__ = [
    "ContainerUsage",
    "Eviction",
    "eviction_event",
    "eviction_fixes",
    "is_admission_rejection",
    "is_evicted",
    "parse_eviction",
]

EVICTED_REASON = "Evicted"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


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
    """Whether the kubelet evicted ``pod`` (or refused it under node pressure).

    ``status.reason`` is "Evicted" on most; some lose it (kubernetes issue 105467), so a
    Failed pod with no reason also counts when its message, or its DisruptionTarget
    condition (reason TerminationByKubelet), is an eviction message. The condition alone
    is not enough: graceful node shutdown ("Terminated") and kubelet preemption
    ("Preempting") set it too.

    >>> is_evicted({"status": {"phase": "Failed", "reason": "Evicted"}})
    True
    >>> is_evicted({"status": {"phase": "Failed", "reason": "DeadlineExceeded"}})
    False
    """
    status = dig(pod, "status", default={})
    if dig(status, "phase") != "Failed":
        return False
    reason = dig(status, "reason", default="")
    if reason:
        return reason == EVICTED_REASON
    condition = _disruption_condition(pod)
    return is_eviction_message(dig(status, "message")) or (
        condition is not None and is_eviction_message(condition.get("message"))
    )


def is_admission_rejection(pod: Obj) -> bool:
    """Whether the kubelet refused ``pod`` under node pressure, so it never ran.

    >>> is_admission_rejection({"status": {"phase": "Failed", "reason": "Evicted",
    ...     "message": "Pod was rejected: The node had condition: [DiskPressure]. "}})
    True
    """
    return is_evicted(pod) and is_rejection_message(dig(pod, "status", "message"))


def eviction_event(pod: Obj, events: Sequence[Obj]) -> Optional[Obj]:
    """The latest Evicted event about ``pod``: same uid (same name only if the pod has no uid).

    Matching by uid keeps the event of an older pod that had the same name away.
    """
    uid = uid_of(pod)
    matches = []
    for event in events:
        involved = dig(event, "involvedObject") or dig(event, "regarding") or {}
        if event.get("reason") != EVICTED_REASON or involved.get("kind", "Pod") != "Pod":
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


def parse_eviction(pod: Obj, events: Sequence[Obj] = ()) -> Optional[Eviction]:
    """Why ``pod`` was evicted, from its status message, DisruptionTarget condition and event.

    None when the pod was not evicted (``is_evicted``). An evicted pod whose message says
    nothing known still gets an Eviction (cause EvictedOther), so that it is not lost.

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
    candidates = (
        dig(pod, "status", "message"),
        condition.get("message") if condition else None,
        (event.get("message") or event.get("note")) if event else None,
    )
    texts = [text for text in candidates if isinstance(text, str) and text.strip()]
    parsed = (parse_message(text) for text in texts)
    eviction = next((item for item in parsed if item is not None), None)
    if eviction is None:
        eviction = Eviction(KIND_NODE_PRESSURE, CAUSE_OTHER, message=texts[0] if texts else "")
    _merge_annotations(eviction, event)
    _fill_from_spec(eviction, pod)
    eviction.node = dig(pod, "spec", "nodeName") or dig(event, "source", "host") or None
    moment = parse_time(condition.get("lastTransitionTime")) if condition else None
    eviction.evicted_at = moment or (last_seen(event) if event else None)
    return eviction

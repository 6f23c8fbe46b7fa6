"""The kubelet's other ways of ending a pod: admission refusals, graceful node shutdown, preemption.

Like an eviction, each leaves a pod in phase Failed that lingers until someone deletes it; the
text alone (no pod context) is parsed here into an ``Eviction`` of its own kind. Formats, from
kubernetes/kubernetes:

- pkg/kubelet/kubelet.go ``rejectPod``: status.reason is the admit handler's reason and
  status.message "Pod " + message (kubelets up to 1.25), "Pod was rejected: " + message (1.26+,
  PR 112644); a Warning event carries the same reason and the bare message.
- pkg/kubelet/lifecycle/predicate.go ``Admit``: ``InsufficientResourceError`` "Node didn't have
  enough resource: %s, requested: %d, used: %d, capacity: %d" with reason OutOfcpu, OutOfmemory,
  OutOfephemeral-storage, OutOfpods, or "OutOf" + the name (nvidia.com/gpu); capacity is the
  node's allocatable, cpu in millicores. ``PredicateFailureError`` "Predicate %s failed" (1.6 to
  about 1.27), "Predicate %s failed: %s" later, reason the predicate: NodeAffinity (MatchNodeSelector
  before 1.18), NodePorts (PodFitsHostPorts), NodeName (HostName), TaintToleration. Others:
  InvalidNodeInfo "Kubelet cannot get node info.", UnexpectedAdmissionError ("Allocate failed due
  to %v, which is unexpected" from the device, CPU and memory managers; "Unexpected error while
  attempting to recover from admission failure: %v" when preemption found nothing to evict),
  UnknownReason, UnexpectedPredicateFailureType, PodOSSelectorNodeLabelDoesNotMatch,
  PodOSNotSupported, InitContainerRestartPolicyForbidden, SupplementalGroupsPolicyNotSupported;
  cm/topologymanager TopologyAffinityError "Resources cannot be allocated with Topology locality";
  cm/cpumanager SMTAlignmentError. Kubelets before the predicates (1.1 to 1.5) wrote
  NodeSelectorMismatching "cannot be started due to node selector mismatch", InsufficientFreeCPU,
  InsufficientFreeMemory, HostPortConflict; OutOfDisk "cannot be started due to lack of disk space."
  lasted to about 1.11 and is a node-condition refusal (RejectedNodePressure).
- pkg/kubelet/nodeshutdown: 1.20 reason Shutdown, "Node is shutting, evicting pods", refusals
  reason Shutdown "Node is in progress of shutting down, not admitting any new pods"; 1.21+
  reason Terminated, "Pod was terminated in response to imminent node shutdown.", refusals reason
  NodeShutdown "Pod was rejected as the node is shutting down." (so "Pod Pod was rejected ..." and
  "Pod was rejected: Pod was rejected ..." in status.message); 1.26+ also a DisruptionTarget
  condition (reason TerminationByKubelet) with the termination message.
- pkg/kubelet/preemption/preemption.go: reason Preempting, "Preempted in order to admit critical
  pod", a Warning event Preempting with that message; 1.26+ a DisruptionTarget condition "Pod was
  preempted by Kubelet to accommodate a critical pod." The critical pod is not named anywhere.
"""

from __future__ import annotations

import re
from typing import Iterable, Optional

from .messages import CAUSE_REJECTED, KIND_REJECTED, Eviction, Refusal, is_eviction_message, resource_name
from ..quantity import format_bytes

KIND_NODE_SHUTDOWN = "NodeShutdown"
KIND_PREEMPTION = "KubeletPreemption"

CAUSE_OUT_OF_RESOURCE = "RejectedOutOfResource"
CAUSE_NODE_AFFINITY = "RejectedNodeAffinity"
CAUSE_REJECTED_OTHER = "RejectedByKubelet"
CAUSE_NODE_SHUTDOWN = "NodeShutdown"
CAUSE_PREEMPTED = "PreemptedByKubelet"

REJECTED_PREFIX = "Pod was rejected: "

_AFFINITY_REASONS = frozenset({"NodeAffinity", "MatchNodeSelector", "NodeSelectorMismatching"})
# Reasons only the kubelet's admission writes (besides OutOf*, Evicted and the shutdown ones).
_REFUSAL_REASONS = _AFFINITY_REASONS | frozenset({
    "InvalidNodeInfo", "UnexpectedAdmissionError", "UnknownReason", "UnexpectedPredicateFailureType",
    "PodOSSelectorNodeLabelDoesNotMatch", "PodOSNotSupported", "InitContainerRestartPolicyForbidden",
    "SupplementalGroupsPolicyNotSupported", "TopologyAffinityError", "SMTAlignmentError", "NodePorts",
    "PodFitsHostPorts", "HostPortConflict", "NodeName", "HostName", "TaintToleration", "PodToleratesNodeTaints",
    "InsufficientFreeCPU", "InsufficientFreeMemory", "SysctlForbidden",
})
_OLD_RESOURCE_REASONS = {"InsufficientFreeCPU": "cpu", "InsufficientFreeMemory": "memory"}
_SHUTDOWN_REASONS = frozenset({"Shutdown", "NodeShutdown"})
_PREEMPTING = "Preempting"

_INSUFFICIENT = re.compile(
    r"Node didn't have enough resource: (?P<resource>[^,\s]+), requested: (?P<requested>-?\d+), "
    r"used: (?P<used>-?\d+), capacity: (?P<capacity>-?\d+)"
)
_PREDICATE = re.compile(r"Predicate (?P<name>\w+) failed(?::\s*(?P<desc>.+?))?\s*$")
_PREFIX = re.compile(r"^\s*(?:Pod was rejected:\s*|Pod (?=[A-Z]|cannot|was rejected as))")
_SHUTDOWN_TERMINATED = re.compile(
    r"terminated in response to imminent node shutdown|Node is shutting, evicting pods", re.IGNORECASE
)
_SHUTDOWN_REFUSED = re.compile(
    r"rejected as the node is shutting down|in progress of shutting down, not admitting", re.IGNORECASE
)
_PREEMPTED = re.compile(r"Preempted in order to admit critical pod|preempted by Kubelet to accommodate a critical pod",
                        re.IGNORECASE)


def kubelet_words(message: Optional[str]) -> str:
    """The admit handler's own words: the status message without rejectPod's prefix.

    >>> kubelet_words("Pod was rejected: Predicate NodeAffinity failed")
    'Predicate NodeAffinity failed'
    >>> kubelet_words("Pod Node didn't have enough resource: cpu, requested: 1, used: 2, capacity: 2")
    "Node didn't have enough resource: cpu, requested: 1, used: 2, capacity: 2"
    """
    text = (message or "").strip()
    return _PREFIX.sub("", text, count=1).strip()


def is_shutdown_text(text: Optional[str]) -> bool:
    return bool(text) and bool(_SHUTDOWN_TERMINATED.search(text or "") or _SHUTDOWN_REFUSED.search(text or ""))


def is_preemption_text(text: Optional[str]) -> bool:
    return bool(text) and bool(_PREEMPTED.search(text or ""))


def is_ending(reason: Optional[str], message: Optional[str], condition: Optional[str] = None) -> bool:
    """Whether status.reason, status.message or the DisruptionTarget message is one of these endings.

    >>> is_ending("OutOfcpu", "Pod was rejected: Node didn't have enough resource: cpu, requested: 2000, "
    ...           "used: 7400, capacity: 8000")
    True
    >>> is_ending("DeadlineExceeded", "Pod was active on the node longer than the specified deadline")
    False
    """
    return parse_ending(reason, message, condition) is not None


def parse_ending(reason: Optional[str], message: Optional[str], condition: Optional[str] = None) -> Optional[Eviction]:
    """The ending the kubelet's words describe; None when they describe none of these.

    ``reason`` and ``message`` are the pod's status.reason and status.message, ``condition`` the
    message of its DisruptionTarget condition (the only trace when status.reason was lost).

    >>> e = parse_ending("OutOfcpu", "Pod Node didn't have enough resource: cpu, requested: 2000, "
    ...                  "used: 7400, capacity: 8000")
    >>> e.cause, e.refusal.resource, e.refusal.free, e.refusal.shortfall
    ('RejectedOutOfResource', 'cpu', 600, 1400)
    >>> parse_ending("Terminated", "Pod was terminated in response to imminent node shutdown.").kind
    'NodeShutdown'
    >>> parse_ending(None, None, "Pod was preempted by Kubelet to accommodate a critical pod.").cause
    'PreemptedByKubelet'
    """
    reason, message, condition = (v if isinstance(v, str) else None for v in (reason, message, condition))
    reason = (reason or "").strip() or None
    if reason == "Evicted" or is_eviction_message(message):
        return None  # evictions and pressure refusals: messages.parse_message
    texts = [text for text in (message, condition) if isinstance(text, str) and text.strip()]
    text = texts[0] if texts else ""
    if reason in _SHUTDOWN_REASONS or any(is_shutdown_text(t) for t in texts) or (
            reason == "Terminated" and condition and is_shutdown_text(condition)):
        return _shutdown(reason, text)
    if reason == _PREEMPTING or any(is_preemption_text(t) for t in texts):
        return Eviction(KIND_PREEMPTION, CAUSE_PREEMPTED, reason=reason or _PREEMPTING, message=text)
    return _refusal(reason, message if isinstance(message, str) else "")


def _shutdown(reason: Optional[str], text: str) -> Eviction:
    refused = reason == "NodeShutdown" or bool(_SHUTDOWN_REFUSED.search(text))
    refusal = Refusal(reason or "NodeShutdown", detail=kubelet_words(text) or None) if refused else None
    return Eviction(KIND_NODE_SHUTDOWN, CAUSE_NODE_SHUTDOWN, reason=reason or "Terminated", refusal=refusal,
                    message=text)


def _refusal(reason: Optional[str], message: str) -> Optional[Eviction]:
    words = kubelet_words(message)
    prefixed = message.lstrip().startswith(REJECTED_PREFIX)
    insufficient = _INSUFFICIENT.search(words)
    out_of = reason is not None and reason.startswith("OutOf")
    if not (insufficient or out_of or prefixed or reason in _REFUSAL_REASONS):
        return None
    if reason == "OutOfDisk":  # the node's OutOfDisk condition, as with DiskPressure refusals
        return Eviction(KIND_REJECTED, CAUSE_REJECTED, node_conditions=["OutOfDisk"], reason=reason,
                        refusal=Refusal(reason, detail=words or None), message=message)
    refusal = Refusal(reason, detail=words or None)
    cause = CAUSE_REJECTED_OTHER
    if insufficient or out_of or reason in _OLD_RESOURCE_REASONS:
        cause = CAUSE_OUT_OF_RESOURCE
        refusal.resource = resource_name(insufficient["resource"]) if insufficient else (
            _OLD_RESOURCE_REASONS.get(reason or "") or (reason or "")[len("OutOf"):] or None)
        if insufficient:
            refusal.requested, refusal.used, refusal.capacity = (
                int(insufficient[key]) for key in ("requested", "used", "capacity"))
    predicate = _PREDICATE.search(words)
    if predicate:
        refusal.predicate = predicate["name"]
    if (reason in _AFFINITY_REASONS or refusal.predicate in _AFFINITY_REASONS) and cause != CAUSE_OUT_OF_RESOURCE:
        cause = CAUSE_NODE_AFFINITY
    refusal.reason = reason or refusal.predicate or ("OutOf" + refusal.resource if refusal.resource else None)
    return Eviction(KIND_REJECTED, cause, resource=refusal.resource, reason=reason, refusal=refusal,
                    message=message)


def amount(resource: Optional[str], value: Optional[int]) -> str:
    """One of the kubelet's integers as a quantity: millicores for cpu, bytes for memory and storage.

    >>> amount("cpu", 2000), amount("cpu", 1850), amount("memory", 3 * 2**30), amount("pods", 110)
    ('2', '1850m', '3Gi', '110')
    >>> amount("memory", 1500000000), amount("memory", 500000000)
    ('1.4Gi', '476.8Mi')
    """
    if value is None:
        return "?"
    if resource == "cpu":
        return str(value // 1000) if value % 1000 == 0 else f"{value}m"
    if resource in ("memory", "ephemeral-storage") or (resource or "").startswith("hugepages-"):
        for unit, shift in (("Gi", 30), ("Mi", 20)):
            if value % (1 << shift) == 0 and abs(value) >= (1 << shift):
                return f"{value >> shift}{unit}"
        if abs(value) >= 2**30:
            return f"{value / 2**30:.1f}Gi"
        return f"{value / 2**20:.1f}Mi" if abs(value) >= 2**20 else format_bytes(value)
    return str(value)


__all__: Iterable[str] = (
    "CAUSE_NODE_AFFINITY", "CAUSE_NODE_SHUTDOWN", "CAUSE_OUT_OF_RESOURCE", "CAUSE_PREEMPTED", "CAUSE_REJECTED_OTHER",
    "KIND_NODE_SHUTDOWN", "KIND_PREEMPTION", "amount", "is_ending", "kubelet_words",
    "parse_ending",
)

"""The kubelet's eviction messages, parsed into an ``Eviction`` (text only, no pod context).

Formats, from kubernetes/kubernetes:
- pkg/kubelet/eviction/helpers.go, ``evictionMessage``: ``nodeLowMessageFmt``
  "The node was low on resource: %v. ", ``thresholdMetMessageFmt``
  "Threshold quantity: %v, available: %v. " (left out when the kubelet has no observation),
  ``containerMessageFmt`` "Container %s was using %s, request is %s, has larger consumption
  of %v. " (kubelets before about 1.26: "Container %s was using %s, which exceeds its request
  of %s. "), and ``podMessageFmt`` "Pod %s was using %s, request is %s, has larger consumption
  of %v. " (pod-level resources). Usage is ``resource.NewQuantity(n, BinarySI).String()``.
- the same file, local-storage limits (sent by eviction_manager.go with no annotations and
  no DisruptionTarget condition): ``containerEphemeralStorageMessageFmt`` "Container %s
  exceeded its local ephemeral storage limit %q. ", ``podEphemeralStorageMessageFmt`` "Pod
  ephemeral local storage usage exceeds the total limit of containers %s. ", and
  ``emptyDirMessageFmt`` "Usage of EmptyDir volume %q exceeds the limit %q. ".
- eviction_manager.go ``Admit``: reason "Evicted" with ``nodeConditionMessageFmt`` "The node
  had condition: %v. " (a Go slice: "[DiskPressure]", "[MemoryPressure DiskPressure]");
  kubelet.go ``rejectPod`` prefixes the status message with "Pod was rejected: " (older
  kubelets: "Pod "). Kubelets before about 1.9 used the node-low format for this too:
  "Pod The node was low on resource: [DiskPressure]." (a bracketed list, not a resource).
Resource names are helpers.go ``signalToResource``'s: memory, ephemeral-storage, inodes, pids;
kubelets before about 1.10 wrote nodefs, imagefs, nodefsInodes, imagefsInodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, List, Optional

KIND_NODE_PRESSURE = "NodePressure"
KIND_LOCAL_STORAGE = "LocalStorageLimit"
KIND_REJECTED = "AdmissionRejected"

CAUSE_MEMORY = "EvictedMemory"
CAUSE_EPHEMERAL_STORAGE = "EvictedEphemeralStorage"
CAUSE_DISK = "EvictedDisk"
CAUSE_PID = "EvictedPID"
CAUSE_OTHER = "EvictedOther"
CAUSE_REJECTED = "RejectedNodePressure"

EPHEMERAL_STORAGE = "ephemeral-storage"

_CAUSE_BY_RESOURCE = {
    "memory": CAUSE_MEMORY,
    EPHEMERAL_STORAGE: CAUSE_EPHEMERAL_STORAGE,
    "nodefs": CAUSE_DISK,
    "imagefs": CAUSE_DISK,
    "inodes": CAUSE_DISK,
    "nodefsInodes": CAUSE_DISK,
    "imagefsInodes": CAUSE_DISK,
    "pids": CAUSE_PID,
}

# Quantities may hold a dot ("1.5Gi"), so a sentence ends at a dot before a space or the end.
_END = r"\.(?=\s|$)"
_NODE_LOW = re.compile(r"The node was low on resource: (?P<resource>[A-Za-z][\w-]*)\.")
_THRESHOLD = re.compile(
    r"Threshold quantity: (?P<threshold>[^\s,]+), available: (?P<available>\S+?)" + _END
)
_CONTAINER_NEW = re.compile(
    r"Container (?P<name>\S+) was using (?P<usage>[^\s,]+), request is (?P<request>[^\s,]+), "
    r"has larger consumption of (?P<resource>[\w-]+)" + _END
)
_CONTAINER_OLD = re.compile(
    r"Container (?P<name>\S+) was using (?P<usage>[^\s,]+), which exceeds its request of "
    r"(?P<request>\S+?)" + _END
)
_POD_LEVEL = re.compile(
    r"Pod (?P<name>\S+) was using (?P<usage>[^\s,]+), request is (?P<request>[^\s,]+), "
    r"has larger consumption of (?P<resource>[\w-]+)" + _END
)
_CONTAINER_LIMIT = re.compile(
    r'Container (?P<name>\S+) exceeded its local ephemeral storage limit "(?P<limit>[^"]*)"' + _END
)
_POD_LIMIT = re.compile(
    r"Pod ephemeral local storage usage exceeds the total limit of containers (?P<limit>\S+?)" + _END
)
_EMPTY_DIR = re.compile(
    r'Usage of EmptyDir volume "(?P<volume>[^"]*)" exceeds the limit "(?P<limit>[^"]*)"' + _END
)
_REJECTED = re.compile(
    r"^\s*(?:Pod was rejected: |Pod )?The node (?:had condition|was low on resource): \[(?P<conditions>[^\]]*)\]"
)


@dataclass
class ContainerUsage:
    """One container's (or, with pod-level resources, the pod's) use of the starved resource."""

    name: str
    usage: Optional[str] = None
    request: Optional[str] = None
    limit: Optional[str] = None


@dataclass
class Eviction:
    """What the kubelet said about one evicted (or refused) pod."""

    kind: str  # KIND_NODE_PRESSURE | KIND_LOCAL_STORAGE | KIND_REJECTED
    cause: str  # CAUSE_*
    resource: Optional[str] = None  # as the kubelet names it: memory, ephemeral-storage, ...
    threshold: Optional[str] = None  # the node's threshold, or the local-storage limit exceeded
    available: Optional[str] = None
    node: Optional[str] = None
    node_conditions: List[str] = field(default_factory=list)  # rejections: ["DiskPressure"]
    containers: List[ContainerUsage] = field(default_factory=list)
    pod_usage: Optional[ContainerUsage] = None  # pod-level resources (PodLevelResources)
    volume: Optional[str] = None  # the emptyDir volume that outgrew its sizeLimit
    exceeded_limit: Optional[str] = None  # local storage: "container", "pod" or "emptyDir"
    message: str = ""
    evicted_at: Optional[datetime] = None


def cause_for(resource: Optional[str]) -> str:
    """The cause code for a starved resource as the kubelet names it.

    >>> cause_for("memory"), cause_for("nodefs"), cause_for("gpu")
    ('EvictedMemory', 'EvictedDisk', 'EvictedOther')
    """
    return _CAUSE_BY_RESOURCE.get(resource or "", CAUSE_OTHER)


def is_eviction_message(message: Any) -> bool:
    """Whether text is one of the kubelet's eviction or pressure-rejection messages.

    >>> is_eviction_message("The node was low on resource: memory. ")
    True
    >>> is_eviction_message("Pod was terminated in response to imminent node shutdown.")
    False
    """
    if not isinstance(message, str):
        return False
    patterns = (_NODE_LOW, _REJECTED, _CONTAINER_LIMIT, _POD_LIMIT, _EMPTY_DIR)
    return any(pattern.search(message) for pattern in patterns)


def is_rejection_message(message: Any) -> bool:
    """Whether text is the kubelet's refusal to admit a pod under node pressure."""
    return isinstance(message, str) and bool(_REJECTED.search(message))


def _node_pressure(message: str) -> Optional[Eviction]:
    containers = [
        ContainerUsage(match["name"], match["usage"], match["request"])
        for pattern in (_CONTAINER_NEW, _CONTAINER_OLD)
        for match in pattern.finditer(message)
    ]
    pod_match = _POD_LEVEL.search(message)
    pod_usage = ContainerUsage(pod_match["name"], pod_match["usage"], pod_match["request"]) if pod_match else None
    low = _NODE_LOW.search(message)
    if not low and not containers and pod_usage is None:
        return None
    consumption = _CONTAINER_NEW.search(message) or pod_match
    resource = low["resource"] if low else (consumption["resource"] if consumption else None)
    threshold = _THRESHOLD.search(message)
    return Eviction(
        KIND_NODE_PRESSURE,
        cause_for(resource),
        resource,
        threshold=threshold["threshold"] if threshold else None,
        available=threshold["available"] if threshold else None,
        containers=containers,
        pod_usage=pod_usage,
        message=message,
    )


def parse_message(message: str) -> Optional[Eviction]:
    """The Eviction a kubelet message describes; None when the text is not one of them.

    >>> parse_message('Usage of EmptyDir volume "cache" exceeds the limit "1Gi". ').volume
    'cache'
    >>> parse_message("Pod The node had condition: [MemoryPressure DiskPressure]. ").node_conditions
    ['MemoryPressure', 'DiskPressure']
    """
    rejected = _REJECTED.search(message)
    if rejected:
        return Eviction(
            KIND_REJECTED, CAUSE_REJECTED, node_conditions=rejected["conditions"].split(), message=message
        )
    emptydir = _EMPTY_DIR.search(message)
    if emptydir:
        return Eviction(
            KIND_LOCAL_STORAGE, CAUSE_EPHEMERAL_STORAGE, EPHEMERAL_STORAGE,
            threshold=emptydir["limit"], volume=emptydir["volume"], exceeded_limit="emptyDir",
            message=message,
        )
    pod_limit = _POD_LIMIT.search(message)
    if pod_limit:
        return Eviction(
            KIND_LOCAL_STORAGE, CAUSE_EPHEMERAL_STORAGE, EPHEMERAL_STORAGE,
            threshold=pod_limit["limit"], exceeded_limit="pod", message=message,
        )
    container_limit = _CONTAINER_LIMIT.search(message)
    if container_limit:
        return Eviction(
            KIND_LOCAL_STORAGE, CAUSE_EPHEMERAL_STORAGE, EPHEMERAL_STORAGE,
            threshold=container_limit["limit"], exceeded_limit="container", message=message,
            containers=[ContainerUsage(container_limit["name"], limit=container_limit["limit"])],
        )
    return _node_pressure(message)

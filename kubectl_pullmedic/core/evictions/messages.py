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
kubelets 1.6 to about 1.9 wrote nodefs, imagefs, nodefsInodes, imagefsInodes, and the 1.6 format
"The node was low on resource: %v." ended there, with no space and no threshold sentence. Some
messages name the eviction signal instead (memory.available, nodefs.inodesFree, pid.available,
containerfs.available): each maps to the resource its signal reclaims. A name the table does
not know stays EvictedOther, with the name kept. Sentences are found whether or not they end
with a period (quantities hold dots, so a sentence ends at a dot only before a space or the end).
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
    "containerfs": CAUSE_DISK,
    "inodes": CAUSE_DISK,
    "nodefsInodes": CAUSE_DISK,
    "imagefsInodes": CAUSE_DISK,
    "containerfsInodes": CAUSE_DISK,
    "pids": CAUSE_PID,
}
# Eviction signals (pkg/kubelet/eviction/api/types.go) -> the resource the kubelet of the same era
# named in its message (helpers.go signalToResource: 1.6-1.9 and 1.10+ agree on these, except that
# 1.10+ say ephemeral-storage where 1.6-1.9 said nodefs/imagefs; the older name is kept).
_RESOURCE_BY_SIGNAL = {
    "memory.available": "memory",
    "allocatableMemory.available": "memory",
    "nodefs.available": "nodefs",
    "allocatableNodeFs.available": "nodefs",
    "imagefs.available": "imagefs",
    "containerfs.available": "containerfs",
    "nodefs.inodesFree": "nodefsInodes",
    "imagefs.inodesFree": "imagefsInodes",
    "containerfs.inodesFree": "containerfsInodes",
    "pid.available": "pids",
}
_SIGNALS_FOLDED = {signal.lower(): resource for signal, resource in _RESOURCE_BY_SIGNAL.items()}
_RESOURCES_FOLDED = {name.lower(): name for name in _CAUSE_BY_RESOURCE}

# Quantities may hold a dot ("1.5Gi"), so a sentence ends at a dot before a space or the end; a
# sentence without its period ends before the next space or at the end (kubelets and the tools that
# copy their messages do not always keep the punctuation).
_END = r"(?:\.(?=\s|$)|(?=\s)|$)"
_NODE_LOW = re.compile(
    r"The node was low on resource:\s*(?P<resource>[A-Za-z][\w./-]*?)(?:\.(?=\s|$)|(?=[\s,;)])|$)"
)
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
class Refusal:
    """Why the kubelet's admission refused a pod: the resource and its numbers, or the check that failed.

    ``requested``, ``used`` and ``capacity`` are the kubelet's integers (lifecycle/predicate.go
    InsufficientResourceError): millicores for cpu, bytes for memory and ephemeral-storage, a count
    for pods and extended resources. ``capacity`` is the node's allocatable as the kubelet saw it.
    """

    reason: Optional[str]  # status.reason: OutOfcpu, NodeAffinity, UnexpectedAdmissionError, NodeShutdown, ...
    resource: Optional[str] = None  # cpu, memory, pods, nvidia.com/gpu
    requested: Optional[int] = None
    used: Optional[int] = None
    capacity: Optional[int] = None
    predicate: Optional[str] = None  # the failed check: NodeAffinity, MatchNodeSelector, TaintToleration, ...
    detail: Optional[str] = None  # the kubelet's own words, without the "Pod was rejected: " prefix
    node_allocatable: Optional[str] = None  # the node's allocatable of the resource now, when the node was read

    DOCUMENT_FIELDS = ("reason", "resource", "requested", "used", "capacity", "free", "shortfall", "predicate",
                       "detail", "node_allocatable")

    @property
    def free(self) -> Optional[int]:
        """What was left of the allocatable when the pod arrived (capacity - used)."""
        return self.capacity - self.used if self.capacity is not None and self.used is not None else None

    @property
    def shortfall(self) -> Optional[int]:
        """How much more the pod asked for than was free."""
        free = self.free
        return self.requested - free if free is not None and self.requested is not None else None


@dataclass
class Replacement:
    """Whether the pod's controller has made up for it; ``replaced`` None when that cannot be told."""

    controller: Optional[str]  # replicaset/api-7d4b9c; None for a pod no controller owns
    replaced: Optional[bool]
    detail: str
    pod: Optional[str] = None  # a replacement seen among the pods read


@dataclass
class Eviction:
    """What the kubelet said about one pod it ended: evicted, refused, shut down with its node, or preempted."""

    kind: str  # KIND_NODE_PRESSURE | KIND_LOCAL_STORAGE | KIND_REJECTED | endings.KIND_NODE_SHUTDOWN | ...
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
    reason: Optional[str] = None  # the pod's status.reason: Evicted, OutOfcpu, Terminated, Preempting, ...
    refusal: Optional[Refusal] = None  # admission refusals (and refusals while the node shut down)
    replacement: Optional[Replacement] = None
    preempted_by: Optional[str] = None  # namespace/name of the critical pod, when it can be told
    message: str = ""
    evicted_at: Optional[datetime] = None  # when the kubelet ended or refused it
    node_gone: bool = False  # the node was read and is absent (deleted since): no fix names it in a command

    DOCUMENT_IF_SET = ("node_gone",)


def resource_name(name: Optional[str]) -> Optional[str]:
    """The resource a kubelet message names, from a resource or an eviction signal name.

    >>> resource_name("nodefs.inodesFree"), resource_name("memory.available"), resource_name("Inodes")
    ('nodefsInodes', 'memory', 'inodes')
    >>> resource_name("nvidia.com/gpu")
    'nvidia.com/gpu'
    """
    if not name:
        return None
    folded = name.strip().rstrip(".").lower()
    return _SIGNALS_FOLDED.get(folded) or _RESOURCES_FOLDED.get(folded) or name.strip().rstrip(".")


def cause_for(resource: Optional[str]) -> str:
    """The cause code for a starved resource (or eviction signal) as the kubelet names it.

    >>> cause_for("memory"), cause_for("nodefs"), cause_for("pid.available"), cause_for("gpu")
    ('EvictedMemory', 'EvictedDisk', 'EvictedPID', 'EvictedOther')
    """
    return _CAUSE_BY_RESOURCE.get(resource_name(resource) or "", CAUSE_OTHER)


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
    resource = resource_name(low["resource"] if low else (consumption["resource"] if consumption else None))
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

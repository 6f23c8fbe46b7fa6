"""What to change after an eviction, naming the workload, container and volume to change.

Sizes come from what the kubelet observed: requests get the usage plus 25%, raised limits
the old limit plus 50%, both rounded up (``quantity.suggest_size``). Commands target the
object people edit (``deployment/api``, ``cronjob/nightly``); a Job's template is immutable
and a bare pod has no template, so for those the line says what to change, not a command
that would fail. Import ``eviction_fixes`` through ``evictions``.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from .endingfixes import clean_line, ending_fixes, replacement_line
from .messages import (
    CAUSE_DISK,
    CAUSE_EPHEMERAL_STORAGE,
    CAUSE_MEMORY,
    CAUSE_PID,
    EPHEMERAL_STORAGE,
    KIND_LOCAL_STORAGE,
    KIND_NODE_PRESSURE,
    KIND_REJECTED,
    CAUSE_REJECTED,
    ContainerUsage,
    Eviction,
)
from ..kube import Obj, as_list, dig, name_of, namespace_of
from ..pulls.fixcontext import node_gone_line
from ..quantity import parse_bytes, suggest_size
from ..workloads import PATCHABLE_KINDS, WorkloadKey, patch_template_command, workload_ref

SAFE_TO_EVICT = "cluster-autoscaler.kubernetes.io/safe-to-evict"
SAFE_TO_EVICT_LOCAL_VOLUMES = "cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes"

_PVC_INSTEAD = "For large scratch data, mount a PersistentVolumeClaim (or a generic ephemeral volume) instead of"


def container_resources(pod: Obj) -> Dict[str, Obj]:
    """Regular and init containers' ``resources`` by name: the ones the kubelet reports on."""
    specs = as_list(dig(pod, "spec", "containers")) + as_list(dig(pod, "spec", "initContainers"))
    return {str(spec.get("name")): dig(spec, "resources", default={}) for spec in specs}


class _Target:
    """Where a change must go so that the next pods get it: the workload, or the bare pod."""

    def __init__(self, owner: Optional[WorkloadKey], pod: Obj) -> None:
        self.kind, self.name = owner if owner else ("Pod", name_of(pod))
        self.ref = workload_ref(self.kind, self.name)
        self.namespace = namespace_of(pod) or "default"
        self.patchable = self.kind in PATCHABLE_KINDS

    def set_resources(self, container: str, flags: str) -> str:
        if self.patchable:
            return f"kubectl set resources {self.ref} -c {container} {flags} -n {self.namespace}"
        if self.kind == "Job":
            return (
                f"a Job's pod template is immutable: change container {container} ({flags}) "
                f"in the manifest of {self.ref} for its next run"
            )
        return f"pod {self.name} has no controller: re-create it with {flags} on container {container}"

    def patch(self, template_fragment: Obj) -> Optional[str]:
        """A strategic-merge ``kubectl patch`` of the pod template; None without a template."""
        return patch_template_command(self.kind, self.name, self.namespace, template_fragment)


def _emptydirs(pod: Obj, memory_backed: bool) -> List[Obj]:
    return [
        volume
        for volume in as_list(dig(pod, "spec", "volumes"))
        if isinstance(volume.get("emptyDir"), dict)
        and (dig(volume, "emptyDir", "medium") == "Memory") == memory_backed
    ]


def _mount_of(pod: Obj, volume: str) -> Optional[Tuple[str, str]]:
    """(container, mountPath) of the first container that mounts ``volume``."""
    for spec in as_list(dig(pod, "spec", "containers")) + as_list(dig(pod, "spec", "initContainers")):
        for mount in as_list(spec.get("volumeMounts")):
            if mount.get("name") == volume:
                return str(spec.get("name")), str(mount.get("mountPath"))
    return None


def _request_fix(usage: ContainerUsage, target: _Target, resource: str) -> Optional[str]:
    observed = parse_bytes(usage.usage)
    if observed is None:
        return None
    size = suggest_size(observed)
    flags = f"--requests={resource}={size}"
    limit = parse_bytes(usage.limit)
    if limit is not None and limit < (parse_bytes(size) or 0):
        flags += f" --limits={resource}={size}"  # the API refuses a request above the limit
    return (
        f"Raise the {resource} request of container {usage.name} in {target.ref} to {size} "
        f"(it used {usage.usage}, request {usage.request or 'none'}): {target.set_resources(usage.name, flags)}"
    )


def _request_fixes(eviction: Eviction, target: _Target, resource: str) -> List[str]:
    """A request sized from observed usage per offending container, and for the pod level."""
    fixes = [fix for fix in (_request_fix(usage, target, resource) for usage in eviction.containers) if fix]
    pod_usage = eviction.pod_usage
    observed = parse_bytes(pod_usage.usage) if pod_usage else None
    if pod_usage is not None and observed is not None:
        fixes.append(
            f"Raise the pod-level {resource} request (spec.resources.requests) of {target.ref} to "
            f"{suggest_size(observed)} (the pod used {pod_usage.usage}, request {pod_usage.request or 'none'})"
        )
    return fixes


def _scratch_volume_fixes(pod: Obj, target: _Target) -> List[str]:
    """sizeLimit, PersistentVolumeClaim and autoscaler annotation for disk-backed emptyDirs."""
    volumes = _emptydirs(pod, memory_backed=False)
    fixes = []
    for volume in volumes:
        if dig(volume, "emptyDir", "sizeLimit") is not None:
            continue
        name = str(volume.get("name"))
        mount = _mount_of(pod, name) if target.patchable else None
        measure = (
            f": measure it with kubectl exec -n {target.namespace} {target.ref} -c {mount[0]} -- du -sh {mount[1]}"
            if mount
            else ""
        )
        fixes.append(
            f"Give emptyDir volume {name} of {target.ref} a sizeLimit a little above its real size, so a "
            f"runaway writer gets only its own pod evicted{measure}"
        )
    if not volumes:
        return fixes
    names = ",".join(str(volume.get("name")) for volume in volumes)
    fixes.append(f"{_PVC_INSTEAD} emptyDir {names} in {target.ref}, so it no longer fills the node's disk")
    annotations = dig(pod, "metadata", "annotations", default={})
    if SAFE_TO_EVICT in annotations or SAFE_TO_EVICT_LOCAL_VOLUMES in annotations or target.kind == "Pod":
        return fixes  # a bare pod blocks the autoscaler anyway: nothing would re-create it
    how = target.patch({"metadata": {"annotations": {SAFE_TO_EVICT_LOCAL_VOLUMES: names}}}) or (
        f"add the annotation {SAFE_TO_EVICT_LOCAL_VOLUMES}={names} to the pod template in the manifest of {target.ref}"
    )
    fixes.append(
        f"emptyDir {names} keeps the cluster autoscaler from removing the node under these pods; if it holds "
        f'only scratch data, say so ({SAFE_TO_EVICT}: "true" would waive every check): {how}'
    )
    return fixes


def _memory_fixes(eviction: Eviction, pod: Obj, target: _Target) -> List[str]:
    fixes = _request_fixes(eviction, target, "memory")
    if not eviction.containers:
        missing = [name for name, spec in container_resources(pod).items() if dig(spec, "requests", "memory") is None]
        if missing:
            fixes.append(
                f"Give containers {', '.join(missing)} of {target.ref} memory requests near their real usage: "
                f"the kubelet evicts first the pods furthest above their requests"
            )
    for volume in _emptydirs(pod, memory_backed=True):
        fixes.append(
            f"emptyDir volume {volume.get('name')} of {target.ref} is memory-backed (medium: Memory): its files "
            f"count as the pod's memory; cap it with a sizeLimit or move it to disk"
        )
    return fixes


def _disk_fixes(eviction: Eviction, pod: Obj, target: _Target) -> List[str]:
    node, node_gone = eviction.node or "the node", eviction.node_gone
    if "inodes" in (eviction.resource or "").lower():
        writer = (f"Node {node} ran out of {eviction.resource}: something in {target.ref} or beside it writes many "
                  "small files" + ("" if node_gone else f"; check kubectl describe node {node}"))
        return [writer] + _scratch_volume_fixes(pod, target)
    fixes = _request_fixes(eviction, target, EPHEMERAL_STORAGE)
    if eviction.cause == CAUSE_DISK and not node_gone:
        fixes.insert(
            0,
            f"Node {node} ran low on {eviction.resource}: check it with kubectl describe node {node} "
            f"(DiskPressure) and the kubelet's image garbage collection thresholds",
        )
    for usage in eviction.containers:
        fixes.append(
            f"Container {usage.name}'s logs count toward its usage: if it logs heavily, log less; the kubelet "
            f"keeps containerLogMaxSize x containerLogMaxFiles of logs per container"
        )
    return fixes + _scratch_volume_fixes(pod, target)


def _node_pressure_fixes(eviction: Eviction, pod: Obj, target: _Target) -> List[str]:
    node = eviction.node or "the node"
    if eviction.cause == CAUSE_MEMORY:
        return _memory_fixes(eviction, pod, target)
    if eviction.cause in (CAUSE_EPHEMERAL_STORAGE, CAUSE_DISK):
        return _disk_fixes(eviction, pod, target)
    if eviction.cause == CAUSE_PID:
        return [
            f"Node {node} ran out of process IDs: look for a process or thread leak in {target.ref}, and cap "
            f"each pod with the kubelet's podPidsLimit so one pod cannot exhaust the node"
        ]
    if eviction.node_gone:
        return []
    return [f"Node {node} ran low on {eviction.resource or 'a resource'}: check kubectl describe node {node}"]


def _local_storage_fixes(eviction: Eviction, pod: Obj, target: _Target) -> List[str]:
    if eviction.volume is not None:
        limit = parse_bytes(eviction.threshold)
        bigger = suggest_size(limit, headroom=0.5) if limit is not None else None
        raise_it = target.patch({"spec": {"volumes": [{"name": eviction.volume, "emptyDir": {"sizeLimit": bigger}}]}})
        first = f"emptyDir volume {eviction.volume} of {target.ref} outgrew its sizeLimit {eviction.threshold}"
        if bigger:
            first += f": raise it to {bigger}" + (f": {raise_it}" if raise_it else "")
        return [first, f"{_PVC_INSTEAD} emptyDir {eviction.volume}"]
    fixes = []
    for usage in eviction.containers:
        current = parse_bytes(usage.limit)
        if current is None:
            continue
        size = suggest_size(current, headroom=0.5)
        fixes.append(
            f"Raise the ephemeral-storage limit of container {usage.name} in {target.ref} from {usage.limit} to "
            f"{size}, or write its data to a volume: "
            + target.set_resources(usage.name, f"--limits={EPHEMERAL_STORAGE}={size}")
        )
    if eviction.exceeded_limit == "pod":
        fixes.insert(
            0,
            f"The pod's writable layers, logs and emptyDir volumes together went over its containers' summed "
            f"ephemeral-storage limits ({eviction.threshold})",
        )
        fixes += _scratch_volume_fixes(pod, target)
    return fixes


def _is_best_effort(pod: Obj) -> bool:
    qos = dig(pod, "status", "qosClass")
    if qos:
        return qos == "BestEffort"
    return not any(spec.get("requests") or spec.get("limits") for spec in container_resources(pod).values())


def _rejection_fixes(eviction: Eviction, pod: Obj, target: _Target) -> List[str]:
    node = eviction.node or "the node"
    conditions = ", ".join(eviction.node_conditions) or "a pressure condition"
    fixes = [
        f"Node {node} had {conditions} when the pod arrived, so the kubelet refused it and it never ran"
        + ("" if eviction.node_gone else f"; check the node: kubectl describe node {node}")
    ]
    if eviction.node_conditions == ["MemoryPressure"] and _is_best_effort(pod):
        # eviction_manager.go Admit: under MemoryPressure alone only BestEffort pods are refused.
        fixes.append(
            f"Under MemoryPressure alone the kubelet still admits pods that have requests: give the "
            f"containers of {target.ref} memory requests"
        )
    replaced = replacement_line(eviction, target)
    if replaced:
        fixes.append(replaced)
    fixes.append(f"Remove these leftovers with: kubectl pullmedic clean -n {target.namespace} --include-rejected")
    return fixes


def eviction_fixes(eviction: Eviction, pod: Obj, owner: Optional[WorkloadKey]) -> List[str]:
    """Concrete changes, naming the workload (``owner``, from ``owner_of``) and containers.

    When the node was read and is absent (``eviction.node_gone``: deleted since), no line checks
    it; the changes to the workload still apply, and the leftover is removed with ``clean``.

    >>> pod = {"metadata": {"name": "api-1", "namespace": "shop"}, "spec": {"nodeName": "n1"}}
    >>> usage = ContainerUsage("app", "1.2Gi", "256Mi")
    >>> eviction_fixes(Eviction("NodePressure", "EvictedMemory", "memory", containers=[usage]),
    ...                pod, ("Deployment", "api"))[0].split(": ")[-1]
    'kubectl set resources deployment/api -c app --requests=memory=1536Mi -n shop'
    """
    target = _Target(owner, pod)
    if eviction.kind == KIND_REJECTED and eviction.cause == CAUSE_REJECTED:
        fixes = _rejection_fixes(eviction, pod, target)
    elif eviction.kind == KIND_LOCAL_STORAGE:
        fixes = _local_storage_fixes(eviction, pod, target)
    elif eviction.kind == KIND_NODE_PRESSURE:
        fixes = _node_pressure_fixes(eviction, pod, target)
    else:
        fixes = ending_fixes(eviction, pod, target)
    if not eviction.node_gone:
        return fixes
    tail = [clean_line(eviction, target.namespace)] if eviction.kind in (KIND_LOCAL_STORAGE, KIND_NODE_PRESSURE) else []
    return [node_gone_line(eviction.node or "the node")] + fixes + tail

"""What to do after the kubelet refused a pod, shut it down with its node, or preempted it.

Often nothing is broken any more: the controller made a new pod elsewhere and only the Failed
one is left. So every fix first says whether that happened (``Replacement``), then what would
stop it happening again, and last how to remove the leftover with ``clean``. Import through
``evictions.fixes.eviction_fixes``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from .endings import CAUSE_NODE_AFFINITY, CAUSE_OUT_OF_RESOURCE, KIND_NODE_SHUTDOWN, amount
from .messages import KIND_LOCAL_STORAGE, KIND_NODE_PRESSURE, KIND_REJECTED, Eviction, Refusal
from ..kube import Obj, as_list, dig, rfc3339

_CORE_RESOURCES = ("cpu", "memory", "ephemeral-storage", "pods")


def replacement_line(eviction: Eviction, target: Any) -> Optional[str]:
    """Whether the controller made up for the pod, as the first thing to know."""
    replacement = eviction.replacement
    if replacement is None:
        return None
    if replacement.replaced:
        return f"Nothing is missing: {replacement.detail}; only this Failed pod is left over"
    if replacement.controller is None:
        return (f"No controller owns pod {target.name}, so nothing re-creates it: re-create it (kubectl get pod "
                f"{target.name} -n {target.namespace} -o yaml > {target.name}.yaml, remove its status, delete the pod, "
                f"apply the file), and run such pods under a Deployment or Job next time")
    if replacement.replaced is False:
        return f"Not made up for yet: {replacement.detail}"
    return f"Replacement: {replacement.detail}"


def clean_line(eviction: Eviction, namespace: str) -> str:
    """``clean`` takes evictions by default; refusals and the other endings only when asked."""
    flag = {KIND_REJECTED: " --include-rejected", KIND_NODE_PRESSURE: "", KIND_LOCAL_STORAGE: ""}.get(
        eviction.kind, " --include-shutdown")
    return f"Remove these leftovers with: kubectl pullmedic clean -n {namespace}{flag}"


def _requests(pod: Obj, resource: str) -> Dict[str, str]:
    """Containers' requests of ``resource`` (regular containers; init containers run one at a time)."""
    found = {}
    for spec in as_list(dig(pod, "spec", "containers")):
        value = dig(spec, "resources", "requests", resource)
        if value is not None:
            found[str(spec.get("name"))] = str(value)
    return found


def _numbers(refusal: Refusal) -> str:
    res = refusal.resource
    free = amount(res, refusal.free) if (refusal.free or 0) > 0 else "none"
    return (f"{free} of its {amount(res, refusal.capacity)} allocatable {res} was free ({amount(res, refusal.used)} "
            f"requested by its pods) and the pod requests {amount(res, refusal.requested)} {res}")


def _out_of_resource(eviction: Eviction, pod: Obj, target: Any, node: str) -> List[str]:
    refusal = eviction.refusal or Refusal(eviction.reason)
    res = refusal.resource or "a resource"
    if refusal.free is not None:
        fixes = [f"When the pod arrived on node {node}, {_numbers(refusal)}, so the kubelet refused it and it never ran"]
    else:
        fixes = [f"Node {node} did not have the {res} the pod requests when it arrived, so the kubelet refused it"]
    too_big = refusal.requested is not None and refusal.capacity is not None and refusal.requested > refusal.capacity
    if too_big:
        fixes.append(f"The pod requests more {res} than node {node} has allocatable in all: it can never run there "
                     f"(the scheduler would not have chosen that node: was it bound with spec.nodeName?)")
    elif res == "pods":
        fixes.append(f"Node {node} already ran its maximum of {amount(res, refusal.capacity)} pods (the kubelet's "
                     f"maxPods)")
    elif res in _CORE_RESOURCES:
        fixes.append("The scheduler had counted room for it: the node's pods or allocatable changed in between, "
                     "typically after a node or kubelet restart (the kubelet admits its pods again, in another "
                     "order), or because of pods that bypass the scheduler (static pods, spec.nodeName)")
    else:
        fixes.append(f"The device plugin for {res} on node {node} advertised fewer devices than the scheduler "
                     f"counted (it restarted, or marks devices unhealthy); look at the plugin's pods on it and at the "
                     f"node: kubectl describe node {node}")
    if refusal.node_allocatable is not None:
        fixes.append(f"Node {node} has {refusal.node_allocatable} {res} allocatable now")
    requests = _requests(pod, res) if res in _CORE_RESOURCES[:3] else {}
    if requests and target.patchable:
        listed = ", ".join(f"{name} {value}" for name, value in requests.items())
        first = next(iter(requests))
        fixes.append(f"If pods keep being refused, lower the {res} requests of {target.ref} ({listed}) or give it "
                     f"nodes with more allocatable {res}: "
                     + target.set_resources(first, f"--requests={res}=<smaller>"))
    return fixes


def _affinity(eviction: Eviction, target: Any, node: str) -> List[str]:
    refusal = eviction.refusal or Refusal(eviction.reason)
    words = f" ({refusal.detail})" if refusal.detail else ""
    return [
        f"When the kubelet on node {node} admitted the pod, the node's labels did not match its nodeSelector or node "
        f"affinity{words}, so it never ran there",
        "This happens when a kubelet restarts after the node's labels changed, or when a node is re-created under the "
        f"same name (spot and preemptible VMs) before its labels are set; compare the pod's nodeSelector and "
        f"affinity in {target.ref} with the node's labels: kubectl get node {node} --show-labels",
    ]


_OTHER_REFUSALS = {
    "TopologyAffinityError": "The topology manager on node {node} could not align the pod's CPUs and devices on one "
                             "NUMA node under its policy: lower the pod's requests, or relax topologyManagerPolicy",
    "SMTAlignmentError": "The CPU manager's full-pcpus-only policy on node {node} needs whole physical cores: request "
                         "a multiple of the threads per core",
    "InvalidNodeInfo": "The kubelet on node {node} could not read its own Node object (API server unreachable, or the "
                       "node was just registered): check the kubelet's logs there",
    "PodOSNotSupported": "The pod's spec.os does not match node {node}'s operating system",
    "PodOSSelectorNodeLabelDoesNotMatch": "The pod's kubernetes.io/os label does not match node {node}'s",
    "TaintToleration": "Node {node} has a NoExecute taint the pod does not tolerate",
    "NodePorts": "Another pod on node {node} already uses a hostPort the pod asks for",
    "PodFitsHostPorts": "Another pod on node {node} already used a hostPort the pod asks for",
    "HostPortConflict": "Another pod on node {node} already used a hostPort the pod asks for",
}


def _other(eviction: Eviction, node: str) -> List[str]:
    refusal = eviction.refusal or Refusal(eviction.reason)
    detail = refusal.detail or eviction.message
    reason = refusal.reason or "no reason given"
    advice = _OTHER_REFUSALS.get(refusal.predicate or "") or _OTHER_REFUSALS.get(reason)
    if advice:
        return [advice.format(node=node)]
    if "Allocate failed due to" in detail:
        return [f"The kubelet on node {node} could not allocate the devices or CPUs the pod asks for ({detail}); "
                f"usually a device plugin restarted or reports unhealthy devices; look at the plugin's pods and logs "
                f"and at the node: kubectl describe node {node}"]
    if "recover from admission failure" in detail:
        return [f"A critical pod did not fit on node {node} and the kubelet found no pods it could preempt for it "
                f"({detail})"]
    return [f"The kubelet on node {node} refused the pod ({reason}): {detail}; its log on the node says more"]


def _shutdown(eviction: Eviction, node: str) -> List[str]:
    if eviction.refusal is not None:
        return [f"Node {node} was shutting down when the pod arrived, so the kubelet refused it; it never ran"]
    when = f" at {rfc3339(eviction.evicted_at)}" if eviction.evicted_at else ""
    return [
        f"Node {node} shut down{when} and its kubelet stopped the pod first (graceful node shutdown): a spot or "
        f"preemptible VM reclaimed, maintenance, or a scale-down",
        "For the pod to finish its work first, its terminationGracePeriodSeconds must fit in the kubelet's "
        "shutdownGracePeriod minus shutdownGracePeriodCriticalPods (or its shutdownGracePeriodByPodPriority slot)",
    ]


def _preemption(eviction: Eviction, node: str) -> List[str]:
    when = f" at {rfc3339(eviction.evicted_at)}" if eviction.evicted_at else ""
    if eviction.preempted_by:
        first = (f"The kubelet on node {node} stopped this pod{when} to make room for critical pod "
                 f"{eviction.preempted_by}, which did not fit beside it")
    else:
        first = (f"The kubelet on node {node} stopped this pod{when} to make room for a critical pod (priority "
                 f"2000000000 or more, or a static pod) that did not fit; the kubelet does not record which: look for "
                 f"one that started then, kubelet logs say 'Preempting pod to free up resources'")
    return [
        first,
        "The scheduler never made room for that pod (a static pod, or one bound with spec.nodeName): reserve room for "
        "node-critical pods with the kubelet's systemReserved/kubeReserved, or let the scheduler place it so that it "
        "preempts by priority",
    ]


def ending_fixes(eviction: Eviction, pod: Obj, target: Any) -> List[str]:
    """The fixes for a refusal (other than under node pressure), a node shutdown or a preemption.
    When the node was deleted since (``node_gone``) a refusal's explanation and checks of it are left out."""
    node = eviction.node or "the node"
    if eviction.kind == KIND_NODE_SHUTDOWN:
        fixes = _shutdown(eviction, node)
    elif eviction.kind == "KubeletPreemption":
        fixes = _preemption(eviction, node)
    elif eviction.node_gone:
        fixes = []
    elif eviction.cause == CAUSE_OUT_OF_RESOURCE:
        fixes = _out_of_resource(eviction, pod, target, node)
    elif eviction.cause == CAUSE_NODE_AFFINITY:
        fixes = _affinity(eviction, target, node)
    else:
        fixes = _other(eviction, node)
    replaced = replacement_line(eviction, target)
    if replaced:
        fixes.insert(1, replaced)
    return fixes + [clean_line(eviction, target.namespace)]

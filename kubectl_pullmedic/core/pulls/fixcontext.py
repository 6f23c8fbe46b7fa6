"""What a fix needs to know, and the commands that change a workload, a pod or a node.

Commands name the object people edit (``deployment/api``, found through the owner chain): a
change to a pod that a controller owns is undone at its next rollout, while a bare pod's
spec (and a Job's template) cannot change at all and must be re-created.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

from .imageref import ImageRef
from ..kube import Obj, as_list, dig
from ..credentials.podcredentials import PullCredentials
from .classify import PullError
from ..workloads import WorkloadKey, patch_template_command, workload_ref

SPEC_LISTS = {"init": "initContainers", "regular": "containers", "ephemeral": "ephemeralContainers"}


@dataclass(frozen=True)
class FixContext:
    """Everything a fix names: where the container lives, its image, and what is known."""

    namespace: str
    pod: str
    container: str
    container_type: str  # init | regular | ephemeral
    image: ImageRef
    owner: Optional[WorkloadKey]
    node: Optional[str]
    error: Optional[PullError]
    credentials: PullCredentials
    node_info: Optional[Dict[str, Any]] = None
    pull_policy: str = ""
    cause_known: bool = True
    node_unreadable: Optional[str] = None  # why the node could not be read (then node_info is None)
    running_images: Tuple[Tuple[str, str], ...] = ()  # (registry, repository) other pods pull fine
    node_gone: bool = False  # the node was read and is absent (deleted since the pod was placed)

    @property
    def target(self) -> str:
        return workload_ref(*self.owner) if self.owner else f"pod/{self.pod}"

    @property
    def host(self) -> str:
        detail = self.error.detail if self.error else {}
        return str(detail.get("host") or self.image.registry or "the registry")

    @property
    def node_name(self) -> str:
        return self.node or "<node>"


def describe_node(node: Optional[Obj]) -> Optional[Dict[str, Any]]:
    """The facts a fix quotes about a node: OS, architecture and its pressure conditions."""
    if not isinstance(node, dict):
        return None
    labels = dig(node, "metadata", "labels", default={})
    labels = labels if isinstance(labels, dict) else {}
    conditions = {
        str(cond.get("type")): str(cond.get("status"))
        for cond in as_list(dig(node, "status", "conditions")) if cond.get("type")
    }
    return {
        "os": dig(node, "status", "nodeInfo", "operatingSystem") or labels.get("kubernetes.io/os"),
        "arch": dig(node, "status", "nodeInfo", "architecture") or labels.get("kubernetes.io/arch"),
        "conditions": conditions,
        "pressure": sorted(kind for kind, status in conditions.items() if kind.endswith("Pressure") and status == "True"),
    }


def set_image(ctx: FixContext, image: str) -> str:
    """``kubectl set image`` on the workload; it finds init containers by name too."""
    if ctx.container_type == "ephemeral":
        return (f"ephemeral container {ctx.container} cannot be changed: start a new one with "
                f"kubectl debug {ctx.pod} -n {ctx.namespace} -it --image={image}")
    if ctx.owner and ctx.owner[0] == "Job":
        return (f"a Job's pod template cannot change: set {ctx.container}'s image to {image} in the manifest of "
                f"{ctx.target}, then delete and re-create the Job")
    return f"kubectl set image {ctx.target} {ctx.container}={image} -n {ctx.namespace}"


def patch_template(ctx: FixContext, pod_spec_fragment: Obj, what: str) -> str:
    """A strategic-merge patch of the workload's pod template (lists merge by name).

    A pod's spec (and a Job's template) is fixed once created, so those must be re-created.
    """
    command = patch_template_command(*ctx.owner, ctx.namespace, {"spec": pod_spec_fragment}) if ctx.owner else None
    return command or f"{what} cannot change on {ctx.target} once created: re-create it with the change"


def restart(ctx: FixContext) -> str:
    """How to get new pods, which pick up changed service-account pull secrets."""
    if ctx.owner and ctx.owner[0] in ("Deployment", "StatefulSet", "DaemonSet"):
        return f"kubectl rollout restart {ctx.target} -n {ctx.namespace}"
    if ctx.owner and ctx.owner[0] in ("ReplicaSet", "ReplicationController"):
        return f"delete the pod, and its {ctx.owner[0]} creates a new one: kubectl delete pod {ctx.pod} -n {ctx.namespace}"
    return f"re-create pod {ctx.pod} (kubectl get pod {ctx.pod} -n {ctx.namespace} -o yaml, delete it, apply it again)"


def debug_node(ctx: FixContext, image: str, command: str) -> str:
    """A command run on the pod's node through a node debugging pod (host network, host fs at /host)."""
    return on_node(ctx.node_name, image, command)


def node_gone_line(node: str, placed: str = "the pod was") -> str:
    """A node read and absent: commands against it would fail, so say so instead of naming them."""
    return f"Node {node} no longer exists (deleted after {placed} placed): there is nothing left to check or fix on it"


def replace_pod(owner: Optional[WorkloadKey], pod: str, namespace: str) -> str:
    """What still gets a pod bound to a deleted node running: a replacement from its controller,
    which the scheduler places on a node that exists (the pod itself can never move).

    >>> replace_pod(("DaemonSet", "agent"), "agent-x", "ops").split(":")[0]
    'daemonset/agent runs pods only on nodes that exist, so nothing replaces this one'
    """
    delete = f"kubectl delete pod {pod} -n {namespace}"
    if owner is None:
        return (f"No controller re-creates pod {pod}: re-create it without the node (kubectl get pod {pod} -n {namespace} "
                f"-o yaml > {pod}.yaml, remove spec.nodeName and status, delete the pod, apply the file)")
    if owner[0] == "DaemonSet":
        return f"{workload_ref(*owner)} runs pods only on nodes that exist, so nothing replaces this one: remove it: {delete}"
    return (f"{workload_ref(*owner)} replaces the pod on a node that exists once it is deleted (the pod garbage collector "
            f"deletes pods of deleted nodes in time); to do it now: {delete}")


def on_node(node: str, image: str, command: str) -> str:
    """A command run on a node through a node debugging pod (host network, host fs at /host)."""
    return f"kubectl debug node/{node} -it --image={image} -- {command}"

"""Pulls that started and have not ended: in progress for a while is normal, for too long a finding.

The kubelet writes ``Pulling image "x"`` when a pull starts and ``Pulled`` or ``Failed`` when it
ends; a ``Pulling`` with neither after it is a pull still running. Past ``SLOW_PULL_AFTER``
(``why --slow-pull``) it is reported as ``SlowPull`` with what is known: how long, the node, the
other pulls still running there (the kubelet pulls one image at a time unless
``serializeImagePulls`` is false), and the node's disk pressure when the node was read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Dict, Iterable, List, Optional, Tuple

from ..kube import Obj, container_kind, dig, iter_containers, name_of, namespace_of
from ..podevents import EventIndex, for_container, last_seen, unfinished_pull
from .fixcontext import FixContext, debug_node, node_gone_line, replace_pod

SLOW_PULL_AFTER = timedelta(minutes=5)
_STARTING = ("ContainerCreating", "PodInitializing")


def running_pull(pod_events: Iterable[Obj], field_path: str, spec: Obj, status: Obj) -> Optional[Obj]:
    """The ``Pulling`` event of this container's pull if it has no outcome yet and the container waits on it."""
    if dig(status, "state", "running") or dig(status, "state", "terminated"):
        return None
    if dig(status, "state", "waiting") and dig(status, "state", "waiting", "reason") not in _STARTING:
        return None
    spec_list = container_kind(field_path)[1]
    image = spec.get("image") if isinstance(spec.get("image"), str) else ""
    return unfinished_pull(for_container(pod_events, spec_list, str(spec.get("name") or ""), image))


def pulls_by_node(pods: Iterable[Obj], index: EventIndex) -> Dict[str, List[Tuple[str, str]]]:
    """Per node, the (pod, image) pulls still running there, as far as the events read show."""
    running: Dict[str, List[Tuple[str, str]]] = {}
    for pod in pods:
        node = dig(pod, "spec", "nodeName")
        if not isinstance(pod, dict) or not isinstance(node, str) or not node:
            continue
        pod_events = index.for_pod(pod)
        for field_path, spec, status in iter_containers(pod):
            if running_pull(pod_events, field_path, spec, status) is not None:
                running.setdefault(node, []).append((f"{namespace_of(pod)}/{name_of(pod)}", str(spec.get("image"))))
    return running


def may_be_pulling(pod: Obj) -> bool:
    """A scheduled pod with a container still being created: worth its pull events (a slow pull, or
    one queued behind it on the same node)."""
    if not isinstance(pod, dict) or not dig(pod, "spec", "nodeName"):
        return False
    return dig(pod, "status", "phase") in (None, "Pending") and any(
        dig(status, "state", "waiting", "reason") in _STARTING or not dig(status, "state")
        for _, _, status in iter_containers(pod))


def elapsed(event: Obj, now: datetime) -> Optional[timedelta]:
    started = last_seen(event)
    return now - started if started is not None and started <= now else None


def slow_pull_summary(ctx: FixContext, took: timedelta, words: str) -> str:
    return f"pulling {ctx.image.familiar} on node {ctx.node_name} has taken {words} and has not finished"


def slow_pull_fixes(ctx: FixContext, others: List[Tuple[str, str]]) -> List[str]:
    node, image = ctx.node_name, ctx.image.fully_qualified
    if ctx.node_gone:  # the pull will never end there: only a replacement on another node runs
        return [node_gone_line(node), replace_pod(ctx.owner, ctx.pod, ctx.namespace)]
    steps = []
    if others:
        listed = ", ".join(f"{pod} ({image})" for pod, image in others[:3]) + (f" and {len(others) - 3} more"
                                                                            if len(others) > 3 else "")
        pulls = "1 other pull has" if len(others) == 1 else f"{len(others)} other pulls have"
        steps.append(f"{pulls} started on node {node} and not ended: {listed}; the kubelet writes Pulling before a "
                     "pull waits its turn, and with serializeImagePulls (the default) pulls one image at a time, "
                     "so pulls on one node queue behind each other")
    if ctx.node_info is not None:
        pressure = ctx.node_info.get("pressure") or []
        steps.append(f"Node {node} reports {', '.join(pressure) if pressure else 'no pressure'} now")
    elif ctx.node_unreadable:
        steps.append(f"Node {node} could not be read ({ctx.node_unreadable}); its conditions: kubectl describe node {node}")
    steps += [f"See how big the image is (a large image on a slow link takes long): skopeo inspect docker://{image}",
              f"Watch the pull finish or fail: kubectl get events -n {ctx.namespace} --field-selector "
              f"involvedObject.name={ctx.pod} -w",
              "See the node's free space for images: " + debug_node(ctx, "busybox", "df -h /host/var/lib/containerd")]
    return steps

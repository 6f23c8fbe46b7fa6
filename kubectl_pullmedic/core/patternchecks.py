"""The words and the checks of a pattern (``core.patterns``): what to look at on the node, at the
registry, in the namespace or in the workload's history, as commands to paste."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable, List, Optional, Sequence

from . import causes as c
from .diagnosis import Diagnosis, PullEvidence
from .pulls.fixcontext import node_gone_line, on_node

_NODE_NETWORK = frozenset({c.REGISTRY_DNS_FAILURE, c.REGISTRY_UNREACHABLE, c.REGISTRY_TLS_ERROR, c.REGISTRY_SERVER_ERROR,
                           c.LAYER_DOWNLOAD_FAILED, c.REGISTRY_RATE_LIMITED, c.PULL_FAILED}) | c.AUTH_CAUSES
_ROLLOUTS = ("deployment/", "statefulset/", "daemonset/")


def sample(items: Sequence[str], shown: int = 3) -> str:
    """A few names and how many more.

    >>> sample(["node-a"]), sample(["a", "b"]), sample(["a", "b", "c", "d", "e"])
    ('node-a', 'a and b', 'a, b, c and 2 more')
    """
    items = list(items)
    if len(items) <= shown:
        return " and ".join(items) if len(items) < 3 else f"{', '.join(items[:-1])} and {items[-1]}"
    return f"{', '.join(items[:shown])} and {len(items) - shown} more"


def moment(when: datetime, now: Optional[datetime] = None) -> str:
    """A time to match with a rollout or a rotation: the clock in UTC, and the date unless it is today's.

    >>> now = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
    >>> moment(datetime(2026, 11, 30, 11, 47, tzinfo=timezone.utc), now), moment(datetime(2026, 11, 29, 23, 5, tzinfo=timezone.utc), now)
    ('11:47 UTC', '2026-11-29 23:05 UTC')
    """
    when = when.astimezone(timezone.utc) if when.tzinfo else when.replace(tzinfo=timezone.utc)
    today = now is not None and now.astimezone(timezone.utc).date() == when.date()
    return when.strftime("%H:%M UTC" if today else "%Y-%m-%d %H:%M UTC")


def secret_state(group: Iterable[Diagnosis], secret: str, namespace: str) -> str:
    """What is known of the pull secret several workloads name (as read: absent, refused, no entry)."""
    states = [s for d in group if isinstance(d.evidence, PullEvidence) for s in d.evidence.pull_secrets.secrets
              if s.name == secret]
    if any(s.exists is False for s in states):
        return f"name pull secret {secret}, which does not exist in {namespace}"
    refused = next((s.unreadable for s in states if s.unreadable), None)
    if refused:
        return f"name pull secret {secret}, which could not be read ({refused})"
    if any(s.expired for s in states):
        return f"name pull secret {secret}, whose credentials have expired"
    if any(s.matches_registry is False for s in states):
        return f"name pull secret {secret}, which has no entry for the registry they pull from"
    return f"name pull secret {secret}, which does not get them in"


def node_checks(node: str, group: Iterable[Diagnosis], registries: Sequence[str], good: Sequence[str]) -> List[str]:
    """What to look at on a node where pulls fail that work elsewhere: its reach, proxy, disk, runtime."""
    causes = {d.cause for d in group}
    host = registries[0] if registries else "<registry>"
    steps = [f"See the node's conditions and recent events: kubectl describe node {node}"]
    if c.REGISTRY_DNS_FAILURE in causes:
        steps.append(f"Resolve {host} from the node: " + on_node(node, "busybox", f"nslookup {host}"))
    if causes & _NODE_NETWORK:
        probe = f"curl -sv --max-time 10 https://{host}/v2/"
        steps.append(f"Reach {host} from the node: " + on_node(node, "curlimages/curl", probe))
        if good:
            steps.append(f"and from {good[0]}, where it works, to compare: " + on_node(good[0], "curlimages/curl", probe))
        steps.append("The runtime's proxy settings on the node (HTTP_PROXY, NO_PROXY): "
                     + on_node(node, "busybox", "chroot /host systemctl show --property=Environment containerd crio docker"))
    if c.NODE_DISK_FULL in causes:
        steps.append("The node's free space for images: "
                     + on_node(node, "busybox", "df -h /host/var/lib/containerd /host/var/lib/kubelet"))
    steps.append("The runtime's recent errors: "
                 + on_node(node, "busybox", "chroot /host journalctl -u containerd -u crio -u docker --since -1h --no-pager"))
    steps.append(f"Keep new pods off {node} while you look: kubectl cordon {node}")
    return steps


def gone_node_checks(node: str) -> List[str]:
    """A node read absent: nothing to look at on it; its pods' controllers replace them elsewhere."""
    return [node_gone_line(node, "the pods were"),
            "Their controllers replace them on nodes that exist once they are deleted (the pod garbage collector "
            "deletes pods of deleted nodes in time; a pod without a controller is not re-created); to do it now: "
            f"kubectl delete pods -A --field-selector spec.nodeName={node}"]


def registry_checks(registry: str, family: str, group: Iterable[Diagnosis], nodes: Sequence[str]) -> List[str]:
    """An outage, a rotated credential or a rate limit: what tells them apart. ``nodes``: the failing
    nodes a check may name (those read absent left out)."""
    steps = []
    if family == "network":
        curl = f"curl -sv --max-time 10 https://{registry}/v2/"
        steps.append(f"An outage or a network change on the way to {registry}? Its status page"
                     + (", and from a failing node: " + on_node(nodes[0], "curlimages/curl", curl) if nodes else ""))
        steps.append(f"and from outside the cluster: curl -sv --max-time 10 https://{registry}/v2/")
    elif family == "credentials":
        secrets = sorted({f"{d.namespace}/{s.name}" for d in group if isinstance(d.evidence, PullEvidence)
                          for s in d.evidence.pull_secrets.secrets})
        sent = f" (the pods send {sample(secrets)})" if secrets else ""
        steps.append(f"A rotated or revoked credential for {registry}{sent}? Check every pull secret: "
                     "kubectl pullmedic secrets-check -A")
        steps.append(f"Ask {registry} with the pods' own credentials: kubectl pullmedic why -A --probe")
    else:
        steps.append(f"A rate limit counts pulls per source address (the nodes' egress) or per account: "
                     f"authenticate the pulls, or put a pull-through cache in front of {registry}")
    changes = {"network": "a firewall, proxy or DNS change, the registry's maintenance",
               "credentials": "a credential rotated or revoked, a token that expired",
               "rate-limit": "a rollout or a scale-up that pulled many images at once"}[family]
    steps.append(f"Match the first failure with a change at that time: {changes}")
    return steps


def namespace_checks(namespace: str, secret: str, registries: Sequence[str]) -> List[str]:
    """A namespace's pull secret: is it there, and where else does one of that name live."""
    if secret:
        return [f"The pull secrets {namespace} has: kubectl get secrets -n {namespace} "
                "--field-selector type=kubernetes.io/dockerconfigjson",
                f"Where a secret of that name exists: kubectl get secrets -A --field-selector metadata.name={secret}",
                f"Every pull secret of the namespace checked: kubectl pullmedic secrets-check -n {namespace}"]
    return [f"The pull secrets the namespace's service accounts add: kubectl get serviceaccounts -n {namespace} "
            "-o custom-columns=NAME:.metadata.name,SECRETS:.imagePullSecrets[*].name",
            f"Every pull secret of the namespace checked: kubectl pullmedic secrets-check -n {namespace}"]


def image_checks(image: str, first: Diagnosis) -> List[str]:
    """One image failing everywhere: ask its registry whether it exists and who may read it."""
    ref = first.evidence.reference if isinstance(first.evidence, PullEvidence) else None
    steps = [f"Ask the registry for the image: skopeo inspect docker://{image}"]
    if ref is not None and ref.repository:
        steps.append(f"List its tags: skopeo list-tags docker://{ref.registry}/{ref.repository}")
    steps.append(f"With the pods' credentials: kubectl pullmedic why {first.pod} -n {first.namespace} --probe")
    return steps


def workload_checks(namespace: str, owner: str, since: Optional[datetime]) -> List[str]:
    """The pods share the workload's template: a change to it is the first suspect."""
    steps = []
    if owner.startswith(_ROLLOUTS):
        steps.append(f"A change to the template when the failures began? kubectl rollout history {owner} -n {namespace}")
    steps.append(f"The image and pull secrets every pod gets: kubectl get {owner} -n {namespace} -o "
                 "jsonpath='{.spec.template.spec.containers[*].image} {.spec.template.spec.imagePullSecrets}'")
    return steps

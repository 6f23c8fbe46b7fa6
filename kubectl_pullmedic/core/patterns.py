"""What failing pulls have in common, and what they do not: one node, one registry, one image, one
workload, one namespace's pull secret.

At 2:30 AM the question after "why does this pod fail" is "is it one node, one registry, or
everything". The diagnoses already say each pod's cause, node, image, owner and pull secrets;
``WorkingImages`` holds what was seen working (containers running, ``Pulled`` events, a node's
image list). ``find_patterns`` compares the two and claims a pattern only when that evidence
shows it: one pod is no pattern, and "only on node-c" needs a success of the same image or
registry on another node (otherwise only "they fail there, and only there").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

from . import causes as c
from .diagnosis import Diagnosis, DiagnosisGroup, PullEvidence
from .pulls.imageref import parse_image
from .working import Repo, Seen, WorkingImages
from .patternchecks import (
    gone_node_checks, image_checks, moment, namespace_checks, node_checks, registry_checks, sample, secret_state,
    workload_checks,
)

NODE_BOUND, SAME_NODE = "NodeBound", "SameNode"
REGISTRY_WIDE, IMAGE_WIDE = "RegistryWide", "ImageWide"
WORKLOAD_WIDE, NAMESPACE_WIDE = "WorkloadWide", "NamespaceWide"
KINDS = (NODE_BOUND, SAME_NODE, REGISTRY_WIDE, IMAGE_WIDE, NAMESPACE_WIDE, WORKLOAD_WIDE)

# Causes by what can produce them. A registry's outage, a rotated credential or a rate limit
# fails every image of that registry; a node's network, disk, runtime or identity fails every pull
# on that node. A missing tag or a malformed name is the image's own, whatever the node.
NETWORK = frozenset({c.REGISTRY_DNS_FAILURE, c.REGISTRY_UNREACHABLE, c.REGISTRY_TLS_ERROR, c.REGISTRY_SERVER_ERROR,
                     c.LAYER_DOWNLOAD_FAILED})
REGISTRY_FAMILIES = {**{cause: "network" for cause in NETWORK}, **{cause: "credentials" for cause in c.AUTH_CAUSES},
                     c.REGISTRY_RATE_LIMITED: "rate-limit"}
NOT_NODE = frozenset({c.IMAGE_NOT_FOUND, c.INVALID_IMAGE_NAME, c.SLOW_PULL})
# Causes a node can explain only when the very image works elsewhere: a refusal (the pod's own
# credentials, or the node's identity) and a failure whose cause is unknown.
ONLY_WITH_THE_SAME_IMAGE = c.AUTH_CAUSES | {c.PULL_FAILED}

@dataclass(frozen=True)
class PodRef:
    namespace: str
    name: str
    context: Optional[str] = None  # the kubeconfig context, when several were read (core.fleet)

    DOCUMENT_IF_SET = ("context",)


@dataclass
class Pattern:
    """One thing many failing pods share (or one way they differ), with what shows it."""

    kind: str  # NodeBound | SameNode | RegistryWide | ImageWide | WorkloadWide | NamespaceWide
    subject: str  # the node, registry, image, namespace/workload or namespace
    summary: str
    pods: List[PodRef]
    causes: List[str]
    nodes: List[str]
    registries: List[str]
    since: Optional[datetime]  # the first failure of the pods it covers
    evidence: List[str]
    checks: List[str]
    contexts: List[str] = field(default_factory=list)  # where it shows, when several contexts were read

    DOCUMENT_FIELDS = ("kind", "subject", "summary", "since", "causes", "nodes", "registries", "evidence", "checks",
                       "pods", "contexts")
    DOCUMENT_IF_SET = ("contexts",)

    @cached_property
    def _covered(self) -> FrozenSet[PodRef]:
        return frozenset(self.pods)

    def covers(self, group: DiagnosisGroup) -> bool:
        return any(PodRef(d.namespace, d.pod, d.context) in self._covered for d in group.diagnoses)


def wants_pull_history(patterns: Iterable[Pattern]) -> bool:
    """True when a node or registry pattern shows: then one list of ``Pulled`` events sharpens it
    (where the same images or registries pulled fine, and when)."""
    return any(pattern.kind in (NODE_BOUND, SAME_NODE, REGISTRY_WIDE) for pattern in patterns)


def nodes_a_pattern_may_name(diagnoses: Iterable[Diagnosis]) -> Set[str]:
    """The nodes a node pattern (several pods failing one way on one node) or a registry's network
    pattern (its failing nodes) may name in its checks: read before they are named, since a node
    may have been deleted after its pods were placed. A superset: what the patterns then claim is
    decided with what was seen working."""
    failures = _failures(diagnoses)
    names: Set[str] = set()
    for (node, _), group in _by([d for d in failures if d.node and d.cause not in NOT_NODE],
                                lambda d: (d.node, d.cause)).items():
        if len(_pod_refs(group)) >= 2:
            names.add(node)
    for group in _by([d for d in failures if d.cause in NETWORK], lambda d: (_repo(d)[0], d.cause)).values():
        if len(_pod_refs(group)) >= 2 and len(_nodes(group)) >= 2:
            names.update(_nodes(group))
    return names


def find_patterns(diagnoses: Iterable[Diagnosis], working: Optional[WorkingImages] = None,
                  now: Optional[datetime] = None) -> List[Pattern]:
    """The patterns the diagnoses and what was seen working show; broader ones first, and a narrower
    one only for pods no broader one explains. ``now`` only says which times are today's."""
    working = working or WorkingImages()
    failures = _failures(diagnoses)
    found = _namespace_wide(failures, working, set())
    found += _registry_wide(failures, working, _pods_of(found), now)
    found += _node_bound(failures, working, _pods_of(found), now)
    found += _image_wide(failures, working, _pods_of(found))
    found += _workload_wide(failures, _pods_of(found))
    return sorted(found, key=lambda p: (p.since is None, p.since or datetime.min, KINDS.index(p.kind)))


def patterns_of(group: DiagnosisGroup, patterns: Iterable[Pattern]) -> List[Pattern]:
    """The patterns a table group belongs to, for its PATTERN note."""
    return [pattern for pattern in patterns if pattern.covers(group)]


# --- each kind ---------------------------------------------------------------------------


def _registry_wide(failures: List[Diagnosis], working: WorkingImages, explained: Set[PodRef],
                   now: Optional[datetime]) -> List[Pattern]:
    """Several images of one registry failing the same way on several nodes: the registry (or the
    credential, or its rate limit), not a node and not one image."""
    found = []
    pending = [d for d in failures if d.cause in REGISTRY_FAMILIES and PodRef(d.namespace, d.pod) not in explained
               and (d.cause not in c.AUTH_CAUSES or _sends_credentials(d) is True)]
    for (registry, cause), group in _by(pending, lambda d: (_repo(d)[0], d.cause)).items():
        family = REGISTRY_FAMILIES[cause]
        images = sorted({_repo(d)[1] for d in group})
        nodes = _nodes(group)
        if len(images) < 2 or len(_pod_refs(group)) < 2 or len(nodes) < 2:
            continue
        since = _since(group)
        seen = working.registries.get(registry, Seen())
        late = seen.newest_pull()
        worked_since = late is not None and since is not None and late[1] > since
        pods = _pod_refs(group)
        verb = "pulls from" if worked_since else "every pull from"
        summary = (f"{verb} {registry} {'fail' if worked_since else 'has failed'} with {cause} on {len(nodes)} nodes "
                   f"({len(pods)} pods, {len(images)} images)")
        evidence = [f"{len(pods)} pods fail with {_words(group)} on {sample(nodes)}; images {sample(images)}"]
        if worked_since:
            evidence.append(f"but a pull from {registry} succeeded on {late[0]} at {moment(late[1], now)}: not every pull fails")
        before = sorted(seen.nodes) if not worked_since else []
        if before:
            evidence.append(f"pods that pulled from {registry} before still run on {sample(before)}")
        others = _other_registries(working, registry, since, nodes)
        if others:
            evidence.append(others)
        live = [node for node in nodes if node not in _gone(group)]
        found.append(Pattern(REGISTRY_WIDE, registry, summary, pods, _causes(group), nodes, [registry], since,
                             evidence, registry_checks(registry, family, group, live)))
    return found


def _node_bound(failures: List[Diagnosis], working: WorkingImages, explained: Set[PodRef],
                now: Optional[datetime]) -> List[Pattern]:
    """Several pods failing the same way on one node, for images and registries that fail nowhere else:
    the node's network, disk, runtime or proxy. Claimed only with a success elsewhere; else only
    "they fail there and only there"."""
    candidates = [d for d in failures if d.node and d.cause not in NOT_NODE and PodRef(d.namespace, d.pod) not in explained
                  and (d.cause not in c.AUTH_CAUSES or _sends_credentials(d) is not False)]
    failing_nodes = {d.node for d in failures if d.node}
    # Where each registry fails as a registry can, and where each image fails at all: a registry failing
    # on other nodes too, or this very image, is not this node's doing.
    registry_nodes: Dict[str, Set[str]] = {}
    image_nodes: Dict[Repo, Set[str]] = {}
    for d in failures:
        if d.node and d.cause in REGISTRY_FAMILIES:
            registry_nodes.setdefault(_repo(d)[0], set()).add(d.node)
        if d.node:
            image_nodes.setdefault(_repo(d), set()).add(d.node)
    found = []
    for (node, cause), group in _by(candidates, lambda d: (d.node, d.cause)).items():
        group = [d for d in group if not registry_nodes.get(_repo(d)[0], set()) - {node}
                 and not image_nodes.get(_repo(d), set()) - {node}]
        pods = _pod_refs(group)
        if len(pods) < 2:
            continue
        repos = sorted({_repo(d) for d in group})
        these = "these images" if len(repos) > 1 else "this image"
        same_image = sorted({n for repo in repos for n in working.repositories.get(repo, Seen()).nodes} - {node})
        same_registry = sorted({n for repo in repos for n in working.registries.get(repo[0], Seen()).nodes} - {node})
        registries = sorted({registry for registry, _ in repos})
        evidence = [f"{len(pods)} pods fail with {cause} on {node} ({_images(repos)}); no pod fails pulling {these} "
                    "on another node"]
        pulled = [p for p in (working.repositories.get(repo, Seen()).newest_pull([node]) for repo in repos) if p]
        if same_image or (same_registry and cause not in ONLY_WITH_THE_SAME_IMAGE):
            elsewhere = [repo for repo in repos if set(working.repositories.get(repo, Seen()).nodes) - {node}]
            what = (f"{len(elsewhere)} of these {len(repos)} images run" if same_image and len(elsewhere) < len(repos)
                    else f"the same image{'s run' if len(repos) > 1 else ' runs'}" if same_image
                    else f"images from {sample(registries)} run")
            summary = f"{len(pods)} pods fail on {node} only; {what} on {sample(same_image or same_registry)}"
            if pulled:
                newest = max(pulled, key=lambda p: p[1])
                summary += f" (pulled on {newest[0]} at {moment(newest[1], now)})"
            kind = NODE_BOUND
        elif cause not in ONLY_WITH_THE_SAME_IMAGE and len({_workload(d) for d in group}) > 1 and (
                working.nodes - {node} or failing_nodes - {node}):
            summary = (f"{len(pods)} pods fail with {cause} on {node}, and only there; no pull of {these} was seen on "
                       "another node to compare")
            kind = SAME_NODE
        else:
            continue
        if node in _gone(group):
            evidence.append(f"node {node} no longer exists (deleted after the pods were placed)")
            checks = gone_node_checks(node)
        else:
            checks = node_checks(node, group, registries, same_image or same_registry)
        found.append(Pattern(kind, node, summary, pods, [cause], [node], registries, _since(group), evidence, checks))
    return found


def _namespace_wide(failures: List[Diagnosis], working: WorkingImages, explained: Set[PodRef]) -> List[Pattern]:
    """Several workloads of one namespace refused by a registry for want of the same pull secret:
    the namespace's secret (missing, unreadable, without an entry for the registry), not a workload.
    Pods that send no secret at all count together per registry."""
    found = []

    def key(d: Diagnosis) -> Optional[Tuple[str, str, str]]:
        if d.cause not in c.AUTH_CAUSES or not isinstance(d.evidence, PullEvidence) or PodRef(d.namespace, d.pod) in explained:
            return None
        secrets = d.evidence.pull_secrets.secrets
        unusable = [s.name for s in secrets if s.usable is not True]
        if unusable:
            return d.namespace, "", unusable[0]
        return (d.namespace, _repo(d)[0], "") if not secrets and d.cause == c.REGISTRY_AUTH_REQUIRED else None

    for (namespace, registry, secret), group in _by(failures, key).items():
        workloads = sorted({d.owner or f"pod/{d.pod}" for d in group})
        if len(workloads) < 2:
            continue
        registries = sorted({_repo(d)[0] for d in group})
        state = secret_state(group, secret, namespace) if secret else f"send no pull secret for {registry}"
        summary = f"{len(workloads)} workloads in {namespace} {state}"
        evidence = [f"{sample(workloads)} fail with {_words(group)}"]
        elsewhere = sorted({ns for r in registries for ns in working.registries.get(r, Seen()).namespaces} - {namespace})
        if elsewhere:
            evidence.append(f"pods in {sample(elsewhere)} run images from {sample(registries)}")
        found.append(Pattern(NAMESPACE_WIDE, namespace, summary, _pod_refs(group), _causes(group), _nodes(group),
                             registries, _since(group), evidence, namespace_checks(namespace, secret, registries)))
    return found


def _image_wide(failures: List[Diagnosis], working: WorkingImages, explained: Set[PodRef]) -> List[Pattern]:
    """One image failing the same way in several workloads: the image (its tag, its visibility)."""
    found = []
    pending = [d for d in failures if PodRef(d.namespace, d.pod) not in explained and _ref(d).valid]
    for (image, cause), group in _by(pending, lambda d: (_ref(d).fully_qualified, d.cause)).items():
        workloads = sorted({_workload(d) for d in group})
        if len(workloads) < 2:
            continue
        nodes = _nodes(group)
        summary = f"{image} fails in {len(workloads)} workloads with {cause}" + (f" on {len(nodes)} nodes" if len(nodes) > 1 else "")
        evidence = [f"workloads {sample(workloads)}"]
        ref = _ref(group[0])
        seen = working.repositories.get((ref.registry, ref.repository))
        if seen and seen.nodes:
            evidence.append(f"other pods run {ref.registry}/{ref.repository} on {sample(sorted(seen.nodes))} "
                            "(with another tag, or pulled before)")
        found.append(Pattern(IMAGE_WIDE, image, summary, _pod_refs(group), [cause], nodes, [ref.registry],
                             _since(group), evidence, image_checks(image, group[0])))
    return found


def _workload_wide(failures: List[Diagnosis], explained: Set[PodRef]) -> List[Pattern]:
    """A workload's pods failing the same way on several nodes: its template, not a node."""
    found = []
    pending = [d for d in failures if d.owner and PodRef(d.namespace, d.pod) not in explained]
    for (namespace, owner, cause), group in _by(pending, lambda d: (d.namespace, d.owner, d.cause)).items():
        nodes, pods = _nodes(group), _pod_refs(group)
        if len(pods) < 2 or len(nodes) < 2:
            continue
        summary = f"{len(pods)} pods of {owner} fail with {cause} on {len(nodes)} nodes: what they share is the template"
        evidence = [f"nodes {sample(nodes)}; images {sample(sorted({d.image or '' for d in group}))}"]
        found.append(Pattern(WORKLOAD_WIDE, f"{namespace}/{owner}", summary, pods, [cause], nodes,
                             sorted({_repo(d)[0] for d in group}), _since(group), evidence,
                             workload_checks(namespace, str(owner), _since(group))))
    return found


# --- helpers -----------------------------------------------------------------------------


def _failures(diagnoses: Iterable[Diagnosis]) -> List[Diagnosis]:
    """Pull failures happening now (not a slow pull, not an eviction, not a leftover)."""
    return [d for d in diagnoses if isinstance(d.evidence, PullEvidence) and d.cause != c.SLOW_PULL and not d.leftover]


def _by(diagnoses: Iterable[Diagnosis], key: Callable[[Diagnosis], Any]) -> Dict[Any, List[Diagnosis]]:
    groups: Dict[Any, List[Diagnosis]] = {}
    for d in diagnoses:
        k = key(d)
        if k is not None:
            groups.setdefault(k, []).append(d)
    return dict(sorted(groups.items(), key=lambda item: str(item[0])))


def _ref(d: Diagnosis):
    return d.evidence.reference if isinstance(d.evidence, PullEvidence) else parse_image(d.image)


def _sends_credentials(d: Diagnosis) -> Optional[bool]:
    """A pod that sends credentials and is refused: a registry-wide credential problem can show in it;
    a pod that sends none is refused for its own want of a secret. None: not known."""
    return d.evidence.pull_secrets.sends_credentials if isinstance(d.evidence, PullEvidence) else None


def _repo(d: Diagnosis) -> Repo:
    ref = _ref(d)
    return ref.registry or "", ref.repository or ""


def _pod_refs(group: Iterable[Diagnosis]) -> List[PodRef]:
    return sorted({PodRef(d.namespace, d.pod) for d in group}, key=lambda p: (p.namespace, p.name))


def _pods_of(patterns: Iterable[Pattern]) -> Set[PodRef]:
    return {pod for pattern in patterns for pod in pattern.pods}


def _nodes(group: Iterable[Diagnosis]) -> List[str]:
    return sorted({d.node for d in group if d.node})


def _gone(group: Iterable[Diagnosis]) -> Set[str]:
    """The nodes of the group read absent (deleted since their pods were placed)."""
    return {d.node for d in group if d.node and d.evidence.node_gone}


def _causes(group: Iterable[Diagnosis]) -> List[str]:
    return sorted({d.cause for d in group})


def _words(group: Iterable[Diagnosis]) -> str:
    return " or ".join(_causes(group))


def _since(group: Iterable[Diagnosis]) -> Optional[datetime]:
    moments = [d.since for d in group if d.since is not None]
    return min(moments) if moments else None


def _images(repos: List[Repo]) -> str:
    return sample([f"{registry}/{repository}" for registry, repository in repos])


def _workload(d: Diagnosis) -> str:
    return f"{d.namespace}/{d.owner or 'pod/' + d.pod}"


def _other_registries(working: WorkingImages, registry: str, since: Optional[datetime], nodes: List[str]) -> Optional[str]:
    """Pulls from other registries that worked since the failures began, or images of other registries
    the failing nodes run: said as seen, never assumed."""
    pulled = sorted(r for r, seen in working.registries.items()
                    if r != registry and since is not None and any(m and m > since for m in seen.nodes.values()))
    if pulled:
        return f"pulls from {sample(pulled)} succeeded after the first failure"
    running = sorted(r for r, seen in working.registries.items() if r != registry and set(seen.nodes) & set(nodes))
    if running:
        return f"the same nodes run images from {sample(running)}"
    return None

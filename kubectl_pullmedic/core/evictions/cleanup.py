"""Pods the kubelet ended, as a set: listing them, grouping them, and choosing which ones to delete.

``plan_cleanup`` is the only place that decides what ``clean`` deletes. It selects a pod
only when it is Failed *and* the kubelet ended it (``is_evicted``): evicted by default, refused
at admission with ``include_rejected``, stopped by a node shutdown or preempted for a critical
pod with ``include_shutdown``. It says for every other pod why it was kept: a failed Job pod or
a pod past its deadline is evidence someone wants to read, and ``kubectl delete
--field-selector status.phase=Failed`` would have taken it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .endings import KIND_NODE_SHUTDOWN, KIND_PREEMPTION
from .messages import KIND_LOCAL_STORAGE, KIND_NODE_PRESSURE, KIND_REJECTED, ContainerUsage, Eviction
from .parse import eviction_fixes, is_evicted, parse_eviction
from ..kube import Obj, creation_time, dig, name_of, namespace_of, owner_reference, uid_of
from ..quantity import parse_bytes
from ..workloads import OwnerIndex, WorkloadKey, owner_of, workload_ref

GROUP_BY = ("node", "resource", "owner", "namespace")

# Reasons a pod is kept, as stable codes for -o json and tests.
SKIP_NOT_FAILED = "not-failed"
SKIP_NOT_EVICTED = "not-evicted"
SKIP_TERMINATING = "terminating"
SKIP_REJECTED = "rejected"
SKIP_SHUTDOWN = "shutdown"
SKIP_JOB = "job-owned"
SKIP_TOO_YOUNG = "too-young"


def _owner_text(owner: Optional[WorkloadKey]) -> Optional[str]:
    return workload_ref(*owner) if owner else None


@dataclass
class EvictedPod:
    """One evicted pod with its workload and what the kubelet said; a row of ``evicted``."""

    namespace: str
    name: str
    uid: str
    owner: Optional[WorkloadKey]
    eviction: Eviction
    created: Optional[datetime] = None
    pod: Obj = field(default_factory=dict, repr=False, compare=False, metadata={"document": False})
    context: Optional[str] = None  # the kubeconfig context, when a command read several (core.fleet)

    DOCUMENT_FIELDS = ("namespace", "name", "uid", "owner_ref", "created", "eviction", "context")
    DOCUMENT_IF_SET = ("context",)
    DOCUMENT_KEYS = {"owner_ref": "owner"}

    @property
    def owner_ref(self) -> Optional[str]:
        """The workload as kubectl names it, e.g. ``deployment/api``."""
        return _owner_text(self.owner)


def collect_evictions(
    pods: Sequence[Obj], events: Sequence[Obj] = (), index: Optional[OwnerIndex] = None, peers: Sequence[Obj] = ()
) -> List[EvictedPod]:
    """The pods among ``pods`` the kubelet ended, each parsed and tied to its workload.

    ``peers`` are other pods read for context (the critical pods of a node where the kubelet preempted).
    """
    found = []
    context = list(pods) + list(peers)
    for pod in pods:
        eviction = parse_eviction(pod, events, owners=index, peers=context)
        if eviction is None:
            continue
        found.append(
            EvictedPod(
                namespace_of(pod), name_of(pod), uid_of(pod), owner_of(pod, index), eviction, creation_time(pod), pod
            )
        )
    return found


def resource_label(eviction: Eviction) -> str:
    """What ran short, for a RESOURCE column: the resource, a refusal's node conditions or failed
    check, or the ending (node-shutdown, critical-pod) when nothing ran short."""
    if eviction.kind == KIND_NODE_SHUTDOWN:
        return "node-shutdown"
    if eviction.kind == KIND_PREEMPTION:
        return "critical-pod"
    if eviction.kind == KIND_REJECTED:
        refusal = eviction.refusal
        if eviction.node_conditions:
            return ",".join(eviction.node_conditions)
        if refusal is not None:
            return refusal.resource or refusal.predicate or refusal.reason or "unknown"
        return "unknown"
    return eviction.resource or "unknown"


_REMOVE = "Remove these leftovers with: "
_VERBS = {KIND_REJECTED: "refused by the kubelet", KIND_NODE_SHUTDOWN: "stopped by a node shutdown",
          KIND_PREEMPTION: "preempted by the kubelet"}


@dataclass
class EvictionGroup:
    """Evicted pods sharing a node, resource, owner or namespace, with the fixes that apply."""

    by: str
    key: str
    pods: List[str] = field(default_factory=list)  # namespace/name
    namespaces: List[str] = field(default_factory=list)
    nodes: List[str] = field(default_factory=list)
    resources: List[str] = field(default_factory=list)  # what ran short (or the ending), never a node condition
    conditions: List[str] = field(default_factory=list)  # node conditions a refusal names, e.g. DiskPressure
    owners: List[str] = field(default_factory=list)  # deployment/api, ...
    kinds: List[str] = field(default_factory=list)
    fixes: List[str] = field(default_factory=list)
    ownerless: bool = field(default=False, metadata={"document": False})  # some pod has no controller
    contexts: List[str] = field(default_factory=list)  # the kubeconfig contexts, when several were read

    @property
    def count(self) -> int:
        return len(self.pods)

    DOCUMENT_FIELDS = ("by", "key", "count", "summary", "pods", "namespaces", "nodes", "resources", "conditions",
                       "owners", "kinds", "fixes", "contexts")
    DOCUMENT_IF_SET = ("contexts",)

    @property
    def summary(self) -> str:
        """One line, e.g. "72 pods of deployment/api were evicted for ephemeral-storage on 3 nodes"."""
        noun = "pod" if self.count == 1 else "pods"
        if len(self.kinds) == 1 and self.kinds[0] in _VERBS:
            verb = "were " + _VERBS[self.kinds[0]]
        elif set(self.kinds) <= {KIND_NODE_PRESSURE, KIND_LOCAL_STORAGE}:
            verb = "were evicted"
        else:
            verb = "were ended by the kubelet"
        if self.count == 1:
            verb = verb.replace("were", "was")
        parts = [f"{self.count} {noun}"]
        if len(self.owners) == 1 and not self.ownerless:
            parts.append(f"of {self.owners[0]}")
        if len(self.namespaces) == 1:
            parts.append(f"in namespace {self.namespaces[0]}")
        reasons = [resource for resource in self.resources if resource not in ("node-shutdown", "critical-pod")]
        parts.append(f"{verb} for {', '.join(reasons)}" if reasons else verb)
        if self.conditions:
            parts.append(f"under {', '.join(self.conditions)}")
        parts.append(f"on node {self.nodes[0]}" if len(self.nodes) == 1 else f"on {len(self.nodes)} nodes")
        return " ".join(parts)


def _group_key(item: EvictedPod, by: str) -> str:
    if by == "node":
        return item.eviction.node or "(unknown node)"
    if by == "resource":  # a refusal's node conditions are not a resource that ran short: say which they are
        label = resource_label(item.eviction)
        return f"{label} (node condition)" if item.eviction.node_conditions else label
    if by == "namespace":
        return item.namespace
    return f"{item.namespace}/{_owner_text(item.owner) or '(no owner)'}"


def _peak(evictions: Sequence[Eviction]) -> Eviction:
    """One eviction carrying each container's highest observed usage, to size fixes for all."""
    peaks: Dict[str, ContainerUsage] = {}
    for eviction in evictions:
        for usage in eviction.containers:
            best = peaks.get(usage.name)
            if best is None or (parse_bytes(usage.usage) or -1) > (parse_bytes(best.usage) or -1):
                peaks[usage.name] = usage
    return replace(evictions[0], containers=list(peaks.values()))


def _fixes(members: Sequence[EvictedPod]) -> List[str]:
    """Fixes per workload and cause within a group, sized from the peak usage seen."""
    buckets: Dict[Tuple[Any, ...], List[EvictedPod]] = {}
    for item in members:
        eviction = item.eviction
        key = (item.namespace, item.owner, eviction.kind, eviction.cause, eviction.reason, eviction.volume,
               eviction.exceeded_limit)
        buckets.setdefault(key, []).append(item)
    lines: List[str] = []
    for bucket in buckets.values():
        peak = _peak([item.eviction for item in bucket])
        for line in eviction_fixes(peak, bucket[0].pod, bucket[0].owner):
            if line not in lines:
                lines.append(line)
    # How to remove the leftovers comes last, after every bucket's explanation.
    return [line for line in lines if not line.startswith(_REMOVE)] + [line for line in lines if line.startswith(_REMOVE)]


def _unique(values: Sequence[Optional[str]]) -> List[str]:
    return sorted({value for value in values if value})


def group_evictions(evicted: Sequence[EvictedPod], by: str = "owner") -> List[EvictionGroup]:
    """Evicted pods grouped by ``node``, ``resource``, ``owner`` or ``namespace``; biggest first."""
    if by not in GROUP_BY:
        raise ValueError(f"cannot group by {by!r}: use one of {', '.join(GROUP_BY)}")
    members: Dict[str, List[EvictedPod]] = {}
    for item in evicted:
        members.setdefault(_group_key(item, by), []).append(item)
    groups = [
        EvictionGroup(
            by=by,
            key=key,
            pods=[f"{item.namespace}/{item.name}" for item in items],
            namespaces=_unique([item.namespace for item in items]),
            nodes=_unique([item.eviction.node for item in items]),
            resources=_unique([resource_label(item.eviction) for item in items if not item.eviction.node_conditions]),
            conditions=_unique([c for item in items for c in item.eviction.node_conditions]),
            owners=_unique([_owner_text(item.owner) for item in items]),
            kinds=_unique([item.eviction.kind for item in items]),
            fixes=_fixes(items),
            ownerless=any(item.owner is None for item in items),
            contexts=list(dict.fromkeys(item.context for item in items if item.context)),
        )
        for key, items in members.items()
    ]
    return sorted(groups, key=lambda group: (-group.count, group.key))


@dataclass
class CleanupItem:
    """A pod ``clean`` will delete, with what the delete's preconditions need."""

    namespace: str
    name: str
    uid: str
    resource_version: str
    kind: str  # the eviction kind
    owner: Optional[str]
    context: Optional[str] = None  # the kubeconfig context, when a command read several (core.fleet)

    DOCUMENT_IF_SET = ("context",)


@dataclass
class SkippedPod:
    """A pod ``clean`` keeps, and why (``reason`` is a stable code, ``detail`` the words)."""

    namespace: str
    name: str
    reason: str
    detail: str
    context: Optional[str] = None  # the kubeconfig context, when a command read several (core.fleet)

    DOCUMENT_IF_SET = ("context",)


@dataclass
class CleanupPlan:
    to_delete: List[CleanupItem] = field(default_factory=list)
    skipped: List[SkippedPod] = field(default_factory=list)

    DOCUMENT_FIELDS = ("to_delete", "skipped", "counts_by_namespace", "counts_by_kind")

    @property
    def counts_by_namespace(self) -> Dict[str, int]:
        return dict(sorted(Counter(item.namespace for item in self.to_delete).items()))

    @property
    def counts_by_kind(self) -> Dict[str, int]:
        return dict(sorted(Counter(item.kind for item in self.to_delete).items()))

    def skipped_by_reason(self) -> Dict[str, int]:
        return dict(sorted(Counter(item.reason for item in self.skipped).items()))


# What became of a planned delete (made by ``cluster.deleting``, shown by ``render``).
DELETED, GONE, SKIPPED, FAILED = "deleted", "already-gone", "skipped", "failed"


@dataclass
class DeleteOutcome:
    """What became of one planned delete."""

    item: CleanupItem
    result: str  # deleted | already-gone | skipped | failed
    detail: str = ""

    DOCUMENT_FIELDS = ("namespace", "name", "result", "detail", "context")
    DOCUMENT_IF_SET = ("context",)

    @property
    def namespace(self) -> str:
        return self.item.namespace

    @property
    def context(self) -> Optional[str]:
        return self.item.context

    @property
    def name(self) -> str:
        return self.item.name



def _not_evicted_detail(pod: Obj) -> str:
    reason = dig(pod, "status", "reason")
    owner = owner_reference(pod) or {}
    if reason:
        return f"failed with reason {reason}, not evicted"
    if owner.get("kind") == "Job":
        return f"failed pod of job/{owner.get('name')}, not evicted"
    return "failed, not evicted"


def _age(pod: Obj, eviction: Eviction, now: datetime) -> Optional[timedelta]:
    """Time since the eviction when known, else since the pod was created."""
    moment = eviction.evicted_at or creation_time(pod)
    return now - moment if moment else None


def _kind_skip(eviction: Eviction, include_rejected: bool, include_shutdown: bool) -> Optional[Tuple[str, str]]:
    """Refusals need --include-rejected; shutdown and preemption endings --include-shutdown (a refusal
    while the node shut down is both, so either flag takes it)."""
    reason = eviction.reason or "no reason"
    if eviction.kind == KIND_REJECTED and not include_rejected:
        what = "under node pressure" if eviction.node_conditions else f"at admission ({reason})"
        return SKIP_REJECTED, f"refused by the kubelet {what}, never ran (use --include-rejected)"
    if eviction.kind == KIND_NODE_SHUTDOWN and not include_shutdown:
        if eviction.refusal is not None and include_rejected:
            return None
        if eviction.refusal is not None:
            return SKIP_SHUTDOWN, "refused while its node shut down, never ran (use --include-shutdown or --include-rejected)"
        return SKIP_SHUTDOWN, "stopped by a node shutdown (use --include-shutdown)"
    if eviction.kind == KIND_PREEMPTION and not include_shutdown:
        return SKIP_SHUTDOWN, "preempted by the kubelet for a critical pod (use --include-shutdown)"
    return None


def _skip_reason(pod: Obj, eviction: Optional[Eviction], now: datetime, include_rejected: bool,
                 include_shutdown: bool, include_jobs: bool,
                 older_than: Optional[timedelta]) -> Optional[Tuple[str, str]]:
    phase = dig(pod, "status", "phase") or "unknown"
    if phase != "Failed":
        return SKIP_NOT_FAILED, f"phase {phase}"
    if eviction is None or not is_evicted(pod):
        return SKIP_NOT_EVICTED, _not_evicted_detail(pod)
    if dig(pod, "metadata", "deletionTimestamp"):
        return SKIP_TERMINATING, "already being deleted"
    kind_skip = _kind_skip(eviction, include_rejected, include_shutdown)
    if kind_skip is not None:
        return kind_skip
    owner = owner_reference(pod) or {}
    if owner.get("kind") == "Job" and not include_jobs:
        return SKIP_JOB, f"pod of job/{owner.get('name')}, counts toward its backoffLimit (use --include-jobs)"
    if older_than is not None:
        age = _age(pod, eviction, now)
        if age is None or age < older_than:
            return SKIP_TOO_YOUNG, "evicted less than --older-than ago" if age is not None else "age unknown"
    return None


def plan_cleanup(
    pods: Sequence[Obj],
    *,
    now: datetime,
    index: Optional[OwnerIndex] = None,
    include_rejected: bool = False,
    include_shutdown: bool = False,
    include_jobs: bool = False,
    older_than: Optional[timedelta] = None,
) -> CleanupPlan:
    """Which of ``pods`` ``clean`` deletes, and why each other one stays.

    Only Failed pods the kubelet ended are ever selected, evicted ones by default; admission
    refusals need ``include_rejected``, node-shutdown and kubelet-preemption endings
    ``include_shutdown``, pods of Jobs ``include_jobs``; with ``older_than``, pods ended (or,
    when that time is unknown, created) more recently stay, as do pods of unknown age.
    """
    now = now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)
    plan = CleanupPlan()
    for pod in pods:
        eviction = parse_eviction(pod)
        skip = _skip_reason(pod, eviction, now, include_rejected, include_shutdown, include_jobs, older_than)
        if skip is not None or eviction is None:
            reason, detail = skip or (SKIP_NOT_EVICTED, _not_evicted_detail(pod))
            plan.skipped.append(SkippedPod(namespace_of(pod), name_of(pod), reason, detail))
            continue
        plan.to_delete.append(
            CleanupItem(
                namespace_of(pod),
                name_of(pod),
                uid_of(pod),
                str(dig(pod, "metadata", "resourceVersion", default="")),
                eviction.kind,
                _owner_text(owner_of(pod, index)),
            )
        )
    return plan

"""What each command reads from the cluster, with the number of API calls kept bounded.

One paged pod list and one paged Warning-event list per scope, never one request per pod;
nodes, secrets, service accounts and owners only when a finding needs them. Pages are
filtered as they arrive, so memory follows the number of problem pods, not cluster size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Set, Tuple

from .api import Cluster, Listing, Obj
from ..core.diagnose import ClusterFacts
from ..core.credentials.podgroups import PodGroups
from ..core.kube import dig, namespace_of, pull_secret_names, service_account_in, uid_of
from ..core.workloads import OwnerIndex, label_selector_text, pods_of_workload, selector_of
from ..errors import ApiError, ClusterUnreachable, Forbidden, NotFound, Unauthorized

# Every event a failure diagnosis needs is a Warning about a Pod (BackOff is Normal and adds nothing);
# a pull still running shows only in Normal events (Pulling, with no Pulled after it).
WARNING_POD_EVENTS = "type=Warning,involvedObject.kind=Pod"
POD_EVENTS = "involvedObject.kind=Pod"
PULL_PROGRESS_EVENTS = ("type=Normal,involvedObject.kind=Pod,reason=Pulling", "type=Normal,involvedObject.kind=Pod,reason=Pulled")
PULLED_EVENTS = PULL_PROGRESS_EVENTS[1]


@dataclass
class Scope:
    """Where to look: one namespace, or every namespace (``namespace is None``)."""

    namespace: Optional[str]
    label_selector: Optional[str] = None

    @property
    def all_namespaces(self) -> bool:
        return self.namespace is None


def pods_matching(
    cluster: Cluster,
    scope: Scope,
    keep: Callable[[Obj], bool],
    field_selector: Optional[str] = None,
    observe: Callable[[Obj], None] = lambda pod: None,
    shape: Callable[[Obj], Obj] = lambda pod: pod,
    sink: Optional[Callable[[Obj], None]] = None,
) -> Listing:
    """The pods in scope for which ``keep`` is true, filtered page by page (and cut to ``shape`` as they
    arrive, so a page is dropped before the next); ``observe`` sees every pod. With ``sink``, the kept
    pods go there instead of into the listing (which then carries only the warnings).

    Cluster-wide, a refused list falls back to namespace-by-namespace lists (see
    ``Cluster.collect``), and the namespaces RBAC hides become warnings.
    """
    def kept(pod: Obj) -> bool:
        observe(pod)
        return keep(pod)

    def taken(pods: Iterable[Obj]) -> List[Obj]:
        if sink is None:
            return [shape(pod) for pod in pods if kept(pod)]
        for pod in pods:
            if kept(pod):
                sink(shape(pod))
        return []

    selectors = {"label_selector": scope.label_selector, "field_selector": field_selector}
    try:
        return Listing([pod for page in cluster.list_pages("pods", scope.namespace, **selectors) for pod in taken(page)])
    except Forbidden:
        if scope.namespace is not None:
            raise
    fallback = cluster.collect("pods", None, **selectors)
    return Listing(taken(fallback.items), fallback.warnings)


def warning_events_for(cluster: Cluster, pods: List[Obj], scope: Scope, selector: str = WARNING_POD_EVENTS) -> Listing:
    """Warning events about the given pods (or those ``selector`` picks): one list for the scope,
    matched by pod uid.

    For a single pod the list is narrowed server-side to its uid; otherwise one scope-wide list
    is cheaper than a request per pod.
    """
    listing = Listing()
    if not pods:
        return listing
    uids = {uid_of(pod) for pod in pods}
    try:
        if len(pods) == 1:
            uid = next(iter(uids))
            namespace = namespace_of(pods[0]) or None
            listing.items = cluster.list_all("events", namespace, field_selector=f"{selector},involvedObject.uid={uid}")
            return listing
        for page in cluster.list_pages("events", scope.namespace, field_selector=selector):
            listing.items.extend(e for e in page if str((e.get("involvedObject") or {}).get("uid") or "") in uids)
    except Unauthorized:
        raise
    except (ApiError, ClusterUnreachable) as failed:
        # Events are evidence, not the subject: carry on from pod status alone (refused, 5xx, retries spent).
        listing.items = []
        prefix = "" if isinstance(failed, Forbidden) else "cannot list events: "
        listing.warnings.append(f"{prefix}{failed.message}; diagnosing from pod status only")
    return listing


def events_seen(cluster: Cluster, scope: Scope, selector: str, observe: Callable[[Obj], None]) -> None:
    """Every event ``selector`` picks in scope, shown to ``observe`` page by page and not kept. Context
    only (where the same images pulled fine): a refusal or a failure loses the hint, nothing else."""
    try:
        for page in cluster.list_pages("events", scope.namespace, field_selector=selector):
            for event in page:
                observe(event)
    except Unauthorized:
        raise
    except (ApiError, ClusterUnreachable):
        return


Key = Tuple[Optional[str], str]


@dataclass
class Fetched:
    """Named objects read one by one: found, known absent (simply missing), or refused (unknown)."""

    found: Dict[Key, Obj] = field(default_factory=dict)
    refused: Dict[Key, str] = field(default_factory=dict)  # key -> why it could not be read
    warnings: List[str] = field(default_factory=list)


def get_each(cluster: Cluster, resource: str, keys: Iterable[Key]) -> Fetched:
    """Fetch named objects one by one (few, known names); a 404 is absent, a 403 is unknown."""
    fetched = Fetched()
    for namespace, name in sorted(set(keys), key=lambda key: (key[0] or "", key[1])):
        try:
            fetched.found[(namespace, name)] = cluster.get(resource, name, namespace)
        except NotFound:
            continue
        except Forbidden as refused:
            fetched.refused[(namespace, name)] = refused.unknown
            fetched.warnings.append(refused.message)
    return fetched


def list_in_namespaces(cluster: Cluster, resource: str, namespaces: Set[str]) -> Listing:
    """A list per namespace that holds something of interest (or one cluster-wide list if many)."""
    if len(namespaces) > 3:
        return cluster.collect(resource, None)
    listing = Listing()
    for namespace in sorted(namespaces):
        try:
            listing.items.extend(cluster.list_all(resource, namespace))
        except Forbidden as refused:
            listing.warnings.append(refused.message)
    return listing


# kube-apiserver leaves apiVersion/kind out of list items; the core tells workloads apart by kind.
RESOURCE_OF_KIND = {
    "Deployment": "deployments",
    "StatefulSet": "statefulsets",
    "DaemonSet": "daemonsets",
    "ReplicaSet": "replicasets",
    "Job": "jobs",
    "CronJob": "cronjobs",
}
WORKLOAD_KINDS = tuple((resource, kind) for kind, resource in RESOURCE_OF_KIND.items())


def with_kind(items: Iterable[Obj], kind: str) -> List[Obj]:
    listed = list(items)
    for item in listed:
        item.setdefault("kind", kind)
    return listed


@dataclass
class SecretsInput:
    """What ``secrets-check`` reads: pods, workload templates, secrets and service accounts."""

    pods: PodGroups = field(default_factory=PodGroups)  # one entry per distinct template, not per pod
    workloads: List[Obj] = field(default_factory=list)
    secrets: List[Obj] = field(default_factory=list)
    service_accounts: List[Obj] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    # resource -> namespace -> why its objects could not be listed (unknown, not absent)
    unreadable: Dict[str, Dict[str, str]] = field(default_factory=dict)


def _readable_part(cluster: Cluster, resource: str, namespace: Optional[str]) -> Listing:
    """The objects RBAC lets us list; a refused namespace is recorded, not treated as empty."""
    try:
        return cluster.collect(resource, namespace)
    except Forbidden as refused:
        if namespace is None:
            raise
        return Listing([], [refused.message], {namespace: refused.unknown})


def for_secrets_check(cluster: Cluster, scope: Scope) -> SecretsInput:
    """Pods that will still pull (not finished), workloads, and the secrets they name.

    A referenced secret missing from its namespace is also looked up cluster-wide by name
    (``metadata.name`` is a supported field selector), so the check can say where it lives.
    """
    gathered = SecretsInput()

    def take(listing: Listing) -> List[Obj]:
        gathered.warnings.extend(listing.warnings)
        return listing.items

    take(pods_matching(cluster, scope, keep=lambda pod: _phase(pod) not in ("Succeeded", "Failed"),
                       sink=gathered.pods.add))
    for resource, kind in WORKLOAD_KINDS:
        gathered.workloads.extend(with_kind(take(cluster.collect(resource, scope.namespace, label_selector=scope.label_selector)), kind))
    for resource in ("secrets", "serviceaccounts"):
        listing = _readable_part(cluster, resource, scope.namespace)
        gathered.unreadable[resource] = listing.refused
        setattr(gathered, "secrets" if resource == "secrets" else "service_accounts", take(listing))
    present = {(_meta(s, "namespace"), _meta(s, "name")) for s in gathered.secrets}
    wanted = {
        (_meta(obj, "namespace"), name)
        for obj in [group.facts for group in gathered.pods] + gathered.workloads + gathered.service_accounts
        for name in pull_secret_names(obj)
    }
    gathered.secrets.extend(secret for secret in namesakes(cluster, {name for _, name in wanted - present})
                            if (_meta(secret, "namespace"), _meta(secret, "name")) not in present)
    return gathered


# why looks for at most this many missing secrets' namesakes: each is a cluster-wide list the API
# server answers by scanning every secret (a name is no index), and past a few it is only a hint.
NAMESAKE_LISTS = 10


def namesakes(cluster: Cluster, names: Iterable[str]) -> List[Obj]:
    """The secrets of these names in every namespace (one field-selected list a name), to say "shop has
    one of that name" for a pull secret missing where the pod runs. A refusal loses only that hint."""
    found: List[Obj] = []
    for name in sorted(set(names)):
        try:
            found.extend(cluster.list_all("secrets", None, field_selector=f"metadata.name={name}"))
        except Forbidden:
            continue
    return found


def _meta(obj: Obj, key: str) -> str:
    return str(dig(obj, "metadata", key) or "")


def _phase(pod: Obj) -> str:
    return str(dig(pod, "status", "phase") or "")


# -- why ------------------------------------------------------------------------------------

# The intermediate objects between a workload and its pods, listed to follow the owner chain.
INTERMEDIATES = {"Deployment": "replicasets", "CronJob": "jobs"}


@dataclass
class TargetReads:
    """What ``POD`` or ``TYPE/NAME`` read: its pods, the intermediates (ReplicaSets/Jobs) of the owner
    chain, and the label selector that picks the workload's pods (None: a pod, or none to narrow by)."""

    pods: List[Obj]
    intermediates: List[Obj] = field(default_factory=list)
    selector: Optional[str] = None


def pods_for_target(cluster: Cluster, scope: Scope, kind: str, name: str) -> Tuple[List[Obj], List[Obj]]:
    """The pods named by ``POD`` or ``TYPE/NAME`` and the intermediates (ReplicaSets/Jobs) read."""
    reads = target_reads(cluster, scope, kind, name)
    return reads.pods, reads.intermediates


def target_reads(cluster: Cluster, scope: Scope, kind: str, name: str) -> TargetReads:
    """``pods_for_target`` with the workload's selector kept (``why --watch`` narrows its pod stream by it).

    The workload's selector (matchLabels and matchExpressions, as kubectl sends it) narrows the
    pod list on the server; the owner chain then decides membership exactly (a selector alone
    can also match another workload's pods).
    """
    namespace = scope.namespace or cluster.namespace
    if kind == "Pod":
        return TargetReads([cluster.get_pod(name, namespace)])
    try:
        workload = cluster.get(RESOURCE_OF_KIND[kind], name, namespace)
    except NotFound as missing:
        raise NotFound(f"{missing.message} (namespace {namespace!r})", missing.status, missing.reason) from None
    workload["kind"] = kind
    selector = label_selector_text(selector_of(kind, workload))
    pods = cluster.list_all("pods", namespace, label_selector=selector)
    intermediates: List[Obj] = []
    if kind in INTERMEDIATES:
        intermediates = cluster.list_all(INTERMEDIATES[kind], namespace, label_selector=selector if kind == "Deployment" else None)
    index = OwnerIndex(**{INTERMEDIATES[kind]: intermediates}) if kind in INTERMEDIATES else None
    return TargetReads(pods_of_workload(kind, name, pods, index, [workload]), intermediates, selector)


def facts_for(cluster: Cluster, needed: Set[str], pods: List[Obj], intermediates: List[Obj] = ()) -> Tuple[ClusterFacts, List[str]]:
    """Read only what a second diagnosis pass asked for, each by name or per namespace."""
    warnings: List[str] = []
    unreadable: Dict[str, Dict[Any, str]] = {}
    nodes = secrets = accounts = owners = None
    if "nodes" in needed:
        nodes, unreadable["nodes"], hidden = nodes_by_name(cluster, {str(dig(p, "spec", "nodeName") or "") for p in pods})
        warnings.extend(hidden)
    if "serviceaccounts" in needed or "secrets" in needed:
        account_keys = {(_meta(p, "namespace"), service_account_in(p.get("spec"))) for p in pods}
        fetched = get_each(cluster, "serviceaccounts", account_keys)
        accounts, unreadable["serviceaccounts"] = fetched.found, fetched.refused
        warnings.extend(fetched.warnings)
    if "secrets" in needed:
        secret_keys = {(_meta(p, "namespace"), name) for p in pods for name in pull_secret_names(p)}
        secret_keys |= {(ns, name) for (ns, _), account in (accounts or {}).items() for name in pull_secret_names(account)}
        fetched = get_each(cluster, "secrets", secret_keys)
        secrets, unreadable["secrets"] = fetched.found, fetched.refused
        warnings.extend(fetched.warnings)
        absent = {name for key in secret_keys if key not in fetched.found and key not in fetched.refused
                  for name in key[1:]}
        secrets.update({(_meta(secret, "namespace"), _meta(secret, "name")): secret
                        for secret in namesakes(cluster, sorted(absent)[:NAMESAKE_LISTS])
                        if (_meta(secret, "namespace"), _meta(secret, "name")) not in secret_keys})
    if "owners" in needed:
        namespaces = {_meta(p, "namespace") for p in pods}
        replicasets, jobs = (list_in_namespaces(cluster, kind, namespaces) for kind in ("replicasets", "jobs"))
        warnings.extend(replicasets.warnings + jobs.warnings)
        owners = OwnerIndex(replicasets=list(intermediates) + replicasets.items, jobs=jobs.items)
    return ClusterFacts(nodes=nodes, secrets=secrets, service_accounts=accounts, owners=owners,
                        unreadable=unreadable), warnings


# -- evicted / clean ------------------------------------------------------------------------


def failed_pods(cluster: Cluster, scope: Scope, node: Optional[str], keep: Callable[[Obj], bool] = lambda pod: True) -> Listing:
    """Failed pods (server-side ``status.phase=Failed``, plus ``spec.nodeName`` with --node).

    ``status.reason`` is not a supported field selector, so evictions are told apart here.
    """
    selector = "status.phase=Failed" + (f",spec.nodeName={node}" if node else "")
    return pods_matching(cluster, scope, keep, field_selector=selector)


def owner_index_for(cluster: Cluster, pods: List[Obj]) -> Tuple[OwnerIndex, List[str]]:
    """ReplicaSets and Jobs of the namespaces the pods live in, to name their workloads."""
    namespaces = {_meta(p, "namespace") for p in pods}
    if not namespaces:
        return OwnerIndex(), []
    replicasets = list_in_namespaces(cluster, "replicasets", namespaces)
    jobs = list_in_namespaces(cluster, "jobs", namespaces)
    return OwnerIndex(replicasets=replicasets.items, jobs=jobs.items), replicasets.warnings + jobs.warnings


# More named nodes than this are read with one paged list (kept: the named ones) rather than a GET each:
# 3,000 failing pods spread over 5,000 nodes are 3,000 round trips one by one, ten pages listed.
MANY_NODES = 50


def nodes_by_name(cluster: Cluster, names: Iterable[str]) -> Tuple[Dict[str, Obj], Dict[str, str], List[str]]:
    """The named nodes (empty names skipped), the ones refused with why, and the warnings.

    A node missing from the list is absent, as a 404 says; when the list is refused, each is
    asked for by name, since RBAC may allow ``get`` without ``list``.
    """
    wanted = {name for name in names if name}
    if len(wanted) > MANY_NODES:
        try:
            return ({_meta(node, "name"): node for page in cluster.list_pages("nodes", None) for node in page
                     if _meta(node, "name") in wanted}, {}, [])  # filtered page by page: only the named are kept
        except Forbidden:
            pass
    fetched = get_each(cluster, "nodes", {(None, name) for name in wanted})
    return ({name: node for (_, name), node in fetched.found.items()},
            {name: why for (_, name), why in fetched.refused.items()}, fetched.warnings)


def pods_on_nodes(cluster: Cluster, nodes: Iterable[str], keep: Callable[[Obj], bool]) -> List[Obj]:
    """Pods of every namespace on the named nodes (one ``spec.nodeName`` list each), for context only:
    when RBAC refuses the list, only a hint is lost (which critical pod a preemption made room for)."""
    found: List[Obj] = []
    for node in sorted({name for name in nodes if name}):
        try:
            found.extend(pod for pod in cluster.list_all("pods", None, field_selector=f"spec.nodeName={node}") if keep(pod))
        except (Forbidden, NotFound):
            continue
    return found

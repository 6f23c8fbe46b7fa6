"""The owner chain: which workload a pod belongs to, and which pods belong to a workload.

A fix must name the object people edit (``deployment/api``), not the ReplicaSet or Job in
between, so the chain is followed upwards through the objects the caller listed. Nothing is
guessed from names: a ReplicaSet that was not listed is reported as itself.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import json

from .kube import POD_SPEC_PATHS, TEMPLATE_SPEC_PATH, Obj, as_list, dig, labels_of, name_of, namespace_of, owner_reference, uid_of

WorkloadKey = Tuple[str, str]  # (kind, name), e.g. ("Deployment", "api")

# Every spelling kubectl accepts for the kinds this plugin resolves (`kubectl api-resources`).
_KIND_ALIASES: Dict[str, str] = {}
for _kind, _aliases in (
    ("Pod", ("po", "pod", "pods")),
    ("Deployment", ("deploy", "deployment", "deployments", "deployment.apps", "deployments.apps")),
    ("StatefulSet", ("sts", "statefulset", "statefulsets", "statefulset.apps", "statefulsets.apps")),
    ("DaemonSet", ("ds", "daemonset", "daemonsets", "daemonset.apps", "daemonsets.apps")),
    ("ReplicaSet", ("rs", "replicaset", "replicasets", "replicaset.apps", "replicasets.apps")),
    ("Job", ("job", "jobs", "job.batch", "jobs.batch")),
    ("CronJob", ("cj", "cronjob", "cronjobs", "cronjob.batch", "cronjobs.batch")),
    ("ReplicationController", ("rc", "replicationcontroller", "replicationcontrollers")),
):
    for _alias in _aliases:
        _KIND_ALIASES[_alias] = _kind

_MAX_CHAIN = 8  # owner chains are 2-3 long; the bound only stops a cycle in bad data


def parse_workload_arg(text: str) -> WorkloadKey:
    """``KIND/NAME`` (any kubectl short name) or a bare pod name, as (Kind, name).

    >>> parse_workload_arg("deploy/api"), parse_workload_arg("cj/nightly"), parse_workload_arg("web-0")
    (('Deployment', 'api'), ('CronJob', 'nightly'), ('Pod', 'web-0'))
    >>> parse_workload_arg("svc/api")
    Traceback (most recent call last):
    ...
    ValueError: unsupported kind "svc" in "svc/api": use pod, deploy, sts, ds, rs, job or cj
    """
    kind_text, slash, name = text.strip().partition("/")
    if not slash:
        kind_text, name = "pod", kind_text
    kind = _KIND_ALIASES.get(kind_text.lower())
    if kind is None:
        raise ValueError(
            f'unsupported kind "{kind_text}" in "{text}": use pod, deploy, sts, ds, rs, job or cj'
        )
    if not name or "/" in name:
        raise ValueError(f'expected KIND/NAME or a pod name, got "{text}"')
    return kind, name


# Kinds whose pod template can be changed (a Pod's spec and a Job's template cannot).
PATCHABLE_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "CronJob"})


def patch_template_command(kind: str, name: str, namespace: str, template_fragment: Obj) -> Optional[str]:
    """A strategic-merge ``kubectl patch`` of a workload's pod template; None if it has none to change.

    >>> print(patch_template_command("CronJob", "nightly", "batch", {"spec": {"x": 1}}))
    kubectl patch cronjob/nightly -n batch -p '{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"x":1}}}}}}'
    """
    if kind not in PATCHABLE_KINDS:
        return None
    body: Obj = template_fragment
    for key in reversed(POD_SPEC_PATHS.get(kind, TEMPLATE_SPEC_PATH)[:-1]):
        body = {key: body}
    return f"kubectl patch {workload_ref(kind, name)} -n {namespace} -p '{json.dumps(body, separators=(',', ':'))}'"


def workload_ref(kind: str, name: str) -> str:
    """The ``kind/name`` form kubectl accepts, e.g. ``deployment/api``.

    >>> workload_ref("StatefulSet", "db")
    'statefulset/db'
    """
    return f"{kind.lower()}/{name}"


class OwnerIndex:
    """Objects that can sit between a pod and its workload, looked up by uid or by name.

    API list items carry no ``kind``, so ReplicaSets and Jobs come in their own lists;
    ``others`` (any object with ownerReferences) must carry their ``kind``.
    """

    def __init__(
        self,
        replicasets: Iterable[Obj] = (),
        jobs: Iterable[Obj] = (),
        others: Iterable[Obj] = (),
    ) -> None:
        self._by_uid: Dict[str, Obj] = {}
        self._by_name: Dict[Tuple[str, str, str], Obj] = {}
        for kind, objects in (("ReplicaSet", replicasets), ("Job", jobs), (None, others)):
            for obj in objects:
                if isinstance(obj, dict):
                    self._add(kind or str(obj.get("kind") or ""), obj)

    def _add(self, kind: str, obj: Obj) -> None:
        if not kind or not name_of(obj):
            return
        if uid_of(obj):
            self._by_uid[uid_of(obj)] = obj
        self._by_name[(namespace_of(obj), kind, name_of(obj))] = obj

    def __len__(self) -> int:
        return len(self._by_name)

    def find(self, namespace: str, ref: Obj) -> Optional[Obj]:
        """The listed object an ownerReference points to: same uid first, else same name."""
        uid = str(ref.get("uid") or "")
        if uid and uid in self._by_uid:
            return self._by_uid[uid]
        return self._by_name.get((namespace, str(ref.get("kind") or ""), str(ref.get("name") or "")))


def owner_of(pod: Obj, index: Optional[OwnerIndex] = None) -> Optional[WorkloadKey]:
    """The top workload owning ``pod``: Deployment, StatefulSet, DaemonSet, CronJob, Job, ...

    Follows controller ownerReferences through the objects in ``index``; where the next
    object is not in the index, the last known owner is the answer. None for a bare pod.

    >>> rs = {"metadata": {"name": "api-7d4b9c", "namespace": "shop", "uid": "u1",
    ...       "ownerReferences": [{"kind": "Deployment", "name": "api", "controller": True}]}}
    >>> pod = {"metadata": {"namespace": "shop", "ownerReferences": [
    ...        {"kind": "ReplicaSet", "name": "api-7d4b9c", "uid": "u1", "controller": True}]}}
    >>> owner_of(pod, OwnerIndex(replicasets=[rs])), owner_of(pod)
    (('Deployment', 'api'), ('ReplicaSet', 'api-7d4b9c'))
    """
    ref = owner_reference(pod)
    namespace = namespace_of(pod)
    if ref is None:
        return None
    for _ in range(_MAX_CHAIN):
        owner = index.find(namespace, ref) if index is not None else None
        parent = owner_reference(owner) if owner is not None else None
        if parent is None:
            break
        ref = parent
    return str(ref.get("kind") or ""), str(ref.get("name") or "")


def selector_matches(selector: Any, labels: Dict[str, str]) -> bool:
    """Whether a LabelSelector (matchLabels and matchExpressions) selects ``labels``.

    An empty or missing selector selects nothing here: workloads always have one, and
    matching every pod would be the wrong answer for a broken object.

    >>> selector_matches({"matchLabels": {"app": "api"}}, {"app": "api", "tier": "web"})
    True
    >>> selector_matches({"matchExpressions": [{"key": "tier", "operator": "NotIn",
    ...                   "values": ["web"]}]}, {"tier": "web"})
    False
    """
    if not isinstance(selector, dict):
        return False
    match_labels = selector.get("matchLabels") or {}
    expressions = as_list(selector.get("matchExpressions"))
    if not match_labels and not expressions:
        return False
    if any(labels.get(key) != value for key, value in match_labels.items()):
        return False
    for expression in expressions:
        key = str(expression.get("key") or "")
        values = expression.get("values") or []
        operator = expression.get("operator")
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
        if operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return False
    return True


def label_selector_text(selector: Any) -> Optional[str]:
    """A LabelSelector (matchLabels and matchExpressions) as the ``labelSelector`` query text, as
    kubectl builds it (apimachinery's ``LabelSelectorAsSelector``: requirements sorted by key,
    values sorted); None when it selects nothing here (missing or empty, as ``selector_matches``
    says) or has an operator this does not know, so the caller lists without narrowing.

    >>> label_selector_text({"matchLabels": {"tier": "web", "app": "shop"},
    ...                      "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "canary"]},
    ...                                           {"key": "legacy", "operator": "DoesNotExist"}]})
    'app=shop,env in (canary,prod),!legacy,tier=web'
    >>> label_selector_text({"matchLabels": {}}) is None
    True
    """
    if not isinstance(selector, dict):
        return None
    labels = selector.get("matchLabels") if isinstance(selector.get("matchLabels"), dict) else {}
    terms = [(str(key), f"{key}={value}") for key, value in labels.items()]
    for expression in as_list(selector.get("matchExpressions")):
        if not isinstance(expression, dict):
            return None
        key, operator = str(expression.get("key") or ""), expression.get("operator")
        listed = expression.get("values")
        values = ",".join(sorted(str(value) for value in listed)) if isinstance(listed, list) else ""
        words = {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})", "Exists": key,
                 "DoesNotExist": f"!{key}"}
        if not key or operator not in words:
            return None
        terms.append((key, words[operator]))
    return ",".join(text for _, text in sorted(terms)) or None


def selector_of(kind: str, workload: Obj) -> Any:
    """The LabelSelector that picks a workload's pods (a CronJob's is its job template's)."""
    if kind == "CronJob":
        return dig(workload, "spec", "jobTemplate", "spec", "selector")
    if kind == "ReplicationController":
        labels = dig(workload, "spec", "selector")
        return {"matchLabels": labels} if isinstance(labels, dict) else None
    return dig(workload, "spec", "selector")


def _owned_through_template_hash(kind: str, name: str, pod: Obj) -> bool:
    """A Deployment's pod whose ReplicaSet was not listed: ``<deployment>-<pod-template-hash>``."""
    ref = owner_reference(pod) or {}
    template_hash = labels_of(pod).get("pod-template-hash")
    return (
        kind == "Deployment"
        and ref.get("kind") == "ReplicaSet"
        and bool(template_hash)
        and ref.get("name") == f"{name}-{template_hash}"
    )


def pods_of_workload(
    kind: str,
    name: str,
    pods: Sequence[Obj],
    index: Optional[OwnerIndex] = None,
    workloads: Sequence[Obj] = (),
) -> List[Obj]:
    """The pods of ``kind/name`` (as for ``why deploy/api``), in the order given.

    A pod belongs when its owner chain ends at the workload. When the chain stops short
    (the ReplicaSet was not listed), a Deployment still claims a pod that its selector
    matches and whose ReplicaSet is named ``<deployment>-<pod-template-hash>``, which is how
    the Deployment controller names them. ``workloads`` holds the workload object(s) that
    carry the selector; items without a ``kind`` are taken to be of ``kind``.
    """
    if kind == "Pod":
        return [pod for pod in pods if name_of(pod) == name]
    workload = next(
        (
            obj
            for obj in workloads
            if name_of(obj) == name and str(obj.get("kind") or kind) == kind
        ),
        None,
    )
    selector = selector_of(kind, workload) if workload is not None else None
    found = []
    for pod in pods:
        if workload is not None and namespace_of(pod) != namespace_of(workload):
            continue
        if owner_of(pod, index) == (kind, name):
            found.append(pod)
        elif selector_matches(selector, labels_of(pod)) and _owned_through_template_hash(kind, name, pod):
            found.append(pod)
    return found

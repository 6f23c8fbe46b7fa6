"""Tolerant accessors for Kubernetes objects as plain dicts.

Objects come from the API server, from dumps and from hand-written tests; any field may be
missing or null. These helpers never raise on such input, so callers need no guards.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

Obj = Dict[str, Any]

CONTAINER_KINDS: Tuple[Tuple[str, str, str], ...] = (
    # (spec field, status field, event fieldPath prefix)
    ("initContainers", "initContainerStatuses", "spec.initContainers"),
    ("containers", "containerStatuses", "spec.containers"),
    ("ephemeralContainers", "ephemeralContainerStatuses", "spec.ephemeralContainers"),
)


def dig(obj: Any, *path: Any, default: Any = None) -> Any:
    """Follow keys/indexes through nested dicts and lists; ``default`` on any miss.

    >>> dig({"a": {"b": [1, 2]}}, "a", "b", 1)
    2
    >>> dig({"a": None}, "a", "b", default="-")
    '-'
    """
    current = obj
    for key in path:
        if isinstance(current, dict):
            current = current.get(key)
        elif isinstance(current, list) and isinstance(key, int) and -len(current) <= key < len(current):
            current = current[key]
        else:
            return default
        if current is None:
            return default
    return current


def as_list(value: Any) -> List[Any]:
    """A list field as a list of dicts, dropping nulls and junk entries."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def name_of(obj: Obj) -> str:
    return str(dig(obj, "metadata", "name", default="") or "")


def namespace_of(obj: Obj) -> str:
    return str(dig(obj, "metadata", "namespace", default="") or "")


def uid_of(obj: Obj) -> str:
    return str(dig(obj, "metadata", "uid", default="") or "")


def labels_of(obj: Obj) -> Dict[str, str]:
    labels = dig(obj, "metadata", "labels", default={})
    return labels if isinstance(labels, dict) else {}


def parse_time(value: Any) -> Optional[datetime]:
    """Parse an RFC 3339 timestamp as the API server writes it; None when absent or odd.

    >>> parse_time("2026-01-02T03:04:05Z").isoformat()
    '2026-01-02T03:04:05+00:00'
    >>> parse_time("2026-01-02T03:04:05.123456Z").microsecond
    123456
    >>> parse_time("yesterday") is None
    True
    """
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # fromisoformat before 3.11 accepts only 0, 3 or 6 fractional digits.
    if "." in text:
        head, _, rest = text.partition(".")
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        text = head + "." + (digits + "000000")[:6] + rest
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def rfc3339(moment: Optional[datetime]) -> Optional[str]:
    """``2026-01-02T03:04:05Z`` as the API server writes times (``parse_time`` read back); None stays None."""
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def read_absent(name: Optional[str], found: Optional[Mapping[str, Any]], refused: Mapping[str, Any]) -> bool:
    """A name that was asked for (``found`` is what came back; None: nothing was read) and neither
    found nor refused: absent, as a 404 or a complete list says. A refused one is unknown.

    >>> read_absent("n2", {"n1": {}}, {}), read_absent("n2", {"n1": {}}, {"n2": "forbidden"})
    (True, False)
    >>> read_absent("n2", None, {})  # nothing read: unknown
    False
    """
    return bool(name) and found is not None and name not in found and name not in refused


def creation_time(obj: Obj) -> Optional[datetime]:
    return parse_time(dig(obj, "metadata", "creationTimestamp"))


def failed_at(pod: Obj) -> Optional[datetime]:
    """When the pod failed, from its Ready condition's ``PodFailed`` transition; None when not recorded.

    >>> failed_at({"status": {"conditions": [{"type": "Ready", "status": "False", "reason": "PodFailed",
    ...     "lastTransitionTime": "2025-10-29T12:00:02Z"}]}}).isoformat()
    '2025-10-29T12:00:02+00:00'
    """
    for condition in as_list(dig(pod, "status", "conditions")):
        if condition.get("type") == "Ready" and condition.get("reason") == "PodFailed":
            return parse_time(condition.get("lastTransitionTime"))
    return None


_CONTAINER_KINDS = {"spec.initContainers": ("init", "initContainers"),
                    "spec.containers": ("regular", "containers"),
                    "spec.ephemeralContainers": ("ephemeral", "ephemeralContainers")}


def container_kind(field_path: str) -> Tuple[str, str]:
    """(container type, spec list) of an ``iter_containers`` / event fieldPath.

    >>> container_kind("spec.initContainers{migrate}"), container_kind("spec.containers{app}")
    (('init', 'initContainers'), ('regular', 'containers'))
    """
    return _CONTAINER_KINDS.get(field_path.split("{", 1)[0], ("regular", "containers"))


def iter_containers(pod: Obj) -> Iterator[Tuple[str, Obj, Obj]]:
    """Yield (fieldPath, spec, status) for init, regular and ephemeral containers, in that order.

    ``fieldPath`` is the event form, e.g. ``spec.initContainers{migrate}``; ``status`` is ``{}``
    when the kubelet has not reported the container yet.
    """
    spec_part = pod.get("spec") if isinstance(pod, dict) else None
    status_part = pod.get("status") if isinstance(pod, dict) else None
    for spec_field, status_field, prefix in CONTAINER_KINDS:
        # Run over every pod of a large list: a kind the spec does not have costs no status lookup.
        specs = as_list(spec_part.get(spec_field)) if isinstance(spec_part, dict) else []
        if not specs:
            continue
        statuses = {
            str(status.get("name")): status
            for status in as_list(status_part.get(status_field) if isinstance(status_part, dict) else None)
        }
        for spec in specs:
            name = str(spec.get("name") or "")
            yield f"{prefix}{{{name}}}", spec, statuses.get(name, {})


def owner_reference(obj: Obj) -> Optional[Obj]:
    """The controlling owner reference (``controller: true``), else the first one."""
    refs = as_list(dig(obj, "metadata", "ownerReferences"))
    for ref in refs:
        if ref.get("controller"):
            return ref
    return refs[0] if refs else None


# Where each kind keeps the pod spec its pods are made from.
POD_SPEC_PATHS: Dict[str, Tuple[str, ...]] = {
    "Pod": ("spec",),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
TEMPLATE_SPEC_PATH: Tuple[str, ...] = ("spec", "template", "spec")


def pod_spec_of(obj: Obj) -> Obj:
    """The pod spec of a Pod, or the template's of a Deployment, Job, CronJob, ...; {} when absent.

    Objects from list responses carry no ``kind``: a pod is then recognised by its containers.

    >>> pod_spec_of({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"x": 1}}}}}})
    {'x': 1}
    >>> pod_spec_of({"spec": {"containers": []}})
    {'containers': []}
    """
    kind = obj.get("kind") if isinstance(obj, dict) else None
    if kind is None and isinstance(dig(obj, "spec", "containers"), list):
        kind = "Pod"
    spec = dig(obj, *POD_SPEC_PATHS.get(str(kind), TEMPLATE_SPEC_PATH))
    return spec if isinstance(spec, dict) else {}


def pull_secret_names(obj: Obj) -> List[str]:
    """The imagePullSecrets names of a pod, a workload's template, or a ServiceAccount.

    A ServiceAccount keeps them at the top level (list items carry no ``kind``, so that is how
    one is recognised); everything else in its pod spec.

    >>> pull_secret_names({"imagePullSecrets": [{"name": "a"}, {"name": "a"}]})
    ['a']
    >>> pull_secret_names({"spec": {"containers": [], "imagePullSecrets": [{"name": "b"}]}})
    ['b']
    """
    own = "imagePullSecrets" in obj or obj.get("kind") == "ServiceAccount"
    refs = obj.get("imagePullSecrets") if own else pod_spec_of(obj).get("imagePullSecrets")
    return list(dict.fromkeys(str(ref["name"]) for ref in as_list(refs) if ref.get("name")))


def service_account_of(obj: Obj) -> str:
    """The service account a pod (or a workload's new pods) runs as; ``default`` when unnamed.

    >>> service_account_of({"kind": "Deployment", "spec": {"template": {"spec": {"serviceAccount": "ci"}}}})
    'ci'
    """
    return service_account_in(pod_spec_of(obj))


def service_account_in(pod_spec: Obj) -> str:
    """``service_account_of`` for a pod spec already in hand."""
    if not isinstance(pod_spec, dict):
        return "default"
    name = pod_spec.get("serviceAccountName") or pod_spec.get("serviceAccount")
    return name if isinstance(name, str) and name else "default"


_PULL_FIELDS = {"metadata": ("name", "namespace", "uid", "labels", "ownerReferences"),
                "spec": ("imagePullSecrets", "serviceAccountName", "serviceAccount", "nodeName")}


def pull_facts(pod: Obj) -> Obj:
    """Only what a pull-credential check reads of a pod: names, owners, pull secrets, service account,
    containers' names and images. Kept per pod while paging, so memory follows what is checked.

    >>> pull_facts({"metadata": {"name": "p", "managedFields": [1]}, "spec": {"containers": [
    ...     {"name": "a", "image": "x:1", "env": [1]}], "volumes": [1]}, "status": {"phase": "Running"}})
    {'metadata': {'name': 'p'}, 'spec': {'containers': [{'name': 'a', 'image': 'x:1'}]}, 'status': {'phase': 'Running'}}
    """
    slim: Obj = {}
    for part, keys in _PULL_FIELDS.items():
        section = pod.get(part)
        if isinstance(section, dict):
            slim[part] = {key: section[key] for key in keys if key in section}
    spec = pod.get("spec")
    for kind in ("initContainers", "containers", "ephemeralContainers"):
        containers = spec.get(kind) if isinstance(spec, dict) else None
        if isinstance(containers, list):
            slim.setdefault("spec", {})[kind] = [{k: c[k] for k in ("name", "image") if k in c}
                                                  for c in containers if isinstance(c, dict)]
    phase = dig(pod, "status", "phase")
    if phase is not None:
        slim["status"] = {"phase": phase}
    return slim

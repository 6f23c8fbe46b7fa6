"""What kube-apiserver's registry strategies do to a written object, for the kinds served.

``PrepareForCreate`` / ``PrepareForUpdate`` (``pkg/registry/*/*/strategy.go``): status is the
status subresource's, so a create clears it (a pod starts ``Pending`` with its QoS class, a
namespace ``Active``) and an update keeps the stored one; workloads start at ``generation`` 1
and move on when their spec changes (a Deployment's annotations too). Then the validation the
fixes this plugin prints can meet (``pkg/apis/*/validation``): a request above its limit, a pod
spec that may only change images, a Job's template and workloads' selectors that may not change,
pull secrets without their key, a secret's type. Each returns ``status.FieldError`` lists.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, Dict, Iterator, List, Optional, Tuple

import kubectl_pullmedic.sandbox.status as status
from kubectl_pullmedic.core.kube import POD_SPEC_PATHS, TEMPLATE_SPEC_PATH, as_list, dig
from kubectl_pullmedic.core.quantity import parse_quantity
from kubectl_pullmedic.sandbox.resources import NAMESPACES as NAMESPACE_TYPE, ResourceType  # noqa: F401 (used by a doctest)

Obj = Dict[str, Any]
FieldErrors = List[status.FieldError]

GENERATION_KINDS = frozenset({"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob"})
STATUS_KINDS = GENERATION_KINDS | {"Pod", "Node", "Namespace"}
SELECTOR_KINDS = frozenset({"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"})
POD_UPDATE_FORBIDDEN = (
    "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
    "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
DNS_LABEL_ERROR = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
DNS_SUBDOMAIN_ERROR = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
SECRET_KEYS = {"kubernetes.io/dockerconfigjson": ".dockerconfigjson", "kubernetes.io/dockercfg": ".dockercfg"}


def _qos_class(pod: Obj) -> str:
    """The pod's QoS class from its containers' cpu and memory requests and limits."""
    containers = as_list(dig(pod, "spec", "containers")) + as_list(dig(pod, "spec", "initContainers"))
    resources = [container.get("resources") or {} for container in containers if isinstance(container, dict)]
    if not any((r.get("requests") or {}).keys() & {"cpu", "memory"} or (r.get("limits") or {}).keys() & {"cpu", "memory"}
               for r in resources):
        return "BestEffort"
    for r in resources:
        limits, requests = r.get("limits") or {}, r.get("requests") or {}
        for name in ("cpu", "memory"):
            if name not in limits or requests.get(name, limits[name]) != limits[name]:
                return "Burstable"
    return "Guaranteed"


def _fold_string_data(secret: Obj) -> None:
    """A secret's ``stringData`` is write-only: the server merges it into ``data``."""
    string_data = secret.pop("stringData", None)
    if isinstance(string_data, dict) and string_data:
        data = secret.setdefault("data", {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()


def prepare_for_create(rt: ResourceType, obj: Obj) -> None:
    metadata = obj.setdefault("metadata", {})
    if rt.kind == "Secret":
        _fold_string_data(obj)
    if rt.kind in GENERATION_KINDS:
        metadata["generation"] = 1
    if rt.kind in STATUS_KINDS - {"Node"}:
        obj.pop("status", None)
    if rt.kind == "Pod":
        obj["status"] = {"phase": "Pending", "qosClass": _qos_class(obj)}
    elif rt.kind == "Namespace":
        obj["spec"] = {"finalizers": ["kubernetes"]}
        obj["status"] = {"phase": "Active"}


def prepare_for_update(rt: ResourceType, old: Obj, new: Obj) -> None:
    metadata = new.setdefault("metadata", {})
    if rt.kind == "Secret":
        _fold_string_data(new)
    old_metadata = old.get("metadata") or {}
    if rt.kind in STATUS_KINDS:
        if "status" in old:
            new["status"] = old["status"]
        else:
            new.pop("status", None)
    if "generation" in old_metadata:
        metadata["generation"] = old_metadata["generation"]
    else:
        metadata.pop("generation", None)
    if rt.kind in GENERATION_KINDS:
        changed = new.get("spec") != old.get("spec")
        if rt.kind == "Deployment":
            changed = changed or metadata.get("annotations") != old_metadata.get("annotations")
        if changed:
            metadata["generation"] = int(old_metadata.get("generation") or 0) + 1


def _pod_spec_path(rt: ResourceType) -> Tuple[str, ...]:
    return POD_SPEC_PATHS.get(rt.kind, TEMPLATE_SPEC_PATH)


def _containers(spec: Obj, prefix: str) -> Iterator[Tuple[str, Obj]]:
    for field in ("initContainers", "containers"):
        for position, container in enumerate(as_list(spec.get(field))):
            if isinstance(container, dict):
                yield f"{prefix}.{field}[{position}]", container


def _resource_errors(spec: Obj, prefix: str) -> FieldErrors:
    """Each request must be at most its limit (ValidateResourceRequirements)."""
    errors: FieldErrors = []
    for path, container in _containers(spec, prefix):
        requests = dig(container, "resources", "requests") or {}
        limits = dig(container, "resources", "limits") or {}
        for name, request in sorted(requests.items()):
            if name not in limits:
                continue
            asked, limit = parse_quantity(request), parse_quantity(limits[name])
            if asked is not None and limit is not None and asked > limit:
                errors.append(status.field_invalid(f"{path}.resources.requests[{name}]", str(request),
                                                   f"must be less than or equal to {name} limit of {limits[name]}"))
    return errors


def _secret_errors(secret: Obj) -> FieldErrors:
    key = SECRET_KEYS.get(str(secret.get("type") or ""))
    if key is None:
        return []
    data = secret.get("data") or {}
    if key not in data:
        return [status.field_required(f"data[{key}]")]
    try:
        json.loads(base64.b64decode(str(data[key]), validate=True) or b"")
    except (binascii.Error, ValueError) as error:
        return [status.field_invalid(f"data[{key}]", "<secret contents redacted>", str(error))]
    return []


def validate(rt: ResourceType, obj: Obj) -> FieldErrors:
    """Errors in an object about to be stored, whether created or updated."""
    if rt.kind == "Secret":
        return _secret_errors(obj)
    spec = dig(obj, *_pod_spec_path(rt))
    if isinstance(spec, dict):
        return _resource_errors(spec, ".".join(_pod_spec_path(rt)))
    return []


def _without_images(spec: Obj) -> Obj:
    masked = json.loads(json.dumps(spec))
    for field in ("containers", "initContainers"):
        for container in as_list(masked.get(field)):
            if isinstance(container, dict):
                container.pop("image", None)
    masked.pop("activeDeadlineSeconds", None)
    return masked


def _pod_update_errors(old: Obj, new: Obj) -> FieldErrors:
    old_spec, new_spec = _without_images(old.get("spec") or {}), _without_images(new.get("spec") or {})
    old_tolerations = as_list(old_spec.pop("tolerations", None))
    new_tolerations = as_list(new_spec.pop("tolerations", None))
    if old_spec != new_spec or new_tolerations[: len(old_tolerations)] != old_tolerations:
        return [status.field_forbidden("spec", POD_UPDATE_FORBIDDEN)]
    return []


def _immutable(field: str, old: Any, new: Any) -> FieldErrors:
    return [] if old == new else [status.field_invalid(field, new, "field is immutable")]


def validate_update(rt: ResourceType, old: Obj, new: Obj) -> FieldErrors:
    """Errors in an update, beyond those of ``validate``."""
    errors = validate(rt, new)
    if rt.kind == "Pod":
        errors += _pod_update_errors(old, new)
    if rt.kind in SELECTOR_KINDS:
        errors += _immutable("spec.selector", dig(old, "spec", "selector"), dig(new, "spec", "selector"))
    if rt.kind == "Job":
        errors += _immutable("spec.template", dig(old, "spec", "template"), dig(new, "spec", "template"))
    if rt.kind == "Secret":
        errors += _immutable("type", old.get("type"), new.get("type"))
        if old.get("immutable") is True:
            errors += _immutable("immutable", True, new.get("immutable"))
            if old.get("data") != new.get("data"):
                errors.append(status.field_forbidden("data", "field is immutable when `immutable` is set"))
    return errors


def name_errors(rt: ResourceType, name: str) -> FieldErrors:
    """A new object's name: an RFC 1123 label for a Namespace, a subdomain for the rest.

    >>> [str(e) for e in name_errors(NAMESPACE_TYPE, "Team_A")][0].split(":")[0]
    'metadata.name'
    """
    if not name:
        return []  # generateName: the store makes one
    if rt.kind == "Namespace":
        if len(name) <= 63 and DNS_LABEL.fullmatch(name):
            return []
        return [status.field_invalid("metadata.name", name, DNS_LABEL_ERROR)]
    if len(name) <= 253 and DNS_SUBDOMAIN.fullmatch(name):
        return []
    return [status.field_invalid("metadata.name", name, DNS_SUBDOMAIN_ERROR)]


def check(rt: ResourceType, obj: Obj, old: Optional[Obj] = None) -> None:
    """Raise the 422 the real server would answer for ``obj``, if any."""
    name = str(dig(obj, "metadata", "name") or "")
    errors = name_errors(rt, name) + validate(rt, obj) if old is None else validate_update(rt, old, obj)
    if errors:
        raise status.invalid(rt, name, errors)

"""The resource types the sandbox serves, with the field selectors the real API server allows.

Field-selector rules come from kube-apiserver: ``pkg/apis/core/v1/conversion.go`` (pods, nodes,
events, namespaces, secrets), ``pkg/apis/batch/v1/conversion.go`` (jobs) and apimachinery's
``DefaultMetaV1FieldSelectorConversion`` for every kind without its own conversion function.
Each kind rejects an unknown label with that source's own wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from kubectl_pullmedic.core.selectors import (event_fields, job_fields, meta_fields, namespace_fields, node_fields,
                                              pod_fields, secret_fields)

Obj = Dict[str, Any]
FieldSet = Dict[str, str]

SERVED_VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"]


def _core_field_error(label: str) -> str:
    return f"field label not supported: {label}"


def _job_field_error(label: str) -> str:
    return f'field label "{label}" not supported for batchv1.Job'


def _default_field_error(label: str) -> str:
    return f'"{label}" is not a known field selector: only "metadata.name", "metadata.namespace"'


@dataclass(frozen=True)
class ResourceType:
    """One served resource: its names, scope, and how field selectors apply to it."""

    resource: str
    kind: str
    group: str
    version: str
    namespaced: bool
    short_names: Tuple[str, ...] = ()
    categories: Tuple[str, ...] = ()
    field_set: Callable[[Obj], FieldSet] = meta_fields
    field_error: Callable[[str], str] = _default_field_error

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """GroupResource as the server writes it in messages: ``pods``, ``deployments.apps``."""
        return f"{self.resource}.{self.group}" if self.group else self.resource

    @property
    def qualified_kind(self) -> str:
        """Group and kind as in precondition conflicts: ``Pod``, ``Deployment.apps``."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    def discovery_entry(self) -> Obj:
        entry: Obj = {
            "name": self.resource,
            "singularName": self.singular,
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": list(SERVED_VERBS),
        }
        if self.short_names:
            entry["shortNames"] = list(self.short_names)
        if self.categories:
            entry["categories"] = list(self.categories)
        return entry


RESOURCE_TYPES: Tuple[ResourceType, ...] = (
    ResourceType("pods", "Pod", "", "v1", True, ("po",), ("all",), pod_fields, _core_field_error),
    ResourceType("events", "Event", "", "v1", True, ("ev",), (), event_fields, _core_field_error),
    ResourceType("secrets", "Secret", "", "v1", True, (), (), secret_fields, _core_field_error),
    ResourceType("serviceaccounts", "ServiceAccount", "", "v1", True, ("sa",)),
    # Served (empty unless loaded) because kubectl cluster-info dump lists them in every namespace.
    ResourceType("services", "Service", "", "v1", True, ("svc",), ("all",)),
    ResourceType("replicationcontrollers", "ReplicationController", "", "v1", True, ("rc",), ("all",)),
    ResourceType("nodes", "Node", "", "v1", False, ("no",), (), node_fields, _core_field_error),
    ResourceType("namespaces", "Namespace", "", "v1", False, ("ns",), (), namespace_fields,
                 _core_field_error),
    ResourceType("deployments", "Deployment", "apps", "v1", True, ("deploy",), ("all",)),
    ResourceType("replicasets", "ReplicaSet", "apps", "v1", True, ("rs",), ("all",)),
    ResourceType("statefulsets", "StatefulSet", "apps", "v1", True, ("sts",), ("all",)),
    ResourceType("daemonsets", "DaemonSet", "apps", "v1", True, ("ds",), ("all",)),
    ResourceType("jobs", "Job", "batch", "v1", True, (), ("all",), job_fields, _job_field_error),
    ResourceType("cronjobs", "CronJob", "batch", "v1", True, ("cj",), ("all",)),
)

NAMESPACES = next(rt for rt in RESOURCE_TYPES if rt.resource == "namespaces")

_BY_PATH: Dict[Tuple[str, str, str], ResourceType] = {
    (rt.group, rt.version, rt.resource): rt for rt in RESOURCE_TYPES
}
_BY_KIND: Dict[Tuple[str, str], ResourceType] = {(rt.api_version, rt.kind): rt for rt in RESOURCE_TYPES}


def by_path(group: str, version: str, resource: str) -> Optional[ResourceType]:
    """The type served at ``/api[s]/GROUP/VERSION/RESOURCE``, if any."""
    return _BY_PATH.get((group, version, resource))


def by_kind(api_version: str, kind: str) -> Optional[ResourceType]:
    """The type of an object with this apiVersion and kind, if served."""
    return _BY_KIND.get((api_version, kind))


def resolve(name: str) -> ResourceType:
    """A type from any name kubectl accepts: kind, plural, singular, short name, ``x.group``.

    >>> resolve("Pod").resource, resolve("deploy").kind, resolve("jobs.batch").kind
    ('pods', 'Deployment', 'Job')
    """
    wanted, _, group = name.lower().partition(".")
    for rt in RESOURCE_TYPES:
        names = {rt.resource, rt.singular, *rt.short_names}
        if wanted in names and (not group or group == rt.group):
            return rt
    raise KeyError(f"the sandbox serves no resource called {name!r}")


def group_versions() -> List[Tuple[str, str]]:
    """Named API groups with their one served version, in first-seen order."""
    seen: List[Tuple[str, str]] = []
    for rt in RESOURCE_TYPES:
        if rt.group and (rt.group, rt.version) not in seen:
            seen.append((rt.group, rt.version))
    return seen


def api_versions(server_address: str) -> Obj:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def api_group(group: str, version: str) -> Obj:
    group_version = {"groupVersion": f"{group}/{version}", "version": version}
    return {"name": group, "versions": [group_version], "preferredVersion": group_version}


def api_group_document(group: str) -> Optional[Obj]:
    """``/apis/GROUP``; None when the group is not served."""
    versions = [version for name, version in group_versions() if name == group]
    if not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **api_group(group, versions[0])}


def api_group_list() -> Obj:
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [api_group(group, version) for group, version in group_versions()],
    }


def api_resource_list(group: str, version: str) -> Optional[Obj]:
    """The discovery document of one group version; None when it is not served."""
    entries = [rt.discovery_entry() for rt in RESOURCE_TYPES if (rt.group, rt.version) == (group, version)]
    if not entries:
        return None
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": entries,
    }

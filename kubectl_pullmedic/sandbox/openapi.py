"""``/openapi/v3``: the index and one OpenAPI 3 document per served group version.

kubectl reads these before ``apply`` (and ``create -f``, ``replace``) to learn whether the server
validates fields itself: cli-runtime's ``queryParamVerifierV3`` looks for the kind's PATCH
operation (``x-kubernetes-group-version-kind``) and its ``fieldValidation`` query parameter.
Finding it, kubectl sends ``fieldValidation=Strict`` and skips client-side schema validation,
which would need the whole ``/openapi/v2`` schema. The documents hold the operations and
their parameters only: without component schemas or request bodies kubectl computes apply
patches from its built-in types, exactly as it does against servers without OpenAPI v3.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Dict, List, Optional, Tuple

from kubectl_pullmedic.sandbox.resources import RESOURCE_TYPES, ResourceType, group_versions

Obj = Dict[str, Any]

WRITE_PARAMETERS = ("dryRun", "fieldManager", "fieldValidation")


def _parameters(names: Tuple[str, ...]) -> List[Obj]:
    return [{"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}} for name in names]


def _operation(rt: ResourceType, action: str, verb: str, parameters: Tuple[str, ...] = ()) -> Obj:
    group = "".join(part.capitalize() for part in rt.group.split(".")) if rt.group else "Core"
    scope = "Namespaced" if rt.namespaced else ""
    return {
        "operationId": f"{verb}{group}{rt.version.capitalize()}{scope}{rt.kind}",
        "parameters": _parameters(parameters),
        "responses": {"200": {"description": "OK"}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": rt.group, "kind": rt.kind, "version": rt.version},
    }


def _paths(rt: ResourceType) -> Dict[str, Obj]:
    prefix = f"/apis/{rt.api_version}" if rt.group else "/api/v1"
    collection = f"{prefix}/namespaces/{{namespace}}/{rt.resource}" if rt.namespaced else f"{prefix}/{rt.resource}"
    return {
        collection: {
            "get": _operation(rt, "list", "list"),
            "post": _operation(rt, "post", "create", WRITE_PARAMETERS),
        },
        collection + "/{name}": {
            "get": _operation(rt, "get", "read"),
            "put": _operation(rt, "put", "replace", WRITE_PARAMETERS),
            "patch": _operation(rt, "patch", "patch", WRITE_PARAMETERS + ("force",)),
            "delete": _operation(rt, "delete", "delete", ("dryRun", "gracePeriodSeconds", "propagationPolicy")),
        },
    }


def _key(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def document(group: str, version: str) -> Optional[Obj]:
    """The OpenAPI 3 document of one group version; None when it is not served."""
    served = [rt for rt in RESOURCE_TYPES if (rt.group, rt.version) == (group, version)]
    if not served:
        return None
    paths: Dict[str, Obj] = {}
    for rt in served:
        paths.update(_paths(rt))
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }


def _hash(body: Obj) -> str:
    return hashlib.sha512(json.dumps(body, sort_keys=True).encode()).hexdigest()[:128].upper()


def index() -> Obj:
    """``/openapi/v3``: each group version's document, its URL carrying the content hash that
    kubectl's disk cache keys on."""
    paths = {}
    for group, version in [("", "v1")] + group_versions():
        body = document(group, version)
        if body is not None:
            key = _key(group, version)
            paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={_hash(body)}"}
    return {"paths": paths}


def lookup(path: str) -> Optional[Obj]:
    """The index or a document for a path under ``/openapi/v3``; None for any other path.

    >>> sorted(lookup("/openapi/v3")["paths"])
    ['api/v1', 'apis/apps/v1', 'apis/batch/v1']
    >>> lookup("/openapi/v3/apis/apps/v1")["openapi"], lookup("/openapi/v3/apis/x/v1") is None
    ('3.0.0', True)
    """
    parts = [part for part in path.split("/") if part]
    if parts[:2] != ["openapi", "v3"]:
        return None
    rest = parts[2:]
    if not rest:
        return index()
    if rest[0] == "api" and len(rest) == 2:
        return document("", rest[1])
    if rest[0] == "apis" and len(rest) == 3:
        return document(rest[1], rest[2])
    return None

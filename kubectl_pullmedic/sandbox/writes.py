"""The writing verbs: create (POST), update (PUT) and patch (PATCH), as kube-apiserver's handlers
(``staging/src/k8s.io/apiserver/pkg/endpoints/handlers/create.go``, ``update.go``, ``patch.go``).

Bodies come in the content types kubectl sends: JSON (and YAML) for every kind, Kubernetes
protobuf for the kinds ``kubectl create secret|serviceaccount|namespace`` post that way; patches
as ``application/strategic-merge-patch+json``, ``application/merge-patch+json`` or
``application/json-patch+json``. Server-side apply (``application/apply-patch+yaml``) is answered
415: no fix this plugin prints uses it, and field ownership (managedFields) is not tracked.
The options ``dryRun=All``, ``fieldManager`` and ``fieldValidation`` are accepted; strict field
validation is not performed (the sandbox knows no schemas).
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Tuple

import yaml

import kubectl_pullmedic.sandbox.jsonpatch as jsonpatch
import kubectl_pullmedic.sandbox.protobuf as protobuf
import kubectl_pullmedic.sandbox.status as status
import kubectl_pullmedic.sandbox.strategic as strategic
import kubectl_pullmedic.sandbox.strategy as strategy
from kubectl_pullmedic.sandbox.resources import NAMESPACES, ResourceType
from kubectl_pullmedic.sandbox.store import ObjectStore
from kubectl_pullmedic.sandbox.verbs import dry_run_option, json_object

Obj = Dict[str, Any]
Query = Dict[str, List[str]]
Answer = Tuple[int, bytes]

JSON, YAML = "application/json", "application/yaml"
BODY_TYPES = [JSON, YAML, protobuf.MEDIA_TYPE]
STRATEGIC = "application/strategic-merge-patch+json"
MERGE = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
PATCH_TYPES = [JSON_PATCH, MERGE, STRATEGIC]
FIELD_VALIDATION = ("", "Ignore", "Warn", "Strict")


def media_type(headers: Mapping[str, str]) -> str:
    """The Content-Type without parameters such as ``; charset=utf-8``."""
    value = headers.get("Content-Type") or headers.get("content-type") or ""
    return value.split(";", 1)[0].strip().lower()


def _options(query: Query, options_kind: str) -> bool:
    """Check the write options as ValidateCreateOptions/ValidateUpdateOptions do; the dry-run flag."""
    manager = (query.get("fieldManager") or [""])[-1]
    if len(manager) > 128:
        raise status.ApiStatus(
            422, "Invalid",
            f'{options_kind}.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes',
            {"group": "meta.k8s.io", "kind": options_kind},
        )
    directive = (query.get("fieldValidation") or [""])[-1]
    if directive not in FIELD_VALIDATION:
        raise status.bad_request(f"invalid fieldValidation directive: {directive}")
    return dry_run_option(query.get("dryRun"), options_kind)


def _decode(body: bytes, content_type: str) -> Obj:
    if content_type in ("", JSON):
        return json_object(body)
    if content_type == YAML:
        try:
            obj = yaml.safe_load(body)
        except yaml.YAMLError as error:
            raise status.bad_request(f"the body of the request was in an unknown format: {error}") from error
        if not isinstance(obj, dict):
            raise status.bad_request("the body of the request was in an unknown format")
        return obj
    if content_type == protobuf.MEDIA_TYPE:
        try:
            return protobuf.decode(body)
        except protobuf.ProtobufError as error:
            raise status.unsupported_media_type([JSON, YAML]) from error
    raise status.unsupported_media_type(BODY_TYPES)


def _check_type(rt: ResourceType, obj: Obj) -> None:
    """An object of another kind or version than the URL's is refused by the decoder."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if api_version and api_version != rt.api_version:
        raise status.bad_request(
            f"the API version in the data ({api_version}) does not match the expected API version ({rt.api_version})")
    if kind and kind != rt.kind:
        raise status.bad_request(f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})")


def _check_namespace(rt: ResourceType, obj: Obj, namespace: str) -> None:
    body_namespace = (obj.get("metadata") or {}).get("namespace")
    if rt.namespaced and body_namespace and body_namespace != namespace:
        raise status.bad_request(
            "the namespace of the provided object does not match the namespace sent on the request")


def _check_name(obj: Obj, name: str) -> None:
    body_name = (obj.get("metadata") or {}).get("name")
    if body_name != name:
        raise status.bad_request(f"the name of the object ({body_name or ''}) does not match the name on the URL ({name})")


def create_object(
    store: ObjectStore, rt: ResourceType, namespace: str, body: bytes, content_type: str, query: Query
) -> Answer:
    dry_run = _options(query, "CreateOptions")
    obj = _decode(body, content_type)
    _check_type(rt, obj)
    _check_namespace(rt, obj, namespace)
    if rt.namespaced and store.get(NAMESPACES, "", namespace) is None:
        raise status.not_found(NAMESPACES, namespace)  # the NamespaceLifecycle admission plugin
    strategy.prepare_for_create(rt, obj)
    strategy.check(rt, obj)
    entry = store.create(rt, namespace, obj, dry_run)
    return 201, entry.raw


def update_object(
    store: ObjectStore, rt: ResourceType, namespace: str, name: str, body: bytes, content_type: str, query: Query
) -> Answer:
    dry_run = _options(query, "UpdateOptions")
    obj = _decode(body, content_type)
    _check_type(rt, obj)
    _check_namespace(rt, obj, namespace)
    _check_name(obj, name)

    def change(current: Obj) -> Obj:
        uid = (obj.get("metadata") or {}).get("uid")
        stored_uid = current["metadata"]["uid"]
        if uid and uid != stored_uid:
            raise status.conflict(
                rt, name, f"Precondition failed: UID in precondition: {uid}, UID in object meta: {stored_uid}")
        new = json.loads(json.dumps(obj))
        strategy.prepare_for_update(rt, current, new)
        strategy.check(rt, new, current)
        return new

    return 200, store.update(rt, namespace, name, change, dry_run).raw


def _patched(current: Obj, patch: Any, content_type: str) -> Any:
    if content_type == JSON_PATCH:
        return jsonpatch.json_patch(current, patch)
    if content_type == MERGE:
        return jsonpatch.merge_patch(current, patch)
    return strategic.apply(current, patch)


def patch_object(
    store: ObjectStore, rt: ResourceType, namespace: str, name: str, body: bytes, content_type: str, query: Query
) -> Answer:
    if content_type not in PATCH_TYPES:
        raise status.unsupported_media_type(PATCH_TYPES)
    dry_run = _options(query, "PatchOptions")
    try:
        patch = json.loads(body)
    except ValueError as error:
        raise status.bad_request("invalid JSON patch") from error

    def change(current: Obj) -> Obj:
        new = _patched(current, patch, content_type)
        if not isinstance(new, dict):
            raise status.bad_request("the body of the patched object is not a JSON object")
        _check_type(rt, new)
        _check_name(new, name)
        new_namespace = (new.get("metadata") or {}).get("namespace") or ""
        if rt.namespaced and new_namespace != namespace:
            raise status.bad_request(
                f"the namespace of the object ({new_namespace}) does not match the namespace on the request ({namespace})")
        uid = (new.get("metadata") or {}).get("uid")
        if uid and uid != current["metadata"]["uid"]:
            raise status.invalid(rt, name, [status.field_invalid("metadata.uid", uid, "field is immutable")])
        strategy.prepare_for_update(rt, current, new)
        strategy.check(rt, new, current)
        return new

    return 200, store.update(rt, namespace, name, change, dry_run).raw

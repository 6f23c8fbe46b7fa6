"""What each reading verb (and delete) does to the store, and how its answer is encoded.

These functions know nothing of HTTP, authentication or RBAC: ``api.py`` routes a request
here once it is allowed; create, update and patch are in ``writes.py``. Each returns
``(code, body)`` or raises ``status.ApiStatus``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

import kubectl_pullmedic.sandbox.status as status
from kubectl_pullmedic.sandbox.resources import ResourceType
from kubectl_pullmedic.core.selectors import SelectorError, parse_field_selector, parse_label_selector
from kubectl_pullmedic.sandbox.store import ObjectStore, Predicate, StoredObject
from kubectl_pullmedic.sandbox.tables import build_table

Obj = Dict[str, Any]
Query = Dict[str, List[str]]
Answer = Tuple[int, bytes]


def _one(query: Query, name: str, default: str = "") -> str:
    values = query.get(name)
    return values[-1] if values else default


def _encode(document: Obj) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


@dataclass(frozen=True)
class TableRequest:
    """What an Accept header asked for when it asked for a Table."""

    api_version: str  # meta.k8s.io/v1 or meta.k8s.io/v1beta1


def table_request(accept: str) -> Optional[TableRequest]:
    """The first acceptable Table media type in an Accept header, if any.

    >>> table_request("application/json;as=Table;v=v1;g=meta.k8s.io,application/json").api_version
    'meta.k8s.io/v1'
    >>> table_request("application/json") is None
    True
    """
    for media_range in accept.split(","):
        params = dict(
            part.strip().split("=", 1) for part in media_range.split(";")[1:] if "=" in part
        )
        if params.get("as") == "Table" and params.get("g") == "meta.k8s.io" and params.get("v") in ("v1", "v1beta1"):
            return TableRequest("meta.k8s.io/" + params["v"])
    return None


def list_predicate(rt: ResourceType, query: Query) -> Optional[Predicate]:
    """The filter of ``labelSelector`` and ``fieldSelector``; None when there is none.

    Field labels are checked against the kind first, and an unknown one is a 400 with the
    kind's own wording, as the real server's field-label conversion answers.
    """
    try:
        label_match = parse_label_selector(_one(query, "labelSelector"))
        field_terms = parse_field_selector(_one(query, "fieldSelector"))
    except SelectorError as error:
        raise status.bad_request(str(error)) from error
    allowed = rt.field_set({})
    for term in field_terms:
        if term.field not in allowed:
            raise status.bad_request(rt.field_error(term.field))
    if not _one(query, "labelSelector") and not field_terms:
        return None

    def predicate(entry: StoredObject) -> bool:
        return label_match(entry.labels) and all(term.matches(entry.fields) for term in field_terms)

    return predicate


def list_objects(
    store: ObjectStore, rt: ResourceType, namespace: str, query: Query, accept: str, now: datetime
) -> Answer:
    predicate = list_predicate(rt, query)
    limit_text = _one(query, "limit", "0") or "0"
    try:
        limit = int(limit_text)
    except ValueError as error:
        raise status.bad_request(f'strconv.ParseInt: parsing "{limit_text}": invalid syntax') from error
    page = store.list_page(rt, namespace, predicate, limit, _one(query, "continue"))
    metadata: Obj = {"resourceVersion": page.resource_version}
    if page.continue_token:
        metadata["continue"] = page.continue_token
    if page.remaining_item_count is not None:
        metadata["remainingItemCount"] = page.remaining_item_count
    table = table_request(accept)
    if table:
        objects = [entry.decode() for entry in page.items]
        include = _one(query, "includeObject", "Metadata")
        return 200, _encode(build_table(rt, objects, now, metadata, include, table.api_version))
    head = _encode({"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": metadata})
    return 200, head[:-1] + b',"items":[' + b",".join(entry.list_item for entry in page.items) + b"]}"


def get_object(
    store: ObjectStore, rt: ResourceType, namespace: str, name: str, query: Query, accept: str, now: datetime
) -> Answer:
    entry = store.get(rt, namespace, name)
    if entry is None:
        raise status.not_found(rt, name)
    table = table_request(accept)
    if table:
        metadata = {"resourceVersion": entry.resource_version}
        include = _one(query, "includeObject", "Metadata")
        return 200, _encode(build_table(rt, [entry.decode()], now, metadata, include, table.api_version))
    return 200, entry.raw


def dry_run_option(values: Any, options_kind: str) -> bool:
    """The ``dryRun`` option: only ``All`` is a valid value."""
    if not values:
        return False
    for value in values if isinstance(values, list) else [values]:
        if value != "All":
            raise status.unsupported_dry_run(options_kind, str(value))
    return True


def json_object(body: bytes) -> Obj:
    """A request body that must be one JSON object, refused as kube-apiserver refuses it."""
    try:
        obj = json.loads(body)
    except ValueError as error:
        raise status.bad_request(f"the body of the request was in an unknown format: {error}") from error
    if not isinstance(obj, dict):
        raise status.bad_request("the body of the request was in an unknown format")
    return obj


def delete_options(body: bytes, query: Query) -> Obj:
    """DeleteOptions from the body when there is one, else from the query string.

    kube-apiserver's delete handler reads the query only for a DELETE without a body, so
    ``?dryRun=All`` next to a JSON body is ignored and the delete is real.
    """
    if body.strip():
        return json_object(body)
    options = {}
    if "dryRun" in query:
        options["dryRun"] = query["dryRun"]
    for name in ("gracePeriodSeconds", "propagationPolicy"):
        if name in query:
            options[name] = _one(query, name)
    return options


def delete_object(
    store: ObjectStore, rt: ResourceType, namespace: str, name: str, body: bytes, query: Query
) -> Answer:
    options = delete_options(body, query)
    preconditions = options.get("preconditions") or {}
    entry = store.delete(
        rt,
        namespace,
        name,
        uid=preconditions.get("uid"),
        resource_version=preconditions.get("resourceVersion"),
        dry_run=dry_run_option(options.get("dryRun"), "DeleteOptions"),
    )
    return 200, entry.raw


"""Kubernetes protobuf request bodies (``application/vnd.kubernetes.protobuf``), decoded to JSON.

kubectl's typed clients prefer protobuf for built-in kinds whatever discovery says (client-go's
``UseProtobufAsDefaultIfPreferred``; only a 415 answer to CBOR makes them fall back), so
``kubectl create secret ...`` and ``kubectl create serviceaccount|namespace`` POST protobuf.
A body is the magic ``k8s\\x00`` and a ``runtime.Unknown`` (typeMeta, raw object bytes);
the object is decoded with the field numbers of k8s.io/api's ``generated.proto`` for the
kinds kubectl creates that way. Other kinds answer 415, as a server without a protobuf
serializer for them would.
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

Obj = Dict[str, Any]
MAGIC = b"k8s\x00"
MEDIA_TYPE = "application/vnd.kubernetes.protobuf"

# A schema maps a field number to (JSON name, kind). Kinds: "string", "bytes", "int", "bool",
# "time", "strings" (repeated string), "map" (string to string), "bytesmap" (string to base64),
# or a nested schema (a dict), repeated when wrapped in a list.
Schema = Dict[int, Tuple[str, Any]]

TYPE_META: Schema = {1: ("apiVersion", "string"), 2: ("kind", "string")}
OWNER_REFERENCE: Schema = {
    5: ("apiVersion", "string"), 1: ("kind", "string"), 3: ("name", "string"), 4: ("uid", "string"),
    6: ("controller", "bool"), 7: ("blockOwnerDeletion", "bool"),
}
OBJECT_META: Schema = {
    1: ("name", "string"), 2: ("generateName", "string"), 3: ("namespace", "string"),
    5: ("uid", "string"), 6: ("resourceVersion", "string"), 7: ("generation", "int"),
    8: ("creationTimestamp", "time"), 11: ("labels", "map"), 12: ("annotations", "map"),
    13: ("ownerReferences", [OWNER_REFERENCE]), 14: ("finalizers", "strings"),
}
OBJECT_REFERENCE: Schema = {
    1: ("kind", "string"), 2: ("namespace", "string"), 3: ("name", "string"), 4: ("uid", "string"),
    5: ("apiVersion", "string"), 6: ("resourceVersion", "string"), 7: ("fieldPath", "string"),
}
KINDS: Dict[Tuple[str, str], Schema] = {
    ("v1", "Secret"): {
        1: ("metadata", OBJECT_META), 2: ("data", "bytesmap"), 3: ("type", "string"),
        4: ("stringData", "map"), 5: ("immutable", "bool"),
    },
    ("v1", "ServiceAccount"): {
        1: ("metadata", OBJECT_META), 2: ("secrets", [OBJECT_REFERENCE]),
        3: ("imagePullSecrets", [{1: ("name", "string")}]), 4: ("automountServiceAccountToken", "bool"),
    },
    ("v1", "Namespace"): {
        1: ("metadata", OBJECT_META), 2: ("spec", {1: ("finalizers", "strings")}), 3: ("status", {1: ("phase", "string")}),
    },
}


class ProtobufError(ValueError):
    """A body that is not Kubernetes protobuf, or of a kind this module cannot decode."""


def _varint(data: bytes, position: int) -> Tuple[int, int]:
    result = shift = 0
    while True:
        if position >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, position
        shift += 7


def fields(data: bytes) -> List[Tuple[int, Any]]:
    """The (field number, value) pairs of one message: ints for varints, bytes otherwise.

    >>> fields(b"\\x0a\\x02v1\\x10\\x05")
    [(1, b'v1'), (2, 5)]
    """
    found: List[Tuple[int, Any]] = []
    position = 0
    while position < len(data):
        key, position = _varint(data, position)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, position = _varint(data, position)
        elif wire == 2:
            length, position = _varint(data, position)
            value, position = data[position:position + length], position + length
            if position > len(data):
                raise ProtobufError("truncated field")
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            value, position = data[position:position + size], position + size
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        found.append((number, value))
    return found


def _text(value: Any) -> str:
    if not isinstance(value, bytes):
        raise ProtobufError("expected a length-delimited field")
    return value.decode("utf-8")


def _time(value: bytes) -> Optional[str]:
    parts = dict(fields(value))
    seconds = int(parts.get(1, 0))
    if not seconds:
        return None
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _map_entry(value: bytes) -> Tuple[str, bytes]:
    parts = dict(fields(value))
    return _text(parts.get(1, b"")), parts.get(2, b"")


def decode_message(data: bytes, schema: Schema) -> Obj:
    """A message as JSON, leaving out what Go's ``omitempty`` would leave out."""
    result: Obj = {}
    for number, value in fields(data):
        if number not in schema:
            continue  # fields this sandbox never stores (managedFields, selfLink, ...)
        name, kind = schema[number]
        if isinstance(kind, list):
            result.setdefault(name, []).append(decode_message(value, kind[0]))
        elif isinstance(kind, dict):
            result[name] = decode_message(value, kind)
        elif kind == "string" and _text(value):
            result[name] = _text(value)
        elif kind in ("int", "bool") and value:
            result[name] = bool(value) if kind == "bool" else value
        elif kind == "time" and _time(value):
            result[name] = _time(value)
        elif kind == "strings":
            result.setdefault(name, []).append(_text(value))
        elif kind in ("map", "bytesmap"):
            key, item = _map_entry(value)
            text = base64.b64encode(item).decode() if kind == "bytesmap" else item.decode("utf-8")
            result.setdefault(name, {})[key] = text
    return {name: value for name, value in result.items() if value not in ({}, [])}


def decode(body: bytes) -> Obj:
    """A whole request body: magic, ``runtime.Unknown``, then the object of its kind.

    Raises ProtobufError for anything else; the caller answers 415 or 400.
    """
    if not body.startswith(MAGIC):
        raise ProtobufError("the body does not start with the Kubernetes protobuf magic number")
    unknown = dict(fields(body[len(MAGIC):]))
    type_meta = decode_message(unknown.get(1, b""), TYPE_META)
    api_version, kind = type_meta.get("apiVersion", ""), type_meta.get("kind", "")
    schema = KINDS.get((api_version, kind))
    if schema is None:
        raise ProtobufError(f"the sandbox decodes no protobuf {api_version} {kind}")
    obj = decode_message(unknown.get(2, b""), schema)
    return dict({"apiVersion": api_version, "kind": kind}, **obj)

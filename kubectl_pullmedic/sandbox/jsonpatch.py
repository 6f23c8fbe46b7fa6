"""JSON merge patch (RFC 7386) and JSON patch (RFC 6902), applied as kube-apiserver applies them.

kube-apiserver uses evanphx/json-patch for both. A merge patch that is not an object replaces
the document; a JSON patch that is not a list of operations is a 400 (``invalid JSON patch``
before decoding, the library's words after); an operation that does not apply is a 422 whose
message is the generic one, as ``NewGenericServerResponse`` words it.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, List, Tuple, Union

import kubectl_pullmedic.sandbox.status as status

Container = Union[Dict[str, Any], List[Any]]
OPERATIONS = ("add", "remove", "replace", "move", "copy", "test")


def merge_patch(document: Any, patch: Any) -> Any:
    """RFC 7386: objects merge member by member, ``null`` removes, anything else replaces.

    >>> merge_patch({"a": {"b": 1, "c": 2}, "l": [1, 2]}, {"a": {"b": None, "d": 3}, "l": [3]})
    {'a': {'c': 2, 'd': 3}, 'l': [3]}
    """
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(document) if isinstance(document, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _pointer(path: Any) -> List[str]:
    """The reference tokens of a JSON pointer (RFC 6901)."""
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise status.bad_request(f"invalid JSON pointer: {path!r}")
    if path == "":
        return []
    return [token.replace("~1", "/").replace("~0", "~") for token in path[1:].split("/")]


def _index(container: List[Any], token: str, for_add: bool) -> int:
    if for_add and token == "-":
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise status.unprocessable()
    position = int(token)
    if position > len(container) or (position == len(container) and not for_add):
        raise status.unprocessable()
    return position


def _parent(document: Any, tokens: List[str]) -> Tuple[Container, str]:
    """The container holding the pointer's last token, which must exist."""
    node = document
    for token in tokens[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, for_add=False)]
        else:
            raise status.unprocessable()
        if not isinstance(node, (dict, list)):
            raise status.unprocessable()
    if not isinstance(node, (dict, list)):
        raise status.unprocessable()
    return node, tokens[-1]


def _get(document: Any, tokens: List[str]) -> Any:
    if not tokens:
        return document
    parent, last = _parent(document, tokens)
    if isinstance(parent, dict):
        if last not in parent:
            raise status.unprocessable()
        return parent[last]
    return parent[_index(parent, last, for_add=False)]


def _add(document: Any, tokens: List[str], value: Any) -> Any:
    if not tokens:
        return value
    parent, last = _parent(document, tokens)
    if isinstance(parent, dict):
        parent[last] = value
    else:
        parent.insert(_index(parent, last, for_add=True), value)
    return document


def _remove(document: Any, tokens: List[str]) -> Any:
    if not tokens:
        raise status.unprocessable()
    parent, last = _parent(document, tokens)
    if isinstance(parent, dict):
        if last not in parent:
            raise status.unprocessable()
        del parent[last]
    else:
        del parent[_index(parent, last, for_add=False)]
    return document


def json_patch(document: Any, operations: Any) -> Any:
    """RFC 6902, all or nothing: ``document`` is not changed.

    >>> pod = {"spec": {"containers": [{"name": "a", "image": "x:1"}]}}
    >>> json_patch(pod, [{"op": "replace", "path": "/spec/containers/0/image", "value": "x:2"},
    ...                  {"op": "add", "path": "/metadata", "value": {"labels": {"k": "v"}}}])
    {'spec': {'containers': [{'name': 'a', 'image': 'x:2'}]}, 'metadata': {'labels': {'k': 'v'}}}
    """
    if not isinstance(operations, list):
        raise status.bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    result = copy.deepcopy(document)
    for operation in operations:
        if not isinstance(operation, dict):
            raise status.bad_request("json: cannot unmarshal into Go value of type jsonpatch.Operation")
        kind = operation.get("op")
        if kind not in OPERATIONS:
            raise status.unprocessable()
        tokens = _pointer(operation.get("path"))
        if kind in ("add", "replace", "test") and "value" not in operation:
            raise status.unprocessable()
        if kind == "add":
            result = _add(result, tokens, copy.deepcopy(operation["value"]))
        elif kind == "remove":
            result = _remove(result, tokens)
        elif kind == "replace":
            _get(result, tokens)  # must exist
            result = _add(_remove(result, tokens), tokens, copy.deepcopy(operation["value"])) if tokens \
                else copy.deepcopy(operation["value"])
        elif kind == "test":
            if _get(result, tokens) != operation["value"]:
                raise status.unprocessable()
        else:
            source = _pointer(operation.get("from"))
            value = copy.deepcopy(_get(result, source))
            if kind == "move":
                if tokens[: len(source)] == source and len(tokens) > len(source):
                    raise status.unprocessable()  # into its own child
                result = _remove(result, source)
            result = _add(result, tokens, value)
    return result

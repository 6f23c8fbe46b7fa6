"""Strategic merge patch (``application/strategic-merge-patch+json``) as kube-apiserver applies it.

Follows apimachinery's ``pkg/util/strategicpatch/patch.go`` (``StrategicMergeMapPatch`` with
``MergeParallelList`` and ``IgnoreUnmatchedNulls``): maps merge key by key and ``null`` deletes;
lists whose Go field carries ``patchStrategy:"merge"`` merge element by element on their
``patchMergeKey`` (containers by ``name``, volumeMounts by ``mountPath``, ...), every other list
is replaced. The directives ``$patch`` (replace, delete), ``$retainKeys``,
``$setElementOrder/<list>`` and ``$deleteFromPrimitiveList/<list>`` work as there, ordering
included. The Go types' tags are looked up here by field name only (see ``MERGE_KEYS``), which
is exact for the kinds the sandbox serves.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Dict, List, Tuple

import kubectl_pullmedic.sandbox.status as status

Obj = Dict[str, Any]

# Lists of objects with patchStrategy "merge", by field name, with their patchMergeKey
# (k8s.io/api core/v1, apps/v1, batch/v1 and meta/v1 types.go).
MERGE_KEYS: Dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "resourceClaims": "name",
    "topologySpreadConstraints": "topologyKey",
    "ownerReferences": "uid",
    "secrets": "name",  # ServiceAccount.secrets
    "conditions": "type",  # pod, node, workload status conditions
    "addresses": "type",  # node status
}
# Lists of scalars with patchStrategy "merge": patch items are added, duplicates dropped.
MERGE_SCALAR_LISTS = frozenset({"finalizers", "podCIDRs"})

DIRECTIVE = "$patch"
RETAIN_KEYS = "$retainKeys"
SET_ELEMENT_ORDER = "$setElementOrder"
DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList"


def apply(original: Obj, patch: Any) -> Obj:
    """``original`` with ``patch`` applied; neither argument is changed.

    >>> pod = {"spec": {"containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y:1"}]}}
    >>> apply(pod, {"spec": {"containers": [{"name": "b", "image": "y:2"}]}})["spec"]["containers"]
    [{'name': 'a', 'image': 'x:1'}, {'name': 'b', 'image': 'y:2'}]
    >>> apply({"metadata": {"labels": {"a": "1", "b": "2"}}}, {"metadata": {"labels": {"a": None}}})
    {'metadata': {'labels': {'b': '2'}}}
    """
    if not isinstance(patch, dict):
        raise status.bad_request("invalid JSON document")
    return _merge_map(copy.deepcopy(original), copy.deepcopy(patch))


def _go(value: Any) -> str:
    """A value as Go's ``%v`` prints a JSON map or list, for error messages."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{key}:{_go(value[key])}" for key in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_go(item) for item in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _no_merge_key(item: Any, key: str) -> status.ApiStatus:
    return status.internal_error(f"map: {_go(item)} does not contain declared merge key: {key}")


def _merge_map(original: Obj, patch: Obj) -> Obj:
    if DIRECTIVE in patch:
        directive = patch.pop(DIRECTIVE)
        if directive == "replace":
            return _strip(patch)
        if directive == "delete":
            return {}
        raise status.internal_error(f"Unknown patch type: {directive} in map: {_go(patch)}")
    _retain_keys(original, patch)
    _set_element_orders(original, patch)
    for key, value in patch.items():
        if key.startswith(DELETE_FROM_PRIMITIVE_LIST + "/"):
            field = key.split("/", 1)[1]
            if isinstance(original.get(field), list) and isinstance(value, list):
                original[field] = [item for item in original[field] if item not in value]
            continue
        if value is None:
            original.pop(key, None)
            continue
        current = original.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            original[key] = _merge_map(current, value)
        elif isinstance(current, list) and isinstance(value, list):
            original[key] = _merge_list(key, current, value)
        else:
            stripped = _strip(_without_nulls(value))
            if stripped is _DROP:
                original.pop(key, None)
            else:
                original[key] = stripped
    return original


def _retain_keys(original: Obj, patch: Obj) -> None:
    """``$retainKeys``: clear the fields of ``original`` the list does not name."""
    if RETAIN_KEYS not in patch:
        return
    keep = patch.pop(RETAIN_KEYS)
    if not isinstance(keep, list):
        raise status.bad_request("invalid patch format of retainKeys")
    for key, value in patch.items():
        if value is None or key.startswith("$"):
            continue
        if key not in keep:
            raise status.bad_request("invalid patch format of retainKeys")
    for key in [key for key in original if key not in keep]:
        del original[key]


def _set_element_orders(original: Obj, patch: Obj) -> None:
    """``$setElementOrder/<list>``: merge that list now and put its items in the given order."""
    for directive in [key for key in patch if key.startswith(SET_ELEMENT_ORDER + "/")]:
        order = patch.pop(directive)
        field = directive.split("/", 1)[1]
        if not field or not isinstance(order, list):
            raise status.bad_request("invalid patch format of setElementOrder list")
        merge_key = MERGE_KEYS.get(field, "")
        in_original, in_patch = isinstance(original.get(field), list), field in patch
        if in_patch and not isinstance(patch[field], list):
            raise status.bad_request("invalid patch format of setElementOrder list")
        if in_original and in_patch:
            merged = _merge_list(field, original[field], patch.pop(field))
        elif in_patch:
            merged = _strip(patch.pop(field))
        elif in_original:
            merged = original[field]
        else:
            continue
        if merge_key:
            for item in merged + order:
                if not isinstance(item, dict) or merge_key not in item:
                    raise _no_merge_key(item, merge_key)
        ordered = [item for item in merged if _index(order, item, merge_key) >= 0]
        server_only = [item for item in merged if _index(order, item, merge_key) < 0]
        original[field] = _normalize(ordered, server_only, order, original.get(field) or [], merge_key)


def _merge_list(field: str, original: List[Any], patch: List[Any]) -> List[Any]:
    merge_key = MERGE_KEYS.get(field)
    if merge_key is None and field not in MERGE_SCALAR_LISTS:
        return _strip(patch)  # atomic list: replaced
    if not original and not patch:
        return original
    items = original + patch
    if any(isinstance(item, list) for item in items):
        raise status.unprocessable()  # lists of lists are not supported
    if not any(isinstance(item, dict) for item in items):
        merged = _dedupe(original + patch)
        ordered = [item for item in merged if item in patch]
        return _normalize(ordered, [item for item in merged if item not in patch], patch, original, "")
    if merge_key is None:
        raise status.internal_error(f"cannot merge lists without merge key for {field}")
    original, patch = _special_elements(original, patch, merge_key)
    for item in patch:
        if merge_key not in item:
            raise _no_merge_key(item, merge_key)
        found = _index(original, item, merge_key)
        if found >= 0:
            original[found] = _merge_map(original[found], item)
        else:
            original.append(item)
    ordered = [item for item in original if _index(patch, item, merge_key) >= 0]
    server_only = [item for item in original if _index(patch, item, merge_key) < 0]
    return _normalize(ordered, server_only, patch, original, merge_key)


def _special_elements(original: List[Any], patch: List[Any], merge_key: str) -> Tuple[List[Any], List[Any]]:
    """Apply the ``{"$patch": "delete"|"replace"}`` items of a merging list."""
    plain = []
    replace = False
    for item in patch:
        if not isinstance(item, dict):
            raise status.internal_error(f"value for key {merge_key} is not a map")
        if DIRECTIVE not in item:
            plain.append(item)
        elif item[DIRECTIVE] == "delete":
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
            original = [kept for kept in original if not (isinstance(kept, dict) and kept.get(merge_key) == item[merge_key])]
        elif item[DIRECTIVE] == "replace":
            replace = True
        elif item[DIRECTIVE] == "merge":
            raise status.internal_error("merging lists cannot yet be specified in the patch")
        else:
            raise status.internal_error(f"Unknown patch type: {item[DIRECTIVE]} in map: {_go(item)}")
    return (plain, []) if replace else (original, plain)


def _key_of(item: Any, merge_key: str) -> Any:
    if not merge_key:
        return json.dumps(item, sort_keys=True)
    return item.get(merge_key) if isinstance(item, dict) else None


def _index(items: List[Any], wanted: Any, merge_key: str) -> int:
    key = _key_of(wanted, merge_key)
    for position, item in enumerate(items):
        if _key_of(item, merge_key) == key:
            return position
    return -1


def _sorted_by(items: List[Any], order: List[Any], merge_key: str) -> List[Any]:
    """Go's ``sort.SliceStable`` (an insertion sort for short lists) with patch.go's comparator,
    under which an item missing from ``order`` compares as smaller than anything."""

    def less(left: Any, right: Any) -> bool:
        i, j = _index(order, left, merge_key), _index(order, right, merge_key)
        return i < j if i >= 0 and j >= 0 else True

    result = list(items)
    for i in range(1, len(result)):
        j = i
        while j > 0 and less(result[j], result[j - 1]):
            result[j], result[j - 1] = result[j - 1], result[j]
            j -= 1
    return result


def _normalize(patch_items: List[Any], server_only: List[Any], patch_order: List[Any], server_order: List[Any],
               merge_key: str) -> List[Any]:
    """patch.go's ``normalizeElementOrder`` and ``mergeSortedSlice``: patch items in the patch's
    order, server-only items in the live order, interleaved where the live order says so."""
    right = _sorted_by(patch_items, patch_order, merge_key)
    left = _sorted_by(server_only, server_order, merge_key)
    merged: List[Any] = []
    i = j = 0
    while i < len(left) or j < len(right):
        if i >= len(left):
            merged.append(right[j])
            j += 1
        elif j >= len(right):
            merged.append(left[i])
            i += 1
        else:
            li, ri = _index(server_order, left[i], merge_key), _index(server_order, right[j], merge_key)
            if li >= 0 and ri >= 0 and li < ri:
                merged.append(left[i])
                i += 1
            else:
                merged.append(right[j])
                j += 1
    return merged


def _dedupe(items: List[Any]) -> List[Any]:
    seen: List[Any] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


_DROP = object()


def _without_nulls(value: Any) -> Any:
    """``discardNullValuesFromPatch``: a value new to the object loses its null members."""
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def _strip(value: Any) -> Any:
    """``removeDirectives``: a map holding ``$patch`` disappears, from maps and lists alike;
    other ``$`` keys go too, as decoding into the Go type drops them."""
    if isinstance(value, dict):
        if DIRECTIVE in value:
            return _DROP
        result = {}
        for key, item in value.items():
            stripped = _strip(item)
            if stripped is not _DROP and not key.startswith("$"):
                result[key] = stripped
        return result
    if isinstance(value, list):
        return [stripped for stripped in (_strip(item) for item in value) if stripped is not _DROP]
    return value


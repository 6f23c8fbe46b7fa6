"""kubectl's JSONPath templates (``-o jsonpath=``), evaluated as k8s.io/client-go/util/jsonpath does.

A port of client-go's ``parser.go`` and ``jsonpath.go`` over plain JSON data (what ``json.loads``
returns), with the same grammar, the same error messages and the same printing:

- text outside ``{...}`` is printed verbatim (``\\n`` there stays a backslash and an ``n``);
  inside an action, ``"..."`` or ``'...'`` is a string with Go's escapes: ``{"\\n"}``, ``{"\\t"}``;
- ``$`` and ``@`` (the current object) are skipped; ``.field`` (``\\.`` escapes a dot in a key),
  ``.*``, ``..field`` (recursive descent), ``[N]``, ``[-N]``, ``[start:end:step]``, ``[*]``,
  ``['key']``, unions ``[0,2]``, filters ``[?(@.a=="x")]`` (``== != < <= > >=``, or just
  ``[?(@.a)]`` for "exists"; numbers, ``true``/``false``, quoted strings or ``@.path`` on the right);
- ``{range EXPR}...{end}`` repeats the part up to ``{end}`` for every result;
- several results of one action are joined by one space; strings, numbers and booleans print as Go's
  ``fmt`` prints them, null as ``null``, lists and maps as compact JSON with sorted keys (Go's
  ``json.Marshal``, ``<``, ``>`` and ``&`` escaped); with ``as_json`` (``-o jsonpath-as-json``) every
  action prints its results as an indented JSON array instead;
- a missing key prints nothing when ``allow_missing`` is on (kubectl's default,
  ``--allow-missing-template-keys=true``), else it is the error ``KEY is not found``; an index out of
  range, an index on a map or an unknown identifier is always an error.

Not covered: kubectl's go-template formats (``-o go-template``, ``template``); the order of a map's
values under ``.*`` and ``..`` is the document's key order, where kubectl's is random; ``\\x``/octal
escapes that make invalid UTF-8 are replaced rather than printed as raw bytes; Go structs (only JSON
data reaches this module).
"""

from __future__ import annotations

from typing import Any, List, Sequence

from .gofmt import go_json, go_sprint, go_text
from .jsonpath_parser import JSONPathError, Node, parse

__all__ = ["JSONPathError", "parse", "execute", "find_results", "print_results"]


def execute(template: str, data: Any, *, allow_missing: bool = True, as_json: bool = False) -> str:
    """The template's output for ``data``, as kubectl prints it (no newline added).

    >>> execute("{.items[*].pod}", {"items": [{"pod": "a"}, {"pod": "b"}]})
    'a b'
    """
    segments = _Run(parse(template), allow_missing).find(data, 0)
    return "".join(print_results(results, as_json) for results in segments)


def find_results(nodes: List[Node], data: Any, allow_missing: bool = True) -> List[List[Any]]:
    """Every action's results (client-go's ``FindResults``), for callers that print them their way."""
    return _Run(nodes, allow_missing).find(data, 0)


def print_results(results: Sequence[Any], as_json: bool = False) -> str:
    """client-go's ``PrintResults``: one action's results, joined by a space."""
    if as_json:
        return go_json(list(results), indent="    ") + "\n"
    return " ".join(go_json(value) if isinstance(value, (dict, list)) else go_text(value, "null") for value in results)


# -- the evaluator (client-go util/jsonpath/jsonpath.go) -----------------------------------------


class _Invalid:
    """Go's invalid ``reflect.Value``: what a range over nothing evaluates its body on."""

    def __repr__(self) -> str:
        return "<invalid reflect.Value>"


_INVALID = _Invalid()


def go_type(value: Any) -> str:
    """The Go type a JSON value decodes to in kubectl (``map[string]interface {}``, ``int64``...)."""
    for kind, name in ((bool, "bool"), (int, "int64"), (float, "float64"), (str, "string"),
                       (dict, "map[string]interface {}"), (list, "[]interface {}")):
        if isinstance(value, kind):
            return name
    return "<nil>"


def _children(value: Any) -> List[Any]:
    """What ``.*`` and ``..`` step into: a map's values, a list's items, a string's bytes (as Go indexes one)."""
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return list(value)
    if isinstance(value, str):
        return list(value.encode("utf-8"))
    return []


class _Run:
    """One execution: client-go's ``JSONPath`` with its range counters, over absolute node positions."""

    def __init__(self, nodes: List[Node], allow_missing: bool) -> None:
        self.nodes, self.allow_missing = nodes, allow_missing
        self.begin_range = self.in_range = self.end_range = 0
        self.last_end = -1

    def find(self, data: Any, start: int) -> List[List[Any]]:
        """``FindResults`` from node ``start`` on: one list of results per action or text."""
        current, full, i = [data], [], start
        while i < len(self.nodes):
            results = self.walk(current, self.nodes[i])
            if 0 < self.end_range <= self.in_range:  # an {end}: this block is done
                self.end_range -= 1
                self.last_end = i
                break
            if self.begin_range > 0:  # a {range}: the nodes after it, once per result
                self.begin_range -= 1
                self.in_range += 1
                for value in results:
                    full.extend(self.find(value, i + 1))
                if not results:
                    self.find(_INVALID, i + 1)  # only to find where its {end} is
                self.in_range -= 1
                i = next((k for k in range(i + 1, len(self.nodes)) if k == self.last_end), i) + 1
                continue
            full.append(results)
            i += 1
        return full

    def walk(self, values: List[Any], node: Node) -> List[Any]:
        kind = node[0]
        if kind == "list":
            for child in node[1]:
                values = self.walk(values, child)
            return values
        if kind == "text":
            return [node[1]]
        if kind in ("int", "float", "bool"):
            return [node[1]] * len(values)
        if kind == "identifier":
            return self._identifier(values, node[1])
        if kind == "wildcard":
            return [child for value in values for child in _children(value)]
        return getattr(self, "_" + kind)(values, node)

    def _identifier(self, values: List[Any], name: str) -> List[Any]:
        if name == "range":
            self.begin_range += 1
            return values
        if name == "end":
            if self.in_range <= 0:
                raise JSONPathError("not in range, nothing to end")
            self.end_range += 1
            return []
        raise JSONPathError(f"unrecognized identifier {name}")

    def _field(self, values: List[Any], node: Node) -> List[Any]:
        if not values:
            return []
        name = node[1]
        results = [value[name] for value in values if isinstance(value, dict) and name in value]
        if not results and not self.allow_missing:
            raise JSONPathError(f"{name} is not found")
        return results

    def _array(self, values: List[Any], node: Node) -> List[Any]:
        results: List[Any] = []
        for value in values:
            if value is None:
                continue
            if not isinstance(value, list):
                raise JSONPathError(f"{go_type(value)} is not array or slice")
            (start, start_known, _), (end, end_known, derived), (step, step_known, _) = node[1]
            length = len(value)
            start = start if start_known else 0
            start += length if start < 0 else 0
            end = end if end_known else length
            end += length if end < 0 or (end == 0 and derived) else 0
            if end == start:  # zero elements asked for: allowed, and the rest of the input is not looked at
                return results
            if start >= length or start < 0:
                raise JSONPathError(f"array index out of bounds: index {start}, length {length}")
            if end > length or end < 0:
                raise JSONPathError(f"array index out of bounds: index {end - 1}, length {length}")
            if start > end:
                raise JSONPathError(f"starting index {start} is greater than ending index {end}")
            if step_known and step <= 0:
                raise JSONPathError("step must be > 0")
            results.extend(value[start:end:step if step_known else 1])
        return results

    def _union(self, values: List[Any], node: Node) -> List[Any]:
        return [result for branch in node[1] for result in self.walk(values, ("list", branch))]

    def _recursive(self, values: List[Any], node: Node) -> List[Any]:
        results: List[Any] = []
        for value in values:
            children = [] if value is None else _children(value)
            if children:
                results.append(value)
                results.extend(self._recursive(children, node))
        return results

    def _filter(self, values: List[Any], node: Node) -> List[Any]:
        _, left_nodes, right_nodes, operator = node
        results: List[Any] = []
        for value in values:
            if not isinstance(value, list):
                raise JSONPathError(f"{go_sprint(value)} is not array or slice and cannot be filtered")
            for item in value:
                try:
                    lefts = self.walk([item], ("list", left_nodes))
                except JSONPathError:
                    if operator != "exists":
                        raise
                    lefts = []
                if operator == "exists":
                    if lefts:
                        results.append(item)
                    continue
                if not lefts:
                    continue
                rights = self.walk([item], ("list", right_nodes)) if len(lefts) == 1 else []
                if len(lefts) > 1 or len(rights) > 1:
                    raise JSONPathError("can only compare one element at a time")
                if rights and _compare(operator, lefts[0], rights[0]):
                    results.append(item)
        return results


def _basic_kind(value: Any) -> str:
    for kind, name in ((bool, "bool"), (int, "int"), (float, "float"), (str, "string")):
        if isinstance(value, kind):
            return name
    raise JSONPathError("invalid type for comparison")


def _less(left: Any, right: Any) -> bool:
    kind = _basic_kind(left)
    if kind != _basic_kind(right):
        raise JSONPathError("incompatible types for comparison")
    if kind == "bool":
        raise JSONPathError("invalid type for comparison")
    return bool(left < right)


def _equal(left: Any, right: Any) -> bool:
    if _basic_kind(left) != _basic_kind(right):
        raise JSONPathError("incompatible types for comparison")
    return bool(left == right)


def _compare(operator: str, left: Any, right: Any) -> bool:
    """Go text/template's comparisons (``eq``, ``lt``...), with their errors."""
    if operator == "==":
        return _equal(left, right)
    if operator == "!=":
        return not _equal(left, right)
    if operator == "<":
        return _less(left, right)
    if operator == "<=":
        return _less(left, right) or _equal(left, right)
    if operator == ">":
        return not (_less(left, right) or _equal(left, right))
    if operator == ">=":
        return not _less(left, right)
    raise JSONPathError(f"unrecognized filter operator {operator}")

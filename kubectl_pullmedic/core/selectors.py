"""Label and field selectors with the grammar and matching rules of apimachinery, and the field
set each kind offers them: one implementation for the sandbox API server and the dump reader (-f).

Label selectors (``k8s.io/apimachinery/pkg/labels``): comma-separated requirements, each one of
``key``, ``!key``, ``key=v``, ``key==v``, ``key!=v``, ``key in (a,b)``, ``key notin (a,b)``,
``key>n``, ``key<n``. ``!=`` and ``notin`` also match objects without the key.
Field selectors (``k8s.io/apimachinery/pkg/fields``): comma-separated ``field=v``, ``field==v``,
``field!=v``, with ``\\,``, ``\\=`` and ``\\\\`` escapes in values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from .kube import dig, name_of, namespace_of

Labels = Dict[str, str]
Fields = Dict[str, str]


class SelectorError(ValueError):
    """A selector that does not parse; the server answers 400 with this message."""


@dataclass(frozen=True)
class LabelRequirement:
    key: str
    operator: str  # "exists", "!", "=", "!=", "in", "notin", ">", "<"
    values: Tuple[str, ...] = ()

    def matches(self, labels: Labels) -> bool:
        present = self.key in labels
        value = labels.get(self.key, "")
        if self.operator == "exists":
            return present
        if self.operator == "!":
            return not present
        if self.operator in ("=", "in"):
            return present and value in self.values
        if self.operator in ("!=", "notin"):
            return not present or value not in self.values
        if not present or not re.fullmatch(r"-?\d+", value):
            return False
        bound = int(self.values[0])
        return int(value) > bound if self.operator == ">" else int(value) < bound


_TOKEN = re.compile(r"\s*(==|!=|=|!|\(|\)|,|>|<|[^\s=!(),<>]+)")


def _tokens(text: str) -> List[str]:
    tokens: List[str] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if not match:
            raise SelectorError(f"unable to parse requirement: unexpected character in {text!r}")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


class _LabelParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.position = 0

    def peek(self) -> Optional[str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> Optional[str]:
        token = self.peek()
        self.position += 1
        return token

    def fail(self, found: Optional[str], expected: str) -> SelectorError:
        return SelectorError(f"unable to parse requirement: found '{found or ''}', expected: {expected}")

    def identifier(self) -> str:
        token = self.take()
        if token is None or token in ("==", "!=", "=", "!", "(", ")", ",", ">", "<"):
            raise self.fail(token, "identifier")
        return token

    def value(self) -> str:
        """A value, which may be empty (``key=`` selects the empty value)."""
        token = self.peek()
        if token is None or token in (",", ")"):
            return ""
        return self.identifier()

    def value_set(self) -> Tuple[str, ...]:
        token = self.take()
        if token != "(":
            raise self.fail(token, "'('")
        values: List[str] = []
        while True:
            values.append(self.value())
            token = self.take()
            if token == ")":
                return tuple(values)
            if token != ",":
                raise self.fail(token, "',' or ')'")

    def requirement(self) -> LabelRequirement:
        if self.peek() == "!":
            self.take()
            return LabelRequirement(self.identifier(), "!")
        key = self.identifier()
        operator = self.peek()
        if operator is None or operator == ",":
            return LabelRequirement(key, "exists")
        self.take()
        if operator in ("=", "=="):
            return LabelRequirement(key, "=", (self.value(),))
        if operator == "!=":
            return LabelRequirement(key, "!=", (self.value(),))
        if operator in ("in", "notin"):
            return LabelRequirement(key, operator, self.value_set())
        if operator in (">", "<"):
            bound = self.identifier()
            if not re.fullmatch(r"-?\d+", bound):
                raise SelectorError(
                    "unable to parse requirement: for 'gt', 'lt' operators, the value must be an integer"
                )
            return LabelRequirement(key, operator, (bound,))
        raise self.fail(operator, "=, !=, ==, in, notin, >, <")

    def parse(self) -> List[LabelRequirement]:
        requirements: List[LabelRequirement] = []
        while self.peek() is not None:
            requirements.append(self.requirement())
            token = self.take()
            if token is not None and token != ",":
                raise self.fail(token, "','")
        return requirements


def parse_label_selector(text: str) -> Callable[[Labels], bool]:
    """A predicate over an object's labels.

    >>> match = parse_label_selector("app in (web, api),tier!=db,!legacy")
    >>> match({"app": "web"}), match({"app": "web", "tier": "db"}), match({"app": "x"})
    (True, False, False)
    """
    requirements = _LabelParser(text).parse()
    return lambda labels: all(req.matches(labels) for req in requirements)


def _split_unescaped(text: str, separator: str) -> List[str]:
    parts: List[str] = []
    current = ""
    escaped = False
    for char in text:
        if escaped:
            current += "\\" + char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current + ("\\" if escaped else ""))
    return parts


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    negated: bool
    value: str

    def matches(self, fields: Fields) -> bool:
        return (fields.get(self.field, "") == self.value) != self.negated


def parse_field_selector(text: str) -> List[FieldRequirement]:
    """Terms of a field selector; field names are checked against a kind by the caller.

    >>> [(r.field, r.negated, r.value) for r in parse_field_selector("status.phase!=Failed,a==b\\\\,c")]
    [('status.phase', True, 'Failed'), ('a', False, 'b,c')]
    """
    if not text:
        return []
    requirements: List[FieldRequirement] = []
    for part in _split_unescaped(text, ","):
        match = re.match(r"^(.*?)(!=|==|=)(.*)$", part)
        if not match or not match.group(1):
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{part}'")
        field, operator, value = match.groups()
        requirements.append(FieldRequirement(field, operator == "!=", _unescape(value)))
    return requirements


# -- field sets ------------------------------------------------------------------------------
# What a field selector sees of each kind, as kube-apiserver builds it: pkg/apis/core/v1/conversion.go
# (pods, nodes, events, namespaces, secrets), pkg/apis/batch/v1/conversion.go (jobs), and
# apimachinery's DefaultMetaV1FieldSelectorConversion (metadata.name/namespace) for every other kind.
# Read with ``dig``, so an object of an odd shape has empty fields rather than breaking the list.


def _text(value: Any, default: str = "") -> str:
    """A field as the server's field set spells it: Go zero values for missing fields."""
    if value is None or isinstance(value, (dict, list)):
        return default
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def meta_fields(obj: Any) -> Fields:
    return {"metadata.name": name_of(obj), "metadata.namespace": namespace_of(obj)}


def pod_fields(pod: Any) -> Fields:
    fields = meta_fields(pod)
    fields.update({
        "spec.nodeName": _text(dig(pod, "spec", "nodeName")),
        # Defaults the real API server would have filled in on create.
        "spec.restartPolicy": _text(dig(pod, "spec", "restartPolicy"), "Always"),
        "spec.schedulerName": _text(dig(pod, "spec", "schedulerName"), "default-scheduler"),
        "spec.serviceAccountName": _text(dig(pod, "spec", "serviceAccountName"), "default"),
        "spec.hostNetwork": _text(bool(dig(pod, "spec", "hostNetwork"))),
        "status.phase": _text(dig(pod, "status", "phase")),
        "status.podIP": _text(dig(pod, "status", "podIP")),
        "status.nominatedNodeName": _text(dig(pod, "status", "nominatedNodeName")),
    })
    return fields


def event_fields(event: Any) -> Fields:
    fields = meta_fields(event)
    for key in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"):
        fields["involvedObject." + key] = _text(dig(event, "involvedObject", key))
    fields.update({
        "reason": _text(dig(event, "reason")),
        "reportingComponent": _text(dig(event, "reportingComponent")),
        "source": _text(dig(event, "source", "component")),
        "type": _text(dig(event, "type")),
    })
    return fields


def secret_fields(secret: Any) -> Fields:
    fields = meta_fields(secret)
    fields["type"] = _text(dig(secret, "type"))
    return fields


def node_fields(node: Any) -> Fields:
    return {"metadata.name": name_of(node), "spec.unschedulable": _text(bool(dig(node, "spec", "unschedulable")))}


def namespace_fields(namespace: Any) -> Fields:
    return {"metadata.name": name_of(namespace), "status.phase": _text(dig(namespace, "status", "phase"))}


def job_fields(job: Any) -> Fields:
    fields = meta_fields(job)
    fields["status.successful"] = _text(dig(job, "status", "succeeded"), "0")
    return fields


# resource -> its field set; any other kind has meta_fields.
FIELD_SETS: Mapping[str, Callable[[Any], Fields]] = {
    "pods": pod_fields, "events": event_fields, "secrets": secret_fields, "nodes": node_fields,
    "namespaces": namespace_fields, "jobs": job_fields,
}

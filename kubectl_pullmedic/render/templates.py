"""kubectl's template printers over a command's ``-o json`` document: ``-o jsonpath=``,
``-o jsonpath-as-json=``, ``-o custom-columns=`` (and their ``-file`` forms, read by the CLI).

The document is exactly what ``-o json`` prints (a List with its ``items``), so a template that
works on ``-o json | jq`` works here. Syntax, output and error messages are kubectl 1.32's
(k8s.io/cli-runtime ``printers/jsonpath.go``, ``genericclioptions/jsonpath_flags.go``,
k8s.io/kubectl ``cmd/get/customcolumn.go``):

- ``jsonpath``: see ``render.jsonpath``; missing keys print nothing (kubectl's default
  ``--allow-missing-template-keys=true``; the flag itself is not offered); no newline is added.
- ``custom-columns=HEADER:PATH,...``: one row per item; PATH is ``.a.b``, ``a.b``, ``{.a.b}`` or
  ``{a.b}`` (kubectl's "relaxed" forms); several results join with ``,``; nothing is ``<none>``;
  lists and maps print as Go's ``fmt`` does (``[a b]``, ``map[k:v]``); headers as written.
  The file form is two whitespace-separated lines, headers then paths; ``--no-headers`` is honoured
  for both (kubectl ignores it for the file form).

Differences from kubectl: the table is the project's (``render.tables``): columns are 3 spaces
apart but not padded to kubectl's minimum width of 6; an error while printing rows (an index out
of range) prints no partial table.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Sequence, Tuple

from . import tables
from .gofmt import go_sprint
from .jsonpath import JSONPathError, Node, execute, find_results, parse

TEMPLATE_FORMATS = ("jsonpath", "jsonpath-as-json", "jsonpath-file", "custom-columns", "custom-columns-file")
# kubectl's allowed formats, in the order its completion offers them
KUBECTL_ORDER = ("json", "yaml", "name", "go-template", "go-template-file", "template", "templatefile", "jsonpath",
                 "jsonpath-as-json", "jsonpath-file", "custom-columns", "custom-columns-file", "wide")
_RELAXED = re.compile(r"\{\.?([^{}]+)\}|\.?([^{}]+)")
_FILE_FORMAT = "Expected format is one line of space separated headers, one line of space separated column specs."

Column = Tuple[str, List[Node]]


class OutputError(Exception):
    """A format or template kubectl would refuse, in kubectl's words."""


def split_output(value: str) -> Tuple[str, str]:
    """``-o`` into format and template: ``jsonpath={.a}`` is ``("jsonpath", "{.a}")``.

    >>> split_output("custom-columns=NAME:.pod"), split_output("json")
    (('custom-columns', 'NAME:.pod'), ('json', ''))
    """
    for name in TEMPLATE_FORMATS:
        if value == name or value.startswith(name + "="):
            return name, value[len(name) + 1:]
    return value, ""


def unknown_format(value: str, formats: Sequence[str]) -> str:
    return (f'unable to match a printer suitable for the output format "{value}", '
            f"allowed formats are: {','.join(sorted(formats))}")


def check(fmt: str, template: str) -> None:
    """Refuse an empty or unparsable template before anything is read (kubectl builds its printer first)."""
    if fmt in ("custom-columns", "custom-columns-file"):
        columns(fmt, template)
    elif fmt.startswith("jsonpath"):
        _parse_jsonpath(template)


def _parse_jsonpath(template: str) -> List[Node]:
    if not template:
        raise OutputError("template format specified but no template given")
    try:
        return parse(template)
    except JSONPathError as error:
        raise OutputError(f"error parsing jsonpath {template}, {error}") from None


def render(document: Dict[str, Any], fmt: str, template: str, *, no_headers: bool) -> str:
    """``document`` (the parsed ``-o json`` output) printed by kubectl's printer for ``fmt``."""
    if fmt in ("custom-columns", "custom-columns-file"):
        return custom_columns(document, columns(fmt, template), no_headers=no_headers)
    _parse_jsonpath(template)
    try:
        return execute(template, document, as_json=fmt == "jsonpath-as-json")
    except JSONPathError as error:
        raise OutputError(f"error executing jsonpath {json.dumps(template, ensure_ascii=False)}: "
                          f"Error executing template: {error}") from None


# -- custom columns (k8s.io/kubectl pkg/cmd/get/customcolumn.go) ---------------------------------


def relaxed_path(expression: str) -> str:
    """kubectl's ``RelaxedJSONPathExpression``: ``a.b``, ``.a.b``, ``{a.b}`` and ``{.a.b}`` all mean ``{.a.b}``.

    >>> [relaxed_path(p) for p in ("pod", ".pod", "{pod}", "{.evidence.reference.tag}", "..pod", "")]
    ['{.pod}', '{.pod}', '{.pod}', '{.evidence.reference.tag}', '{..pod}', '']
    """
    if not expression:
        return expression
    match = _RELAXED.fullmatch(expression)
    if match is None:
        raise OutputError("unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' "
                          "or '{.name1.name2}'")
    return "{." + (match.group(1) or match.group(2)) + "}"


def columns(fmt: str, template: str) -> List[Column]:
    """The columns of ``custom-columns=SPEC`` or of a ``custom-columns-file``'s text, each path parsed."""
    if not template:
        raise OutputError("custom-columns format specified but no custom columns given")
    pairs: List[Tuple[str, str]] = []
    if fmt == "custom-columns-file":
        lines = [line.rstrip("\r") for line in template.split("\n")]
        if lines and lines[-1] == "":
            lines.pop()
        if not lines:
            raise OutputError(f"invalid template, missing header line. {_FILE_FORMAT}")
        if len(lines) < 2:
            raise OutputError(f"invalid template, missing spec line. {_FILE_FORMAT}")
        headers, specs = lines[0].split(), lines[1].split()
        if len(headers) != len(specs):
            raise OutputError(f"number of headers ({len(headers)}) and field specifications ({len(specs)}) don't match")
        pairs = list(zip(headers, specs))
    else:
        for part in template.split(","):
            header, colon, spec = part.partition(":")
            if not colon:
                raise OutputError(f"unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>")
            pairs.append((header, spec))
    parsed = []
    for header, spec in pairs:
        try:
            parsed.append((header, parse(relaxed_path(spec))))
        except JSONPathError as error:
            raise OutputError(str(error)) from None
    return parsed


class _Verbatim:
    """A cell printed as it is: an empty value stays empty (kubectl prints ``<none>`` only for no value)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def _escape_terminal(text: str) -> str:
    """cli-runtime's ``EscapeTerminal``: no escape sequence or carriage return reaches the terminal."""
    return text.replace("\x1b", "^[").replace("\r", "\\r")


def custom_columns(document: Dict[str, Any], cols: Sequence[Column], *, no_headers: bool) -> str:
    """One row per item of the document; the header row even when there are no items, as kubectl prints it."""
    rows: List[List[Any]] = [] if no_headers else [[_Verbatim(header) for header, _ in cols]]
    for item in document.get("items") or []:
        row = []
        for _, nodes in cols:
            try:
                segments = find_results(nodes, item, allow_missing=True)
            except JSONPathError as error:
                raise OutputError(str(error)) from None
            values = ["<none>"] if not segments or not segments[0] else []
            values += [_escape_terminal(go_sprint(value)) for results in segments for value in results]
            row.append(_Verbatim(",".join(values)))
        rows.append(row)
    return tables.table([], rows, no_headers=True)

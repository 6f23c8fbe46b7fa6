"""The documents of a dump's files: JSON and YAML texts read into objects, lists opened.

JSON documents one after another (``kubectl cluster-info dump``'s stream, container logs between
them skipped) or ``---``-separated YAML. ``json_documents`` scans a large JSON file in chunks, so
a file of any size is indexed one document at a time, and a list one item at a time (``cluster/dumpfiles``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, BinaryIO, Dict, Iterator, List, Optional, Set, Tuple

import yaml

Obj = Dict[str, Any]

# The kinds the commands read, and their resources (as cluster/api.RESOURCES names them); other kinds are skipped.
RESOURCE_OF_KIND = {
    "Pod": "pods", "Event": "events", "Secret": "secrets", "ServiceAccount": "serviceaccounts",
    "Node": "nodes", "Namespace": "namespaces", "Deployment": "deployments", "ReplicaSet": "replicasets",
    "StatefulSet": "statefulsets", "DaemonSet": "daemonsets", "Job": "jobs", "CronJob": "cronjobs",
}
CLUSTER_SCOPED = frozenset({"nodes", "namespaces"})
DOCUMENT_SUFFIXES = (".json", ".yaml", ".yml")
# kubectl cluster-info dump's stream: a NodeList, then these lists for each namespace (clusterinfo_dump.go).
INFO_STREAM = ("EventList", "ReplicationControllerList", "ServiceList", "DaemonSetList", "DeploymentList",
               "ReplicaSetList", "PodList")
_LOG_START, _LOG_END = "==== START logs for container ", "==== END logs for container "
_DUMPED = re.compile(r"^Cluster info dumped to .*$")


class _TimestampsAsText(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe loader that keeps unquoted timestamps as strings, as the API server sends them."""


_TimestampsAsText.yaml_implicit_resolvers = {
    first: [resolver for resolver in resolvers if resolver[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


# -- documents -------------------------------------------------------------------------------


def _without_logs(text: str) -> str:
    """The text less cluster-info dump's container logs and its closing "Cluster info dumped" line."""
    if _LOG_START not in text and "Cluster info dumped to" not in text:
        return text
    kept: List[str] = []
    inside = False
    for line in text.splitlines(keepends=True):
        if inside:
            inside = not line.startswith(_LOG_END)
        elif line.startswith(_LOG_START):
            inside = True
        elif not _DUMPED.match(line.rstrip("\r\n")):
            kept.append(line)
    return "".join(kept)


def _json_stream(text: str, source: str) -> List[Any]:
    """Every JSON document in ``text``, one after another (``kubectl cluster-info dump``'s stream)."""
    decoder = json.JSONDecoder()
    space = re.compile(r"\s*")
    documents: List[Any] = []
    position = space.match(text).end()  # type: ignore[union-attr]
    while position < len(text):
        try:
            document, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            where = f"line {error.lineno}, column {error.colno}"
            raise ValueError(f"{source}: not valid JSON: {error.msg} ({where})") from None
        documents.append(document)
        position = space.match(text, position).end()  # type: ignore[union-attr]
    return documents


def documents_in(text: str, source: str = "<text>") -> List[Any]:
    """The documents of a JSON or YAML text: several JSON documents in a row, or ``---``-separated YAML.

    >>> [d["kind"] for d in documents_in('{"kind": "NodeList"}\\n{"kind": "PodList"}\\n')]
    ['NodeList', 'PodList']
    """
    text = _without_logs(text)
    if text.lstrip().startswith(("{", "[")):
        try:
            return _json_stream(text, source)
        except ValueError as not_json:
            try:  # YAML's flow style also starts with a brace
                return [d for d in yaml.load_all(text, Loader=_TimestampsAsText) if d is not None]
            except yaml.YAMLError:
                raise not_json from None
    try:
        return [d for d in yaml.load_all(text, Loader=_TimestampsAsText) if d is not None]
    except yaml.YAMLError as error:
        reason = " ".join(str(error).split())
        raise ValueError(f"{source}: not valid YAML or JSON: {reason}") from None


def flatten(document: Any, source: str, listed: Optional[Set[str]] = None) -> Iterator[Obj]:
    """The objects of one document, lists opened; ``listed`` collects the kinds of typed lists (even empty).

    Raw API lists leave kind and apiVersion off their items: they get the list's. A list's item that
    is not an object is skipped; a document (or a YAML sequence's element) that is not one is an error.
    """
    if isinstance(document, list):
        for item in document:
            yield from flatten(item, source, listed)
        return
    if not isinstance(document, dict):
        raise ValueError(f"{source}: expected Kubernetes objects, found {type(document).__name__}")
    kind = str(document.get("kind") or "")
    if "items" in document and (kind == "List" or kind.endswith("List") or not kind):
        item_kind = kind[: -len("List")] if kind not in ("", "List") else ""
        if item_kind and listed is not None:
            listed.add(item_kind)
        items = document.get("items")
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item_kind and not item.get("kind"):
                item = dict(item, kind=item_kind, apiVersion=item.get("apiVersion") or document.get("apiVersion"))
            if isinstance(item, dict):
                yield from flatten(item, source, listed)
        return
    yield document


def parse_documents(text: str, source: str = "<text>") -> List[Obj]:
    """Objects in a JSON or YAML text, lists flattened into their items.

    >>> [o["metadata"]["name"] for o in parse_documents('{"kind":"PodList","apiVersion":"v1",'
    ...  '"items":[{"metadata":{"name":"a"}}]}')]
    ['a']
    """
    return [obj for document in documents_in(text, source) for obj in flatten(document, source)]


def as_core_event(event: Obj) -> Obj:
    """An ``events.k8s.io/v1`` Event in the core/v1 shape the core reads (``regarding`` is ``involvedObject``)."""
    if not str(event.get("apiVersion") or "").startswith("events.k8s.io/"):
        return event
    series = event.get("series") if isinstance(event.get("series"), dict) else {}
    core = dict(event, apiVersion="v1", involvedObject=event.get("regarding") or {}, message=event.get("note") or "",
                count=series.get("count") or event.get("deprecatedCount") or 1,
                firstTimestamp=event.get("deprecatedFirstTimestamp") or event.get("eventTime"),
                lastTimestamp=(series.get("lastObservedTime") or event.get("deprecatedLastTimestamp")
                               or event.get("eventTime")),
                source=event.get("deprecatedSource") or {"component": event.get("reportingController") or ""})
    core["reportingComponent"] = event.get("reportingController") or ""
    return core




# -- large JSON files, one document (or list item) at a time ----------------------------------

CHUNK = 1 << 22
_BOM = b"\xef\xbb\xbf"
_SPACE = re.compile(r"[ \t\n\r]*")  # JSON's, inside a document
_BETWEEN = re.compile(r"\s*")  # between documents, as ``documents_in`` takes them


@dataclass(frozen=True)
class Item:
    """One element of a top-level object's ``items`` array, by its byte range, yielded as it is read."""

    start: int
    end: int
    value: Any
    before: Obj  # the object's keys read so far (``kind`` and ``apiVersion``, when they come first)


@dataclass(frozen=True)
class Document:
    """A top-level JSON document ended: whole, or (``streamed``) its keys but ``items``, whose elements
    were yielded before it as ``Item``s."""

    start: int
    end: int
    value: Any
    streamed: bool


class _Scanner:
    """The bytes ``[start, end)`` of a file through a sliding buffer, decoded as Latin-1 (a character a
    byte, so positions are byte offsets). What is scanned is dropped when more is read, so the buffer
    holds at most twice a chunk or the largest value being decoded."""

    def __init__(self, file: BinaryIO, start: int, end: int, source: str) -> None:
        self.file, self.end, self.source = file, end, source
        file.seek(start)
        if file.read(3) != _BOM:
            file.seek(start)
        self.read_to = self.base = file.tell()
        self.buffer, self.position = "", 0
        self.decoder = json.JSONDecoder()

    def more(self) -> bool:
        """Drop what is scanned and read on (as much again as is held, at least a chunk); False at the end."""
        if self.read_to >= self.end:
            return False
        self.buffer, self.base, self.position = self.buffer[self.position:], self.base + self.position, 0
        self.file.seek(self.read_to)
        chunk = self.file.read(min(max(CHUNK, len(self.buffer)), self.end - self.read_to))
        self.read_to += len(chunk)
        self.buffer += chunk.decode("latin-1")
        return bool(chunk)

    def at(self, space: "re.Pattern[str]" = _SPACE) -> str:
        """The next character after white space ("" at the end)."""
        while True:
            self.position = space.match(self.buffer, self.position).end()  # type: ignore[union-attr]
            if self.position < len(self.buffer) or not self.more():
                return self.buffer[self.position:self.position + 1]

    def take(self, expected: str) -> None:
        if self.at() != expected:
            raise ValueError(f"{self.source}: not valid JSON: expected {expected!r} at byte {self.base + self.position}")
        self.position += 1

    def value(self) -> Tuple[int, int, Any]:
        """The next JSON value and its byte range; one ending where the buffer does (a number) is read again
        with more, and one that does not parse before the end raises ValueError."""
        self.at()
        while True:
            try:
                value, after = self.decoder.raw_decode(self.buffer, self.position)
                if after < len(self.buffer) or not self.more():
                    break
            except json.JSONDecodeError as error:
                if not self.more():
                    raise ValueError(f"{self.source}: not valid JSON: {error.msg}") from None
        start = self.base + self.position
        self.position = after
        return start, self.base + after, value

    def skip_log(self) -> bool:
        """Pass cluster-info dump's container log or closing line, if one starts here."""
        while len(self.buffer) - self.position < len(_LOG_START) and self.more():
            pass
        if not self.buffer.startswith((_LOG_START, "Cluster info dumped to"), self.position):
            return False
        log = self.buffer.startswith(_LOG_START, self.position)
        while True:
            line_end = self.buffer.find("\n" + _LOG_END, self.position) if log else self.position
            line_end = self.buffer.find("\n", line_end + 1) if line_end >= 0 else -1
            if line_end >= 0 or not self.more():
                break
        self.position = len(self.buffer) if line_end < 0 else line_end + 1
        return True

    def elements(self, opening: str, closing: str) -> Iterator[None]:
        """Between ``opening`` and ``closing``, once per comma-separated element (the caller reads it)."""
        self.take(opening)
        if self.at() != closing:
            while True:
                yield None
                if self.at() == closing:
                    break
                self.take(",")
        self.take(closing)

    def object(self) -> Iterator[Any]:
        """A top-level object at the position, its ``items`` array yielded an element at a time."""
        header: Obj = {}
        start, streamed = self.base + self.position, False
        for _ in self.elements("{", "}"):
            key = self.value()[2]
            if not isinstance(key, str):
                raise ValueError(f"{self.source}: not valid JSON: a key is not a string")
            self.take(":")
            if key == "items" and (streamed or key in header):  # a repeated key: json.loads keeps the last
                raise ValueError(f"{self.source}: a repeated items key")
            if key == "items" and self.at() == "[":
                streamed = True
                for _ in self.elements("[", "]"):
                    yield Item(*self.value(), header)
            else:
                header[key] = self.value()[2]
        yield Document(start, self.base + self.position, header, streamed)


def json_documents(file: BinaryIO, start: int, end: int, source: str) -> Iterator[Any]:
    """The JSON documents in the bytes ``[start, end)`` of ``file``, read in chunks so that neither a large
    stream nor one large ``List`` is held whole: each top-level object's ``items`` elements come as ``Item``s
    as they are read, then the object as a ``Document``; cluster-info dump's logs and closing line are skipped.

    Scanned as Latin-1: what it yields serves for kinds and namespaces (ASCII) only; ``read_json`` reads
    the bytes of a document or of a run of items for their objects. What does not parse raises ValueError.

    >>> import io
    >>> data = b'{"items": [{}, 1], "kind": "List"} [2]'
    >>> [type(x).__name__ for x in json_documents(io.BytesIO(data), 0, len(data), "f")]
    ['Item', 'Item', 'Document', 'Document']
    """
    scanner = _Scanner(file, start, end, source)
    while scanner.at(_BETWEEN):
        if scanner.skip_log():
            continue
        if scanner.at() == "{":
            yield from scanner.object()
        else:
            yield Document(*scanner.value(), False)


def read_json(data: bytes, source: str, run: bool = False) -> Any:
    """One JSON document's bytes (found by ``json_documents``) read as UTF-8; ``run``: the bytes of
    consecutive ``items`` elements (commas between them), read as the list of them."""
    try:
        text = data.decode("utf-8-sig")
        return json.loads(f"[{text}]" if run else text)
    except UnicodeDecodeError:
        raise ValueError(f"{source}: not a text file, nor a gzip or tar archive") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{source}: not valid JSON: {error.msg}") from None

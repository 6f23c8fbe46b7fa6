"""The documents of a dump's files: JSON and YAML texts read into objects, lists opened.

JSON documents one after another (``kubectl cluster-info dump``'s stream, container logs between
them skipped) or ``---``-separated YAML. ``json_documents`` scans a large JSON file in chunks, so
a file of any size is indexed one document at a time (``cluster/dumpfiles``).
"""

from __future__ import annotations

import json
import re
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




# -- large JSON files, one document at a time ------------------------------------------------

CHUNK = 1 << 22
_BOM = b"\xef\xbb\xbf"


def json_documents(file: BinaryIO, start: int, end: int, source: str) -> Iterator[Tuple[int, int, Any]]:
    """(start, end, document) of each JSON document in the bytes ``[start, end)`` of ``file``, read in chunks
    so that a large stream is never held whole; cluster-info dump's logs and closing line are skipped.

    The bytes are scanned as Latin-1 (a character a byte, so positions are byte offsets): the documents
    it yields serve for their kinds and namespaces (ASCII) only; ``read_json`` reads one for its objects.
    A document that does not parse raises ValueError.
    """
    decoder = json.JSONDecoder()
    space = re.compile(r"\s*")
    file.seek(start)
    if file.read(3) != _BOM:
        file.seek(start)
    read_to, buffer, base, position, lines = file.tell(), "", file.tell(), 0, 0

    def more() -> bool:
        """Drop what is scanned and read on (as much again as is held, at least a chunk); False at the end."""
        nonlocal read_to, buffer, base, position, lines
        if read_to >= end:
            return False
        lines += buffer.count("\n", 0, position)
        buffer, base, position = buffer[position:], base + position, 0
        file.seek(read_to)
        chunk = file.read(min(max(CHUNK, len(buffer)), end - read_to))
        read_to += len(chunk)
        buffer += chunk.decode("latin-1")
        return bool(chunk)

    while True:
        position = space.match(buffer, position).end()  # type: ignore[union-attr]
        if position >= len(buffer):
            if not more():
                return
            continue
        if buffer.startswith((_LOG_START, "Cluster info dumped to"), position):
            line_end = buffer.find("\n" + _LOG_END, position) if buffer.startswith(_LOG_START, position) else position
            line_end = buffer.find("\n", line_end + 1) if line_end >= 0 else -1
            if line_end < 0 and more():
                continue
            position = len(buffer) if line_end < 0 else line_end + 1
            continue
        try:
            document, after = decoder.raw_decode(buffer, position)
        except json.JSONDecodeError as error:
            if more():
                continue
            where = f"line {lines + error.lineno}, column {error.colno}"
            raise ValueError(f"{source}: not valid JSON: {error.msg} ({where})") from None
        yield base + position, base + after, document
        position = after


def read_json(data: bytes, source: str) -> Any:
    """One JSON document's bytes (found by ``json_documents``) read as UTF-8."""
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ValueError(f"{source}: not a text file, nor a gzip or tar archive") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{source}: not valid JSON: {error.msg}") from None

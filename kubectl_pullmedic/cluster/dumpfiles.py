"""Reading what users have instead of a cluster (``-f``) into objects by resource.

Accepted: ``kubectl get ... -o yaml|json`` output (one object, a ``List`` or ``PodList``-style list,
several ``---`` documents), the folder ``kubectl cluster-info dump --output-directory DIR`` writes
(``DIR/nodes.json``, ``DIR/NAMESPACE/pods.json``, ``events.json``, ...; its ``logs.txt`` files are
skipped), its single stream (``kubectl cluster-info dump`` to stdout: JSON documents one after another,
with each container's log between ``==== START logs ...`` / ``==== END logs ...`` lines), and gzip,
tar or tar.gz archives of any of these. Archives are recognised by their bytes, not their names.

What the dump covers is recorded with the objects (``Dump.coverage``): a kind it holds no list of is
unknown to the reader, never empty. A ``NAMESPACE/pods.json`` of the cluster-info layout covers that
namespace only; anything else covers every namespace for the kinds it holds (an empty ``PodList``
too). A file that cannot be read or parsed is an error (``ValueError``, one line naming it); an
item of an odd shape inside a list is skipped, so it degrades that object only.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, BinaryIO, Callable, Dict, Iterable, Iterator, List, Optional, Set, TextIO, Tuple, Union

import yaml

from ..core.kube import name_of, namespace_of

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


# -- the dump --------------------------------------------------------------------------------


@dataclass
class Dump:
    """Objects by resource, keyed by (namespace, name), and what the dump covers."""

    objects: Dict[str, Dict[Tuple[str, str], Obj]] = field(default_factory=dict)
    # resource -> None: its list for every namespace; a set: only these namespaces. A resource not
    # here is not in the dump at all.
    coverage: Dict[str, Optional[Set[str]]] = field(default_factory=dict)
    namespaces: Set[str] = field(default_factory=set)  # every namespace the dump names

    def add(self, path: str, text: str, source: str, layout: bool = False) -> None:
        """The objects of one file; ``path`` (a file's, or an archive member's) and ``layout`` (it sits in a
        cluster-info folder, ``DIR/NAMESPACE/<file>`` beside ``DIR/nodes.json``) place it."""
        documents = documents_in(text, source)
        blocks = _stream_blocks(documents)
        if blocks is None:
            self._add(documents, source, lambda resources, kept: _namespace_folder(path, resources, kept, layout))
            return
        self._add(documents[:1], source, lambda resources, kept: "")
        for namespace, block in blocks:  # a block with no object names no namespace: what it covers is unknown
            if namespace:
                self._add(block, source, lambda resources, kept, namespace=namespace: namespace)

    def _add(self, documents: List[Any], source: str, place: Callable[[Set[str], List[Tuple[str, Obj]]], str]) -> None:
        """Store the objects; ``place`` names the one namespace the documents cover ("": every namespace)."""
        listed: Set[str] = set()
        objects = [obj for document in documents for obj in flatten(document, source, listed)]
        resources = {RESOURCE_OF_KIND[kind] for kind in listed if kind in RESOURCE_OF_KIND}
        kept = []
        for obj in objects:
            resource = RESOURCE_OF_KIND.get(str(obj.get("kind") or ""))
            if resource:
                kept.append((resource, _as_core_event(obj) if resource == "events" else obj))
                resources.add(resource)
        folder = place(resources, kept)
        for resource in resources:
            if folder and resource not in CLUSTER_SCOPED:
                covered = self.coverage.setdefault(resource, set())
                if covered is not None:
                    covered.add(folder)
                self.namespaces.add(folder)
            else:
                self.coverage[resource] = None
        for resource, obj in kept:
            namespace = "" if resource in CLUSTER_SCOPED else namespace_of(obj)
            self.objects.setdefault(resource, {})[(namespace, name_of(obj))] = obj
            if namespace:
                self.namespaces.add(namespace)
            if resource == "namespaces" and name_of(obj):
                self.namespaces.add(name_of(obj))


def _stream_blocks(documents: List[Any]) -> Optional[List[Tuple[str, List[Any]]]]:
    """``kubectl cluster-info dump``'s stream cut into its namespaces: a NodeList, then per namespace the
    lists of ``INFO_STREAM`` in that order, each block named by its objects' namespace ("" when it has none).
    None for any other document sequence (or blocks whose objects disagree on their namespace).

    >>> block = [{"kind": kind, "items": []} for kind in INFO_STREAM]
    >>> block[-1]["items"] = [{"metadata": {"namespace": "shop"}}]
    >>> [name for name, _ in _stream_blocks([{"kind": "NodeList", "items": []}] + block + block)]
    ['shop', 'shop']
    """
    kinds = [document.get("kind") if isinstance(document, dict) else None for document in documents]
    size = len(INFO_STREAM)
    if len(kinds) < 1 + size or kinds[0] != "NodeList" or (len(kinds) - 1) % size \
            or any(kind != INFO_STREAM[index % size] for index, kind in enumerate(kinds[1:])):
        return None
    blocks = []
    for start in range(1, len(documents), size):
        block = documents[start:start + size]
        named = {namespace_of(item) for document in block for item in document.get("items") or []
                 if isinstance(item, dict)}
        if len(named) > 1:
            return None
        blocks.append((next(iter(named), ""), block))
    return blocks


def _parts(path: str) -> Tuple[str, ...]:
    return PurePosixPath(path.replace(os.sep, "/")).parts


def _namespace_folder(path: str, resources: Set[str], kept: List[Tuple[str, Obj]], layout: bool) -> str:
    """The one namespace a ``NAMESPACE/<resource>.json`` file covers, else "" (every namespace).

    In a cluster-info folder that is its folder's name, even for an empty list; elsewhere only when
    the file holds objects, all of that namespace (``kubectl get pods -n shop -o json > shop/pods.json``).

    >>> _namespace_folder("dump/shop/pods.json", {"pods"}, [], True)
    'shop'
    >>> _namespace_folder("x/pods.json", {"pods"}, [], False), _namespace_folder("pods.json", {"pods"}, [], True)
    ('', '')
    """
    parts = _parts(path)
    if len(parts) < 2 or len(resources) != 1 or next(iter(resources)) in CLUSTER_SCOPED:
        return ""
    folder = parts[-2]
    if parts[-1].split(".")[0] != next(iter(resources)) or any(namespace_of(obj) != folder for _, obj in kept):
        return ""
    return folder if layout or kept else ""


def _as_core_event(event: Obj) -> Obj:
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


# -- files, folders, archives, stdin ---------------------------------------------------------


def read_dump(paths: Iterable[str], stdin: Optional[Union[BinaryIO, TextIO]] = None) -> Dump:
    """Every object in the named files, folders and archives (``-``: ``stdin``, bytes or text)."""
    dump = Dump()
    for path in paths:
        entries = list(_entries(path, stdin))
        roots = {_parts(inner)[:-1] for _, inner, _ in entries if _parts(inner)[-1:] == ("nodes.json",)}
        for shown, inner, data in entries:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ValueError(f"{shown}: not a text file, nor a gzip or tar archive") from None
            dump.add(inner, text, shown, layout=_parts(inner)[:-2] in roots)
    return dump


def _entries(path: str, stdin: Optional[Union[BinaryIO, TextIO]]) -> Iterator[Tuple[str, str, bytes]]:
    """(name to show, path to place it by, bytes) of each document a path holds."""
    if path == "-":
        read = stdin.read() if stdin is not None else b""
        yield from _unpacked("standard input", "-", read.encode("utf-8") if isinstance(read, str) else read, True)
        return
    if os.path.isdir(path):
        for folder, subfolders, files in os.walk(path):
            subfolders.sort()
            for name in sorted(files):
                full = os.path.join(folder, name)
                if name.endswith(DOCUMENT_SUFFIXES) or _is_archive_name(name):
                    yield from _unpacked(full, full, _read(full), False)
        return
    yield from _unpacked(path, path, _read(path), True)


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except FileNotFoundError:
        raise ValueError(f'the path "{path}" does not exist') from None
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from None


def _is_archive_name(name: str) -> bool:
    return name.endswith((".gz", ".tgz", ".tar"))


def _unpacked(shown: str, inner: str, data: bytes, named: bool) -> Iterator[Tuple[str, str, bytes]]:
    """Open gzip and tar by their bytes; ``named``: a file given by name is read whatever its suffix."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(f"{shown}: truncated or corrupt gzip data ({error})") from None
        inner = re.sub(r"\.t?gz$", ".tar" if inner.endswith(".tgz") else "", inner)
    if data[257:262] == b"ustar" or inner.endswith(".tar"):
        yield from _members(shown, data)
    elif named or inner.endswith(DOCUMENT_SUFFIXES):
        yield shown, inner, data


def _members(shown: str, data: bytes) -> Iterator[Tuple[str, str, bytes]]:
    """The document files inside a tar archive, in archive order."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            members = [(m.name, archive.extractfile(m).read()) for m in archive.getmembers()  # type: ignore[union-attr]
                       if m.isfile() and (m.name.endswith(DOCUMENT_SUFFIXES) or _is_archive_name(m.name))]
            # tarfile takes a cut inside a header for the end; a whole archive ends with zero blocks.
            if data[archive.offset:archive.offset + tarfile.BLOCKSIZE] != bytes(tarfile.BLOCKSIZE):
                raise tarfile.ReadError("unexpected end of data")
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        raise ValueError(f"{shown}: truncated or corrupt tar archive ({error})") from None
    for name, content in members:
        yield from _unpacked(f"{shown}:{name}", name, content, False)

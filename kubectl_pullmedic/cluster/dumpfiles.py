"""Reading what users have instead of a cluster (``-f``): an index first, the objects on demand.

Accepted: ``kubectl get ... -o yaml|json`` output (one object, a ``List`` or ``PodList``-style list,
several ``---`` documents), the folder ``kubectl cluster-info dump --output-directory DIR`` writes
(``DIR/nodes.json``, ``DIR/NAMESPACE/pods.json``, ``events.json``, ...; its ``logs.txt`` files are
skipped), its single stream (``kubectl cluster-info dump`` to stdout: JSON documents one after another,
with each container's log between ``==== START logs ...`` / ``==== END logs ...`` lines), and gzip,
tar or tar.gz archives of any of these (``cluster/dumpsource``).

Reading a dump records where each resource of each namespace is (``Piece``: a file, one JSON
document of a file, or a run of consecutive items of a JSON list, by offset), never the objects: a
cluster-info folder's ``NAMESPACE/pods.json`` says it by its path and is not opened; any other JSON
file is scanned once, a document at a time and a list's ``items`` an item at a time, so even one
``kubectl get pods,events -A -o json`` of a whole cluster is never decoded at once. Objects are then
read a namespace at a time when listed, and dropped (pods and events); the smaller resources are
kept once read. So memory follows the largest namespace, not the dump. A YAML file (and JSON that
does not parse, which may be YAML's flow style) is read whole while it is indexed.

What the dump covers is recorded in the index (``Dump.coverage``): a kind it holds no list of is
unknown to the reader, never empty. A ``NAMESPACE/pods.json`` of the cluster-info layout covers that
namespace only; anything else covers every namespace for the kinds it holds (an empty ``PodList``
too). A file that cannot be read or parsed is an error (``ValueError``, one line naming it) when it
is read: at once for a file that is scanned, when its namespace is listed for a folder's file. An
item of an odd shape inside a list is skipped, so it degrades that object only.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, BinaryIO, Dict, Iterable, Iterator, List, Optional, Set, TextIO, Tuple, Union

from ..core.kube import name_of, namespace_of
from .dumpdocs import (CLUSTER_SCOPED, INFO_STREAM, RESOURCE_OF_KIND, Document, Item, Obj, as_core_event,
                       documents_in, flatten, json_documents, read_json)
from .dumpsource import Region, regions_of

# Read a namespace at a time and never kept: what makes a dump large. The other resources are kept once read.
BIG = frozenset({"pods", "events"})
_READ = frozenset(RESOURCE_OF_KIND.values())


def _text(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{source}: not a text file, nor a gzip or tar archive") from None


@dataclass
class Piece:
    """Where some objects are: a region's whole text, the bytes of one JSON document in it, or those of a
    run of consecutive ``items`` of a JSON list (``of_list``: the list's kind and apiVersion)."""

    region: Region
    start: int
    end: int
    json: bool  # one JSON document (or run of items); else every document of the region's text
    held: Dict[str, Set[str]]  # resource -> the namespaces of its objects here ("" for cluster-scoped ones)
    of_list: Optional[Tuple[Any, Any]] = None

    def objects(self, resource: str) -> Iterator[Obj]:
        """Its objects of ``resource``, read now (events in the core/v1 shape)."""
        shown = self.region.shown
        for document in self._documents():  # the bytes and text are dropped before the objects are used
            for obj in flatten(document, shown):
                if RESOURCE_OF_KIND.get(str(obj.get("kind") or "")) == resource:
                    yield as_core_event(obj) if resource == "events" else obj


    def _documents(self) -> List[Any]:
        data, shown = self.region.read(self.start, self.end), self.region.shown
        if self.of_list is not None:  # the items as the whole list would give them (kind and apiVersion from it)
            return [{"kind": self.of_list[0], "apiVersion": self.of_list[1], "items": read_json(data, shown, run=True)}]
        return [read_json(data, shown)] if self.json else documents_in(_text(data, shown), shown)


@dataclass
class _Meta:
    """What the index keeps of one document: where it is, its kind, and where its objects are."""

    start: int
    end: int
    kind: Any
    resources: Set[str]  # listed (even empty) or held
    held: Dict[str, Set[str]]
    item_namespaces: Set[str]  # of every item of a list, of any kind (the stream's blocks are told by them)
    namespace_names: Set[str]
    runs: Optional[List[Piece]] = None  # a list read item by item: where its items are, not the document


def _meta(document: Any, source: str, start: int = 0, end: int = 0) -> _Meta:
    listed: Set[str] = set()
    held: Dict[str, Set[str]] = {}
    names: Set[str] = set()
    for obj in flatten(document, source, listed):
        _note(obj, held, names)
    items = document.get("items") if isinstance(document, dict) else None
    return _Meta(start, end, document.get("kind") if isinstance(document, dict) else None,
                 {RESOURCE_OF_KIND[kind] for kind in listed if kind in RESOURCE_OF_KIND} | set(held), held,
                 {namespace_of(item) for item in items if isinstance(item, dict)} if isinstance(items, list) else set(),
                 names)


def _note(obj: Obj, held: Dict[str, Set[str]], names: Set[str]) -> None:
    """An object's resource and namespace into ``held``; a Namespace's name into ``names``."""
    resource = RESOURCE_OF_KIND.get(str(obj.get("kind") or ""))
    if resource:
        held.setdefault(resource, set()).add("" if resource in CLUSTER_SCOPED else namespace_of(obj))
        if resource == "namespaces" and name_of(obj):
            names.add(name_of(obj))


@dataclass
class Dump:
    """Where each resource's objects are in a dump, and what the dump covers."""

    pieces: Dict[str, List[Piece]] = field(default_factory=dict)
    # resource -> None: its list for every namespace; a set: only these namespaces. A resource not
    # here is not in the dump at all.
    coverage: Dict[str, Optional[Set[str]]] = field(default_factory=dict)
    namespaces: Set[str] = field(default_factory=set)  # every namespace the dump names
    _kept: Dict[str, Dict[Tuple[str, str], Obj]] = field(default_factory=dict)

    # -- the index ---------------------------------------------------------------------------

    def add(self, region: Region, layout: bool = False) -> None:
        """Index one file; ``layout``: it sits in a cluster-info folder (``DIR/NAMESPACE/<file>`` beside
        ``DIR/nodes.json``), where a ``NAMESPACE/<resource>.json`` is placed by its path without reading it."""
        parts = _parts(region.inner)
        resource = parts[-1].split(".")[0] if parts else ""
        if layout and len(parts) >= 2 and resource in _READ and resource not in CLUSTER_SCOPED:
            self._cover({resource}, parts[-2])
            self.pieces.setdefault(resource, []).append(Piece(region, 0, region.size, False, {resource: {parts[-2]}}))
            return
        metas, whole = _scanned(region)
        blocks = _stream_blocks(metas)
        if blocks is None:
            kept = {ns for meta in metas for namespaces in meta.held.values() for ns in namespaces}
            resources = {resource for meta in metas for resource in meta.resources}
            self._place(metas, region, whole, _namespace_folder(region.inner, resources, kept, layout))
            return
        self._place(metas[:1], region, whole, "")
        for namespace, block in blocks:  # a block with no object names no namespace: what it covers is unknown
            if namespace:
                self._place(block, region, whole, namespace)

    def _place(self, metas: List[_Meta], region: Region, whole: bool, folder: str) -> None:
        """Record documents that cover ``folder`` only ("": every namespace) for the kinds they list."""
        self._cover({resource for meta in metas for resource in meta.resources}, folder)
        for meta in metas:
            for namespaces in meta.held.values():
                self.namespaces.update(ns for ns in namespaces if ns)
            self.namespaces.update(meta.namespace_names)
        if whole:  # a text not read by offsets (YAML): one piece for the region
            held: Dict[str, Set[str]] = defaultdict(set)
            for meta in metas:
                for resource, namespaces in meta.held.items():
                    held[resource] |= namespaces
            pieces = [Piece(region, 0, region.size, False, dict(held))] if held else []
        else:
            pieces = [piece for meta in metas
                      for piece in (meta.runs if meta.runs is not None else [Piece(region, meta.start, meta.end, True, meta.held)])
                      if piece.held]
        for piece in pieces:
            for resource in piece.held:
                self.pieces.setdefault(resource, []).append(piece)

    def _cover(self, resources: Set[str], folder: str) -> None:
        for resource in resources:
            if folder and resource not in CLUSTER_SCOPED:
                covered = self.coverage.setdefault(resource, set())
                if covered is not None:
                    covered.add(folder)
                self.namespaces.add(folder)
            else:
                self.coverage[resource] = None

    # -- the objects, on demand --------------------------------------------------------------

    def by_namespace(self, resource: str, only: Optional[str] = None) -> Iterator[Tuple[str, Dict[str, Obj]]]:
        """Each namespace's objects of ``resource`` by name (a later file's wins), namespaces in order
        (``only``: that one). Pods and events: each piece read once, its objects dropped as their
        namespace is passed; the others: all read once and kept."""
        if resource not in BIG:
            grouped: Dict[str, Dict[str, Obj]] = defaultdict(dict)
            for (namespace, name), obj in self.all(resource).items():
                if only is None or namespace == only:
                    grouped[namespace][name] = obj
            yield from sorted(grouped.items())
            return
        pieces = self.pieces.get(resource, [])
        holders: Dict[str, List[int]] = defaultdict(list)  # namespace -> the pieces holding it, in order
        for index, piece in enumerate(pieces):
            for namespace in piece.held[resource]:
                if only is None or namespace == only:
                    holders[namespace].append(index)
        pending: Dict[int, Dict[str, List[Obj]]] = {}
        for namespace in sorted(holders) if only is None else [only]:
            found: Dict[str, Obj] = {}
            for index in holders.get(namespace, []):
                piece = pieces[index]
                if index not in pending:
                    pending[index] = defaultdict(list)
                    for obj in piece.objects(resource):
                        pending[index][_key(resource, obj)[0]].append(obj)
                for obj in pending[index].pop(namespace, []):
                    found[name_of(obj)] = obj
            yield namespace, found

    def all(self, resource: str) -> Dict[Tuple[str, str], Obj]:
        """Every object of ``resource`` by (namespace, name); kept unless it is pods or events."""
        if resource in self._kept:
            return self._kept[resource]
        objects = {_key(resource, obj): obj for piece in self.pieces.get(resource, []) for obj in piece.objects(resource)}
        if resource not in BIG:
            self._kept[resource] = objects
        return objects

    def find(self, resource: str, namespace: str, name: str) -> Optional[Obj]:
        """One object, reading only the pieces that hold its namespace."""
        if resource not in BIG:
            return self.all(resource).get((namespace, name))
        return next((found.get(name) for _, found in self.by_namespace(resource, namespace)), None)

    @property
    def objects(self) -> Dict[str, Dict[Tuple[str, str], Obj]]:
        """Every object, by resource: the whole dump read (for small dumps and tests)."""
        return {resource: self.all(resource) for resource in self.pieces}


def _key(resource: str, obj: Obj) -> Tuple[str, str]:
    return ("" if resource in CLUSTER_SCOPED else namespace_of(obj), name_of(obj))


def _scanned(region: Region) -> Tuple[List[_Meta], bool]:
    """The documents of a file, read once and dropped: JSON by offsets, a chunk at a time; any other text
    (or JSON that does not parse, which may be YAML's flow style) whole. True when read whole."""
    head = region.read(0, min(region.size, 4096)).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        try:
            with region.opened() as (file, start, end):
                return list(_json_metas(region, json_documents(file, start, end, region.shown))), False
        except ValueError:
            pass  # read whole below: YAML's flow style, or the error as a whole read words it
    text = _text(region.read(), region.shown)
    return [_meta(document, region.shown) for document in documents_in(text, region.shown)], True


def _json_metas(region: Region, scanned: Iterator[Any], fixed: Optional[Tuple[Any, Any]] = None) -> Iterator[_Meta]:
    """What the index keeps of each scanned document. A list's items are placed as they come, a run of
    consecutive items of the same kinds and namespaces a piece, never the document; ``fixed``: the list's
    kind and apiVersion when an item without its own kind needs them and they came after it."""
    runs: List[Piece] = []
    meta = _meta({}, region.shown)
    guessed: Set[Tuple[Any, Any]] = set()  # what items without a kind took for the list's kind and apiVersion
    for part in scanned:
        start, end = part.start - region.start, part.end - region.start
        if isinstance(part, Item):
            assumed = fixed or (part.before.get("kind"), part.before.get("apiVersion"))
            if isinstance(part.value, dict) and not part.value.get("kind"):
                guessed.add(assumed)
            _add_item(meta, runs, region, start, end, part.value, assumed)
            continue
        assert isinstance(part, Document)
        header, of_list = part.value, (part.value.get("kind"), part.value.get("apiVersion"))
        kind = str(header.get("kind") or "")
        if part.streamed and not (kind == "List" or kind.endswith("List") or not kind):  # an object holding items
            yield _meta(read_json(region.read(start, end), region.shown), region.shown, start, end)
        elif part.streamed and guessed - {of_list}:  # kind or apiVersion after kindless items: read them again
            with region.opened() as (file, _, _):
                yield from _json_metas(region, json_documents(file, part.start, part.end, region.shown), of_list)
        elif part.streamed:
            meta.resources |= _meta({"kind": kind, "items": []}, region.shown).resources  # a typed list's, even empty
            meta.start, meta.end, meta.kind, meta.runs = start, end, header.get("kind"), runs
            for run in runs:
                run.of_list = of_list
            yield meta
        else:
            yield _meta(header, region.shown, start, end)
        runs, meta, guessed = [], _meta({}, region.shown), set()


def _add_item(meta: _Meta, runs: List[Piece], region: Region, start: int, end: int, item: Any,
              of_list: Tuple[Any, Any]) -> None:
    """One list item into the list's meta, and into the last run when it holds the same kinds and namespaces."""
    if not isinstance(item, dict):
        return
    meta.item_namespaces.add(namespace_of(item))
    held: Dict[str, Set[str]] = {}
    if item.get("kind") and "items" not in item:  # the usual item: itself, whatever the list is
        _note(item, held, meta.namespace_names)
    else:  # without a kind (it takes the list's) or a list itself: as flatten opens it
        one = _meta({"kind": of_list[0], "apiVersion": of_list[1], "items": [item]}, region.shown)
        meta.resources |= one.resources
        meta.namespace_names |= one.namespace_names
        held = one.held
    meta.resources |= set(held)
    for resource, namespaces in held.items():
        meta.held.setdefault(resource, set()).update(namespaces)
    if runs and runs[-1].held == held:  # (items of kinds not read: one run, never placed)
        runs[-1].end = end
    else:
        runs.append(Piece(region, start, end, True, held))


def _stream_blocks(metas: List[_Meta]) -> Optional[List[Tuple[str, List[_Meta]]]]:
    """``kubectl cluster-info dump``'s stream cut into its namespaces: a NodeList, then per namespace the
    lists of ``INFO_STREAM`` in that order, each block named by its objects' namespace ("" when it has none).
    None for any other document sequence (or blocks whose objects disagree on their namespace).

    >>> block = [_Meta(0, 0, kind, set(), {}, set(), set()) for kind in INFO_STREAM]
    >>> block[-1].item_namespaces = {"shop"}
    >>> [name for name, _ in _stream_blocks([_Meta(0, 0, "NodeList", set(), {}, set(), set())] + block + block)]
    ['shop', 'shop']
    """
    kinds = [meta.kind for meta in metas]
    size = len(INFO_STREAM)
    if len(kinds) < 1 + size or kinds[0] != "NodeList" or (len(kinds) - 1) % size \
            or any(kind != INFO_STREAM[index % size] for index, kind in enumerate(kinds[1:])):
        return None
    blocks = []
    for start in range(1, len(metas), size):
        block = metas[start:start + size]
        named = {ns for meta in block for ns in meta.item_namespaces}
        if len(named) > 1:
            return None
        blocks.append((next(iter(named), ""), block))
    return blocks


def _parts(path: str) -> Tuple[str, ...]:
    return PurePosixPath(path.replace(os.sep, "/")).parts


def _namespace_folder(path: str, resources: Set[str], kept: Set[str], layout: bool) -> str:
    """The one namespace a ``NAMESPACE/<resource>.json`` file covers, else "" (every namespace); ``kept``:
    the namespaces of its objects.

    In a cluster-info folder that is its folder's name, even for an empty list; elsewhere only when
    the file holds objects, all of that namespace (``kubectl get pods -n shop -o json > shop/pods.json``).

    >>> _namespace_folder("dump/shop/pods.json", {"pods"}, set(), True)
    'shop'
    >>> _namespace_folder("x/pods.json", {"pods"}, set(), False), _namespace_folder("pods.json", {"pods"}, set(), True)
    ('', '')
    """
    parts = _parts(path)
    if len(parts) < 2 or len(resources) != 1 or next(iter(resources)) in CLUSTER_SCOPED:
        return ""
    folder = parts[-2]
    if parts[-1].split(".")[0] != next(iter(resources)) or kept - {folder}:
        return ""
    return folder if layout or kept else ""


def read_dump(paths: Iterable[str], stdin: Optional[Union[BinaryIO, TextIO]] = None) -> Dump:
    """The index of the named files, folders and archives (``-``: ``stdin``, bytes or text)."""
    dump = Dump()
    for path in paths:
        regions = list(regions_of(path, stdin))
        roots = {_parts(region.inner)[:-1] for region in regions if _parts(region.inner)[-1:] == ("nodes.json",)}
        for region in regions:
            dump.add(region, layout=_parts(region.inner)[:-2] in roots)
    return dump

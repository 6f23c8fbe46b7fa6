"""A reader with the interface ``gather`` uses of ``api.Cluster``, answered from a dump (``-f``).

No kubeconfig is read and nothing goes over the network: the engines and the core run unchanged,
so a diagnosis from a dump is the one a live cluster gives for the same objects. What the dump does
not hold follows the path of a 403 (``NotInDump`` is a ``Forbidden``): unknown, with the reason
``not-in-dump``, never absent. A kind the dump holds but an object it lacks is a 404, as live.
Lists come back in the API server's order (namespace, then name); selectors are the server's
(``core.selectors``), so every server-side filter ``gather`` asks for is applied the same way.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, BinaryIO, Callable, Iterator, List, Optional, Sequence, TextIO, Union

from ..core.selectors import FIELD_SETS, SelectorError, meta_fields, parse_field_selector, parse_label_selector
from ..core.kube import labels_of
from ..errors import ApiError, NamespaceNotFound, NotFound, NotInDump, PullmedicError
from .api import DEFAULT_PAGE_SIZE, RESOURCES, Cluster, Listing, Obj
from .dumpfiles import Dump, read_dump


class DumpCluster:
    """The objects of a dump, read as ``Cluster`` reads an API server.

    ``namespace``: ``-n``, else ``default`` (there is no kubeconfig context to take one from).
    """

    def __init__(self, dump: Dump, namespace: Optional[str] = None) -> None:
        self.dump = dump
        self._namespace = namespace or "default"

    @classmethod
    def read(cls, paths: Sequence[str], namespace: Optional[str],
             stdin: Optional[Union[BinaryIO, TextIO]] = None) -> "DumpCluster":
        """The files, folders and archives named with ``-f``; one that cannot be read is an error (exit 2)."""
        try:
            return cls(read_dump(paths, stdin), namespace)
        except ValueError as error:
            raise PullmedicError(str(error)) from None

    @property
    def namespace(self) -> str:
        return self._namespace

    # -- reading, as Cluster reads -----------------------------------------------------------

    def get(self, resource: str, name: str, namespace: Optional[str] = None) -> Obj:
        self._held(resource, namespace)
        with _read_errors():
            found = self.dump.find(resource, namespace or "" if _namespaced(resource) else "", name)
        if found is None:
            raise NotFound(f'{_qualified(resource)} "{name}" not found', 404, "NotFound")
        return found

    def check_namespace(self, name: str) -> List[str]:
        """A namespace the dump names exists; one it lacks does not if it holds Namespace objects, and
        is not in the dump if its pods come per namespace (a cluster-info folder); else unknown (a warning)."""
        if name in self.dump.namespaces:
            return []
        if "namespaces" in self.dump.coverage:
            raise NamespaceNotFound(name)
        self._held("pods", name)
        return [f'cannot check that namespace "{name}" exists: the dump holds no namespaces']

    get_pod = Cluster.get_pod  # a miss names similarly named pods, exactly as live
    list_all = Cluster.list_all

    def list_pages(self, resource: str, namespace: Optional[str], *, label_selector: Optional[str] = None,
                   field_selector: Optional[str] = None, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[List[Obj]]:
        """The objects the selectors pick, in pages. Every namespace the dump covers when ``namespace`` is None.

        Read a namespace at a time (``Dump.by_namespace``), so only what the caller keeps of a page stays.
        """
        self._held(resource, namespace)
        match = _matcher(resource, label_selector, field_selector)
        scoped = namespace if namespace and _namespaced(resource) else None
        page: List[Obj] = []
        with _read_errors():
            for _, found in self.dump.by_namespace(resource, scoped):
                for name in sorted(found):
                    if match(found[name]):
                        page.append(found[name])
                        if len(page) >= max(page_size, 1):
                            yield page
                            page = []
                del found  # not held while the next namespace is read
        if page:
            yield page

    def collect(self, resource: str, namespace: Optional[str], *, label_selector: Optional[str] = None,
                field_selector: Optional[str] = None) -> Listing:
        """As ``Cluster.collect`` after a refused list: what the dump holds, and each namespace it does not
        cover recorded as unknown with a warning; never an error."""
        try:
            listing = Listing(self.list_all(resource, namespace, label_selector=label_selector,
                                            field_selector=field_selector))
        except NotInDump as missing:
            hidden = [namespace] if namespace else sorted(self.dump.namespaces) if _namespaced(resource) else []
            return Listing([], [missing.message], {ns: missing.unknown for ns in hidden})
        covered = self.dump.coverage.get(resource)
        if namespace is None and covered is not None and _namespaced(resource):
            for ns in sorted(self.dump.namespaces - covered):
                listing.warnings.append(_not_held(resource, ns).message)
                listing.refused[ns] = NotInDump.unknown
        return listing

    def delete(self, resource: str, name: str, namespace: Optional[str], **_: Any) -> Obj:
        raise PullmedicError(f"cannot delete {resource}/{name}: a dump (-f) is read, never changed")

    # -- the dump ----------------------------------------------------------------------------

    def _held(self, resource: str, namespace: Optional[str]) -> None:
        """``NotInDump`` when the dump holds no list of ``resource`` (in ``namespace``, when it covers only some)."""
        if resource not in self.dump.coverage:
            raise _not_held(resource)
        covered = self.dump.coverage[resource]
        if namespace and covered is not None and _namespaced(resource) and namespace not in covered:
            raise _not_held(resource, namespace)


@contextmanager
def _read_errors() -> Iterator[None]:
    """A file of the dump read on demand that cannot be read or parsed: an error (exit 2), as at the start."""
    try:
        yield
    except ValueError as error:
        raise PullmedicError(str(error)) from None


def _not_held(resource: str, namespace: str = "") -> NotInDump:
    where = f' of namespace "{namespace}"' if namespace else ""
    return NotInDump(f"the dump holds no {resource}{where}: what they would show is unknown", 403, "NotInDump")


def _namespaced(resource: str) -> bool:
    return RESOURCES[resource][1]


def _qualified(resource: str) -> str:
    """The resource as the API server names it in a 404: ``pods``, ``deployments.apps``, ``jobs.batch``."""
    prefix = RESOURCES[resource][0]
    return resource + ("." + prefix.split("/")[2] if prefix.startswith("/apis/") else "")


def _matcher(resource: str, label_selector: Optional[str], field_selector: Optional[str]) -> Callable[[Obj], bool]:
    """The server's filter of ``labelSelector`` and ``fieldSelector``; a selector that does not parse is a 400."""
    try:
        labels = parse_label_selector(label_selector or "")
        terms = parse_field_selector(field_selector or "")
    except SelectorError as error:
        raise ApiError(str(error), 400, "BadRequest") from None
    fields_of = FIELD_SETS.get(resource, meta_fields)

    def match(obj: Obj) -> bool:
        if not labels(labels_of(obj)):
            return False
        fields = fields_of(obj) if terms else {}
        return all(term.matches(fields) for term in terms)

    return match

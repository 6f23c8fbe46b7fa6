"""Everything the plugin asks of the API server, as plain dicts parsed from raw JSON.

Requests go through the `kubernetes` client's own connection pool (TLS, proxies, client
certificates and token refresh configured by its kubeconfig loader, see ``kubeconfig.py``);
responses are parsed with ``json.loads`` rather than the client's model deserialisation,
which is several times slower on big lists and changed shape in client 37. Transport and
HTTP errors are translated into ``errors`` here and nowhere else.
"""

from __future__ import annotations

import difflib
import gc
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, TextIO, Tuple
from urllib.parse import quote, urlencode

from .. import __version__
from ..core.kube import dig
from ..errors import (ApiError, ClusterUnreachable, Conflict, Forbidden, Gone, NamespaceNotFound, NotFound,
                      PodNotFound, Unauthorized)
from .kubeconfig import Connection, Overrides, load_connection, preload
from .paging import DEFAULT_PAGE_SIZE, walk
from .requestlog import RequestLog
from .transport import RESET_WAIT, Deadline, DeadlineExceeded, read_body, retry_after, retrying, transport_reason, was_reset

Obj = Dict[str, Any]

# resource -> (API prefix, namespaced)
RESOURCES: Mapping[str, Tuple[str, bool]] = {
    "pods": ("/api/v1", True),
    "events": ("/api/v1", True),
    "secrets": ("/api/v1", True),
    "serviceaccounts": ("/api/v1", True),
    "nodes": ("/api/v1", False),
    "namespaces": ("/api/v1", False),
    "replicationcontrollers": ("/api/v1", True),
    "deployments": ("/apis/apps/v1", True),
    "replicasets": ("/apis/apps/v1", True),
    "statefulsets": ("/apis/apps/v1", True),
    "daemonsets": ("/apis/apps/v1", True),
    "jobs": ("/apis/batch/v1", True),
    "cronjobs": ("/apis/batch/v1", True),
}

# Without --request-timeout: connecting gives up after 30 s, as client-go's dialer does
# (transport/cache.go, net.Dialer{Timeout: 30 * time.Second}), and a server that accepted the
# connection gives up after 60 s without sending a byte; kubectl would wait forever there.
# --request-timeout=N bounds the whole request instead; --request-timeout=0 lifts the 60 s.
CONNECT_TIMEOUT = 30.0
READ_TIMEOUT = 60.0


@dataclass
class Listing:
    """Items gathered across a scope, with a warning for each part that could not be read."""

    items: List[Obj] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    refused: Dict[str, str] = field(default_factory=dict)  # namespace -> why it could not be listed


class Cluster:
    """A connection to one API server (one kubeconfig context)."""

    def __init__(self, connection: Connection, request_timeout: Optional[float] = None,
                 verbosity: int = 0, log: Optional[TextIO] = None, log_context: str = "") -> None:
        """``request_timeout``: None for the defaults above, 0 for no read limit, else seconds;
        ``log_context``: the context's name on each line of the request log (one of several)."""
        import urllib3

        self.connection = connection
        self._urllib3 = urllib3
        self._request_timeout = request_timeout
        if request_timeout:
            self._timeout = urllib3.Timeout(total=request_timeout)
        else:
            self._timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=None if request_timeout == 0 else READ_TIMEOUT)
        self._log = RequestLog(verbosity, log, log_context) if verbosity >= 6 and log is not None else None
        if connection.configuration.verify_ssl is False:
            # --insecure-skip-tls-verify was asked for; kubectl does not warn on every request either.
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

    @classmethod
    def connect(
        cls,
        *,
        kubeconfig: Optional[str],
        context: Optional[str],
        namespace: Optional[str],
        environ: Mapping[str, str],
        request_timeout: Optional[float] = None,
        max_connections: int = 10,
        overrides: Optional[Overrides] = None,
        verbosity: int = 0,
        stderr: Optional[TextIO] = None,
        log: Optional[TextIO] = None,
        log_context: str = "",
    ) -> "Cluster":
        """``stderr``: where an exec credential plugin's complaint goes; ``log``: the request log's
        stream (``-v 6``), by default ``stderr``."""
        connection = load_connection(kubeconfig, context, namespace, environ, max_connections, overrides, stderr)
        _settle_imports()
        return cls(connection, request_timeout, verbosity, stderr if log is None else log, log_context)

    @staticmethod
    def prepare(kubeconfig: Optional[str], environ: Mapping[str, str]) -> None:
        """Before contexts are read in forked processes: the client imported, the kubeconfig parsed
        and the heap set aside once here, so that no child does it again."""
        preload(kubeconfig, environ)
        _settle_imports()

    @property
    def namespace(self) -> str:
        """The namespace kubectl would use: --namespace, else the context's, else default."""
        return self.connection.namespace

    # -- reading ---------------------------------------------------------------------------

    def get(self, resource: str, name: str, namespace: Optional[str] = None) -> Obj:
        return self._request("GET", _path(resource, namespace, name))

    def check_namespace(self, name: str) -> List[str]:
        """NamespaceNotFound when ``name`` does not exist; a refused GET is only a warning."""
        try:
            self.get("namespaces", name)
        except NotFound:
            raise NamespaceNotFound(name) from None
        except Forbidden as refused:
            return [f'cannot check that namespace "{name}" exists: {refused.message}']
        return []

    def get_pod(self, name: str, namespace: str) -> Obj:
        """One pod; a miss raises PodNotFound naming similarly named pods in the namespace."""
        try:
            return self.get("pods", name, namespace)
        except NotFound:
            pass
        try:
            names = [pod_name(p) for p in self.list_all("pods", namespace)]
        except ApiError:
            names = []
        raise PodNotFound(name, namespace, similar_names(name, names))

    def list_pages(
        self,
        resource: str,
        namespace: Optional[str],
        *,
        label_selector: Optional[str] = None,
        field_selector: Optional[str] = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        on_metadata: Callable[[Obj], None] = lambda meta: None,
    ) -> Iterator[List[Obj]]:
        """Yield a list page by page (``limit`` + ``continue``), so memory stays bounded (see ``paging``)."""
        query = {key: value for key, value in (("labelSelector", label_selector), ("fieldSelector", field_selector)) if value}
        path = _path(resource, namespace)
        what = resource + (f' in namespace "{namespace}"' if namespace else "")
        return walk(lambda asked: self._request("GET", path, asked), path, what, query, page_size, on_metadata)

    def list_all(self, resource: str, namespace: Optional[str], **selectors: Any) -> List[Obj]:
        return [item for page in self.list_pages(resource, namespace, **selectors) for item in page]

    def collect(
        self,
        resource: str,
        namespace: Optional[str],
        *,
        label_selector: Optional[str] = None,
        field_selector: Optional[str] = None,
    ) -> Listing:
        """List in one namespace, or cluster-wide (``namespace=None``) with a fallback.

        When RBAC refuses the cluster-wide list, the namespaces are listed one by one and each
        refusal becomes a warning, so a user who can read part of the cluster sees that part.
        """
        selectors = {"label_selector": label_selector, "field_selector": field_selector}
        if namespace is not None or not RESOURCES[resource][1]:
            return Listing(self.list_all(resource, namespace, **selectors))
        try:
            return Listing(self.list_all(resource, None, **selectors))
        except Forbidden as refused:
            try:
                namespaces = [pod_name(ns) for ns in self.list_all("namespaces", None)]
            except Forbidden:
                raise refused from None
        listing = Listing()
        for name in namespaces:
            try:
                listing.items.extend(self.list_all(resource, name, **selectors))
            except Forbidden as error:
                listing.warnings.append(error.message)
                listing.refused[name] = error.unknown
        return listing

    # -- writing ---------------------------------------------------------------------------

    def delete(
        self,
        resource: str,
        name: str,
        namespace: Optional[str],
        *,
        uid: Optional[str] = None,
        resource_version: Optional[str] = None,
        dry_run: bool = False,
    ) -> Obj:
        """Delete one object, only if it is still the one we looked at (uid/resourceVersion).

        Options travel in the body, never the query string: the API server ignores query
        options on a DELETE that has a body, which would turn a dry run into a real delete.
        """
        options: Obj = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}
        preconditions = {key: value for key, value in (("uid", uid), ("resourceVersion", resource_version)) if value}
        if preconditions:
            options["preconditions"] = preconditions
        if dry_run:
            options["dryRun"] = ["All"]
        return self._request("DELETE", _path(resource, namespace, name), body=options)

    # -- transport -------------------------------------------------------------------------

    def open_stream(self, resource: str, namespace: Optional[str], query: Mapping[str, str], read_seconds: float) -> Any:
        """A streaming GET (a watch) through the same pool and credentials: the open response, to be read
        as it arrives and released by the caller. Not retried and not bound by ``--request-timeout`` (a
        watch is meant to stay open); ``read_seconds`` without a byte means the connection is dead.
        An error status raises as ``_request`` does; reading may raise ``transport_error``."""
        path = _path(resource, namespace)
        url = self.connection.server + path + "?" + urlencode(query)
        headers = self._headers()
        if self._log:
            self._log.request("GET", url, headers.items())
        started = time.monotonic()
        try:
            response = self.connection.pool.request("GET", url, headers=headers, preload_content=False, retries=False,
                                                    timeout=self._urllib3.Timeout(connect=CONNECT_TIMEOUT, read=read_seconds))
        except self._urllib3.exceptions.HTTPError as error:
            raise self._unreachable("GET", path, error) from error
        if self._log:
            self._log.response("GET", url, f"{response.status} {response.reason or ''}".strip(),
                               time.monotonic() - started, response.headers.items())
        if response.status >= 400:
            data = response.read()
            response.release_conn()
            raise self._api_error("GET", path, response.status, data)
        return response

    @property
    def transport_error(self) -> type:
        """What reading an open stream raises when the connection fails (urllib3's HTTPError)."""
        return self._urllib3.exceptions.HTTPError

    def _headers(self) -> Any:
        headers = self._urllib3.HTTPHeaderDict({"Accept": "application/json", "User-Agent": f"kubectl-pullmedic/{__version__}"})
        for name, value in self.connection.request_headers():
            headers.add(name, value)
        return headers

    def _request(self, method: str, path: str, query: Optional[Mapping[str, str]] = None, body: Optional[Obj] = None) -> Obj:
        url = self.connection.server + path + ("?" + urlencode(query) if query else "")
        headers = self._headers()
        payload = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            payload = json.dumps(body).encode()
        # Retried as client-go does: reads, and deletes guarded by preconditions (never a second object).
        retryable = method == "GET" or (method == "DELETE" and bool((body or {}).get("preconditions")))
        deadline = Deadline(self._request_timeout)
        try:
            status, data = retrying(lambda may_retry: self._attempt(method, url, path, headers, payload, may_retry, deadline),
                                    retryable, deadline)
        except DeadlineExceeded:
            raise ClusterUnreachable(f"the API server at {self.connection.shown_server} did not finish answering "
                                     f"{method} {path} within {self._request_timeout:g}s (--request-timeout)") from None
        if status >= 400:
            raise self._api_error(method, path, status, data)
        try:
            return json.loads(data)
        except ValueError as error:
            raise ApiError(
                f"the API server at {self.connection.shown_server} answered {method} {path} with something that is not JSON",
                status,
            ) from error

    def _attempt(self, method: str, url: str, path: str, headers: Any, payload: Optional[bytes],
                 may_retry: bool, deadline: Deadline) -> Tuple[Optional[Tuple[int, bytes]], Optional[float]]:
        """One request: (status, body), and seconds to wait before retrying it (None: do not)."""
        if self._log:
            self._log.request(method, url, headers.items())
        started = time.monotonic()
        left = deadline.remaining()
        timeout = self._timeout if left is None else self._urllib3.Timeout(total=left)
        try:
            response = self.connection.pool.request(
                method, url, body=payload, headers=headers, timeout=timeout, preload_content=False
            )
            data = read_body(response, deadline)
        except (DeadlineExceeded, self._urllib3.exceptions.HTTPError) as error:
            if self._log:
                self._log.response(method, url, "", time.monotonic() - started, ())
            if isinstance(error, DeadlineExceeded):
                raise
            if may_retry and method == "GET" and was_reset(error):
                return None, RESET_WAIT
            raise self._unreachable(method, path, error) from error
        if self._log:
            self._log.response(method, url, f"{response.status} {response.reason or ''}".strip(),
                               time.monotonic() - started, response.headers.items())
        if may_retry and (response.status == 429 or response.status >= 500):
            return (response.status, data), retry_after(response.headers.get("Retry-After"))
        return (response.status, data), None

    def _unreachable(self, method: str, path: str, error: Exception) -> ClusterUnreachable:
        reason = getattr(error, "reason", None) or error
        server = self.connection.shown_server
        if isinstance(reason, self._urllib3.exceptions.ReadTimeoutError):
            limit = f"{self._request_timeout:g}s (--request-timeout)" if self._request_timeout else f"{READ_TIMEOUT:g}s"
            return ClusterUnreachable(
                f"the API server at {server} accepted the connection but did not answer {method} {path} within {limit}",
                hint="a slow API server needs a longer --request-timeout (e.g. --request-timeout=5m; 0 waits forever)",
            )
        if isinstance(reason, self._urllib3.exceptions.ConnectTimeoutError) \
                and not isinstance(reason, self._urllib3.exceptions.NewConnectionError):
            limit = self._request_timeout or CONNECT_TIMEOUT
            return ClusterUnreachable(f"cannot reach the API server at {server}: no connection within {limit:g}s",
                                      hint=self._context_hint())
        return ClusterUnreachable(f"cannot reach the API server at {server}: {transport_reason(error)}",
                                  hint=self._context_hint())

    def _api_error(self, method: str, path: str, status: int, data: bytes) -> ApiError:
        try:
            document = json.loads(data)
        except ValueError:
            document = {}
        if not isinstance(document, dict):
            document = {}
        message = str(document.get("message") or data[:200].decode("utf-8", "replace").strip() or f"HTTP {status}")
        reason = str(document.get("reason") or "")
        if status == 401:
            return Unauthorized(
                f"the API server at {self.connection.shown_server} refused the credentials (401 Unauthorized)",
                status,
                reason,
                hint=self._context_hint("check the user credentials of"),
            )
        error_type = {403: Forbidden, 404: NotFound, 409: Conflict, 410: Gone}.get(status, ApiError)
        return error_type(message, status, reason)

    def _context_hint(self, prefix: str = "check the server address of") -> Optional[str]:
        if not self.connection.context:
            return None
        return f'{prefix} context "{self.connection.context}" (kubectl config view --minify)'


_SETTLED: List[bool] = []


def _settle_imports() -> None:
    """Once per process, with the client imported: set what the imports built (a few 10^5 objects of
    the client, pydantic and the plugin) aside from the cyclic garbage collector. Decoding a page
    makes thousands of dicts, which set off collections, and each full one would walk that whole
    import-time heap again (some 30 ms per 1000-pod context). Objects freed by reference count,
    such as decoded pages, are freed as before."""
    if not _SETTLED:
        _SETTLED.append(True)
        gc.freeze()


def _path(resource: str, namespace: Optional[str], name: Optional[str] = None) -> str:
    prefix, namespaced = RESOURCES[resource]
    path = prefix
    if namespaced and namespace:
        path += f"/namespaces/{quote(namespace, safe='')}"
    path += f"/{resource}"
    if name is not None:
        path += f"/{quote(name, safe='')}"
    return path


def pod_name(obj: Obj) -> str:
    return str(dig(obj, "metadata", "name") or "")


def similar_names(name: str, candidates: List[str], limit: int = 3) -> List[str]:
    """Names a user probably meant: prefix matches first (``api`` → ``api-7d4b9-x2x``), then close spellings.

    >>> similar_names("api", ["api-7d4b9-x2x", "web-1", "apl"])
    ['api-7d4b9-x2x', 'apl']
    """
    prefixed = sorted(c for c in candidates if c.startswith(name) and c != name)
    close = difflib.get_close_matches(name, candidates, n=limit, cutoff=0.6)
    return list(dict.fromkeys(prefixed + close))[:limit]

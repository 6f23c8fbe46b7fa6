"""The request pipeline of the sandbox API server: log, delay, authenticate, route, authorise.

Kept apart from the socket handling in ``httpserver.py`` so that every answer is decided by
plain functions of (method, path, query, headers, body).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import parse_qs, urlsplit

import kubectl_pullmedic.sandbox.openapi as openapi
import kubectl_pullmedic.sandbox.resources as resources
import kubectl_pullmedic.sandbox.status as status
import kubectl_pullmedic.sandbox.verbs as verbs
import kubectl_pullmedic.sandbox.watch as watch
import kubectl_pullmedic.sandbox.writes as writes
from kubectl_pullmedic.sandbox.resources import ResourceType
from kubectl_pullmedic.sandbox.store import ObjectStore

DEFAULT_USER = "system:serviceaccount:default:pullmedic"
PUBLIC_PATHS = frozenset({"/version", "/healthz", "/livez", "/readyz"})
WRITE_VERBS = frozenset({"create", "update", "patch"})
VERSION_INFO = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0+pullmedic-sandbox",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2030-01-01T00:00:00Z",
    "goVersion": "go1.23.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the sandbox saw it; ``query`` keeps the last value of each parameter."""

    method: str
    path: str
    query: Dict[str, str]
    code: int
    headers: Tuple[Tuple[str, str], ...] = ()  # as sent, repeated names kept; never Authorization
    client_cn: str = ""  # the CN of a verified client certificate (``Sandbox(client_ca=...)``)


@dataclass(frozen=True)
class Response:
    code: int
    body: bytes
    content_type: str = "application/json"


@dataclass(frozen=True)
class StreamResponse:
    """A 200 whose body is sent as it is produced, chunk by chunk (a watch)."""

    lines: Iterable[bytes]
    content_type: str = "application/json"


@dataclass(frozen=True)
class ForbidRule:
    """``VERB:RESOURCE[:NAMESPACE]``, RBAC denial for the sandbox user.

    Without a namespace the verb is denied everywhere. With one, it is denied in that
    namespace and at the cluster scope too, because any cluster-wide grant would cover that
    namespace. An empty namespace (``list:pods:``) denies the cluster scope only, as for a
    user whose roles are bound namespace by namespace. ``*`` matches any verb or resource.
    """

    verb: str
    resource: str
    namespace: Optional[str] = None

    @classmethod
    def parse(cls, text: str) -> "ForbidRule":
        parts = text.split(":")
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            raise ValueError(f"a forbid rule is VERB:RESOURCE[:NAMESPACE], not {text!r}")
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else None)

    def denies(self, verb: str, rt: ResourceType, namespace: str) -> bool:
        if self.verb not in ("*", verb) or self.resource not in ("*", rt.resource, rt.qualified):
            return False
        if self.namespace is None:
            return True
        if not namespace:
            return True
        return self.namespace == namespace


@dataclass(frozen=True)
class Target:
    """A resource request: the type, the namespace ("" for cluster scope) and maybe a name."""

    rt: ResourceType
    namespace: str
    name: str


def _resource_target(group: str, version: str, rest: List[str]) -> Optional[Target]:
    namespace = ""
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 2:
        return None
    rt = resources.by_path(group, version, rest[0])
    if rt is None or (namespace and not rt.namespaced):
        return None
    name = rest[1] if len(rest) == 2 else ""
    if name and rt.namespaced and not namespace:
        return None
    return Target(rt, namespace, name)


def parse_target(path: str) -> Optional[Target]:
    """The resource a path names, if it names one the sandbox serves.

    >>> t = parse_target("/apis/apps/v1/namespaces/web/deployments/shop")
    >>> (t.rt.kind, t.namespace, t.name)
    ('Deployment', 'web', 'shop')
    >>> parse_target("/api/v1/pods/x") is None  # pods need a namespace for a name
    True
    """
    parts = [part for part in path.split("/") if part]
    if parts[:2] == ["api", "v1"]:
        return _resource_target("", "v1", parts[2:])
    if len(parts) > 3 and parts[0] == "apis":
        return _resource_target(parts[1], parts[2], parts[3:])
    return None


@dataclass
class ApiApp:
    """Everything a request may meet; attributes may be changed while the server runs."""

    store: ObjectStore
    token: str
    allow_anonymous: bool
    server_address: str = ""
    user: str = DEFAULT_USER
    forbid: Sequence[ForbidRule] = ()
    latency_ms: float = 0.0
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(timezone.utc))
    watch_timeout_seconds: float = watch.DEFAULT_TIMEOUT_SECONDS  # a watch without timeoutSeconds
    watch_bookmark_seconds: float = watch.DEFAULT_BOOKMARK_SECONDS
    _log: List[RecordedRequest] = field(default_factory=list, init=False, repr=False)
    _log_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @property
    def requests(self) -> List[RecordedRequest]:
        with self._log_lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()

    def handle(
        self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes, client_cn: str = ""
    ) -> Union[Response, StreamResponse]:
        split = urlsplit(raw_path)
        query = parse_qs(split.query, keep_blank_values=True)
        if self.latency_ms > 0:
            time.sleep(self.latency_ms / 1000.0)
        try:
            response = self._dispatch(method, split.path, query, headers, body, client_cn)
        except status.ApiStatus as failure:
            response = Response(failure.code, json.dumps(failure.body(), separators=(",", ":")).encode())
        flat_query = {name: values[-1] for name, values in query.items()}
        sent = tuple((k, v) for k, v in headers.items() if k.lower() != "authorization")
        code = response.code if isinstance(response, Response) else 200
        with self._log_lock:
            self._log.append(RecordedRequest(method, split.path, flat_query, code, sent, client_cn))
        return response

    def _authenticate(self, path: str, headers: Mapping[str, str], client_cn: str) -> None:
        authorization = headers.get("Authorization") or headers.get("authorization") or ""
        if not authorization and client_cn:
            return  # a client certificate the server verified, as x509 authentication
        if authorization:
            scheme, _, credential = authorization.partition(" ")
            if scheme.lower() != "bearer" or credential.strip() != self.token:
                raise status.unauthorized()
        elif not (self.allow_anonymous or path in PUBLIC_PATHS):
            raise status.unauthorized()

    def _authorize(self, verb: str, target: Target) -> None:
        namespace = target.namespace if target.rt.namespaced else ""
        if any(rule.denies(verb, target.rt, namespace) for rule in self.forbid):
            raise status.forbidden(target.rt, self.user, verb, namespace, target.name)

    def _dispatch(
        self, method: str, path: str, query: verbs.Query, headers: Mapping[str, str], body: bytes, client_cn: str = ""
    ) -> Union[Response, StreamResponse]:
        self._authenticate(path, headers, client_cn)
        discovery = self._discovery(path)
        if discovery is not None:
            if method != "GET":
                raise status.method_not_allowed()
            return discovery
        target = parse_target(path)
        if target is None:
            raise status.unknown_path()
        verb = self._verb(method, target, query)
        self._authorize(verb, target)
        if verb in WRITE_VERBS:
            return Response(*self._write(verb, target, query, writes.media_type(headers), body))
        accept = headers.get("Accept") or headers.get("accept") or ""
        if verb == "watch":
            if target.name:
                fields = [f"metadata.name={target.name}"] + [s for s in query.get("fieldSelector", [])[-1:] if s]
                query = dict(query, fieldSelector=[",".join(fields)])
            request = watch.parse_request(target.rt, query, accept, self.watch_timeout_seconds)
            stream = watch.WatchStream(self.store, target.rt, target.namespace, request, self.clock,
                                       self.watch_bookmark_seconds)
            return StreamResponse(iter(stream))
        code, payload = self._run(verb, target, query, accept, body)
        return Response(code, payload)

    @staticmethod
    def _verb(method: str, target: Target, query: verbs.Query) -> str:
        if method == "GET":
            if query.get("watch", [""])[-1] in ("true", "1"):
                return "watch"  # a named one watches that object (metadata.name, as the server does)
            return "get" if target.name else "list"
        if method == "DELETE" and target.name:
            return "delete"
        if method == "POST" and not target.name:
            return "create"
        if method == "PUT" and target.name:
            return "update"
        if method == "PATCH" and target.name:
            return "patch"
        raise status.method_not_allowed()

    def _run(self, verb: str, target: Target, query: verbs.Query, accept: str, body: bytes) -> Tuple[int, bytes]:
        rt, namespace, name = target.rt, target.namespace, target.name
        if verb == "list":
            return verbs.list_objects(self.store, rt, namespace, query, accept, self.clock())
        if verb == "get":
            return verbs.get_object(self.store, rt, namespace, name, query, accept, self.clock())
        return verbs.delete_object(self.store, rt, namespace, name, body, query)

    def _write(self, verb: str, target: Target, query: verbs.Query, content_type: str, body: bytes) -> Tuple[int, bytes]:
        rt, namespace, name = target.rt, target.namespace, target.name
        if verb == "create":
            return writes.create_object(self.store, rt, namespace, body, content_type, query)
        if verb == "update":
            return writes.update_object(self.store, rt, namespace, name, body, content_type, query)
        return writes.patch_object(self.store, rt, namespace, name, body, content_type, query)

    def _discovery(self, path: str) -> Optional[Response]:
        """Health, version and discovery documents; None for any other path."""
        trimmed = path.rstrip("/") or "/"
        if trimmed in ("/healthz", "/livez", "/readyz"):
            return Response(200, b"ok", "text/plain; charset=utf-8")
        parts = trimmed.split("/")[1:]
        document: Optional[Dict[str, object]]
        if parts[0] == "openapi":
            if parts[1:2] != ["v3"]:
                raise status.unknown_path()  # no /openapi/v2: kubectl falls back to its built-in types
            document = openapi.lookup(trimmed)
        elif trimmed == "/version":
            document = VERSION_INFO
        elif trimmed == "/api":
            document = resources.api_versions(self.server_address)
        elif trimmed == "/apis":
            document = resources.api_group_list()
        elif parts[0] == "api" and len(parts) == 2:
            document = resources.api_resource_list("", parts[1])
        elif parts[0] == "apis" and len(parts) == 2:
            document = resources.api_group_document(parts[1])
        elif parts[0] == "apis" and len(parts) == 3:
            document = resources.api_resource_list(parts[1], parts[2])
        else:
            return None
        if document is None:
            raise status.unknown_path()
        return Response(200, json.dumps(document, separators=(",", ":")).encode())

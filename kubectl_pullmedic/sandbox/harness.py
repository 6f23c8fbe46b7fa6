"""``Sandbox``: start an API-server stand-in with some objects and get a kubeconfig for it.

    with Sandbox(objects=[pod], forbid=["list:pods:kube-system"]) as sb:
        subprocess.run(["kubectl", "--kubeconfig", sb.kubeconfig_path, "get", "pods", "-A"])
        assert [r.path for r in sb.requests if r.method == "GET"]

kubectl sends credentials only over TLS (clientcmd drops the user's auth info for a plain
``http://`` server), so a plain-HTTP sandbox accepts requests that carry no Authorization
header, as the old insecure port did; a wrong token is refused either way. With ``tls`` a
token is required, as on a real cluster.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import yaml

import kubectl_pullmedic.sandbox.loading as loading
import kubectl_pullmedic.sandbox.resources as resources
from kubectl_pullmedic.sandbox.api import DEFAULT_USER, ApiApp, ForbidRule, RecordedRequest
from kubectl_pullmedic.sandbox.changes import DEFAULT_CAPACITY
from kubectl_pullmedic.sandbox.httpserver import SandboxHTTPServer
from kubectl_pullmedic.sandbox.store import ObjectStore, StoredObject
from kubectl_pullmedic.sandbox.timeline import Timeline
from kubectl_pullmedic.sandbox.watch import DEFAULT_BOOKMARK_SECONDS, DEFAULT_TIMEOUT_SECONDS

Obj = Dict[str, Any]
Source = Union[Obj, str, Path]
SANDBOX_NAME = "pullmedic-sandbox"


def kubeconfig_document(
    url: str, token: str, namespace: Optional[str] = None, certificate_authority: Optional[str] = None
) -> Obj:
    """A kubeconfig whose cluster, user and context are all named ``pullmedic-sandbox``."""
    cluster: Obj = {"server": url}
    if certificate_authority:
        cluster["certificate-authority"] = certificate_authority
    context: Obj = {"cluster": SANDBOX_NAME, "user": SANDBOX_NAME}
    if namespace:
        context["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": SANDBOX_NAME, "cluster": cluster}],
        "users": [{"name": SANDBOX_NAME, "user": {"token": token}}],
        "contexts": [{"name": SANDBOX_NAME, "context": context}],
        "current-context": SANDBOX_NAME,
        "preferences": {},
    }


class Sandbox:
    """An in-process API server on 127.0.0.1, started by ``start()`` or ``with``.

    ``objects`` holds objects (dicts) and/or paths of YAML/JSON files; ``scenarios`` adds every
    built-in scenario with its times moved to now. ``forbid`` holds ``VERB:RESOURCE[:NAMESPACE]``
    rules (see ``ForbidRule``). ``allow_anonymous`` defaults to "only without TLS" (see the module
    docstring); ``clock`` fixes "now" for ages and new timestamps. ``latency_ms``, ``forbid`` and
    the objects may be changed while it runs. ``watch_history`` bounds the changes a watch can
    resume from (older versions get 410); ``watch_bookmark_seconds`` spaces BOOKMARK events;
    ``watch_timeout_seconds`` ends a watch that set no ``timeoutSeconds`` (kube-apiserver's
    ``--min-request-timeout``, 30 minutes, unless a test wants ``kubectl get -w`` to end).
    ``incident`` adds a scenario with a timeline (a built-in name such as ``missing-pull-secret``,
    a file or a document), run on a ``real`` clock (times ``timeline_speed``) or a ``manual`` one.
    """

    def __init__(
        self,
        objects: Iterable[Source] = (),
        scenarios: bool = False,
        latency_ms: float = 0.0,
        forbid: Sequence[str] = (),
        token: Optional[str] = None,
        tls: Optional[Tuple[str, str]] = None,
        port: int = 0,
        namespace: Optional[str] = None,
        kubeconfig_path: Optional[Union[str, Path]] = None,
        user: str = DEFAULT_USER,
        allow_anonymous: Optional[bool] = None,
        verbose: bool = False,
        clock: Optional[Callable[[], datetime]] = None,
        client_ca: Optional[str] = None,
        watch_history: int = DEFAULT_CAPACITY,
        watch_bookmark_seconds: float = DEFAULT_BOOKMARK_SECONDS,
        watch_timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        incident: Optional[Union[str, Path, Obj]] = None,
        timeline_clock: str = "real",
        timeline_speed: float = 1.0,
    ) -> None:
        self.token = token or "sandbox-" + secrets.token_hex(12)
        self._tls = tls
        self._client_ca = client_ca  # with tls: accept client certificates signed by this CA
        self._port = port
        self._namespace = namespace
        self._verbose = verbose
        self._requested_kubeconfig = Path(kubeconfig_path) if kubeconfig_path else None
        self._temp_dir: Optional[str] = None
        self._server: Optional[SandboxHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self.kubeconfig_path = ""
        self.url = ""
        now = clock or (lambda: datetime.now(timezone.utc))
        self.store = ObjectStore(now, history=watch_history)
        self.app = ApiApp(
            store=self.store,
            token=self.token,
            allow_anonymous=tls is None if allow_anonymous is None else allow_anonymous,
            user=user,
            latency_ms=latency_ms,
            clock=now,
            watch_bookmark_seconds=watch_bookmark_seconds,
            watch_timeout_seconds=watch_timeout_seconds,
        )
        self.set_forbid(forbid)
        initial: List[Obj] = loading.scenario_objects(now()) if scenarios else []
        for source in objects:
            initial.extend(loading.load_file(source) if isinstance(source, (str, Path)) else [source])
        script: Optional[Obj] = None
        if incident is not None:
            incident_objects, script = loading.load_incident(incident, now())
            initial.extend(incident_objects)
        self._store_all(initial)
        if timeline_clock not in ("real", "manual"):
            raise ValueError(f"timeline_clock is real or manual, not {timeline_clock!r}")
        self.timeline: Optional[Timeline] = None
        if script is not None:
            self.timeline = Timeline(self.store, script, now, manual=timeline_clock == "manual", speed=timeline_speed)

    # ----- lifecycle ----------------------------------------------------------------------

    def start(self) -> "Sandbox":
        self.store.changes.reopen()
        self._server = SandboxHTTPServer(self.app, self._port, self._tls, self._verbose, self._client_ca)
        self.url = self._server.url
        self.app.server_address = f"127.0.0.1:{self._server.port}"
        self.kubeconfig_path = str(self._write_kubeconfig())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="pullmedic-sandbox", daemon=True
        )
        self._thread.start()
        if self.timeline is not None:
            self.timeline.start()
        return self

    def stop(self) -> None:
        if self.timeline is not None:
            self.timeline.stop()
        self.store.changes.close()  # open watches end instead of holding their threads
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._temp_dir:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def _write_kubeconfig(self) -> Path:
        path = self._requested_kubeconfig
        if path is None:
            self._temp_dir = tempfile.mkdtemp(prefix="pullmedic-sandbox-")
            path = Path(self._temp_dir) / "kubeconfig"
        certificate_authority = str(Path(self._tls[0]).resolve()) if self._tls else None
        document = kubeconfig_document(self.url, self.token, self._namespace, certificate_authority)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        return path

    # ----- behaviour ----------------------------------------------------------------------

    @property
    def latency_ms(self) -> float:
        return self.app.latency_ms

    @latency_ms.setter
    def latency_ms(self, value: float) -> None:
        self.app.latency_ms = value

    def set_forbid(self, rules: Sequence[str]) -> None:
        """Replace the RBAC denials, e.g. ``["list:pods", "delete:pods:prod"]``."""
        self.app.forbid = tuple(ForbidRule.parse(rule) for rule in rules)

    def expire_continue_tokens(self) -> None:
        """Answer every continue token handed out so far with 410 Gone."""
        self.store.expire_continue_tokens()

    # ----- watches ------------------------------------------------------------------------

    def drop_watches(self) -> None:
        """Cut every open watch stream mid-way (the connection closes with no last chunk), as a
        restarted API server or a proxy's idle timeout does; new watches work as before."""
        self.store.changes.drop_streams()

    def expire_watch_history(self) -> None:
        """Forget every change so far, as an etcd compaction: the next watch that resumes from a
        resourceVersion gets an ERROR event with ``410 Expired`` (even from the current one),
        and so does any later one from before now. Lists and new watches are unaffected."""
        self.store.changes.compact()

    # ----- timelines -----------------------------------------------------------------------

    def run_timeline_step(self, name: str) -> None:
        """Run an incident's timeline step now, whatever its trigger (see ``timeline.py``)."""
        self._script().run_step(name)

    def advance_timeline(self, seconds: float) -> List[str]:
        """Move a manual timeline clock; returns the steps that ran, in order."""
        return self._script().advance(seconds)

    def _script(self) -> Timeline:
        if self.timeline is None:
            raise ValueError("this sandbox has no timeline (start it with incident=...)")
        return self.timeline

    @property
    def resource_version(self) -> str:
        """The store's current resourceVersion, as a list returns it."""
        return self.store.resource_version

    @property
    def requests(self) -> List[RecordedRequest]:
        return self.app.requests

    def clear_requests(self) -> None:
        self.app.clear_requests()

    # ----- objects ------------------------------------------------------------------------

    def add(self, obj: Obj) -> Obj:
        """Add or replace one object; returns it as stored (uid, resourceVersion, ...)."""
        return self.add_all([obj])[0]

    def add_all(self, objects: Iterable[Obj]) -> List[Obj]:
        """Add or replace many objects at once; events get the uid of the object they name."""
        return [entry.decode() for entry in self._store_all(objects)]

    def _store_all(self, objects: Iterable[Obj]) -> List[StoredObject]:
        """Store objects, events last so that their ``involvedObject.uid`` can be filled in."""
        pending = list(objects)
        others = [obj for obj in pending if obj.get("kind") != "Event"]
        stored = {id(obj): entry for obj, entry in zip(others, self.store.put_many(others))}
        events = [obj for obj in pending if obj.get("kind") == "Event"]
        linked = loading.with_event_uids(events, self._uid_of)
        stored.update({id(obj): entry for obj, entry in zip(events, self.store.put_many(linked))})
        return [stored[id(obj)] for obj in pending]

    def load_file(self, path: Union[str, Path]) -> List[Obj]:
        return self.add_all(loading.load_file(path))

    def get(self, kind_or_resource: str, namespace: str, name: str) -> Optional[Obj]:
        entry = self.store.get(resources.resolve(kind_or_resource), namespace, name)
        return entry.decode() if entry else None

    def remove(self, kind_or_resource: str, namespace: str, name: str) -> Optional[Obj]:
        """Delete an object (no preconditions); returns it, or None when it was not there."""
        entry = self.store.remove(resources.resolve(kind_or_resource), namespace, name)
        return entry.decode() if entry else None

    def _uid_of(self, kind: str, namespace: str, name: str) -> str:
        try:
            rt = resources.resolve(kind)
        except KeyError:
            return ""
        entry = self.store.get(rt, namespace, name)
        return entry.uid if entry else ""

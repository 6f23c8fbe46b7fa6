"""Fixtures for the whole suite: sandbox API servers, the real kubectl, small object builders.

    def test_something(make_sandbox, kubectl, make_pod):
        sb = make_sandbox(objects=[make_pod("web", "shop", waiting_reason="ImagePullBackOff")])
        result = kubectl(sb, "get", "pods", "-n", "shop")
        assert "ImagePullBackOff" in result.stdout
"""

from __future__ import annotations

import hashlib
import http.client
import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union

import pytest

from kubectl_pullmedic.sandbox import Sandbox

pytest_plugins = ["registry_fixtures"]  # real registries, shared by the probe and CLI tests

Obj = Dict[str, Any]
KUBECTL = shutil.which("kubectl") or "kubectl"

# A test that uses one of these runs real programs: the kubectl binary, Debian's docker-registry
# (images pushed with skopeo), or a release build (pip downloads the bundled wheels).
SLOW_FIXTURES = frozenset({"kubectl", "basic_registry", "token_registry", "open_registry", "token_server", "release"})


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    """Mark ``slow`` every test that needs one of ``SLOW_FIXTURES``, directly or through another fixture."""
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Start sandboxes with any ``Sandbox(...)`` arguments; all are stopped after the test."""
    started: List[Sandbox] = []

    def start(**kwargs: Any) -> Sandbox:
        sandbox = Sandbox(**kwargs).start()
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """A running, empty sandbox; add objects with ``sandbox.add(...)``."""
    return make_sandbox()


@pytest.fixture
def kubectl(tmp_path: Path) -> Callable[..., "subprocess.CompletedProcess[str]"]:
    """Run the real kubectl against a sandbox (or a kubeconfig path); fails the test on an
    unexpected exit code. ``kubectl(sb, "get", "pods", expect_rc=1)`` when a failure is the
    point; ``expect_rc=None`` accepts any. Discovery is cached per test, not in ~/.kube.
    """

    def run(
        target: Union[Sandbox, str, Path], *args: str, expect_rc: Optional[int] = 0, timeout: float = 30
    ) -> "subprocess.CompletedProcess[str]":
        kubeconfig = target.kubeconfig_path if isinstance(target, Sandbox) else str(target)
        command = [KUBECTL, "--kubeconfig", kubeconfig, "--cache-dir", str(tmp_path / "kube-cache"), *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        if expect_rc is not None and result.returncode != expect_rc:
            pytest.fail(
                f"{' '.join(args)} exited {result.returncode}, expected {expect_rc}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}"
            )
        return result

    return run


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> Tuple[str, str]:
    """(certificate, key) of a self-signed certificate for 127.0.0.1, made with openssl."""
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return str(cert), str(key)


def build_pod(
    name: str,
    namespace: str = "default",
    phase: str = "Running",
    image: str = "registry.example.com/app:1.0",
    waiting_reason: Optional[str] = None,
    waiting_message: str = "",
    reason: Optional[str] = None,
    message: Optional[str] = None,
    labels: Optional[Dict[str, str]] = None,
    node: Optional[str] = "node-a",
    uid: Optional[str] = None,
    created: Optional[str] = None,
) -> Obj:
    """A one-container pod as the API server returns it; waiting_reason makes it not ready."""
    metadata: Obj = {"name": name, "namespace": namespace, "labels": dict(labels or {})}
    if uid:
        metadata["uid"] = uid
    if created:
        metadata["creationTimestamp"] = created
    if waiting_reason:
        state: Obj = {"waiting": {"reason": waiting_reason, "message": waiting_message}}
    else:
        state = {"running": {"startedAt": created or "2030-01-01T00:00:00Z"}}
    status: Obj = {
        "phase": phase,
        "containerStatuses": [{
            "name": "app", "image": image, "imageID": "", "ready": not waiting_reason and phase == "Running",
            "restartCount": 0, "started": not waiting_reason, "state": state,
        }],
    }
    if reason:
        status["reason"] = reason
    if message:
        status["message"] = message
    spec: Obj = {"containers": [{"name": "app", "image": image}], "restartPolicy": "Always"}
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": status}


def _digest(*parts: str) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()[:16]


def build_event(
    pod: Obj,
    reason: str,
    message: str,
    event_type: str = "Warning",
    count: int = 1,
    container: str = "app",
    last_seen: str = "2030-01-01T00:00:00Z",
    first_seen: Optional[str] = None,
    name: Optional[str] = None,
) -> Obj:
    """A core/v1 Event about a pod's container, as the kubelet records it."""
    metadata = pod["metadata"]
    involved: Obj = {
        "apiVersion": "v1", "kind": "Pod", "name": metadata["name"], "namespace": metadata["namespace"],
        "fieldPath": f"spec.containers{{{container}}}",
    }
    if metadata.get("uid"):
        involved["uid"] = metadata["uid"]
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": name or f"{metadata['name']}.{_digest(reason, message)}",
            "namespace": metadata["namespace"],
        },
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "type": event_type,
        "count": count,
        "firstTimestamp": first_seen or last_seen,
        "lastTimestamp": last_seen,
        "source": {"component": "kubelet", "host": pod["spec"].get("nodeName", "")},
    }


@pytest.fixture
def make_pod() -> Callable[..., Obj]:
    """``build_pod``: make_pod("web", "shop", waiting_reason="ErrImagePull")."""
    return build_pod


@pytest.fixture
def make_event() -> Callable[..., Obj]:
    """``build_event``: make_event(pod, "Failed", 'Failed to pull image "x": ...')."""
    return build_event


class CliResult:
    """What one run of the plugin's entry point printed and returned."""

    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code, self.stdout, self.stderr = code, stdout, stderr

    def json(self) -> Any:
        import json

        return json.loads(self.stdout)


@pytest.fixture
def pullmedic() -> Callable[..., CliResult]:
    """Run ``kubectl-pullmedic`` in-process (the real entry point, real HTTP to the sandbox).

    Strict like httpie's test helper: an exit code other than ``expect`` (default 0) fails the
    test with everything the command printed. ``expect=None`` accepts any code.
    """
    import io
    from datetime import datetime, timezone

    from kubectl_pullmedic.cli.main import main
    from kubectl_pullmedic.settings import Settings

    def run(*args: str, sandbox: Optional[Sandbox] = None, expect: Optional[int] = 0,
            environ: Optional[Dict[str, str]] = None, now: Optional[datetime] = None,
            stdin: str = "", tty: bool = False) -> CliResult:
        argv = list(args) + (["--kubeconfig", sandbox.kubeconfig_path] if sandbox is not None else [])
        out, err = _Stream(tty), _Stream(tty)
        settings = Settings(stdout=out, stderr=err, stdin=_Stream(tty, stdin), environ=environ or {},
                            clock=(lambda: now) if now else (lambda: datetime.now(timezone.utc)))
        code = main(argv, settings)
        result = CliResult(code, out.getvalue(), err.getvalue())
        if expect is not None and code != expect:
            pytest.fail(f"pullmedic {' '.join(args)} exited {code}, expected {expect}\n"
                        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
        return result

    class _Stream(io.StringIO):
        def __init__(self, tty: bool, initial: str = "") -> None:
            super().__init__(initial)
            self._tty = tty

        def isatty(self) -> bool:
            return self._tty

    return run


@pytest.fixture(scope="module")
def scenario_sandbox() -> Iterator[Sandbox]:
    """The built-in scenario cluster, shared by a test module that only reads it."""
    with Sandbox(scenarios=True) as sandbox:
        yield sandbox


class LineReader:
    """The lines of a stream read by a background thread, so a test can wait for each one.

    ``next(timeout)`` returns the next line (without its newline) or raises AssertionError
    when none came in time; ``rest()`` returns what arrived so far without waiting. ``error``
    is what ended the reading when the stream was cut rather than ended (None otherwise).
    """

    def __init__(self, stream: Any) -> None:
        import queue
        import threading

        self._lines: "queue.Queue[Optional[str]]" = queue.Queue()
        self._stream = stream
        self.error: Optional[BaseException] = None
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for line in self._stream:
                self._lines.put(line.decode() if isinstance(line, bytes) else line)
        except (OSError, ValueError, AttributeError, http.client.HTTPException) as error:
            self.error = error  # cut, or closed under the reader (http.client drops its fp)
        finally:
            self._lines.put(None)

    def next(self, timeout: float = 10.0) -> Optional[str]:
        """The next line, or None once the stream has ended."""
        import queue

        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no line within {timeout} s") from None
        if line is None:
            self._lines.put(None)  # ended: stay ended for later calls
            return None
        return line.rstrip("\r\n")

    def rest(self) -> List[str]:
        lines = []
        while not self._lines.empty():
            line = self._lines.get_nowait()
            if line is None:
                self._lines.put(None)
                break
            lines.append(line.rstrip("\r\n"))
        return lines


@pytest.fixture
def kubectl_lines(kubectl: Any, tmp_path: Path) -> Iterator[Callable[..., Tuple["subprocess.Popen[str]", LineReader]]]:
    """Start the real kubectl as a long-running process (``get -w``) whose stdout is read line by
    line as it comes: ``process, lines = kubectl_lines(sb, "get", "pods", "-w")``. Every process
    is terminated after the test."""
    started: List["subprocess.Popen[str]"] = []

    def start(target: Union[Sandbox, str, Path], *args: str) -> Tuple["subprocess.Popen[str]", LineReader]:
        kubeconfig = target.kubeconfig_path if isinstance(target, Sandbox) else str(target)
        command = [KUBECTL, "--kubeconfig", kubeconfig, "--cache-dir", str(tmp_path / "kube-cache"), *args]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started.append(process)
        return process, LineReader(process.stdout)

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()

"""A real container registry for the probe tests: Debian's ``docker-registry`` on loopback.

``RegistryServer`` starts Docker Distribution with a free port, storage in a temporary
directory, and optionally htpasswd auth, a self-signed TLS certificate, or Bearer token auth
backed by ``TokenServer`` (a tiny JWT issuer signing with ``openssl``). Images are hand-made
OCI layouts pushed with ``skopeo``. Nothing here is skipped: a missing tool is a failure
that says which Debian packages to install.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple
from urllib.parse import parse_qs, urlparse

APT_PACKAGES = Path(__file__).resolve().parent.parent / ".ci" / "apt-packages.txt"
PROXIED_HOST = "registry.pullmedic.test"  # resolvable only through TunnelProxy
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


class RegistryToolMissing(AssertionError):
    """A Debian tool the tests need (a registry, skopeo, a shell) is not installed."""


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RegistryToolMissing(
            f"{name} is not installed: the tests need the Debian packages in "
            f"{APT_PACKAGES} (apt-get update && apt-get install -y "
            f"{' '.join(APT_PACKAGES.read_text().split())}), or run tests/run.sh"
        )
    return path


def _run(*command: str, stdin: Optional[bytes] = None) -> bytes:
    return subprocess.run(command, input=stdin, capture_output=True, check=True, timeout=60).stdout


def make_certificate(directory: Path, name: str = "registry") -> Tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, localhost and the proxy tests' ``registry.pullmedic.test``."""
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    _run(
        require_tool("openssl"),
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        f"/CN={name}",
        "-addext",
        f"subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:{PROXIED_HOST}",
        "-keyout",
        str(key),
        "-out",
        str(cert),
    )
    return cert, key


def make_htpasswd(path: Path, users: Dict[str, str]) -> Path:
    """htpasswd entries (bcrypt: the only form Distribution accepts)."""
    htpasswd = require_tool("htpasswd")
    path.write_bytes(b"".join(_run(htpasswd, "-Bbn", user, password) for user, password in users.items()))
    return path


class RegistryServer:
    """``docker-registry serve`` on 127.0.0.1 with a free port; stop() ends it."""

    def __init__(
        self,
        workdir: Path,
        *,
        htpasswd: Optional[Path] = None,
        tls: Optional[Tuple[Path, Path]] = None,
        token: Optional["TokenServer"] = None,
        realm_host: str = "127.0.0.1",
    ) -> None:
        binary = require_tool("docker-registry")
        workdir.mkdir(parents=True, exist_ok=True)
        config = [
            "version: 0.1",
            "log:",
            "  level: info",
            "storage:",
            "  filesystem:",
            f"    rootdirectory: {workdir / 'storage'}",
            "http:",
            "  addr: 127.0.0.1:0",
        ]
        if tls:
            config += ["  tls:", f"    certificate: {tls[0]}", f"    key: {tls[1]}"]
        if htpasswd:
            config += ["auth:", "  htpasswd:", "    realm: pullmedic-test", f"    path: {htpasswd}"]
        if token:
            realm = token.url.replace("127.0.0.1", realm_host)
            config += [
                "auth:",
                "  token:",
                f"    realm: {realm}/token",
                f"    service: {token.service}",
                f"    issuer: {token.issuer}",
                f"    rootcertbundle: {token.certificate}",
            ]
        config_path = workdir / "config.yml"
        config_path.write_text("\n".join(config) + "\n")
        self.scheme = "https" if tls else "http"
        self.log: List[str] = []
        self._process = subprocess.Popen(
            [binary, "serve", str(config_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, "REGISTRY_HTTP_ADDR": "127.0.0.1:0"},
            text=True,
        )
        self.port = self._wait_for_port()
        threading.Thread(target=self._drain, daemon=True).start()
        self.host = f"127.0.0.1:{self.port}"

    def _wait_for_port(self) -> int:
        assert self._process.stderr is not None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            line = self._process.stderr.readline()
            if not line:
                break
            self.log.append(line)
            found = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
            if found:
                return int(found.group(1))
        self.stop()
        raise AssertionError("docker-registry did not start:\n" + "".join(self.log[-20:]))

    def requests_after(self, mark: int, deadline: float = 5) -> List[Tuple[str, str]]:
        """(method, uri) of the requests logged after line ``mark``.

        The log is read by a thread, a little behind, so a sentinel request is sent last and
        waited for (bounded): everything the caller sent before it has been logged by then.
        """
        import ssl
        import urllib.error
        import urllib.request
        import uuid

        sentinel = f"/v2/sentinel/manifests/{uuid.uuid4().hex}"
        context = ssl._create_unverified_context()  # only this helper's own request
        try:
            urllib.request.urlopen(f"{self.scheme}://{self.host}{sentinel}", context=context, timeout=5)
        except urllib.error.HTTPError:
            pass  # 401/404: logged all the same
        stop = time.monotonic() + deadline
        while True:
            found = [
                (match.group(1), match.group(2))
                for line in self.log[mark:]
                if 'msg="response completed"' in line
                for match in [re.search(r"http\.request\.method=(\w+) .*http\.request\.uri=(\S+)", line)]
                if match
            ]
            if any(sentinel in line for line in self.log[mark:]) or time.monotonic() > stop:
                return [(method, uri) for method, uri in found if uri != sentinel]
            time.sleep(0.02)

    def _drain(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self.log.append(line)

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


# --- images ---------------------------------------------------------------------------------


def _blob(layout: Path, content: bytes) -> Dict[str, object]:
    digest = hashlib.sha256(content).hexdigest()
    (layout / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (layout / "blobs" / "sha256" / digest).write_bytes(content)
    return {"digest": f"sha256:{digest}", "size": len(content)}


def _layer(text: str) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as archive:
        data = text.encode()
        info = tarfile.TarInfo("hello.txt")
        info.size, info.mtime = len(data), 0
        archive.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def _image_manifest(layout: Path, os_name: str, arch: str) -> Dict[str, object]:
    layer = _layer(f"built for {os_name}/{arch}\n")
    config = {
        "architecture": arch,
        "os": os_name,
        "rootfs": {
            "type": "layers",
            "diff_ids": ["sha256:" + hashlib.sha256(gzip.decompress(layer)).hexdigest()],
        },
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, **_blob(layout, json.dumps(config).encode())},
        "layers": [{"mediaType": OCI_LAYER, **_blob(layout, layer)}],
    }
    return {
        "mediaType": OCI_MANIFEST,
        **_blob(layout, json.dumps(manifest).encode()),
        "platform": {"os": os_name, "architecture": arch},
    }


def make_oci_layout(layout: Path, tag: str, platforms: Sequence[Tuple[str, str]]) -> None:
    """An OCI image layout holding ``tag``: one image, or an index when several platforms."""
    layout.mkdir(parents=True, exist_ok=True)
    (layout / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    descriptors = [_image_manifest(layout, os_name, arch) for os_name, arch in platforms]
    if len(descriptors) == 1:
        top = {key: value for key, value in descriptors[0].items() if key != "platform"}
    else:
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors}
        top = {"mediaType": OCI_INDEX, **_blob(layout, json.dumps(index).encode())}
    top["annotations"] = {"org.opencontainers.image.ref.name": tag}
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [top]}))


def push_image(
    registry: RegistryServer,
    repository: str,
    tags: Sequence[str],
    workdir: Path,
    platforms: Sequence[Tuple[str, str]] = (("linux", "amd64"),),
    creds: Optional[Tuple[str, str]] = None,
) -> None:
    """Push a hand-made image to ``registry`` under each of ``tags`` with skopeo."""
    skopeo = require_tool("skopeo")
    layout = workdir / f"layout-{repository.replace('/', '_')}-{len(platforms)}"
    make_oci_layout(layout, "src", platforms)
    for tag in tags:
        command = [
            skopeo,
            "copy",
            "--quiet",
            "--all",
            "--dest-tls-verify=false",
            f"oci:{layout}:src",
            f"docker://{registry.host}/{repository}:{tag}",
        ]
        if creds:
            command.append(f"--dest-creds={creds[0]}:{creds[1]}")
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise AssertionError(f"skopeo push of {repository}:{tag} failed: {result.stderr.strip()}")


# --- Bearer tokens ----------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer:
    """A token realm issuing JWTs Distribution verifies against ``rootcertbundle``.

    The JWT header carries the signing certificate in ``x5c``; being self-signed and in the
    bundle, it verifies. Known users get the actions they ask for; anonymous callers get a
    token with no access (as Docker Hub does); wrong passwords get 401.
    """

    service = "pullmedic-test-registry"
    issuer = "pullmedic-test-issuer"

    def __init__(self, workdir: Path, users: Dict[str, str], tls: Optional[Tuple[Path, Path]] = None) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.certificate, self._key = make_certificate(workdir, "token-signer")
        der = _run(require_tool("openssl"), "x509", "-in", str(self.certificate), "-outform", "DER")
        self._x5c = base64.b64encode(der).decode()
        self.users = users
        self.requests: List[Dict[str, object]] = []  # what clients sent, for assertions
        self.issued: List[str] = []  # every token handed out, to prove none leaks into results
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def issue(self, subject: str, scopes: Sequence[str]) -> str:
        access = []
        for scope in scopes:
            kind, name, actions = scope.split(":") if scope.count(":") == 2 else ("", "", "")
            if kind == "repository" and subject:
                access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self._x5c]}
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.service,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": hashlib.sha256(os.urandom(8)).hexdigest(),
            "access": access,
        }
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = _run(
            require_tool("openssl"), "dgst", "-sha256", "-sign", str(self._key), stdin=signing_input.encode()
        )
        token = f"{signing_input}.{_b64url(signature)}"
        self.issued.append(token)
        return token

    def _handler(self) -> type:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                query = parse_qs(urlparse(self.path).query)
                authorization = self.headers.get("Authorization", "")
                user = ""
                if authorization.startswith("Basic "):
                    user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
                    if server.users.get(user) != password:
                        server.requests.append({"query": query, "user": user, "granted": False})
                        self._reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]})
                        return
                server.requests.append({"query": query, "user": user, "granted": True})
                token = server.issue(user, query.get("scope", []))
                self._reply(200, {"token": token, "access_token": token, "expires_in": 300})

            def _reply(self, status: int, body: Dict[str, object]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                """Quiet: the tests assert on ``server.requests`` instead."""

        return Handler

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# --- an HTTPS proxy -------------------------------------------------------------------------


class TunnelProxy:
    """A CONNECT proxy on loopback that resolves every host to 127.0.0.1, as a corporate proxy
    resolves names the client cannot: a probe that reaches ``registry.pullmedic.test`` through
    it proves the request went through the proxy. Records each CONNECT target; with
    ``login`` it demands that ``Proxy-Authorization`` (407 otherwise).
    """

    def __init__(self, login: Optional[Tuple[str, str]] = None) -> None:
        import socketserver

        self.targets: List[str] = []
        expected = "Basic " + base64.b64encode(f"{login[0]}:{login[1]}".encode()).decode() if login else ""
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                head = b""
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    chunk = self.request.recv(4096)
                    if not chunk:
                        return
                    head += chunk
                lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
                method, target = lines[0].split(" ")[:2]
                headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
                if method != "CONNECT":
                    self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                    return
                if expected and headers.get("proxy-authorization") != expected:
                    self.request.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
                    return
                proxy.targets.append(target)
                upstream = socket.create_connection(("127.0.0.1", int(target.rsplit(":", 1)[1])), timeout=10)
                self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                _pipe(self.request, upstream)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, login: Optional[Tuple[str, str]] = None) -> str:
        userinfo = f"{login[0]}:{login[1]}@" if login else ""
        return f"http://{userinfo}127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _pipe(client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    import select

    sockets = [client, upstream]
    try:
        while True:
            readable, _, _ = select.select(sockets, [], [], 10)
            if not readable:
                return
            for sock in readable:
                data = sock.recv(65536)
                if not data:
                    return
                (upstream if sock is client else client).sendall(data)
    finally:
        upstream.close()

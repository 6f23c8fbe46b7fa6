"""Sockets for the sandbox: a threaded HTTP/1.1 server with keep-alive and optional TLS.

Every response has a Content-Length, so the clients' connection pools reuse connections the
way they do with a real API server; a watch is chunked, one chunk per event. The server remembers its open connections so that
stopping it closes them instead of leaving handler threads blocked on idle keep-alives.
"""

from __future__ import annotations

import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional, Set, Tuple

from kubectl_pullmedic.sandbox.api import ApiApp, StreamResponse
from kubectl_pullmedic.sandbox.changes import StreamDropped


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY, as Go's net/http (so kube-apiserver) sets it: headers and body go out in two
    # writes, and with Nagle's algorithm each reused connection waited ~40 ms for a delayed ACK.
    disable_nagle_algorithm = True
    server: "SandboxHTTPServer"

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            # The handshake runs here, in the connection's thread, so a slow or failing
            # client cannot stall the accept loop.
            self.request.do_handshake()
        super().setup()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        response = self.server.app.handle(self.command, self.path, self.headers, body, _client_cn(self.request))
        if isinstance(response, StreamResponse):
            self._stream(response)
            return
        self.send_response(response.code)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _stream(self, response: StreamResponse) -> None:
        """A chunked 200, one chunk per line, flushed at once; a dropped stream is cut mid-way."""
        self.send_response(200)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.flush()
        lines = iter(response.lines)
        try:
            for line in lines:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except StreamDropped:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)  # no last chunk: the client sees a cut
            except OSError:
                pass
        except (ConnectionError, socket.timeout):
            self.close_connection = True  # the client hung up
        finally:
            close = getattr(lines, "close", None)
            if close is not None:
                close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        if self.server.verbose:
            sys.stderr.write("%s %s\n" % (self.address_string(), format % args))


def _client_cn(connection: Any) -> str:
    """The common name of the client certificate the TLS handshake verified, or ""."""
    certificate = connection.getpeercert() if isinstance(connection, ssl.SSLSocket) else None
    for rdn in (certificate or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return ""


class SandboxHTTPServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer bound to 127.0.0.1 that serves an ApiApp."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # as a Go server's listen backlog; 5 drops bursts of parallel connects for 1 s

    def __init__(
        self,
        app: ApiApp,
        port: int = 0,
        tls: Optional[Tuple[str, str]] = None,
        verbose: bool = False,
        client_ca: Optional[str] = None,
    ) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.app = app
        self.verbose = verbose
        self.scheme = "https" if tls else "http"
        self._connections: Set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(certfile=tls[0], keyfile=tls[1])
            if client_ca:  # ask for a client certificate signed by this CA, as --client-ca-file does
                context.verify_mode = ssl.CERT_OPTIONAL
                context.load_verify_locations(cafile=client_ca)
            self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up or fail the TLS handshake are routine, not worth a traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, ssl.SSLError, socket.timeout)):
            return
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the client

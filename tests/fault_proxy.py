"""A fault-injecting HTTP proxy in front of a sandbox: real sockets, real failures.

    with FaultProxy(sandbox) as proxy:
        proxy.add("GET", r"/api/v1/pods", status=429, headers={"Retry-After": "2"}, count=2)
        pullmedic("why", "-A", sandbox=proxy)     # proxy.kubeconfig_path points at the proxy

A rule matches a method and a regular expression searched in the path (query included) and
applies to its next ``count`` requests (None: all). What it does:

- ``status=`` (with ``headers=`` and ``body=``): answer that, without asking the sandbox;
- ``reset=True``: read the request, then reset the connection (RST) before any response;
- ``body=`` alone: forward, then replace the sandbox's body with these bytes (a malformed answer);
- ``repeat_continue=True``: forward, and answer a page requested with ``continue=X`` with
  ``continue: X`` again, as a broken server or proxy would;
- ``reset_after=N``: forward, send the headers and the body's first N bytes, then reset (a
  connection lost mid-body);
- ``trickle=N``: forward, then send the sandbox's answer (headers at once, the whole length
  announced) at N bytes a second; ``rule.sent`` counts the body bytes written before the client
  hung up or the body ended.

Every request is recorded as an ``Exchange`` (method, path, arrival and answer times on
``time.monotonic()``, status) in ``proxy.exchanges``; ``on_answer=`` is called with each one just
after its answer was written, in the request's thread, and may act on it (a benchmark sends
SIGINT to the client at the N-th answered DELETE). ``sandbox`` is anything with ``url`` (plain
HTTP) and ``kubeconfig_path``: a ``Sandbox``, or ``Upstream`` for a sandbox in another process.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

import yaml


@dataclass
class Rule:
    method: str
    pattern: str
    count: Optional[int] = 1
    status: Optional[int] = None
    headers: Dict[str, str] = field(default_factory=dict)
    body: Optional[bytes] = None
    reset: bool = False
    repeat_continue: bool = False
    trickle: Optional[int] = None
    reset_after: Optional[int] = None
    hits: int = 0
    sent: int = 0
    size: int = 0  # the length of the trickled body

    def take(self, method: str, path: str) -> bool:
        if self.method not in ("*", method) or not re.search(self.pattern, path):
            return False
        if self.count is not None and self.hits >= self.count:
            return False
        self.hits += 1
        return True


@dataclass
class Exchange:
    """One request as the proxy saw it; ``answered`` and ``status`` stay None until a whole answer was sent."""

    method: str
    path: str  # with the query
    arrived: float  # time.monotonic()
    answered: Optional[float] = None
    status: Optional[int] = None


class Upstream(NamedTuple):
    """What the proxy needs of a sandbox that runs in another process."""

    url: str
    kubeconfig_path: str


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # as the sandbox's: 5 drops a client's burst of parallel connects for 1 s


class FaultProxy:
    """Forwards to ``sandbox.url`` (plain HTTP) unless a rule says otherwise; records what it saw."""

    def __init__(self, sandbox: Any, directory: Path, on_answer: Optional[Callable[[Exchange], None]] = None) -> None:
        self.sandbox = sandbox
        self.rules: List[Rule] = []
        self.exchanges: List[Exchange] = []  # in arrival order
        self.on_answer = on_answer
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        document = yaml.safe_load(Path(sandbox.kubeconfig_path).read_text())
        for entry in document["clusters"]:
            entry["cluster"]["server"] = self.url
        self.kubeconfig_path = str(directory / "proxy-kubeconfig")
        Path(self.kubeconfig_path).write_text(yaml.safe_dump(document))
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def add(self, method: str, pattern: str, **kwargs: Any) -> Rule:
        rule = Rule(method, pattern, **kwargs)
        with self._lock:
            self.rules.append(rule)
        return rule

    def count(self, method: str, pattern: str) -> int:
        """How many requests reached the proxy for ``method`` with ``pattern`` in the path."""
        return sum(1 for e in self.history(method) if re.search(pattern, e.path))

    def history(self, method: str = "*") -> List[Exchange]:
        """Copies of the exchanges so far (of ``method``), in arrival order: a consistent snapshot."""
        with self._lock:
            return [Exchange(**vars(e)) for e in self.exchanges if method in ("*", e.method)]

    def start(self) -> "FaultProxy":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def _rule_for(self, exchange: Exchange) -> Optional[Rule]:
        with self._lock:
            self.exchanges.append(exchange)
            return next((rule for rule in self.rules if rule.take(exchange.method, exchange.path)), None)

    def _answered(self, exchange: Exchange, status: int) -> None:
        with self._lock:
            exchange.answered, exchange.status = time.monotonic(), status
        if self.on_answer is not None:
            self.on_answer(exchange)

    def _handler(self) -> type:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # as the sandbox: no reused connection waits for a delayed ACK

            def log_message(self, *args: Any) -> None:
                pass

            def _any(self) -> None:
                exchange = Exchange(self.command, self.path, time.monotonic())
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                rule = proxy._rule_for(exchange)
                if rule is not None and rule.reset:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                    return
                if rule is not None and rule.status is not None:
                    self._send(rule.status, rule.headers, rule.body if rule.body is not None else
                               json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                           "message": f"injected {rule.status}", "code": rule.status}).encode())
                    proxy._answered(exchange, rule.status)
                    return
                status, headers, data = self._forward(body)
                if rule is not None and rule.body is not None:
                    data = rule.body
                elif rule is not None and rule.repeat_continue:
                    sent = parse_qs(urlsplit(self.path).query).get("continue")
                    document = json.loads(data)
                    if sent:
                        document.setdefault("metadata", {})["continue"] = sent[0]
                    data = json.dumps(document).encode()
                if rule is not None and rule.reset_after is not None:
                    self._send(status, headers, data[:rule.reset_after], length=len(data))
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                    return
                if self._send(status, headers, data, rule.trickle if rule is not None else None, rule):
                    proxy._answered(exchange, status)

            do_GET = do_DELETE = do_POST = do_PUT = do_PATCH = _any

            upstream: Optional[http.client.HTTPConnection] = None

            def _forward(self, body: bytes) -> Tuple[int, Dict[str, str], bytes]:
                """The sandbox's answer, over one kept-alive connection per client connection (a new
                one per request would add its set-up to every request the client times)."""
                if self.upstream is None:
                    target = urlsplit(proxy.sandbox.url)
                    self.upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                    self.upstream.connect()
                    self.upstream.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                try:
                    self.upstream.request(self.command, self.path, body=body or None, headers=headers)
                    response = self.upstream.getresponse()
                    data = response.read()
                except BaseException:
                    self._close_upstream()
                    raise
                kept = {k: v for k, v in response.getheaders()
                        if k.lower() not in ("content-length", "transfer-encoding", "connection")}
                return response.status, kept, data

            def _close_upstream(self) -> None:
                if self.upstream is not None:
                    self.upstream.close()
                    self.upstream = None

            def _send(self, status: int, headers: Dict[str, str], data: bytes,
                      trickle: Optional[int] = None, rule: Optional[Rule] = None, length: Optional[int] = None) -> bool:
                """Whether the whole body was written (a trickle's client may hang up first)."""
                self.send_response(status)
                headers = dict(headers)
                headers.setdefault("Content-Type", "application/json")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data) if length is None else length))
                self.end_headers()
                if not trickle or rule is None:
                    self.wfile.write(data)
                    return True
                self.wfile.flush()
                rule.size = len(data)
                step = max(trickle // 10, 1)  # a tenth of a second's worth at a time
                for start in range(0, len(data), step):
                    try:
                        self.wfile.write(data[start:start + step])
                        self.wfile.flush()
                    except OSError:  # the client gave up: what was sent is counted
                        self.close_connection = True
                        return False
                    rule.sent += len(data[start:start + step])
                    time.sleep(0.1)
                return True

            def finish(self) -> None:
                self._close_upstream()
                try:
                    super().finish()
                except OSError:
                    pass

        return Handler

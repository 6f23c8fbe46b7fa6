"""Benchmark: Ctrl-C (SIGINT) during `kubectl pullmedic clean -A --yes`, counted at the server.

    python benchmarks/clean_interrupt_bench.py [--evicted 2000 --at 500 --latency-ms 5]

The sandbox runs in its own process behind a counting proxy (in this process) that stamps every
request as it arrives. When the proxy has answered the ``--at``-th DELETE (25% of 2,000), it sends
SIGINT to the plugin, then counts: the DELETEs that arrived before the signal, those still in
flight at it (arrived, not yet answered), and those that arrived AFTER it (target: 0; the deletes
in flight may finish, no new one may start). Also printed: the plugin's exit code (target 130),
its "interrupted: N of M deletes sent" line against the server's count, the pods left on the
server, and the time from the signal to the exit.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, List, Optional, Tuple
from urllib.parse import urlsplit

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clean_bench import objects, remaining  # noqa: E402
from synthetic import sandbox_process  # noqa: E402

PLUGIN = str(Path(sys.executable).parent / "kubectl-pullmedic")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # no SYN dropped for a second when the plugin opens its connections at once


class CountingProxy:
    """Forwards to the sandbox; stamps each DELETE's arrival and answer; SIGINTs the plugin at the N-th answer."""

    def __init__(self, target: str, at: int) -> None:
        self.target = urlsplit(target)
        self.at = at
        self.plugin: Optional[subprocess.Popen] = None
        self.deletes: List[List[Any]] = []  # [arrived, answered, path]
        self.signalled: Optional[float] = None
        self.lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def counts(self) -> Tuple[int, int, int, int, List[float]]:
        """Arrived before the signal, of which in flight at it; arrived after it, of which resends of a
        request that had arrived before (the client's transport retrying a reset, not a new delete);
        and how long after the signal each new one arrived (ms)."""
        with self.lock:
            sent_at = self.signalled if self.signalled is not None else float("inf")
            before = [d for d in self.deletes if d[0] < sent_at]
            in_flight = [d for d in before if d[1] is None or d[1] > sent_at]
            after = [d for d in self.deletes if d[0] >= sent_at]
        earlier = {d[2] for d in before}
        resent = [d for d in after if d[2] in earlier]
        new = [round((d[0] - sent_at) * 1000, 2) for d in after if d[2] not in earlier]
        return len(before), len(in_flight), len(after), len(resent), new

    def _handler(self) -> type:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            upstream: Optional[http.client.HTTPConnection] = None

            def setup(self) -> None:
                super().setup()
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms delayed ACKs

            def _any(self) -> None:
                stamp: List[Any] = [time.monotonic(), None, self.path]
                if self.command == "DELETE":
                    with proxy.lock:
                        proxy.deletes.append(stamp)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.upstream is None:  # one kept-alive connection to the sandbox per client connection
                    self.upstream = http.client.HTTPConnection(proxy.target.hostname, proxy.target.port, timeout=60)
                    self.upstream.connect()
                    self.upstream.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                self.upstream.request(self.command, self.path, body=body or None, headers=headers)
                response = self.upstream.getresponse()
                data = response.read()
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()
                if self.command != "DELETE":
                    return
                with proxy.lock:
                    stamp[1] = time.monotonic()
                    answered = sum(1 for d in proxy.deletes if d[1] is not None)
                    fire = answered == proxy.at and proxy.signalled is None and proxy.plugin is not None
                    if fire:
                        proxy.signalled = time.monotonic()
                        proxy.plugin.send_signal(signal.SIGINT)

            do_GET = do_DELETE = do_POST = do_PUT = do_PATCH = _any

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--evicted", type=int, default=2000)
    parser.add_argument("--at", type=int, default=0, help="SIGINT after this many answered deletes (default: 25%%)")
    parser.add_argument("--latency-ms", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=0, help="the plugin's --concurrency (default: its own)")
    args = parser.parse_args()
    at = args.at or args.evicted // 4
    print(f"cluster: {args.evicted} evicted pods, {args.latency_ms} ms per request; SIGINT after {at} deletes answered")
    with sandbox_process(objects(args.evicted, 0, 0), args.latency_ms) as kubeconfig:
        config = yaml.safe_load(open(kubeconfig))
        proxy = CountingProxy(config["clusters"][0]["cluster"]["server"], at)
        config["clusters"][0]["cluster"]["server"] = proxy.url
        proxied = kubeconfig + ".proxied"
        Path(proxied).write_text(yaml.safe_dump(config))
        command = [PLUGIN, "clean", "-A", "--yes", "--kubeconfig", proxied]
        if args.concurrency:
            command += ["--concurrency", str(args.concurrency)]
        started = time.monotonic()
        with proxy.lock:
            proxy.plugin = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
        stdout, stderr = proxy.plugin.communicate(timeout=600)
        ended = time.monotonic()
        time.sleep(0.5)  # anything the plugin sent just before it ended has arrived by now
        before, in_flight, after, resent, new = proxy.counts()
        left = len(remaining(kubeconfig))
        proxy.server.shutdown()
    said = re.search(r"interrupted: (\d+) of (\d+) deletes sent", stderr)
    deleted_lines = sum(1 for line in stdout.splitlines() if line.startswith("pod ") and "\" deleted from " in line)
    print(f"exit code: {proxy.plugin.returncode}   (target 130)")
    if proxy.signalled is None:
        print("the signal was never sent: fewer deletes than --at")
        return
    print(f"DELETEs at the server before the signal: {before} (of which in flight at the signal: {in_flight})")
    print(f"DELETEs at the server after the signal:  {after}, of which resends of one in flight: {resent}; "
          f"new deletes after the signal: {len(new)} (target 0){' at ' + str(new) + ' ms' if new else ''}")
    print(f"plugin says: {said.group(0) if said else '(no interrupted line)'}; "
          f"matches the server's count of distinct deletes: "
          f"{bool(said) and int(said.group(1)) == len({d[2] for d in proxy.deletes})}")
    print(f"summary: {next((l for l in stdout.splitlines() if l.startswith('deleted ')), '(none)')}; "
          f"rows reported deleted: {deleted_lines}")
    print(f"pods left on the server: {left} of {args.evicted} (expected {args.evicted - len({d[2] for d in proxy.deletes})})")
    print(f"signal to exit: {ended - proxy.signalled:.2f} s; whole run {ended - started:.2f} s")


if __name__ == "__main__":
    main()

"""Benchmark: Ctrl-C (SIGINT) during `kubectl pullmedic clean -A --yes`, counted at the server.

    python benchmarks/clean_interrupt_bench.py [--evicted 2000 --at 500 --latency-ms 5]

The sandbox runs in its own process behind the tests' FaultProxy (in this process, no fault rule)
that stamps every request as it arrives and as it is answered. When the proxy has answered the ``--at``-th DELETE (25% of 2,000), it sends
SIGINT to the plugin, then counts: the DELETEs that arrived before the signal, those still in
flight at it (arrived, not yet answered), and those that arrived AFTER it (target: 0; the deletes
in flight may finish, no new one may start). Also printed: the plugin's exit code (target 130),
its "interrupted: N of M deletes sent" line against the server's count, the pods left on the
server, and the time from the signal to the exit.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from clean_bench import objects, remaining  # noqa: E402
from fault_proxy import Exchange, FaultProxy, Upstream  # noqa: E402
from synthetic import PLUGIN, bench_parser, sandbox_process, server_of  # noqa: E402


class Interrupter:
    """FaultProxy's ``on_answer``: SIGINTs the plugin when the ``at``-th DELETE has been answered."""

    def __init__(self, at: int) -> None:
        self.at = at
        self.answered = 0
        self.plugin: Optional[subprocess.Popen] = None
        self.signalled: Optional[float] = None
        self.lock = threading.Lock()

    def __call__(self, exchange: Exchange) -> None:
        if exchange.method != "DELETE":
            return
        with self.lock:
            self.answered += 1
            if self.answered == self.at and self.signalled is None and self.plugin is not None:
                self.signalled = time.monotonic()
                self.plugin.send_signal(signal.SIGINT)


def counts(deletes: List[Exchange], signalled: Optional[float]) -> Tuple[int, int, int, int, List[float]]:
    """Arrived before the signal, of which in flight at it; arrived after it, of which resends of a
    request that had arrived before (the client's transport retrying a reset, not a new delete);
    and how long after the signal each new one arrived (ms)."""
    sent_at = signalled if signalled is not None else float("inf")
    before = [d for d in deletes if d.arrived < sent_at]
    in_flight = [d for d in before if d.answered is None or d.answered > sent_at]
    after = [d for d in deletes if d.arrived >= sent_at]
    earlier = {d.path for d in before}
    resent = [d for d in after if d.path in earlier]
    new = [round((d.arrived - sent_at) * 1000, 2) for d in after if d.path not in earlier]
    return len(before), len(in_flight), len(after), len(resent), new


def main() -> None:
    parser = bench_parser(__doc__, evicted=2000, latency_ms=5)
    parser.add_argument("--at", type=int, default=0, help="SIGINT after this many answered deletes (default: 25%%)")
    parser.add_argument("--concurrency", type=int, default=0, help="the plugin's --concurrency (default: its own)")
    args = parser.parse_args()
    at = args.at or args.evicted // 4
    print(f"cluster: {args.evicted} evicted pods, {args.latency_ms} ms per request; SIGINT after {at} deletes answered")
    interrupter = Interrupter(at)
    with sandbox_process(objects(args.evicted, 0, 0), args.latency_ms) as kubeconfig, \
            tempfile.TemporaryDirectory() as directory, \
            FaultProxy(Upstream(server_of(kubeconfig)[0], kubeconfig), Path(directory), on_answer=interrupter) as proxy:
        command = [PLUGIN, "clean", "-A", "--yes", "--kubeconfig", proxy.kubeconfig_path]
        if args.concurrency:
            command += ["--concurrency", str(args.concurrency)]
        started = time.monotonic()
        with interrupter.lock:
            interrupter.plugin = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                                  env=dict(os.environ, PYTHONUNBUFFERED="1"))
        stdout, stderr = interrupter.plugin.communicate(timeout=600)
        ended = time.monotonic()
        time.sleep(0.5)  # anything the plugin sent just before it ended has arrived by now
        deletes = proxy.history("DELETE")
        before, in_flight, after, resent, new = counts(deletes, interrupter.signalled)
        left = len(remaining(kubeconfig))
    said = re.search(r"interrupted: (\d+) of (\d+) deletes sent", stderr)
    deleted_lines = sum(1 for line in stdout.splitlines() if line.startswith("pod ") and "\" deleted from " in line)
    print(f"exit code: {interrupter.plugin.returncode}   (target 130)")
    if interrupter.signalled is None:
        print("the signal was never sent: fewer deletes than --at")
        return
    print(f"DELETEs at the server before the signal: {before} (of which in flight at the signal: {in_flight})")
    print(f"DELETEs at the server after the signal:  {after}, of which resends of one in flight: {resent}; "
          f"new deletes after the signal: {len(new)} (target 0){' at ' + str(new) + ' ms' if new else ''}")
    print(f"plugin says: {said.group(0) if said else '(no interrupted line)'}; "
          f"matches the server's count of distinct deletes: "
          f"{bool(said) and int(said.group(1)) == len({d.path for d in deletes})}")
    print(f"summary: {next((l for l in stdout.splitlines() if l.startswith('deleted ')), '(none)')}; "
          f"rows reported deleted: {deleted_lines}")
    print(f"pods left on the server: {left} of {args.evicted} (expected {args.evicted - len({d.path for d in deletes})})")
    print(f"signal to exit: {ended - interrupter.signalled:.2f} s; whole run {ended - started:.2f} s")


if __name__ == "__main__":
    main()

"""Benchmark: `why -A` and `evicted -A` at Kubernetes' limits, against `kubectl get pods -A -o json`.

    python benchmarks/scale_bench.py [--pods 150000 --nodes 5000 --failing 3000 --evicted 1000
                                      --warnings 100000 --normal 20000 --latency-ms 2 --runs 1]

The sandbox serves, in its own process and over HTTPS (a self-signed certificate made with
openssl) with a latency per request, a cluster of ``--pods`` pods on ``--nodes`` nodes, of which
``--failing`` cannot pull their image and ``--evicted`` were evicted, with ``--warnings`` Warning
events (two per failing pod, one per eviction, the rest readiness-probe failures of running pods)
and ``--normal`` Normal events. In the same run, alternating, it measures wall time and peak RSS
(GNU time), and CPU time, of:
  kubectl get pods -A -o json          (the floor: reading the pods at all)
  kubectl pullmedic why -A -o json
  kubectl pullmedic evicted -A -o json
and prints each with its ratio to kubectl's time (target issue 16: at most 1.0x, RSS under 300 MB).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import (KUBECTL, PLUGIN, PULL_ERROR, Measurement, Obj, bench_parser, event, median_of, self_signed,  # noqa: E402
                       node, pod, run_measured, sandbox_process)

UNHEALTHY = "Readiness probe failed: Get \"http://10.0.0.1:8080/healthz\": context deadline exceeded"


def cluster(pods: int, nodes: int, failing: int, evicted: int, warnings: int, normal: int,
            namespaces: int = 50) -> List[Obj]:
    """Pods spread over nodes and namespaces: the first ``failing`` fail to pull, the next ``evicted`` were evicted."""
    node_names = [f"node-{i:05d}" for i in range(nodes)]
    made = [pod(f"app-{i:06d}", f"team-{i % namespaces:02d}", failing=i < failing,
                evicted=failing <= i < failing + evicted, node=node_names[i % nodes]) for i in range(pods)]
    events: List[Obj] = []
    for i, target in enumerate(made[:failing]):
        message = PULL_ERROR.format(tag="1.0-typo")
        events.append(event(target, 2 * i, message=message))
        events.append(event(target, 2 * i + 1, message="Error: ImagePullBackOff"))
    for i, target in enumerate(made[failing:failing + evicted]):
        events.append(event(target, i, reason="Evicted", message="The node was low on resource: memory. "))
    running = made[failing + evicted:] or made
    for i in range(max(0, warnings - len(events))):
        events.append(event(running[(i * 7919) % len(running)], 10_000_000 + i, reason="Unhealthy", message=UNHEALTHY))
    for i in range(normal):
        events.append(event(running[(i * 104729) % len(running)], 20_000_000 + i, reason="Started", kind="Normal"))
    return [node(name) for name in node_names] + made + events


def main() -> None:
    parser = bench_parser(__doc__, pods=150000, nodes=5000, failing=3000, evicted=1000, warnings=100000, normal=20000,
                          latency_ms=2)
    parser.add_argument("--runs", type=int, default=1, help="runs of each command, alternating; the median is shown")
    parser.add_argument("--plain-http", action="store_true", help="serve plain HTTP instead of HTTPS")
    args = parser.parse_args()
    print(f"cluster: {args.pods} pods on {args.nodes} nodes, {args.failing} failing to pull, {args.evicted} evicted, "
          f"{args.warnings} Warning + {args.normal} Normal events; {args.latency_ms} ms per request, "
          f"{'HTTP' if args.plain_http else 'HTTPS'}")
    objects = cluster(args.pods, args.nodes, args.failing, args.evicted, args.warnings, args.normal)
    with tempfile.TemporaryDirectory() as directory:
        tls = None if args.plain_http else self_signed(directory)
        with sandbox_process(objects, args.latency_ms, tls) as kubeconfig:
            del objects[:]
            cache = ["--cache-dir", os.path.join(directory, "kube-cache")]
            commands = {
                "kubectl get pods -A -o json": [KUBECTL, "--kubeconfig", kubeconfig, *cache, "get", "pods", "-A", "-o", "json"],
                "pullmedic why -A -o json": [PLUGIN, "why", "-A", "-o", "json", "--kubeconfig", kubeconfig],
                "pullmedic evicted -A -o json": [PLUGIN, "evicted", "-A", "-o", "json", "--kubeconfig", kubeconfig],
            }
            subprocess.run(commands["kubectl get pods -A -o json"][:5] + ["api-resources"], capture_output=True)  # warm discovery
            runs: Dict[str, List[Measurement]] = {name: [] for name in commands}
            for _ in range(args.runs):
                for name, command in commands.items():
                    runs[name].append(run_measured(command, keep_output=False))
    floor = median_of(runs["kubectl get pods -A -o json"]).wall
    for name, measures in runs.items():
        median = median_of(measures)
        codes = sorted({m.returncode for m in measures})
        print(f"{name:30} {median.wall:7.2f} s  CPU {median.cpu:7.2f} s  peak RSS {median.peak_rss_mb:7.1f} MB  "
              f"exit {codes}  time / kubectl get pods: {median.wall / floor:5.2f}x")
    print("targets: pullmedic time <= 1.00x kubectl get pods -A -o json, pullmedic peak RSS < 300 MB")


if __name__ == "__main__":
    main()

"""Benchmark: `kubectl pullmedic why -A -o json` against what people do by hand.

    python benchmarks/why_bench.py [--pods 5000 --failing 200 --events 20000 --latency-ms 2]

On a sandbox of N pods (some failing to pull, many events) with a per-request latency, times:
  (a) the manual scan guides teach: `kubectl get pods -A`, then `kubectl describe pod` for each
      failing pod;
  (b) the floor: `kubectl get pods -A -o json` plus `kubectl get events -A -o json`;
  and pullmedic, then prints the figures and the ratios (targets: >= 10x faster than (a),
  at most 1.5x of (b)). `--memory-pods 50000` also measures pullmedic's peak memory over a
  larger cluster (target: under 250 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import cluster, peak_rss_mb, sandbox_process, timed  # noqa: E402

KUBECTL = shutil.which("kubectl") or "kubectl"
PLUGIN = str(Path(sys.executable).parent / "kubectl-pullmedic")


def median_time(command, runs):
    times = []
    for _ in range(runs):
        seconds, result = timed(command)
        if result.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(command)} failed: {result.stderr.strip()}")
        times.append(seconds)
    return sorted(times)[len(times) // 2], result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--failing", type=int, default=200)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--latency-ms", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory-pods", type=int, default=50000, help="0 skips the memory measurement")
    args = parser.parse_args()
    cache = ["--cache-dir", os.path.join(os.environ.get("TMPDIR", "/tmp"), "pullmedic-bench-kube-cache")]

    print(f"cluster: {args.pods} pods, {args.failing} failing, {args.events} events, {args.latency_ms} ms per request")
    with sandbox_process(cluster(args.pods, args.failing, args.events), args.latency_ms) as kubeconfig:
        kc = [KUBECTL, "--kubeconfig", kubeconfig, *cache]
        ours, result = median_time([PLUGIN, "why", "-A", "-o", "json", "--kubeconfig", kubeconfig], args.runs)
        found = len(json.loads(result.stdout)["items"])
        pods_time, _ = median_time(kc + ["get", "pods", "-A", "-o", "json"], args.runs)
        events_time, _ = median_time(kc + ["get", "events", "-A", "-o", "json"], args.runs)
        floor = pods_time + events_time
        start_manual, listing = timed(kc + ["get", "pods", "-A", "--no-headers"])
        failing = [line.split()[:2] for line in listing.stdout.splitlines()
                   if "ImagePullBackOff" in line or "ErrImagePull" in line]
        manual = start_manual
        for namespace, name in failing:
            seconds, _ = timed(kc + ["describe", "pod", name, "-n", namespace])
            manual += seconds
    print(f"pullmedic why -A -o json:            {ours:7.2f} s  ({found} diagnoses)")
    print(f"(a) get pods + {len(failing)} x describe pod: {manual:7.2f} s")
    print(f"(b) get pods -o json + get events -o json: {floor:7.2f} s  (pods {pods_time:.2f} s, events {events_time:.2f} s)")
    print(f"ratio (a)/pullmedic: {manual / ours:6.1f}x faster   (target >= 10x)")
    print(f"ratio pullmedic/(b): {ours / floor:6.2f}x          (target <= 1.5x)")

    if args.memory_pods:
        print(f"\nmemory: {args.memory_pods} pods, {args.memory_pods // 25} failing, no latency")
        with sandbox_process(cluster(args.memory_pods, args.memory_pods // 25, args.memory_pods // 5), 0) as kubeconfig:
            peak = peak_rss_mb([PLUGIN, "why", "-A", "-o", "json", "--kubeconfig", kubeconfig])
        print(f"pullmedic why -A peak RSS: {peak:7.1f} MB  (target < 250 MB)")


if __name__ == "__main__":
    main()

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

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import KUBE_CACHE, KUBECTL, PLUGIN, bench_parser, cluster, median_run, run_measured, sandbox_process  # noqa: E402

DONE = (0, 1)  # 1: problems found


def main() -> None:
    parser = bench_parser(__doc__, pods=5000, failing=200, events=20000, latency_ms=2, runs=3)
    parser.add_argument("--memory-pods", type=int, default=50000, help="0 skips the memory measurement")
    args = parser.parse_args()

    print(f"cluster: {args.pods} pods, {args.failing} failing, {args.events} events, {args.latency_ms} ms per request")
    with sandbox_process(cluster(args.pods, args.failing, args.events), args.latency_ms) as kubeconfig:
        kc = [KUBECTL, "--kubeconfig", kubeconfig, *KUBE_CACHE]
        why = median_run([PLUGIN, "why", "-A", "-o", "json", "--kubeconfig", kubeconfig], args.runs, ok=DONE)
        ours, found = why.wall, len(json.loads(why.stdout)["items"])
        pods_time = median_run(kc + ["get", "pods", "-A", "-o", "json"], args.runs, ok=DONE).wall
        events_time = median_run(kc + ["get", "events", "-A", "-o", "json"], args.runs, ok=DONE).wall
        floor = pods_time + events_time
        listing = run_measured(kc + ["get", "pods", "-A", "--no-headers"])
        failing = [line.split()[:2] for line in listing.stdout.splitlines()
                   if "ImagePullBackOff" in line or "ErrImagePull" in line]
        manual = listing.wall
        for namespace, name in failing:
            manual += run_measured(kc + ["describe", "pod", name, "-n", namespace]).wall
    print(f"pullmedic why -A -o json:            {ours:7.2f} s  ({found} diagnoses)")
    print(f"(a) get pods + {len(failing)} x describe pod: {manual:7.2f} s")
    print(f"(b) get pods -o json + get events -o json: {floor:7.2f} s  (pods {pods_time:.2f} s, events {events_time:.2f} s)")
    print(f"ratio (a)/pullmedic: {manual / ours:6.1f}x faster   (target >= 10x)")
    print(f"ratio pullmedic/(b): {ours / floor:6.2f}x          (target <= 1.5x)")

    if args.memory_pods:
        print(f"\nmemory: {args.memory_pods} pods, {args.memory_pods // 25} failing, no latency")
        with sandbox_process(cluster(args.memory_pods, args.memory_pods // 25, args.memory_pods // 5), 0) as kubeconfig:
            peak = run_measured([PLUGIN, "why", "-A", "-o", "json", "--kubeconfig", kubeconfig], keep_output=False).peak_rss_mb
        print(f"pullmedic why -A peak RSS: {peak:7.1f} MB  (target < 250 MB)")


if __name__ == "__main__":
    main()

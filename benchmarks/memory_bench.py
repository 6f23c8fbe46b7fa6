"""Benchmark: peak memory of `why -A` and `secrets-check -A` on a large cluster.

    python benchmarks/memory_bench.py [--pods 150000]

A synthetic cluster (one small container per pod; real pods carry more fields, so real figures
are higher for anything that keeps whole pods) served by the sandbox in its own process; prints
each command's peak resident memory from GNU time (target in issue 14: under 300 MB at 150,000).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import PLUGIN, bench_parser, cluster, run_measured, sandbox_process  # noqa: E402


def main() -> None:
    args = bench_parser(__doc__, pods=150000).parse_args()
    print(f"memory: {args.pods} pods, {args.pods // 25} failing, {args.pods // 5} events, no latency")
    with sandbox_process(cluster(args.pods, args.pods // 25, args.pods // 5), 0) as kubeconfig:
        for command in (["why", "-A", "-o", "json"], ["secrets-check", "-A", "-o", "json"]):
            peak = run_measured([PLUGIN, *command, "--kubeconfig", kubeconfig], keep_output=False).peak_rss_mb
            print(f"pullmedic {' '.join(command):28} peak RSS: {peak:7.1f} MB  (target < 300 MB)")


if __name__ == "__main__":
    main()

"""Benchmark: what the patterns across pods cost `why -A` on a large cluster.

    python benchmarks/patterns_bench.py [--pods 150000 --failing 6000]

In process, over a synthetic cluster: (a) recording what runs (``WorkingImages.add_pod``, run on
every pod of the list as pages arrive) against the bare pass it replaced (``running_repositories``
into a set), with the ratio; (b) ``find_patterns`` over the failing pods' diagnoses; (c) the
PATTERN notes of every group.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import bench_parser, cluster, seconds_of  # noqa: E402

from kubectl_pullmedic.core.diagnose import diagnose_pods, group_diagnoses  # noqa: E402
from kubectl_pullmedic.core.patterns import find_patterns, patterns_of  # noqa: E402
from kubectl_pullmedic.core.podhealth import running_repositories  # noqa: E402
from kubectl_pullmedic.core.working import WorkingImages  # noqa: E402

NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)


def main() -> None:
    args = bench_parser(__doc__, pods=150000, failing=6000).parse_args()
    objects = cluster(args.pods, args.failing, args.failing * 2)
    pods = [o for o in objects if o["kind"] == "Pod"]
    events = [o for o in objects if o["kind"] == "Event"]
    bare: set = set()
    working = WorkingImages()
    before = min(seconds_of(lambda: [bare.update(running_repositories(p)) for p in pods]) for _ in range(3))
    after = min(seconds_of(lambda: [working.add_pod(p) for p in pods]) for _ in range(3))
    print(f"record what runs, {len(pods)} pods: {after:.2f} s (bare running_repositories pass {before:.2f} s, "
          f"ratio {after / before:.2f}x)")
    diagnoses = diagnose_pods([p for p in pods if p["status"]["phase"] == "Pending"], events, now=NOW)
    found = []
    took = seconds_of(lambda: found.extend(find_patterns(diagnoses, working, NOW)))
    print(f"find_patterns over {len(diagnoses)} diagnoses: {took * 1000:.0f} ms "
          f"({', '.join(f'{p.kind} of {len(p.pods)} pods' for p in found) or 'no pattern'})")
    groups = group_diagnoses(diagnoses)
    took = seconds_of(lambda: [patterns_of(group, found) for group in groups])
    print(f"PATTERN notes for {len(groups)} groups: {took * 1000:.0f} ms")


if __name__ == "__main__":
    main()

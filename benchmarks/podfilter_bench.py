"""Benchmark: the CPU ``why -A`` spends on each pod of a list page, without the network.

    python benchmarks/podfilter_bench.py [--pods 1000 --failing 40]

``--all-contexts`` runs every context's filter in one Python process, so this cost adds up over
the fleet however many contexts are read at once (see contexts_bench.py). Times, best of
``--repeat``, per 1000 pods: decoding the page (``json.loads``), the filter ``gather.pods_matching``
applies (``has_problem or may_be_pulling``) and what it observes (``WorkingImages.add_pod``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import bench_parser, cluster, seconds_of  # noqa: E402

from kubectl_pullmedic.core.podhealth import has_problem  # noqa: E402
from kubectl_pullmedic.core.pulls.progress import may_be_pulling  # noqa: E402
from kubectl_pullmedic.core.working import WorkingImages  # noqa: E402


def best_ms(work: Callable[[], object], repeat: int) -> float:
    return min(seconds_of(work) for _ in range(repeat)) * 1000


def main() -> None:
    args = bench_parser(__doc__, pods=1000, failing=40, repeat=9).parse_args()
    pods = [obj for obj in cluster(args.pods, args.failing, 0) if obj.get("kind") == "Pod"]
    page = json.dumps({"kind": "PodList", "items": pods}).encode()
    per = 1000 / len(pods)

    def observe() -> None:
        working = WorkingImages()
        for pod in pods:
            working.add_pod(pod)

    figures = {
        "decode (json.loads)": best_ms(lambda: json.loads(page), args.repeat),
        "has_problem": best_ms(lambda: [has_problem(pod) for pod in pods], args.repeat),
        "may_be_pulling": best_ms(lambda: [may_be_pulling(pod) for pod in pods], args.repeat),
        "add_pod (observe)": best_ms(observe, args.repeat),
    }
    kept = sum(1 for pod in pods if has_problem(pod) or may_be_pulling(pod))
    print(f"{len(pods)} pods ({len(page) / 1e6:.1f} MB page), {kept} kept; ms per 1000 pods, best of {args.repeat}:")
    for name, ms in figures.items():
        print(f"  {name:22s} {ms * per:6.2f}")
    print(f"  {'filter + observe':22s} {sum(ms for name, ms in figures.items() if 'decode' not in name) * per:6.2f}")


if __name__ == "__main__":
    main()

"""Benchmark: `kubectl pullmedic clean -A --yes` against `kubectl delete pods -A --field-selector status.phase=Failed`.

    python benchmarks/clean_bench.py [--evicted 2000 --latency-ms 5]

Each side gets a fresh sandbox holding the same evicted pods (plus running pods and failed Job
pods that are not evicted); prints both times, the ratio (target: >= 5x faster), and checks
that the same evicted pods are gone, and what kubectl deleted besides them.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import KUBE_CACHE, KUBECTL, PLUGIN, api_request, bench_parser, pod, run_measured, sandbox_process  # noqa: E402


def objects(evicted: int, running: int, failed_jobs: int):
    items = [pod(f"api-{i:05d}", f"team-{i % 10}", evicted=True) for i in range(evicted)]
    items += [pod(f"web-{i:05d}", f"team-{i % 10}") for i in range(running)]
    for i in range(failed_jobs):
        job_pod = pod(f"report-{i:05d}", f"team-{i % 10}")
        job_pod["status"] = {"phase": "Failed", "containerStatuses": [{"name": "web", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}
        job_pod["metadata"]["ownerReferences"] = [{"apiVersion": "batch/v1", "kind": "Job", "name": f"report-{i:05d}", "uid": f"job-{i}", "controller": True}]
        items.append(job_pod)
    return items


def remaining(kubeconfig: str) -> set:
    """(namespace, name) of every pod the server still holds."""
    pods = json.loads(urllib.request.urlopen(api_request(kubeconfig, "/api/v1/pods")).read())["items"]
    return {(p["metadata"]["namespace"], p["metadata"]["name"]) for p in pods}


def main() -> None:
    args = bench_parser(__doc__, evicted=2000, running=500, failed_jobs=50, latency_ms=5).parse_args()
    data = objects(args.evicted, args.running, args.failed_jobs)
    everything = {(p["metadata"]["namespace"], p["metadata"]["name"]) for p in data}
    evicted = {key for key in everything if key[1].startswith("api-")}
    print(f"cluster: {args.evicted} evicted, {args.running} running, {args.failed_jobs} failed Job pods; {args.latency_ms} ms per request")

    with sandbox_process(data, args.latency_ms) as kubeconfig:
        ours = run_measured([PLUGIN, "clean", "-A", "--yes", "--kubeconfig", kubeconfig], ok=[0]).wall
        ours_gone = everything - remaining(kubeconfig)
    with sandbox_process(data, args.latency_ms) as kubeconfig:
        theirs = run_measured([KUBECTL, "--kubeconfig", kubeconfig, *KUBE_CACHE, "delete", "pods", "-A",
                               "--field-selector", "status.phase=Failed"], ok=[0]).wall
        theirs_gone = everything - remaining(kubeconfig)

    print(f"pullmedic clean -A --yes:                          {ours:7.2f} s  deleted {len(ours_gone)}")
    print(f"kubectl delete pods -A --field-selector status.phase=Failed: {theirs:7.2f} s  deleted {len(theirs_gone)}")
    print(f"ratio: {theirs / ours:5.1f}x faster   (target >= 5x)")
    print(f"same evicted pods gone: {ours_gone == evicted == (theirs_gone & evicted)}")
    print(f"kubectl also deleted {len(theirs_gone - evicted)} failed pods that were not evicted; pullmedic deleted {len(ours_gone - evicted)}")


if __name__ == "__main__":
    main()

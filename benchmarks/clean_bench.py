"""Benchmark: `kubectl pullmedic clean -A --yes` against `kubectl delete pods -A --field-selector status.phase=Failed`.

    python benchmarks/clean_bench.py [--evicted 2000 --latency-ms 5]

Each side gets a fresh sandbox holding the same evicted pods (plus running pods and failed Job
pods that are not evicted); prints both times, the ratio (target: >= 5x faster), and checks
that the same evicted pods are gone, and what kubectl deleted besides them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import urllib.request
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import pod, sandbox_process, timed  # noqa: E402

KUBECTL = shutil.which("kubectl") or "kubectl"
PLUGIN = str(Path(sys.executable).parent / "kubectl-pullmedic")


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
    config = yaml.safe_load(open(kubeconfig))
    server = config["clusters"][0]["cluster"]["server"]
    token = config["users"][0]["user"].get("token", "")
    request = urllib.request.Request(server + "/api/v1/pods", headers={"Authorization": f"Bearer {token}"})
    return {(p["metadata"]["namespace"], p["metadata"]["name"]) for p in json.loads(urllib.request.urlopen(request).read())["items"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--evicted", type=int, default=2000)
    parser.add_argument("--running", type=int, default=500)
    parser.add_argument("--failed-jobs", type=int, default=50)
    parser.add_argument("--latency-ms", type=int, default=5)
    args = parser.parse_args()
    data = objects(args.evicted, args.running, args.failed_jobs)
    everything = {(p["metadata"]["namespace"], p["metadata"]["name"]) for p in data}
    evicted = {key for key in everything if key[1].startswith("api-")}
    cache = ["--cache-dir", os.path.join(os.environ.get("TMPDIR", "/tmp"), "pullmedic-bench-kube-cache")]
    print(f"cluster: {args.evicted} evicted, {args.running} running, {args.failed_jobs} failed Job pods; {args.latency_ms} ms per request")

    with sandbox_process(data, args.latency_ms) as kubeconfig:
        ours, result = timed([PLUGIN, "clean", "-A", "--yes", "--kubeconfig", kubeconfig])
        assert result.returncode == 0, result.stderr
        ours_gone = everything - remaining(kubeconfig)
    with sandbox_process(data, args.latency_ms) as kubeconfig:
        theirs, result = timed([KUBECTL, "--kubeconfig", kubeconfig, *cache, "delete", "pods", "-A",
                                "--field-selector", "status.phase=Failed"])
        assert result.returncode == 0, result.stderr
        theirs_gone = everything - remaining(kubeconfig)

    print(f"pullmedic clean -A --yes:                          {ours:7.2f} s  deleted {len(ours_gone)}")
    print(f"kubectl delete pods -A --field-selector status.phase=Failed: {theirs:7.2f} s  deleted {len(theirs_gone)}")
    print(f"ratio: {theirs / ours:5.1f}x faster   (target >= 5x)")
    print(f"same evicted pods gone: {ours_gone == evicted == (theirs_gone & evicted)}")
    print(f"kubectl also deleted {len(theirs_gone - evicted)} failed pods that were not evicted; pullmedic deleted {len(ours_gone - evicted)}")


if __name__ == "__main__":
    main()

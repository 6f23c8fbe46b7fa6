"""Synthetic clusters for the benchmarks: many pods, some failing to pull, many events.

The shapes are the kubelet's (see the scenario files); only the numbers are made up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from typing import Dict, Iterator, List

Obj = Dict[str, object]
NOW = "2030-01-01T00:00:00Z"
PULL_ERROR = ('Failed to pull image "registry.example.com/shop/web:{tag}": rpc error: code = NotFound desc = '
              'failed to pull and unpack image "registry.example.com/shop/web:{tag}": failed to resolve reference '
              '"registry.example.com/shop/web:{tag}": registry.example.com/shop/web:{tag}: not found')


def pod(name: str, namespace: str, *, failing: bool = False, evicted: bool = False, node: str = "") -> Obj:
    uid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{namespace}/{name}"))
    tag = "1.0" if not failing else "1.0-typo"
    metadata = {"name": name, "namespace": namespace, "uid": uid, "creationTimestamp": "2029-12-31T23:00:00Z",
                "labels": {"app": name.rsplit("-", 1)[0]}}
    spec = {"nodeName": node or f"node-{hash(name) % 20}",
            "containers": [{"name": "web", "image": f"registry.example.com/shop/web:{tag}"}]}
    if evicted:
        status = {"phase": "Failed", "reason": "Evicted",
                  "message": "The node was low on resource: memory. Threshold quantity: 100Mi, available: 80Mi. "
                             "Container web was using 1Gi, request is 256Mi, has larger consumption of memory. "}
    elif failing:
        status = {"phase": "Pending", "containerStatuses": [{"name": "web", "ready": False, "restartCount": 0,
                  "image": f"registry.example.com/shop/web:{tag}",
                  "state": {"waiting": {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "registry.example.com/shop/web:{tag}"'}}}]}
    else:
        status = {"phase": "Running", "containerStatuses": [{"name": "web", "ready": True, "restartCount": 0,
                  "image": "registry.example.com/shop/web:1.0", "state": {"running": {"startedAt": "2029-12-31T23:01:00Z"}}}]}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": status}


def event(of: Obj, index: int, *, reason: str = "Failed", kind: str = "Warning", message: str = "") -> Obj:
    metadata = of["metadata"]
    return {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": f"{metadata['name']}.{index:016x}", "namespace": metadata["namespace"]},
        "involvedObject": {"kind": "Pod", "namespace": metadata["namespace"], "name": metadata["name"],
                           "uid": metadata["uid"], "apiVersion": "v1", "fieldPath": "spec.containers{web}"},
        "reason": reason, "type": kind, "message": message or "Started container web",
        "source": {"component": "kubelet", "host": of["spec"]["nodeName"]},
        "count": 5, "firstTimestamp": "2029-12-31T23:10:00Z", "lastTimestamp": "2029-12-31T23:50:00Z",
    }


def cluster(pods: int, failing: int, events: int, evicted: int = 0, namespaces: int = 20) -> List[Obj]:
    """``pods`` pods across namespaces; the first ``failing`` cannot pull, the next ``evicted`` were evicted."""
    objects: List[Obj] = []
    made: List[Obj] = []
    for i in range(pods):
        made.append(pod(f"web-{i:06d}", f"team-{i % namespaces:02d}", failing=i < failing,
                        evicted=failing <= i < failing + evicted))
    objects.extend(made)
    for i in range(events):
        target = made[i % len(made)]
        failing_pod = target["status"]["phase"] == "Pending"
        if failing_pod and i < failing * 2:
            tag = "1.0-typo"
            objects.append(event(target, i, message=PULL_ERROR.format(tag=tag)))
        else:
            objects.append(event(target, i, reason="Started", kind="Normal"))
    return objects


def node(name: str) -> Obj:
    """A Ready node as the kubelet reports it, with the images it holds (what makes real nodes large)."""
    images = [{"names": [f"registry.example.com/shop/img-{i}@sha256:{i:064x}", f"registry.example.com/shop/img-{i}:1.0"],
               "sizeBytes": 10_000_000 + i} for i in range(20)]
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
                                                             "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                                                                        "kubernetes.io/arch": "amd64"}},
            "status": {"conditions": [{"type": "Ready", "status": "True"}],
                       "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110", "ephemeral-storage": "100Gi"},
                       "allocatable": {"cpu": "7800m", "memory": "31Gi", "pods": "110", "ephemeral-storage": "95Gi"},
                       "nodeInfo": {"operatingSystem": "linux", "architecture": "amd64", "kubeletVersion": "v1.31.0",
                                    "containerRuntimeVersion": "containerd://1.7.20"},
                       "images": images}}


@contextmanager
def sandbox_process(objects: List[Obj], latency_ms: int, tls: "tuple[str, str] | None" = None) -> Iterator[str]:
    """The sandbox in its own process (so it does not share a GIL with what is measured); HTTPS with ``tls``."""
    with tempfile.TemporaryDirectory() as directory:
        dump = os.path.join(directory, "objects.json")
        with open(dump, "w") as handle:
            json.dump({"apiVersion": "v1", "kind": "List", "items": objects}, handle)
        kubeconfig = os.path.join(directory, "kubeconfig")
        server = subprocess.Popen(
            [sys.executable, "-m", "kubectl_pullmedic.sandbox", "--objects", dump, "--latency-ms", str(latency_ms),
             "--kubeconfig", kubeconfig, *(["--tls-cert", tls[0], "--tls-key", tls[1]] if tls else [])],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            assert server.stdout is not None
            path = server.stdout.readline().strip()
            yield path
        finally:
            server.terminate()
            server.wait(timeout=10)


def timed(command: List[str], **kwargs: object) -> "tuple[float, subprocess.CompletedProcess[str]]":
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - start, result


def peak_rss_mb(command: List[str]) -> float:
    """Peak resident memory of one command, from GNU time."""
    result = subprocess.run(["/usr/bin/time", "-f", "%M", *command], capture_output=True, text=True)
    return int(result.stderr.strip().splitlines()[-1]) / 1024


def measured(command: List[str]) -> "tuple[float, float, int]":
    """(wall seconds, peak RSS in MB, exit code) of one run, from GNU time; its output is thrown away."""
    with tempfile.NamedTemporaryFile("r") as report:
        result = subprocess.run(["/usr/bin/time", "-o", report.name, "-f", "%e %M", *command],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        seconds, kilobytes = report.read().split()[-2:]
    return float(seconds), int(kilobytes) / 1024, result.returncode

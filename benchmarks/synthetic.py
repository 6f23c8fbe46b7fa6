"""Synthetic clusters for the benchmarks (many pods, some failing to pull, many events), and
what every benchmark does with them: the sandbox in its own process, one way to run and measure a
command (``run_measured``: wall, CPU, peak RSS, exit code, output), one parser for the sizes.

The shapes are the kubelet's (see the scenario files); only the numbers are made up.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Collection, Dict, Iterator, List, Optional, Sequence

import yaml

Obj = Dict[str, object]
def _compiled() -> None:
    """The plugin's bytecode written once: an editable install under PYTHONDONTWRITEBYTECODE would
    compile every module on every run (some 0.25 s), which no installed plugin does (pip and the
    first run of a Krew install write it)."""
    compileall.compile_dir(str(Path(__file__).resolve().parent.parent / "kubectl_pullmedic"), quiet=1)


_compiled()
KUBECTL = shutil.which("kubectl") or "kubectl"
PLUGIN = str(Path(sys.executable).parent / "kubectl-pullmedic")  # this venv's
KUBE_CACHE = ["--cache-dir", os.path.join(os.environ.get("TMPDIR", "/tmp"), "pullmedic-bench-kube-cache")]
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


def server_of(kubeconfig: str) -> "tuple[str, str]":
    """The server URL and bearer token of a sandbox's kubeconfig (its first cluster and user)."""
    document = yaml.safe_load(Path(kubeconfig).read_text())
    return document["clusters"][0]["cluster"]["server"], document["users"][0]["user"].get("token", "")


def api_request(kubeconfig: str, path: str) -> urllib.request.Request:
    """A GET of ``path`` on the sandbox, past kubectl and the plugin (what the server really holds)."""
    server, token = server_of(kubeconfig)
    return urllib.request.Request(server + path, headers={"Authorization": f"Bearer {token}"})


@dataclass(frozen=True)
class Measurement:
    """One run of a command: wall and CPU seconds (user + system, its children included), peak RSS."""

    wall: float
    cpu: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


def run_measured(command: List[str], *, keep_output: bool = True, ok: Optional[Collection[int]] = None,
                 env: Optional[Dict[str, str]] = None) -> Measurement:
    """Run ``command`` once under GNU time (for the peak RSS) and measure it.

    ``keep_output=False`` throws stdout and stderr away (a 150,000-pod JSON is not worth holding);
    with ``ok``, another exit code ends the benchmark with the command's stderr. The time and CPU of
    GNU time itself (about a millisecond) are included.
    """
    output = subprocess.PIPE if keep_output else subprocess.DEVNULL
    with tempfile.NamedTemporaryFile("r") as report:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(["/usr/bin/time", "-o", report.name, "-f", "%M", *command],
                                stdout=output, stderr=output, text=True, env=env)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        kilobytes = report.read().split()[-1]  # after "Command exited with non-zero status N", if any
    if ok is not None and result.returncode not in ok:
        raise SystemExit(f"{' '.join(command)} exited {result.returncode}: {(result.stderr or '').strip()}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return Measurement(wall, cpu, int(kilobytes) / 1024, result.returncode, result.stdout or "", result.stderr or "")


def median_of(runs: Sequence[Measurement]) -> Measurement:
    """The median wall and CPU time, the highest peak RSS, and the last run's exit code and output."""
    walls, cpus = sorted(run.wall for run in runs), sorted(run.cpu for run in runs)
    return replace(runs[-1], wall=walls[len(runs) // 2], cpu=cpus[len(runs) // 2],
                   peak_rss_mb=max(run.peak_rss_mb for run in runs))


def median_run(command: List[str], runs: int, **options: Any) -> Measurement:
    """``median_of`` ``runs`` runs of ``command`` in a row (``options`` as ``run_measured``'s)."""
    return median_of([run_measured(command, **options) for _ in range(runs)])


def self_signed(directory: str) -> "tuple[str, str]":
    """A certificate and key for 127.0.0.1, for a sandbox served over HTTPS as a real API server is."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def seconds_of(work: Callable[[], object]) -> float:
    """Wall seconds of one call in this process (what the in-process benchmarks time)."""
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def bench_parser(doc: str, **sizes: int) -> argparse.ArgumentParser:
    """The benchmark's parser: its docstring as help, and an int option per size (``latency_ms=2``:
    ``--latency-ms``, default 2). Options of other kinds are added by the benchmark."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, default in sizes.items():
        parser.add_argument("--" + name.replace("_", "-"), type=int, default=default)
    return parser

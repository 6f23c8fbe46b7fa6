"""Benchmark: the sandbox API server's own speed (the tests check what it answers, not how fast).

    python benchmarks/sandbox_bench.py [--pods 50000 --page 500 --latency-ms 40 --runs 5]

Against a sandbox in its own process, times:
  (a) paging through --pods pods, --page at a time, with the `kubernetes` client (target: the
      slowest page under 0.5 s);
  (b) one GET of a pod with --latency-ms set, against the same GET without (target: at least
      --latency-ms added, not much more);
  (c) the first event of a watch (the current pods as ADDED), and a watch with
      timeoutSeconds=1 to its end (target: the first well under 0.1 s, the second about 1 s);
  (d) `kubectl delete pods --field-selector status.phase=Failed`, which waits until the pods
      are gone (target: under 10 s);
  (e) --watchers watches open while pods are created one by one through the API: the delay from
      each create's request to each watcher's event for it (target: median under 50 ms);
then prints the figures.
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Callable

from kubernetes import client, config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import (KUBE_CACHE, KUBECTL, api_request, bench_parser, cluster, pod, run_measured,  # noqa: E402
                       sandbox_process, seconds_of)


def median_seconds(call: Callable[[], object], runs: int) -> float:
    return statistics.median(seconds_of(call) for _ in range(runs))


def raw_get(kubeconfig: str, path: str) -> bytes:
    with urllib.request.urlopen(api_request(kubeconfig, path), timeout=60) as response:
        return response.read()


def first_line(kubeconfig: str, path: str, to_end: bool = False) -> bytes:
    """A watch's first event line (or, ``to_end``, everything until the server ends it)."""
    with urllib.request.urlopen(api_request(kubeconfig, path), timeout=60) as response:
        return response.read() if to_end else response.readline()


def paging(kubeconfig: str, page_size: int) -> "tuple[int, int, float, float]":
    api = client.CoreV1Api(config.new_client_from_config(config_file=kubeconfig))
    token, times, items = None, [], 0
    while True:
        start = time.perf_counter()
        response = api.list_pod_for_all_namespaces(limit=page_size, _continue=token, _preload_content=False)
        page = json.loads(response.data)
        times.append(time.perf_counter() - start)
        items += len(page["items"])
        token = page["metadata"].get("continue")
        if not token:
            return len(times), items, statistics.median(times), max(times)


def watch_delays(kubeconfig: str, watchers: int, creates: int) -> "list[float]":
    """Seconds from each create's request to each watcher's ADDED event for that pod."""
    api = client.CoreV1Api(config.new_client_from_config(config_file=kubeconfig))
    version = json.loads(api.list_namespaced_pod("shop", _preload_content=False).data)["metadata"]["resourceVersion"]
    path = f"/api/v1/namespaces/shop/pods?watch=true&resourceVersion={version}&timeoutSeconds=60"
    seen: "list[dict[str, float]]" = [{} for _ in range(watchers)]
    streams = [urllib.request.urlopen(api_request(kubeconfig, path), timeout=60) for _ in range(watchers)]

    def follow(stream, arrivals: "dict[str, float]") -> None:
        for line in stream:
            arrivals[json.loads(line)["object"]["metadata"]["name"]] = time.perf_counter()
            if len(arrivals) == creates:
                return

    threads = [threading.Thread(target=follow, args=(stream, arrivals), daemon=True)
               for stream, arrivals in zip(streams, seen)]
    for thread in threads:
        thread.start()
    sent = {}
    for index in range(creates):
        name = f"watched-{index}"
        sent[name] = time.perf_counter()
        body = {"metadata": {"name": name}, "spec": {"containers": [{"name": "app", "image": "registry.example.com/app:1"}]}}
        api.create_namespaced_pod("shop", body, _preload_content=False)
    for thread in threads:
        thread.join(timeout=60)
    for stream in streams:
        stream.close()
    return [arrivals[name] - started for arrivals in seen for name, started in sent.items() if name in arrivals]


def main() -> None:
    args = bench_parser(__doc__, pods=50000, page=500, latency_ms=40, runs=5, watchers=20, creates=200).parse_args()

    print(f"(a) paging: {args.pods} pods (a tenth evicted), {args.page} a page, no latency")
    with sandbox_process(cluster(args.pods, 0, 0, evicted=args.pods // 10, namespaces=40), 0) as kubeconfig:
        pages, items, median_page, slowest_page = paging(kubeconfig, args.page)
    print(f"    {pages} pages, {items} pods: median page {median_page:6.3f} s, slowest {slowest_page:6.3f} s"
          f"  (target: slowest < 0.5 s)")

    small = [pod("web", "shop"), pod("evicted-1", "shop", evicted=True), pod("evicted-2", "shop", evicted=True)]
    one_pod = "/api/v1/namespaces/shop/pods/web"
    with sandbox_process(small, 0) as kubeconfig:
        plain = median_seconds(lambda: raw_get(kubeconfig, one_pod), args.runs)
        no_wait = median_seconds(lambda: first_line(kubeconfig, "/api/v1/namespaces/shop/pods?watch=true"), args.runs)
        default_wait = seconds_of(lambda: first_line(kubeconfig, "/api/v1/namespaces/shop/pods?watch=true&timeoutSeconds=1",
                                                     to_end=True))
    with sandbox_process(small, args.latency_ms) as kubeconfig:
        delayed = median_seconds(lambda: raw_get(kubeconfig, one_pod), args.runs)
    added_ms = (delayed - plain) * 1000
    print(f"(b) GET a pod: {plain * 1000:7.1f} ms; with --latency-ms {args.latency_ms}: {delayed * 1000:7.1f} ms"
          f"  (+{added_ms:.1f} ms, target >= {args.latency_ms} ms)")
    print(f"(c) watch, first event: {no_wait:6.3f} s; timeoutSeconds=1 to its end: {default_wait:6.3f} s"
          f"  (target: the first well under 0.1 s, the second about 1 s)")

    with sandbox_process(small, 0) as kubeconfig:
        deleted = run_measured([KUBECTL, "--kubeconfig", kubeconfig, *KUBE_CACHE, "delete", "pods", "-n", "shop",
                                "--field-selector", "status.phase=Failed"], ok=[0])
    print(f"(d) kubectl delete pods --field-selector status.phase=Failed: {deleted.wall:6.2f} s,"
          f" {len(deleted.stdout.splitlines())} deleted  (target < 10 s)")

    with sandbox_process(small, 0) as kubeconfig:
        delays = sorted(watch_delays(kubeconfig, args.watchers, args.creates))
    expected = args.watchers * args.creates
    print(f"(e) {args.watchers} watches, {args.creates} creates: {len(delays)}/{expected} events, delay median"
          f" {statistics.median(delays) * 1000:6.1f} ms, 99th {delays[int(len(delays) * 0.99) - 1] * 1000:6.1f} ms,"
          f" slowest {delays[-1] * 1000:6.1f} ms  (target: all events, median < 50 ms)")


if __name__ == "__main__":
    main()

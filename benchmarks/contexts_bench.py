"""Benchmark: `why -A --all-contexts` over many clusters against the slowest single cluster.

    python benchmarks/contexts_bench.py [--contexts 20 --pods 1000 --failing 40 --events 2000 --latency-ms 5]

Starts ``--contexts`` sandboxes, each in its own process with the same synthetic cluster, served
over HTTPS (as a real API server is; ``--plain-http`` to skip TLS) with a per-request latency that
grows with the context's number (context i answers in ``latency-ms + i * latency-step-ms``), so one
context is clearly the slowest. One kubeconfig names them all. Times (medians):
  (a) `why -A -o json --context C` for every context alone, to find the sum;
  (b) in alternated rounds (the shared machine's load drifts): the slowest context alone,
      `why -A -o json --all-contexts` as installed (on Linux, one process per CPU), and the same
      confined to one CPU with taskset (one process: the contexts' CPU work taken in turn);
and prints the ratios to the slowest single context (target: about 1x, far from the sum), with the
CPU time each command used and the CPU the sandboxes spent answering it: on a machine of few
cores the servers of a whole fleet compete with the plugin for them, which real clusters do not.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Dict, List

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import PLUGIN, Measurement, bench_parser, cluster, median_of, run_measured, sandbox_process, self_signed  # noqa: E402


def merged_kubeconfig(paths: List[str], directory: str) -> str:
    """One kubeconfig naming every sandbox's context ``ctx-NN`` (cluster and user renamed alike)."""
    merged = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": [], "current-context": "ctx-00"}
    for number, path in enumerate(paths):
        name = f"ctx-{number:02d}"
        document = yaml.safe_load(Path(path).read_text())
        merged["clusters"].append({"name": name, "cluster": document["clusters"][0]["cluster"]})
        merged["users"].append({"name": name, "user": document["users"][0]["user"]})
        merged["contexts"].append({"name": name, "context": {"cluster": name, "user": name}})
    target = os.path.join(directory, "kubeconfig")
    Path(target).write_text(yaml.safe_dump(merged))
    return target


def sandbox_cpu_seconds() -> float:
    """The CPU time (user + system) this benchmark's sandbox processes have used so far."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == os.getpid() and b"kubectl_pullmedic.sandbox" in command:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def measured_with_servers(command: List[str]) -> "tuple[Measurement, float]":
    """One run of ``command`` (exit 0 or 1) and the sandboxes' CPU time during it."""
    before = sandbox_cpu_seconds()
    run = run_measured(command, ok=(0, 1))
    return run, sandbox_cpu_seconds() - before


def main() -> None:
    parser = bench_parser(__doc__, contexts=20, pods=1000, failing=40, events=2000, latency_ms=5, latency_step_ms=1,
                          rounds=7)
    parser.add_argument("--plain-http", action="store_true", help="serve plain HTTP instead of HTTPS")
    args = parser.parse_args()
    objects = cluster(args.pods, args.failing, args.events)
    cpus = len(os.sched_getaffinity(0))
    print(f"{args.contexts} contexts, each {args.pods} pods, {args.failing} failing, {args.events} events; "
          f"latency {args.latency_ms} ms + {args.latency_step_ms} ms per context number; "
          f"{'HTTP' if args.plain_http else 'HTTPS'}; {cpus} CPUs")
    with ExitStack() as stack, tempfile.TemporaryDirectory() as directory:
        tls = None if args.plain_http else self_signed(directory)
        paths = [stack.enter_context(sandbox_process(objects, args.latency_ms + number * args.latency_step_ms, tls))
                 for number in range(args.contexts)]
        kubeconfig = merged_kubeconfig(paths, directory)
        why = [PLUGIN, "why", "-A", "-o", "json", "--kubeconfig", kubeconfig]
        singles = [run_measured(why + ["--context", f"ctx-{number:02d}"], ok=(0, 1)).wall
                   for number in range(args.contexts)]
        # The slowest by design (the most latency), not the first pass's maximum: one noisy run would pick it.
        slowest_name = f"ctx-{args.contexts - 1:02d}"
        one_cpu = [shutil.which("taskset") or "taskset", "-c", "0"]
        commands = {"slowest": why + ["--context", slowest_name], "fleet": why + ["--all-contexts"],
                    "one process": one_cpu + why + ["--all-contexts"]}
        runs: Dict[str, List[Measurement]] = {key: [] for key in commands}
        servers: Dict[str, List[float]] = {key: [] for key in commands}
        for _ in range(args.rounds):  # in turn, so each median is taken over the same stretch of time
            for key, command in commands.items():
                run, server_cpu = measured_with_servers(command)
                runs[key].append(run)
                servers[key].append(server_cpu)
        medians = {key: median_of(taken) for key, taken in runs.items()}
        server = {key: sorted(taken)[len(taken) // 2] for key, taken in servers.items()}
        items = json.loads(medians["fleet"].stdout)["items"]
        contexts = len({item["context"] for item in items})
    slowest = medians["slowest"].wall
    print(f"single context, slowest ({slowest_name}): {slowest:6.2f} s   (CPU {medians['slowest'].cpu:.2f} s, sandbox "
          f"{server['slowest']:.2f} s; first pass: fastest {min(singles):.2f} s, sum of all {sum(singles):.2f} s)")
    for key, label in (("fleet", f"--all-contexts ({cpus} processes)"), ("one process", "--all-contexts (taskset, 1 CPU)")):
        print(f"{label:38} {medians[key].wall:6.2f} s   (CPU {medians[key].cpu:.2f} s, sandboxes {server[key]:.2f} s; "
              f"{medians[key].peak_rss_mb:.0f} MB)")
    print(f"  {len(items)} diagnoses from {contexts} contexts")
    print(f"ratio --all-contexts / slowest single: {medians['fleet'].wall / slowest:5.2f}x  (one process: "
          f"{medians['one process'].wall / slowest:.2f}x; the sum would be {sum(singles) / slowest:.1f}x; "
          f"target: about 1x)  [medians of {args.rounds} alternated rounds]")


if __name__ == "__main__":
    main()

"""Benchmark: `why -A --all-contexts` over many clusters against the slowest single cluster.

    python benchmarks/contexts_bench.py [--contexts 20 --pods 1000 --failing 40 --events 2000 --latency-ms 5]

Starts ``--contexts`` sandboxes, each in its own process with the same synthetic cluster and a
per-request latency that grows with the context's number (context i answers in
``latency-ms + i * latency-step-ms``), so one context is clearly the slowest. One kubeconfig
names them all. Times (medians):
  (a) `why -A -o json --context C` for every context alone, to find the slowest and the sum;
  (b) in alternated rounds (the shared machine's load drifts): the slowest context alone,
      `why -A -o json --all-contexts` (default --parallel, 20) and with `--parallel 8`;
and prints the ratios to the slowest single context (target: about 1x, far from the sum), with the
CPU time each command used: the plugin is one Python process, so what it computes for every
context (decoding and filtering each cluster's pods, rendering every diagnosis) adds up however
many contexts are read at once; latency is what the threads overlap.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import List

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import cluster, sandbox_process, timed  # noqa: E402

PLUGIN = str(Path(sys.executable).parent / "kubectl-pullmedic")


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


def median_time(command: List[str], runs: int) -> "tuple[float, object, float]":
    """The median wall time, the last result, and the median CPU time (user + system) the command used."""
    times, cpu, result = [], [], None
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds, result = timed(command)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(command)} exited {result.returncode}: {result.stderr.strip()}")
        times.append(seconds)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return sorted(times)[len(times) // 2], result, sorted(cpu)[len(cpu) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contexts", type=int, default=20)
    parser.add_argument("--pods", type=int, default=1000)
    parser.add_argument("--failing", type=int, default=40)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--latency-ms", type=int, default=5)
    parser.add_argument("--latency-step-ms", type=int, default=1)
    parser.add_argument("--runs", type=int, default=1, help="runs per single context in the first pass")
    parser.add_argument("--rounds", type=int, default=7, help="alternated rounds of the slowest context and the fleet")
    args = parser.parse_args()
    objects = cluster(args.pods, args.failing, args.events)
    print(f"{args.contexts} contexts, each {args.pods} pods, {args.failing} failing, {args.events} events; "
          f"latency {args.latency_ms} ms + {args.latency_step_ms} ms per context number")
    with ExitStack() as stack, tempfile.TemporaryDirectory() as directory:
        paths = [stack.enter_context(sandbox_process(objects, args.latency_ms + number * args.latency_step_ms))
                 for number in range(args.contexts)]
        kubeconfig = merged_kubeconfig(paths, directory)
        why = [PLUGIN, "why", "-A", "-o", "json", "--kubeconfig", kubeconfig]
        singles, single_cpu = [], []
        for number in range(args.contexts):
            seconds, _, cpu = median_time(why + ["--context", f"ctx-{number:02d}"], args.runs)
            singles.append(seconds)
            single_cpu.append(cpu)
        # The slowest by design (the most latency), not the first pass's maximum: one noisy run would pick it.
        total, slowest_name = sum(singles), f"ctx-{args.contexts - 1:02d}"
        # The shared machine's load drifts: the slowest context alone and both fleet commands are
        # run in turn, round after round, so each median is taken over the same stretch of time.
        rounds: dict = {"slowest": [], "default": [], "eight": []}
        commands = {"slowest": why + ["--context", slowest_name], "default": why + ["--all-contexts"],
                    "eight": why + ["--all-contexts", "--parallel", "8"]}
        for _ in range(args.rounds):
            for key, command in commands.items():
                rounds[key].append(median_time(command, 1))
        slowest, _, slowest_cpu = _medians(rounds["slowest"])
        together, result, together_cpu = _medians(rounds["default"])
        eight, _, eight_cpu = _medians(rounds["eight"])
        items = json.loads(result.stdout)["items"]  # type: ignore[attr-defined]
        contexts = len({item["context"] for item in items})
    print(f"single context, slowest ({slowest_name}): {slowest:7.2f} s   (CPU {slowest_cpu:.2f} s; first pass: fastest "
          f"{min(singles):.2f} s, sum of all {total:.2f} s, CPU per context {min(single_cpu):.2f}-{max(single_cpu):.2f} s)")
    print(f"--all-contexts (default --parallel):  {together:7.2f} s   ({len(items)} diagnoses from {contexts} contexts; "
          f"CPU {together_cpu:.2f} s)")
    print(f"--all-contexts --parallel 8:          {eight:7.2f} s   (CPU {eight_cpu:.2f} s)")
    print(f"ratio --all-contexts / slowest single: {together / slowest:5.2f}x  (--parallel 8: "
          f"{eight / slowest:.2f}x; the sum would be {total / slowest:.1f}x; target: about 1x)  "
          f"[medians of {args.rounds} alternated rounds]")


def _medians(runs: list) -> "tuple[float, object, float]":
    """The median wall time, the last result and the median CPU time of single runs."""
    times, cpu = sorted(run[0] for run in runs), sorted(run[2] for run in runs)
    return times[len(times) // 2], runs[-1][1], cpu[len(cpu) // 2]

if __name__ == "__main__":
    main()

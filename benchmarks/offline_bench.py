"""Benchmark: `why -A -f` and `evicted -A -f` on a large dump, against reading the same files at all.

    python benchmarks/offline_bench.py [--pods 50000] [--plugin PATH] [--no-live] [--list-only]

Writes a synthetic cluster in the layout of `kubectl cluster-info dump --output-directory`
(per-namespace pods.json and events.json, nodes.json; indented as kubectl writes), its tar.gz and
its single stream (`kubectl cluster-info dump` to stdout) and one `kubectl get pods,events -A -o json`
file (a single `List` document of the whole cluster, read item by item), then prints each command's time and peak
resident memory, those of `python -c json.load(...)` of every file (what reading the whole dump at
once costs; the reader loads one file at a time, so it should stay well under), and those of the
same commands live, on the sandbox serving the same objects. `--plugin`: another build's
`kubectl-pullmedic` (e.g. main's, for figures before a change).
"""

from __future__ import annotations

import json
import sys
import tarfile
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import PLUGIN, Obj, bench_parser, cluster, run_measured, sandbox_process  # noqa: E402


def write_info_dump(objects: List[Obj], root: Path) -> int:
    """The cluster-info folder of ``objects``; its size in bytes."""
    lists: Dict[str, Dict[str, List[Obj]]] = defaultdict(lambda: defaultdict(list))
    for obj in objects:
        lists[obj["metadata"].get("namespace", "")][obj["kind"]].append(obj)
    root.mkdir()
    nodes = [{"metadata": {"name": f"node-{i}", "labels": {"kubernetes.io/os": "linux"}}} for i in range(20)]
    (root / "nodes.json").write_text(json.dumps({"kind": "NodeList", "apiVersion": "v1", "items": nodes}, indent=4))
    size = (root / "nodes.json").stat().st_size
    for namespace, kinds in lists.items():
        folder = root / namespace if namespace else root
        folder.mkdir(exist_ok=True)
        for kind, items in kinds.items():
            path = folder / f"{kind.lower()}s.json"
            path.write_text(json.dumps({"kind": f"{kind}List", "apiVersion": "v1", "metadata": {}, "items": items}, indent=4))
            size += path.stat().st_size
    return size


def write_info_stream(root: Path, stream: Path) -> None:
    """The folder's lists in the order of `kubectl cluster-info dump`'s stream (clusterinfo_dump.go)."""
    order = ("events", "replicationcontrollers", "services", "daemonsets", "deployments", "replicasets", "pods")
    with stream.open("w") as out:
        out.write((root / "nodes.json").read_text() + "\n")
        for folder in sorted(path for path in root.iterdir() if path.is_dir()):
            for name in order:
                path = folder / f"{name}.json"
                kind = {"replicationcontrollers": "ReplicationController", "daemonsets": "DaemonSet",
                        "replicasets": "ReplicaSet"}.get(name, name[:-1].capitalize())
                out.write(path.read_text() if path.exists() else json.dumps({"kind": f"{kind}List", "apiVersion": "v1",
                                                                            "metadata": {}, "items": []}, indent=4))
                out.write("\n")


def write_get_list(objects: List[Obj], path: Path) -> None:
    """`kubectl get pods,events -A -o json`: one List, pods then events each in the server's order, keys
    sorted and indented as kubectl prints them (`items` before `kind`)."""
    def order(obj: Obj) -> tuple:
        return (obj["kind"] != "Pod", obj["metadata"]["namespace"], obj["metadata"]["name"])
    with path.open("w") as out:
        json.dump({"apiVersion": "v1", "items": sorted(objects, key=order), "kind": "List",
                   "metadata": {"resourceVersion": ""}}, out, indent=4, sort_keys=True)


def main() -> None:
    parser = bench_parser(__doc__, pods=50000)
    parser.add_argument("--plugin", default=PLUGIN, help="the kubectl-pullmedic to measure")
    parser.add_argument("--no-live", action="store_true", help="skip the live commands")
    parser.add_argument("--list-only", action="store_true",
                        help="only `why -A` on the folder and on one `kubectl get -o json` List file")
    args = parser.parse_args()
    objects = cluster(args.pods, args.pods // 25, args.pods // 5, evicted=args.pods // 50)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "dump"
        size = write_info_dump(objects, folder)
        archive = Path(tmp) / "dump.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(folder, arcname="dump")
        stream = Path(tmp) / "dump.stream"
        write_info_stream(folder, stream)
        listed = Path(tmp) / "all.json"
        write_get_list(objects, listed)
        print(f"offline: {args.pods} pods, {args.pods // 25} failing, {args.pods // 50} evicted, {args.pods // 5} events; "
              f"folder {size / 1e6:.0f} MB, tar.gz {archive.stat().st_size / 1e6:.1f} MB, "
              f"stream {stream.stat().st_size / 1e6:.0f} MB, all.json {listed.stat().st_size / 1e6:.0f} MB")
        if args.list_only:  # the one List document against the folder: both should follow the largest namespace
            for command in (["why", "-A", "-o", "json", "-f", str(folder)], ["why", "-A", "-o", "json", "-f", str(listed)]):
                show_offline(args.plugin, command)
            return
        files = [str(path) for path in folder.rglob("*.json")]
        floor = [sys.executable, "-c", "import json, sys\nkept = [json.load(open(p)) for p in sys.argv[1:]]", *files]
        run = run_measured(floor, keep_output=False)
        print(f"{'json.load of every file at once':40} {run.wall:6.2f} s  peak RSS {run.peak_rss_mb:7.1f} MB")
        for command in (["why", "-A", "-o", "json", "-f", str(folder)], ["evicted", "-A", "-o", "json", "-f", str(folder)],
                        ["why", "-A", "-o", "json", "-f", str(archive)], ["why", "-A", "-o", "json", "-f", str(stream)],
                        ["why", "-A", "-o", "json", "-f", str(listed)]):
            show_offline(args.plugin, command)
    if args.no_live:
        return
    with sandbox_process(objects, 0) as kubeconfig:  # the same objects, live
        for command in (["why", "-A", "-o", "json"], ["evicted", "-A", "-o", "json"]):
            run = run_measured([args.plugin, *command, "--kubeconfig", kubeconfig])
            print(f"pullmedic {' '.join(command) + ' (live)':30} {run.wall:6.2f} s  peak RSS {run.peak_rss_mb:7.1f} MB"
                  f"  (exit {run.returncode}, {len(json.loads(run.stdout)['items'])} items)")


def show_offline(plugin: str, command: List[str]) -> None:
    """One offline command's time and peak memory, and what it found."""
    run = run_measured([plugin, *command])
    shown = " ".join(command[:-1] + [Path(command[-1]).name])
    print(f"pullmedic {shown:30} {run.wall:6.2f} s  peak RSS {run.peak_rss_mb:7.1f} MB"
          f"  (exit {run.returncode}, {len(json.loads(run.stdout)['items'])} items)")


if __name__ == "__main__":
    main()

"""-f on one large JSON document (``kubectl get pods,events -A -o json``): its ``items`` read one at a time.

The index of a ``List`` holds runs of consecutive items (their kinds, namespaces and byte ranges),
never the document; a namespace's run is decoded when it is listed. Each shape here is compared
with the same objects read whole (as YAML, which is still read whole, or through ``parse_documents``):
the dump reader must give exactly the objects, coverage and namespaces it gave before.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import subprocess
import tarfile
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
import yaml

from conftest import KUBECTL, build_event, build_pod
from kubectl_pullmedic.core.kube import name_of, namespace_of
from kubectl_pullmedic.cluster import dumpdocs
from kubectl_pullmedic.cluster.dump import DumpCluster
from kubectl_pullmedic.cluster.dumpdocs import CLUSTER_SCOPED, RESOURCE_OF_KIND, as_core_event, parse_documents
from kubectl_pullmedic.cluster.dumpfiles import Dump, read_dump
from kubectl_pullmedic.cluster.dumpsource import Region
from kubectl_pullmedic.sandbox import Sandbox
from test_offline_files import PULL_ERROR, _listed

Obj = Dict[str, Any]


def _cluster(namespaces: int = 3, pods: int = 2) -> List[Obj]:
    """Pods (one failing per namespace) and their events, as ``kubectl get pods,events -A`` lists them."""
    made = [build_pod(f"web-{i}", f"team-{n:02d}", uid=f"u-{n}-{i}", waiting_reason="ErrImagePull" if i == 0 else None)
            for n in range(namespaces) for i in range(pods)]
    return made + [build_event(pod, "Failed", PULL_ERROR) for pod in made if pod["metadata"]["name"] == "web-0"]


def _kubectl_json(items: List[Obj], **dumps: Any) -> str:
    """kubectl's ``-o json`` of several objects: a ``List``, keys sorted (``items`` before ``kind``), 4-space indent."""
    return json.dumps({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}},
                      **(dumps or {"indent": 4, "sort_keys": True}))


def _as_before(text: str) -> Dict[str, Dict[Tuple[str, str], Obj]]:
    """The objects of a text read whole, by resource and (namespace, name), as ``Dump.objects`` gives them."""
    objects: Dict[str, Dict[Tuple[str, str], Obj]] = {}
    for obj in parse_documents(text.lstrip("\ufeff")):
        resource = RESOURCE_OF_KIND.get(str(obj.get("kind") or ""))
        if resource:
            key = ("" if resource in CLUSTER_SCOPED else namespace_of(obj), name_of(obj))
            objects.setdefault(resource, {})[key] = as_core_event(obj) if resource == "events" else obj
    return objects


def _same_as_read_whole(path: Path, text: str) -> Dump:
    """The dump of ``path`` holds what ``text`` read whole holds, and covers what its YAML form covers."""
    dump = read_dump([str(path)])
    whole = path.parent / f"{path.name}.as.yaml"
    whole.write_text(yaml.safe_dump_all(dumpdocs.documents_in(text.lstrip("\ufeff"))))  # YAML: read whole, as every file was
    before = read_dump([str(whole)])
    assert dump.objects == _as_before(text) == before.objects
    assert (dump.coverage, dump.namespaces) == (before.coverage, before.namespaces)
    return dump


@pytest.mark.parametrize("chunk", [dumpdocs.CHUNK, 64])
def test_every_shape_of_one_list_reads_as_the_whole_document(monkeypatch, tmp_path, chunk):
    monkeypatch.setattr(dumpdocs, "CHUNK", chunk)  # 64: every item, key and number cut across reads
    objects = _cluster()
    raw_pods = _listed("Pod", [o for o in objects if o["kind"] == "Pod"])  # kind first, items without kind
    kind_last = {"items": raw_pods["items"], "metadata": {}, "apiVersion": "v1", "kind": "PodList"}  # read twice
    nested = {"kind": "List", "apiVersion": "v1", "items": [{"kind": "EventList", "apiVersion": "v1",
                                                             "items": [o for o in objects if o["kind"] == "Event"]}]}
    not_a_list = dict(objects[0], items=[{"kind": "Pod", "metadata": {"name": "inner", "namespace": "x"}}])
    shapes = {
        "pretty.json": _kubectl_json(objects),
        "compact.json": _kubectl_json(objects, separators=(",", ":")),
        "bom.json": "\ufeff \n\t" + _kubectl_json(objects) + "\n\n",
        "raw.json": json.dumps(raw_pods),
        "kind-last.json": json.dumps(kind_last, indent=2),
        "nested.json": json.dumps(nested),
        "two.json": _kubectl_json(objects[:3]) + "\n" + _kubectl_json(objects[3:]),
        "mixed.json": _kubectl_json([{"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "team-00"}}, 7]
                                    + objects[:2] + [{"kind": "ConfigMap", "metadata": {"name": "d"}}] + objects[2:]),
        "not-a-list.json": json.dumps(not_a_list),
        "empty.json": _kubectl_json([]),
        "trailing-comma.json": json.dumps({"kind": "List", "items": objects})[:-2] + ",]}",  # YAML, not JSON: as before
    }
    for name, text in shapes.items():
        path = tmp_path / name
        path.write_bytes(text.encode("utf-8"))
        dump = _same_as_read_whole(path, text)
        assert dump.objects or name == "empty.json", name
    # A kubectl List: one run per namespace and kind, each its own bytes, not the document.
    dump = read_dump([str(tmp_path / "pretty.json")])
    assert [sorted(piece.held["pods"]) for piece in dump.pieces["pods"]] == [["team-00"], ["team-01"], ["team-02"]]
    size = (tmp_path / "pretty.json").stat().st_size
    assert all(piece.of_list == ("List", "v1") and piece.end - piece.start < size // 4 for piece in dump.pieces["pods"])


def _random_object(rng: random.Random, depth: int = 0) -> Any:
    """An object of a kind read or not (or none), sometimes a list itself or not an object at all."""
    if depth < 1 and rng.random() < 0.05:
        return {"kind": rng.choice(["List", "EventList", ""]), "items": [_random_object(rng, 1) for _ in range(3)]}
    if rng.random() < 0.03:
        return rng.choice([5, "text", None, []])
    obj: Obj = {"metadata": {"name": f"n{rng.randint(0, 5)}", "namespace": rng.choice(["a", "b", "c"])},
                "x": rng.choice([1, 2.5, "caf\u00e9 \u2713", None, True, [1, {"y": "z"}]])}
    kind = rng.choice(["Pod", "Event", "Node", "Namespace", "Secret", "ConfigMap", "Deployment", ""])
    if kind:
        obj["kind"] = kind
    if rng.random() < 0.3:
        obj["apiVersion"] = rng.choice(["v1", "events.k8s.io/v1"])
    return obj


def test_random_lists_in_random_chunks_read_as_the_whole_document(monkeypatch, tmp_path):
    """Lists of any kind, keys in any order, any layout, cut anywhere: what reading the text whole gives
    (its objects, coverage and namespaces; or its one-line error, for a text cut or garbled)."""
    rng = random.Random(16)
    for case in range(150):
        documents = []
        for _ in range(rng.randint(1, 3)):
            keys = ["apiVersion", "kind", "metadata", "items"]
            rng.shuffle(keys)
            values = {"apiVersion": "v1", "kind": rng.choice(["List", "PodList", "EventList", "", "NodeList", "Pod"]),
                      "metadata": {"resourceVersion": "1"}, "items": [_random_object(rng) for _ in range(rng.randint(0, 12))]}
            documents.append({key: values[key] for key in keys if key != "apiVersion" or rng.random() < 0.8})
        layout = rng.choice([{"indent": 4}, {"separators": (",", ":")}, {"indent": 2, "sort_keys": True}, {}])
        text = "\n".join(json.dumps(document, **layout) for document in documents)
        garbled = rng.random() < 0.2
        if garbled:
            at = rng.randint(1, len(text) - 1)
            text = text[:at] if rng.random() < 0.5 else text[:at] + rng.choice([",", "]", "}", "x", '"', ",]"]) + text[at:]
        monkeypatch.setattr(dumpdocs, "CHUNK", rng.choice([8, 17, 64, 1000, 1 << 22]))
        path = tmp_path / f"{case}.json"
        path.write_text(text)
        if not garbled:
            _same_as_read_whole(path, text)
            continue
        try:
            expected: Any = _as_before(text)
        except ValueError as error:
            expected = str(error).replace("<text>", str(path))
        try:
            found: Any = read_dump([str(path)]).objects
        except ValueError as error:
            found = str(error)
        assert found == expected, (case, text)


def test_a_list_in_gzip_and_tar_gz_and_stdin(tmp_path):
    text = _kubectl_json(_cluster())
    expected = _as_before(text)
    (tmp_path / "all.json").write_text(text)
    (tmp_path / "all.json.gz").write_bytes(gzip.compress(text.encode()))
    with tarfile.open(tmp_path / "all.tar.gz", "w:gz") as archive:
        archive.add(tmp_path / "all.json", arcname="dump/all.json")
        archive.add(tmp_path / "all.json.gz", arcname="dump/again.json.gz")
    for path in ("all.json.gz", "all.tar.gz"):
        assert read_dump([str(tmp_path / path)]).objects == expected, path
    assert read_dump(["-"], io.BytesIO(gzip.compress(text.encode()))).objects == expected


def test_a_truncated_or_garbled_list_fails_in_one_line_naming_the_file(pullmedic, tmp_path):
    text = _kubectl_json(_cluster())
    for name, broken in (("cut.json", text[: len(text) // 2]), ("garbled.json", text.replace('"kind": "List"', '"kind" "List"')),
                         ("stray.json", text.replace("},\n        {", "} x,\n        {", 1))):
        path = tmp_path / name
        path.write_text(broken)
        result = pullmedic("why", "-A", "-f", str(path), expect=2)
        with pytest.raises(ValueError) as whole:  # the error reading it whole gives
            dumpdocs.documents_in(broken, str(path))
        assert result.stderr == f"error: {whole.value}\n"
        assert result.stderr.startswith(f"error: {path}: not valid JSON: ") and result.stderr.count("\n") == 1


class _Reads(io.FileIO):
    """A file that records the size of each read: what the scan holds at once."""

    sizes: List[int] = []

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        data = super().read(size)
        self.sizes.append(len(data))
        return data


def test_one_large_list_is_scanned_through_a_bounded_buffer_and_read_a_namespace_at_a_time(monkeypatch, tmp_path):
    monkeypatch.setattr(dumpdocs, "CHUNK", 16 << 10)
    objects = _cluster(namespaces=40, pods=40)
    path = tmp_path / "all.json"
    path.write_text(_kubectl_json(objects))
    size = path.stat().st_size
    largest = max(len(json.dumps(o, indent=4)) for o in objects)
    with _Reads(str(path)) as file:
        file.sizes = []
        dump = Dump()
        dump.add(Region(str(path), str(path), file, 0, size))
        # Read forward once, a chunk (or the item being cut) at a time: never the document.
        assert size <= sum(file.sizes) <= size + 3 and max(file.sizes) <= 2 * max(dumpdocs.CHUNK, largest) < size // 20
        assert len(dump.pieces["pods"]) == len(dump.pieces["events"]) == 40
        assert all(piece.end - piece.start < size // 30 for piece in dump.pieces["pods"])
    tracemalloc.start()
    try:
        cluster = DumpCluster(read_dump([str(path)]), None)
        listed = [len(page) for resource in ("pods", "events") for page in cluster.list_pages(resource, None, page_size=40)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert listed == [40] * 40 + [40] * 1  # 1,600 pods in 40 pages, 40 events
    assert peak < size // 2, (peak, size)  # a namespace's objects and the buffer, not the document (~10x its size)


NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


@pytest.mark.slow
def test_kubectls_own_json_list_gives_the_diagnosis_its_yaml_gives(pullmedic, tmp_path):
    """``kubectl get pods,events,nodes -A -o json`` of the scenario sandbox, pretty and compact, plain and in
    archives, against the same objects as ``-o yaml`` (read whole): the same output, byte for byte."""
    with Sandbox(scenarios=True, clock=lambda: NOW) as sandbox:
        def kubectl(*args: str) -> str:
            return subprocess.run([KUBECTL, "--kubeconfig", sandbox.kubeconfig_path, "--cache-dir", str(tmp_path / "cache"),
                                   "get", "pods,events,nodes", "-A", *args], capture_output=True, text=True,
                                  check=True, timeout=120).stdout
        listed, as_yaml = kubectl("-o", "json"), kubectl("-o", "yaml")
    assert listed.startswith('{\n    "apiVersion": "v1",\n    "items": [\n') and '"kind": "List"' in listed[-200:]
    (tmp_path / "all.json").write_text(listed)
    (tmp_path / "all.yaml").write_text(as_yaml)
    (tmp_path / "compact.json").write_text(json.dumps(json.loads(listed), separators=(",", ":")))
    (tmp_path / "all.json.gz").write_bytes(gzip.compress(listed.encode()))
    with tarfile.open(tmp_path / "all.tar.gz", "w:gz") as archive:
        archive.add(tmp_path / "all.json", arcname="get/all.json")
    assert read_dump([str(tmp_path / "all.json")]).objects == read_dump([str(tmp_path / "all.yaml")]).objects
    for command in (["why", "-A"], ["why", "-A", "-o", "json"], ["evicted", "-A"], ["why", "-n", "shop"]):
        before = pullmedic(*command, "-f", str(tmp_path / "all.yaml"), expect=None)
        assert before.stdout
        for name in ("all.json", "compact.json", "all.json.gz", "all.tar.gz"):
            after = pullmedic(*command, "-f", str(tmp_path / name), expect=None)
            assert (after.code, after.stdout, after.stderr) == (before.code, before.stdout, before.stderr), (command, name)

"""-f indexes a dump first and reads its objects on demand: a file is read when its namespace is.

In-process and fast, on dumps written here in the shapes kubectl writes (``test_offline_files``'s
builders). Memory is measured by ``benchmarks/offline_bench.py``, not here.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile

import pytest

from conftest import build_event, build_pod
from kubectl_pullmedic.cluster import dumpdocs
from kubectl_pullmedic.cluster.dump import DumpCluster
from kubectl_pullmedic.cluster.dumpfiles import read_dump
from kubectl_pullmedic.errors import PullmedicError
from test_offline_files import EXPECTED, _diagnosed, _events, _info_folder, _info_stream, _listed, _pods, _why


def _names(objects):
    return [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects]


def test_a_corrupt_file_of_a_folder_fails_only_when_its_namespace_is_read(pullmedic, tmp_path):
    pods = _pods()
    folder = _info_folder(tmp_path / "dump", pods, _events(pods))
    broken = folder / "payments" / "pods.json"
    broken.write_text('{"kind": "PodList", "items": [')
    assert _diagnosed(_why(pullmedic, "-n", "shop", "-f", str(folder))) == EXPECTED[1:]
    result = pullmedic("why", "-A", "-f", str(folder), expect=2)
    assert result.stderr.startswith(f"error: {broken}: not valid JSON: ") and result.stderr.count("\n") == 1
    cluster = DumpCluster(read_dump([str(folder)]), None)  # indexing does not open it
    assert _names(cluster.list_all("pods", "shop")) == [("shop", "db-1"), ("shop", "web-1")]
    with pytest.raises(PullmedicError, match="payments/pods.json: not valid JSON"):
        cluster.get("pods", "api-1", "payments")


def test_lists_keep_the_servers_order_and_pages_across_files(tmp_path):
    pods = _pods() + [build_pod("a-1", "zeta"), build_pod("b-0", "alpha")]
    one = tmp_path / "all.json"  # kubectl get pods -A -o json: every namespace in one file, out of order
    one.write_text(json.dumps({"kind": "List", "apiVersion": "v1", "items": list(reversed(pods))}))
    late = tmp_path / "late.yaml"  # a later file's object replaces an earlier one of the same name
    replaced = build_pod("db-1", "shop", waiting_reason="ErrImagePull")
    late.write_text(json.dumps(replaced))
    cluster = DumpCluster(read_dump([str(one), str(late)]), None)
    expected = [("alpha", "b-0"), ("payments", "api-1"), ("shop", "db-1"), ("shop", "web-1"), ("zeta", "a-1")]
    pages = list(cluster.list_pages("pods", None, page_size=2))
    assert [len(page) for page in pages] == [2, 2, 1] and _names(sum(pages, [])) == expected
    assert cluster.get("pods", "db-1", "shop")["status"] == replaced["status"]
    assert _names(cluster.list_all("pods", "shop", field_selector="metadata.name=web-1")) == [("shop", "web-1")]


def test_the_stream_is_read_by_offsets_in_any_chunk_size(monkeypatch, tmp_path):
    pods = _pods()
    events = _events(pods)
    events[0]["message"] += " — café ✓"  # UTF-8 text: the scan's offsets are bytes
    stream = tmp_path / "dump.json"
    stream.write_bytes(b"\xef\xbb\xbf" + _info_stream(pods, events, ["shop", "payments"]).encode()
                       + b"==== START logs for container app of pod shop/web-1 ====\n{ not json\n"
                         b"==== END logs for container app of pod shop/web-1 ====\nCluster info dumped to standard out\n")
    whole = DumpCluster(read_dump([str(stream)]), None)
    monkeypatch.setattr(dumpdocs, "CHUNK", 64)  # documents cut across many reads, and logs too
    chunked = DumpCluster(read_dump([str(stream)]), None)
    for cluster in (whole, chunked):
        assert cluster.dump.coverage["pods"] == {"shop", "payments"}
        assert _names(cluster.list_all("pods", None)) == [("payments", "api-1"), ("shop", "db-1"), ("shop", "web-1")]
        assert [e["message"] for e in cluster.list_all("events", "shop")] == [events[0]["message"]]
    assert len(whole.dump.pieces["pods"]) == 2  # one document per namespace, found by offset


def test_archives_and_stdin_are_read_on_demand_as_the_folder(tmp_path):
    pods = _pods()
    folder = _info_folder(tmp_path / "dump", pods, _events(pods))
    archive = tmp_path / "dump.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="dump")
    from_folder = DumpCluster(read_dump([str(folder)]), None)
    from_archive = DumpCluster(read_dump([str(archive)]), None)
    from_stdin = DumpCluster(read_dump(["-"], io.BytesIO(archive.read_bytes())), None)
    for cluster in (from_archive, from_stdin):
        assert cluster.dump.coverage == from_folder.dump.coverage
        for resource in ("pods", "events", "nodes"):
            assert cluster.list_all(resource, None) == from_folder.list_all(resource, None), resource
    nested = tmp_path / "outer.tar"  # a gzip member inside a tar
    (tmp_path / "pods.json.gz").write_bytes(gzip.compress(json.dumps(_listed("Pod", pods)).encode()))
    with tarfile.open(nested, "w") as tar:
        tar.add(tmp_path / "pods.json.gz", arcname="x/pods.json.gz")
    assert _names(DumpCluster(read_dump([str(nested)]), None).list_all("pods", None)) == \
        [("payments", "api-1"), ("shop", "db-1"), ("shop", "web-1")]


def test_small_kinds_are_kept_once_read_and_pods_are_not(tmp_path):
    pods = _pods()
    folder = _info_folder(tmp_path / "dump", pods, _events(pods))
    cluster = DumpCluster(read_dump([str(folder)]), None)
    assert cluster.get("nodes", "node-a")["metadata"]["name"] == "node-a"
    (folder / "nodes.json").write_text("{ broken")  # kept: not read again
    assert cluster.get("nodes", "node-a")["metadata"]["name"] == "node-a"
    (folder / "shop" / "events.json").write_text(json.dumps(_listed("Event", [build_event(pods[1], "Failed", "new")])))
    assert [e["message"] for e in cluster.list_all("events", "shop")] == ["new"]  # read on each list

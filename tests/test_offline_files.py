"""-f reads every form a dump comes in, says what it lacks is unknown, and fails on a bad file in one line.

In-process and fast: the dumps are written here from ``build_pod``/``build_event`` in the shapes
kubectl writes them (the real kubectl's own dumps are in ``test_offline.py``).
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from conftest import build_event, build_pod
from kubectl_pullmedic.cluster.dump import DumpCluster
from kubectl_pullmedic.cluster.dumpfiles import read_dump
from kubectl_pullmedic.errors import NotFound, NotInDump

Obj = Dict[str, Any]
AUTH_ERROR = ('Failed to pull image "registry.example.com/app:1.0": failed to resolve reference "registry.example.com/app:1.0": '
              'unexpected status from HEAD request to https://registry.example.com/v2/app/manifests/1.0: 401 Unauthorized')
PULL_ERROR = ('Failed to pull image "registry.example.com/app:1.0": rpc error: code = NotFound desc = failed to pull '
              'and unpack image "registry.example.com/app:1.0": registry.example.com/app:1.0: not found')


def _pods() -> List[Obj]:
    failing = build_pod("web-1", "shop", waiting_reason="ErrImagePull", uid="u-web-1")
    failing["spec"]["imagePullSecrets"] = [{"name": "regcred"}]
    return [failing, build_pod("db-1", "shop", uid="u-db-1"), build_pod("api-1", "payments", uid="u-api-1",
                                                                      waiting_reason="ImagePullBackOff")]


def _events(pods: List[Obj]) -> List[Obj]:
    return [build_event(pods[0], "Failed", PULL_ERROR), build_event(pods[2], "Failed", PULL_ERROR)]


def _listed(kind: str, items: List[Obj]) -> Obj:
    """A raw API list, as kubectl cluster-info dump writes it: kind and apiVersion off the items."""
    return {"kind": f"{kind}List", "apiVersion": "v1", "metadata": {"resourceVersion": "9"},
            "items": [{k: v for k, v in item.items() if k not in ("kind", "apiVersion")} for item in items]}


def _info_folder(root: Path, pods: List[Obj], events: List[Obj]) -> Path:
    """The layout of ``kubectl cluster-info dump --output-directory``, logs and all."""
    root.mkdir()
    (root / "nodes.json").write_text(json.dumps(_listed("Node", [{"metadata": {"name": "node-a"}}])))
    for namespace in ("shop", "payments"):
        folder = root / namespace
        folder.mkdir()
        (folder / "pods.json").write_text(json.dumps(_listed("Pod", [p for p in pods if p["metadata"]["namespace"] == namespace]), indent=4))
        (folder / "events.json").write_text(json.dumps(_listed("Event", [e for e in events if e["metadata"]["namespace"] == namespace])))
        for name, kind in (("services", "Service"), ("replication-controllers", "ReplicationController"),
                           ("deployments", "Deployment"), ("replicasets", "ReplicaSet"), ("daemonsets", "DaemonSet")):
            (folder / f"{name}.json").write_text(json.dumps(_listed(kind, [])))
        (folder / "web-1").mkdir()
        (folder / "web-1" / "logs.txt").write_text("==== START logs for container app of pod x/web-1 ====\n{not json\n")
    return root


def _stream(pods: List[Obj], events: List[Obj]) -> str:
    """``kubectl cluster-info dump`` to stdout: JSON documents in a row, a container's log between them."""
    documents = [_listed("Node", [{"metadata": {"name": "node-a"}}]), _listed("Event", events), _listed("Pod", pods)]
    log = ("==== START logs for container app of pod shop/web-1 ====\n{ \"looks\": like json }\n"
           "==== END logs for container app of pod shop/web-1 ====\n")
    return "\n".join(json.dumps(d, indent=4) for d in documents) + "\n" + log


def _info_stream(pods: List[Obj], events: List[Obj], namespaces: List[str]) -> str:
    """``kubectl cluster-info dump`` to stdout in full: a NodeList, then seven lists per namespace, in its order."""
    documents = [_listed("Node", [{"metadata": {"name": "node-a"}}])]
    for namespace in namespaces:
        for kind in ("Event", "ReplicationController", "Service", "DaemonSet", "Deployment", "ReplicaSet", "Pod"):
            objects = {"Event": events, "Pod": pods}.get(kind, [])
            documents.append(_listed(kind, [o for o in objects if o["metadata"]["namespace"] == namespace]))
    return "\n".join(json.dumps(d, indent=4) for d in documents) + "\n"


def _why(pullmedic, *args: str, expect: int = 1, stdin: str = "") -> Dict[str, Any]:
    return pullmedic("why", *args, "-o", "json", expect=expect, stdin=stdin).json()


def _diagnosed(document: Dict[str, Any]) -> List[tuple]:
    return sorted((item["namespace"], item["pod"], item["cause"]) for item in document["items"])


EXPECTED = [("payments", "api-1", "ImageNotFound"), ("shop", "web-1", "ImageNotFound")]


def test_every_form_gives_the_same_diagnosis(pullmedic, tmp_path):
    pods = _pods()
    events = _events(pods)
    folder = _info_folder(tmp_path / "dump", pods, events)
    stream = tmp_path / "stream.txt"
    stream.write_text(_stream(pods, events))
    multi = tmp_path / "objects.yaml"
    multi.write_text(yaml.safe_dump_all(pods + events + [{"kind": "Node", "apiVersion": "v1", "metadata": {"name": "node-a"}}]))
    listed = tmp_path / "get.json"
    listed.write_text(json.dumps({"kind": "List", "apiVersion": "v1", "items": pods + events}))
    gz = tmp_path / "get.json.gz"
    gz.write_bytes(gzip.compress(listed.read_bytes()))
    archive = tmp_path / "dump.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="dump")
    plain_tar = tmp_path / "objects.tar"
    with tarfile.open(plain_tar, "w") as tar:
        tar.add(multi, arcname="objects.yaml")
    for source in (folder, stream, multi, listed, gz, archive, plain_tar):
        assert _diagnosed(_why(pullmedic, "-A", "-f", str(source))) == EXPECTED, source
    assert _diagnosed(_why(pullmedic, "-A", "-f", "-", stdin=_stream(pods, events))) == EXPECTED
    # single objects, one file each, several -f
    for index, pod in enumerate(pods + events):
        (tmp_path / f"one-{index}.json").write_text(json.dumps(pod))
    singles = [arg for index in range(len(pods + events)) for arg in ("-f", str(tmp_path / f"one-{index}.json"))]
    assert _diagnosed(_why(pullmedic, "-A", *singles)) == EXPECTED


def test_what_the_dump_lacks_is_unknown_and_what_it_holds_is_known(pullmedic, tmp_path):
    pods = _pods()
    folder = _info_folder(tmp_path / "dump", pods, [build_event(pods[0], "Failed", AUTH_ERROR)])
    result = pullmedic("why", "web-1", "-n", "shop", "-o", "json", "-f", str(folder), expect=1)
    assert result.json()["items"][0]["cause"] == "RegistryAuthRequired"
    secrets = result.json()["items"][0]["evidence"]["pullSecrets"]
    assert [(s["name"], s["exists"], s["unreadable"]) for s in secrets["podSecrets"]] == [("regcred", None, "not-in-dump")]
    assert "Warning: the dump holds no secrets: what they would show is unknown" in result.stderr
    assert "does not exist in this namespace" not in result.stdout  # only "If regcred does not exist: ..."
    # With the secrets kind in the dump (none named regcred), the secret is absent, as a live 404.
    (tmp_path / "secrets.yaml").write_text(yaml.safe_dump({"kind": "SecretList", "apiVersion": "v1", "items": []}))
    known = pullmedic("secrets-check", "-n", "shop", "-o", "json", "-f", str(folder), "-f", str(tmp_path / "secrets.yaml"),
                      expect=1).json()
    assert "SecretNotFound" in {finding["code"] for finding in known["items"]}


def test_the_cluster_info_stream_covers_its_namespaces_only(pullmedic, tmp_path):
    pods = _pods() + [build_pod("idle", "quiet")]
    stream = tmp_path / "dump.txt"
    stream.write_text(_info_stream(pods, _events(pods), ["shop", "payments", "empty"]))
    assert _diagnosed(_why(pullmedic, "-A", "-f", str(stream))) == EXPECTED
    assert _diagnosed(_why(pullmedic, "-n", "shop", "-f", str(stream))) == EXPECTED[1:]
    # "quiet" was not dumped (kubectl cluster-info dump without -A): its pods are unknown, not absent.
    uncovered = pullmedic("why", "-n", "quiet", "-f", str(stream), expect=2)
    assert uncovered.stderr == 'error: the dump holds no pods of namespace "quiet": what they would show is unknown\n'


def test_the_reader_answers_as_the_api_server_does(tmp_path):
    pods = _pods()
    cluster = DumpCluster(read_dump([str(_info_folder(tmp_path / "dump", pods, _events(pods)))]), None)
    assert cluster.namespace == "default"
    assert [p["metadata"]["name"] for p in cluster.list_all("pods", None)] == ["api-1", "db-1", "web-1"]
    assert [p["metadata"]["name"] for p in cluster.list_all("pods", "shop", field_selector="status.phase=Running")] == \
           ["db-1", "web-1"]
    assert cluster.list_all("events", None, field_selector="type=Warning,involvedObject.uid=u-web-1")[0]["reason"] == "Failed"
    assert cluster.get("nodes", "node-a")["metadata"]["name"] == "node-a"
    with pytest.raises(NotFound, match='deployments.apps "web" not found'):
        cluster.get("deployments", "web", "shop")  # deployments.json is in the dump: absent
    with pytest.raises(NotInDump):
        cluster.get("secrets", "regcred", "shop")
    with pytest.raises(NotInDump, match='no pods of namespace "ml"'):
        cluster.list_all("pods", "ml")  # a cluster-info folder covers its namespaces only
    listing = cluster.collect("serviceaccounts", None)
    assert listing.items == [] and listing.refused == {"payments": "not-in-dump", "shop": "not-in-dump"}


def test_namespaces_default_pick_and_all(pullmedic, tmp_path):
    pods = _pods()
    dump = tmp_path / "get.json"
    dump.write_text(json.dumps({"kind": "List", "apiVersion": "v1", "items": pods + _events(pods)}))
    nothing = pullmedic("why", "-f", str(dump), expect=0)  # no -n: default, as kubectl without a context namespace
    assert nothing.stdout == "" and "No pods with image-pull problems or evictions found in default namespace." in nothing.stderr
    assert _diagnosed(_why(pullmedic, "-n", "payments", "-f", str(dump))) == EXPECTED[:1]
    unknown = pullmedic("why", "-n", "nosuch", "-f", str(dump), expect=0)  # as live when the namespace GET is refused
    assert 'cannot check that namespace "nosuch" exists: the dump holds no namespaces' in unknown.stderr
    folder = _info_folder(tmp_path / "dump", pods, _events(pods))
    missing = pullmedic("why", "-n", "nosuch", "-f", str(folder), expect=2)
    assert missing.stderr == 'error: the dump holds no pods of namespace "nosuch": what they would show is unknown\n'


def test_connection_flags_are_not_read_with_a_dump(pullmedic, tmp_path):
    pods = _pods()
    dump = tmp_path / "get.json"
    dump.write_text(json.dumps({"kind": "List", "apiVersion": "v1", "items": pods + _events(pods)}))
    result = pullmedic("why", "-A", "-o", "json", "-f", str(dump), "--kubeconfig", str(tmp_path / "none"),
                       "--context", "prod", "--server", "https://10.0.0.1:6443", expect=1)
    assert _diagnosed(result.json()) == EXPECTED


def test_clean_refuses_a_dump(pullmedic, tmp_path):
    result = pullmedic("clean", "-A", "-f", str(tmp_path), expect=2)
    assert result.stderr == "error: clean deletes pods from a cluster: a dump read with -f has nothing to delete\n"


def _truncated_archive(tmp_path: Path) -> Path:
    listed = tmp_path / "pods.json"
    listed.write_text(json.dumps(_listed("Pod", _pods() * 50)))
    archive = tmp_path / "dump.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(listed, arcname="dump/shop/pods.json")
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    return cut


@pytest.mark.parametrize("content, said", [
    (None, 'error: the path "{path}" does not exist'),
    ('{"kind": "PodList", "items": [', "error: {path}: not valid JSON: Expecting value (line 1, column "),
    ("kind: Pod\nmetadata: [unclosed\n", "error: {path}: not valid YAML or JSON: "),
    ("just a sentence", "error: {path}: expected Kubernetes objects, found str"),
    (b"\x1f\x8b\x08\x00garbage", "error: {path}: truncated or corrupt gzip data"),
    (b"\xff\xfe\x00binary", "error: {path}: not a text file, nor a gzip or tar archive"),
], ids=["missing", "json", "yaml", "scalar", "gzip", "binary"])
def test_a_bad_file_is_one_error_line(pullmedic, tmp_path, content, said):
    path = tmp_path / "dump.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    result = pullmedic("why", "-A", "-f", str(path), expect=2)
    assert result.stderr.startswith(said.format(path=path)) and result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == ""


def test_a_truncated_archive_is_one_error_line(pullmedic, tmp_path):
    cut = _truncated_archive(tmp_path)
    result = pullmedic("evicted", "-A", "-f", str(cut), expect=2)
    assert result.stderr.startswith(f"error: {cut}: truncated or corrupt ") and result.stderr.count("\n") == 1
    whole = tmp_path / "plain.tar"
    with tarfile.open(whole, "w") as tar:
        tar.add(tmp_path / "pods.json", arcname="dump/shop/pods.json")
    pullmedic("why", "-A", "-f", str(whole), expect=1)
    for size in (1000, 1024, 512 * 3):  # inside the second header, at a block's end, after the first member's data
        (tmp_path / "cut.tar").write_bytes(whole.read_bytes()[:size])
        result = pullmedic("why", "-A", "-f", str(tmp_path / "cut.tar"), expect=2)
        assert result.stderr.startswith(f"error: {tmp_path / 'cut.tar'}: truncated or corrupt tar archive"), size


def test_an_object_of_an_odd_shape_degrades_that_object_only(pullmedic, tmp_path):
    pods = _pods()
    odd: List[Any] = [{"kind": "Pod", "metadata": 5, "spec": "x", "status": []},
                      {"kind": "Pod", "metadata": {"name": "weird", "namespace": "shop"}, "spec": [], "status": "?"},
                      {"kind": "Event", "involvedObject": "nope", "metadata": {"namespace": "shop", "name": "e"}},
                      "a string item", 7]
    dump = tmp_path / "odd.json"
    dump.write_text(json.dumps({"kind": "List", "apiVersion": "v1", "items": pods + _events(pods) + odd}))
    assert _diagnosed(_why(pullmedic, "-A", "-f", str(dump))) == EXPECTED
    pullmedic("evicted", "-A", "-f", str(dump), expect=0)
    pullmedic("secrets-check", "-A", "-f", str(dump), expect=None)


def test_events_of_the_events_api_read_as_core_events(pullmedic, tmp_path):
    pods = _pods()
    core = _events(pods)[0]
    newer = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": core["metadata"],
             "regarding": core["involvedObject"], "note": core["message"], "reason": "Failed", "type": "Warning",
             "reportingController": "kubelet", "eventTime": core["lastTimestamp"], "deprecatedCount": 3}
    dump = tmp_path / "events.yaml"
    dump.write_text(yaml.safe_dump_all([pods[0], newer]))
    item = _why(pullmedic, "-n", "shop", "-f", str(dump))["items"][0]
    assert item["cause"] == "ImageNotFound" and item["evidence"]["source"] == "event"


def test_stdin_reads_gzip_bytes(tmp_path):
    pods = _pods()
    data = gzip.compress(json.dumps({"kind": "List", "apiVersion": "v1", "items": pods}).encode())
    dump = read_dump(["-"], io.BytesIO(data))
    assert sorted(name for _, name in dump.objects["pods"]) == ["api-1", "db-1", "web-1"]
    assert dump.coverage == {"pods": None}


def test_the_shell_completes_paths_after_f():
    from kubectl_pullmedic.cli.app import cli
    from kubectl_pullmedic.cli.completion import Directive, complete_words

    for words in (["why", "-f", ""], ["evicted", "--filename", "du"], ["secrets-check", "-A", "-f", "./"]):
        completions = complete_words(cli, words)
        assert completions.items == [] and completions.directive == Directive.DEFAULT, words


def test_text_from_a_dump_is_neutralised_for_the_terminal(pullmedic, tmp_path):
    pod = build_pod("web-1", "shop", waiting_reason="ErrImagePull", uid="u-web-1")
    event = build_event(pod, "Failed", PULL_ERROR.replace("not found", "not found\x1b]0;owned\x07\x1b[2J"))
    dump = tmp_path / "hostile.json"
    dump.write_text(json.dumps({"kind": "List", "apiVersion": "v1", "items": [pod, event]}))
    shown = pullmedic("why", "-n", "shop", "-f", str(dump), expect=1)
    assert "\x1b" not in shown.stdout + shown.stderr and "^[" in shown.stdout


def test_the_shell_completes_pod_names_from_the_dump(tmp_path):
    from kubectl_pullmedic.cli.app import cli
    from kubectl_pullmedic.cli.completion import complete_words

    pods = _pods()
    folder = _info_folder(tmp_path / "dump", pods, _events(pods))
    completions = complete_words(cli, ["why", "-f", str(folder), "-n", "shop", "w"])
    assert [(item.value, item.help) for item in completions.items] == [("web-1", "ErrImagePull")]

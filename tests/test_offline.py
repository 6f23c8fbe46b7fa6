"""Offline diagnosis (-f) of real dumps taken with the real kubectl from the scenario sandbox.

The dumps: ``kubectl cluster-info dump -A --output-directory DIR`` (the folder), the same to stdout
(the single stream, container logs included), ``kubectl get pods,events,nodes -A -o yaml``, and a
tar.gz of the folder. Each is diagnosed with ``why``, ``evicted`` and ``secrets-check -A -o json`` and
compared with the live diagnosis of the same cluster at the same instant:

- exactly equal to the live one made while RBAC refuses the kinds the dump lacks (a 403 and "not in
  the dump" take the same path; only the reason differs: ``forbidden`` / ``not-in-dump``);
- equal to the unrestricted live one except the facts the dump lacks, which are unknown (asserted
  field by field), never absent.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import pytest

from conftest import KUBECTL
from podfixtures import secret_claim
from kubectl_pullmedic.cli.main import main
from kubectl_pullmedic.sandbox import Sandbox
from kubectl_pullmedic.settings import Settings

pytestmark = pytest.mark.slow  # the real kubectl takes the dumps

NOW = datetime.now(timezone.utc).replace(microsecond=0)
COMMANDS = ("why", "evicted", "secrets-check")
# What each form of dump leaves out, of what the commands read.
INFO_DUMP_LACKS = ("secrets", "serviceaccounts", "jobs", "cronjobs", "statefulsets")
LACKS = {
    "folder": INFO_DUMP_LACKS,
    "stream": INFO_DUMP_LACKS,
    "tar.gz": INFO_DUMP_LACKS,
    "get-yaml": INFO_DUMP_LACKS + ("deployments", "replicasets", "daemonsets"),
}
# Findings that say a secret or account is missing, wrong or unused: never made from what is not read.
ABSENCE_CODES = {"SecretNotFound", "SecretWrongType", "NoCredentialsForRegistry", "UnusedPullSecret",
                 "SecretMalformed", "SecretExpired", "ServiceAccountNotFound"}


class _Stream(io.StringIO):
    def isatty(self) -> bool:
        return False


def run(*argv: str) -> Tuple[int, Dict[str, Any], str]:
    out, err = _Stream(), _Stream()
    code = main(list(argv), Settings(stdout=out, stderr=err, stdin=_Stream(), environ={}, clock=lambda: NOW, color=False))
    return int(code), json.loads(out.getvalue()) if out.getvalue() else {}, err.getvalue()


def kubectl(sandbox: Sandbox, cache: Path, *args: str) -> str:
    result = subprocess.run([KUBECTL, "--kubeconfig", sandbox.kubeconfig_path, "--cache-dir", str(cache), *args],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def taken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[Sandbox, Dict[str, str]]]:
    """The scenario sandbox (clock frozen at NOW) and the dumps taken from it, by form."""
    base = tmp_path_factory.mktemp("offline")
    with Sandbox(scenarios=True, clock=lambda: NOW) as sandbox:
        cache = base / "kube-cache"
        folder = base / "dump"
        said = kubectl(sandbox, cache, "cluster-info", "dump", "-A", "--output-directory", str(folder))
        assert "Cluster info dumped to" in said
        (base / "stream.json").write_text(kubectl(sandbox, cache, "cluster-info", "dump", "-A"))
        (base / "default.json").write_text(kubectl(sandbox, cache, "cluster-info", "dump"))  # kube-system, default
        (base / "get.yaml").write_text(kubectl(sandbox, cache, "get", "pods,events,nodes", "-A", "-o", "yaml"))
        with tarfile.open(base / "dump.tar.gz", "w:gz") as archive:
            archive.add(folder, arcname="dump")
        yield sandbox, {"folder": str(folder), "stream": str(base / "stream.json"), "get-yaml": str(base / "get.yaml"),
                        "tar.gz": str(base / "dump.tar.gz"), "default": str(base / "default.json")}


def live(sandbox: Sandbox, command: str, refused: Tuple[str, ...] = ()) -> Tuple[int, Dict[str, Any], str]:
    sandbox.set_forbid([f"{verb}:{resource}" for resource in refused for verb in ("get", "list")])
    try:
        return run(command, "-A", "-o", "json", "--kubeconfig", sandbox.kubeconfig_path)
    finally:
        sandbox.set_forbid([])


def test_the_dumps_hold_what_kubectl_wrote(taken):
    _, paths = taken
    folder = Path(paths["folder"])
    assert (folder / "nodes.json").is_file() and (folder / "shop" / "pods.json").is_file()
    assert (folder / "shop" / "replication-controllers.json").is_file()  # the sandbox serves what the dump lists
    assert "==== START logs for container" in Path(paths["stream"]).read_text()  # logs inside the stream


@pytest.mark.parametrize("form", sorted(LACKS))
@pytest.mark.parametrize("command", COMMANDS)
def test_offline_equals_live_with_the_same_kinds_unknown(taken, command, form):
    sandbox, paths = taken
    live_code, live_doc, _ = live(sandbox, command, LACKS[form])
    code, doc, stderr = run(command, "-A", "-o", "json", "-f", paths[form])
    # Only the reason differs, and who can settle it: another account after a 403, the live cluster for a dump.
    as_dump = json.loads(json.dumps(live_doc["items"]).replace('"forbidden"', '"not-in-dump"')
                         .replace("(forbidden)", "(not-in-dump)")
                         .replace("with an account that may read secrets", "on the live cluster"))
    assert doc["items"] == as_dump
    assert doc["items"], "the scenario cluster has findings for every command"
    assert code == live_code
    lacking = {resource for resource in LACKS[form]
               if f"the dump holds no {resource}: what they would show is unknown" in doc.get("warnings", [])}
    assert lacking and lacking <= set(LACKS[form])
    assert "Warning: the dump holds no" in stderr


def _by_container(doc: Dict[str, Any]) -> Dict[Tuple[str, str, str], Dict[str, Any]]:
    return {(item["namespace"], item["pod"], item.get("container") or ""): item for item in doc["items"]}


def _known(evidence: Dict[str, Any]) -> Dict[str, Any]:
    """Evidence less what rests on kinds a dump may lack: pull secrets and accounts, an eviction's replacement."""
    known = {key: value for key, value in evidence.items() if key != "pullSecrets"}
    if isinstance(known.get("eviction"), dict):
        known["eviction"] = {key: value for key, value in known["eviction"].items() if key != "replacement"}
    return known


@pytest.mark.parametrize("form", ["folder", "get-yaml"])
def test_why_differs_from_live_only_where_the_dump_lacks_facts(taken, form):
    sandbox, paths = taken
    live_code, live_doc, _ = live(sandbox, "why")
    code, doc, _ = run("why", "-A", "-o", "json", "-f", paths[form])
    assert code == live_code == 1
    online, offline = _by_container(live_doc), _by_container(doc)
    assert offline.keys() == online.keys()
    unknown_fields = {"evidence", "fix", "owner", "summary"}
    for key, item in offline.items():
        seen = online[key]
        # The diagnosis itself: cause, image, times, node, back-off, every summary are the live ones.
        assert {k: v for k, v in item.items() if k not in unknown_fields} == \
               {k: v for k, v in seen.items() if k not in unknown_fields}, key
        assert seen["summary"].startswith(item["summary"]), key  # live may add "; replaced", known from the owner
        assert _known(item["evidence"]) == _known(seen["evidence"]), key
        secrets = item["evidence"].get("pullSecrets")
        if secrets:  # what the pod sends is unknown: its secrets and its account were not in the dump
            assert secrets["serviceAccountUnreadable"] == "not-in-dump"
            assert secrets["serviceAccountSecrets"] is None
            said_missing = item["evidence"].get("pullSecretEvent") is not None
            for state in secrets["podSecrets"]:
                assert state["exists"] is (False if said_missing else None)
                assert state["unreadable"] == (None if said_missing else "not-in-dump")
        if item.get("owner") != seen.get("owner"):  # without ReplicaSets, the owner named is the nearest known
            assert form == "get-yaml" and item["owner"].startswith("replicaset/") and seen["owner"].startswith("deployment/")
        replacement = (item["evidence"].get("eviction") or {}).get("replacement")
        if replacement != (seen["evidence"].get("eviction") or {}).get("replacement"):  # its Job (or ReplicaSet) was not in the dump
            assert replacement["replaced"] is None and "was not read" in replacement["detail"]
        # No secret is created that the live diagnosis, which read them, would not create too.
        creates = {secret_claim(line) for line in item.get("fix", []) if "kubectl create secret" in line and "If " not in line}
        assert creates <= {secret_claim(line) for line in seen.get("fix", [])}, creates


@pytest.mark.parametrize("form", ["folder", "get-yaml"])
def test_evicted_differs_from_live_only_where_the_dump_lacks_facts(taken, form):
    sandbox, paths = taken
    _, live_doc, _ = live(sandbox, "evicted")
    code, doc, _ = run("evicted", "-A", "-o", "json", "-f", paths[form])
    assert code == 4  # nothing wrong is for evicted to say; part of what it reads was not in the dump
    online = {(i["namespace"], i["name"]): i for i in live_doc["items"]}
    offline = {(i["namespace"], i["name"]): i for i in doc["items"]}
    assert offline.keys() == online.keys()
    for key, item in offline.items():
        seen = online[key]
        known = {k: v for k, v in item["eviction"].items() if k != "replacement"}
        assert known == {k: v for k, v in seen["eviction"].items() if k != "replacement"}, key
        replacement = item["eviction"]["replacement"]
        if replacement != seen["eviction"]["replacement"]:  # its Job (or ReplicaSet) was not in the dump
            assert replacement["replaced"] is None and "was not read" in replacement["detail"]
        if item["owner"] != seen["owner"]:
            assert form == "get-yaml" and item["owner"].startswith("replicaset/") and seen["owner"].startswith("deployment/")


def test_secrets_check_says_unknown_where_live_found_secret_problems(taken):
    sandbox, paths = taken
    _, live_doc, _ = live(sandbox, "secrets-check")
    code, doc, _ = run("secrets-check", "-A", "-o", "json", "-f", paths["folder"])
    codes = {finding["code"] for finding in doc["items"]}
    assert not codes & ABSENCE_CODES
    assert {"SecretUnreadable", "ServiceAccountUnreadable"} <= codes
    assert code == 4  # nothing proven wrong, part of what decides it not in the dump
    unreadable = {(f["namespace"], f["workload"], f["secret"]) for f in doc["items"] if f["code"] == "SecretUnreadable"}
    about_secrets = {(f["namespace"], f["workload"], f["secret"]) for f in live_doc["items"]
                     if f["secret"] and f["code"] in ABSENCE_CODES and not f["workload"].startswith(("cronjob/", "statefulset/"))}
    assert about_secrets and about_secrets <= unreadable
    assert all("could not be read (not-in-dump)" in f["message"] for f in doc["items"] if f["code"] == "SecretUnreadable")


def test_a_dump_without_all_namespaces_covers_its_two(taken):
    """kubectl cluster-info dump without -A dumps kube-system and the context's namespace (default) only."""
    sandbox, paths = taken
    for namespace in ("kube-system", "default"):
        out, err = _Stream(), _Stream()
        online = main(["why", "-n", namespace, "-o", "json", "--kubeconfig", sandbox.kubeconfig_path],
                      Settings(stdout=out, stderr=err, stdin=_Stream(), environ={}, clock=lambda: NOW, color=False))
        code, doc, _ = run("why", "-n", namespace, "-o", "json", "-f", paths["default"])
        assert code == online and doc["items"], namespace
        assert [(i["pod"], i["cause"]) for i in doc["items"]] == \
               [(i["pod"], i["cause"]) for i in json.loads(out.getvalue())["items"]]
    out, err = _Stream(), _Stream()
    code = main(["why", "-n", "shop", "-f", paths["default"]],
                Settings(stdout=out, stderr=err, stdin=_Stream(), environ={}, clock=lambda: NOW, color=False))
    assert code == 2 and err.getvalue() == 'error: the dump holds no pods of namespace "shop": what they would show is unknown\n'


def test_stdin_and_several_paths_read_as_one_dump(taken):
    sandbox, paths = taken
    out, err = _Stream(), _Stream()
    stream = Path(paths["stream"]).read_text()
    code = main(["why", "-A", "-o", "json", "-f", "-"],
                Settings(stdout=out, stderr=err, stdin=_Stream(stream), environ={}, clock=lambda: NOW, color=False))
    _, from_file, _ = run("why", "-A", "-o", "json", "-f", paths["stream"])
    assert code == 1 and json.loads(out.getvalue()) == from_file
    # The same objects given twice (folder and stream) are one object each.
    _, twice, _ = run("why", "-A", "-o", "json", "-f", paths["folder"], "-f", paths["stream"])
    assert twice == from_file


def test_a_pod_and_a_workload_by_name_from_the_dump(taken):
    sandbox, paths = taken
    for target in (["why", "deploy/storefront", "-n", "shop"], ["why", "catalog-nwhjs9zf82-nrlhq", "-n", "shop"]):
        out, err = _Stream(), _Stream()
        online = main(target + ["-o", "json", "--kubeconfig", sandbox.kubeconfig_path],
                      Settings(stdout=out, stderr=err, stdin=_Stream(), environ={}, clock=lambda: NOW, color=False))
        code, doc, _ = run(*target, "-o", "json", "-f", paths["folder"])
        assert code == online
        assert [(i["pod"], i["cause"]) for i in doc["items"]] == \
               [(i["pod"], i["cause"]) for i in json.loads(out.getvalue())["items"]]

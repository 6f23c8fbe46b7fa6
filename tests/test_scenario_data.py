"""The built-in scenarios and the message corpora are data other tests trust: check that they
hang together (owners resolve, events name their pods, expectations name real pods and
containers, codes come from the fixed lists) before anything is concluded from them."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import yaml

from kubectl_pullmedic.core.kube import parse_time

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = ROOT / "kubectl_pullmedic" / "sandbox" / "scenarios"
DATA = Path(__file__).resolve().parent / "data"

Obj = Dict[str, Any]
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
EVENT_NAME_RE = re.compile(r"^(?P<object>.+)\.[0-9a-f]{16}$")
FIELD_PATH_RE = re.compile(r"^spec\.(?P<list>containers|initContainers)\{(?P<name>[^}]+)\}$")
TIMESTAMP_KEYS = frozenset({
    "creationTimestamp", "firstTimestamp", "lastTimestamp", "eventTime", "lastObservedTime", "startTime",
    "startedAt", "finishedAt", "lastTransitionTime", "lastProbeTime", "lastHeartbeatTime", "lastUpdateTime",
    "completionTime", "lastScheduleTime", "lastSuccessfulTime", "timeAdded", "time",
})
OWNER_API = {"ReplicaSet": "apps/v1", "Deployment": "apps/v1", "StatefulSet": "apps/v1", "DaemonSet": "apps/v1",
             "Job": "batch/v1", "CronJob": "batch/v1"}
CLUSTER_SCOPED = frozenset({"Node", "Namespace"})


class _TextTimes(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Keeps timestamps as the strings the API server sends."""


_TextTimes.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_TextTimes)


def _scenario_documents() -> Dict[str, Obj]:
    return {path.name: _load(path) for path in sorted(SCENARIO_DIR.glob("*.yaml"))}


DOCUMENTS = _scenario_documents()
OBJECTS: List[Obj] = [item for document in DOCUMENTS.values() for item in document["items"]]
EXPECT: Obj = _load(DATA / "scenario_expectations.yaml")
PULL_MESSAGES: List[Obj] = _load(DATA / "pull_messages.yaml")["messages"]
EVICTION_MESSAGES: List[Obj] = _load(DATA / "eviction_messages.yaml")["messages"]
KUBELET_ENDINGS: List[Obj] = _load(DATA / "kubelet_endings.yaml")["endings"]
PULL_CAUSES = frozenset(EXPECT["cause_codes"]["pull"])
EVICTION_CAUSES = frozenset(EXPECT["cause_codes"]["eviction"])


def _key(obj: Obj) -> Tuple[str, str, str]:
    meta = obj["metadata"]
    return obj["kind"], meta.get("namespace", ""), meta["name"]


BY_KEY = {_key(obj): obj for obj in OBJECTS}
BY_UID = {obj["metadata"]["uid"]: obj for obj in OBJECTS}
PODS = {(obj["metadata"]["namespace"], obj["metadata"]["name"]): obj for obj in OBJECTS if obj["kind"] == "Pod"}
EVENTS = [obj for obj in OBJECTS if obj["kind"] == "Event"]


def _walk(node: Any, path: str = "") -> Iterator[Tuple[str, str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("labels", "annotations", "data"):
                continue
            yield path, key, value
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for position, item in enumerate(node):
            yield from _walk(item, f"{path}[{position}]")


def _owner_chain(obj: Obj) -> List[Obj]:
    chain = []
    while obj["metadata"].get("ownerReferences"):
        obj = BY_UID[obj["metadata"]["ownerReferences"][0]["uid"]]
        chain.append(obj)
    return chain


def _containers(pod: Obj, init: bool) -> Dict[str, Obj]:
    return {c["name"]: c for c in pod["spec"].get("initContainers" if init else "containers", [])}


def _statuses(pod: Obj, init: bool) -> Dict[str, Obj]:
    key = "initContainerStatuses" if init else "containerStatuses"
    return {s["name"]: s for s in pod["status"].get(key) or []}


def _strict_b64(text: str) -> Optional[bytes]:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


# ---------------------------------------------------------------- the scenario files


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_each_file_is_a_v1_list(name: str) -> None:
    document = DOCUMENTS[name]
    assert document["apiVersion"] == "v1" and document["kind"] == "List"
    assert document["items"], f"{name} has no items"


def test_identities_are_well_formed_and_unique() -> None:
    uids = Counter(obj["metadata"]["uid"] for obj in OBJECTS)
    versions = Counter(obj["metadata"]["resourceVersion"] for obj in OBJECTS)
    assert [uid for uid, n in uids.items() if n > 1] == []
    assert [rv for rv, n in versions.items() if n > 1] == []
    assert all(UUID_RE.match(uid) for uid in uids), [uid for uid in uids if not UUID_RE.match(uid)]
    assert all(rv.isdigit() for rv in versions)
    assert len(BY_KEY) == len(OBJECTS), "two objects share kind, namespace and name"


def test_every_timestamp_parses() -> None:
    bad = [(path, key, value) for obj in OBJECTS for path, key, value in _walk(obj)
           if key in TIMESTAMP_KEYS and value is not None and parse_time(value) is None]
    assert bad == []


def test_namespaced_objects_live_in_declared_namespaces() -> None:
    namespaces = {obj["metadata"]["name"] for obj in OBJECTS if obj["kind"] == "Namespace"}
    for obj in OBJECTS:
        namespace = obj["metadata"].get("namespace")
        if obj["kind"] in CLUSTER_SCOPED:
            assert namespace is None, _key(obj)
        else:
            assert namespace in namespaces, _key(obj)


def test_owner_references_resolve_to_their_controllers() -> None:
    for obj in OBJECTS:
        refs = obj["metadata"].get("ownerReferences") or []
        assert len(refs) <= 1, _key(obj)
        for ref in refs:
            owner = BY_UID.get(ref["uid"])
            assert owner is not None, f"{_key(obj)} names a missing owner uid {ref['uid']}"
            assert (owner["kind"], owner["metadata"]["name"]) == (ref["kind"], ref["name"]), _key(obj)
            assert owner["metadata"]["namespace"] == obj["metadata"]["namespace"], _key(obj)
            assert ref["apiVersion"] == OWNER_API[ref["kind"]] and ref["controller"] is True, _key(obj)


def test_selectors_and_template_hashes_match_the_pods() -> None:
    for obj in OBJECTS:
        refs = obj["metadata"].get("ownerReferences") or []
        if obj["kind"] not in ("Pod", "ReplicaSet") or not refs:
            continue
        owner = BY_UID[refs[0]["uid"]]
        if owner["kind"] == "CronJob":
            continue
        selector = owner["spec"]["selector"]["matchLabels"]
        labels = obj["metadata"].get("labels", {})
        assert selector.items() <= labels.items(), f"{_key(obj)} does not match {owner['metadata']['name']}"
        if owner["kind"] == "ReplicaSet":
            assert owner["metadata"]["name"] == f"{owner['metadata']['ownerReferences'][0]['name']}-{labels['pod-template-hash']}"
        if obj["kind"] == "Pod" and owner["kind"] != "StatefulSet":
            assert obj["metadata"]["name"].startswith(owner["metadata"]["name"] + "-"), _key(obj)


def test_pods_name_existing_nodes_and_service_accounts() -> None:
    nodes = {obj["metadata"]["name"] for obj in OBJECTS if obj["kind"] == "Node"}
    accounts = {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in OBJECTS if o["kind"] == "ServiceAccount"}
    for (namespace, name), pod in PODS.items():
        node = pod["spec"].get("nodeName")
        assert node is None or node in nodes, (namespace, name)
        assert (namespace, pod["spec"]["serviceAccountName"]) in accounts, (namespace, name)


def test_nodes_cover_the_runtimes_architectures_and_pressures() -> None:
    nodes = [obj for obj in OBJECTS if obj["kind"] == "Node"]
    infos = [node["status"]["nodeInfo"] for node in nodes]
    assert {info["containerRuntimeVersion"].split("://")[0] for info in infos} == {"containerd", "cri-o", "docker"}
    assert {info["architecture"] for info in infos} == {"amd64", "arm64"}
    for node in nodes:
        assert node["metadata"]["labels"]["kubernetes.io/arch"] == node["status"]["nodeInfo"]["architecture"]
    pressures = Counter(c["type"] for node in nodes for c in node["status"]["conditions"]
                        if c["type"].endswith("Pressure") and c["status"] == "True")
    assert pressures == {"DiskPressure": 1, "MemoryPressure": 1}
    minors = {int(info["kubeletVersion"].split(".")[1]) for info in infos}
    assert min(minors) < 32 <= max(minors), "both waiting-message forms need a node"


def test_events_name_their_objects() -> None:
    for event in EVENTS:
        involved = event["involvedObject"]
        match = EVENT_NAME_RE.match(event["metadata"]["name"])
        assert match and match["object"] == involved["name"], event["metadata"]["name"]
        if involved["kind"] == "Node":
            assert involved["uid"] == involved["name"] and ("Node", "", involved["name"]) in BY_KEY
            continue
        pod = PODS[(involved["namespace"], involved["name"])]
        assert involved["uid"] == pod["metadata"]["uid"], event["metadata"]["name"]
        assert event["metadata"]["namespace"] == involved["namespace"]
        path = involved.get("fieldPath")
        if path:
            parts = FIELD_PATH_RE.match(path)
            assert parts and parts["name"] in _containers(pod, parts["list"] == "initContainers"), path
        if event.get("reportingComponent") == "kubelet":
            assert event["source"] == {"component": "kubelet", "host": pod["spec"]["nodeName"]}
            assert event["reportingInstance"] == pod["spec"]["nodeName"] and event["count"] >= 1
            assert parse_time(event["firstTimestamp"]) <= parse_time(event["lastTimestamp"])


# ---------------------------------------------------------------- secrets


def _auths(secret: Obj) -> Dict[str, Obj]:
    decoded = _strict_b64(secret["data"][".dockerconfigjson"])
    assert decoded is not None
    return json.loads(decoded)["auths"]


def test_secret_data_is_base64_and_only_the_malformed_auth_is_not() -> None:
    malformed = {(f["namespace"], f["secret"]) for f in EXPECT["secret_findings"] if f["code"] == "SecretMalformed"}
    unreadable = set()
    for secret in (obj for obj in OBJECTS if obj["kind"] == "Secret"):
        key = (secret["metadata"]["namespace"], secret["metadata"]["name"])
        for field, value in secret["data"].items():
            assert _strict_b64(value) is not None, (key, field)
        if ".dockerconfigjson" not in secret["data"]:
            continue
        for host, entry in _auths(secret).items():
            auth = _strict_b64(entry.get("auth", ""))
            if auth is None or b":" not in auth:
                unreadable.add(key)
            else:
                assert auth.decode() == f"{entry['username']}:{entry['password']}", (key, host)
    assert malformed and unreadable == malformed


def test_the_fake_password_is_there_to_be_hidden() -> None:
    passwords = [entry.get("password") for obj in OBJECTS if obj["kind"] == "Secret"
                 and ".dockerconfigjson" in obj["data"] for entry in _auths(obj).values()]
    assert "s3cr3t-do-not-print" in passwords


# ---------------------------------------------------------------- the expectations


def _all_entries() -> Iterator[Tuple[str, Obj]]:
    for section in ("pull_problems", "evictions", "healthy", "not_evicted", "secret_findings", "secrets_ok"):
        for entry in EXPECT[section]:
            yield section, entry


def test_every_pod_has_exactly_one_verdict() -> None:
    verdicts = Counter((e["namespace"], e["pod"]) for section, e in _all_entries()
                       if section in ("evictions", "healthy", "not_evicted"))
    verdicts.update({(e["namespace"], e["pod"]) for e in EXPECT["pull_problems"]})
    assert set(verdicts) == set(PODS), set(PODS) ^ set(verdicts)
    assert [pod for pod, n in verdicts.items() if n > 1] == []


def test_entries_name_real_pods_owners_and_codes() -> None:
    for section, entry in _all_entries():
        pod = PODS[(entry["namespace"], entry["pod"])]
        chain = _owner_chain(pod)
        expected_owner = f"{chain[0]['kind']}/{chain[0]['metadata']['name']}" if chain else None
        assert entry["owner"] == expected_owner, (section, entry["pod"])
        top = chain[-1] if chain else pod
        assert entry["workload"] == f"{top['kind']}/{top['metadata']['name']}", (section, entry["pod"])
        if section == "secret_findings":
            assert entry["code"] in EXPECT["secret_finding_codes"], entry


def test_pull_problems_point_at_a_waiting_container_with_evidence() -> None:
    for entry in EXPECT["pull_problems"]:
        pod = PODS[(entry["namespace"], entry["pod"])]
        assert entry["cause"] in PULL_CAUSES and set(entry.get("alternatives", [])) <= PULL_CAUSES - {entry["cause"]}
        assert entry["container"] in _containers(pod, entry["init"]), entry["pod"]
        waiting = _statuses(pod, entry["init"])[entry["container"]]["state"]["waiting"]
        assert pod["status"]["phase"] == "Pending" and pod["spec"]["nodeName"] == entry["node"]
        warnings = [e for e in EVENTS if e["involvedObject"].get("uid") == pod["metadata"]["uid"]
                    and e["type"] == "Warning" and e["reason"] != "FailedToRetrieveImagePullSecret"]
        assert ("event" in entry["evidence"]) == bool(warnings), entry["pod"]
        message = waiting.get("message", "")
        has_error = not message.startswith("Back-off pulling image") or "ErrImagePull: " in message
        assert ("waiting-message" in entry["evidence"]) == has_error, entry["pod"]


def test_evictions_are_failed_pods_of_known_kinds() -> None:
    for entry in EXPECT["evictions"]:
        pod = PODS[(entry["namespace"], entry["pod"])]
        assert pod["status"]["phase"] == "Failed" and entry["cause"] in EVICTION_CAUSES
        assert entry["kind"] in EXPECT["eviction_kinds"]
        assert entry["owned_by_job"] == any(o["kind"] == "Job" for o in _owner_chain(pod))
        disruption = [c for c in pod["status"].get("conditions", []) if c["type"] == "DisruptionTarget"]
        text = pod["status"].get("message") or (disruption[0]["message"] if disruption else "")
        assert text, f"{entry['pod']}: no eviction message anywhere in the status"
        if entry["kind"] == "NodePressure" and disruption:
            assert disruption[0]["reason"] == "TerminationByKubelet" and disruption[0]["message"] == text
    kinds = Counter(e["kind"] for e in EXPECT["evictions"])
    causes = {e["cause"] for e in EXPECT["evictions"]}
    assert set(kinds) == set(EXPECT["eviction_kinds"]) and causes == EVICTION_CAUSES - {"EvictedOther"}
    assert any(e["owned_by_job"] for e in EXPECT["evictions"])


def test_not_evicted_and_healthy_pods_are_what_they_claim() -> None:
    for entry in EXPECT["not_evicted"]:
        status = PODS[(entry["namespace"], entry["pod"])]["status"]
        assert status["phase"] == "Failed" and status.get("reason") == entry["status_reason"], entry["pod"]
    for entry in EXPECT["healthy"]:
        pod = PODS[(entry["namespace"], entry["pod"])]
        assert pod["status"]["phase"] in ("Running", "Succeeded", "Pending"), entry["pod"]
        waiting = [s["state"]["waiting"]["reason"] for s in pod["status"].get("containerStatuses", [])
                   if "waiting" in s["state"]]
        assert set(waiting) <= {"ContainerCreating", "PodInitializing"}, entry["pod"]


def test_secret_findings_name_secrets_that_do_or_do_not_exist() -> None:
    secrets = {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in OBJECTS if o["kind"] == "Secret"}
    for entry in EXPECT["secret_findings"] + EXPECT["secrets_ok"]:
        if entry.get("secret") is None:
            continue
        exists = (entry["namespace"], entry["secret"]) in secrets
        assert exists == (entry.get("code") != "SecretNotFound"), entry
    codes = {entry["code"] for entry in EXPECT["secret_findings"]}
    assert codes == set(EXPECT["secret_finding_codes"])


# ---------------------------------------------------------------- the corpora

RUNTIMES = frozenset({"containerd", "cri-o", "docker"})
REGISTRIES = frozenset({"dockerhub", "ecr", "acr", "gcr", "artifact-registry", "ghcr", "quay", "harbor", "gitlab",
                        "generic"})


def test_pull_corpus_is_well_formed() -> None:
    assert len(PULL_MESSAGES) >= 60
    messages = Counter(entry["message"] for entry in PULL_MESSAGES)
    assert [m for m, n in messages.items() if n > 1] == []
    for entry in PULL_MESSAGES:
        assert entry["runtime"] in RUNTIMES and entry["registry"] in REGISTRIES, entry["message"]
        assert entry["cause"] in PULL_CAUSES and entry["source"].strip(), entry["message"]
        assert set(entry.get("alternatives", [])) <= PULL_CAUSES - {entry["cause"]}, entry["message"]
        if "detail" in entry:
            assert entry["cause"] == "ImageNotFound" and entry["detail"] in ("tag", "repository", "digest")
        assert "exec format error" not in entry["message"]


def test_pull_corpus_covers_every_cause_and_runtime() -> None:
    assert {entry["cause"] for entry in PULL_MESSAGES} == PULL_CAUSES
    assert {entry["runtime"] for entry in PULL_MESSAGES} == RUNTIMES
    assert {entry["registry"] for entry in PULL_MESSAGES} == REGISTRIES
    waiting = [e for e in PULL_MESSAGES if e["message"].startswith("Back-off pulling image")]
    assert waiting and all("ErrImagePull: " in e["message"] for e in waiting)


def test_eviction_corpus_is_well_formed() -> None:
    messages = Counter(entry["message"] for entry in EVICTION_MESSAGES)
    assert [m for m, n in messages.items() if n > 1] == []
    for entry in EVICTION_MESSAGES:
        assert entry["kind"] in EXPECT["eviction_kinds"] and entry["cause"] in EVICTION_CAUSES, entry["message"]
        assert entry["kind"] == "AdmissionRejected" or entry["resource"], entry["message"]
        for container in entry["containers"]:
            assert {"usage", "request"} <= container.keys() or "limit" in container, entry["message"]
        if entry["kind"] == "AdmissionRejected":
            assert entry["node_conditions"], entry["message"]
        if entry["threshold"] is not None and entry["kind"] == "NodePressure":
            assert f"Threshold quantity: {entry['threshold']}, available: {entry['available']}" in entry["message"]
        assert entry["source"].strip(), entry["message"]
    assert {entry["kind"] for entry in EVICTION_MESSAGES} == {"NodePressure", "LocalStorageLimit", "AdmissionRejected"}


def test_endings_corpus_is_well_formed() -> None:
    keys = Counter((entry["reason"], entry["message"], entry.get("condition")) for entry in KUBELET_ENDINGS)
    assert [key for key, n in keys.items() if n > 1] == []
    for entry in KUBELET_ENDINGS:
        assert entry["source"].strip(), entry
        if entry["kind"] is None:
            assert "cause" not in entry, entry
            continue
        assert entry["kind"] in EXPECT["eviction_kinds"] and entry["cause"] in EVICTION_CAUSES, entry
        assert entry["reason"] or entry.get("condition"), entry
    assert any(entry["kind"] is None for entry in KUBELET_ENDINGS)


def test_the_corpora_cover_every_eviction_kind_and_cause() -> None:
    kinds = {entry["kind"] for entry in EVICTION_MESSAGES + KUBELET_ENDINGS if entry["kind"]}
    causes = {entry["cause"] for entry in EVICTION_MESSAGES + KUBELET_ENDINGS if entry["kind"]}
    assert kinds == set(EXPECT["eviction_kinds"])
    assert causes | {"EvictedOther"} == EVICTION_CAUSES

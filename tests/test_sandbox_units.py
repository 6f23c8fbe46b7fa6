"""The sandbox's pure parts: selectors, tables, loading, the store's paging and preconditions."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from kubectl_pullmedic.core.kube import parse_time
from kubectl_pullmedic.sandbox import SCENARIO_ANCHOR, ForbidRule, parse_documents
from kubectl_pullmedic.sandbox import loading, resources, status
from kubectl_pullmedic.core.selectors import SelectorError, parse_field_selector, parse_label_selector
from kubectl_pullmedic.sandbox.store import ObjectStore
from kubectl_pullmedic.sandbox.tables import pod_cells
from kubectl_pullmedic.sandbox.verbs import delete_options, table_request

NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)
PODS = resources.resolve("pods")


@pytest.mark.parametrize(
    "selector, labels, expected",
    [
        ("app=web", {"app": "web"}, True),
        ("app==web", {"app": "api"}, False),
        ("app!=web", {}, True),  # != matches a missing key
        ("app in (web, api)", {"app": "api"}, True),
        ("app notin (web,api)", {}, True),
        ("app notin (web,api)", {"app": "web"}, False),
        ("app", {"app": ""}, True),
        ("!app", {"app": "x"}, False),
        ("app=web,tier=front", {"app": "web"}, False),
        ("app=", {"app": ""}, True),
        ("replicas>2", {"replicas": "3"}, True),
        ("replicas<2", {"replicas": "x"}, False),
        ("", {"any": "thing"}, True),
    ],
)
def test_label_selector_semantics(selector, labels, expected):
    assert parse_label_selector(selector)(labels) is expected


@pytest.mark.parametrize("selector", ["app in web", "app=(x", "=x", "app in (a", "a>b"])
def test_malformed_label_selectors_are_errors(selector):
    with pytest.raises(SelectorError):
        parse_label_selector(selector)


def test_field_selector_terms_and_errors():
    terms = parse_field_selector(r"status.phase!=Running,metadata.name==a\,b,spec.nodeName=")
    assert [(t.field, t.negated, t.value) for t in terms] == [
        ("status.phase", True, "Running"), ("metadata.name", False, "a,b"), ("spec.nodeName", False, "")
    ]
    with pytest.raises(SelectorError, match="invalid selector"):
        parse_field_selector("status.phase")


def test_field_sets_follow_the_real_server_per_kind():
    assert resources.resolve("events").field_set({"source": {"component": "kubelet"}})["source"] == "kubelet"
    assert resources.resolve("pods").field_set({"spec": {"hostNetwork": True}})["spec.hostNetwork"] == "true"
    assert "status.reason" not in PODS.field_set({})
    assert PODS.field_error("status.reason") == "field label not supported: status.reason"
    assert resources.resolve("jobs").field_error("x") == 'field label "x" not supported for batchv1.Job'
    assert resources.resolve("deploy").field_error("spec.x") == (
        '"spec.x" is not a known field selector: only "metadata.name", "metadata.namespace"'
    )
    assert "metadata.namespace" not in resources.resolve("nodes").field_set({})


def test_resource_names_resolve_like_kubectl():
    assert resources.resolve("po") is PODS
    assert resources.resolve("ReplicaSet").qualified == "replicasets.apps"
    assert resources.resolve("cj").qualified_kind == "CronJob.batch"
    with pytest.raises(KeyError):
        resources.resolve("configmaps")


def test_table_media_type_negotiation():
    assert table_request("application/json;as=Table;v=v1beta1;g=meta.k8s.io").api_version == "meta.k8s.io/v1beta1"
    assert table_request("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io") is None


def test_delete_options_come_from_the_body_when_there_is_one():
    query = {"dryRun": ["All"], "gracePeriodSeconds": ["0"]}
    assert delete_options(b'{"preconditions":{"uid":"u"}}', query) == {"preconditions": {"uid": "u"}}
    assert delete_options(b"", query) == {"dryRun": ["All"], "gracePeriodSeconds": "0"}


def _pod(status_: dict, deleting: bool = False, init: int = 0) -> dict:
    pod = {"metadata": {"name": "p", "creationTimestamp": "2029-12-31T23:00:00Z"},
           "spec": {"containers": [{"name": "app"}], "initContainers": [{"name": f"i{n}"} for n in range(init)]},
           "status": status_}
    if deleting:
        pod["metadata"]["deletionTimestamp"] = "2030-01-01T00:00:00Z"
    return pod


@pytest.mark.parametrize(
    "pod, ready, shown, restarts",
    [
        (_pod({"phase": "Failed", "reason": "Evicted"}), "0/1", "Evicted", "0"),
        (_pod({"phase": "Pending", "containerStatuses": [
            {"name": "app", "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}), "0/1", "ImagePullBackOff", "0"),
        (_pod({"phase": "Pending", "initContainerStatuses": [
            {"name": "i0", "state": {"waiting": {"reason": "ErrImagePull"}}}]}, init=1),
         "0/1", "Init:ErrImagePull", "0"),
        (_pod({"phase": "Pending", "initContainerStatuses": [
            {"name": "i0", "state": {"terminated": {"exitCode": 0}}},
            {"name": "i1", "state": {"running": {}}}]}, init=2), "0/1", "Init:1/2", "0"),
        (_pod({"phase": "Running", "containerStatuses": [
            {"name": "app", "ready": True, "restartCount": 3, "state": {"running": {}},
             "lastState": {"terminated": {"exitCode": 137, "finishedAt": "2029-12-31T23:55:00Z"}}}]}),
         "1/1", "Running", "3 (5m ago)"),
        (_pod({"phase": "Running", "containerStatuses": [
            {"name": "app", "state": {"terminated": {"exitCode": 2}}}]}), "0/1", "ExitCode:2", "0"),
        (_pod({"phase": "Running", "containerStatuses": [
            {"name": "app", "ready": True, "state": {"running": {}}}]}, deleting=True), "1/1", "Terminating", "0"),
        (_pod({"phase": "Failed", "reason": "Evicted"}, deleting=True), "0/1", "Evicted", "0"),
    ],
)
def test_pod_rows_read_like_kubectl(pod, ready, shown, restarts):
    cells = pod_cells(pod, NOW)
    assert cells[1:5] == [ready, shown, restarts, "60m"]


def test_documents_in_every_shape_kubectl_writes(tmp_path):
    pod_list = {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": [{"metadata": {"name": "a"}}]}
    v1_list = {"kind": "List", "apiVersion": "v1",
               "items": [{"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "s"}}]}
    assert [o["kind"] for o in parse_documents(json.dumps(pod_list))] == ["Pod"]
    assert [o["kind"] for o in parse_documents(json.dumps(v1_list))] == ["Secret"]
    path = tmp_path / "dump.yaml"
    path.write_text(
        "kind: Node\napiVersion: v1\nmetadata: {name: n}\n---\n---\n"
        "kind: Namespace\napiVersion: v1\nmetadata:\n  name: x\n  creationTimestamp: 2030-01-01T00:00:00Z\n"
    )
    objects = loading.load_file(path)
    assert [o["kind"] for o in objects] == ["Node", "Namespace"]
    assert objects[1]["metadata"]["creationTimestamp"] == "2030-01-01T00:00:00Z"  # a string, not a datetime
    with pytest.raises(ValueError):
        parse_documents("- just\n- strings\n")


def test_scenarios_move_every_timestamp_by_now_minus_anchor(tmp_path):
    assert SCENARIO_ANCHOR == datetime(2030, 1, 1, tzinfo=timezone.utc)
    hour_before = "2029-12-31T23:00:00Z"
    pod = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "x", "creationTimestamp": hour_before,
                     "annotations": {"startedAt": hour_before}},
        "status": {
            "startTime": hour_before,
            "conditions": [{"type": "Ready", "lastTransitionTime": hour_before}],
            "containerStatuses": [{"name": "a", "state": {"terminated": {"finishedAt": hour_before}},
                                   "lastState": {"terminated": {"finishedAt": hour_before}}}],
        },
    }
    event = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e", "namespace": "x"},
             "eventTime": "2029-12-31T23:00:00.000000Z",
             "series": {"count": 2, "lastObservedTime": "2029-12-31T23:00:00.000000Z"}}
    (tmp_path / "case.yaml").write_text(yaml.safe_dump_all([pod, event]))
    now = SCENARIO_ANCHOR + timedelta(days=-1000, seconds=5)
    moved_pod, moved_event = loading.scenario_objects(now=now, directory=tmp_path)
    expected = (datetime(2029, 12, 31, 23, tzinfo=timezone.utc) + (now - SCENARIO_ANCHOR)).strftime("%Y-%m-%dT%H:%M:%S")
    status_ = moved_pod["status"]
    assert {
        moved_pod["metadata"]["creationTimestamp"], status_["startTime"],
        status_["conditions"][0]["lastTransitionTime"],
        status_["containerStatuses"][0]["state"]["terminated"]["finishedAt"],
        status_["containerStatuses"][0]["lastState"]["terminated"]["finishedAt"],
    } == {expected + "Z"}
    assert moved_pod["metadata"]["annotations"]["startedAt"] == hour_before  # user data is left alone
    assert moved_event["eventTime"] == moved_event["series"]["lastObservedTime"] == expected + ".000000Z"


def test_forbid_rules():
    pods = PODS
    everywhere, in_ns, cluster_only = (ForbidRule.parse(r) for r in ("list:pods", "list:pods:prod", "*:pods:"))
    assert everywhere.denies("list", pods, "dev") and everywhere.denies("list", pods, "")
    assert in_ns.denies("list", pods, "prod") and in_ns.denies("list", pods, "")
    assert not in_ns.denies("list", pods, "dev") and not in_ns.denies("get", pods, "prod")
    assert cluster_only.denies("delete", pods, "") and not cluster_only.denies("delete", pods, "dev")
    assert ForbidRule.parse("list:deployments.apps").denies("list", resources.resolve("deploy"), "x")
    with pytest.raises(ValueError):
        ForbidRule.parse("list")


def _named(namespace: str, name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace}}


def test_store_pages_in_key_order_and_keeps_namespaces_apart():
    store = ObjectStore()
    store.put_many([_named(ns, n) for ns in ("a-b", "a", "b") for n in ("z", "y", "x")])
    store.put(_named("a", "m"))
    page = store.list_page(PODS, "a", None, 0, "")
    assert [e.decode()["metadata"]["name"] for e in page.items] == ["m", "x", "y", "z"]
    first = store.list_page(PODS, "", None, 4, "")
    assert [(e.decode()["metadata"]["namespace"], e.decode()["metadata"]["name"]) for e in first.items] == [
        ("a", "m"), ("a", "x"), ("a", "y"), ("a", "z")]
    assert first.remaining_item_count == 6 and first.continue_token
    second = store.list_page(PODS, "", None, 100, first.continue_token)
    assert len(second.items) == 6 and not second.continue_token
    assert second.resource_version == first.resource_version
    # Namespaces a pod uses exist as Namespace objects.
    namespaces = store.list_page(resources.NAMESPACES, "", None, 0, "")
    assert [e.decode()["metadata"]["name"] for e in namespaces.items] == ["a", "a-b", "b"]


def test_expired_tokens_answer_410_with_an_inconsistent_token():
    store = ObjectStore()
    store.put_many([_named("ns", f"p{i}") for i in range(5)])
    token = store.list_page(PODS, "ns", None, 2, "").continue_token
    store.expire_continue_tokens()
    with pytest.raises(status.ApiStatus) as expired:
        store.list_page(PODS, "ns", None, 2, token)
    assert expired.value.code == 410 and expired.value.reason == "Expired"
    resumed = store.list_page(PODS, "ns", None, 10, expired.value.list_continue)
    assert [e.decode()["metadata"]["name"] for e in resumed.items] == ["p2", "p3", "p4"]
    with pytest.raises(status.ApiStatus) as garbage:
        store.list_page(PODS, "ns", None, 2, "not-a-token")
    assert garbage.value.code == 400


def test_delete_preconditions_and_dry_run():
    store = ObjectStore()
    stored = store.put(_named("ns", "p"))
    with pytest.raises(status.ApiStatus) as conflict:
        store.delete(PODS, "ns", "p", uid="other")
    assert conflict.value.message == (
        f'Operation cannot be fulfilled on Pod "p": the UID in the precondition (other) does not match the UID '
        f"in record ({stored.uid}). The object might have been deleted and then recreated"
    )
    assert store.delete(PODS, "ns", "p", uid=stored.uid, dry_run=True).uid == stored.uid
    assert store.get(PODS, "ns", "p") is not None
    replaced = store.put(_named("ns", "p"))
    assert replaced.uid == stored.uid and replaced.resource_version != stored.resource_version
    with pytest.raises(status.ApiStatus, match="ResourceVersion in the precondition"):
        store.delete(PODS, "ns", "p", resource_version=stored.resource_version)
    store.delete(PODS, "ns", "p", resource_version=replaced.resource_version)
    with pytest.raises(status.ApiStatus, match='pods "p" not found'):
        store.delete(PODS, "ns", "p")


def _timestamps(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in loading.OPAQUE_KEYS:
                continue
            if key in loading.TIMESTAMP_KEYS and isinstance(value, str):
                yield f"{path}.{key}", value
            else:
                yield from _timestamps(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _timestamps(item, f"{path}[{index}]")


@pytest.mark.parametrize("path", loading.scenario_files(), ids=lambda p: p.name)
def test_builtin_scenarios_load_and_predate_the_anchor(path):
    objects = loading.load_file(path)
    store = ObjectStore()
    store.put_many(objects)  # every object is of a served kind, with a name
    for obj in objects:
        for where, value in _timestamps(obj):
            moment = parse_time(value)
            assert moment is not None, f"{path.name} {obj['metadata']['name']}{where}: {value!r}"
            assert moment <= SCENARIO_ANCHOR, f"{path.name} {obj['metadata']['name']}{where} is after the anchor"

"""The sandbox through the real ``kubernetes`` client over real HTTP, as the plugin will use it."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from conftest import build_event, build_pod
from kubectl_pullmedic.sandbox import api as sandbox_api, kubeconfig_document


def core(sb):
    return client.CoreV1Api(config.new_client_from_config(config_file=sb.kubeconfig_path))


def body(response):
    return json.loads(response.data)


class SleepRecorder:
    """Stands in for the ``time`` module of sandbox/api.py: its pauses are recorded, not slept."""

    def __init__(self):
        self.slept = []

    def sleep(self, seconds):
        self.slept.append(seconds)

    def __getattr__(self, name):
        return getattr(time, name)


@pytest.fixture
def pauses(monkeypatch):
    """What the sandbox paused for (request latency, watch pauses), in seconds."""
    recorder = SleepRecorder()
    monkeypatch.setattr(sandbox_api, "time", recorder)
    return recorder.slept


def failure(call, *args, **kwargs):
    with pytest.raises(ApiException) as caught:
        call(*args, _preload_content=False, **kwargs)
    return caught.value.status, json.loads(caught.value.body)


def test_paging_with_limit_and_continue(make_sandbox):
    sb = make_sandbox(objects=[build_pod(f"p{i}", f"ns{i % 2}") for i in range(7)])
    api = core(sb)
    first = body(api.list_pod_for_all_namespaces(limit=3, _preload_content=False))
    assert first["kind"] == "PodList" and first["apiVersion"] == "v1"
    # like kube-apiserver, list items carry no apiVersion/kind (kubernetes issue 3030)
    assert all("kind" not in item and "apiVersion" not in item for item in first["items"])
    assert [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in first["items"]] == [
        ("ns0", "p0"), ("ns0", "p2"), ("ns0", "p4")]
    assert first["metadata"]["remainingItemCount"] == 4
    names, token = [], first["metadata"]["continue"]
    while token:
        page = body(api.list_pod_for_all_namespaces(limit=3, _continue=token, _preload_content=False))
        assert page["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
        names += [i["metadata"]["name"] for i in page["items"]]
        token = page["metadata"].get("continue")
    assert names == ["p6", "p1", "p3", "p5"]
    namespaced = body(api.list_namespaced_pod("ns1", limit=10, _preload_content=False))
    assert [i["metadata"]["name"] for i in namespaced["items"]] == ["p1", "p3", "p5"]
    assert "continue" not in namespaced["metadata"]


def test_expired_continue_token_is_410_gone(make_sandbox):
    sb = make_sandbox(objects=[build_pod(f"p{i}") for i in range(5)])
    api = core(sb)
    token = body(api.list_namespaced_pod("default", limit=2, _preload_content=False))["metadata"]["continue"]
    sb.expire_continue_tokens()
    code, status = failure(api.list_namespaced_pod, "default", limit=2, _continue=token)
    assert code == 410 and status["reason"] == "Expired" and status["code"] == 410
    assert status["message"].startswith(
        "The provided continue parameter is too old to display a consistent list result. "
        "You can start a new list without the continue parameter"
    )
    restarted = body(api.list_namespaced_pod("default", limit=5, _preload_content=False))
    assert len(restarted["items"]) == 5


def test_label_and_field_selectors(make_sandbox):
    web = build_pod("web", "shop", labels={"app": "web", "tier": "front"})
    evicted = build_pod("old", "shop", phase="Failed", reason="Evicted", node="node-b", labels={"app": "web"})
    db = build_pod("db", "data", labels={"app": "db"})
    events = [build_event(web, "Failed", 'Failed to pull image "x"'),
              build_event(web, "Pulling", 'Pulling image "x"', event_type="Normal")]
    sb = make_sandbox(objects=[web, evicted, db, *events])
    api = core(sb)

    def names(**selectors):
        return sorted(i["metadata"]["name"] for i in body(
            api.list_pod_for_all_namespaces(_preload_content=False, **selectors))["items"])

    assert names(label_selector="app=web") == ["old", "web"]
    assert names(label_selector="app in (web,db),tier!=front") == ["db", "old"]
    assert names(label_selector="!tier") == ["db", "old"]
    assert names(field_selector="status.phase=Failed") == ["old"]
    assert names(field_selector="status.phase!=Failed,spec.nodeName=node-a") == ["db", "web"]
    assert names(field_selector="metadata.namespace=data") == ["db"]
    warnings = body(api.list_namespaced_event(
        "shop", field_selector="type=Warning,involvedObject.kind=Pod,involvedObject.name=web", _preload_content=False))
    assert [e["reason"] for e in warnings["items"]] == ["Failed"]
    assert warnings["items"][0]["involvedObject"]["uid"] == sb.get("pod", "shop", "web")["metadata"]["uid"]


def test_unsupported_field_label_is_400(make_sandbox):
    api = core(make_sandbox())
    code, status = failure(api.list_pod_for_all_namespaces, field_selector="status.reason=Evicted")
    assert (code, status["reason"]) == (400, "BadRequest")
    assert status["message"] == "field label not supported: status.reason"
    code, status = failure(api.list_namespaced_pod, "x", label_selector="app in web")
    assert code == 400


def test_401_without_or_with_a_wrong_token(make_sandbox, tmp_path):
    sb = make_sandbox(allow_anonymous=False)
    request = urllib.request.Request(sb.url + "/api/v1/pods")
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        urllib.request.urlopen(request)
    assert anonymous.value.code == 401 and json.loads(anonymous.value.read())["reason"] == "Unauthorized"
    wrong = tmp_path / "wrong-token"
    wrong.write_text(yaml.safe_dump(kubeconfig_document(sb.url, "not-the-token")))
    code, status = failure(client.CoreV1Api(config.new_client_from_config(str(wrong))).list_pod_for_all_namespaces)
    assert (code, status["message"]) == (401, "Unauthorized")
    assert body(core(sb).list_pod_for_all_namespaces(_preload_content=False))["items"] == []


def test_403_with_the_rbac_message(make_sandbox):
    sb = make_sandbox(objects=[build_pod("x", "prod"), build_pod("y", "dev")],
                      forbid=["list:pods:kube-system", "delete:pods:prod", "list:deployments"])
    api = core(sb)
    user = 'User "system:serviceaccount:default:pullmedic"'
    code, status = failure(api.list_pod_for_all_namespaces)
    assert (code, status["reason"]) == (403, "Forbidden")
    assert status["message"] == (
        f'pods is forbidden: {user} cannot list resource "pods" in API group "" at the cluster scope')
    _, status = failure(api.list_namespaced_pod, "kube-system")
    assert status["message"].endswith('in API group "" in the namespace "kube-system"')
    assert body(api.list_namespaced_pod("dev", _preload_content=False))["items"][0]["metadata"]["name"] == "y"
    _, status = failure(api.delete_namespaced_pod, "x", "prod")
    assert status["message"] == (
        f'pods "x" is forbidden: {user} cannot delete resource "pods" in API group "" in the namespace "prod"')
    assert status["details"] == {"name": "x", "kind": "pods"}
    apps = client.AppsV1Api(config.new_client_from_config(config_file=sb.kubeconfig_path))
    with pytest.raises(ApiException) as denied:
        apps.list_namespaced_deployment("dev", _preload_content=False)
    assert json.loads(denied.value.body)["message"].startswith(
        f'deployments.apps is forbidden: {user} cannot list resource "deployments" in API group "apps"')


def test_404_for_a_missing_object(make_sandbox):
    code, status = failure(core(make_sandbox()).read_namespaced_pod, "ghost", "default")
    assert (code, status["reason"], status["message"]) == (404, "NotFound", 'pods "ghost" not found')
    assert status["details"] == {"name": "ghost", "kind": "pods"}


def test_409_on_uid_and_resource_version_preconditions(make_sandbox):
    sb = make_sandbox(objects=[build_pod("p", uid="real-uid")])
    api = core(sb)
    code, status = failure(api.delete_namespaced_pod, "p", "default", body={"preconditions": {"uid": "stale-uid"}})
    assert (code, status["reason"]) == (409, "Conflict")
    assert status["message"] == (
        'Operation cannot be fulfilled on Pod "p": the UID in the precondition (stale-uid) does not match the UID '
        "in record (real-uid). The object might have been deleted and then recreated")
    assert status["details"] == {"name": "p", "kind": "Pod"}
    current = sb.get("pods", "default", "p")["metadata"]["resourceVersion"]
    _, status = failure(api.delete_namespaced_pod, "p", "default", body={"preconditions": {"resourceVersion": "0"}})
    assert status["message"].endswith(
        f"the ResourceVersion in the precondition (0) does not match the ResourceVersion in record ({current}). "
        "The object might have been modified")
    both = {"preconditions": {"uid": "real-uid", "resourceVersion": current}}
    deleted = body(api.delete_namespaced_pod("p", "default", body=both, _preload_content=False))
    assert deleted["metadata"]["name"] == "p" and sb.get("pod", "default", "p") is None


def test_dry_run_in_the_body_keeps_the_object_and_in_the_query_is_ignored_beside_a_body(make_sandbox):
    sb = make_sandbox(objects=[build_pod("keep"), build_pod("gone")])
    api = core(sb)
    answer = body(api.delete_namespaced_pod("keep", "default", body={"dryRun": ["All"]}, _preload_content=False))
    assert answer["metadata"]["name"] == "keep" and sb.get("pod", "default", "keep") is not None
    api.delete_namespaced_pod("gone", "default", body={"propagationPolicy": "Background"}, dry_run="All",
                              _preload_content=False)
    assert sb.get("pod", "default", "gone") is None
    assert [r.query.get("dryRun") for r in sb.requests if r.method == "DELETE"] == [None, "All"]


def test_create_then_conflict(make_sandbox):
    sb = make_sandbox(objects=[{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}])
    api = core(sb)
    created = body(api.create_namespaced_pod("team", build_pod("new", "team"), _preload_content=False))
    assert created["metadata"]["uid"] and created["metadata"]["resourceVersion"]
    code, status = failure(api.create_namespaced_pod, "team", build_pod("new", "team"))
    assert (code, status["reason"], status["message"]) == (409, "AlreadyExists", 'pods "new" already exists')
    namespaces = body(api.list_namespace(_preload_content=False))
    assert [n["metadata"]["name"] for n in namespaces["items"]] == ["team"]


def test_tls_with_a_self_signed_certificate(make_sandbox, tls_cert):
    sb = make_sandbox(tls=tls_cert, objects=[build_pod("secure")])
    assert sb.url.startswith("https://127.0.0.1:")
    cluster = yaml.safe_load(Path(sb.kubeconfig_path).read_text())["clusters"][0]["cluster"]
    assert cluster == {"server": sb.url, "certificate-authority": tls_cert[0]}
    pods = body(core(sb).list_pod_for_all_namespaces(_preload_content=False))
    assert [p["metadata"]["name"] for p in pods["items"]] == ["secure"]
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        urllib.request.urlopen(sb.url + "/version")
    assert sb.requests[-1].path == "/api/v1/pods"


def test_request_log_and_latency(make_sandbox, pauses):
    sb = make_sandbox(latency_ms=40, objects=[build_pod("p")])
    api = core(sb)
    api.read_namespaced_pod("p", "default", _preload_content=False)
    assert pauses == [pytest.approx(0.04)]  # 40 ms, before the answer the client has now read
    sb.latency_ms = 0
    api.list_namespaced_pod("default", field_selector="status.phase=Failed", _preload_content=False)
    assert pauses == [pytest.approx(0.04)]  # no latency, no pause
    assert [(r.method, r.path, r.query, r.code) for r in sb.requests] == [
        ("GET", "/api/v1/namespaces/default/pods/p", {}, 200),
        ("GET", "/api/v1/namespaces/default/pods", {"fieldSelector": "status.phase=Failed"}, 200),
    ]
    sb.clear_requests()
    assert sb.requests == []


@pytest.mark.slow  # 50,000 pods: 2-3 s; how fast a page comes is benchmarks/sandbox_bench.py's
def test_fifty_thousand_pods_page_through_once_each(make_sandbox):
    pods = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i:05d}", "namespace": f"ns{i % 40}"},
             "status": {"phase": "Failed" if i % 10 == 0 else "Running"}} for i in range(50_000)]
    sb = make_sandbox(objects=pods)
    api = core(sb)
    token, pages, names = None, 0, []
    while True:
        page = body(api.list_pod_for_all_namespaces(limit=500, _continue=token, _preload_content=False))
        assert len(page["items"]) == 500
        names += [pod["metadata"]["name"] for pod in page["items"]]
        pages += 1
        token = page["metadata"].get("continue")
        if not token:
            break
    assert pages == 100
    assert sorted(names) == sorted(pod["metadata"]["name"] for pod in pods)
    failed = body(api.list_pod_for_all_namespaces(field_selector="status.phase=Failed", _preload_content=False))
    assert len(failed["items"]) == 5_000


def raw_get(sb, path):
    with urllib.request.urlopen(sb.url + path) as response:
        return json.loads(response.read() or b"null")


def test_discovery_documents(make_sandbox):
    sb = make_sandbox()
    assert raw_get(sb, "/api")["versions"] == ["v1"]
    core_resources = {r["name"]: r for r in raw_get(sb, "/api/v1")["resources"]}
    assert core_resources["pods"]["shortNames"] == ["po"] and core_resources["pods"]["namespaced"] is True
    assert core_resources["nodes"]["namespaced"] is False and "list" in core_resources["events"]["verbs"]
    groups = {g["name"]: g["preferredVersion"]["groupVersion"] for g in raw_get(sb, "/apis")["groups"]}
    assert groups == {"apps": "apps/v1", "batch": "batch/v1"}
    assert raw_get(sb, "/apis/apps")["kind"] == "APIGroup"
    assert {r["kind"] for r in raw_get(sb, "/apis/batch/v1")["resources"]} == {"Job", "CronJob"}
    assert raw_get(sb, "/version")["minor"] == "32"
    with pytest.raises(urllib.error.HTTPError) as unknown:
        raw_get(sb, "/apis/networking.k8s.io/v1")
    assert unknown.value.code == 404


def test_watch_streams_until_timeout_seconds_and_obeys_rbac(make_sandbox):
    sb = make_sandbox(objects=[build_pod("p")], forbid=["watch:pods:kube-system"])
    with urllib.request.urlopen(sb.url + "/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=1") as response:
        events = [json.loads(line) for line in response]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "p")]  # more: test_sandbox_watch
    with pytest.raises(urllib.error.HTTPError) as denied:
        raw_get(sb, "/api/v1/namespaces/kube-system/pods?watch=1")
    assert "cannot watch resource" in json.loads(denied.value.read())["message"]


def test_unsupported_methods_are_405(make_sandbox):
    sb = make_sandbox(objects=[build_pod("p")])
    request = urllib.request.Request(sb.url + "/api/v1/namespaces/default/pods/p", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 405 and json.loads(refused.value.read())["reason"] == "MethodNotAllowed"


def test_dry_run_values_other_than_all_are_invalid(make_sandbox):
    sb = make_sandbox(objects=[build_pod("p")])
    code, status = failure(core(sb).delete_namespaced_pod, "p", "default", body={"dryRun": ["Yes"]})
    assert (code, status["reason"]) == (422, "Invalid") and 'Unsupported value: "Yes"' in status["message"]
    assert sb.get("pod", "default", "p") is not None

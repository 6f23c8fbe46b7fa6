"""The real kubectl binary against the sandbox: discovery, tables, describe, delete and errors."""

from __future__ import annotations

import json

import pytest

from conftest import build_event, build_pod

pytestmark = pytest.mark.slow  # the real kubectl in every test

PULL_ERROR = 'Failed to pull image "registry.example.com/app:9.9": not found'


@pytest.fixture
def shop(make_sandbox):
    """A namespace with a pod stuck on its image, two failed pods and a running one."""
    stuck = build_pod("web-1", "shop", phase="Pending", waiting_reason="ImagePullBackOff",
                      waiting_message='Back-off pulling image "registry.example.com/app:9.9"')
    objects = [
        stuck,
        build_pod("web-2", "shop"),
        build_pod("evicted-1", "shop", phase="Failed", reason="Evicted",
                  message="The node was low on resource: memory. "),
        build_pod("job-x", "shop", phase="Failed"),
        build_pod("dns", "kube-system"),
        build_event(stuck, "Failed", PULL_ERROR, count=4),
        build_event(build_pod("web-2", "shop"), "Pulled", "Successfully pulled image", event_type="Normal"),
        {"apiVersion": "v1", "kind": "Node",
         "metadata": {"name": "node-a", "labels": {"node-role.kubernetes.io/worker": ""}},
         "status": {"conditions": [{"type": "Ready", "status": "True"}], "nodeInfo": {"kubeletVersion": "v1.32.1"}}},
    ]
    return make_sandbox(objects=objects)


def rows(output):
    return [line.split() for line in output.strip().splitlines()]


def test_get_pods_all_namespaces_prints_kubectls_statuses(shop, kubectl):
    table = rows(kubectl(shop, "get", "pods", "-A").stdout)
    assert table[0] == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    statuses = {row[1]: row[3] for row in table[1:]}
    assert statuses == {"dns": "Running", "evicted-1": "Evicted", "job-x": "Failed",
                        "web-1": "ImagePullBackOff", "web-2": "Running"}
    wide = rows(kubectl(shop, "get", "pods", "-n", "shop", "-o", "wide").stdout)
    assert wide[0][5:7] == ["IP", "NODE"] and wide[1][6] == "node-a"


def test_get_pods_as_json(shop, kubectl):
    document = json.loads(kubectl(shop, "get", "pods", "-A", "-o", "json").stdout)
    assert document["kind"] == "List"
    assert sorted(item["metadata"]["name"] for item in document["items"]) == [
        "dns", "evicted-1", "job-x", "web-1", "web-2"]
    assert all(item["kind"] == "Pod" for item in document["items"])


def test_get_events_by_involved_object(shop, kubectl):
    table = rows(kubectl(shop, "get", "events", "-n", "shop", "--field-selector", "involvedObject.name=web-1").stdout)
    assert table[0] == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert len(table) == 2 and table[1][1:4] == ["Warning", "Failed", "pod/web-1"]


def test_describe_pod_shows_its_events(shop, kubectl):
    described = kubectl(shop, "describe", "pod", "web-1", "-n", "shop").stdout
    assert "ImagePullBackOff" in described
    assert PULL_ERROR in described and "(x4 over" in described


def test_delete_failed_pods_by_field_selector_waits_and_finishes(shop, kubectl):
    result = kubectl(shop, "delete", "pods", "-n", "shop", "--field-selector", "status.phase=Failed")
    assert sorted(result.stdout.splitlines()) == ['pod "evicted-1" deleted', 'pod "job-x" deleted']
    assert shop.get("pod", "shop", "evicted-1") is None and shop.get("pod", "shop", "web-1") is not None
    deletes = [r.path for r in shop.requests if r.method == "DELETE"]
    assert deletes == ["/api/v1/namespaces/shop/pods/evicted-1", "/api/v1/namespaces/shop/pods/job-x"]
    # kubectl waits for each deleted pod to be gone: one GET each finds it gone at once (404),
    # so it neither polls again nor falls back to watching
    waits = [(r.path, r.code) for r in shop.requests if r.method == "GET" and r.path.startswith("/api/v1/namespaces/shop/pods/")]
    assert sorted(waits) == [(path, 404) for path in deletes]
    assert not [r for r in shop.requests if r.query.get("watch")]


def test_server_dry_run_delete_keeps_the_pod(shop, kubectl):
    result = kubectl(shop, "delete", "pod", "web-2", "-n", "shop", "--dry-run=server")
    assert "deleted (server dry run)" in result.stdout
    assert shop.get("pod", "shop", "web-2") is not None


def test_unsupported_field_selector_fails_like_a_real_server(shop, kubectl):
    result = kubectl(shop, "get", "pods", "-A", "--field-selector", "status.reason=Evicted", expect_rc=1)
    assert "Error from server (BadRequest)" in result.stderr
    assert "field label not supported: status.reason" in result.stderr


def test_forbidden_list_is_reported_by_kubectl(make_sandbox, kubectl):
    sb = make_sandbox(objects=[build_pod("p", "dev")], forbid=["list:pods:kube-system"])
    result = kubectl(sb, "get", "pods", "-A", expect_rc=1)
    assert ('Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:default:pullmedic" '
            'cannot list resource "pods" in API group "" at the cluster scope') in result.stderr
    assert "p " in kubectl(sb, "get", "pods", "-n", "dev").stdout


def test_other_kinds_and_discovery(shop, kubectl):
    node = rows(kubectl(shop, "get", "nodes").stdout)[1]
    assert node[:3] == ["node-a", "Ready", "worker"] and node[4] == "v1.32.1"
    namespaces = rows(kubectl(shop, "get", "ns").stdout)
    assert [row[:2] for row in namespaces[1:]] == [["kube-system", "Active"], ["shop", "Active"]]
    resources = kubectl(shop, "api-resources").stdout
    assert "deployments" in resources and "cronjobs" in resources
    assert kubectl(shop, "get", "deploy", "-A").stderr.strip() == "No resources found"


def test_kubectl_over_tls_sends_the_token(make_sandbox, kubectl, tls_cert):
    sb = make_sandbox(tls=tls_cert, objects=[build_pod("secure", "vault")])
    assert "secure" in kubectl(sb, "get", "pods", "-n", "vault").stdout
    assert all(r.code == 200 for r in sb.requests)

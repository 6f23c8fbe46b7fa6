"""The cluster module over real HTTP(S) against the sandbox, with the real kubernetes client."""

from __future__ import annotations

import pytest
import yaml

from conftest import build_pod
from kubectl_pullmedic.cluster.api import Cluster
from kubectl_pullmedic.errors import ClusterUnreachable, Conflict, Forbidden, PodNotFound, Unauthorized


def connect(sb, **kwargs) -> Cluster:
    return Cluster.connect(kubeconfig=sb.kubeconfig_path, context=None, namespace=None, environ={}, **kwargs)


def pods(count, namespace="shop", **kwargs):
    return [build_pod(f"web-{i:04d}", namespace, **kwargs) for i in range(count)]


def test_list_pages_follows_continue_tokens(make_sandbox):
    sb = make_sandbox(objects=pods(1203))
    cluster = connect(sb)
    pages = list(cluster.list_pages("pods", "shop", page_size=500))
    assert [len(page) for page in pages] == [500, 500, 203]
    assert len({p["metadata"]["name"] for page in pages for p in page}) == 1203
    assert [r.query.get("limit") for r in sb.requests if r.path.endswith("/pods")] == ["500"] * 3


def test_list_restarts_after_410_without_duplicates(make_sandbox):
    sb = make_sandbox(objects=pods(30))
    cluster = connect(sb)
    pages = cluster.list_pages("pods", "shop", page_size=10)
    first = next(pages)
    sb.expire_continue_tokens()
    sb.add(build_pod("web-9999", "shop"))  # appears while we list
    rest = [pod for page in pages for pod in page]
    names = [p["metadata"]["name"] for p in first + rest]
    assert len(names) == len(set(names)) == 31
    assert any(r.code == 410 for r in sb.requests)


def test_selectors_reach_the_server(make_sandbox):
    sb = make_sandbox(objects=pods(3, labels={"app": "web"}) + [build_pod("db-0", "shop", labels={"app": "db"}, phase="Failed")])
    cluster = connect(sb)
    assert [p["metadata"]["name"] for p in cluster.list_all("pods", "shop", label_selector="app=db")] == ["db-0"]
    assert len(cluster.list_all("pods", None, field_selector="status.phase=Running")) == 3


def test_namespace_comes_from_the_context(make_sandbox):
    sb = make_sandbox(namespace="shop")
    assert connect(sb).namespace == "shop"
    assert Cluster.connect(kubeconfig=sb.kubeconfig_path, context=None, namespace="ml", environ={}).namespace == "ml"


def test_forbidden_cluster_wide_list_falls_back_per_namespace(make_sandbox):
    sb = make_sandbox(objects=pods(2, "shop") + pods(2, "ml"), forbid=["list:pods:ml"])
    listing = connect(sb).collect("pods", None)
    assert {p["metadata"]["namespace"] for p in listing.items} == {"shop"}
    assert len(listing.warnings) == 1
    assert 'cannot list resource "pods" in API group "" in the namespace "ml"' in listing.warnings[0]


def test_forbidden_namespace_is_one_clear_error(make_sandbox):
    sb = make_sandbox(objects=pods(1, "ml"), forbid=["list:pods:ml"])
    with pytest.raises(Forbidden) as caught:
        connect(sb).list_all("pods", "ml")
    assert caught.value.status == 403
    assert caught.value.message.startswith('pods is forbidden: User "')


def test_pod_not_found_suggests_similar_names(make_sandbox):
    sb = make_sandbox(objects=[build_pod("api-7d4b9c-x2x5q", "shop"), build_pod("web-1", "shop")])
    with pytest.raises(PodNotFound) as caught:
        connect(sb).get_pod("api", "shop")
    assert caught.value.message == 'pods "api" not found in namespace "shop"'
    assert caught.value.suggestions == ["api-7d4b9c-x2x5q"]


def test_delete_preconditions_protect_a_recreated_pod(make_sandbox):
    sb = make_sandbox(objects=[build_pod("evicted-1", "shop", phase="Failed", reason="Evicted")])
    cluster = connect(sb)
    old = cluster.get_pod("evicted-1", "shop")
    sb.remove("pods", "shop", "evicted-1")
    sb.add(build_pod("evicted-1", "shop"))  # same name, new uid
    with pytest.raises(Conflict):
        cluster.delete("pods", "evicted-1", "shop", uid=old["metadata"]["uid"])
    assert sb.get("pods", "shop", "evicted-1") is not None


def test_dry_run_delete_keeps_the_pod(make_sandbox):
    sb = make_sandbox(objects=[build_pod("evicted-1", "shop", phase="Failed", reason="Evicted")])
    cluster = connect(sb)
    pod = cluster.get_pod("evicted-1", "shop")
    answer = cluster.delete("pods", "evicted-1", "shop", uid=pod["metadata"]["uid"], dry_run=True)
    assert answer["metadata"]["name"] == "evicted-1"
    assert sb.get("pods", "shop", "evicted-1") is not None
    cluster.delete("pods", "evicted-1", "shop", uid=pod["metadata"]["uid"])
    assert sb.get("pods", "shop", "evicted-1") is None


def test_https_with_ca_and_token(make_sandbox, tls_cert):
    sb = make_sandbox(objects=pods(2), tls=tls_cert)
    cluster = connect(sb)
    assert cluster.connection.server.startswith("https://127.0.0.1:")
    assert len(cluster.list_all("pods", "shop")) == 2


def test_wrong_token_is_unauthorized(make_sandbox, tls_cert, tmp_path):
    sb = make_sandbox(tls=tls_cert)
    config = yaml.safe_load(open(sb.kubeconfig_path))
    config["users"][0]["user"]["token"] = "not-the-token"
    path = tmp_path / "wrong-token"
    path.write_text(yaml.safe_dump(config))
    cluster = Cluster.connect(kubeconfig=str(path), context=None, namespace=None, environ={})
    with pytest.raises(Unauthorized) as caught:
        cluster.list_all("pods", None)
    assert "refused the credentials (401 Unauthorized)" in caught.value.message


def test_untrusted_certificate_is_unreachable_with_reason(make_sandbox, tls_cert, tmp_path):
    sb = make_sandbox(tls=tls_cert)
    config = yaml.safe_load(open(sb.kubeconfig_path))
    del config["clusters"][0]["cluster"]["certificate-authority"]
    path = tmp_path / "no-ca"
    path.write_text(yaml.safe_dump(config))
    cluster = Cluster.connect(kubeconfig=str(path), context=None, namespace=None, environ={})
    with pytest.raises(ClusterUnreachable) as caught:
        cluster.list_all("pods", None)
    assert "certificate verify failed" in caught.value.message


def test_unreachable_server_names_its_url(tmp_path):
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "gone",
        "clusters": [{"name": "gone", "cluster": {"server": "http://127.0.0.1:9"}}],
        "users": [{"name": "gone", "user": {}}],
        "contexts": [{"name": "gone", "context": {"cluster": "gone", "user": "gone"}}],
    }))
    cluster = Cluster.connect(kubeconfig=str(path), context=None, namespace=None, environ={})
    with pytest.raises(ClusterUnreachable) as caught:
        cluster.list_all("pods", None)
    assert caught.value.message == "cannot reach the API server at http://127.0.0.1:9: connection refused"

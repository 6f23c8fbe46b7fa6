"""cluster.watch: list then watch over real HTTP against the sandbox's watch endpoint; after 410 only real
changes come out, a cut stream resumes from its last version, and the request timeout does not end a stream."""

from __future__ import annotations

import copy
import time
from typing import List

from conftest import build_pod
from kubectl_pullmedic.cluster.api import Cluster
from kubectl_pullmedic.cluster.feed import Feed
from kubectl_pullmedic.cluster.watch import Update, WatchSpec


def connect(sandbox, **kwargs) -> Cluster:
    return Cluster.connect(kubeconfig=sandbox.kubeconfig_path, context=None, namespace=None, environ={}, **kwargs)


def collect(feed: Feed, wanted: int, seconds: float = 10) -> List[Update]:
    got: List[Update] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len([u for u in got if u.type != "NOTICE"]) < wanted:
        try:
            got.append(feed.queue.get(timeout=0.1))
        except Exception:
            continue
    return got


def changed(pod: dict, label: str) -> dict:
    pod = copy.deepcopy(pod)
    pod["metadata"]["labels"]["step"] = label
    return pod


def test_after_410_only_what_changed_is_reported(make_sandbox):
    pods = [build_pod(f"p{i}", "shop", uid=f"u{i}") for i in range(5)]
    sandbox = make_sandbox(objects=pods)
    feed = Feed(connect(sandbox), [WatchSpec("pods", "shop")])
    try:
        assert len(feed.list_all()[0]) == 5
        feed.start()
        time.sleep(0.3)
        sandbox.add(changed(sandbox.get("Pod", "shop", "p1"), "one"))
        first = collect(feed, 1)
        assert [(u.type, u.obj["metadata"]["name"]) for u in first] == [("MODIFIED", "p1")]
        sandbox.expire_watch_history()
        sandbox.drop_watches()
        sandbox.add(changed(sandbox.get("Pod", "shop", "p3"), "two"))
        sandbox.remove("Pod", "shop", "p4")
        after = collect(feed, 2)
    finally:
        feed.close()
    notices = [u.obj["message"] for u in after if u.type == "NOTICE"]
    assert any("410 Gone" in text for text in notices), notices
    assert sorted((u.type, u.obj["metadata"]["name"]) for u in after if u.type != "NOTICE") == [
        ("DELETED", "p4"), ("MODIFIED", "p3")]
    assert feed.streams[0].relists == 1


def test_a_cut_stream_resumes_from_its_last_version_with_bookmarks(make_sandbox):
    sandbox = make_sandbox(objects=[build_pod("p0", "shop", uid="u0")])
    feed = Feed(connect(sandbox), [WatchSpec("pods", "shop")])
    try:
        feed.list_all()
        feed.start()
        time.sleep(0.3)
        sandbox.drop_watches()
        time.sleep(0.2)
        sandbox.add(build_pod("p1", "shop", uid="u1"))
        got = collect(feed, 1)
    finally:
        feed.close()
    assert [(u.type, u.obj["metadata"]["name"]) for u in got if u.type != "NOTICE"] == [("ADDED", "p1")]
    assert feed.streams[0].reconnects == 1
    watches = [r for r in sandbox.requests if r.query.get("watch")]
    assert len(watches) >= 2 and all(r.query["allowWatchBookmarks"] == "true" for r in watches)
    assert watches[1].query["resourceVersion"] == watches[0].query["resourceVersion"]  # nothing came between


def test_the_request_timeout_does_not_end_a_stream(make_sandbox):
    """--request-timeout=1s bounds each request, not a watch that waits longer for its first event."""
    sandbox = make_sandbox(objects=[build_pod("p0", "shop", uid="u0")])
    feed = Feed(connect(sandbox, request_timeout=1.0), [WatchSpec("pods", "shop")])
    try:
        feed.list_all()
        feed.start()
        time.sleep(1.8)
        sandbox.add(build_pod("p1", "shop", uid="u1"))
        got = collect(feed, 1)
    finally:
        feed.close()
    assert [(u.type, u.obj["metadata"]["name"]) for u in got] == [("ADDED", "p1")]
    assert feed.streams[0].reconnects == 0


def test_a_410_status_on_the_watch_request_relists(make_sandbox, tmp_path):
    """Some API servers (and proxies) answer a too-old resourceVersion with HTTP 410 instead of an
    ERROR event: the same relist. Through the fault proxy, which answers the first watch with 410;
    the deadline bounds the next watch (timeoutSeconds), which the proxy forwards once it ends."""
    import json as _json

    from fault_proxy import FaultProxy

    sandbox = make_sandbox(objects=[build_pod("p0", "shop", uid="u0")])
    gone = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Expired", "code": 410,
            "message": "too old resource version: 1 (2)"}
    with FaultProxy(sandbox, tmp_path) as proxy:
        proxy.add("GET", r"/pods\?.*watch=1", status=410, body=_json.dumps(gone).encode(),
                  headers={"Content-Type": "application/json"})
        cluster = Cluster.connect(kubeconfig=proxy.kubeconfig_path, context=None, namespace=None, environ={})
        feed = Feed(cluster, [WatchSpec("pods", "shop")], deadline=time.monotonic() + 1.5)
        try:
            feed.list_all()
            sandbox.add(build_pod("p1", "shop", uid="u1"))  # made before the relist: reported by it
            feed.start()
            got = collect(feed, 1, seconds=8)
        finally:
            feed.close()
    assert any(u.type == "NOTICE" and "410 Gone" in u.obj["message"] for u in got)
    assert [(u.type, u.obj["metadata"]["name"]) for u in got if u.type != "NOTICE"] == [("ADDED", "p1")]
    assert feed.streams[0].relists == 1 and proxy.count("GET", r"/pods\?.*watch=1") >= 1

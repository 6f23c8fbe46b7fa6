"""The sandbox's watch endpoint and scripted timelines, through real HTTP.

Three clients read the streams: raw ``http.client`` (the chunked framing itself), the real
``kubernetes`` client's ``watch.Watch().stream`` and the real ``kubectl get -w``.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlencode

import pytest
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from conftest import LineReader, build_event, build_pod
from kubectl_pullmedic.sandbox.resources import resolve

Obj = Dict[str, Any]
TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


# ---------------------------------------------------------------- helpers


class RawWatch:
    """One watch request over http.client; ``event()`` waits for the next decoded event."""

    def __init__(self, sb, path: str, accept: str = "application/json", **query: Any) -> None:
        host, port = sb.url.rsplit("/", 1)[1].rsplit(":", 1)
        self.connection = http.client.HTTPConnection(host, int(port), timeout=30)
        params = {"watch": "true", **{k: str(v) for k, v in query.items()}}
        self.connection.request("GET", f"{path}?{urlencode(params)}", headers={"Accept": accept})
        self.response = self.connection.getresponse()
        self.lines = LineReader(self.response) if self.response.status == 200 else None

    def event(self, timeout: float = 10.0) -> Optional[Obj]:
        assert self.lines is not None, f"the watch was answered {self.response.status}"
        line = self.lines.next(timeout)
        return None if line is None else json.loads(line)

    def events(self, count: int, timeout: float = 10.0) -> List[Obj]:
        return [self.event(timeout) for _ in range(count)]

    def until_end(self, timeout: float = 10.0) -> List[Obj]:
        found = []
        while True:
            event = self.event(timeout)
            if event is None:
                return found
            found.append(event)

    def close(self) -> None:
        if self.connection.sock is not None:  # unblock the reader thread before closing
            try:
                self.connection.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.connection.close()


@pytest.fixture
def watches():
    opened: List[RawWatch] = []

    def open_watch(sb, path: str, **kwargs: Any) -> RawWatch:
        opened.append(RawWatch(sb, path, **kwargs))
        return opened[-1]

    yield open_watch
    for raw in opened:
        raw.close()


def summary(event: Obj) -> Tuple[str, str]:
    return event["type"], event["object"]["metadata"].get("name", "")


def api_of(sb) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(config_file=sb.kubeconfig_path))


def call(sb, method: str, path: str, payload: Any = None, content_type: str = "application/json") -> Tuple[int, Obj]:
    host, port = sb.url.rsplit("/", 1)[1].rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    body = None if payload is None else json.dumps(payload).encode()
    connection.request(method, path, body=body, headers={"Content-Type": content_type})
    response = connection.getresponse()
    answer = response.status, json.loads(response.read() or b"null")
    connection.close()
    return answer


PODS = "/api/v1/namespaces/default/pods"


# ---------------------------------------------------------------- the stream itself


def test_current_objects_come_first_as_added_then_every_write(make_sandbox, watches):
    sb = make_sandbox(objects=[build_pod("a"), build_pod("b")])
    for version in (None, "0"):
        query = {} if version is None else {"resourceVersion": version}
        stream = watches(sb, PODS, **query)
        assert stream.response.getheader("Transfer-Encoding") == "chunked"
        assert stream.response.getheader("Content-Type") == "application/json"
        assert [summary(e) for e in stream.events(2)] == [("ADDED", "a"), ("ADDED", "b")]
    # each write verb over HTTP is one event, with the object's new resourceVersion
    assert call(sb, "POST", PODS, build_pod("c"))[0] == 201
    assert call(sb, "PATCH", PODS + "/c", {"metadata": {"labels": {"x": "1"}}}, "application/merge-patch+json")[0] == 200
    current = sb.get("pod", "default", "c")
    current["metadata"]["labels"]["x"] = "2"
    assert call(sb, "PUT", PODS + "/c", current)[0] == 200
    assert call(sb, "DELETE", PODS + "/c")[0] == 200
    assert call(sb, "POST", PODS + "?dryRun=All", build_pod("d"))[0] == 201  # a dry run is no event
    events = stream.events(4)
    assert [summary(e) for e in events] == [("ADDED", "c"), ("MODIFIED", "c"), ("MODIFIED", "c"), ("DELETED", "c")]
    assert [e["object"]["metadata"]["labels"].get("x") for e in events] == [None, "1", "2", "2"]
    versions = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert versions == sorted(versions) and len(set(versions)) == 4
    assert versions[-1] == int(sb.resource_version)  # a deleted object carries the deletion's version
    assert events[0]["object"]["kind"] == "Pod" and events[0]["object"]["apiVersion"] == "v1"


def test_each_event_is_one_chunk_of_one_json_line(make_sandbox):
    sb = make_sandbox(objects=[build_pod("a"), build_pod("b")])
    host, port = sb.url.rsplit("/", 1)[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(f"GET {PODS}?watch=1&timeoutSeconds=1 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        data = b""
        while not data.endswith(b"\r\n0\r\n\r\n"):
            more = raw.recv(65536)
            assert more, f"the stream ended without its last chunk: {data[-200:]!r}"
            data += more
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head and b"Content-Length" not in head
    chunks = []
    while body:
        size_text, _, rest = body.partition(b"\r\n")
        size = int(size_text, 16)
        chunks.append(rest[:size])
        assert rest[size:size + 2] == b"\r\n"
        body = rest[size + 2:]
    assert chunks[-1] == b""  # the terminating chunk: a clean end after timeoutSeconds
    assert all(chunk.endswith(b"\n") and chunk.count(b"\n") == 1 for chunk in chunks[:-1])
    assert [json.loads(chunk)["type"] for chunk in chunks[:-1]] == ["ADDED", "ADDED"]


def test_a_watch_resumes_after_the_version_a_list_returned(make_sandbox, watches):
    sb = make_sandbox(objects=[build_pod("a")])
    listed = api_of(sb).list_namespaced_pod("default")
    version = listed.metadata.resource_version
    assert version == sb.resource_version == listed.items[0].metadata.resource_version
    sb.add(build_pod("b"))
    sb.remove("pod", "default", "a")
    stream = watches(sb, PODS, resourceVersion=version)
    assert [summary(e) for e in stream.events(2)] == [("ADDED", "b"), ("DELETED", "a")]
    middle = stream_version = int(version) + 1
    resumed = watches(sb, PODS, resourceVersion=middle)  # after "b" was added: only the delete
    assert [summary(e) for e in resumed.events(1)] == [("DELETED", "a")]
    assert stream_version < int(sb.resource_version)


def test_namespaces_and_kinds_are_kept_apart(make_sandbox, watches):
    sb = make_sandbox(objects=[build_pod("a", "shop")])
    stream = watches(sb, "/api/v1/namespaces/shop/pods", resourceVersion=sb.resource_version)
    everywhere = watches(sb, "/api/v1/pods", resourceVersion=sb.resource_version)
    events = watches(sb, "/api/v1/events", resourceVersion=sb.resource_version)
    pod = sb.add(build_pod("b", "other"))
    sb.add(build_event(pod, "Failed", "Failed to pull image"))
    sb.add(build_pod("c", "shop"))
    assert [summary(e) for e in stream.events(1)] == [("ADDED", "c")]
    assert [summary(e) for e in everywhere.events(2)] == [("ADDED", "b"), ("ADDED", "c")]
    assert [(e["type"], e["object"]["kind"]) for e in events.events(1)] == [("ADDED", "Event")]


def test_a_new_namespace_and_a_deleted_one_are_events_too(make_sandbox, watches):
    sb = make_sandbox()
    namespaces = watches(sb, "/api/v1/namespaces", resourceVersion=sb.resource_version)
    pods = watches(sb, "/api/v1/pods", resourceVersion=sb.resource_version)
    sb.add(build_pod("a", "fresh"))  # the namespace appears before the pod, as its revision says
    assert call(sb, "DELETE", "/api/v1/namespaces/fresh")[0] == 200
    assert [summary(e) for e in namespaces.events(2)] == [("ADDED", "fresh"), ("DELETED", "fresh")]
    assert [summary(e) for e in pods.events(2)] == [("ADDED", "a"), ("DELETED", "a")]


# ---------------------------------------------------------------- selectors


def test_selectors_filter_and_an_object_crossing_the_edge_is_added_or_deleted(make_sandbox, watches):
    sb = make_sandbox(objects=[build_pod("a", labels={"app": "web"}), build_pod("b", labels={"app": "db"})])
    stream = watches(sb, PODS, labelSelector="app=web")
    assert [summary(e) for e in stream.events(1)] == [("ADDED", "a")]
    failed = watches(sb, PODS, fieldSelector="status.phase=Failed", resourceVersion=sb.resource_version)
    patch = "application/merge-patch+json"
    call(sb, "PATCH", PODS + "/b", {"metadata": {"labels": {"app": "web"}}}, patch)  # starts matching
    call(sb, "PATCH", PODS + "/a", {"metadata": {"labels": {"app": "api"}}}, patch)  # stops matching
    call(sb, "PATCH", PODS + "/a", {"metadata": {"labels": {"tier": "x"}}}, patch)  # still not matching
    call(sb, "PATCH", PODS + "/b", {"status": {"phase": "Failed"}}, patch)  # the status is not written here
    sb.add(build_pod("b", phase="Failed", labels={"app": "web"}))  # as the kubelet writes it
    assert [summary(e) for e in stream.events(3)] == [("ADDED", "b"), ("DELETED", "a"), ("MODIFIED", "b")]
    assert [summary(e) for e in failed.events(1)] == [("ADDED", "b")]
    time.sleep(0.2)
    assert stream.lines.rest() == [] and failed.lines.rest() == []


def test_a_bad_selector_or_version_is_a_plain_400_before_any_stream(make_sandbox, watches):
    sb = make_sandbox()
    assert watches(sb, PODS, fieldSelector="status.reason=Evicted").response.status == 400
    assert watches(sb, PODS, resourceVersion="abc").response.status == 400
    assert watches(sb, PODS, timeoutSeconds="soon").response.status == 400


def test_rbac_applies_to_watch(make_sandbox, watches):
    sb = make_sandbox(forbid=["watch:pods:kube-system"])
    denied = watches(sb, "/api/v1/namespaces/kube-system/pods")
    assert denied.response.status == 403
    assert "cannot watch resource" in json.loads(denied.response.read())["message"]
    assert watches(sb, PODS, timeoutSeconds=1).response.status == 200


# ---------------------------------------------------------------- bookmarks and time-outs


def test_bookmarks_carry_only_the_resource_version_periodically_and_at_the_end(make_sandbox, watches):
    sb = make_sandbox(objects=[build_pod("a")], watch_bookmark_seconds=0.2)
    plain = watches(sb, PODS, timeoutSeconds=1)
    stream = watches(sb, PODS, allowWatchBookmarks="true", timeoutSeconds=2, resourceVersion=sb.resource_version)
    first = stream.event()
    assert first == {"type": "BOOKMARK", "object": {"kind": "Pod", "apiVersion": "v1",
                                                    "metadata": {"resourceVersion": sb.resource_version}}}
    sb.add(build_pod("b"))
    rest = stream.until_end()
    kinds = [e["type"] for e in rest]
    assert "ADDED" in kinds and kinds[-1] == "BOOKMARK" and kinds.count("BOOKMARK") >= 3
    assert rest[-1]["object"]["metadata"]["resourceVersion"] == sb.resource_version
    assert {e["type"] for e in plain.until_end()} == {"ADDED"}  # no bookmarks unless asked
    assert plain.lines.error is None and stream.lines.error is None  # a clean end


def test_timeout_seconds_ends_the_stream_cleanly(make_sandbox, watches):
    sb = make_sandbox(objects=[build_pod("a")])
    started = time.monotonic()
    events = watches(sb, PODS, timeoutSeconds=1).until_end()
    elapsed = time.monotonic() - started
    assert [summary(e) for e in events] == [("ADDED", "a")]
    assert 0.9 <= elapsed < 5


def test_send_initial_events_ends_with_the_annotated_bookmark(make_sandbox, watches):
    sb = make_sandbox(objects=[build_pod("a")])
    stream = watches(sb, PODS, sendInitialEvents="true", allowWatchBookmarks="true",
                     resourceVersionMatch="NotOlderThan", timeoutSeconds=1)
    added, bookmark = stream.events(2)
    assert summary(added) == ("ADDED", "a")
    assert bookmark["type"] == "BOOKMARK"
    assert bookmark["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


# ---------------------------------------------------------------- 410 and other errors


def test_a_version_older_than_the_history_is_an_error_event_410(make_sandbox, watches):
    sb = make_sandbox(objects=[build_pod("a")], watch_history=3)
    old = sb.resource_version
    for name in "bcde":
        sb.add(build_pod(name))
    stream = watches(sb, PODS, resourceVersion=old)
    assert stream.response.status == 200
    error = stream.event()
    assert error["type"] == "ERROR"
    assert error["object"] == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": f"too old resource version: {old} ({int(sb.resource_version) - 3})",
        "reason": "Expired", "code": 410,
    }
    assert stream.event() is None  # and the stream ends
    kept = watches(sb, PODS, resourceVersion=int(sb.resource_version) - 2)
    assert [summary(e) for e in kept.events(2)] == [("ADDED", "d"), ("ADDED", "e")]


def test_expire_watch_history_makes_the_next_resume_410_but_not_a_new_watch(make_sandbox, watches):
    sb = make_sandbox(objects=[build_pod("a")])
    current = sb.resource_version
    sb.expire_watch_history()
    assert watches(sb, PODS, resourceVersion=current).event()["object"]["code"] == 410  # forced once
    assert [summary(e) for e in watches(sb, PODS, timeoutSeconds=1).events(1)] == [("ADDED", "a")]
    resumed = watches(sb, PODS, resourceVersion=current, timeoutSeconds=1)  # the current one works again
    sb.add(build_pod("b"))
    assert [summary(e) for e in resumed.events(1)] == [("ADDED", "b")]
    older = watches(sb, PODS, resourceVersion=int(current) - 1)  # from before the compaction
    assert older.event()["object"]["reason"] == "Expired"


def test_a_version_the_server_has_not_reached_is_a_504_error_event(make_sandbox, watches):
    sb = make_sandbox()
    future = int(sb.resource_version) + 100
    error = watches(sb, PODS, resourceVersion=future).event()
    assert error["type"] == "ERROR"
    assert (error["object"]["code"], error["object"]["reason"]) == (504, "Timeout")
    assert error["object"]["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge"


# ---------------------------------------------------------------- dropped streams


def test_drop_watches_cuts_every_open_stream_and_new_ones_work(make_sandbox, watches):
    sb = make_sandbox(objects=[build_pod("a")])
    first, second = watches(sb, PODS), watches(sb, "/api/v1/events")
    assert [summary(e) for e in first.events(1)] == [("ADDED", "a")]
    host, port = sb.url.rsplit("/", 1)[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(f"GET {PODS}?watch=1 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        data = raw.recv(65536)
        while b'"ADDED"' not in data:
            data += raw.recv(65536)
        sb.drop_watches()
        while True:
            more = raw.recv(65536)
            if not more:
                break
            data += more
    assert data.endswith(b"}\n\r\n")  # cut after the last event: no terminating chunk
    assert first.event() is None and second.event() is None
    again = watches(sb, PODS, resourceVersion=sb.resource_version, timeoutSeconds=2)
    sb.add(build_pod("b"))
    assert [summary(e) for e in again.events(1)] == [("ADDED", "b")]


def test_stopping_the_sandbox_ends_open_watches(make_sandbox, watches):
    sb = make_sandbox(objects=[build_pod("a")])
    stream = watches(sb, PODS)
    stream.events(1)
    sb.stop()
    assert stream.event(timeout=5) is None


# ---------------------------------------------------------------- server-side tables (kubectl)


def test_a_table_watch_sends_column_definitions_only_first(make_sandbox, watches):
    sb = make_sandbox(objects=[build_pod("a"), build_pod("b")])
    stream = watches(sb, PODS, accept=TABLE_ACCEPT)
    first, second = stream.events(2)
    sb.remove("pod", "default", "a")
    deleted = stream.event()
    assert first["object"]["kind"] == "Table" and first["object"]["columnDefinitions"][0]["name"] == "Name"
    assert second["object"]["columnDefinitions"] is None and deleted["object"]["columnDefinitions"] is None
    assert [e["object"]["rows"][0]["cells"][0] for e in (first, second, deleted)] == ["a", "b", "a"]
    assert deleted["type"] == "DELETED"
    assert deleted["object"]["metadata"]["resourceVersion"] == sb.resource_version
    assert deleted["object"]["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


# ---------------------------------------------------------------- the real kubernetes client


def test_the_kubernetes_client_lists_then_watches_every_change(make_sandbox):
    sb = make_sandbox(objects=[build_pod("a")])
    api = api_of(sb)
    version = api.list_namespaced_pod("default").metadata.resource_version
    api.create_namespaced_pod("default", build_pod("b"))
    api.patch_namespaced_pod("b", "default", {"metadata": {"labels": {"fixed": "yes"}}})
    api.delete_namespaced_pod("a", "default")
    seen = []
    stream = watch.Watch()
    for event in stream.stream(api.list_namespaced_pod, "default", resource_version=version,
                               allow_watch_bookmarks=True, timeout_seconds=1):
        seen.append((event["type"], event["raw_object"]["metadata"].get("name")))
    assert seen[:3] == [("ADDED", "b"), ("MODIFIED", "b"), ("DELETED", "a")]
    assert seen[3:] == [("BOOKMARK", None)]  # at the end of timeoutSeconds
    assert stream.resource_version == sb.resource_version  # the client took the bookmark's version


def test_the_kubernetes_client_resumes_once_then_raises_410(make_sandbox):
    sb = make_sandbox(objects=[build_pod("a")])
    api = api_of(sb)
    version = sb.resource_version
    sb.add(build_pod("b"))
    sb.expire_watch_history()  # the forced 410, then the compaction keeps it 410 on the retry
    with pytest.raises(ApiException) as gone:
        for _ in watch.Watch().stream(api.list_namespaced_pod, "default", resource_version=version):
            pass
    assert gone.value.status == 410 and "too old resource version" in gone.value.reason


# ---------------------------------------------------------------- the real kubectl


def test_kubectl_get_pods_watch_prints_each_change(make_sandbox, kubectl_lines):
    sb = make_sandbox(objects=[build_pod("a")])
    api = api_of(sb)
    process, lines = kubectl_lines(sb, "get", "pods", "-w")
    assert lines.next().split()[:3] == ["NAME", "READY", "STATUS"]
    assert lines.next().split()[:3] == ["a", "1/1", "Running"]
    api.create_namespaced_pod("default", build_pod("b"))
    assert lines.next().split()[:3] == ["b", "0/1", "Pending"]  # a created pod's status starts empty
    sb.add(build_pod("b", waiting_reason="ErrImagePull"))  # as the kubelet writes it
    assert lines.next().split()[:3] == ["b", "0/1", "ErrImagePull"]
    api.delete_namespaced_pod("a", "default")
    assert lines.next().split()[:3] == ["a", "1/1", "Running"]  # kubectl prints a deleted pod's last row
    assert process.poll() is None  # still watching
    watched = [r for r in sb.requests if r.query.get("watch") == "true"]
    assert watched and watched[0].query["resourceVersion"] == "2"  # from the list's version
    sb.drop_watches()  # kubectl get -w does not watch again: a cut stream ends it
    assert process.wait(timeout=10) == 0 and lines.next() is None


def test_kubectl_get_events_watch_with_event_types(make_sandbox, kubectl_lines):
    sb = make_sandbox(objects=[build_pod("web", waiting_reason="ImagePullBackOff")])
    first = sb.add(build_event(sb.get("pod", "default", "web"), "Failed", 'Failed to pull image "x": not found'))
    process, lines = kubectl_lines(sb, "get", "events", "-w", "--output-watch-events")
    assert lines.next().split()[:3] == ["EVENT", "LAST", "SEEN"]
    listed = lines.next().split()
    assert listed[0] == "ADDED" and "Failed" in listed and "pod/web" in listed
    api = api_of(sb)
    api.create_namespaced_event("default", build_event(sb.get("pod", "default", "web"), "BackOff",
                                                      'Back-off pulling image "x"', event_type="Normal"))
    added = lines.next().split()
    assert added[0] == "ADDED" and "BackOff" in added
    api.delete_namespaced_event(first["metadata"]["name"], "default")
    deleted = lines.next().split()
    assert deleted[0] == "DELETED" and "Failed" in deleted
    assert process.poll() is None


# ---------------------------------------------------------------- scripted timelines

NS, RS = "storefront", "web-6f7d8c9b5"
STOREFRONT = f"/api/v1/namespaces/{NS}/pods"


def pod_states(sb) -> Dict[str, str]:
    """Each storefront pod's container state: the waiting reason, or "running"."""
    states = {}
    for item in api_of(sb).list_namespaced_pod(NS).items:
        state = item.status.container_statuses[0].state
        states[item.metadata.name] = "running" if state.running else state.waiting.reason
    return states


def event_counts(sb, pod: str) -> Dict[str, int]:
    events = api_of(sb).list_namespaced_event(NS, field_selector=f"involvedObject.name={pod}").items
    counts: Dict[str, int] = {}
    for event in events:
        key = event.reason if event.reason != "Failed" else f"Failed: {event.message[:20]}"
        counts[key] = counts.get(key, 0) + (event.count or 1)
    return counts


def test_the_missing_secret_incident_runs_on_a_manual_clock(make_sandbox, watches):
    sb = make_sandbox(incident="missing-pull-secret", timeline_clock="manual")
    pods = ["web-6f7d8c9b5-k7x2p", "web-6f7d8c9b5-q9m4z"]
    assert pod_states(sb) == dict.fromkeys(pods, "ImagePullBackOff")
    stream = watches(sb, STOREFRONT, resourceVersion=sb.resource_version)
    secrets = watches(sb, f"/api/v1/namespaces/{NS}/secrets", resourceVersion=sb.resource_version)
    assert sb.advance_timeline(4.9) == [] and sb.get("secret", NS, "regcred") is None
    assert sb.advance_timeline(0.1) == ["secret-created"]
    assert summary(secrets.event()) == ("ADDED", "regcred")
    assert pod_states(sb) == dict.fromkeys(pods, "ImagePullBackOff")  # the back-off still runs
    apps = client.AppsV1Api(api_of(sb).api_client)
    assert not apps.read_namespaced_deployment("web", NS).status.ready_replicas
    assert sb.advance_timeline(10) == ["pods-pull"]
    assert pod_states(sb) == dict.fromkeys(pods, "running")
    deployment = apps.read_namespaced_deployment("web", NS).status  # the controllers count them ready
    assert (deployment.ready_replicas, deployment.available_replicas, deployment.unavailable_replicas) == (2, 2, None)
    assert [(c.type, c.status) for c in deployment.conditions] == [("Available", "True")]
    assert apps.read_namespaced_replica_set(RS, NS).status.ready_replicas == 2
    modified = stream.events(2)
    assert [summary(e) for e in modified] == [("MODIFIED", pods[0]), ("MODIFIED", pods[1])]
    assert all(e["object"]["status"]["phase"] == "Running" for e in modified)
    counts = event_counts(sb, pods[0])
    assert counts["Pulling"] == 7 and counts["Pulled"] == 1 and counts["Started"] == 1
    pulled = [e for e in api_of(sb).list_namespaced_event(NS).items if e.reason == "Pulled"][0]
    assert pulled.message.startswith('Successfully pulled image "registry.example.com/storefront/web:2.4.1" in 2.4s')
    assert sb.timeline.pending() == []
    assert [what for _, what in sb.timeline.log] == [
        "secret-created", "pods-pull", f"pull {pods[0]}: succeeds", f"pull {pods[1]}: succeeds"]


def test_a_pull_again_updates_the_kubelet_s_events_as_its_correlator_does(make_sandbox, watches):
    """The scenario's events were written by the same kubelet: an identical event (same pod, fieldPath,
    type, reason, message, source) is that object with count + 1 and a new lastTimestamp, a MODIFIED
    on the watch, never a second object; only an event never seen before is ADDED."""
    sb = make_sandbox(incident="missing-pull-secret", timeline_clock="manual")
    pod = "web-6f7d8c9b5-k7x2p"
    before = {e.metadata.name: e for e in api_of(sb).list_namespaced_event(NS).items
              if e.involved_object.name == pod}
    stream = watches(sb, f"/api/v1/namespaces/{NS}/events", resourceVersion=sb.resource_version)
    sb.timeline.pull(NS, pod)  # no secret yet: Pulling, Failed to pull, BackOff, Error: ImagePullBackOff
    seen = stream.events(4)
    assert [e["type"] for e in seen] == ["MODIFIED"] * 4
    for event in seen:
        old = before[event["object"]["metadata"]["name"]]
        assert event["object"]["count"] == old.count + 1 and event["object"]["message"] == old.message
        assert event["object"]["lastTimestamp"] >= old.last_timestamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert sorted(e["object"]["reason"] for e in seen) == ["BackOff", "Failed", "Failed", "Pulling"]
    after = [e for e in api_of(sb).list_namespaced_event(NS).items if e.involved_object.name == pod]
    assert len(after) == len(before)


def test_the_same_message_for_another_container_is_another_event(make_sandbox, watches):
    pod = build_pod("two", "lab", waiting_reason="ErrImagePull", uid="two-uid")
    pod["spec"]["containers"].append(dict(pod["spec"]["containers"][0], name="sidecar"))
    document = {"apiVersion": "v1", "kind": "List", "items": [pod],
                "timeline": {"pulls": [{"namespace": "lab", "error": "no basic auth credentials"}]}}
    sb = make_sandbox(incident=document, timeline_clock="manual")
    stream = watches(sb, "/api/v1/namespaces/lab/events", resourceVersion=sb.resource_version,
                     fieldSelector="reason=Pulling")
    sb.timeline.pull("lab", "two")
    sb.timeline.pull("lab", "two")
    seen = [(e["type"], e["object"]["involvedObject"]["fieldPath"], e["object"]["count"]) for e in stream.events(4)]
    assert seen == [("ADDED", "spec.containers{app}", 1), ("ADDED", "spec.containers{sidecar}", 1),
                    ("MODIFIED", "spec.containers{app}", 2), ("MODIFIED", "spec.containers{sidecar}", 2)]


def test_a_step_run_early_pulls_and_fails_again_with_the_back_off(make_sandbox):
    sb = make_sandbox(incident="missing-pull-secret", timeline_clock="manual")
    pod = "web-6f7d8c9b5-k7x2p"
    before = event_counts(sb, pod)
    sb.run_timeline_step("pods-pull")  # the kubelet retries before anyone created the secret
    after = event_counts(sb, pod)
    assert pod_states(sb)[pod] == "ImagePullBackOff"
    assert after["Pulling"] == before["Pulling"] + 1 and after["BackOff"] == before["BackOff"] + 1
    assert after["Failed: Failed to pull image"] == before["Failed: Failed to pull image"] + 1
    with pytest.raises(ValueError, match="already ran"):
        sb.run_timeline_step("pods-pull")
    with pytest.raises(ValueError, match="no timeline step"):
        sb.run_timeline_step("nope")
    assert sb.timeline.pending() == ["secret-created"]


def test_the_replicaset_replaces_a_deleted_pod_which_fails_then_runs_once_the_secret_exists(make_sandbox, watches):
    sb = make_sandbox(incident="missing-pull-secret", timeline_clock="manual")
    api = api_of(sb)
    stream = watches(sb, STOREFRONT, resourceVersion=sb.resource_version)
    old = api.read_namespaced_pod("web-6f7d8c9b5-k7x2p", NS)
    api.delete_namespaced_pod(old.metadata.name, NS)  # through the API: the timeline reacts by itself
    deleted, added, pulled = stream.events(3)
    assert summary(deleted) == ("DELETED", old.metadata.name)
    replacement = added["object"]
    assert added["type"] == "ADDED" and replacement["metadata"]["name"].startswith(RS + "-")
    assert replacement["metadata"]["name"] != old.metadata.name and replacement["metadata"]["uid"] != old.metadata.uid
    assert replacement["metadata"]["ownerReferences"][0]["name"] == RS
    assert replacement["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "ContainerCreating"
    assert replacement["spec"]["nodeName"] == "worker-1"
    assert pulled["type"] == "MODIFIED"  # its first pull fails as the old one did: ErrImagePull
    assert pulled["object"]["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "ErrImagePull"
    # the user creates the secret; the next replacement pulls and runs
    api.create_namespaced_secret(NS, {"metadata": {"name": "regcred"}, "type": "kubernetes.io/dockerconfigjson",
                                      "data": {".dockerconfigjson": "e30="}})
    api.delete_namespaced_pod(replacement["metadata"]["name"], NS)
    names = {}
    for event in stream.events(3):
        names.setdefault(event["type"], []).append(event["object"]["metadata"]["name"])
        last = event
    assert names["DELETED"] == [replacement["metadata"]["name"]] and len(names["ADDED"]) == 1
    assert last["object"]["status"]["phase"] == "Running"
    assert sorted(pod_states(sb).values()) == ["ImagePullBackOff", "running"]  # 2 replicas, no more
    assert len(api.list_namespaced_pod(NS).items) == 2


def test_a_real_clock_timeline_is_seen_by_kubectl_get_pods_watch(make_sandbox, kubectl_lines, kubectl):
    sb = make_sandbox(incident="missing-pull-secret", timeline_speed=10)  # 15 s of timeline in 1.5 s
    process, lines = kubectl_lines(sb, "get", "pods", "-n", NS, "-w")
    seen = [lines.next(timeout=20).split() for _ in range(5)]
    assert seen[0][:3] == ["NAME", "READY", "STATUS"]
    assert [row[2] for row in seen[1:3]] == ["ImagePullBackOff", "ImagePullBackOff"]
    assert [(row[1], row[2]) for row in seen[3:]] == [("1/1", "Running"), ("1/1", "Running")]
    assert [what for _, what in sb.timeline.log][:2] == ["secret-created", "pods-pull"]
    assert process.poll() is None
    rollout = kubectl(sb, "rollout", "status", "deployment/web", "-n", NS, "--timeout=20s")
    assert 'deployment "web" successfully rolled out' in rollout.stdout


def test_a_timeline_document_with_after_when_patch_delete_and_outcomes(make_sandbox):
    document = {
        "apiVersion": "v1", "kind": "List",
        "items": [build_pod("a", "lab", waiting_reason="ErrImagePull"), build_pod("b", "lab", waiting_reason="ErrImagePull")],
        "timeline": {
            "pulls": [{"namespace": "lab", "pod": "b", "error": "manifest unknown"}],
            "steps": [
                {"name": "label", "at": "1s", "patch": {"kind": "Pod", "namespace": "lab", "name": "a",
                                                       "merge": {"metadata": {"labels": {"seen": "yes"}}}}},
                {"name": "pull-a", "after": "label", "at": "2s", "pull": {"namespace": "lab", "pod": "a"}},
                {"name": "pull-b", "after": "label", "at": "2s", "pull": {"namespace": "lab", "pod": "b"}},
                {"name": "force-b", "after": "pull-b", "at": "1s",
                 "pull": {"namespace": "lab", "pod": "b", "outcome": "succeed"}},
                {"name": "drop-a", "at": "10s", "delete": {"kind": "pod", "namespace": "lab", "name": "a"}},
                {"name": "gone", "when": {"absent": "pod/lab/a"},
                 "create": build_pod("c", "lab", waiting_reason="ContainerCreating")},
            ],
        },
    }
    sb = make_sandbox(incident=document, timeline_clock="manual")
    assert sb.advance_timeline(1) == ["label"] and sb.get("pod", "lab", "a")["metadata"]["labels"]["seen"] == "yes"
    assert sb.advance_timeline(2) == ["pull-a", "pull-b"]
    assert sb.get("pod", "lab", "a")["status"]["phase"] == "Running"  # no rule: the pull succeeds
    waiting = sb.get("pod", "lab", "b")["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting["reason"] == "ImagePullBackOff" and waiting["message"].endswith("ErrImagePull: manifest unknown")
    assert sb.advance_timeline(1) == ["force-b"] and sb.get("pod", "lab", "b")["status"]["phase"] == "Running"
    assert sb.advance_timeline(10) == ["drop-a", "gone"]
    assert sb.get("pod", "lab", "a") is None and sb.get("pod", "lab", "c") is not None
    failed = sb.timeline.pull("lab", "c", outcome="fail")  # a test's own pull, outside the steps
    assert failed["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "ErrImagePull"
    assert sb.timeline.pull("lab", "c")["status"]["phase"] == "Running"  # no rule for c: it succeeds
    with pytest.raises(ValueError, match="manual"):
        make_sandbox(incident=document).advance_timeline(1)


@pytest.mark.parametrize("timeline, message", [
    ({"steps": [{"name": "x", "at": "soon", "delete": {}}]}, "like 5s"),
    ({"steps": [{"name": "x", "create": {}, "delete": {}}]}, "exactly one of"),
    ({"steps": [{"name": "x", "after": "y", "delete": {}}]}, "unknown step: y"),
    ({"steps": [{"name": "x", "when": {"maybe": "pod/a/b"}, "delete": {}}]}, "exists"),
    ({"steps": "x"}, "is a list"),
    ({"replicaSets": ["only-a-name"]}, "NAMESPACE/NAME"),
])
def test_a_bad_timeline_is_refused_with_what_is_wrong(timeline, message):
    from kubectl_pullmedic.sandbox import Sandbox

    with pytest.raises(ValueError, match=message):
        Sandbox(incident={"apiVersion": "v1", "kind": "List", "items": [], "timeline": timeline})


def test_an_unknown_incident_names_the_built_in_ones():
    from kubectl_pullmedic.sandbox import Sandbox

    with pytest.raises(ValueError, match="missing-pull-secret"):
        Sandbox(incident="no-such-incident")


def test_a_watch_on_one_named_object_sees_only_it(make_sandbox, watches):
    sb = make_sandbox(objects=[build_pod("a"), build_pod("b")])
    stream = watches(sb, PODS + "/a", timeoutSeconds=1)
    sb.add(build_pod("b", labels={"x": "1"}))
    sb.add(build_pod("a", labels={"x": "1"}))
    assert [summary(e) for e in stream.until_end()] == [("ADDED", "a"), ("MODIFIED", "a")]


def test_the_incident_hangs_together_and_the_plugin_names_its_cause(make_sandbox, pullmedic):
    sb = make_sandbox(incident="missing-pull-secret", timeline_clock="manual")
    api = api_of(sb)
    pods = api.list_namespaced_pod(NS).items
    replica_set = client.AppsV1Api(api.api_client).read_namespaced_replica_set(RS, NS)
    deployment = client.AppsV1Api(api.api_client).read_namespaced_deployment("web", NS)
    assert replica_set.metadata.owner_references[0].uid == deployment.metadata.uid
    assert {pod.metadata.owner_references[0].uid for pod in pods} == {replica_set.metadata.uid}
    uids = {pod.metadata.uid for pod in pods}
    assert {event.involved_object.uid for event in api.list_namespaced_event(NS).items} == uids
    found = pullmedic("why", "-n", NS, "-o", "json", sandbox=sb, expect=1).json()["items"]
    assert {(item["pod"], item["cause"]) for item in found} == {(pod.metadata.name, "RegistryAuthRequired") for pod in pods}
    sb.advance_timeline(15)
    quiet = pullmedic("why", "-n", NS, sandbox=sb)
    assert quiet.stdout == "" and quiet.stderr.startswith("No pods with image-pull problems")


def test_a_watch_that_falls_behind_the_history_ends_with_410(make_sandbox, watches):
    sb = make_sandbox(objects=[build_pod("a")], watch_history=2)
    stream = watches(sb, PODS, resourceVersion=sb.resource_version)
    sb.add_all([build_pod(f"burst-{i}") for i in range(200)])  # one burst, far more than the history holds
    events = stream.until_end()
    assert {e["type"] for e in events[:-1]} <= {"ADDED"}  # what it read before it fell behind
    assert events[-1]["type"] == "ERROR" and events[-1]["object"]["code"] == 410


def test_a_sandbox_started_again_streams_again(make_sandbox, watches):
    sb = make_sandbox(objects=[build_pod("a")])
    sb.stop()
    sb.start()
    assert [summary(e) for e in watches(sb, PODS, timeoutSeconds=1).until_end()] == [("ADDED", "a")]


def test_retry_every_makes_failing_pods_pull_again_until_the_secret_exists(make_sandbox):
    document = {
        "apiVersion": "v1", "kind": "List",
        "items": [build_pod("a", "lab", waiting_reason="ErrImagePull"), build_pod("b", "lab")],
        "timeline": {"pulls": [{"namespace": "lab", "needsSecret": "regcred", "retryEvery": "10s",
                                "error": "no basic auth credentials"}]},
    }
    sb = make_sandbox(incident=document, timeline_clock="manual")

    def attempts() -> Tuple[int, int]:
        counts = {"Pulling": 0, "Pulled": 0}
        for entry in sb.store.list_page(resolve("events"), "lab", None, 0, "").items:
            event = entry.decode()
            if event["involvedObject"]["name"] == "a" and event["reason"] in counts:
                counts[event["reason"]] += event["count"]
        return counts["Pulling"], counts["Pulled"]

    sb.advance_timeline(9.5)
    assert attempts() == (0, 0)
    sb.advance_timeline(0.5)
    assert attempts() == (1, 0)
    assert sb.get("pod", "lab", "a")["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "ImagePullBackOff"
    sb.advance_timeline(20)
    assert attempts() == (3, 0)
    sb.add({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "regcred", "namespace": "lab"}})
    sb.advance_timeline(10)
    assert attempts() == (4, 1) and sb.get("pod", "lab", "a")["status"]["phase"] == "Running"
    sb.advance_timeline(60)
    assert attempts() == (4, 1)  # a running pod pulls no more
    assert [what for _, what in sb.timeline.log if what.startswith("pull b")] == []  # b was running all along

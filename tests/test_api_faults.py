"""The API server misbehaving over real HTTP (through ``fault_proxy``): client-go's retries, and no loops."""

from __future__ import annotations

from typing import Iterator, List

import pytest

from conftest import build_pod
from fault_proxy import FaultProxy
from kubectl_pullmedic.cluster import transport
from kubectl_pullmedic.cluster.api import Cluster
from kubectl_pullmedic.errors import ApiError, ClusterUnreachable

PODS = r"^/api/v1/pods\?"
FAILING = build_pod("web-1", "shop", waiting_reason="ImagePullBackOff", uid="uid-web-1")


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> List[float]:
    """The waits between retries, recorded instead of slept."""
    waits: List[float] = []
    monkeypatch.setattr(transport, "sleep", waits.append)
    return waits


@pytest.fixture
def proxy(make_sandbox, tmp_path) -> Iterator[FaultProxy]:
    sandbox = make_sandbox(objects=[FAILING, build_pod("api-1", "shop", uid="uid-api-1"),
                                    build_pod("db-1", "data", uid="uid-db-1")])
    with FaultProxy(sandbox, tmp_path) as running:
        yield running


def connect(proxy: FaultProxy) -> Cluster:
    return Cluster.connect(kubeconfig=proxy.kubeconfig_path, context=None, namespace=None, environ={})


def test_429_with_retry_after_is_retried_after_the_seconds_asked(pullmedic, proxy, slept):
    proxy.add("GET", PODS, status=429, headers={"Retry-After": "2"}, count=2)
    result = pullmedic("why", "-A", "-o", "json", sandbox=proxy, expect=1)
    assert [d["pod"] for d in result.json()["items"]] == ["web-1"]
    assert slept == [2.0, 2.0] and proxy.count("GET", PODS) == 3


def test_a_long_retry_after_is_capped(proxy, slept):
    proxy.add("GET", PODS, status=503, headers={"Retry-After": "3600"}, count=1)
    assert len(connect(proxy).list_all("pods", None)) == 3
    assert slept == [transport.MAX_RETRY_WAIT]


def test_5xx_without_retry_after_is_not_retried(pullmedic, proxy, slept):
    proxy.add("GET", PODS, status=500, count=1)
    result = pullmedic("why", "-A", sandbox=proxy, expect=2)
    assert result.stderr.startswith("error: injected 500") and slept == []
    assert proxy.count("GET", PODS) == 1


def test_retries_stop_after_ten_as_client_go(pullmedic, proxy, slept):
    proxy.add("GET", PODS, status=429, headers={"Retry-After": "1"}, count=None)
    result = pullmedic("why", "-A", sandbox=proxy, expect=2)
    assert result.stderr.splitlines()[0] == "error: injected 429"
    assert slept == [1.0] * transport.MAX_RETRIES and proxy.count("GET", PODS) == transport.MAX_RETRIES + 1


def test_a_reset_read_is_retried(pullmedic, proxy, slept):
    # urllib3's own single retry absorbs the first reset; the others are ours, one second apart.
    proxy.add("GET", PODS, reset=True, count=3)
    result = pullmedic("why", "-A", "-o", "json", sandbox=proxy, expect=1)
    assert [d["pod"] for d in result.json()["items"]] == ["web-1"]
    assert proxy.count("GET", PODS) == 4 and slept and set(slept) == {transport.RESET_WAIT}


def test_a_reset_delete_without_preconditions_is_not_retried(proxy, slept):
    proxy.add("DELETE", r"/pods/api-1$", reset=True, count=None)
    with pytest.raises(ClusterUnreachable):
        connect(proxy).delete("pods", "api-1", "shop")
    assert slept == []


def test_a_guarded_delete_is_retried_on_429(proxy, slept):
    proxy.add("DELETE", r"/pods/api-1$", status=429, headers={"Retry-After": "1"}, count=2)
    connect(proxy).delete("pods", "api-1", "shop", uid="uid-api-1")
    assert slept == [1.0, 1.0] and proxy.count("DELETE", r"/pods/api-1$") == 3
    assert [r.method for r in proxy.sandbox.requests if r.method == "DELETE"] == ["DELETE"]


def test_an_unguarded_delete_is_not_retried(proxy, slept):
    proxy.add("DELETE", r"/pods/api-1$", status=429, headers={"Retry-After": "1"}, count=1)
    with pytest.raises(ApiError) as raised:
        connect(proxy).delete("pods", "api-1", "shop")
    assert raised.value.status == 429 and slept == []


def test_a_malformed_body_is_one_line_error(pullmedic, proxy, slept):
    proxy.add("GET", PODS, body=b'{"kind": "PodList", "items": [', count=1)
    result = pullmedic("why", "-A", sandbox=proxy, expect=2)
    assert result.stderr.splitlines()[0].endswith("with something that is not JSON") and slept == []


def test_a_repeated_continue_token_stops_the_list(proxy, slept):
    proxy.add("GET", r"/api/v1/pods\?.*continue=", repeat_continue=True, count=None)
    cluster = connect(proxy)
    with pytest.raises(ApiError, match="repeated a continue token listing pods; stopped rather than loop"):
        list(cluster.list_pages("pods", None, page_size=1))
    assert proxy.count("GET", PODS) == 2  # the first page, and the one that handed its own token back



EVENTS = r"/events\?"


def test_a_failed_events_list_degrades_why_to_pod_status(pullmedic, proxy, slept):
    proxy.sandbox.add(build_pod("web-2", "shop", waiting_reason="ErrImagePull", uid="uid-web-2"))
    proxy.add("GET", EVENTS, status=500, count=1)
    result = pullmedic("why", "-A", "-o", "json", sandbox=proxy, expect=1)
    assert sorted(d["pod"] for d in result.json()["items"]) == ["web-1", "web-2"]
    assert "cannot list events: injected 500; diagnosing from pod status only" in result.stderr


def test_events_retries_spent_degrade_why_for_one_pod(pullmedic, proxy, slept):
    proxy.add("GET", EVENTS, status=503, headers={"Retry-After": "1"}, count=None)
    result = pullmedic("why", "web-1", "-n", "shop", "-o", "json", sandbox=proxy, expect=1)
    assert [d["pod"] for d in result.json()["items"]] == ["web-1"]
    assert "cannot list events: injected 503; diagnosing from pod status only" in result.stderr
    assert len(slept) == transport.MAX_RETRIES


def test_refused_events_keep_their_warning(pullmedic, proxy):
    proxy.sandbox.set_forbid(["list:events"])
    result = pullmedic("why", "web-1", "-n", "shop", sandbox=proxy, expect=1)
    assert "diagnosing from pod status only" in result.stderr and "cannot list events" not in result.stderr


# -- --request-timeout: a deadline for the whole request, not for each read of the socket ----------

SLOW = 2000  # bytes a second, as in the issue: a body trickled at 2 KB/s


def many_pods(proxy: FaultProxy, count: int = 60) -> None:
    """Enough pods that their list is tens of KB: about ten seconds at 2 KB/s."""
    for n in range(count):
        proxy.sandbox.add(build_pod(f"filler-{n:03d}", "shop", uid=f"uid-filler-{n}",
                                    message="x" * 300))


def test_a_trickled_body_stops_at_the_request_timeout(pullmedic, proxy):
    many_pods(proxy)
    rule = proxy.add("GET", PODS, trickle=SLOW, count=1)
    result = pullmedic("why", "-A", "--request-timeout", "1s", sandbox=proxy, expect=2)
    assert result.stderr.splitlines() == [
        f"error: the API server at {proxy.url} did not finish answering GET /api/v1/pods within 1s (--request-timeout)"]
    # the body was long enough that reading it all would have outlasted the deadline many times over
    assert rule.size > 10 * SLOW and rule.sent < rule.size / 2


def test_a_trickled_body_under_a_long_enough_timeout_is_read_whole(pullmedic, proxy):
    rule = proxy.add("GET", PODS, trickle=50 * 1000, count=1)
    result = pullmedic("why", "-A", "-o", "json", "--request-timeout", "30s", sandbox=proxy, expect=1)
    assert [d["pod"] for d in result.json()["items"]] == ["web-1"] and rule.sent == rule.size > 0


def test_a_trickled_events_list_degrades_why_at_the_request_timeout(pullmedic, proxy):
    proxy.sandbox.add(build_pod("web-2", "shop", waiting_reason="ErrImagePull", uid="uid-web-2"))
    for n in range(40):
        proxy.sandbox.add({"apiVersion": "v1", "kind": "Event",
                           "metadata": {"name": f"web-2.{n:04d}", "namespace": "shop"},
                           "involvedObject": {"kind": "Pod", "name": "web-2", "namespace": "shop", "uid": "uid-web-2"},
                           "type": "Warning", "reason": "Failed", "message": "Failed to pull image " + "y" * 400})
    rule = proxy.add("GET", EVENTS, trickle=SLOW, count=1)
    result = pullmedic("why", "-A", "-o", "json", "--request-timeout", "1s", sandbox=proxy, expect=1)
    assert sorted(d["pod"] for d in result.json()["items"]) == ["web-1", "web-2"]
    assert (f"cannot list events: the API server at {proxy.url} did not finish answering GET /api/v1/events "
            "within 1s (--request-timeout); diagnosing from pod status only") in result.stderr
    assert rule.sent < rule.size / 2


def test_the_deadline_also_bounds_the_waits_between_retries(pullmedic, proxy, slept):
    proxy.add("GET", PODS, status=429, headers={"Retry-After": "5"}, count=1)
    result = pullmedic("why", "-A", "--request-timeout", "2s", sandbox=proxy, expect=2)
    assert result.stderr.splitlines()[0] == "error: injected 429"
    assert slept == [] and proxy.count("GET", PODS) == 1


def test_kubectl_stops_a_trickled_body_at_its_request_timeout_too(kubectl, proxy):
    """The behaviour matched: kubectl's --request-timeout also ends a body that is still arriving."""
    many_pods(proxy)
    rule = proxy.add("GET", r"^/api/v1/pods\?", trickle=SLOW, count=1)
    result = kubectl(proxy.kubeconfig_path, "get", "pods", "-A", "-o", "json", "--request-timeout", "1s", expect_rc=1)
    assert "Timeout" in result.stderr or "deadline" in result.stderr, result.stderr
    assert rule.size > 10 * SLOW and rule.sent < rule.size / 2


def test_a_read_reset_mid_body_is_retried(pullmedic, proxy, slept):
    rule = proxy.add("GET", PODS, reset_after=100, count=1)
    result = pullmedic("why", "-A", "-o", "json", sandbox=proxy, expect=1)
    assert [d["pod"] for d in result.json()["items"]] == ["web-1"]
    assert rule.hits == 1 and proxy.count("GET", PODS) == 2 and slept == [transport.RESET_WAIT]


def test_a_read_reset_mid_body_every_time_ends_as_one_line(pullmedic, proxy, slept):
    proxy.add("GET", PODS, reset_after=100, count=None)
    result = pullmedic("why", "-A", sandbox=proxy, expect=2)
    assert result.stderr.startswith(f"error: cannot reach the API server at {proxy.url}: ")
    assert len(slept) == transport.MAX_RETRIES

"""What ``why --watch`` reads and says beyond one namespace's pods: a workload's own pods only (its
label selector on the pod stream), namespaces RBAC refuses with ``-A``, a pull that turns slow while
nothing else changes, and a deleted pod whose ReplicaSet scaled down. Through the real CLI over real
HTTP to the sandbox (its watch endpoint, the ``missing-pull-secret`` incident on a manual clock)."""

from __future__ import annotations

import copy
from datetime import datetime, timezone

from conftest import build_event, build_pod
from test_watch_cli import NS, PODS, change_lines, the_fix, watches, when_watching
from workloadfixtures import deployment, rs_pod

IMAGE = "registry.example.com/api:2.0"


def pod_reads(sandbox) -> list:
    return [r for r in sandbox.requests if r.method == "GET" and r.path.endswith("/pods")]


def test_a_workload_watch_reads_only_the_workload_s_pods(pullmedic, make_sandbox):
    other = rs_pod("api", "z9", NS, IMAGE)
    sandbox = make_sandbox(incident="missing-pull-secret", timeline_clock="manual",
                           objects=[*deployment("api", NS, IMAGE), other])

    def other_changes() -> None:
        running = copy.deepcopy(sandbox.get("Pod", NS, other["metadata"]["name"]))
        running["status"]["containerStatuses"][0]["state"] = {"running": {"startedAt": "2030-01-01T00:00:00Z"}}
        sandbox.add(running)
        sandbox.remove("Pod", NS, other["metadata"]["name"])

    when_watching(sandbox, other_changes, *the_fix(sandbox))
    result = pullmedic("why", "deploy/web", "-n", NS, "-w", "--timeout", "30s", sandbox=sandbox)
    lines = change_lines(result.stdout)
    assert {line for line in lines if line.endswith("running")} == {f"{pod}  web  running" for pod in PODS}
    assert not [line for line in lines if "api-" in line]
    pod_watches = watches(sandbox, "/pods")
    assert pod_watches and all(r.query.get("labelSelector") == "app=web" for r in pod_watches)
    assert all(r.query.get("labelSelector") == "app=web" for r in pod_reads(sandbox) if r.path.startswith(f"/api/v1/namespaces/{NS}"))


def test_a_pod_deleted_by_a_scale_down_is_not_awaited_as_replacing(pullmedic, make_sandbox):
    """The ReplicaSet goes to 1 replica and one pod is deleted: nothing replaces it (the sandbox's
    controller honours spec.replicas), so the watch says so and ends when the other pod runs."""
    sandbox = make_sandbox(incident="missing-pull-secret", timeline_clock="manual")

    def scale_down() -> None:
        replica_set = sandbox.get("ReplicaSet", NS, "web-6f7d8c9b5")
        replica_set["spec"]["replicas"] = 1
        sandbox.add(replica_set)
        sandbox.remove("Pod", NS, PODS[0])

    when_watching(sandbox, scale_down, *the_fix(sandbox))
    result = pullmedic("why", "deploy/web", "-n", NS, "-w", "--timeout", "20s", sandbox=sandbox)
    lines = change_lines(result.stdout)
    assert f"{PODS[0]}  -  deleted (not replaced: the ReplicaSet scaled down)" in lines
    assert f"{PODS[1]}  web  running" in lines
    assert not [line for line in lines if "replaced by" in line]
    assert result.stdout.endswith("Every followed container is running or completed (1 pod).\n")
    rs_reads = [r for r in sandbox.requests if r.method == "GET" and "/replicasets/" in r.path]
    assert len(rs_reads) == 1


def test_a_pod_deleted_for_a_replacement_is_still_awaited(pullmedic, make_sandbox):
    sandbox = make_sandbox(incident="missing-pull-secret", timeline_clock="manual")
    when_watching(sandbox, lambda: sandbox.remove("Pod", NS, PODS[0]))
    result = pullmedic("why", "deploy/web", "-n", NS, "-w", "--timeout", "3s", sandbox=sandbox, expect=1)
    lines = change_lines(result.stdout)
    assert any(line.startswith(f"{PODS[0]}  -  replaced by web-6f7d8c9b5-") for line in lines), lines
    assert "not replaced" not in result.stdout


def test_a_pull_that_turns_slow_while_nothing_changes_is_said_once(pullmedic, make_sandbox):
    """A pod whose Pulling event (made once the watch is open, so the start's diagnosis cannot see it
    slow already) has no Pulled after it: past --slow-pull the watch says so by itself (a timer, no
    request), once, and the pod is still not running at the timeout."""
    pod = build_pod("big", NS, phase="Pending", uid="big-uid", waiting_reason="ContainerCreating", node="worker-1")
    sandbox = make_sandbox(objects=[pod])

    def pull_starts() -> None:
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        sandbox.add(build_event(pod, "Pulling", 'Pulling image "registry.example.com/app:1.0"', event_type="Normal",
                                last_seen=now))

    when_watching(sandbox, pull_starts)
    result = pullmedic("why", "big", "-n", NS, "-w", "--slow-pull", "1s", "--timeout", "4s", sandbox=sandbox, expect=1)
    lines = change_lines(result.stdout)
    slow = [line for line in lines if "slow pull" in line]
    assert len(slow) == 1 and slow[0].startswith("big  app  slow pull: pulling for "), result.stdout
    assert slow[0].endswith("and not finished (node worker-1)")
    assert lines.index(slow[0]) == len(lines) - 1 and lines[0] == "big  app  pulling"
    seconds = int(slow[0].split("pulling for ")[1].split("s", 1)[0])
    assert 1 <= seconds <= 3
    assert "SlowPull" in result.stdout.split("Still not running after 4s", 1)[1]
    after_watch = [r for r in sandbox.requests if r.query.get("watch")]
    assert len(after_watch) == 4  # the streams; the slow pull cost no list, no get
    first_watch = sandbox.requests.index(after_watch[0])
    assert [r for r in sandbox.requests[first_watch:] if not r.query.get("watch")] == []


def namespace(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


HIDDEN = ["list:pods:hidden", "watch:pods:hidden"]  # refused cluster-wide and in "hidden", as a RoleBinding per namespace


def hidden_sandbox(make_sandbox):
    stuck = build_pod("secret-app", "hidden", phase="Pending", uid="hidden-uid", waiting_reason="ImagePullBackOff")
    return make_sandbox(incident="missing-pull-secret", timeline_clock="manual", forbid=HIDDEN,
                        objects=[namespace("hidden"), stuck])


def test_watch_all_namespaces_falls_back_per_namespace_and_exits_4(pullmedic, make_sandbox):
    sandbox = hidden_sandbox(make_sandbox)
    when_watching(sandbox, *the_fix(sandbox))
    result = pullmedic("why", "-A", "-w", "--timeout", "30s", sandbox=sandbox, expect=4)
    assert "watching pods namespace by namespace (1: storefront)" in result.stderr
    assert "pods not watched in 1 namespace (hidden): forbidden" in result.stderr
    assert {line for line in change_lines(result.stdout) if line.endswith("running")} == {
        f"{NS}/{pod}  web  running" for pod in PODS}
    assert result.stdout.endswith("Every followed container is running or completed (2 pods).\n"
                                  "Not watched: the pods of 1 namespace (hidden).\n")
    pod_watches = watches(sandbox, "/pods")
    assert pod_watches and all(r.path == f"/api/v1/namespaces/{NS}/pods" for r in pod_watches)


def test_retry_all_namespaces_follows_the_readable_part_and_exits_4(pullmedic, make_sandbox):
    sandbox = hidden_sandbox(make_sandbox)
    sandbox.run_timeline_step("secret-created")
    result = pullmedic("retry", "-A", "--yes", "--timeout", "30s", sandbox=sandbox, expect=4)
    assert len([line for line in change_lines(result.stdout) if " replaced by " in line]) == 2
    assert result.stdout.endswith("Not watched: the pods of 1 namespace (hidden).\n")


def test_the_per_namespace_fallback_is_bounded(make_sandbox):
    from kubectl_pullmedic.cluster.api import Cluster
    from kubectl_pullmedic.cluster.feed import NAMESPACE_STREAMS, Feed
    from kubectl_pullmedic.cluster.watch import WatchSpec

    names = [f"team-{i:02}" for i in range(NAMESPACE_STREAMS + 3)]
    sandbox = make_sandbox(objects=[namespace(n) for n in names] + [build_pod("p", n, uid=f"u-{n}") for n in names],
                           forbid=["list:pods:", "list:events:", "list:pods:team-01"])
    cluster = Cluster.connect(kubeconfig=sandbox.kubeconfig_path, context=None, namespace=None, environ={})
    feed = Feed(cluster, [WatchSpec("pods", None), WatchSpec("events", None, field_selector="type=Warning")])
    pods, events = feed.list_all(optional=("events",))
    readable = [n for n in names if n != "team-01"][:NAMESPACE_STREAMS]
    assert sorted(pod["metadata"]["namespace"] for pod in pods) == readable and events == []
    assert [(s.spec.resource, s.spec.namespace) for s in feed.streams] == (
        [("pods", n) for n in readable] + [("events", n) for n in readable])
    assert feed.unread == ["team-01"] + names[NAMESPACE_STREAMS + 1:]
    assert any(f"at most {NAMESPACE_STREAMS} namespaces" in warning for warning in feed.warnings)
    assert any("pods not watched in 1 namespace (team-01): forbidden" in warning for warning in feed.warnings)


def test_retry_of_a_workload_watches_only_its_pods(pullmedic, make_sandbox):
    other = rs_pod("api", "z9", NS, IMAGE)
    sandbox = make_sandbox(incident="missing-pull-secret", timeline_clock="manual",
                           objects=[*deployment("api", NS, IMAGE), other])
    sandbox.run_timeline_step("secret-created")
    when_watching(sandbox, lambda: sandbox.remove("Pod", NS, other["metadata"]["name"]))
    result = pullmedic("retry", "deploy/web", "-n", NS, "--yes", "--timeout", "30s", sandbox=sandbox)
    assert len([line for line in change_lines(result.stdout) if " replaced by " in line]) == 2
    assert "api-" not in result.stdout
    pod_watches = watches(sandbox, "/pods")
    assert pod_watches and all(r.query.get("labelSelector") == "app=web" for r in pod_watches)


def test_a_cluster_wide_watch_refused_after_its_list_falls_back_per_namespace(pullmedic, make_sandbox):
    """A role that may list pods cluster-wide but watch them only per namespace (and events not at all
    by watch): the pod stream goes namespace by namespace, the event streams are dropped, and the fix
    is still followed to running from pod status."""
    sandbox = make_sandbox(incident="missing-pull-secret", timeline_clock="manual",
                           forbid=["watch:pods:", "watch:events"])
    when_watching(sandbox, *the_fix(sandbox), streams=1)
    result = pullmedic("why", "-A", "-w", "--timeout", "30s", sandbox=sandbox)
    assert "watching pods namespace by namespace (1: storefront)" in result.stderr
    assert "following pod status only" in result.stderr
    assert {line for line in change_lines(result.stdout) if line.endswith("running")} == {
        f"{NS}/{pod}  web  running" for pod in PODS}
    assert any(r.path == f"/api/v1/namespaces/{NS}/pods" for r in watches(sandbox, "/pods"))


def test_events_refused_cluster_wide_are_read_in_the_followed_namespaces(pullmedic, make_sandbox):
    """Pods readable cluster-wide, events only per namespace (and not in "other"): the event streams
    go to the followed pods' namespaces, so the pull attempts are still said where they are readable;
    the namespace refused is named and followed from pod status."""
    stuck = build_pod("stuck", "other", phase="Pending", uid="other-uid", waiting_reason="ImagePullBackOff")
    sandbox = make_sandbox(incident="missing-pull-secret", timeline_clock="manual",
                           forbid=["list:events:other", "watch:events:other"], objects=[namespace("other"), stuck])
    when_watching(sandbox, *the_fix(sandbox))
    result = pullmedic("why", "-A", "-w", "--timeout", "6s", sandbox=sandbox, expect=1)
    assert "reading events namespace by namespace (1: storefront), elsewhere following pod status only" in result.stderr
    assert "events not watched in 1 namespace (other): forbidden" in result.stderr
    lines = change_lines(result.stdout)
    for pod in PODS:
        assert [line for line in lines if line.startswith(f"{NS}/{pod}")] == [
            f"{NS}/{pod}  web  pulling (attempt 7)", f"{NS}/{pod}  web  pulled in 2.4 s", f"{NS}/{pod}  web  running"]
    event_watches = watches(sandbox, "/events")
    assert len(event_watches) == 3 and all(r.path == f"/api/v1/namespaces/{NS}/events" for r in event_watches)
    assert "other/stuck" in result.stdout.split("Still not running", 1)[1]


def test_events_read_per_namespace_are_bounded_too(make_sandbox):
    from kubectl_pullmedic.cluster.api import Cluster
    from kubectl_pullmedic.cluster.feed import NAMESPACE_STREAMS, Feed
    from kubectl_pullmedic.cluster.watch import WatchSpec

    names = [f"team-{i:02}" for i in range(NAMESPACE_STREAMS + 3)]
    pods = [build_pod("p", n, uid=f"u-{n}", phase="Pending", waiting_reason="ErrImagePull") for n in names]
    sandbox = make_sandbox(objects=[namespace(n) for n in names] + pods + [build_event(pods[0], "Failed", "x")],
                           forbid=["list:events:team-01"])
    cluster = Cluster.connect(kubeconfig=sandbox.kubeconfig_path, context=None, namespace=None, environ={})
    feed = Feed(cluster, [WatchSpec("pods", None), WatchSpec("events", None, field_selector="type=Warning")])
    listed, events = feed.list_all(optional=("events",))
    assert len(listed) == len(names) and events == [] and [s.spec.resource for s in feed.streams] == ["pods"]
    found = feed.optional_in(names)
    assert [event["involvedObject"]["name"] for event in found] == ["p"]
    readable = [n for n in names if n != "team-01"][:NAMESPACE_STREAMS]
    assert [(s.spec.resource, s.spec.namespace) for s in feed.streams] == [("pods", None)] + [
        ("events", n) for n in readable]
    assert "events not watched in 1 namespace (team-01): forbidden; following pod status only there" in feed.warnings
    assert any(w.startswith("events not watched in 2 namespaces (team-09, team-10)") for w in feed.warnings), feed.warnings
    assert feed.unread == []  # their pods are watched: only the events there are not


def test_events_whose_watch_is_refused_cluster_wide_are_watched_in_the_followed_namespaces(pullmedic, make_sandbox):
    """Events listed cluster-wide but watched only per namespace: once the watch is refused, the event
    streams go to the followed pods' namespace, and the pull attempts are still said."""
    sandbox = make_sandbox(incident="missing-pull-secret", timeline_clock="manual", forbid=["watch:events:"])
    when_watching(sandbox, *the_fix(sandbox), streams=4, after=3)  # the 3 refused, then the 3 per namespace
    result = pullmedic("why", "-A", "-w", "--timeout", "30s", sandbox=sandbox)
    assert "reading events namespace by namespace (1: storefront)" in result.stderr
    for pod in PODS:
        assert [line for line in change_lines(result.stdout) if line.startswith(f"{NS}/{pod}")] == [
            f"{NS}/{pod}  web  pulling (attempt 7)", f"{NS}/{pod}  web  pulled in 2.4 s", f"{NS}/{pod}  web  running"]

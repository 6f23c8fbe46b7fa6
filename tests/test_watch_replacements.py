"""Whether a deleted pod is awaited as replaced, per controller kind (``core.replacements``), and the
awaited ones asked again when their controller changes later (``Follow.recheck``)."""

from __future__ import annotations

import copy
from typing import Dict, Optional

import pytest

from conftest import build_pod
from kubectl_pullmedic.core import watching as w
from kubectl_pullmedic.core.replacements import ControllerRead, Replacement, replacement
from test_watch_cli import NS, change_lines, when_watching
from test_watching import NOW, backoff_pod, kinds
from workloadfixtures import deployment, rs_pod

IMAGE = "registry.example.com/api:2.0"


def owned(name: str, uid: str, kind: str, owner_uid: str, phase: str = "Pending") -> dict:
    pod = build_pod(name, "shop", uid=uid, phase=phase, waiting_reason="ImagePullBackOff" if phase == "Pending" else None)
    pod["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": kind, "name": name.rsplit("-", 1)[0],
                                           "uid": owner_uid, "controller": True}]
    return pod


class Controllers:
    """What the engine would read: one object per controller uid, changed by the test between reads."""

    def __init__(self, kind: str, uid: str, obj: Optional[dict], refused: str = "") -> None:
        self.kind, self.uid, self.obj, self.refused, self.reads = kind, uid, obj, refused, 0

    def __call__(self, pod: dict) -> ControllerRead:
        self.reads += 1
        return ControllerRead(self.kind, self.uid, copy.deepcopy(self.obj), self.refused)


def controller(uid: str, spec: Dict, status: Optional[Dict] = None) -> dict:
    return {"metadata": {"name": "x", "uid": uid}, "spec": spec, "status": status or {}}


def test_a_scale_down_after_the_pod_went_ends_its_wait_with_not_replaced():
    first, second = backoff_pod("web-7d4b9c-a", "a"), backoff_pod("web-7d4b9c-b", "b")
    read = Controllers("ReplicaSet", "rs-uid", controller("rs-uid", {"replicas": 2}))
    follow = w.Follow(controller=read)
    follow.start([first, second], [], NOW)
    assert [(c.change, c.text) for c in follow.on_pod("DELETED", first, NOW)] == [("deleted", "deleted")]
    assert follow.recheck(NOW) == []  # still wanted: still awaited
    assert [o.state for o in follow.outstanding() if o.pod == "web-7d4b9c-a"] == ["replacing"]
    read.obj["spec"]["replicas"] = 1
    changes = follow.recheck(NOW)
    assert [(c.change, c.pod, c.text) for c in changes] == [
        ("not-replaced", "web-7d4b9c-a", "not replaced: the ReplicaSet scaled down")]
    assert [o.pod for o in follow.outstanding()] == ["web-7d4b9c-b"] and follow.recheck(NOW) == []


def test_two_awaited_and_one_slot_left_keeps_one_waiting():
    pods = [backoff_pod(f"web-7d4b9c-{n}", n) for n in "abc"]
    read = Controllers("ReplicaSet", "rs-uid", controller("rs-uid", {"replicas": 3}))
    follow = w.Follow(controller=read)
    follow.start(pods, [], NOW)
    follow.on_pod("DELETED", pods[0], NOW)
    follow.on_pod("DELETED", pods[1], NOW)
    read.obj["spec"]["replicas"] = 2  # one pod alive, two awaited: one of them is still due
    assert kinds(follow.recheck(NOW)) == ["not-replaced"]
    assert [o.state for o in follow.outstanding()].count("replacing") == 1


@pytest.mark.parametrize("name,replicas,due", [("db-1", 2, True), ("db-2", 2, False), ("db-0", 0, False)])
def test_a_statefulset_replaces_an_ordinal_below_its_replicas(name, replicas, due):
    sts = ControllerRead("StatefulSet", "s", controller("s", {"replicas": replicas}))
    assert replacement(build_pod(name, "shop"), sts, active=9).due is due


def test_a_statefulset_pod_is_paired_with_the_new_pod_of_its_own_name():
    zero, one = owned("db-0", "z", "StatefulSet", "s"), owned("db-1", "o", "StatefulSet", "s")
    follow = w.Follow(controller=Controllers("StatefulSet", "s", controller("s", {"replicas": 2})))
    follow.start([zero, one], [], NOW)
    follow.on_pod("DELETED", zero, NOW)
    follow.on_pod("DELETED", one, NOW)
    again = owned("db-1", "o2", "StatefulSet", "s")
    assert [(c.pod, c.text) for c in follow.on_pod("ADDED", again, NOW)][0] == ("db-1", "replaced by db-1")
    assert [o.pod for o in follow.outstanding() if o.state == "replacing"] == ["db-0"]


@pytest.mark.parametrize("spec,status,due,why", [
    ({"parallelism": 2, "completions": 5}, {"succeeded": 1}, True, ""),
    ({"parallelism": 2, "completions": 5}, {"succeeded": 4}, False, "the Job has all the pods it runs at once"),
    ({"completions": 1}, {"succeeded": 1}, False, "the Job is complete"),
    ({}, {"conditions": [{"type": "Failed", "status": "True"}]}, False, "the Job failed"),
    ({"suspend": True}, {}, False, "the Job is suspended"),
])
def test_a_job_replaces_a_pod_only_while_it_runs_fewer_than_it_wants(spec, status, due, why):
    job = ControllerRead("Job", "j", controller("j", spec, status))
    verdict = replacement(build_pod("batch-x", "shop"), job, active=1)
    assert (verdict.due, verdict.why) == (due, why)


def test_a_daemonset_says_what_it_knows_and_is_not_awaited_forever():
    ds = ControllerRead("DaemonSet", "d", controller("d", {}, {"desiredNumberScheduled": 2}))
    assert replacement(build_pod("agent-x", "shop"), ds, active=1).due is True
    verdict = replacement(build_pod("agent-x", "shop"), ds, active=2)
    assert verdict == Replacement(False, "the DaemonSet wants 2 pods (its node may no longer be selected)")


def test_a_refused_controller_is_unknown_never_not_replaced():
    pod = owned("db-0", "z", "StatefulSet", "s")
    follow = w.Follow(controller=Controllers("StatefulSet", "s", None, refused="forbidden"))
    follow.start([pod], [], NOW)
    changes = follow.on_pod("DELETED", pod, NOW)
    assert [c.text for c in changes] == ["deleted (replacement not known: reading its StatefulSet is forbidden)"]
    assert follow.recheck(NOW) == []
    assert [(o.state, o.text) for o in follow.outstanding()] == [
        ("replacing", "deleted; replacement not known: reading its StatefulSet is forbidden")]


def test_a_controller_gone_replaces_nothing():
    pod = owned("db-0", "z", "StatefulSet", "s")
    follow = w.Follow(controller=Controllers("StatefulSet", "s", None))
    follow.start([pod], [], NOW)
    assert [c.text for c in follow.on_pod("DELETED", pod, NOW)] == ["deleted (not replaced: its StatefulSet was deleted)"]
    assert follow.outstanding() == []


def test_finished_pods_are_not_counted_as_the_controller_s_active_ones():
    job_pod = owned("batch-a", "a", "Job", "j")
    done = owned("batch-b", "b", "Job", "j", phase="Succeeded")
    follow = w.Follow(controller=Controllers("Job", "j", controller("j", {"parallelism": 1})))
    follow.start([job_pod, done], [], NOW)
    assert [c.text for c in follow.on_pod("DELETED", job_pod, NOW)] == ["deleted"]  # the finished one is not active


# ---------------------------------------------------------------- through the real CLI and sandbox

def statefulset(name: str, replicas: int) -> dict:
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": name, "namespace": NS, "uid": f"{name}-sts-uid"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "serviceName": name,
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "app", "image": IMAGE}]}}}}


def sts_pod(name: str, ordinal: int) -> dict:
    pod = build_pod(f"{name}-{ordinal}", NS, phase="Pending", image=IMAGE, waiting_reason="ImagePullBackOff",
                    labels={"app": name}, uid=f"{name}-{ordinal}-uid")
    pod["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": name,
                                           "uid": f"{name}-sts-uid", "controller": True}]
    return pod


def controller_reads(sandbox, resource: str) -> list:
    return [r for r in sandbox.requests if r.method == "GET" and f"/{resource}/" in r.path]


def test_a_replicaset_scaled_down_after_the_pod_went_ends_the_watch(pullmedic, make_sandbox):
    """Nothing replaces the deleted pod at first (no controller runs in this sandbox: it is due, so
    awaited); the ReplicaSet is then scaled to 1 and the recheck says so: the watch ends at once,
    not at --timeout."""
    first, second = rs_pod("api", "a", NS, IMAGE), rs_pod("api", "b", NS, IMAGE)
    sandbox = make_sandbox(objects=[*deployment("api", NS, IMAGE), first, second])

    def scale_down() -> None:
        replica_set = sandbox.get("ReplicaSet", NS, "api-7d4b9c")
        replica_set["spec"]["replicas"] = 1
        sandbox.add(replica_set)

    when_watching(sandbox, lambda: sandbox.remove("Pod", NS, "api-7d4b9c-a"), scale_down)
    result = pullmedic("why", "api-7d4b9c-a", "-n", NS, "-w", "--timeout", "60s", sandbox=sandbox)
    assert change_lines(result.stdout) == ["api-7d4b9c-a  -  deleted",
                                           "api-7d4b9c-a  -  not replaced: the ReplicaSet scaled down"]
    assert result.stdout.endswith("Nothing left to watch: the followed pods were deleted, and nothing recreated them.\n")
    reads = controller_reads(sandbox, "replicasets")
    assert 2 <= len(reads) <= 3  # at the delete, then a recheck or two: bounded, not one per batch


def test_a_statefulset_pod_past_its_replicas_is_not_awaited(pullmedic, make_sandbox):
    sandbox = make_sandbox(objects=[statefulset("db", 1), sts_pod("db", 0), sts_pod("db", 1)])
    when_watching(sandbox, lambda: sandbox.remove("Pod", NS, "db-1"))
    result = pullmedic("why", "db-1", "-n", NS, "-w", "--timeout", "60s", sandbox=sandbox)
    assert change_lines(result.stdout) == ["db-1  -  deleted (not replaced: the StatefulSet scaled down)"]


def test_a_refused_controller_leaves_the_replacement_unknown(pullmedic, make_sandbox):
    sandbox = make_sandbox(objects=[statefulset("db", 1), sts_pod("db", 0), sts_pod("db", 1)],
                           forbid=["get:statefulsets"])
    when_watching(sandbox, lambda: sandbox.remove("Pod", NS, "db-1"))
    result = pullmedic("why", "db-1", "-n", NS, "-w", "--timeout", "3s", sandbox=sandbox, expect=1)
    assert change_lines(result.stdout) == ["db-1  -  deleted (replacement not known: reading its StatefulSet is forbidden)"]
    assert result.stdout.endswith("  db-1  -  deleted; replacement not known: reading its StatefulSet is forbidden\n")
    assert "not replaced" not in result.stdout


def owned_by(kind: str, api_version: str, name: str, spec: Dict, status: Optional[Dict] = None) -> list:
    """A controller of ``kind`` in NS and one pod of it in back-off."""
    obj = {"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": NS, "uid": f"{name}-uid"},
           "spec": {"selector": {"app": name} if kind == "ReplicationController" else {"matchLabels": {"app": name}},
                    **spec}, "status": status or {}}
    pod = build_pod(f"{name}-x2x5q", NS, phase="Pending", image=IMAGE, waiting_reason="ImagePullBackOff",
                    labels={"app": name}, uid=f"{name}-pod-uid")
    pod["metadata"]["ownerReferences"] = [{"apiVersion": api_version, "kind": kind, "name": name,
                                           "uid": f"{name}-uid", "controller": True}]
    return [obj, pod]


@pytest.mark.parametrize("kind,api_version,spec,status,path,text", [
    ("ReplicationController", "v1", {"replicas": 0}, None, f"/api/v1/namespaces/{NS}/replicationcontrollers/c",
     "the ReplicationController scaled down"),
    ("Job", "batch/v1", {"completions": 1}, {"succeeded": 1}, f"/apis/batch/v1/namespaces/{NS}/jobs/c",
     "the Job is complete"),
    ("DaemonSet", "apps/v1", {}, {"desiredNumberScheduled": 0}, f"/apis/apps/v1/namespaces/{NS}/daemonsets/c",
     "the DaemonSet wants 0 pods (its node may no longer be selected)"),
])
def test_each_controller_kind_is_read_once_and_says_why_nothing_replaces_the_pod(pullmedic, make_sandbox, kind,
                                                                                  api_version, spec, status, path, text):
    sandbox = make_sandbox(objects=owned_by(kind, api_version, "c", spec, status))
    when_watching(sandbox, lambda: sandbox.remove("Pod", NS, "c-x2x5q"))
    result = pullmedic("why", "c-x2x5q", "-n", NS, "-w", "--timeout", "60s", sandbox=sandbox)
    assert change_lines(result.stdout) == [f"c-x2x5q  -  deleted (not replaced: {text})"]
    assert [r.path for r in sandbox.requests if r.method == "GET" and r.path.startswith(path)] == [path]

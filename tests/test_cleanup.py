"""Choosing what `clean` deletes, and grouping evicted pods (core/cleanup.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubectl_pullmedic.core.evictions.cleanup import (
    SKIP_JOB,
    SKIP_NOT_EVICTED,
    SKIP_NOT_FAILED,
    SKIP_REJECTED,
    SKIP_SHUTDOWN,
    SKIP_TERMINATING,
    SKIP_TOO_YOUNG,
    collect_evictions,
    group_evictions,
    plan_cleanup,
)
from kubectl_pullmedic.core.evictions.parse import is_evicted, parse_eviction
from kubectl_pullmedic.core.workloads import OwnerIndex
from kubectl_pullmedic.core.serialize import as_document

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
LOW_DISK = ("The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 9Gi. "
            "Container app was using {usage}, request is 0, has larger consumption of ephemeral-storage. ")
LOW_MEMORY = ("The node was low on resource: memory. Container app was using 1Gi, request is 256Mi, "
              "has larger consumption of memory. ")
REJECTED = "Pod was rejected: The node had condition: [DiskPressure]. "


def make_pod(name: str, phase: str = "Failed", reason: Optional[str] = "Evicted", message: Optional[str] = None,
             owner: Optional[Dict[str, Any]] = None, node: str = "node-a", namespace: str = "shop",
             created: str = "2026-03-01T08:00:00Z", **meta: Any) -> Dict[str, Any]:
    status: Dict[str, Any] = {"phase": phase}
    if reason:
        status["reason"] = reason
    if message:
        status["message"] = message
    metadata: Dict[str, Any] = {"name": name, "namespace": namespace, "uid": f"uid-{name}",
                                "resourceVersion": "42", "creationTimestamp": created, **meta}
    if owner:
        metadata["ownerReferences"] = [dict(owner, controller=True)]
    return {"metadata": metadata, "spec": {"nodeName": node, "containers": [{"name": "app"}]}, "status": status}


RS_API = {"kind": "ReplicaSet", "name": "api-7d4b9c", "uid": "rs-uid"}
JOB = {"kind": "Job", "name": "import-1", "uid": "job-uid"}
INDEX = OwnerIndex(replicasets=[{"metadata": {"name": "api-7d4b9c", "namespace": "shop", "uid": "rs-uid",
                                              "ownerReferences": [{"kind": "Deployment", "name": "api",
                                                                   "controller": True}]}}])

SCENARIO = [
    make_pod("api-evicted", message=LOW_DISK.format(usage="40Gi"), owner=RS_API),
    make_pod("api-no-reason", reason=None, message=LOW_MEMORY, owner=RS_API),
    make_pod("api-rejected", message=REJECTED, owner=RS_API),
    make_pod("job-evicted", message=LOW_MEMORY, owner=JOB),
    make_pod("job-failed", reason=None, owner=JOB),
    make_pod("deadline", reason="DeadlineExceeded", message="Pod was active on the node longer than the specified deadline"),
    make_pod("outofcpu", reason="OutOfcpu", message="Pod was rejected: Node didn't have enough resource: cpu"),
    make_pod("shutdown", reason="Terminated", message="Pod was terminated in response to imminent node shutdown."),
    make_pod("preempted", reason="Preempting", message="Preempted in order to admit critical pod", owner=RS_API),
    make_pod("shutdown-refused", reason="NodeShutdown",
             message="Pod was rejected: Pod was rejected as the node is shutting down.", owner=RS_API),
    make_pod("running", phase="Running", reason=None),
    make_pod("pending-evicted-reason", phase="Pending"),
    make_pod("going", message=LOW_MEMORY, deletionTimestamp="2026-03-01T11:59:00Z"),
]


def reasons(plan: Any) -> Dict[str, str]:
    return {item.name: item.reason for item in plan.skipped}


def test_default_plan_deletes_only_plain_evictions() -> None:
    plan = plan_cleanup(SCENARIO, now=NOW, index=INDEX)
    assert [item.name for item in plan.to_delete] == ["api-evicted", "api-no-reason"]
    assert reasons(plan) == {
        "api-rejected": SKIP_REJECTED,
        "job-evicted": SKIP_JOB,
        "job-failed": SKIP_NOT_EVICTED,
        "deadline": SKIP_NOT_EVICTED,
        "outofcpu": SKIP_REJECTED,
        "shutdown": SKIP_SHUTDOWN,
        "preempted": SKIP_SHUTDOWN,
        "shutdown-refused": SKIP_SHUTDOWN,
        "running": SKIP_NOT_FAILED,
        "pending-evicted-reason": SKIP_NOT_FAILED,
        "going": SKIP_TERMINATING,
    }
    first = as_document(plan.to_delete[0])
    assert first == {"namespace": "shop", "name": "api-evicted", "uid": "uid-api-evicted", "resourceVersion": "42",
                     "kind": "NodePressure", "owner": "deployment/api"}
    details = {item.name: item.detail for item in plan.skipped}
    assert details["deadline"] == "failed with reason DeadlineExceeded, not evicted"
    assert details["job-failed"] == "failed pod of job/import-1, not evicted"
    assert details["outofcpu"] == "refused by the kubelet at admission (OutOfcpu), never ran (use --include-rejected)"
    assert details["api-rejected"] == "refused by the kubelet under node pressure, never ran (use --include-rejected)"
    assert details["shutdown"] == "stopped by a node shutdown (use --include-shutdown)"
    assert details["preempted"] == "preempted by the kubelet for a critical pod (use --include-shutdown)"


def test_flags_widen_the_selection() -> None:
    plan = plan_cleanup(SCENARIO, now=NOW, index=INDEX, include_rejected=True, include_jobs=True)
    assert [item.name for item in plan.to_delete] == ["api-evicted", "api-no-reason", "api-rejected", "job-evicted",
                                                      "outofcpu", "shutdown-refused"]
    assert plan.counts_by_kind == {"AdmissionRejected": 2, "NodePressure": 3, "NodeShutdown": 1}
    assert plan.counts_by_namespace == {"shop": 6}
    assert plan.skipped_by_reason() == {SKIP_NOT_EVICTED: 2, SKIP_NOT_FAILED: 2, SKIP_SHUTDOWN: 2, SKIP_TERMINATING: 1}


def test_include_shutdown_takes_shutdown_and_preemption_endings_only() -> None:
    plan = plan_cleanup(SCENARIO, now=NOW, index=INDEX, include_shutdown=True)
    assert [item.name for item in plan.to_delete] == ["api-evicted", "api-no-reason", "shutdown", "preempted",
                                                      "shutdown-refused"]
    assert plan.counts_by_kind == {"KubeletPreemption": 1, "NodePressure": 2, "NodeShutdown": 2}
    assert reasons(plan)["outofcpu"] == SKIP_REJECTED and reasons(plan)["job-evicted"] == SKIP_JOB


def test_older_than_uses_eviction_time_then_creation() -> None:
    recent = make_pod("recent", message=LOW_MEMORY, created="2026-02-01T00:00:00Z")
    recent["status"]["conditions"] = [{"type": "DisruptionTarget", "status": "True", "reason": "TerminationByKubelet",
                                       "message": LOW_MEMORY, "lastTransitionTime": "2026-03-01T11:50:00Z"}]
    old = make_pod("old", message=LOW_MEMORY, created="2026-03-01T09:00:00Z")
    no_time = make_pod("no-time", message=LOW_MEMORY)
    no_time["metadata"].pop("creationTimestamp")
    plan = plan_cleanup([recent, old, no_time], now=NOW, older_than=timedelta(hours=1))
    assert [item.name for item in plan.to_delete] == ["old"]
    assert reasons(plan) == {"recent": SKIP_TOO_YOUNG, "no-time": SKIP_TOO_YOUNG}
    assert plan_cleanup([recent], now=NOW, older_than=timedelta(minutes=5)).to_delete[0].name == "recent"
    naive_now = NOW.replace(tzinfo=None)  # taken as UTC
    assert [i.name for i in plan_cleanup([recent, old], now=naive_now, older_than=timedelta(hours=1)).to_delete] == ["old"]


def test_plan_to_dict_is_json_ready() -> None:
    data = as_document(plan_cleanup(SCENARIO, now=NOW))
    assert set(data) == {"toDelete", "skipped", "countsByNamespace", "countsByKind"}
    assert data["skipped"][0].keys() == {"namespace", "name", "reason", "detail"}


# ---- property: nothing but Failed, evicted pods is ever selected ------------------------------

MESSAGES = st.sampled_from([
    None, "", LOW_MEMORY, LOW_DISK.format(usage="1Gi"), REJECTED, "Pod The node had condition: [MemoryPressure]. ",
    'Usage of EmptyDir volume "x" exceeds the limit "1Gi". ', "Pod was terminated in response to imminent node shutdown.",
    "Pod was active on the node longer than the specified deadline", "Back-off restarting failed container",
    "Preempted in order to admit critical pod", "Pod was preempted by Kubelet to accommodate a critical pod.",
    "Pod was rejected: Node didn't have enough resource: cpu, requested: 2000, used: 1000, capacity: 2000",
    "Pod was rejected: Predicate NodeAffinity failed", "Pod Pod was rejected as the node is shutting down.",
])
REASONS = st.sampled_from([None, "", "Evicted", "DeadlineExceeded", "OutOfcpu", "Terminated", "Preempting",
                           "UnexpectedAdmissionError", "NodeAffinity", "evicted", "NodeShutdown", "Shutdown",
                           "OutOfDisk"])
PHASES = st.sampled_from([None, "Failed", "Running", "Pending", "Succeeded", "Unknown", "failed"])
CONDITIONS = st.lists(st.fixed_dictionaries({
    "type": st.sampled_from(["DisruptionTarget", "Ready", "PodScheduled"]),
    "status": st.sampled_from(["True", "False"]),
    "reason": st.sampled_from(["TerminationByKubelet", "PodFailed", "DeletionByTaintManager"]),
    "message": MESSAGES,
}), max_size=3)


@st.composite
def pods(draw: Any) -> Dict[str, Any]:
    status = {key: value for key, value in (("phase", draw(PHASES)), ("reason", draw(REASONS)),
                                            ("message", draw(MESSAGES))) if value is not None}
    status["conditions"] = draw(CONDITIONS)
    owner = draw(st.sampled_from([None, RS_API, JOB, {"kind": "StatefulSet", "name": "db"}]))
    meta: Dict[str, Any] = {"name": draw(st.text(min_size=1, max_size=5)), "namespace": "ns", "uid": draw(st.uuids()).hex,
                            "creationTimestamp": draw(st.sampled_from([None, "2026-01-01T00:00:00Z", "garbage"]))}
    if owner:
        meta["ownerReferences"] = [dict(owner, controller=draw(st.booleans()))]
    if draw(st.booleans()):
        meta["deletionTimestamp"] = "2026-03-01T00:00:00Z"
    return {"metadata": meta, "status": status}


@pytest.mark.slow  # 400 hypothesis examples: 2-4 s
@settings(max_examples=400, deadline=None)
@given(st.lists(pods(), max_size=8), st.booleans(), st.booleans(), st.booleans(),
       st.sampled_from([None, timedelta(0), timedelta(days=30)]))
def test_never_selects_a_pod_that_is_not_failed_and_evicted(
    batch: List[Dict[str, Any]], include_rejected: bool, include_shutdown: bool, include_jobs: bool,
    older_than: Optional[timedelta]
) -> None:
    plan = plan_cleanup(batch, now=NOW, index=INDEX, include_rejected=include_rejected,
                        include_shutdown=include_shutdown, include_jobs=include_jobs, older_than=older_than)
    assert len(plan.to_delete) + len(plan.skipped) == len(batch)
    selected_uids = {item.uid for item in plan.to_delete}
    for pod in batch:
        if pod["metadata"]["uid"] in selected_uids:
            assert pod["status"].get("phase") == "Failed"
            assert is_evicted(pod)
            assert not pod["metadata"].get("deletionTimestamp")
            eviction = parse_eviction(pod)
            assert eviction is not None
            if not include_rejected:
                assert "had condition" not in pod["status"].get("message", "")
                assert eviction.kind != "AdmissionRejected"
            if not include_shutdown:
                assert eviction.kind == "AdmissionRejected" or eviction.kind in ("NodePressure", "LocalStorageLimit") \
                    or (eviction.refusal is not None and include_rejected)


# ---- evicted listing and grouping -----------------------------------------------------------

def fleet() -> List[Dict[str, Any]]:
    pods = []
    for number, (node, usage) in enumerate([("node-a", "3Gi"), ("node-b", "40Gi"), ("node-c", "7Gi"), ("node-a", "1Gi")]):
        pod = make_pod(f"api-{number}", message=LOW_DISK.format(usage=usage), owner=RS_API, node=node)
        pod["spec"]["volumes"] = [{"name": "scratch", "emptyDir": {}}]
        pods.append(pod)
    pods.append(make_pod("web-0", message=LOW_MEMORY, owner={"kind": "StatefulSet", "name": "web"}, node="node-a",
                         namespace="front"))
    pods.append(make_pod("loner", message=REJECTED, node="node-b"))
    pods.append(make_pod("job-failed", reason=None, owner=JOB))
    return pods


def test_collect_evictions_ties_pods_to_workloads() -> None:
    evicted = collect_evictions(fleet(), index=INDEX)
    assert [(item.name, item.owner) for item in evicted] == [
        ("api-0", ("Deployment", "api")), ("api-1", ("Deployment", "api")), ("api-2", ("Deployment", "api")),
        ("api-3", ("Deployment", "api")), ("web-0", ("StatefulSet", "web")), ("loner", None),
    ]
    row = as_document(evicted[0])
    assert row["owner"] == "deployment/api" and row["eviction"]["resource"] == "ephemeral-storage"
    assert "pod" not in row


def test_group_by_owner_gives_the_one_line_summary_and_peak_sized_fix() -> None:
    groups = group_evictions(collect_evictions(fleet(), index=INDEX), by="owner")
    assert [group.key for group in groups] == ["shop/deployment/api", "front/statefulset/web", "shop/(no owner)"]
    api = groups[0]
    assert (api.count, api.nodes, api.resources, api.owners) == (4, ["node-a", "node-b", "node-c"],
                                                                  ["ephemeral-storage"], ["deployment/api"])
    assert api.summary == "4 pods of deployment/api in namespace shop were evicted for ephemeral-storage on 3 nodes"
    # sized from the peak usage (40Gi), not the first pod's (3Gi)
    assert "kubectl set resources deployment/api -c app --requests=ephemeral-storage=52Gi -n shop" in api.fixes[0]
    assert len([fix for fix in api.fixes if "set resources" in fix]) == 1
    assert groups[2].summary == "1 pod in namespace shop was refused by the kubelet under DiskPressure on node node-b"


@pytest.mark.parametrize(
    "by,expected",
    [
        ("node", {"node-a": 3, "node-b": 2, "node-c": 1}),
        ("resource", {"ephemeral-storage": 4, "memory": 1, "DiskPressure (node condition)": 1}),
        ("namespace", {"shop": 5, "front": 1}),
    ],
)
def test_group_by_other_keys(by: str, expected: Dict[str, int]) -> None:
    groups = group_evictions(collect_evictions(fleet(), index=INDEX), by=by)
    assert {group.key: group.count for group in groups} == expected
    assert [group.count for group in groups] == sorted(expected.values(), reverse=True)
    data = as_document(groups[0])
    assert data["count"] == groups[0].count and data["summary"] == groups[0].summary


def test_group_by_node_mixes_workloads_and_keeps_their_fixes_apart() -> None:
    (node_a,) = [group for group in group_evictions(collect_evictions(fleet(), index=INDEX), by="node")
                 if group.key == "node-a"]
    assert node_a.owners == ["deployment/api", "statefulset/web"]
    assert node_a.summary == "3 pods were evicted for ephemeral-storage, memory on node node-a"
    assert any("deployment/api" in fix and "ephemeral-storage=3840Mi" in fix for fix in node_a.fixes)
    assert any("statefulset/web" in fix and "memory=1280Mi" in fix for fix in node_a.fixes)


def test_group_by_rejects_unknown_key() -> None:
    with pytest.raises(ValueError):
        group_evictions([], by="color")

"""Eviction recognition, message parsing and fixes (core/evictions.py, core/evictionmessages.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml

from kubectl_pullmedic.core.evictions.messages import parse_message
from kubectl_pullmedic.core.evictions.parse import (
    ContainerUsage,
    Eviction,
    eviction_event,
    eviction_fixes,
    is_admission_rejection,
    is_evicted,
    parse_eviction,
    with_nodes,
)
from kubectl_pullmedic.core.evictions.cleanup import EvictedPod
from kubectl_pullmedic.core.pulls.summaries import eviction_summary
from kubectl_pullmedic.core.serialize import as_document

DATA_FILE = Path(__file__).parent / "data" / "eviction_messages.yaml"


def evicted_pod(message: Optional[str], reason: Optional[str] = "Evicted", **extra: Any) -> Dict[str, Any]:
    status: Dict[str, Any] = {"phase": "Failed"}
    if reason is not None:
        status["reason"] = reason
    if message is not None:
        status["message"] = message
    status.update(extra.pop("status", {}))
    pod: Dict[str, Any] = {
        "metadata": {"name": "api-7d4b9c-x2p9z", "namespace": "shop", "uid": "uid-1"},
        "spec": {"nodeName": "node-a", "containers": [{"name": "app"}]},
        "status": status,
    }
    pod.update(extra)
    return pod


# (id, message, expected fields; containers as (name, usage, request)). Formats from kubelet
# pkg/kubelet/eviction/helpers.go and eviction_manager.go, kubelet.go rejectPod; the quantities
# are from real pods (kubernetes issues and user reports).
MESSAGES = [
    (
        "memory-new-threshold",
        "The node was low on resource: memory. Threshold quantity: 750Mi, available: 225800Ki. "
        "Container nginx was using 4395616Ki, request is 0, has larger consumption of memory. ",
        dict(kind="NodePressure", cause="EvictedMemory", resource="memory", threshold="750Mi",
             available="225800Ki", containers=[("nginx", "4395616Ki", "0")]),
    ),
    (
        "ephemeral-new-decimal-threshold",
        "The node was low on resource: ephemeral-storage. Threshold quantity: 46993491787, available: 45494108Ki. "
        "Container kibana was using 108Ki, request is 0, has larger consumption of ephemeral-storage. ",
        dict(kind="NodePressure", cause="EvictedEphemeralStorage", resource="ephemeral-storage",
             threshold="46993491787", available="45494108Ki", containers=[("kibana", "108Ki", "0")]),
    ),
    (
        "memory-new-two-containers-no-threshold",
        "The node was low on resource: memory. Container app was using 1843Mi, request is 256Mi, has larger "
        "consumption of memory. Container sidecar was using 300Mi, request is 64Mi, has larger consumption of memory. ",
        dict(cause="EvictedMemory", threshold=None, available=None,
             containers=[("app", "1843Mi", "256Mi"), ("sidecar", "300Mi", "64Mi")]),
    ),
    (
        "memory-old-wording",
        "The node was low on resource: memory. Container proprietary-crawler was using 9402820Ki, which exceeds "
        "its request of 7G. ",
        dict(cause="EvictedMemory", containers=[("proprietary-crawler", "9402820Ki", "7G")]),
    ),
    (
        "old-wording-threshold-two-containers",
        "The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 9Gi. Container a "
        "was using 3Gi, which exceeds its request of 0. Container b was using 1.5Gi, which exceeds its request of 1Gi. ",
        dict(threshold="10Gi", available="9Gi", containers=[("a", "3Gi", "0"), ("b", "1.5Gi", "1Gi")]),
    ),
    ("nodefs-oldest", "The node was low on resource: nodefs.",
     dict(cause="EvictedDisk", resource="nodefs", containers=[])),
    ("imagefs-oldest", "The node was low on resource: imagefs. ", dict(cause="EvictedDisk", resource="imagefs")),
    ("inodes", "The node was low on resource: inodes. Threshold quantity: 65536, available: 1024. ",
     dict(cause="EvictedDisk", resource="inodes", threshold="65536", available="1024")),
    ("pids", "The node was low on resource: pids. Threshold quantity: 1000, available: 980. ",
     dict(cause="EvictedPID", resource="pids", containers=[])),
    (
        "pod-level-resources",
        "The node was low on resource: memory. Threshold quantity: 100Mi, available: 52Mi. Pod web-0 was using "
        "2Gi, request is 1Gi, has larger consumption of memory. Container app was using 1900Mi, request is 0, has "
        "larger consumption of memory. ",
        dict(cause="EvictedMemory", containers=[("app", "1900Mi", "0")], pod_usage=("web-0", "2Gi", "1Gi")),
    ),
    (
        "negative-available",
        "The node was low on resource: memory. Threshold quantity: 100Mi, available: -2348Ki. ",
        dict(threshold="100Mi", available="-2348Ki"),
    ),
    (
        "container-ephemeral-limit",
        'Container app exceeded its local ephemeral storage limit "1Gi". ',
        dict(kind="LocalStorageLimit", cause="EvictedEphemeralStorage", resource="ephemeral-storage",
             threshold="1Gi", exceeded_limit="container", containers=[("app", None, None)]),
    ),
    (
        "pod-ephemeral-limit",
        "Pod ephemeral local storage usage exceeds the total limit of containers 3135368Ki. ",
        dict(kind="LocalStorageLimit", threshold="3135368Ki", exceeded_limit="pod", volume=None),
    ),
    (
        "emptydir-sizelimit",
        'Usage of EmptyDir volume "cache" exceeds the limit "500Mi". ',
        dict(kind="LocalStorageLimit", volume="cache", threshold="500Mi", exceeded_limit="emptyDir"),
    ),
    ("rejected", "Pod was rejected: The node had condition: [DiskPressure]. ",
     dict(kind="AdmissionRejected", cause="RejectedNodePressure", resource=None, node_conditions=["DiskPressure"])),
    ("rejected-old", "Pod The node had condition: [MemoryPressure]. ",
     dict(kind="AdmissionRejected", node_conditions=["MemoryPressure"])),
    ("rejected-oldest", "Pod The node was low on resource: [DiskPressure].",
     dict(kind="AdmissionRejected", cause="RejectedNodePressure", node_conditions=["DiskPressure"])),
    ("rejected-event-text", "The node had condition: [MemoryPressure DiskPressure]. ",
     dict(kind="AdmissionRejected", node_conditions=["MemoryPressure", "DiskPressure"])),
]


def _check(eviction: Eviction, expected: Dict[str, Any]) -> None:
    for key, value in expected.items():
        if key == "containers":
            assert [(c.name, c.usage, c.request) for c in eviction.containers] == value
        elif key == "pod_usage":
            usage = eviction.pod_usage
            assert usage is not None and (usage.name, usage.usage, usage.request) == value
        else:
            assert getattr(eviction, key) == value, key


@pytest.mark.parametrize("message,expected", [case[1:] for case in MESSAGES], ids=[case[0] for case in MESSAGES])
def test_message_forms(message: str, expected: Dict[str, Any]) -> None:
    eviction = parse_message(message)
    assert eviction is not None
    _check(eviction, expected)
    assert eviction.message == message


def _data_entries() -> List[Dict[str, Any]]:
    if not DATA_FILE.exists():
        return []
    loaded = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8")) or {}
    return list(loaded["messages"])


_SCALARS = ("kind", "cause", "resource", "threshold", "available", "volume", "exceeded_limit")


@pytest.mark.skipif(not DATA_FILE.exists(), reason="tests/data/eviction_messages.yaml not written yet")
@pytest.mark.parametrize("entry", _data_entries(), ids=lambda entry: entry["message"][:60])
def test_data_file_messages(entry: Dict[str, Any]) -> None:
    """Every message form in the shared data file, parsed from the text alone and from a pod."""
    eviction = parse_message(entry["message"])
    assert eviction is not None
    for key in _SCALARS:
        if key in entry:
            assert getattr(eviction, key) == entry[key], key
    assert eviction.node_conditions == entry.get("node_conditions", [])
    if "containers" in entry:
        assert [as_document(usage) for usage in eviction.containers] == [
            {"name": c["name"], "usage": c.get("usage"), "request": c.get("request"), "limit": c.get("limit")}
            for c in entry["containers"]
        ]
    if "pod_usage" in entry:
        assert eviction.pod_usage is not None
        assert as_document(eviction.pod_usage) == dict(entry["pod_usage"], limit=None)
    else:
        assert eviction.pod_usage is None
    from_pod = parse_eviction(evicted_pod(entry["message"]))
    assert from_pod is not None and (from_pod.kind, from_pod.cause) == (entry["kind"], entry["cause"])
    assert is_evicted(evicted_pod(entry["message"], reason=None))  # also without a reason (issue 105467)


ENDINGS_FILE = Path(__file__).parent / "data" / "kubelet_endings.yaml"
ENDINGS = yaml.safe_load(ENDINGS_FILE.read_text(encoding="utf-8"))["endings"]


def _ending_pod(entry: Dict[str, Any]) -> Dict[str, Any]:
    status: Dict[str, Any] = {}
    if entry.get("condition"):
        status["conditions"] = [disruption(entry["condition"])]
    if entry.get("event"):  # the event carries the bare message; the pod only its reason
        return evicted_pod("Pod was rejected: " + entry["message"], reason=entry["reason"], status=status)
    return evicted_pod(entry["message"], reason=entry["reason"], status=status)


@pytest.mark.parametrize("entry", ENDINGS, ids=lambda e: f"{e['reason']}:{(e['message'] or e.get('condition') or '')[:50]}")
def test_endings_corpus(entry: Dict[str, Any]) -> None:
    """Every refusal, shutdown and preemption form: recognised (or not) and parsed from the pod alone."""
    pod = _ending_pod(entry)
    assert is_evicted(pod) is (entry["kind"] is not None)
    eviction = parse_eviction(pod)
    if entry["kind"] is None:
        assert eviction is None
        return
    assert eviction is not None and (eviction.kind, eviction.cause) == (entry["kind"], entry["cause"])
    refusal = as_document(eviction.refusal) if eviction.refusal else None
    if "refusal" in entry:
        assert refusal is not None and {key: refusal[key] for key in entry["refusal"]} == entry["refusal"]
    if entry["kind"] == "NodeShutdown":
        assert (eviction.refusal is not None) is bool(entry.get("refused"))
    assert eviction_summary(eviction).startswith(("refused by", "stopped when", "preempted by"))
    assert eviction_fixes(eviction, pod, ("Deployment", "api"))[-1].startswith("Remove these leftovers with: ")


def test_unknown_text_is_not_a_message() -> None:
    assert parse_message("Pod was terminated in response to imminent node shutdown.") is None


SHUTDOWN = "Pod was terminated in response to imminent node shutdown."
LOW_MEMORY = "The node was low on resource: memory. Threshold quantity: 100Mi, available: 90Mi. "


def disruption(message: str) -> Dict[str, Any]:
    return {"type": "DisruptionTarget", "status": "True", "reason": "TerminationByKubelet", "message": message,
            "lastTransitionTime": "2026-03-01T10:00:00Z"}


@pytest.mark.parametrize(
    "pod,expected",
    [
        (evicted_pod(LOW_MEMORY), True),
        (evicted_pod(None), True),  # reason alone is enough
        (evicted_pod(LOW_MEMORY, reason=None), True),  # kubernetes issue 105467
        (evicted_pod(None, reason=None, status={"conditions": [disruption(LOW_MEMORY)]}), True),
        (evicted_pod('Usage of EmptyDir volume "tmp" exceeds the limit "1Gi". ', reason=None), True),
        # The kubelet's other endings linger the same way: node shutdown, preemption, admission refusals.
        (evicted_pod(SHUTDOWN, reason="Terminated", status={"conditions": [disruption(SHUTDOWN)]}), True),
        (evicted_pod(None, reason=None, status={"conditions": [disruption(SHUTDOWN)]}), True),
        (evicted_pod("Preempted in order to admit critical pod", reason="Preempting"), True),
        (evicted_pod("Pod was active on the node longer than the specified deadline", reason="DeadlineExceeded"), False),
        (evicted_pod("Pod was rejected: Node didn't have enough resource: cpu", reason="OutOfcpu"), True),
        (evicted_pod(None, reason=None, status={"conditions": [disruption("Something else entirely.")]}), False),
        (evicted_pod(None, reason=None), False),  # a failed Job pod
        (evicted_pod(LOW_MEMORY, status={"phase": "Running"}), False),
        (evicted_pod(LOW_MEMORY, status={"phase": "Succeeded"}), False),
        ({}, False),
    ],
    ids=["reason", "reason-no-message", "no-reason-message", "no-reason-condition", "no-reason-emptydir",
         "node-shutdown", "node-shutdown-no-reason", "preempted", "deadline", "out-of-cpu", "unknown-condition",
         "job-failure",
         "running", "succeeded", "empty"],
)
def test_is_evicted(pod: Dict[str, Any], expected: bool) -> None:
    assert is_evicted(pod) is expected


def test_admission_rejection_forms() -> None:
    assert is_admission_rejection(evicted_pod("Pod was rejected: The node had condition: [DiskPressure]. "))
    assert is_admission_rejection(evicted_pod("Pod The node had condition: [DiskPressure]. "))
    assert not is_admission_rejection(evicted_pod(LOW_MEMORY))
    assert not is_admission_rejection(
        evicted_pod("Pod was rejected: The node had condition: [DiskPressure]. ", status={"phase": "Pending"})
    )


def evicted_event(uid: str, annotations: Dict[str, str], message: str = LOW_MEMORY,
                  when: str = "2026-03-01T10:00:05Z") -> Dict[str, Any]:
    return {
        "metadata": {"name": "api.17f", "namespace": "shop", "annotations": annotations},
        "involvedObject": {"kind": "Pod", "namespace": "shop", "name": "api-7d4b9c-x2p9z", "uid": uid},
        "reason": "Evicted", "type": "Warning", "message": message, "lastTimestamp": when,
        "source": {"component": "kubelet", "host": "node-b"},
    }


def test_event_annotations_fill_usage_and_match_by_uid() -> None:
    pod = evicted_pod(LOW_MEMORY)
    pod["spec"]["containers"] = [
        {"name": "app", "resources": {"requests": {"memory": "256Mi"}, "limits": {"memory": "2Gi"}}},
        {"name": "sidecar", "resources": {"requests": {"memory": "64Mi"}}},
    ]
    mine = evicted_event("uid-1", {"offending_containers": "app,sidecar",
                                   "offending_containers_usage": "1843Mi,300Mi", "starved_resource": "memory"})
    other = evicted_event("uid-old", {"offending_containers": "ghost", "offending_containers_usage": "9Gi"},
                          when="2026-03-02T00:00:00Z")
    assert eviction_event(pod, [other, mine]) is mine
    eviction = parse_eviction(pod, [other, mine])
    assert eviction is not None
    assert [(c.name, c.usage, c.request, c.limit) for c in eviction.containers] == [
        ("app", "1843Mi", "256Mi", "2Gi"),
        ("sidecar", "300Mi", "64Mi", None),
    ]
    assert eviction.node == "node-a"


def test_message_lost_everywhere_but_event() -> None:
    """No reason, no message on the pod: the condition says evicted, the event says why."""
    pod = evicted_pod(None, reason=None, status={"conditions": [disruption(LOW_MEMORY)]})
    pod["spec"].pop("nodeName")
    event = evicted_event("uid-1", {"offending_containers": "app", "offending_containers_usage": "900Mi",
                                    "starved_resource": "memory"})
    eviction = parse_eviction(pod, [event])
    assert eviction is not None
    assert (eviction.cause, eviction.threshold, eviction.node) == ("EvictedMemory", "100Mi", "node-b")
    assert eviction.containers[0].usage == "900Mi"
    assert eviction.evicted_at is not None and eviction.evicted_at.isoformat() == "2026-03-01T10:00:00+00:00"


def test_unrecognised_message_still_listed() -> None:
    eviction = parse_eviction(evicted_pod("something new the kubelet says"))
    assert eviction is not None and eviction.cause == "EvictedOther"
    assert parse_eviction(evicted_pod(LOW_MEMORY, reason="DeadlineExceeded")) is None


def test_pod_limit_blames_containers_with_limits() -> None:
    pod = evicted_pod("Pod ephemeral local storage usage exceeds the total limit of containers 3Gi. ")
    pod["spec"]["containers"] = [
        {"name": "app", "resources": {"limits": {"ephemeral-storage": "2Gi"}}},
        {"name": "proxy", "resources": {"limits": {"ephemeral-storage": "1Gi"}}},
        {"name": "idle"},
    ]
    eviction = parse_eviction(pod)
    assert eviction is not None
    assert [(c.name, c.limit) for c in eviction.containers] == [("app", "2Gi"), ("proxy", "1Gi")]
    assert as_document(eviction)["containers"][0] == {"name": "app", "usage": None, "request": None, "limit": "2Gi"}


# ---- fixes ----------------------------------------------------------------------------------

def memory_eviction(*containers: ContainerUsage) -> Eviction:
    return Eviction("NodePressure", "EvictedMemory", "memory", node="node-a", containers=list(containers))


def test_memory_fix_sizes_from_usage_and_names_workload() -> None:
    fixes = eviction_fixes(memory_eviction(ContainerUsage("app", "1.2Gi", "256Mi")), evicted_pod(LOW_MEMORY),
                           ("Deployment", "api"))
    assert fixes == [
        "Raise the memory request of container app in deployment/api to 1536Mi (it used 1.2Gi, request 256Mi): "
        "kubectl set resources deployment/api -c app --requests=memory=1536Mi -n shop"
    ]


def test_memory_fix_raises_a_limit_the_new_request_would_exceed() -> None:
    usage = ContainerUsage("app", "1843Mi", "256Mi", limit="1Gi")
    (fix,) = eviction_fixes(memory_eviction(usage), evicted_pod(LOW_MEMORY), ("StatefulSet", "db"))
    assert fix.endswith("kubectl set resources statefulset/db -c app --requests=memory=2304Mi --limits=memory=2304Mi -n shop")


def test_memory_fix_keeps_a_limit_that_is_high_enough() -> None:
    usage = ContainerUsage("app", "1843Mi", "256Mi", limit="4Gi")
    (fix,) = eviction_fixes(memory_eviction(usage), evicted_pod(LOW_MEMORY), ("Deployment", "api"))
    assert "--limits" not in fix


def test_fix_for_job_and_bare_pod_does_not_offer_set_resources() -> None:
    eviction = memory_eviction(ContainerUsage("worker", "900Mi", "0"))
    (job_fix,) = eviction_fixes(eviction, evicted_pod(LOW_MEMORY), ("Job", "import-1"))
    assert "kubectl set resources" not in job_fix and "job/import-1" in job_fix and "immutable" in job_fix
    (pod_fix,) = eviction_fixes(eviction, evicted_pod(LOW_MEMORY), None)
    assert "pod api-7d4b9c-x2p9z has no controller" in pod_fix and "--requests=memory=1152Mi" in pod_fix


def test_memory_fix_without_usage_names_containers_without_requests() -> None:
    pod = evicted_pod(LOW_MEMORY)
    pod["spec"]["containers"] = [{"name": "app"}, {"name": "cache", "resources": {"requests": {"memory": "1Gi"}}}]
    pod["spec"]["volumes"] = [{"name": "shm", "emptyDir": {"medium": "Memory"}}]
    fixes = eviction_fixes(memory_eviction(), pod, ("Deployment", "api"))
    assert "containers app of deployment/api" in fixes[0] and "cache" not in fixes[0]
    assert "emptyDir volume shm of deployment/api is memory-backed" in fixes[1]


def storage_pod() -> Dict[str, Any]:
    pod = evicted_pod("The node was low on resource: ephemeral-storage. ")
    pod["spec"]["containers"] = [{"name": "app", "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}]}]
    pod["spec"]["volumes"] = [{"name": "scratch", "emptyDir": {}}, {"name": "conf", "configMap": {"name": "c"}}]
    return pod


def test_ephemeral_storage_fixes_cover_request_logs_sizelimit_pvc_and_autoscaler() -> None:
    eviction = Eviction("NodePressure", "EvictedEphemeralStorage", "ephemeral-storage", node="node-a",
                        containers=[ContainerUsage("app", "40Gi", "0")])
    fixes = eviction_fixes(eviction, storage_pod(), ("CronJob", "nightly"))
    text = "\n".join(fixes)
    assert "kubectl set resources cronjob/nightly -c app --requests=ephemeral-storage=52Gi -n shop" in fixes[0]
    assert "Container app's logs" in text
    assert "emptyDir volume scratch of cronjob/nightly a sizeLimit" in text
    assert "kubectl exec -n shop cronjob/nightly -c app -- du -sh /scratch" in text
    assert "PersistentVolumeClaim" in text
    assert ("kubectl patch cronjob/nightly -n shop -p '{\"spec\":{\"jobTemplate\":{\"spec\":{\"template\":"
            "{\"metadata\":{\"annotations\":{\"cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes\":"
            "\"scratch\"}}}}}}}'") in text
    assert "conf" not in text


def test_no_autoscaler_fix_when_pod_already_annotated() -> None:
    pod = storage_pod()
    pod["metadata"]["annotations"] = {"cluster-autoscaler.kubernetes.io/safe-to-evict": "true"}
    eviction = Eviction("NodePressure", "EvictedEphemeralStorage", "ephemeral-storage")
    assert not any("autoscaler" in fix for fix in eviction_fixes(eviction, pod, ("Deployment", "api")))


def test_emptydir_limit_fix_patches_the_volume() -> None:
    eviction = parse_message('Usage of EmptyDir volume "scratch" exceeds the limit "1Gi". ')
    assert eviction is not None
    fixes = eviction_fixes(eviction, storage_pod(), ("Deployment", "api"))
    assert fixes[0] == (
        "emptyDir volume scratch of deployment/api outgrew its sizeLimit 1Gi: raise it to 1536Mi: "
        "kubectl patch deployment/api -n shop -p "
        "'{\"spec\":{\"template\":{\"spec\":{\"volumes\":[{\"name\":\"scratch\",\"emptyDir\":{\"sizeLimit\":\"1536Mi\"}}]}}}}'"
    )
    assert "PersistentVolumeClaim" in fixes[1]


def test_container_limit_fix_raises_the_limit() -> None:
    pod = evicted_pod('Container app exceeded its local ephemeral storage limit "2Gi". ')
    eviction = parse_eviction(pod)
    assert eviction is not None
    (fix,) = eviction_fixes(eviction, pod, ("DaemonSet", "agent"))
    assert fix.endswith("kubectl set resources daemonset/agent -c app --limits=ephemeral-storage=3Gi -n shop")


def test_rejection_fixes_point_at_the_node() -> None:
    pod = evicted_pod("Pod was rejected: The node had condition: [MemoryPressure]. ")
    eviction = parse_eviction(pod)
    assert eviction is not None
    fixes = eviction_fixes(eviction, pod, ("Deployment", "api"))
    assert fixes[0].startswith("Node node-a had MemoryPressure when the pod arrived")
    assert "kubectl describe node node-a" in fixes[0]
    assert any("memory requests" in fix for fix in fixes)  # the pod is BestEffort
    assert fixes[-1] == "Remove these leftovers with: kubectl pullmedic clean -n shop --include-rejected"


def test_pid_and_disk_fixes_name_node_and_workload() -> None:
    pod = evicted_pod("The node was low on resource: pids. ")
    pid = parse_eviction(pod)
    assert pid is not None
    assert "process IDs" in eviction_fixes(pid, pod, ("Deployment", "api"))[0]
    nodefs = parse_eviction(evicted_pod("The node was low on resource: nodefs."))
    assert nodefs is not None
    assert eviction_fixes(nodefs, pod, None)[0].startswith("Node node-a ran low on nodefs")



def test_eviction_fixes_name_no_deleted_node():
    """A node read and absent (``node_gone``): no describe/get node; the workload's fixes and clean stay."""
    pod = {"metadata": {"name": "api-1", "namespace": "shop"}, "spec": {"nodeName": "n1"}}
    inodes = Eviction("NodePressure", "EvictedDisk", "inodes", node="n1")
    refused = Eviction("AdmissionRejected", "RejectedNodePressure", node="n1", node_conditions=["DiskPressure"])
    affinity = parse_eviction({"metadata": {"name": "api-1", "namespace": "shop"}, "spec": {"nodeName": "n1"},
                               "status": {"phase": "Failed", "reason": "NodeAffinity",
                                          "message": "Pod was rejected: Predicate NodeAffinity failed"}})
    for eviction in (inodes, refused, affinity):
        before = eviction_fixes(eviction, pod, ("Deployment", "api"))
        after = eviction_fixes(replace(eviction, node_gone=True), pod, ("Deployment", "api"))
        assert any("node n1" in line and "kubectl" in line for line in before), before
        assert after[0].startswith("Node n1 no longer exists (deleted after the pod was placed)")
        assert not any("describe node n1" in line or "get node n1" in line for line in after), after
        assert after[-1].startswith("Remove these leftovers with: kubectl pullmedic clean -n shop")
    # Nodes read by name: one absent (gone), one refused (unknown), one found.
    items = [EvictedPod("shop", f"p{node}", f"u{node}", None, Eviction("NodePressure", "EvictedDisk", node=node))
             for node in ("gone", "refused", "here")]
    marked = with_nodes(items, {"here": {}}, {"refused": "forbidden"})
    assert [item.eviction.node_gone for item in marked] == [True, False, False]
    assert as_document(marked[0].eviction)["nodeGone"] is True and "nodeGone" not in as_document(marked[1].eviction)

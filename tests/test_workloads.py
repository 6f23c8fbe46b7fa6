"""Owner chains, workload arguments and the pods of a workload (core/workloads.py)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest

from kubectl_pullmedic.core.workloads import (
    OwnerIndex,
    owner_of,
    parse_workload_arg,
    pods_of_workload,
    selector_matches,
    workload_ref,
)


def ref(kind: str, name: str, uid: str = "", controller: bool = True) -> Dict[str, Any]:
    return {"apiVersion": "v1", "kind": kind, "name": name, "uid": uid, "controller": controller}


def obj(name: str, uid: str, owners: List[Dict[str, Any]] = (), namespace: str = "shop",
        labels: Optional[Dict[str, str]] = None, **top: Any) -> Dict[str, Any]:
    meta: Dict[str, Any] = {"name": name, "namespace": namespace, "uid": uid, "ownerReferences": list(owners)}
    if labels:
        meta["labels"] = labels
    return {"metadata": meta, **top}


RS = obj("api-7d4b9c", "rs-uid", [ref("Deployment", "api", "dep-uid")])
JOB = obj("nightly-28391", "job-uid", [ref("CronJob", "nightly", "cj-uid")])
BARE_JOB = obj("import", "job2-uid")
BARE_RS = obj("legacy", "rs2-uid")
INDEX = OwnerIndex(replicasets=[RS, BARE_RS], jobs=[JOB, BARE_JOB])


@pytest.mark.parametrize(
    "owners,index,expected",
    [
        ([ref("ReplicaSet", "api-7d4b9c", "rs-uid")], INDEX, ("Deployment", "api")),
        ([ref("ReplicaSet", "api-7d4b9c", "rs-uid")], None, ("ReplicaSet", "api-7d4b9c")),
        ([ref("ReplicaSet", "api-7d4b9c", "rs-uid")], OwnerIndex(), ("ReplicaSet", "api-7d4b9c")),
        ([ref("ReplicaSet", "api-7d4b9c", "other-uid")], INDEX, ("Deployment", "api")),  # found by name
        ([ref("Job", "nightly-28391", "job-uid")], INDEX, ("CronJob", "nightly")),
        ([ref("Job", "import", "job2-uid")], INDEX, ("Job", "import")),
        ([ref("ReplicaSet", "legacy", "rs2-uid")], INDEX, ("ReplicaSet", "legacy")),
        ([ref("StatefulSet", "db", "sts-uid")], INDEX, ("StatefulSet", "db")),
        ([ref("DaemonSet", "agent", "ds-uid")], INDEX, ("DaemonSet", "agent")),
        ([ref("Node", "node-a", "n", controller=False)], INDEX, ("Node", "node-a")),
        ([ref("Other", "x", controller=False), ref("StatefulSet", "db")], INDEX, ("StatefulSet", "db")),
        ([], INDEX, None),
    ],
    ids=["rs-to-deployment", "no-index", "empty-index", "rs-by-name", "job-to-cronjob", "bare-job", "bare-rs",
         "statefulset", "daemonset", "mirror-pod", "controller-wins", "bare-pod"],
)
def test_owner_of(owners: List[Dict[str, Any]], index: Optional[OwnerIndex], expected: Any) -> None:
    assert owner_of(obj("p", "pod-uid", owners), index) == expected


def test_owner_of_stops_on_a_cycle() -> None:
    a = obj("a", "a-uid", [ref("ReplicaSet", "b", "b-uid")])
    b = obj("b", "b-uid", [ref("ReplicaSet", "a", "a-uid")])
    pod = obj("p", "p-uid", [ref("ReplicaSet", "a", "a-uid")])
    assert owner_of(pod, OwnerIndex(replicasets=[a, b]))[0] == "ReplicaSet"


def test_index_does_not_cross_namespaces_by_name() -> None:
    pod = obj("p", "p-uid", [ref("ReplicaSet", "api-7d4b9c")], namespace="other")
    assert owner_of(pod, INDEX) == ("ReplicaSet", "api-7d4b9c")


def test_others_use_their_own_kind() -> None:
    custom = {"kind": "Rollout", **obj("web-abc", "r-uid", [ref("Rollout", "web", "ro-uid")])}
    custom_rs = obj("web-abc-1", "crs-uid", [ref("Rollout", "web-abc", "r-uid")])
    index = OwnerIndex(others=[custom], replicasets=[custom_rs])
    assert owner_of(obj("p", "p", [ref("ReplicaSet", "web-abc-1", "crs-uid")]), index) == ("Rollout", "web")
    assert len(index) == 2


@pytest.mark.parametrize(
    "text,expected",
    [
        ("deploy/api", ("Deployment", "api")),
        ("deployment/api", ("Deployment", "api")),
        ("deployments.apps/api", ("Deployment", "api")),
        ("sts/db", ("StatefulSet", "db")),
        ("ds/agent", ("DaemonSet", "agent")),
        ("rs/api-7d4b9c", ("ReplicaSet", "api-7d4b9c")),
        ("job/import", ("Job", "import")),
        ("cj/nightly", ("CronJob", "nightly")),
        ("cronjob/nightly", ("CronJob", "nightly")),
        ("po/web-0", ("Pod", "web-0")),
        ("Pod/web-0", ("Pod", "web-0")),
        ("web-0", ("Pod", "web-0")),
    ],
)
def test_parse_workload_arg(text: str, expected: Any) -> None:
    assert parse_workload_arg(text) == expected


@pytest.mark.parametrize("text", ["svc/api", "deploy/", "/api", "deploy/a/b", ""])
def test_parse_workload_arg_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_workload_arg(text)


def test_workload_ref_round_trips_through_the_parser() -> None:
    for kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"):
        assert parse_workload_arg(workload_ref(kind, "x")) == (kind, "x")


@pytest.mark.parametrize(
    "selector,labels,expected",
    [
        ({"matchLabels": {"app": "api"}}, {"app": "api"}, True),
        ({"matchLabels": {"app": "api"}}, {"app": "web"}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]}, {"tier": "b"}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["a"]}]}, {}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["a"]}]}, {}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, {"tier": ""}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, {"tier": "x"}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "Bogus"}]}, {"tier": "x"}, False),
        ({}, {"app": "api"}, False),
        (None, {"app": "api"}, False),
    ],
)
def test_selector_matches(selector: Any, labels: Dict[str, str], expected: bool) -> None:
    assert selector_matches(selector, labels) is expected


DEPLOYMENT = {"metadata": {"name": "api", "namespace": "shop", "uid": "dep-uid"},
              "spec": {"selector": {"matchLabels": {"app": "api"}}}}


def pod(name: str, owners: List[Dict[str, Any]], labels: Dict[str, str], namespace: str = "shop") -> Dict[str, Any]:
    return obj(name, name + "-uid", owners, namespace=namespace, labels=labels)


def test_pods_of_deployment_through_index_and_template_hash() -> None:
    through_index = pod("api-7d4b9c-a", [ref("ReplicaSet", "api-7d4b9c", "rs-uid")], {"app": "api"})
    unlisted_rs = pod("api-55f6-b", [ref("ReplicaSet", "api-55f6", "rs9")], {"app": "api", "pod-template-hash": "55f6"})
    other_rs = pod("apiv2-55f6-c", [ref("ReplicaSet", "apiv2-55f6", "rs8")], {"app": "api", "pod-template-hash": "55f6"})
    bare = pod("api-debug", [], {"app": "api"})
    elsewhere = pod("api-7d4b9c-z", [ref("ReplicaSet", "api-7d4b9c", "x")], {"app": "api"}, namespace="dev")
    pods = [through_index, unlisted_rs, other_rs, bare, elsewhere]
    found = pods_of_workload("Deployment", "api", pods, INDEX, [DEPLOYMENT])
    assert [p["metadata"]["name"] for p in found] == ["api-7d4b9c-a", "api-55f6-b"]


def test_pods_of_cronjob_and_pod() -> None:
    job_pod = pod("nightly-28391-x", [ref("Job", "nightly-28391", "job-uid")], {"job-name": "nightly-28391"})
    other = pod("import-y", [ref("Job", "import", "job2-uid")], {})
    assert pods_of_workload("CronJob", "nightly", [job_pod, other], INDEX) == [job_pod]
    assert pods_of_workload("Job", "import", [job_pod, other], INDEX) == [other]
    assert pods_of_workload("Pod", "import-y", [job_pod, other]) == [other]


def test_pods_of_workload_without_the_workload_object_uses_owner_chain_only() -> None:
    unlisted_rs = pod("api-55f6-b", [ref("ReplicaSet", "api-55f6", "rs9")], {"app": "api", "pod-template-hash": "55f6"})
    assert pods_of_workload("Deployment", "api", [unlisted_rs], INDEX) == []


"""Property tests: the diagnosis core never raises on mutilated pods and events.

Real objects are copied and a few fields replaced by junk (nulls, wrong types, odd
timestamps, unknown reasons) or removed; every entry point must still answer, with JSON-ready
output.
"""

from __future__ import annotations

import json
from copy import deepcopy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from podfixtures import EVICTED, NOW, event, ghcr_pod, not_found, pod, waiting

from kubectl_pullmedic.core.diagnose import (
    ClusterFacts,
    describe_healthy,
    diagnose_pods,
    facts_needed,
    group_diagnoses,
    has_problem,
)
from kubectl_pullmedic.core.pulls.imageref import parse_image
from kubectl_pullmedic.core.pulls.classify import classify_pull_error
from kubectl_pullmedic.core.serialize import as_document

ODD_TEXT = st.sampled_from([
    "", " ", "yesterday", "2026-13-45T99:99:99Z", "2026-03-01T11:58:00.123456789+05:30", "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z", "2026-03-01T11:58:00", 'Back-off pulling image "', 'Back-off pulling image "x": ',
    'Failed to pull image "x": [rpc error: code = ', "spec.containers{", "spec.initContainers{app}",
    "Unable to retrieve some image pull secrets (", "ErrImagePull", "ImagePullBackOff", "Evicted", "Failed",
    "The node was low on resource: memory. Container app was using", "Pod was rejected: The node had condition: [",
    "kubernetes.io/dockerconfigjson", "bm90IGpzb24=", "Deployment", "ReplicaSet", "-1", "\x00", "é" * 3,
])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63), st.floats(), st.text(max_size=20), ODD_TEXT)
VALUES = st.recursive(SCALARS, lambda children: st.one_of(
    st.lists(children, max_size=3), st.dictionaries(st.one_of(st.text(max_size=8), ODD_TEXT), children, max_size=3)),
    max_leaves=10)

BASE_PODS = [
    pod(statuses=[waiting("app", "ImagePullBackOff", 'Back-off pulling image "nginx:1.99": ErrImagePull: x')],
        secrets=["regcred"]),
    pod(init=[{"name": "migrate", "image": "a/b:1"}], init_statuses=[waiting("migrate", "ErrImagePull")],
        statuses=[waiting("app", "PodInitializing")], account="builder"),
    EVICTED,
    ghcr_pod(secrets=["regcred"]),
]
BASE_EVENTS = [
    not_found(count=3),
    event("FailedToRetrieveImagePullSecret", "Unable to retrieve some image pull secrets (regcred); x", field_path=None),
    {"regarding": {"kind": "Pod", "uid": "uid-1", "fieldPath": "spec.containers{app}"}, "reason": "Failed",
     "note": 'Failed to pull image "x": y', "series": {"count": 2, "lastObservedTime": "2026-03-01T11:59:00Z"}},
    event("Evicted", "The node was low on resource: memory. ", uid="uid-e", field_path=None),
    event("Pulling", 'Pulling image "nginx:1.99"', kind="Normal"),
]


@st.composite
def mutilated(draw, bases):
    """A copy of a real object with a few fields replaced by junk or removed."""
    obj = deepcopy(draw(st.sampled_from(bases)))
    for _ in range(draw(st.integers(0, 6))):
        parent, key = None, None
        node = obj
        for _ in range(draw(st.integers(1, 6))):
            if isinstance(node, dict) and node:
                key = draw(st.sampled_from(sorted(node, key=str)))
            elif isinstance(node, list) and node:
                key = draw(st.integers(0, len(node) - 1))
            else:
                break
            parent, node = node, node[key]
        if parent is None:
            continue
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[key]
        else:
            parent[key] = draw(VALUES)
    return obj


def facts_strategy():
    lookup = st.one_of(st.none(), st.dictionaries(st.tuples(st.just("shop"), st.sampled_from(["regcred", "builder",
                                                                                               "default"])),
                                                  VALUES, max_size=3))
    nodes = st.one_of(st.none(), st.dictionaries(st.sampled_from(["node-1", "n2"]), VALUES, max_size=2))
    return st.builds(ClusterFacts, nodes=nodes, secrets=lookup, service_accounts=lookup)


@pytest.mark.slow  # 300 hypothesis examples through the whole core: about 4 s
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pods=st.lists(st.one_of(mutilated(BASE_PODS), VALUES), max_size=4),
       events=st.one_of(st.lists(st.one_of(mutilated(BASE_EVENTS), VALUES), max_size=6), st.just([])),
       facts=facts_strategy())
def test_the_core_never_raises_on_mutilated_pods_and_events(pods, events, facts):
    diagnoses = diagnose_pods(pods, events, now=NOW, facts=facts)
    json.dumps([as_document(d) for d in diagnoses], allow_nan=False)
    json.dumps([as_document(g) for g in group_diagnoses(diagnoses)], allow_nan=False)
    facts_needed(diagnoses)
    for item in pods:
        has_problem(item)
        json.dumps(as_document(describe_healthy(item, events, now=NOW)))


@settings(max_examples=300, deadline=None)
@given(message=st.one_of(st.text(), ODD_TEXT, VALUES), secrets=st.one_of(st.none(), st.booleans()),
       image=st.one_of(st.text(max_size=40), ODD_TEXT))
def test_classification_and_parsing_never_raise(message, secrets, image):
    ref = parse_image(image)
    result = classify_pull_error(message, image=ref, has_pull_secrets=secrets)
    json.dumps(as_document(result), allow_nan=False)
    json.dumps(as_document(ref), allow_nan=False)


def test_an_event_reason_of_any_json_type_does_not_stop_the_run():
    """Found by the property test above: an event whose reason is a list met a set lookup."""
    pod = {"metadata": {"name": "w", "namespace": "shop", "uid": "uid-e"},
           "spec": {"containers": [{"name": "app", "image": "acme/worker:1"}], "nodeName": "node-1"},
           "status": {"phase": "Failed", "reason": "Evicted", "message": "The node was low on resource: memory. "}}
    odd = [{"involvedObject": {"kind": "Pod", "name": "w", "namespace": "shop", "uid": "uid-e"}, "reason": reason,
            "message": "The node was low on resource: memory. ", "type": "Warning"}
           for reason in ([], {"a": 1}, 7, None)]
    odd.append({"involvedObject": ["not", "an", "object"], "reason": "Evicted", "type": "Warning"})
    diagnoses = diagnose_pods([pod], odd, now=NOW)
    assert [d.cause for d in diagnoses] == ["EvictedMemory"]


def _has_problem_by_definition(item) -> bool:
    """``has_problem`` as the kubelet's states define it, every container paired with its status: the
    cheap first test in ``has_problem`` (run over every pod of a large list) must never disagree."""
    from kubectl_pullmedic.core.evictions.parse import is_evicted
    from kubectl_pullmedic.core.kube import CONTAINER_KINDS, as_list, dig
    from kubectl_pullmedic.core.podhealth import is_pull_reason, waiting_reason
    paired = [{str(status.get("name")): status for status in as_list(dig(item, "status", status_field))}.get(
        str(spec.get("name") or ""), {}) for spec_field, status_field, _ in CONTAINER_KINDS
        for spec in as_list(dig(item, "spec", spec_field))]
    return isinstance(item, dict) and (is_evicted(item) or any(is_pull_reason(waiting_reason(s)) for s in paired))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item=st.one_of(mutilated(BASE_PODS + [pod(statuses=[{"name": "app", "state": {"running": {}}}]),
                                             pod(statuses=[waiting("other", "ErrImagePull")])]), VALUES))
def test_the_quick_filter_agrees_with_the_full_test(item):
    assert has_problem(item) == _has_problem_by_definition(item)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item=st.one_of(mutilated(BASE_PODS + [pod(statuses=[{"name": "app", "state": {"running": {}}}])]), VALUES))
def test_running_repositories_reads_the_containers_iter_containers_pairs(item):
    from kubectl_pullmedic.core.kube import dig, iter_containers
    from kubectl_pullmedic.core.podhealth import _repository_of, running_repositories
    paired = [_repository_of(spec["image"]) for _, spec, status in (iter_containers(item) if isinstance(item, dict) else ())
              if isinstance(spec.get("image"), str) and dig(status, "state", "running") is not None]
    assert running_repositories(item) == [repo for repo in paired if repo is not None]

"""The built-in sandbox scenarios, diagnosed and checked against tests/data/scenario_expectations.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml

from kubectl_pullmedic.core.diagnose import ClusterFacts, diagnose_pods, facts_needed, has_problem
from kubectl_pullmedic.core.workloads import OwnerIndex, workload_ref
from kubectl_pullmedic.sandbox.loading import SCENARIO_ANCHOR, scenario_objects
from kubectl_pullmedic.core.serialize import as_document

EXPECTATIONS = yaml.safe_load((Path(__file__).parent / "data" / "scenario_expectations.yaml").read_text())


def _scenario():
    by_kind: Dict[str, List[Dict[str, Any]]] = {}
    for obj in scenario_objects(SCENARIO_ANCHOR):
        by_kind.setdefault(obj.get("kind"), []).append(obj)
    key = lambda o: (o["metadata"]["namespace"], o["metadata"]["name"])  # noqa: E731
    facts = ClusterFacts(
        nodes={o["metadata"]["name"]: o for o in by_kind.get("Node", [])},
        secrets={key(o): o for o in by_kind.get("Secret", [])},
        service_accounts={key(o): o for o in by_kind.get("ServiceAccount", [])},
        owners=OwnerIndex(replicasets=by_kind.get("ReplicaSet", []), jobs=by_kind.get("Job", [])),
        peers=by_kind["Pod"],
    )
    return by_kind["Pod"], by_kind.get("Event", []), facts


SCENARIO_PODS, SCENARIO_EVENTS, SCENARIO_FACTS = _scenario()


def _workload(expected: Dict[str, Any]) -> Optional[str]:
    kind, _, name = expected["workload"].partition("/")
    return None if kind == "Pod" else workload_ref(kind, name)


@pytest.mark.parametrize("second_pass", [False, True], ids=["pods-and-events", "with-facts"])
def test_every_scenario_is_diagnosed_as_expected(second_pass):
    facts = SCENARIO_FACTS if second_pass else ClusterFacts()
    found = {(d.namespace, d.pod, d.container): d
             for d in diagnose_pods(SCENARIO_PODS, SCENARIO_EVENTS, now=SCENARIO_ANCHOR, facts=facts)}
    for expected in EXPECTATIONS["pull_problems"]:
        d = found.pop((expected["namespace"], expected["pod"], expected["container"]))
        label = f'{expected["pod"]}/{expected["container"]}'
        assert d.cause == expected["cause"], (label, d.message)
        assert (as_document(d.evidence)["ambiguity"] or {}).get("alternatives", []) == (expected.get("alternatives") or []), label
        if expected.get("detail") in ("tag", "repository", "digest"):
            assert as_document(d.evidence)["pullError"]["detail"]["missing"] == expected["detail"], label
        assert as_document(d.evidence)["source"] in expected["evidence"], label
        assert (d.owner, d.node) == (_workload(expected), expected["node"]), label
        assert d.container_type == ("init" if expected["init"] else "regular"), label
        assert d.fix and d.summary, label
    for expected in EXPECTATIONS["evictions"]:
        d = found.pop((expected["namespace"], expected["pod"], None))
        assert (d.cause, d.owner) == (expected["cause"], _workload(expected)), expected["pod"]
        eviction = as_document(d.evidence)["eviction"]
        assert eviction["kind"] == expected["kind"] and eviction["node"] == expected["node"], expected["pod"]
        for key, value in (expected.get("refusal") or {}).items():
            assert eviction["refusal"][key] == value, (expected["pod"], key)
        if second_pass and "replaced" in expected:
            assert eviction["replacement"]["replaced"] == expected["replaced"], expected["pod"]
        if second_pass and expected["kind"] == "KubeletPreemption":
            assert eviction["preemptedBy"] == expected["preempted_by"], expected["pod"]
    assert found == {}, sorted(found)


def test_scenario_pods_without_problems_are_not_reported():
    reported = {(d.namespace, d.pod) for d in diagnose_pods(SCENARIO_PODS, SCENARIO_EVENTS, now=SCENARIO_ANCHOR)}
    for expected in EXPECTATIONS["healthy"] + EXPECTATIONS["not_evicted"]:
        assert (expected["namespace"], expected["pod"]) not in reported, expected["pod"]
    flagged = {(p["metadata"]["namespace"], p["metadata"]["name"]) for p in SCENARIO_PODS if has_problem(p)}
    assert flagged == reported


def test_scenario_second_pass_needs_no_more_facts():
    diagnoses = diagnose_pods(SCENARIO_PODS, SCENARIO_EVENTS, now=SCENARIO_ANCHOR)
    assert facts_needed(diagnoses) == {"nodes", "nodepods", "secrets", "serviceaccounts", "owners"}
    again = diagnose_pods(SCENARIO_PODS, SCENARIO_EVENTS, now=SCENARIO_ANCHOR, facts=SCENARIO_FACTS)
    assert facts_needed(again) == set()

"""`why` end to end: the real entry point against the scenario cluster over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import build_pod

EXPECTED = yaml.safe_load((Path(__file__).parent / "data" / "scenario_expectations.yaml").read_text())


def diagnoses_by_key(result):
    return {(d["namespace"], d["pod"], d["container"]): d for d in result.json()["items"]}


def test_every_scenario_pull_problem_gets_its_cause(pullmedic, scenario_sandbox):
    result = pullmedic("why", "-A", "-o", "json", sandbox=scenario_sandbox, expect=1)
    document = result.json()
    assert (document["apiVersion"], document["kind"]) == ("pullmedic/v1", "DiagnosisList")
    found = diagnoses_by_key(result)
    wrong = []
    for case in EXPECTED["pull_problems"]:
        diagnosis = found.get((case["namespace"], case["pod"], case["container"]))
        if diagnosis is None or diagnosis["cause"] != case["cause"]:
            wrong.append((case["namespace"], case["pod"], case["container"], case["cause"], diagnosis and diagnosis["cause"]))
    assert wrong == []


def test_every_scenario_eviction_gets_its_cause(pullmedic, scenario_sandbox):
    found = diagnoses_by_key(pullmedic("why", "-A", "-o", "json", sandbox=scenario_sandbox, expect=1))
    wrong = [
        (case["namespace"], case["pod"], case["cause"], (found.get((case["namespace"], case["pod"], None)) or {}).get("cause"))
        for case in EXPECTED["evictions"]
        if (found.get((case["namespace"], case["pod"], None)) or {}).get("cause") != case["cause"]
    ]
    assert wrong == []


def test_healthy_and_non_evicted_pods_are_not_reported(pullmedic, scenario_sandbox):
    reported = {(d["namespace"], d["pod"]) for d in pullmedic("why", "-A", "-o", "json", sandbox=scenario_sandbox, expect=1).json()["items"]}
    quiet = {(case["namespace"], case["pod"]) for case in EXPECTED["healthy"] + EXPECTED["not_evicted"]}
    assert reported & quiet == set()


def test_api_calls_stay_bounded(pullmedic, scenario_sandbox):
    scenario_sandbox.clear_requests()
    pullmedic("why", "-A", "-o", "json", sandbox=scenario_sandbox, expect=1)
    requests = scenario_sandbox.requests
    pod_lists = [r for r in requests if r.path == "/api/v1/pods"]
    event_lists = [r for r in requests if r.path.endswith("/events")]
    # one list of the scope, plus one of each node where the kubelet preempted (its critical pods)
    per_node = [r for r in pod_lists if (r.query.get("fieldSelector") or "").startswith("spec.nodeName=")]
    preempted_nodes = {c["node"] for c in EXPECTED["evictions"] if c["kind"] == "KubeletPreemption"}
    assert len(pod_lists) == 1 + len(per_node) and len(per_node) == len(preempted_nodes)
    # one Warning-event list; pods still being created add one Pulling and one Pulled list (slow pulls);
    # a node or registry pattern (the scenario has both) one more Pulled list: where the same images pulled fine
    assert [r.query["fieldSelector"].split(",involvedObject.uid=")[0] for r in event_lists] == [
        "type=Warning,involvedObject.kind=Pod",
        "type=Normal,involvedObject.kind=Pod,reason=Pulling",
        "type=Normal,involvedObject.kind=Pod,reason=Pulled",
        "type=Normal,involvedObject.kind=Pod,reason=Pulled",
    ]
    # no request per pod: the rest are a few nodes, secrets, accounts and owner lists
    assert not [r for r in requests if "/pods/" in r.path]
    assert len(requests) < 40


def test_namespace_scope_and_table(pullmedic, scenario_sandbox):
    result = pullmedic("why", "-n", "shop", sandbox=scenario_sandbox, expect=1)
    header = result.stdout.splitlines()[0].split()
    assert header == ["POD", "CONTAINER", "IMAGE", "CAUSE", "LAST", "SEEN"]
    assert "storefront-wh2ghkdwhg-w5d66" in result.stdout
    assert "payments" not in result.stdout.split("\n\n")[0]
    # the paste-ready fix for the tag typo names the deployment, the container and the tag
    assert "kubectl set image deployment/storefront nginx=nginx:latest -n shop" in result.stdout


def test_wide_adds_node_attempts_and_retry(pullmedic, scenario_sandbox):
    result = pullmedic("why", "-n", "shop", "-o", "wide", sandbox=scenario_sandbox, expect=1)
    assert result.stdout.splitlines()[0].split()[-4:] == ["NODE", "ATTEMPTS", "NEXT", "RETRY"]


def test_label_selector(pullmedic, scenario_sandbox):
    pods = {d["pod"] for d in pullmedic("why", "-A", "-l", "app=storefront", "-o", "json", sandbox=scenario_sandbox, expect=1).json()["items"]}
    assert pods == {"storefront-wh2ghkdwhg-w5d66"}


def test_workload_target_finds_its_pods_through_the_owner_chain(pullmedic, scenario_sandbox):
    items = pullmedic("why", "deploy/storefront", "-n", "shop", "-o", "json", sandbox=scenario_sandbox, expect=1).json()["items"]
    assert {(d["pod"], d["cause"], d["owner"]) for d in items} == {("storefront-wh2ghkdwhg-w5d66", "ImageNotFound", "deployment/storefront")}


def test_yaml_output_parses(pullmedic, scenario_sandbox):
    document = yaml.safe_load(pullmedic("why", "-n", "ml", "-o", "yaml", sandbox=scenario_sandbox, expect=1).stdout)
    assert document["kind"] == "DiagnosisList" and document["items"]
    assert all(item["namespace"] == "ml" for item in document["items"])


def test_healthy_pod_says_so_and_exits_0(pullmedic, scenario_sandbox):
    healthy = EXPECTED["healthy"][0]
    result = pullmedic("why", healthy["pod"], "-n", healthy["namespace"], sandbox=scenario_sandbox)
    assert "running" in result.stdout


def test_unknown_pod_is_one_line_with_suggestions(pullmedic, scenario_sandbox):
    result = pullmedic("why", "storefront", "-n", "shop", sandbox=scenario_sandbox, expect=2)
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == 'error: pods "storefront" not found in namespace "shop"'
    assert "storefront-wh2ghkdwhg-w5d66" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_target_kind_is_a_usage_error(pullmedic, scenario_sandbox):
    result = pullmedic("why", "svc/web", "-n", "shop", sandbox=scenario_sandbox, expect=2)
    assert 'unsupported kind "svc"' in result.stderr


def test_nothing_to_report(pullmedic, make_sandbox):
    sb = make_sandbox(objects=[build_pod("web-1", "shop")])
    result = pullmedic("why", "-n", "shop", sandbox=sb)
    assert result.stdout == ""
    assert result.stderr == "No pods with image-pull problems or evictions found in shop namespace.\n"


def test_global_options_work_before_the_subcommand(pullmedic, scenario_sandbox):
    result = pullmedic("-n", "shop", "why", "-o", "json", sandbox=scenario_sandbox, expect=1)
    assert {d["namespace"] for d in result.json()["items"]} == {"shop"}


def test_partial_results_with_a_warning_when_a_namespace_is_forbidden(pullmedic, make_sandbox):
    pods = [build_pod("a", "shop", phase="Pending", waiting_reason="ErrImagePull"),
            build_pod("b", "ml", phase="Pending", waiting_reason="ErrImagePull")]
    sb = make_sandbox(objects=pods, forbid=["list:pods:ml"])
    result = pullmedic("why", "-A", "-o", "json", sandbox=sb, expect=1)
    assert {d["namespace"] for d in result.json()["items"]} == {"shop"}
    assert result.stderr.startswith('Warning: pods is forbidden: User "')
    assert 'in the namespace "ml"' in result.stderr

"""`evicted` and `clean` end to end against the scenario cluster over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import build_pod

EXPECTED = yaml.safe_load((Path(__file__).parent / "data" / "scenario_expectations.yaml").read_text())
EVICTED = {(c["namespace"], c["pod"]) for c in EXPECTED["evictions"]}
REJECTED = {(c["namespace"], c["pod"]) for c in EXPECTED["evictions"] if c["kind"] == "AdmissionRejected"}
# Node-shutdown and kubelet-preemption endings; a refusal while the node shut down goes with either flag.
SHUTDOWN = {(c["namespace"], c["pod"]) for c in EXPECTED["evictions"] if c["kind"] in ("NodeShutdown", "KubeletPreemption")}
REFUSED_IN_SHUTDOWN = {(c["namespace"], c["pod"]) for c in EXPECTED["evictions"]
                       if c["kind"] == "NodeShutdown" and c.get("refusal")}
JOB_OWNED = {(c["namespace"], c["pod"]) for c in EXPECTED["evictions"] if c["owned_by_job"]}
CLEANABLE = EVICTED - REJECTED - SHUTDOWN - JOB_OWNED


def all_pods(sb):
    return {(p["metadata"]["namespace"], p["metadata"]["name"]) for p in _pods(sb)}


def _pods(sb):
    import json
    import urllib.request

    request = urllib.request.Request(sb.url + "/api/v1/pods", headers={"Authorization": f"Bearer {sb.token}"})
    return json.loads(urllib.request.urlopen(request).read())["items"]


@pytest.fixture
def scenarios(make_sandbox):
    return make_sandbox(scenarios=True)


def test_evicted_lists_exactly_the_evicted_pods(pullmedic, scenario_sandbox):
    items = pullmedic("evicted", "-A", "-o", "json", sandbox=scenario_sandbox).json()["items"]
    assert {(i["namespace"], i["name"]) for i in items} == EVICTED
    by_pod = {(i["namespace"], i["name"]): i for i in items}
    for case in EXPECTED["evictions"]:
        eviction = by_pod[(case["namespace"], case["pod"])]["eviction"]
        assert (eviction["kind"], eviction["cause"]) == (case["kind"], case["cause"]), case["pod"]


def test_evicted_table_shows_usage_against_request(pullmedic, scenario_sandbox):
    result = pullmedic("evicted", "-n", "shop", sandbox=scenario_sandbox)
    header = result.stdout.splitlines()[0].split()
    assert header == ["POD", "OWNER", "NODE", "KIND", "RESOURCE", "USAGE/REQUEST", "AGE"]
    row = next(line for line in result.stdout.splitlines() if line.startswith("search-api-"))
    assert "deployment/search-api" in row and "memory" in row and "app 1258292Ki/256Mi" in row
    assert "kubectl set resources deployment/search-api -c app --requests=memory=" in result.stdout


def test_evicted_group_by_owner_is_one_line_per_workload(pullmedic, scenario_sandbox):
    result = pullmedic("evicted", "-A", "--group-by", "owner", sandbox=scenario_sandbox)
    assert result.stdout.splitlines()[0].split() == ["OWNER", "PODS", "NODES", "RESOURCES", "CONDITIONS"]
    assert "shop/deployment/search-api" in result.stdout


def test_evicted_wide_shows_current_node_conditions(pullmedic, scenario_sandbox):
    result = pullmedic("evicted", "-A", "-o", "wide", "--node", "node-c", sandbox=scenario_sandbox)
    assert result.stdout.splitlines()[0].split()[-3:] == ["THRESHOLD/AVAILABLE", "NODE", "CONDITIONS"]
    assert all("DiskPressure" in line for line in result.stdout.split("\n\n")[0].splitlines()[1:])


def test_clean_yes_deletes_exactly_the_evicted_pods(pullmedic, scenarios):
    before = all_pods(scenarios)
    result = pullmedic("clean", "-A", "--yes", sandbox=scenarios)
    *per_pod, summary = result.stdout.splitlines()
    assert summary == f"deleted {len(CLEANABLE)}, already gone 0, skipped 0, failed 0"
    assert sorted(per_pod) == sorted(f'pod "{name}" deleted from {namespace} namespace' for namespace, name in CLEANABLE)
    assert before - all_pods(scenarios) == CLEANABLE
    # every delete was guarded by the pod's uid
    deletes = [r for r in scenarios.requests if r.method == "DELETE"]
    assert len(deletes) == len(CLEANABLE)


def test_clean_includes_rejected_and_job_pods_only_when_asked(pullmedic, scenarios):
    before = all_pods(scenarios)
    pullmedic("clean", "-A", "--yes", "--include-rejected", "--include-jobs", sandbox=scenarios)
    assert before - all_pods(scenarios) == EVICTED - (SHUTDOWN - REFUSED_IN_SHUTDOWN)
    kept = {(c["namespace"], c["pod"]) for c in EXPECTED["not_evicted"] + EXPECTED["healthy"]}
    assert kept | (SHUTDOWN - REFUSED_IN_SHUTDOWN) <= all_pods(scenarios)


def test_clean_include_shutdown_takes_shutdown_and_preemption_endings(pullmedic, scenarios):
    before = all_pods(scenarios)
    result = pullmedic("clean", "-A", "--yes", "--include-shutdown", sandbox=scenarios)
    assert before - all_pods(scenarios) == CLEANABLE | (SHUTDOWN - JOB_OWNED)
    assert result.stdout.splitlines()[-1] == f"deleted {len(CLEANABLE | (SHUTDOWN - JOB_OWNED))}, already gone 0, skipped 0, failed 0"
    pullmedic("clean", "-A", "--yes", "--include-rejected", "--include-shutdown", "--include-jobs", sandbox=scenarios)
    assert before - all_pods(scenarios) == EVICTED


@pytest.mark.parametrize("args", [["--dry-run=client"], ["--dry-run=server", "--yes"], []],
                         ids=["client-dry-run", "server-dry-run", "no-terminal-no-yes"])
def test_nothing_is_deleted_without_consent(pullmedic, scenarios, args):
    before = all_pods(scenarios)
    expect = 2 if not args else 0
    result = pullmedic("clean", "-A", *args, sandbox=scenarios, expect=expect)
    assert all_pods(scenarios) == before
    if args == ["--dry-run=server", "--yes"]:
        assert result.stdout.splitlines()[-1].startswith(f"would delete (server dry run) {len(CLEANABLE)}")
        assert result.stdout.count("(server dry run)\n") == len(CLEANABLE)
        # the deletes were really sent, with dryRun=All in their bodies, and nothing went
        assert len([r for r in scenarios.requests if r.method == "DELETE"]) == len(CLEANABLE)
    if not args:
        assert "refusing to delete" in result.stderr and "--yes" in result.stderr


def test_interactive_confirmation(pullmedic, scenarios):
    before = all_pods(scenarios)
    pullmedic("clean", "-A", sandbox=scenarios, tty=True, stdin="n\n")
    assert all_pods(scenarios) == before
    pullmedic("clean", "-A", sandbox=scenarios, tty=True, stdin="y\n")
    assert before - all_pods(scenarios) == CLEANABLE


def test_a_recreated_pod_with_the_same_name_is_never_deleted(pullmedic, make_sandbox):
    evicted = build_pod("web-1", "shop", phase="Failed", reason="Evicted",
                        message="The node was low on resource: memory. ")
    sb = make_sandbox(objects=[evicted])
    plan = pullmedic("clean", "-n", "shop", "--dry-run=client", "-o", "json", sandbox=sb).json()["plan"]
    assert [i["name"] for i in plan["toDelete"]] == ["web-1"]

    # Between listing and deleting, the pod is replaced: the delete's uid precondition must hold it back.
    from kubectl_pullmedic.cluster.api import Cluster
    from kubectl_pullmedic.core.evictions.cleanup import CleanupItem
    from kubectl_pullmedic.cluster.deleting import delete_pods

    cluster = Cluster.connect(kubeconfig=sb.kubeconfig_path, context=None, namespace=None, environ={})
    planned = plan["toDelete"][0]
    item = CleanupItem("shop", "web-1", planned["uid"], planned["resourceVersion"], "NodePressure", None)
    sb.remove("pods", "shop", "web-1")
    sb.add(build_pod("web-1", "shop"))  # a new, running pod took the name
    [outcome] = delete_pods(cluster, [item])
    assert outcome.result == "skipped" and "UID in the precondition" in outcome.detail
    assert sb.get("pods", "shop", "web-1")["status"]["phase"] == "Running"


def test_forbidden_namespace_does_not_stop_the_rest(pullmedic, scenarios):
    scenarios.set_forbid(["delete:pods:shop"])
    before = all_pods(scenarios)
    result = pullmedic("clean", "-A", "--yes", sandbox=scenarios, expect=4)
    shop = {key for key in CLEANABLE if key[0] == "shop"}
    assert before - all_pods(scenarios) == CLEANABLE - shop
    failed_lines = [line for line in result.stdout.splitlines() if " failed in shop namespace: " in line]
    assert len(failed_lines) == len(shop)
    assert all("forbidden" in line for line in failed_lines)


def test_older_than_keeps_recent_evictions(pullmedic, scenarios):
    result = pullmedic("clean", "-A", "--older-than", "2d", "--dry-run=client", "-o", "name", sandbox=scenarios)
    names = set(result.stdout.split())
    assert names and len(names) < len(CLEANABLE)


def test_bad_duration_is_a_usage_error(pullmedic, scenarios):
    result = pullmedic("clean", "-A", "--older-than", "soon", sandbox=scenarios, expect=2)
    assert "is not a duration" in result.stderr

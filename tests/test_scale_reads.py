"""Reads that stay few at scale (issue 16): many named nodes come from one paged list, not a GET
each, with the same diagnosis; a refused list falls back to the GETs RBAC may still allow."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import List

import pytest

from conftest import build_event, build_pod
from kubectl_pullmedic.cluster import gather

NOT_FOUND = ('Failed to pull image "registry.example.com/app:1.0-typo": rpc error: code = NotFound desc = failed to '
             'pull and unpack image "registry.example.com/app:1.0-typo": failed to resolve reference '
             '"registry.example.com/app:1.0-typo": registry.example.com/app:1.0-typo: not found')
EVICTED = ("The node was low on resource: memory. Threshold quantity: 100Mi, available: 80Mi. Container app was "
           "using 1Gi, request is 256Mi, has larger consumption of memory. ")
COUNT = gather.MANY_NODES + 10
NOW = datetime(2030, 1, 1, 0, 30, tzinfo=timezone.utc)


def node(name: str, arch: str) -> dict:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
            "status": {"nodeInfo": {"operatingSystem": "linux", "architecture": arch},
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def objects() -> List[dict]:
    made: List[dict] = []
    for n in range(COUNT):
        pod = build_pod(f"web-{n:03d}", "shop", image="registry.example.com/app:1.0-typo",
                        waiting_reason="ImagePullBackOff", node=f"node-{n:03d}", uid=f"uid-{n}")
        evicted = build_pod(f"api-{n:03d}", "shop", phase="Failed", reason="Evicted", message=EVICTED,
                            node=f"node-{n:03d}", uid=f"uid-api-{n}", created="2030-01-01T00:00:00Z")
        made += [pod, build_event(pod, "Failed", NOT_FOUND), evicted]
    # the last five pods' nodes are gone; a few nodes more hold no failing pod
    made += [node(f"node-{n:03d}", "arm64" if n % 2 else "amd64") for n in range(COUNT - 5)]
    made += [node(f"spare-{n}", "amd64") for n in range(3)]
    return made


def node_reads(sandbox) -> List[str]:
    return [r.path for r in sandbox.requests if r.method == "GET" and r.path.startswith("/api/v1/nodes")]


@pytest.mark.parametrize("command", [["why", "-A", "-o", "json"], ["why", "-A", "-o", "wide"],
                                     ["evicted", "-A", "-o", "wide"], ["evicted", "-A", "-o", "wide", "--group-by", "node"]])
def test_many_nodes_are_one_list_and_the_same_answer_as_a_get_each(pullmedic, make_sandbox, monkeypatch, command):
    sandbox = make_sandbox(objects=objects())
    listed = pullmedic(*command, sandbox=sandbox, expect=None, now=NOW)
    assert node_reads(sandbox) == ["/api/v1/nodes"]
    sandbox.clear_requests()
    monkeypatch.setattr(gather, "MANY_NODES", 10 * COUNT)
    one_by_one = pullmedic(*command, sandbox=sandbox, expect=listed.code, now=NOW)
    assert len(node_reads(sandbox)) == COUNT
    assert listed.stdout == one_by_one.stdout and listed.stderr == one_by_one.stderr
    assert "node-000" in listed.stdout


def test_a_refused_node_list_falls_back_to_a_get_each(pullmedic, make_sandbox, monkeypatch):
    sandbox = make_sandbox(objects=objects())
    listed = pullmedic("why", "-A", "-o", "json", sandbox=sandbox, expect=1, now=NOW)
    sandbox.clear_requests()
    sandbox.set_forbid(["list:nodes"])
    refused = pullmedic("why", "-A", "-o", "json", sandbox=sandbox, expect=1, now=NOW)
    assert node_reads(sandbox)[0] == "/api/v1/nodes" and len(node_reads(sandbox)) == 1 + COUNT
    assert refused.stdout == listed.stdout


def test_nodes_refused_one_by_one_too_are_unknown_not_absent(pullmedic, make_sandbox):
    sandbox = make_sandbox(objects=objects(), forbid=["list:nodes", "get:nodes"])
    result = pullmedic("why", "-A", "-o", "json", sandbox=sandbox, expect=1, now=NOW)
    assert "nodes" in result.stderr and "forbidden" in result.stderr


def _gone(result) -> set:
    """The nodes the diagnoses say were deleted (a pull's evidence, or an eviction's)."""
    return {item["node"] for item in result.json()["items"]
            if item["evidence"].get("nodeGone") or (item["evidence"].get("eviction") or {}).get("nodeGone")}


def test_a_node_missing_from_the_list_or_answering_404_is_gone_and_a_refused_one_unknown(pullmedic, make_sandbox,
                                                                                           monkeypatch):
    sandbox = make_sandbox(objects=objects())
    deleted = {f"node-{n:03d}" for n in range(COUNT - 5, COUNT)}
    assert _gone(pullmedic("why", "-A", "-o", "json", sandbox=sandbox, expect=1, now=NOW)) == deleted  # one list
    monkeypatch.setattr(gather, "MANY_NODES", 10 * COUNT)
    assert _gone(pullmedic("why", "-A", "-o", "json", sandbox=sandbox, expect=1, now=NOW)) == deleted  # a GET each
    sandbox.set_forbid(["list:nodes", "get:nodes"])
    assert _gone(pullmedic("why", "-A", "-o", "json", sandbox=sandbox, expect=1, now=NOW)) == set()

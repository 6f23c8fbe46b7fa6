"""secrets-check keeps one entry per pod template, not per pod (memory follows templates), and still
reports every pod that has a finding of its own, by name, as before."""

from __future__ import annotations

from typing import List

from kubectl_pullmedic.cluster.api import Cluster
from kubectl_pullmedic.cluster.gather import Scope, for_secrets_check
from kubectl_pullmedic.core.credentials.podgroups import PodGroups
from kubectl_pullmedic.core.probing.plan import probe_targets
from test_secretscheck import NOW, account, check, login, pod, pod_spec, secret

OWNER = {"kind": "ReplicaSet", "name": "web-7d4b9c", "uid": "uid-rs", "apiVersion": "apps/v1"}


def replicas(count: int, spec: dict, owner: dict = OWNER, prefix: str = "web-7d4b9c") -> List[dict]:
    """Pods of one template: each with its own uid, node and per-pod label, as a controller makes them."""
    made = []
    for n in range(count):
        made.append(pod(f"{prefix}-{n:03d}", spec, owner))
        made[-1]["metadata"].update(uid=f"uid-{prefix}-{n}", labels={"apps.kubernetes.io/pod-index": str(n)})
        made[-1]["spec"] = {**spec, "nodeName": f"node-{n % 7}"}
    return made


def test_replicas_are_one_template_whatever_their_uid_labels_and_node():
    pods = replicas(50, pod_spec("registry.example.com/web:1")) + [pod("bare", pod_spec("db:1", secrets=["regcred"]))]
    groups = PodGroups(pods)
    assert (len(groups), groups.templates) == (51, 2)
    assert [group.names[:2] for group in groups] == [["web-7d4b9c-000", "web-7d4b9c-001"], ["bare"]]
    assert [p["metadata"]["name"] for p in list(groups)[0].pods()][-1] == "web-7d4b9c-049"


def test_a_finding_of_the_template_is_reported_for_every_pod_by_name():
    pods = replicas(30, pod_spec("registry.example.com/web:1"))
    findings = check(pods, accounts=[account("default", ["regcred"])],
                     secrets=[secret("regcred", {"registry.example.com": login()})])
    rows = [(f.code, f.workload, f.fix) for f in findings]
    assert rows == [("PodMissesServiceAccountSecrets", f"pod/web-7d4b9c-{n:03d}",
                     f"its controller recreates it with them: kubectl delete pod/web-7d4b9c-{n:03d} -n shop")
                    for n in range(30)]


def test_pods_that_differ_in_what_is_checked_are_not_merged():
    pods = (replicas(3, pod_spec("registry.example.com/web:1", secrets=["regcred"]))
            + replicas(2, pod_spec("registry.example.com/web:1", secrets=["other"]), prefix="api-5f6d")
            + replicas(2, pod_spec("registry.example.com/web:1", secrets=["regcred"]),
                       owner={**OWNER, "name": "web-old", "uid": "uid-old"}, prefix="web-old"))
    assert PodGroups(pods).templates == 3
    findings = check(pods, secrets=[secret("regcred", {"registry.example.com": login()})])
    assert [(f.code, f.workload) for f in findings] == [("SecretNotFound", "pod/api-5f6d-000"),
                                                         ("SecretNotFound", "pod/api-5f6d-001")]


def test_probe_targets_are_the_same_from_groups_and_from_pods():
    pods = replicas(5, pod_spec("registry.example.com/web:1", secrets=["regcred"])) + [
        pod("bare", pod_spec("registry.example.com/web:1", "db:1", secrets=["regcred"]))]
    secrets = [secret("regcred", {"registry.example.com": login()})]
    from_groups = probe_targets(PodGroups(pods), [], secrets, [])
    one_by_one = [target for p in pods for target in probe_targets([p], [], secrets, [])]
    first = {}
    for target in one_by_one:
        first.setdefault(target.request_key, target)
    assert from_groups == list(first.values()) and len(from_groups) == 2


def test_through_the_api_server_the_pods_are_kept_as_templates(pullmedic, make_sandbox):
    spec = pod_spec("registry.example.com/web:1")
    objects = replicas(40, spec) + [
        {"apiVersion": "v1", "kind": "ServiceAccount", **account("default", ["regcred"])},
        {"apiVersion": "v1", "kind": "Secret", **secret("regcred", {"registry.example.com": login()})}]
    for obj in objects[:40]:
        obj.update(apiVersion="v1", kind="Pod", status={"phase": "Running"})
    sandbox = make_sandbox(objects=objects)
    cluster = Cluster.connect(kubeconfig=sandbox.kubeconfig_path, context=None, namespace=None, environ={})
    gathered = for_secrets_check(cluster, Scope(None))
    assert (len(gathered.pods), gathered.pods.templates) == (40, 1)
    result = pullmedic("secrets-check", "-A", "-o", "json", sandbox=sandbox, expect=None, now=NOW)
    assert sorted(item["workload"] for item in result.json()["items"]) == [f"pod/web-7d4b9c-{n:03d}" for n in range(40)]

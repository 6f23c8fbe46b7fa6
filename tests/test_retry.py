"""``retry``: which pods are deleted (pull back-off, with a controller), the bare ones kept with a command,
the same guarded deletes as ``clean``, and ``--probe`` refusing while the cause is still there.

Through the real CLI over real HTTP to the sandbox; the probe asks Debian's docker-registry.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import pytest

from conftest import build_pod
from kubectl_pullmedic.cluster.api import Cluster
from kubectl_pullmedic.cluster.gather import Scope
from kubectl_pullmedic.core.retrying import plan_retry, replace_command
from kubectl_pullmedic.engine import retry as engine
from kubectl_pullmedic.sandbox import Sandbox
from registry_fixtures import PASSWORD, USER
from workloadfixtures import deployment, failed_event, rs_pod

IMAGE = "registry.example.com/web:1.2"


def objects(image: str = IMAGE, secrets=()) -> list:
    stuck = [rs_pod("web", suffix, "shop", image, secrets=list(secrets)) for suffix in ("a1", "b2")]
    return [*deployment("web", "shop", image), *stuck, *(failed_event(pod, image) for pod in stuck),
            rs_pod("web", "c3", "shop", image, waiting=None),
            build_pod("lonely", "shop", image=IMAGE, uid="lonely-uid", phase="Pending", waiting_reason="ErrImagePull"),
            build_pod("other", "shop", image=IMAGE, uid="other-uid", phase="Pending", waiting_reason="CrashLoopBackOff")]


def deletes(sandbox: Sandbox) -> list:
    return sorted(r.path.rsplit("/", 1)[1] for r in sandbox.requests if r.method == "DELETE")


def test_plan_deletes_only_pods_in_pull_backoff_that_a_controller_recreates():
    plan = plan_retry(objects()[2:])
    assert [(item.name, item.kind, item.uid) for item in plan.to_delete] == [
        ("web-7d4b9c-a1", "ImagePullBackOff", "web-a1-uid"), ("web-7d4b9c-b2", "ImagePullBackOff", "web-b2-uid")]
    assert all(item.resource_version == "" for item in plan.to_delete)  # not stored yet: the sandbox sets it
    kept = {pod.name: (pod.reason, pod.command) for pod in plan.kept}
    assert kept["lonely"] == ("bare", replace_command("shop", "lonely"))
    assert kept["other"][0] == kept["web-7d4b9c-c3"][0] == "not-in-backoff"


def test_dry_run_client_lists_the_deletes_and_the_bare_pod_and_sends_nothing(pullmedic, make_sandbox):
    sandbox = make_sandbox(objects=objects())
    result = pullmedic("retry", "-n", "shop", "--dry-run=client", sandbox=sandbox)
    assert result.stdout.splitlines() == [
        'pod "web-7d4b9c-a1" deleted from shop namespace (dry run)',
        'pod "web-7d4b9c-b2" deleted from shop namespace (dry run)',
        'pod "lonely" kept in shop namespace: no controller would recreate it; recreate it yourself:',
        "  kubectl replace --force -f <(kubectl get pod lonely -n shop -o yaml)",
    ]
    assert deletes(sandbox) == []


def test_a_workload_target_takes_only_its_pods(pullmedic, make_sandbox):
    sandbox = make_sandbox(objects=objects() + [*deployment("api", "shop", IMAGE), rs_pod("api", "z9", "shop", IMAGE)])
    result = pullmedic("retry", "deploy/web", "-n", "shop", "--dry-run=client", "-o", "name", sandbox=sandbox)
    assert result.stdout == "pod/web-7d4b9c-a1\npod/web-7d4b9c-b2\n"


def test_server_dry_run_sends_guarded_deletes_with_dry_run_and_deletes_nothing(pullmedic, make_sandbox):
    sandbox = make_sandbox(objects=objects())
    result = pullmedic("retry", "deploy/web", "-n", "shop", "--dry-run=server", sandbox=sandbox)
    assert "would delete (server dry run) 2, already gone 0, skipped 0, failed 0" in result.stdout
    assert deletes(sandbox) == ["web-7d4b9c-a1", "web-7d4b9c-b2"]
    assert sandbox.get("Pod", "shop", "web-7d4b9c-a1") is not None


def test_without_a_terminal_or_yes_it_refuses_to_delete(pullmedic, make_sandbox):
    sandbox = make_sandbox(objects=objects())
    result = pullmedic("retry", "deploy/web", "-n", "shop", sandbox=sandbox, expect=2)
    assert "You are about to delete 2 pods:" in result.stderr
    assert "error: refusing to delete 2 pods without confirmation" in result.stderr
    assert deletes(sandbox) == []


def test_a_pod_changed_since_the_plan_is_not_deleted(make_sandbox):
    """The uid and resourceVersion the plan saw travel as preconditions: a changed pod answers 409."""
    sandbox = make_sandbox(objects=objects())
    cluster = Cluster.connect(kubeconfig=sandbox.kubeconfig_path, context=None, namespace=None, environ={})
    query = engine.RetryQuery(Scope("shop"), ("Deployment", "web"), "deploy/web", datetime.now(timezone.utc))
    report = engine.plan(cluster, query)
    assert all(item.resource_version for item in report.plan.to_delete)
    changed = sandbox.get("Pod", "shop", "web-7d4b9c-a1")
    changed["metadata"]["labels"]["touched"] = "yes"
    sandbox.add(changed)
    outcomes = {o.name: (o.result, o.detail) for o in engine.apply(cluster, report, workers=2).outcomes}
    assert outcomes["web-7d4b9c-b2"] == ("deleted", "")
    assert outcomes["web-7d4b9c-a1"][0] == "skipped" and "changed since it was listed" in outcomes["web-7d4b9c-a1"][1]
    assert sandbox.get("Pod", "shop", "web-7d4b9c-a1") is not None


def test_nothing_in_backoff_says_so(pullmedic, make_sandbox):
    sandbox = make_sandbox(objects=[build_pod("ok", "shop", uid="ok-uid")])
    result = pullmedic("retry", "-n", "shop", "--yes", sandbox=sandbox)
    assert result.stdout == "" and result.stderr == "No pods in pull back-off found in shop namespace.\n"


def pull_secret(registry: str) -> dict:
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    config = {"auths": {registry: {"username": USER, "password": PASSWORD, "auth": auth}}}
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
            "metadata": {"name": "regcred", "namespace": "shop"},
            "data": {".dockerconfigjson": base64.b64encode(json.dumps(config).encode()).decode()}}


@pytest.mark.parametrize("force", [False, True])
def test_probe_refuses_while_the_tag_is_still_missing_unless_forced(pullmedic, make_sandbox, basic_registry, tls, force):
    image = f"{basic_registry.host}/team/app:9.9.9"
    sandbox = make_sandbox(objects=objects(image, secrets=["regcred"]) + [pull_secret(basic_registry.host)])
    args = ["retry", "deploy/web", "-n", "shop", "--probe", "--registry-ca", str(tls[0]), "--yes", "--timeout", "1s"]
    result = pullmedic(*args, *(["--force"] if force else []), sandbox=sandbox, expect=1)
    assert f"Cause NOT gone: {image}: the tag still does not exist (shop/web-7d4b9c-a1, shop/web-7d4b9c-b2)" in result.stdout
    if force:
        assert deletes(sandbox) == ["web-7d4b9c-a1", "web-7d4b9c-b2"]
    else:
        assert "Not deleting 2 pods: the probe does not show the cause gone" in result.stdout
        assert deletes(sandbox) == []


def test_probe_lets_the_deletes_through_once_the_tag_exists(pullmedic, make_sandbox, basic_registry, tls):
    image = f"{basic_registry.host}/team/app:1.25.3"
    sandbox = make_sandbox(objects=objects(image, secrets=["regcred"]) + [pull_secret(basic_registry.host)])
    result = pullmedic("retry", "deploy/web", "-n", "shop", "--probe", "--registry-ca", str(tls[0]), "--yes",
                       "--dry-run=server", sandbox=sandbox)
    assert f"Cause gone: {image}: the image exists and the pod's credentials are accepted" in result.stdout
    assert deletes(sandbox) == ["web-7d4b9c-a1", "web-7d4b9c-b2"]


def test_completion_offers_the_pods_in_pull_backoff_then_workloads(make_sandbox):
    from kubectl_pullmedic.cli.app import cli
    from kubectl_pullmedic.cli.completion import complete_words

    sandbox = make_sandbox(objects=objects())
    words = ["retry", "--kubeconfig", sandbox.kubeconfig_path, "-n", "shop"]
    pods = [(item.value, item.help) for item in complete_words(cli, words + [""]).items]
    assert pods == [("lonely", "ErrImagePull"), ("web-7d4b9c-a1", "ImagePullBackOff"),
                    ("web-7d4b9c-b2", "ImagePullBackOff")]
    assert [item.value for item in complete_words(cli, words + ["deploy/"]).items] == ["deploy/web"]
    assert [item.value for item in complete_words(cli, words + ["--dry-run", ""]).items] == ["none", "client", "server"]


def test_ctrl_c_during_the_deletes_says_what_was_sent_as_clean_does(pullmedic, make_sandbox, monkeypatch):
    from test_clean_interrupt import interrupt_after

    from kubectl_pullmedic.cli import deleting

    sandbox = make_sandbox(objects=objects())
    monkeypatch.setattr(deleting, "progress", interrupt_after(1))
    result = pullmedic("retry", "deploy/web", "-n", "shop", "--yes", "--concurrency", "1", sandbox=sandbox, expect=130)
    assert deletes(sandbox) == ["web-7d4b9c-a1"]
    assert "interrupted: 1 of 2 deletes sent, the rest not" in result.stderr
    assert 'pod "web-7d4b9c-a1" deleted from shop namespace' in result.stdout
    assert [r for r in sandbox.requests if r.query.get("watch")] == []  # nothing followed after Ctrl-C

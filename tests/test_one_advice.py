"""`why` and `secrets-check` give one piece of advice per problem, and the same one, for every pod
of the scenario cluster: the paste-ready command secrets-check prints for a workload's pull secret
is the one `why` prints for that workload's failing pods."""

from __future__ import annotations

import pytest

from kubectl_pullmedic.sandbox import Sandbox

# Findings whose fix is a command `why` must print word for word for the same workload's pods.
SAME_COMMAND = {"NoCredentialsForRegistry", "SecretNotFound", "SecretWrongType", "SecretMalformed"}


@pytest.fixture(scope="module")
def answers(pullmedic):
    with Sandbox(scenarios=True) as sandbox:
        why = pullmedic("why", "-A", "-o", "json", sandbox=sandbox, expect=1).json()["items"]
        check = pullmedic("secrets-check", "-A", "-o", "json", sandbox=sandbox, expect=1).json()["items"]
    return why, check


def _pods_of(why, finding):
    return [d for d in why if d["namespace"] == finding["namespace"] and d["container"]
            and finding["workload"] in (d["owner"], f"pod/{d['pod']}")]


@pytest.fixture(scope="module")
def pullmedic():
    import io
    import json
    from types import SimpleNamespace

    from kubectl_pullmedic.cli.main import main
    from kubectl_pullmedic.settings import Settings

    def run(*args, sandbox, expect):
        out, err = io.StringIO(), io.StringIO()
        code = main(list(args) + ["--kubeconfig", sandbox.kubeconfig_path], Settings(stdout=out, stderr=err, color=False))
        assert code == expect, err.getvalue()
        return SimpleNamespace(json=lambda: json.loads(out.getvalue()))

    return run


def test_the_same_command_on_both_sides(answers):
    why, check = answers
    compared = copied = 0
    for finding in check:
        if finding["code"] not in SAME_COMMAND or "kubectl " not in finding["fix"]:
            continue
        copies = finding["fix"].startswith("copy it")  # a same-named secret in another namespace
        command = finding["fix"][finding["fix"].index("kubectl "):]
        pods = _pods_of(why, finding)
        if finding["container"]:
            pods = [d for d in pods if d["container"] == finding["container"]]
        for diagnosis in pods:
            compared += 1
            copied += copies
            assert any(command in step for step in diagnosis["fix"]), (finding, diagnosis["fix"])
    assert compared >= 4
    assert copied >= 1, "a pod whose missing pull secret another namespace has: both say copy it"


def test_no_contradiction_for_one_workload(answers):
    why, check = answers
    for finding in check:
        for diagnosis in _pods_of(why, finding):
            steps = " ".join(diagnosis["fix"])
            if finding["code"] == "PodMissesServiceAccountSecrets":
                # the account's secrets reach the pod when it is recreated: no new secret is invented
                assert "kubectl create secret" not in steps
            if finding["code"] == "NoCredentialsForRegistry" and finding["secret"]:
                # a key to fix in the named secret, never "remove it" on one side and "create one" on the other
                assert "Create a pull secret" not in steps
    codes = {(f["namespace"], f["workload"], f["secret"], f["code"]) for f in check}
    for namespace, workload, secret, code in codes:
        if code == "UnusedPullSecret":
            assert (namespace, workload, secret, "NoCredentialsForRegistry") not in codes

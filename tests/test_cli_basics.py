"""The CLI as a kubectl plugin: discovery through the real kubectl, help, errors, secrets-check."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kubectl_pullmedic import __version__
from conftest import KUBECTL

SECRET_PASSWORD = "s3cr3t-do-not-print"
COMMANDS = ["why", "retry", "evicted", "clean", "secrets-check", "demo"]


def entry_point() -> Path:
    script = Path(sys.executable).parent / "kubectl-pullmedic"
    assert script.exists(), "install the project (pip install -e .) so the console script exists"
    return script


def plugin_env(tmp_path) -> dict:
    env = dict(os.environ, PATH=f"{entry_point().parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env["HOME"] = str(tmp_path)  # no stray ~/.kube/config
    return env


@pytest.mark.slow  # the real kubectl, three times
def test_kubectl_discovers_the_plugin(tmp_path):
    env = plugin_env(tmp_path)
    listed = subprocess.run([KUBECTL, "plugin", "list"], capture_output=True, text=True, env=env)
    assert str(entry_point()) in listed.stdout
    helped = subprocess.run([KUBECTL, "pullmedic", "--help"], capture_output=True, text=True, env=env)
    assert helped.returncode == 0
    assert "Usage:\n  kubectl pullmedic" in helped.stdout
    version = subprocess.run([KUBECTL, "pullmedic", "--version"], capture_output=True, text=True, env=env)
    assert version.stdout.strip() == f"kubectl-pullmedic {__version__}"


@pytest.mark.slow  # the real kubectl runs the installed entry point
def test_plugin_through_kubectl_against_the_sandbox(tmp_path, scenario_sandbox):
    env = plugin_env(tmp_path)
    result = subprocess.run([KUBECTL, "pullmedic", "why", "-n", "shop", "-o", "json", "--kubeconfig", scenario_sandbox.kubeconfig_path],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 1, result.stderr  # problems found
    assert any(item["cause"] == "ImageNotFound" for item in yaml.safe_load(result.stdout)["items"])


@pytest.mark.slow  # the installed entry point as a process, once per command
@pytest.mark.parametrize("command", COMMANDS)
def test_help_in_kubectl_style(command):
    result = subprocess.run([str(entry_point()), command, "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    text = result.stdout
    assert text.index("Examples:") < text.index("Options:") < text.index("Usage:")
    assert f"kubectl pullmedic {command}" in text


def test_options_before_and_after_the_subcommand_agree(pullmedic, scenario_sandbox):
    before = pullmedic("-n", "ml", "evicted", "-o", "json", sandbox=scenario_sandbox).json()
    after = pullmedic("evicted", "-n", "ml", "-o", "json", sandbox=scenario_sandbox).json()
    assert before == after and before["items"]


def test_unreachable_server_is_one_line(pullmedic, tmp_path):
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "gone",
        "clusters": [{"name": "gone", "cluster": {"server": "https://127.0.0.1:9"}}],
        "users": [{"name": "gone", "user": {"token": "x"}}],
        "contexts": [{"name": "gone", "context": {"cluster": "gone", "user": "gone"}}],
    }))
    result = pullmedic("why", "-A", "--kubeconfig", str(path), expect=2)
    assert result.stderr.splitlines()[0] == "error: cannot reach the API server at https://127.0.0.1:9: connection refused"
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("content", ["{{{not yaml", "- a\n- list\n"], ids=["bad-yaml", "wrong-shape"])
def test_broken_kubeconfig_is_one_line(pullmedic, tmp_path, content):
    path = tmp_path / "config"
    path.write_text(content)
    result = pullmedic("evicted", "--kubeconfig", str(path), expect=2)
    assert result.stderr.startswith("error: invalid kubeconfig") and result.stderr.count("\n") == 1


def test_unknown_context(pullmedic, scenario_sandbox):
    result = pullmedic("why", "--context", "prod", sandbox=scenario_sandbox, expect=2)
    assert result.stderr == 'error: context "prod" does not exist (known contexts: pullmedic-sandbox)\n'


def test_forbidden_namespace_is_one_line(pullmedic, make_sandbox):
    sb = make_sandbox(objects=[{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}],
                      forbid=["list:pods:shop"])
    result = pullmedic("evicted", "-n", "shop", sandbox=sb, expect=2)
    assert result.stderr.startswith('error: pods is forbidden: User "')
    assert 'cannot list resource "pods" in API group "" in the namespace "shop"' in result.stderr


def test_secrets_check_fails_the_pipeline_on_errors(pullmedic, scenario_sandbox):
    result = pullmedic("secrets-check", "-A", "-o", "json", sandbox=scenario_sandbox, expect=1)
    codes = {item["code"] for item in result.json()["items"]}
    assert {"SecretNotFound", "SecretWrongType", "SecretMalformed", "NoCredentialsForRegistry",
            "CredentialsExpired", "CloudRegistryWithoutSecret", "UnusedPullSecret"} <= codes


def test_secrets_check_names_the_namespace_that_has_the_secret(pullmedic, scenario_sandbox):
    items = pullmedic("secrets-check", "-n", "payments", "-o", "json", sandbox=scenario_sandbox, expect=1).json()["items"]
    harbor = next(i for i in items if i["code"] == "SecretNotFound" and i["secret"] == "harbor-pull")
    assert "namespace(s) shop have one of that name" in harbor["message"]


@pytest.mark.parametrize("args", [
    ["secrets-check", "-A"], ["secrets-check", "-A", "-o", "wide"], ["secrets-check", "-A", "-o", "json"],
    ["secrets-check", "-A", "-o", "yaml"], ["why", "-A"], ["why", "-A", "-o", "json"], ["why", "-A", "-o", "yaml"],
], ids=lambda a: " ".join(a))
def test_no_credential_is_ever_printed(pullmedic, scenario_sandbox, args):
    result = pullmedic(*args, sandbox=scenario_sandbox, expect=1)
    printed = result.stdout + result.stderr
    encoded = base64.b64encode(f"ci-bot:{SECRET_PASSWORD}".encode()).decode()
    for needle in (SECRET_PASSWORD, encoded, base64.b64encode(SECRET_PASSWORD.encode()).decode()):
        assert needle not in printed


def test_demo_walks_through_every_command(pullmedic):
    result = pullmedic("demo")
    for step in ("$ kubectl pullmedic why -n shop", "$ kubectl pullmedic evicted -A --group-by owner",
                 "$ kubectl pullmedic clean -A --dry-run=client", "$ kubectl pullmedic secrets-check -n payments"):
        assert step in result.stdout
    assert "kubectl set image deployment/storefront nginx=nginx:latest -n shop" in result.stdout
    incident = result.stdout.split("$ kubectl pullmedic why deploy/web -n storefront\n", 1)[1]
    diagnosed, fixed = incident.split("secret/regcred created\n", 1)
    assert "RegistryAuthRequired" in diagnosed and "kubectl create secret docker-registry regcred" in diagnosed
    followed = fixed.split("$ kubectl pullmedic retry deploy/web -n storefront --yes --timeout 1m\n", 1)[1]
    assert 'pod "web-6f7d8c9b5-k7x2p" deleted from storefront namespace' in followed
    assert re.search(r"web-6f7d8c9b5-k7x2p  -  replaced by (web-6f7d8c9b5-\w+)\n", followed)
    replacement = re.search(r"replaced by (web-6f7d8c9b5-\w+)", followed).group(1)
    assert f"{replacement}  web  running" in followed
    assert "Every followed container is running or completed (2 pods)." in followed
    assert "s3cr3t-do-not-print" not in result.stdout


def test_colour_only_on_a_terminal_and_never_with_no_color(pullmedic, scenario_sandbox):
    plain = pullmedic("why", "-n", "shop", sandbox=scenario_sandbox, expect=1)
    assert "\033[" not in plain.stdout
    coloured = pullmedic("why", "-n", "shop", sandbox=scenario_sandbox, expect=1, tty=True)
    assert "\033[31m" in coloured.stdout
    no_color = pullmedic("why", "-n", "shop", sandbox=scenario_sandbox, expect=1, tty=True, environ={"NO_COLOR": "1"})
    assert "\033[" not in no_color.stdout

"""Shell completion: candidates from click and from the sandbox, cobra's output format, the real
kubectl asking the Krew-installed ``kubectl_complete-pullmedic``, and ``completion SHELL``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any, Callable, Iterator, List

import click
import pytest
from click.shell_completion import shell_complete
from click.testing import CliRunner

from krew_release import env_with_bin, fresh_release, install_release, plugin_bin
from kubectl_pullmedic.cli import completion
from kubectl_pullmedic.cli.app import cli
from kubectl_pullmedic.cli.main import complete
from kubectl_pullmedic.cli.completion import COMPLETE_VAR, Directive, cobra_output, complete_words
from kubectl_pullmedic.sandbox import Sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(scenarios=True) as running:
        yield running


def values(words: List[str]) -> List[str]:
    return [str(item.value) for item in complete_words(cli, words).items]


@pytest.fixture
def pods_in(kubectl: Callable[..., Any], sandbox: Sandbox) -> Callable[[str], List[str]]:
    """Pod names of a namespace as the real kubectl lists them."""

    def names(namespace: str) -> List[str]:
        listed = kubectl(sandbox, "get", "pods", "-n", namespace, "-o", "name").stdout.split()
        return sorted(line.split("/", 1)[1] for line in listed)

    return names


# -- what click knows ---------------------------------------------------------------------------


def test_subcommands_with_descriptions() -> None:
    completions = complete_words(cli, [""])
    assert {"why", "evicted", "clean", "secrets-check"} <= {item.value for item in completions.items}
    assert all(item.help for item in completions.items)
    assert completions.directive == Directive.NO_FILE_COMP
    assert values(["wh"]) == ["why"]


def test_options_and_choices() -> None:
    assert {"--namespace", "--context", "--kubeconfig", "--all-namespaces"} <= set(values(["why", "--"]))
    assert values(["why", "-o", ""]) == ["json", "yaml", "name", "jsonpath", "jsonpath-as-json", "jsonpath-file",
                                         "custom-columns", "custom-columns-file", "wide"]  # kubectl's order
    assert values(["clean", "-o", ""]) == ["name", "json"]


def test_path_options_leave_completion_to_the_shell() -> None:
    for words in (["why", "--kubeconfig", ""], ["--kubeconfig=./"]):
        assert complete_words(cli, words) == completion.Completions([], Directive.DEFAULT)


# -- what the cluster and the kubeconfig know ---------------------------------------------------


def test_namespaces_from_the_cluster(sandbox: Sandbox) -> None:
    names = values(["--kubeconfig", sandbox.kubeconfig_path, "why", "-n", ""])
    assert {"shop", "payments", "kube-system"} <= set(names) and names == sorted(names)
    assert values(["why", "--kubeconfig", sandbox.kubeconfig_path, "-n", "pay"]) == ["payments"]


def test_equals_form_keeps_the_flag(sandbox: Sandbox) -> None:
    words = ["why", f"--kubeconfig={sandbox.kubeconfig_path}", "--namespace=pay"]
    assert values(words) == ["--namespace=payments"]


def test_pod_names_of_the_chosen_namespace_with_their_status(sandbox: Sandbox, pods_in: Callable[[str], List[str]]) -> None:
    completions = complete_words(cli, ["why", "--kubeconfig", sandbox.kubeconfig_path, "-n", "shop", ""])
    assert [item.value for item in completions.items] == pods_in("shop")
    statuses = {item.help for item in completions.items}
    assert {"Running", "ErrImagePull", "Evicted"} <= statuses


def test_workloads_after_a_type_and_a_slash(sandbox: Sandbox) -> None:
    names = values(["why", "--kubeconfig", sandbox.kubeconfig_path, "-n", "shop", "deploy/ca"])
    assert names == ["deploy/cart", "deploy/catalog"]
    assert values(["why", "--kubeconfig", sandbox.kubeconfig_path, "svc/"]) == []


def test_all_namespaces_widens_pod_names(sandbox: Sandbox, pods_in: Callable[[str], List[str]]) -> None:
    names = values(["why", "-A", "--kubeconfig", sandbox.kubeconfig_path, ""])
    assert set(pods_in("shop")) | set(pods_in("payments")) <= set(names)


def test_contexts_from_the_kubeconfig(sandbox: Sandbox) -> None:
    assert values(["why", "--kubeconfig", sandbox.kubeconfig_path, "--context", ""]) == ["pullmedic-sandbox"]


def test_unreadable_cluster_gives_no_candidates_and_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    completions = complete_words(cli, ["why", "--kubeconfig", "/nonexistent/config", "-n", ""])
    assert completions == completion.Completions([], Directive.NO_FILE_COMP)
    assert "kubeconfig /nonexistent/config: no such file" in capsys.readouterr().err


# -- the protocols ------------------------------------------------------------------------------


def test_cobra_output_is_what_kubectl_parses() -> None:
    items = [click.shell_completion.CompletionItem("web-1", help="Running"), click.shell_completion.CompletionItem("x")]
    assert cobra_output(completion.Completions(items, Directive.NO_FILE_COMP)) == "web-1\tRunning\nx\n:4\n"


def test_completion_executable_prints_pod_names(
    sandbox: Sandbox, pods_in: Callable[[str], List[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert complete(["why", "--kubeconfig", sandbox.kubeconfig_path, "-n", "shop", ""]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in lines[:-1]] == pods_in("shop")
    assert lines[-1] == ":4"


@pytest.mark.slow  # a release build, a Krew install and the real kubectl: about 9 s
def test_real_kubectl_completes_through_the_installed_helper(
    sandbox: Sandbox, pods_in: Callable[[str], List[str]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """kubectl 1.26+ runs kubectl_complete-pullmedic from PATH for `kubectl pullmedic <TAB>`."""
    installed = install_release(fresh_release(tmp_path_factory), tmp_path_factory.mktemp("krew") / "krew")
    env = env_with_bin(plugin_bin(installed, sys.executable), KUBECONFIG=sandbox.kubeconfig_path)

    def kubectl_complete(*words: str) -> List[str]:
        result = subprocess.run(["kubectl", "__complete", "pullmedic", *words], env=env,
                                capture_output=True, text=True, timeout=60, check=True)
        return result.stdout.splitlines()

    pod_lines = kubectl_complete("why", "-n", "shop", "")
    assert [line.split("\t")[0] for line in pod_lines[:-1]] == pods_in("shop") and pod_lines[-1] == ":4"
    catalog = [line.split("\t")[0] for line in kubectl_complete("why", "-n", "shop", "cat")[:-1]]
    assert catalog and catalog == [name for name in pods_in("shop") if name.startswith("cat")]
    namespaces = kubectl_complete("-n", "")
    assert "shop" in namespaces and namespaces[-1] == ":4"


# -- `completion bash|zsh|fish` and click's own protocol ----------------------------------------


@pytest.mark.parametrize("shell, marker", [
    ("bash", "complete -o nosort -F _kubectl_pullmedic_completion kubectl-pullmedic"),
    ("zsh", "compdef _kubectl_pullmedic_completion kubectl-pullmedic"),
    ("fish", "complete --no-files --command kubectl-pullmedic"),
])
def test_completion_command_prints_the_script(shell: str, marker: str) -> None:
    result = CliRunner().invoke(cli, ["completion", shell])
    assert result.exit_code == 0, result.output
    assert marker in result.output and COMPLETE_VAR in result.output


def test_scripts_protocol_gets_cluster_candidates(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COMP_WORDS", f"kubectl-pullmedic why --kubeconfig {sandbox.kubeconfig_path} -n ")
    monkeypatch.setenv("COMP_CWORD", "5")
    assert shell_complete(cli, {}, "kubectl-pullmedic", COMPLETE_VAR, "bash_complete") == 0
    assert "plain,shop" in capfd.readouterr().out.splitlines()
    monkeypatch.setenv("COMP_WORDS", "kubectl-pullmedic why --kubeconfig ")
    monkeypatch.setenv("COMP_CWORD", "3")
    shell_complete(cli, {}, "kubectl-pullmedic", COMPLETE_VAR, "bash_complete")
    assert capfd.readouterr().out.splitlines() == ["file,"]


@pytest.mark.slow  # python -m kubectl_pullmedic as a process
def test_kubectl_pullmedic_answers_its_own_completion_script(sandbox: Sandbox) -> None:
    """What `source <(kubectl-pullmedic completion bash)` makes bash run on <TAB>."""
    env = dict(
        os.environ, COMP_WORDS=f"kubectl-pullmedic why --kubeconfig {sandbox.kubeconfig_path} -n ", COMP_CWORD="5",
        **{COMPLETE_VAR: "bash_complete"},
    )
    result = subprocess.run(
        [sys.executable, "-m", "kubectl_pullmedic"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "plain,shop" in result.stdout.splitlines()


def test_completion_command_is_listed() -> None:
    result = CliRunner().invoke(cli, ["completion", "zsh"])
    assert result.exit_code == 0 and "compdef _kubectl_pullmedic_completion kubectl-pullmedic" in result.output


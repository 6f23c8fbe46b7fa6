"""Several contexts read in forked processes (``engine.fleet``): results, errors and bugs come back.

On Linux the contexts are dealt to one process per CPU; these tests force several processes
whatever the machine has, and check what crosses from a child: each context's report in order, a
context's one-line error, a child's bug or death as a failure of the run, never a silent gap.
The CLI over the four-context fleet of ``test_fleet`` must print the same bytes with one process
or three.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Tuple

import pytest
import yaml

from kubectl_pullmedic.engine import fleet as engine_fleet
from kubectl_pullmedic.errors import PullmedicError
import test_fleet
from test_fleet import NOW

fleet, run = test_fleet.fleet, test_fleet.run  # the four-context kubeconfig and its runner, as fixtures here
NAMES = [f"ctx-{number}" for number in range(7)]


def _where(name: str) -> Tuple[str, int]:
    return name, os.getpid()


def test_contexts_are_read_in_several_processes_and_come_back_in_order():
    results = engine_fleet.read_contexts(NAMES, _where, parallel=4, processes=3)
    assert [result.context for result in results] == NAMES
    assert [result.report[0] for result in results] == NAMES
    pids = {result.report[1] for result in results}
    assert os.getpid() in pids and len(pids) == 3  # this process read a share, two children the rest


def test_one_process_reads_every_context_here():
    results = engine_fleet.read_contexts(NAMES, _where, parallel=4, processes=1)
    assert {result.report[1] for result in results} == {os.getpid()}


def test_a_contexts_error_in_a_child_is_that_contexts_result():
    def read(name: str) -> str:
        if name == "ctx-4":  # dealt to a child: 4 % 3 == 1
            raise PullmedicError("the server is unreachable")
        return name.upper()

    results = engine_fleet.read_contexts(NAMES, read, parallel=4, processes=3)
    assert [(result.context, result.report, result.error) for result in results][3:6] == [
        ("ctx-3", "CTX-3", ""), ("ctx-4", None, "the server is unreachable"), ("ctx-5", "CTX-5", "")]


def test_a_bug_in_a_child_fails_the_run_with_its_traceback():
    def read(name: str) -> str:
        if name == "ctx-2":
            raise KeyError("spec")
        return name

    with pytest.raises(RuntimeError) as raised:
        engine_fleet.read_contexts(NAMES, read, parallel=4, processes=3)
    assert "Traceback" in str(raised.value) and "KeyError: 'spec'" in str(raised.value)


def test_a_child_that_dies_fails_the_run_naming_its_contexts():
    def read(name: str) -> str:
        if name == "ctx-1":
            os._exit(3)
        return name

    with pytest.raises(RuntimeError, match=r"reading contexts ctx-1, ctx-4 ended with wait status"):
        engine_fleet.read_contexts(NAMES, read, parallel=4, processes=3)


def test_a_result_that_cannot_cross_fails_the_run():
    with pytest.raises(RuntimeError, match="ended with wait status"):
        engine_fleet.read_contexts(NAMES, lambda name: (lambda: name), parallel=4, processes=2)


def test_no_child_is_left_behind():
    """Every forked reader is reaped before the results are returned (other tests' processes aside)."""
    results = engine_fleet.read_contexts(NAMES, _where, parallel=4, processes=3)
    children = {result.report[1] for result in results} - {os.getpid()}
    assert len(children) == 2
    for pid in children:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


@pytest.mark.parametrize("args", [
    ("why", "--all-contexts", "-o", "json"),
    ("why", "--all-contexts"),
    ("evicted", "--context", "prod-eu,prod-us,down", "-A"),
    ("secrets-check", "--all-contexts", "-A"),
])
def test_the_cli_prints_the_same_with_one_process_or_three(run, monkeypatch, args):
    monkeypatch.setattr(engine_fleet, "worker_processes", lambda contexts: 1)
    alone = run(*args, expect=None)
    monkeypatch.setattr(engine_fleet, "worker_processes", lambda contexts: 3)
    forked = run(*args, expect=None)
    assert (forked.code, forked.stdout, forked.stderr) == (alone.code, alone.stdout, alone.stderr)
    assert "context" in forked.stdout.lower() or "No " in forked.stdout


def test_request_log_names_the_context_of_each_request(run):
    result = run("evicted", "--context", "prod-eu,prod-us", "-v", "6", expect=0)
    lines = [line for line in result.stderr.splitlines() if "round_trippers.go" in line]
    assert lines and all(line.endswith(('context="prod-eu"', 'context="prod-us"')) for line in lines)
    assert any("/namespaces/web/pods" in line and line.endswith('context="prod-us"') for line in lines)


def test_one_contexts_credential_plugin_complaint_stays_with_its_warning(pullmedic, fleet, tmp_path):
    plugin = tmp_path / "aws"
    plugin.write_text("#!/bin/sh\necho 'An error occurred (ExpiredToken)' >&2\necho 'run: aws sso login' >&2\nexit 255\n")
    plugin.chmod(0o755)
    config = yaml.safe_load(Path(fleet.kubeconfig).read_text())
    config["users"].append({"name": "sso", "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                                              "command": str(plugin)}}})
    config["contexts"].append({"name": "sso", "context": {"cluster": "prod-eu", "user": "sso"}})
    path = tmp_path / "with-sso"
    path.write_text(yaml.safe_dump(config))
    result = pullmedic("evicted", "--context", "prod-eu,sso", "--kubeconfig", str(path), expect=4, now=NOW)
    assert result.stderr == (f'Warning: context "sso": getting credentials: exec: executable {plugin} failed with exit '
                             "code 255 (the plugin said: An error occurred (ExpiredToken) run: aws sso login)\n")


def test_ctrl_c_ends_every_reader(fleet, tmp_path):
    """SIGINT to the whole group, as a terminal sends it, while a context hangs: exit 130, no process left."""
    listener = __import__("socket").socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # accepts, never answers
    config = yaml.safe_load(Path(fleet.kubeconfig).read_text())
    for cluster in config["clusters"]:
        if cluster["name"] == "down":
            cluster["cluster"]["server"] = f"http://127.0.0.1:{listener.getsockname()[1]}"
    path = tmp_path / "hanging"
    path.write_text(yaml.safe_dump(config))
    plugin = str(Path(sys.executable).parent / "kubectl-pullmedic")
    process = subprocess.Popen([plugin, "why", "--all-contexts", "--kubeconfig", str(path)], start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(3)  # the three other contexts are read by then; "down" waits for an answer
        os.killpg(process.pid, signal.SIGINT)
        _, _ = process.communicate(timeout=20)
        assert process.returncode == 130
        leftover = subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True, text=True).stdout
        assert leftover == ""
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        listener.close()



def test_the_installed_command_forks_and_prints_what_threads_print(run, fleet):
    """The real entry point, single-threaded, takes the forked path on a machine with several CPUs."""
    plugin = str(Path(sys.executable).parent / "kubectl-pullmedic")
    theirs = subprocess.run([plugin, "why", "--all-contexts", "-o", "name", "--kubeconfig", fleet.kubeconfig],
                            capture_output=True, text=True, timeout=60)
    ours = run("why", "--all-contexts", "-o", "name", expect=1)
    assert (theirs.returncode, theirs.stdout, theirs.stderr) == (ours.code, ours.stdout, ours.stderr)

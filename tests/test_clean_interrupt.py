"""Ctrl-C during ``clean --yes``, and a namespace that cannot be listed: over real HTTP to the sandbox."""

from __future__ import annotations

from typing import Callable, List

import pytest

from conftest import build_pod
from kubectl_pullmedic.cli import deleting as cli_deleting

EVICTED = "The node was low on resource: memory. "


def evicted_pods(count: int, namespace: str = "shop") -> List[dict]:
    return [build_pod(f"web-{n}", namespace, phase="Failed", reason="Evicted", message=EVICTED, uid=f"uid-{namespace}-{n}")
            for n in range(count)]


def interrupt_after(deletes: int) -> Callable:
    """A progress callback that is Ctrl-C'd once ``deletes`` deletes have ended."""

    def progress(settings, total):
        done = [0]

        def update(_outcome) -> None:
            done[0] += 1
            if done[0] == deletes:
                raise KeyboardInterrupt

        return update

    return progress


@pytest.mark.parametrize("concurrency", [1, 3])
def test_ctrl_c_sends_no_new_delete_and_reports_what_was_done(pullmedic, make_sandbox, monkeypatch, concurrency):
    sandbox = make_sandbox(objects=evicted_pods(12))
    monkeypatch.setattr(cli_deleting, "progress", interrupt_after(3))
    result = pullmedic("clean", "-n", "shop", "--yes", "--concurrency", str(concurrency), sandbox=sandbox, expect=130)
    sent = [r for r in sandbox.requests if r.method == "DELETE"]
    # the three that ended, and at most the others already in flight when Ctrl-C came
    assert 3 <= len(sent) <= 3 + concurrency - 1
    deleted_lines = [line for line in result.stdout.splitlines() if "deleted" in line and line.startswith("pod")]
    assert len(deleted_lines) == len(sent)
    assert f"interrupted: {len(sent)} of 12 deletes sent, the rest not" in result.stderr
    assert f"deleted {len(sent)}, already gone 0, skipped 0, failed 0" in result.stdout
    remaining = [n for n in range(12) if sandbox.get("pods", "shop", f"web-{n}") is not None]
    assert len(remaining) == 12 - len(sent)


def test_ctrl_c_with_one_worker_sends_exactly_the_deletes_before_it(pullmedic, make_sandbox, monkeypatch):
    sandbox = make_sandbox(objects=evicted_pods(5))
    monkeypatch.setattr(cli_deleting, "progress", interrupt_after(2))
    result = pullmedic("clean", "-n", "shop", "-y", "--concurrency", "1", "-o", "json", sandbox=sandbox, expect=130)
    assert [r.path.rsplit("/", 1)[1] for r in sandbox.requests if r.method == "DELETE"] == ["web-0", "web-1"]
    assert [item["result"] for item in result.json()["items"]] == ["deleted", "deleted"]


def test_clean_all_namespaces_with_one_unlistable_exits_4(pullmedic, make_sandbox):
    sandbox = make_sandbox(objects=evicted_pods(2, "shop") + evicted_pods(2, "ml"), forbid=["list:pods:ml"])
    result = pullmedic("clean", "-A", "--yes", sandbox=sandbox, expect=4)
    assert 'cannot list resource "pods"' in result.stderr and '"ml"' in result.stderr
    assert sorted(r.path.rsplit("/", 1)[1] for r in sandbox.requests if r.method == "DELETE") == ["web-0", "web-1"]
    assert "deleted 2, already gone 0, skipped 0, failed 0" in result.stdout


def test_clean_dry_run_with_one_unlistable_namespace_exits_4(pullmedic, make_sandbox):
    sandbox = make_sandbox(objects=evicted_pods(1, "shop"), forbid=["list:pods:ml"])
    sandbox.add(build_pod("api-0", "ml"))
    result = pullmedic("clean", "-A", "--dry-run=client", sandbox=sandbox, expect=4)
    assert 'cannot list resource "pods"' in result.stderr and "web-0" in result.stdout

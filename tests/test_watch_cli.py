"""``why --watch`` and ``retry`` through the real CLI over real HTTP: the sandbox's watch endpoint and
its scripted incident (``missing-pull-secret``: deploy/web in storefront, two pods in ImagePullBackOff
because the pull secret regcred does not exist; the steps create it and let the pods pull).

The timeline's clock is manual: a thread runs its steps once the CLI's watches are open, so no test
waits for real back-off times.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, List

import pytest

from kubectl_pullmedic.sandbox import Sandbox

NS = "storefront"
PODS = ("web-6f7d8c9b5-k7x2p", "web-6f7d8c9b5-q9m4z")
ENTRY = Path(sys.executable).with_name("kubectl-pullmedic")


@pytest.fixture
def incident(make_sandbox) -> Sandbox:
    return make_sandbox(incident="missing-pull-secret", timeline_clock="manual")


def watches(sandbox: Sandbox, resource: str = "") -> List:
    return [r for r in sandbox.requests if r.method == "GET" and r.query.get("watch") in ("1", "true")
            and r.path.endswith(resource)]


def when_watching(sandbox: Sandbox, *actions: Callable[[], None], streams: int = 4, after: int = 0) -> threading.Thread:
    """Run ``actions`` in a thread once ``streams`` more watches than ``after`` are open."""

    def drive() -> None:
        deadline = time.monotonic() + 20
        while len(watches(sandbox)) < after + streams and time.monotonic() < deadline:
            time.sleep(0.02)
        for action in actions:
            action()
            time.sleep(0.3)

    thread = threading.Thread(target=drive, daemon=True)
    thread.start()
    return thread


def the_fix(sandbox: Sandbox) -> List[Callable[[], None]]:
    return [lambda: sandbox.run_timeline_step("secret-created"), lambda: sandbox.run_timeline_step("pods-pull")]


def change_lines(stdout: str) -> List[str]:
    """The watch's lines (``HH:MM:SS  POD  CONTAINER  WHAT``) without their times."""
    return [line.split("  ", 1)[1] for line in stdout.splitlines() if re.match(r"^\d\d:\d\d:\d\d  ", line)]


def test_watch_follows_a_fix_from_backoff_to_running_and_exits_0(pullmedic, incident):
    when_watching(incident, *the_fix(incident))
    result = pullmedic("why", "deploy/web", "-n", NS, "--watch", "--timeout", "30s", sandbox=incident)
    assert "RegistryAuthRequired" in result.stdout.split("Watching")[0]  # the diagnosis first, as today
    assert "Watching 2 pods of deploy/web until they run" in result.stderr
    lines = change_lines(result.stdout)
    for pod in PODS:
        mine = [line for line in lines if line.startswith(pod)]
        assert mine == [f"{pod}  web  pulling (attempt 7)", f"{pod}  web  pulled in 2.4 s", f"{pod}  web  running"]
    assert result.stdout.endswith("Every followed container is running or completed (2 pods).\n")


def test_a_410_during_the_watch_relists_without_repeating_a_line(pullmedic, incident):
    """A failed pull is seen; then the history is compacted and the streams cut, so the resumed watch
    gets 410: the pods and events are listed again and only what changed since is printed."""
    def compact() -> None:
        incident.expire_watch_history()
        incident.drop_watches()

    def failed_pull() -> None:  # no secret yet: it fails
        for pod in PODS:
            incident.timeline.pull(NS, pod)

    when_watching(incident, failed_pull, compact, *the_fix(incident))
    result = pullmedic("why", "deploy/web", "-n", NS, "-w", "--timeout", "30s", sandbox=incident)
    lines = change_lines(result.stdout)
    assert len(lines) == len(set(lines)), lines
    assert f"{PODS[0]}  web  pulling (attempt 7)" in lines
    assert f"{PODS[0]}  web  pull failed (attempt 7): RegistryAuthRequired" in lines
    assert f"{PODS[0]}  web  pulling (attempt 8)" in lines
    assert f"{PODS[0]}  web  running" in lines and f"{PODS[1]}  web  running" in lines
    assert "resourceVersion too old (410 Gone); listed again" in result.stderr
    requests = incident.requests
    first_watch = next(i for i, r in enumerate(requests) if r.query.get("watch"))
    assert any(r.method == "GET" and not r.query.get("watch") for r in requests[first_watch:])  # listed again


def test_a_dropped_stream_reconnects_from_the_last_version(pullmedic, incident):
    when_watching(incident, incident.drop_watches, *the_fix(incident))
    result = pullmedic("why", "deploy/web", "-n", NS, "-w", "--timeout", "30s", sandbox=incident)
    assert "the watch stream was cut" in result.stderr
    pod_watches = watches(incident, "/pods")
    assert len(pod_watches) >= 2
    assert all(r.query.get("resourceVersion") and r.query.get("allowWatchBookmarks") == "true" for r in pod_watches)
    assert int(pod_watches[1].query["resourceVersion"]) >= int(pod_watches[0].query["resourceVersion"])
    assert f"{PODS[1]}  web  running" in change_lines(result.stdout)


def test_timeout_exits_1_naming_what_still_fails(pullmedic, incident):
    result = pullmedic("why", "deploy/web", "-n", NS, "-w", "--timeout", "2s", sandbox=incident, expect=1)
    assert result.stdout.endswith(
        "Still not running after 2s: 2 containers\n"
        f"  {PODS[0]}  web  RegistryAuthRequired: registry.example.com requires credentials and the pod sends none that match\n"
        f"  {PODS[1]}  web  RegistryAuthRequired: registry.example.com requires credentials and the pod sends none that match\n")


def test_json_streams_one_document_per_change(pullmedic, incident):
    when_watching(incident, *the_fix(incident))
    result = pullmedic("why", "deploy/web", "-n", NS, "-w", "-o", "json", "--timeout", "30s", sandbox=incident)
    first, _, rest = result.stdout.partition("\n}\n")
    assert json.loads(first + "\n}")["kind"] == "DiagnosisList"
    documents = [json.loads(line) for line in rest.splitlines()]
    changes = [d for d in documents if d["kind"] == "PodChange"]
    assert {(d["pod"], d["change"]) for d in changes} >= {(pod, change) for pod in PODS for change in ("pulled", "running")}
    pulled = next(d for d in changes if d["change"] == "pulled")
    assert pulled["seconds"] == 2.4 and pulled["at"].endswith("Z")
    assert documents[-1] == {"apiVersion": "pullmedic/v1", "kind": "WatchResult", "ended": "settled", "following": 2,
                             "outstanding": [], "relists": 0, "reconnects": 0, "deleted": 0, "unread": [],
                             "settled": True}


def test_retry_after_the_fix_deletes_the_pods_and_reports_the_replacements_running(pullmedic, incident):
    incident.run_timeline_step("secret-created")
    result = pullmedic("retry", "deploy/web", "-n", NS, "--yes", "--timeout", "30s", sandbox=incident)
    deletes = [r for r in incident.requests if r.method == "DELETE"]
    assert sorted(r.path.rsplit("/", 1)[1] for r in deletes) == sorted(PODS)
    lines = change_lines(result.stdout)
    replaced = [line for line in lines if " replaced by " in line]
    assert len(replaced) == 2
    for line in replaced:
        new = line.rsplit(" ", 1)[1]
        assert new not in PODS and f"{new}  web  running" in lines
    assert result.stdout.endswith("Every followed container is running or completed (2 pods).\n")


def test_retry_before_the_fix_names_the_cause_the_replacements_fail_with(pullmedic, incident):
    result = pullmedic("retry", "deploy/web", "-n", NS, "--yes", "--timeout", "30s", sandbox=incident, expect=1)
    tail = result.stdout.split("Failed again: 2 containers\n", 1)[1].splitlines()
    assert len(tail) == 2 and all("RegistryAuthRequired" in line and line.split()[0] not in PODS for line in tail)


@pytest.mark.slow
def test_ctrl_c_ends_the_watch_with_130_and_no_traceback(incident):
    command = [str(ENTRY), "why", "deploy/web", "-n", NS, "-w", "--kubeconfig", incident.kubeconfig_path]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "NO_COLOR": "1"})
    deadline = time.monotonic() + 20
    while len(watches(incident)) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "Still not running when interrupted: 2 containers" in stdout


def test_events_refused_the_watch_goes_on_from_pod_status(pullmedic, make_sandbox):
    incident = make_sandbox(incident="missing-pull-secret", timeline_clock="manual", forbid=["list:events", "watch:events"])
    when_watching(incident, *the_fix(incident), streams=1)
    result = pullmedic("why", "deploy/web", "-n", NS, "-w", "--timeout", "30s", sandbox=incident)
    assert "following pod status only" in result.stderr
    assert change_lines(result.stdout) == [f"{PODS[0]}  web  running", f"{PODS[1]}  web  running"]


def test_without_a_target_the_pods_with_problems_are_followed(pullmedic, incident):
    when_watching(incident, *the_fix(incident))
    result = pullmedic("why", "-n", NS, "-w", "--timeout", "30s", sandbox=incident)
    assert "Watching 2 pods until they run" in result.stderr
    assert {line for line in change_lines(result.stdout) if line.endswith("running")} == {
        f"{pod}  web  running" for pod in PODS}


def test_a_bare_pod_deleted_while_watched_ends_the_watch(pullmedic, make_sandbox):
    from conftest import build_pod

    sandbox = make_sandbox(objects=[build_pod("lonely", NS, uid="lonely-uid", phase="Pending",
                                              waiting_reason="ImagePullBackOff")])
    when_watching(sandbox, lambda: sandbox.remove("Pod", NS, "lonely"))
    result = pullmedic("why", "lonely", "-n", NS, "-w", "--timeout", "30s", sandbox=sandbox)
    assert change_lines(result.stdout) == ["lonely  -  deleted"]
    assert result.stdout.endswith("Nothing left to watch: the followed pods were deleted, and nothing recreated them.\n")


def test_each_pull_again_is_one_attempt_from_the_kubelet_s_recounted_events(pullmedic, incident):
    """The sandbox's kubelet updates its events (count + 1, MODIFIED), as the real one's correlator
    does: each failed attempt is a pulling line and a pull-failed line with the next number; the
    recounted BackOff and ``Error: ImagePullBackOff`` events and the unchanged pod status say nothing."""
    def failed_pull() -> None:
        incident.timeline.pull(NS, PODS[0])

    when_watching(incident, failed_pull, failed_pull)
    result = pullmedic("why", PODS[0], "-n", NS, "-w", "--timeout", "3s", sandbox=incident, expect=1)
    assert change_lines(result.stdout) == [
        f"{PODS[0]}  web  pulling (attempt 7)", f"{PODS[0]}  web  pull failed (attempt 7): RegistryAuthRequired",
        f"{PODS[0]}  web  pulling (attempt 8)", f"{PODS[0]}  web  pull failed (attempt 8): RegistryAuthRequired"]

"""core.watching: previous and new state of a pod (and its new events) -> typed changes, one per kind."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone

import pytest

from conftest import build_event, build_pod
from kubectl_pullmedic.core import watching as w
from kubectl_pullmedic.core.pulls.pulled import go_seconds, pulled_seconds

NOW = datetime(2030, 1, 1, 0, 5, tzinfo=timezone.utc)
IMAGE = "registry.example.com/web:1.2"
NOT_FOUND = (f'Failed to pull image "{IMAGE}": rpc error: code = NotFound desc = failed to pull and unpack image '
             f'"{IMAGE}": failed to resolve reference "{IMAGE}": {IMAGE}: not found')
DENIED = (f'Failed to pull image "{IMAGE}": rpc error: code = Unknown desc = failed to pull and unpack image "{IMAGE}": '
          'failed to resolve reference: pull access denied, repository does not exist or may require authorization: '
          'server message: insufficient_scope: authorization failed')


def rs_pod(name: str, uid: str, **kwargs) -> dict:
    pod = build_pod(name, "shop", image=IMAGE, uid=uid, **kwargs)
    pod["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d4b9c",
                                           "uid": "rs-uid", "controller": True}]
    return pod


def running(pod: dict) -> dict:
    pod = copy.deepcopy(pod)
    pod["status"]["phase"] = "Running"
    pod["status"]["containerStatuses"][0]["state"] = {"running": {"startedAt": "2030-01-01T00:04:00Z"}}
    return pod


def backoff_pod(name: str = "web-7d4b9c-x2x5q", uid: str = "u1") -> dict:
    return rs_pod(name, uid, phase="Pending", waiting_reason="ImagePullBackOff",
                  waiting_message=f'Back-off pulling image "{IMAGE}"')


def started(pods, events=()) -> w.Follow:
    follow = w.Follow()
    follow.start(list(pods), list(events), NOW)
    return follow


def kinds(changes):
    return [change.change for change in changes]


def test_pull_times_are_read_from_the_kubelets_pulled_message():
    assert pulled_seconds(f'Successfully pulled image "{IMAGE}" in 3.2s (3.2s including waiting). Image size: 1 bytes.') \
        == (3.2, 3.2)
    assert pulled_seconds(f'Successfully pulled image "{IMAGE}" in 1m2.5s') == (62.5, None)
    assert go_seconds("1h1m") == 3660 and go_seconds("3.2") is None


def test_a_pod_already_running_at_the_start_is_not_followed_without_a_target():
    follow = started([running(backoff_pod())])
    assert follow.following == 0 and follow.outstanding() == []


def test_a_new_failure_carries_its_cause_from_the_diagnosis():
    pod = rs_pod("web-1", "u1", phase="Pending")
    pod["status"]["containerStatuses"][0]["state"] = {"waiting": {"reason": "ContainerCreating"}}
    follow = started([pod])
    failing = backoff_pod("web-1", "u1")
    event = build_event(failing, "Failed", NOT_FOUND)
    assert follow.on_event("ADDED", event, NOW) == []  # the pod still says ContainerCreating
    changes = follow.on_pod("MODIFIED", failing, NOW)
    assert kinds(changes) == ["failing"]
    assert changes[0].cause == "ImageNotFound" and changes[0].container == "app"
    assert changes[0].text.startswith("ImageNotFound: ")
    assert [o.cause for o in follow.outstanding()] == ["ImageNotFound"]


def test_a_changed_cause_says_from_what_to_what():
    pod = backoff_pod()
    first = build_event(pod, "Failed", NOT_FOUND, last_seen="2030-01-01T00:01:00Z")
    follow = started([pod], [first])
    second = build_event(pod, "Failed", DENIED, last_seen="2030-01-01T00:04:00Z")
    changes = follow.on_event("ADDED", second, NOW)
    assert kinds(changes) == ["cause-changed"]
    assert changes[0].text.startswith("ImageNotFound -> RegistryAuthRequired: ")


def test_pulling_counts_the_attempt_and_a_failed_retry_with_the_same_cause_is_one_line():
    pod = backoff_pod()
    failed = build_event(pod, "Failed", NOT_FOUND, count=5)
    follow = started([pod], [failed, build_event(pod, "Pulling", f'Pulling image "{IMAGE}"', "Normal", count=5)])
    pulling = follow.on_event("MODIFIED", build_event(pod, "Pulling", f'Pulling image "{IMAGE}"', "Normal", count=6), NOW)
    assert [(c.change, c.text, c.attempt) for c in pulling] == [("pulling", "pulling (attempt 6)", 6)]
    again = follow.on_event("MODIFIED", build_event(pod, "Failed", NOT_FOUND, count=6), NOW)
    assert [(c.change, c.text) for c in again] == [("pull-failed", "pull failed (attempt 6): ImageNotFound")]


def test_an_event_seen_again_with_the_same_count_is_not_a_change():
    """A relist after 410 Gone hands back every event: only a grown count is news."""
    pod = backoff_pod()
    pulling = build_event(pod, "Pulling", f'Pulling image "{IMAGE}"', "Normal", count=3)
    follow = started([pod], [pulling])
    assert follow.on_event("ADDED", copy.deepcopy(pulling), NOW) == []
    assert follow.on_pod("MODIFIED", copy.deepcopy(pod), NOW) == []


def test_pulled_in_seconds_then_running_then_nothing_outstanding():
    pod = backoff_pod()
    follow = started([pod], [build_event(pod, "Failed", NOT_FOUND)])
    pulled = build_event(pod, "Pulled", f'Successfully pulled image "{IMAGE}" in 3.2s (3.2s including waiting). '
                                        "Image size: 7340032 bytes.", "Normal")
    changes = follow.on_event("ADDED", pulled, NOW)
    assert [(c.change, c.text, c.seconds) for c in changes] == [("pulled", "pulled in 3.2 s", 3.2)]
    changes = follow.on_pod("MODIFIED", running(pod), NOW)
    assert kinds(changes) == ["running"]
    assert follow.outstanding() == []


def test_a_pull_that_waited_in_the_nodes_queue_says_so():
    pod = backoff_pod()
    follow = started([pod])
    pulled = build_event(pod, "Pulled", f'Successfully pulled image "{IMAGE}" in 512ms (12.5s including waiting)', "Normal")
    assert follow.on_event("ADDED", pulled, NOW)[0].text == "pulled in 512 ms (after 12.0 s waiting for the node's other pulls)"


def test_completed_and_exited():
    pod = backoff_pod()
    follow = started([pod])
    done = copy.deepcopy(pod)
    done["status"]["containerStatuses"][0]["state"] = {"terminated": {"exitCode": 0, "reason": "Completed"}}
    assert kinds(follow.on_pod("MODIFIED", done, NOW)) == ["completed"]
    crashed = copy.deepcopy(pod)
    crashed["status"]["containerStatuses"][0]["state"] = {"terminated": {"exitCode": 1, "reason": "Error"}}
    changes = follow.on_pod("MODIFIED", crashed, NOW)
    assert [(c.change, c.text) for c in changes] == [("exited", "exited: Error (exit code 1)")]
    assert [o.state for o in follow.outstanding()] == ["exited"]


def test_a_deleted_pod_of_a_controller_is_replaced_by_its_new_pod():
    old = backoff_pod("web-7d4b9c-x2x5q", "u1")
    follow = started([old])
    assert [(c.change, c.pod) for c in follow.on_pod("DELETED", old, NOW)] == [("deleted", "web-7d4b9c-x2x5q")]
    assert [o.state for o in follow.outstanding()] == ["replacing"]
    new = rs_pod("web-7d4b9c-q2x8z", "u2", phase="Pending")
    new["status"]["containerStatuses"][0]["state"] = {"waiting": {"reason": "ContainerCreating"}}
    changes = follow.on_pod("ADDED", new, NOW)
    assert [(c.change, c.pod, c.text, c.replacement) for c in changes] == [
        ("replaced", "web-7d4b9c-x2x5q", "replaced by web-7d4b9c-q2x8z", "web-7d4b9c-q2x8z")]
    assert [(o.pod, o.state) for o in follow.outstanding()] == [("web-7d4b9c-q2x8z", "waiting")]
    assert kinds(follow.on_pod("MODIFIED", running(new), NOW)) == ["running"]
    assert follow.outstanding() == []


def test_a_replacement_seen_before_the_delete_is_paired_when_the_delete_arrives():
    old = backoff_pod("web-7d4b9c-x2x5q", "u1")
    follow = started([old])
    new = running(rs_pod("web-7d4b9c-q2x8z", "u2"))
    assert kinds(follow.on_pod("ADDED", new, NOW)) == ["added", "running"]
    changes = follow.on_pod("DELETED", old, NOW)
    assert [(c.change, c.text) for c in changes] == [("replaced", "replaced by web-7d4b9c-q2x8z")]
    assert follow.outstanding() == []


def test_a_bare_pod_deleted_is_gone_and_not_waited_for():
    pod = build_pod("lonely", "shop", image=IMAGE, uid="u9", waiting_reason="ErrImagePull")
    follow = started([pod])
    assert kinds(follow.on_pod("DELETED", pod, NOW)) == ["deleted"]
    assert follow.outstanding() == [] and follow.following == 0


@pytest.mark.parametrize("follow_all", [False, True])
def test_a_target_follows_its_running_pods_too(follow_all):
    follow = w.Follow(follow_all=follow_all)
    follow.start([running(backoff_pod())], [], NOW)
    assert follow.following == (1 if follow_all else 0)


def test_pods_outside_the_target_are_ignored():
    follow = w.Follow(member=lambda pod: pod["metadata"]["name"].startswith("web-"))
    follow.start([], [], NOW)
    assert follow.on_pod("ADDED", build_pod("db-0", "shop", uid="d0", waiting_reason="ErrImagePull"), NOW) == []
    assert kinds(follow.on_pod("ADDED", backoff_pod("web-1", "w1"), NOW)) == ["added", "failing"]


def test_a_pod_being_deleted_counts_as_deleted_and_its_replacement_may_come_before_the_delete_event():
    """The API server sets deletionTimestamp (MODIFIED), the ReplicaSet creates the new pod at once
    (ADDED), and DELETED comes when the kubelet is done: one deleted line, one replaced line."""
    old = backoff_pod("web-7d4b9c-x2x5q", "u1")
    follow = started([old])
    terminating = copy.deepcopy(old)
    terminating["metadata"]["deletionTimestamp"] = "2030-01-01T00:05:00Z"
    assert kinds(follow.on_pod("MODIFIED", terminating, NOW)) == ["deleted"]
    new = rs_pod("web-7d4b9c-q2x8z", "u2", phase="Pending", waiting_reason="ContainerCreating")
    assert kinds(follow.on_pod("ADDED", new, NOW)) == ["replaced"]
    assert follow.on_pod("DELETED", terminating, NOW) == []
    assert [o.pod for o in follow.outstanding()] == ["web-7d4b9c-q2x8z"]


def test_a_rollout_replaces_the_old_pods_with_the_new_replicasets():
    """For a workload target every pod of the workload stands in for the others: new pods of a new
    ReplicaSet (kubectl set image) come first, then the old ones are deleted."""
    old = backoff_pod("web-7d4b9c-x2x5q", "u1")
    follow = w.Follow(follow_all=True, group=lambda pod: "deploy/web")
    follow.start([old], [], NOW)
    new = running(rs_pod("web-5f6a7b-n3w9z", "u2"))
    new["metadata"]["ownerReferences"][0].update(name="web-5f6a7b", uid="rs2-uid")
    assert kinds(follow.on_pod("ADDED", new, NOW)) == ["added", "running"]
    assert [(c.change, c.text) for c in follow.on_pod("DELETED", old, NOW)] == [("replaced", "replaced by web-5f6a7b-n3w9z")]
    assert follow.outstanding() == []


def test_a_watch_line_neutralises_what_the_cluster_wrote():
    from kubectl_pullmedic.render.view import View
    from kubectl_pullmedic.render.watch import change_line

    change = w.Change(NOW, "shop", "web\x1b]0;pwned\x07", "app", "failing", "ImageNotFound: \x1b[2Jgone\u202e", "ImageNotFound")
    line = change_line(change, View(), all_namespaces=True)
    assert line == "00:05:00  shop/web^[]0;pwned\\x07  app  ImageNotFound: ^[[2Jgone\\u202e\n"
    document = change_line(change, View(output="json"), all_namespaces=True)
    assert "\x1b" not in document and json.loads(document)["pod"] == "web\x1b]0;pwned\x07"


@pytest.mark.parametrize("desired,text", [(1, "deleted (not replaced: the ReplicaSet scaled down)"),
                                          (2, "deleted"), (None, "deleted")])
def test_a_deleted_pod_is_awaited_only_while_its_replicaset_wants_more_pods(desired, text):
    from kubectl_pullmedic.core.replacements import ControllerRead

    first, second = backoff_pod("web-7d4b9c-a", "a"), backoff_pod("web-7d4b9c-b", "b")
    spec = {} if desired is None else {"replicas": desired}
    rs = {"metadata": {"name": "web-7d4b9c", "uid": "rs-uid"}, "spec": spec}
    follow = w.Follow(controller=lambda pod: None if desired is None else ControllerRead("ReplicaSet", "rs-uid", rs))
    follow.start([first, second], [], NOW)
    changes = follow.on_pod("DELETED", first, NOW)
    assert [(c.change, c.text) for c in changes] == [("deleted", text)]
    replacing = [item for item in follow.outstanding() if item.state == "replacing"]
    assert len(replacing) == (0 if desired == 1 else 1)


def test_a_pull_under_way_turns_slow_at_its_time_and_is_said_once():
    from datetime import timedelta

    pod = rs_pod("web-7d4b9c-big", "big", phase="Pending", waiting_reason="ContainerCreating")
    pulling = build_event(pod, "Pulling", f'Pulling image "{IMAGE}"', event_type="Normal",
                          last_seen="2030-01-01T00:04:00Z")
    follow = w.Follow(follow_all=True, slow_pull_after=timedelta(minutes=2))
    follow.start([pod], [pulling], NOW)  # pulling for 1m: not slow yet
    assert follow.next_slow_pull() == datetime(2030, 1, 1, 0, 6, tzinfo=timezone.utc)
    assert follow.on_time(NOW + timedelta(seconds=50)) == []
    later = NOW + timedelta(minutes=1, seconds=2)
    changes = follow.on_time(later)
    assert [(c.change, c.text, c.cause) for c in changes] == [
        ("slow-pull", "slow pull: pulling for 2m2s and not finished (node node-a)", "SlowPull")]
    assert follow.next_slow_pull() is None and follow.on_time(later + timedelta(minutes=1)) == []


def test_a_recounted_event_is_a_line_only_when_it_says_something_new():
    """The kubelet's correlator updates one event object per identical event (MODIFIED, count + 1): a
    pull again is a new attempt, an image found present again (a restart) says nothing new."""
    pod = backoff_pod()
    present = f'Container image "{IMAGE}" already present on machine'
    follow = started([pod], [])
    first = follow.on_event("ADDED", build_event(pod, "Pulled", present, "Normal", count=1), NOW)
    assert [c.text for c in first] == ["image already present on the node"]
    assert follow.on_event("MODIFIED", build_event(pod, "Pulled", present, "Normal", count=2), NOW) == []
    pulled = f'Successfully pulled image "{IMAGE}" in 1.5s (1.5s including waiting). Image size: 1 bytes.'
    assert [c.text for c in follow.on_event("MODIFIED", build_event(pod, "Pulled", pulled, "Normal", count=2), NOW)] == [
        "pulled in 1.5 s"]

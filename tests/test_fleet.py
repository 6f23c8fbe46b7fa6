"""Several contexts in one command, over real HTTP: two sandboxes, an unreachable and a forbidden context.

One kubeconfig names four contexts: ``prod-eu`` and ``prod-us`` (two sandboxes with different
objects, each context with its own namespace), ``down`` (a closed port) and ``locked`` (a sandbox
that refuses everything with RBAC-style 403s): the 401/403 and prompt paths the golden case
``tests/cases/fleet`` (two sandboxes and a down context) does not show.
"""

from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import pytest
import yaml

from conftest import build_event, build_pod
from kubectl_pullmedic.sandbox import Sandbox

NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=timezone.utc)
IMAGE = "registry.example.com/web:2.0"
NOT_FOUND = (f'Failed to pull image "{IMAGE}": rpc error: code = NotFound desc = failed to pull and unpack image '
             f'"{IMAGE}": failed to resolve reference "{IMAGE}": {IMAGE}: not found')
MEMORY = ("The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. Container app was "
          "using 1Gi, request is 256Mi, has larger consumption of memory. ")


def _at(minutes: int) -> str:
    return (NOW - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _namespace(name: str) -> Dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def _failing(name: str, namespace: str, secrets: List[str] = ()) -> List[Dict[str, Any]]:
    """A pod of replicaset/web-7d4b9c that cannot pull IMAGE (the tag does not exist), with its event."""
    pod = build_pod(name, namespace, phase="Pending", waiting_reason="ImagePullBackOff", image=IMAGE,
                    waiting_message=f'Back-off pulling image "{IMAGE}"', uid=f"{name}-uid", created=_at(30))
    pod["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d4b9c",
                                           "uid": "rs-uid", "controller": True}]
    if secrets:
        pod["spec"]["imagePullSecrets"] = [{"name": secret} for secret in secrets]
    return [pod, build_event(pod, "Failed", NOT_FOUND, count=3, first_seen=_at(20), last_seen=_at(2))]


def _evicted(name: str, namespace: str) -> List[Dict[str, Any]]:
    """An evicted pod (memory pressure, 40 minutes ago) and a failed pod clean must keep."""
    evicted = build_pod(name, namespace, phase="Failed", reason="Evicted", message=MEMORY, uid=f"{name}-uid",
                        created=_at(40))
    kept = build_pod(f"{name}-job", namespace, phase="Failed", reason="DeadlineExceeded", uid=f"{name}-kept",
                     created=_at(40))
    return [evicted, kept]


def _node(pressure: bool) -> Dict[str, Any]:
    """node-a in both clusters: under memory pressure in one only."""
    condition = {"type": "MemoryPressure", "status": "True" if pressure else "False"}
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-a"}, "status": {"conditions": [condition]}}


EU = [_namespace("shop"), _node(True), *_failing("web-7d4b9c-aaaaa", "shop", secrets=["regcred"]),
      *_evicted("cache-1", "shop")]
US = [_namespace("shop"), _namespace("web"), _node(False), *_failing("web-7d4b9c-bbbbb", "shop"),
      *_evicted("queue-1", "web")]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_kubeconfig(path: Path, contexts: Sequence[Tuple[str, str, str, Optional[str]]]) -> str:
    """One kubeconfig naming each (context, server URL, token, namespace); cluster and user named as the context."""
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": contexts[0][0],
        "clusters": [{"name": name, "cluster": {"server": url}} for name, url, _, _ in contexts],
        "users": [{"name": name, "user": {"token": token}} for name, _, token, _ in contexts],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name, **({"namespace": ns} if ns else {})}}
                     for name, _, _, ns in contexts],
    }), encoding="utf-8")
    return str(path)


class Fleet:
    def __init__(self, eu: Sandbox, us: Sandbox, locked: Sandbox, kubeconfig: str) -> None:
        self.eu, self.us, self.locked, self.kubeconfig = eu, us, locked, kubeconfig


@pytest.fixture
def fleet(make_sandbox, tmp_path: Path) -> Iterator[Fleet]:
    eu = make_sandbox(objects=EU, clock=lambda: NOW)
    us = make_sandbox(objects=US, clock=lambda: NOW)
    locked = make_sandbox(objects=EU, clock=lambda: NOW, forbid=["*:*"])
    path = write_kubeconfig(tmp_path / "kubeconfig", [
        ("prod-eu", eu.url, eu.token, "shop"), ("prod-us", us.url, us.token, "web"),
        ("down", f"http://127.0.0.1:{_closed_port()}", "unused", "shop"), ("locked", locked.url, locked.token, "shop")])
    yield Fleet(eu, us, locked, path)


@pytest.fixture
def run(pullmedic, fleet: Fleet):
    def invoke(*args: str, expect: int, **kwargs: Any):
        return pullmedic(*args, "--kubeconfig", fleet.kubeconfig, expect=expect, now=NOW, **kwargs)

    return invoke


DOWN = 'Warning: context "down": cannot reach the API server at http://127.0.0.1:'
LOCKED = ('Warning: context "locked": pods is forbidden: User "system:serviceaccount:default:pullmedic" '
          'cannot list resource "pods" in API group "" in the namespace "shop"\n')


def _warnings(stderr: str) -> List[str]:
    return [line for line in stderr.splitlines() if line.startswith("Warning: ")]


def test_all_contexts_why_has_both_clusters_and_one_warning_per_failed_context(run):
    result = run("why", "--all-contexts", expect=1)  # problems found: 1, whatever could not be read
    assert result.stdout.split("\n\n")[0] + "\n" == (
        "CONTEXT   NAMESPACE   POD                CONTAINER   IMAGE                          CAUSE           LAST SEEN\n"
        "prod-eu   shop        cache-1            <none>      <none>                         EvictedMemory   <unknown>\n"
        "prod-eu   shop        web-7d4b9c-aaaaa   app         registry.example.com/web:2.0   ImageNotFound   2m\n"
        "prod-us   web         queue-1            <none>      <none>                         EvictedMemory   <unknown>\n"
    )
    assert "shop/web-7d4b9c-aaaaa  (context prod-eu, container app, owner replicaset/web-7d4b9c" in result.stdout
    warnings = _warnings(result.stderr)
    assert len(warnings) == 2, result.stderr
    assert warnings[0].startswith(DOWN) and warnings[0].endswith(": connection refused")
    assert warnings[1] + "\n" == LOCKED


def test_one_namespace_in_every_context_groups_across_clusters(run):
    """The whole output pinned, with each context's own namespace beside ``-n``."""
    result = run("why", "--context", "prod-eu,prod-us", "-n", "shop", expect=1)
    assert result.stderr == ""
    assert result.stdout == """\
CONTEXT           POD                              CONTAINER   IMAGE                          CAUSE           LAST SEEN
prod-eu           cache-1                          <none>      <none>                         EvictedMemory   <unknown>
prod-eu,prod-us   replicaset/web-7d4b9c (2 pods)   app         registry.example.com/web:2.0   ImageNotFound   2m

shop/cache-1  (context prod-eu, node node-a)
  Cause:         EvictedMemory: evicted from node-a: the node was low on memory (threshold 100Mi, available 50Mi); \
app used 1Gi against a request of 256Mi
  Kubelet said:  The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. Container app \
was using 1Gi, request is 256Mi, has larger consumption of memory.
  Fix (run in context prod-eu):
    1. Node node-a now reports pressure conditions: MemoryPressure
    2. Raise the memory request of container app in pod/cache-1 to 1280Mi (it used 1Gi, request 256Mi): pod \
cache-1 has no controller: re-create it with --requests=memory=1280Mi on container app

shop: 2 pods of replicaset/web-7d4b9c  (contexts prod-eu,prod-us, container app)
  Cause:         ImageNotFound: registry.example.com/web:2.0 does not exist in the registry
  Image:         registry.example.com/web:2.0
  Registry said: registry.example.com/web:2.0: not found
  Seen:          Failed event, 3 times, first 20m ago, last 2m ago
  Back-off:      3 failed pulls so far; next retry due now. ImagePullBackOff is ErrImagePull plus a timer (10s \
doubling to 5m).
  Pods:          web-7d4b9c-aaaaa, web-7d4b9c-bbbbb
  Fix (run in contexts prod-eu, prod-us; shown for prod-eu):
    1. The runtime pulls registry.example.com/web:2.0
    2. List the tags that exist, which also tells whether web exists: skopeo list-tags \
docker://registry.example.com/web
    3. kubectl --context prod-eu set image replicaset/web-7d4b9c app=<registry/repository:tag> -n shop
"""


def test_one_context_is_exactly_the_one_cluster_command(run, pullmedic, fleet: Fleet):
    named = run("why", "--context", "prod-us", expect=1)
    alone = pullmedic("why", "--kubeconfig", fleet.us.kubeconfig_path, "-n", "web", expect=1, now=NOW)
    assert (named.stdout, named.stderr) == (alone.stdout, alone.stderr)
    assert "CONTEXT" not in named.stdout


def test_documents_give_each_item_its_context(run):
    document = run("why", "--all-contexts", "-o", "json", expect=1).json()
    assert sorted((item["context"], item["pod"]) for item in document["items"]) == [
        ("prod-eu", "cache-1"), ("prod-eu", "web-7d4b9c-aaaaa"), ("prod-us", "queue-1")]
    assert len(document["warnings"]) == 2 and document["warnings"][1].startswith('context "locked": ')
    evicted = yaml.safe_load(run("evicted", "--all-contexts", "-o", "yaml", expect=4).stdout)
    assert [(item["context"], item["name"]) for item in evicted["items"]] == [("prod-eu", "cache-1"), ("prod-us", "queue-1")]
    names = run("why", "--all-contexts", "-o", "name", expect=1).stdout
    assert names.splitlines() == ["pod/cache-1", "pod/web-7d4b9c-aaaaa", "pod/queue-1"]  # as kubectl: no context


def test_evicted_and_secrets_check_over_contexts(run):
    evicted = run("evicted", "--all-contexts", expect=4)  # nothing wrong proven, part unread
    assert evicted.stdout.split("\n\n")[0] + "\n" == (
        "CONTEXT   NAMESPACE   POD       OWNER    NODE     KIND           RESOURCE   USAGE/REQUEST   AGE\n"
        "prod-eu   shop        cache-1   <none>   node-a   NodePressure   memory     app 1Gi/256Mi   40m\n"
        "prod-us   web         queue-1   <none>   node-a   NodePressure   memory     app 1Gi/256Mi   40m\n"
    )
    assert len(_warnings(evicted.stderr)) == 2
    grouped = run("evicted", "--context", "prod-eu", "--context", "prod-us", "-A", "--group-by", "node", expect=0)
    assert grouped.stdout.splitlines()[:2] == [
        "CONTEXTS          NODE     PODS   RESOURCES   CONDITIONS   OWNERS",
        "prod-eu,prod-us   node-a   2      memory      <none>       <none>",
    ]
    check = run("secrets-check", "--all-contexts", expect=1)
    assert check.stdout.splitlines()[:4] == [
        "CONTEXT   NAMESPACE   WORKLOAD               CONTAINER   SECRET    SEVERITY   FINDING",
        "prod-eu   shop        pod/web-7d4b9c-aaaaa   <none>      regcred   error      SecretNotFound",
        "",
        '1. SecretNotFound shop/pod/web-7d4b9c-aaaaa in context prod-eu: pull secret "regcred" does not exist in '
        'namespace "shop"',
    ]


def test_wide_reads_each_context_own_node_of_the_same_name(run):
    wide = run("evicted", "--context", "prod-eu,prod-us", "-o", "wide", expect=0)
    rows = [line.split() for line in wide.stdout.splitlines()[1:3]]
    assert [(row[0], row[2], row[-1]) for row in rows] == [("prod-eu", "cache-1", "MemoryPressure"),
                                                            ("prod-us", "queue-1", "none")]


def _pods(sandbox: Sandbox) -> List[str]:
    """The sandbox's pods as its API answers ``GET /api/v1/pods`` (real HTTP, not its store)."""
    import json
    import urllib.request

    request = urllib.request.Request(f"{sandbox.url}/api/v1/pods", headers={"Authorization": f"Bearer {sandbox.token}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        items = json.load(answer)["items"]
    return sorted(f"{obj['metadata']['namespace']}/{obj['metadata']['name']}" for obj in items)


def test_clean_two_contexts_one_plan_one_prompt_each_context_deletes_its_own(run, fleet: Fleet):
    refused = run("clean", "--context", "prod-eu", "--context", "prod-us", "-A", stdin="n\n", tty=True, expect=0)
    assert refused.stderr.count("[y/N]") == 1 and "Nothing deleted." in refused.stderr
    assert "  pod/cache-1 -n shop --context prod-eu  (NodePressure)\n" in refused.stderr
    assert "  pod/queue-1 -n web --context prod-us  (NodePressure)\n" in refused.stderr
    assert "shop/cache-1" in _pods(fleet.eu) and "web/queue-1" in _pods(fleet.us)

    result = run("clean", "--context", "prod-eu", "--context", "prod-us", "-A", stdin="y\n", tty=True, expect=0)
    assert result.stderr.count("Delete 2 pods? [y/N]: ") == 1
    assert result.stdout == (
        'prod-eu   pod "cache-1" deleted from shop namespace\n'
        'prod-us   pod "queue-1" deleted from web namespace\n'
        "deleted 2, already gone 0, skipped 0, failed 0\n"
        '  context "prod-eu": deleted 1, already gone 0, skipped 0, failed 0\n'
        '  context "prod-us": deleted 1, already gone 0, skipped 0, failed 0\n'
    )
    assert _pods(fleet.eu) == ["shop/cache-1-job", "shop/web-7d4b9c-aaaaa"]
    assert _pods(fleet.us) == ["shop/web-7d4b9c-bbbbb", "web/queue-1-job"]
    assert [r.method for r in fleet.locked.requests if r.method == "DELETE"] == []


def test_clean_dry_run_over_contexts_with_failures(run, fleet: Fleet):
    result = run("clean", "--all-contexts", "--dry-run=client", expect=4)
    assert result.stdout == (
        'prod-eu   pod "cache-1" deleted from shop namespace (dry run)\n'
        'prod-us   pod "queue-1" deleted from web namespace (dry run)\n'
        "Would delete 2 pods: 2 NodePressure (prod-eu/shop: 1, prod-us/web: 1).\n"
        "Keeping 2 other failed pods:\n"
        'prod-eu   pod "cache-1-job" kept in shop namespace: failed with reason DeadlineExceeded, not evicted\n'
        'prod-us   pod "queue-1-job" kept in web namespace: failed with reason DeadlineExceeded, not evicted\n'
    )
    assert len(_warnings(result.stderr)) == 2
    assert len(_pods(fleet.eu)) == 3 and len(_pods(fleet.us)) == 3


def test_yes_deletes_without_asking_and_names_each_context(run, fleet: Fleet):
    result = run("clean", "--all-contexts", "--yes", "-o", "json", expect=4)  # two contexts unread: partial
    outcomes = result.json()["items"]
    assert sorted((o["context"], o["name"], o["result"]) for o in outcomes) == [
        ("prod-eu", "cache-1", "deleted"), ("prod-us", "queue-1", "deleted")]
    assert _pods(fleet.eu) == ["shop/cache-1-job", "shop/web-7d4b9c-aaaaa"]
    assert _pods(fleet.us) == ["shop/web-7d4b9c-bbbbb", "web/queue-1-job"]


def test_no_context_readable_is_an_error(run):
    result = run("why", "--context", "down,locked", expect=2)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "error: none of the 2 contexts could be read:"
    assert lines[1].startswith('  context "down": cannot reach the API server') and lines[2].startswith('  context "locked": ')


def test_bad_combinations_and_unknown_contexts(run):
    both = run("why", "--context", "prod-eu", "--all-contexts", expect=2)
    assert both.stderr.startswith("error: --context and --all-contexts cannot be combined\n")
    assert "error: invalid value for '--parallel': 0 is not in the range" in run("why", "--all-contexts", "--parallel", "0", expect=2).stderr
    for args in (["why", "--watch", "--context", "prod-eu,prod-us"],
                 ["retry", "--context", "prod-eu", "--context", "prod-us", "-A"]):  # never one picked silently
        refused = run(*args, expect=2)
        assert refused.stderr.startswith(f"error: {'--watch' if '--watch' in args else 'retry'} works in one context")
    dump = run("why", "--all-contexts", "-f", "-", stdin="", expect=2)
    assert dump.stderr.startswith("error: -f/--filename reads no cluster: it cannot be combined with several contexts")
    unknown = run("evicted", "--context", "prod-eu,nowhere", expect=4)
    assert _warnings(unknown.stderr) == [
        'Warning: context "nowhere": context "nowhere" does not exist (known contexts: down, locked, prod-eu, prod-us)']


def test_a_context_name_from_the_cluster_is_neutralised(run, tmp_path: Path, fleet: Fleet):
    document = yaml.safe_load(Path(fleet.kubeconfig).read_text())
    document["contexts"][0]["name"] = "prod-eu\x1b[2J"
    Path(fleet.kubeconfig).write_text(yaml.safe_dump(document))
    result = run("why", "--all-contexts", expect=1)
    assert "\x1b" not in result.stdout + result.stderr and "prod-eu^[[2J" in result.stdout


def test_context_completion_names_every_context_and_the_next_of_a_list(fleet: Fleet):
    from kubectl_pullmedic.cli.app import cli
    from kubectl_pullmedic.cli.completion import complete_words

    def values(words: List[str]) -> List[str]:
        return [str(item.value) for item in complete_words(cli, words).items]

    assert values(["why", "--kubeconfig", fleet.kubeconfig, "--context", ""]) == ["down", "locked", "prod-eu", "prod-us"]
    assert values(["clean", "--kubeconfig", fleet.kubeconfig, "--context", "prod-eu,prod-"]) == [
        "prod-eu,prod-eu", "prod-eu,prod-us"]
    assert {"--all-contexts", "--parallel"} <= set(values(["evicted", "--"]))


def test_reads_are_bounded_by_parallel_and_run_at_once_up_to_it():
    """--parallel N: never more than N contexts in flight, and N really at once (a barrier of N passes)."""
    import threading

    from kubectl_pullmedic.engine.fleet import read_contexts
    from kubectl_pullmedic.errors import PullmedicError

    lock, state = threading.Lock(), {"now": 0, "most": 0}
    barrier = threading.Barrier(3, timeout=10)

    def read(name: str) -> str:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        try:
            if name.startswith("b"):
                barrier.wait()  # the three b-contexts must be read at the same time
            if name == "no":
                raise PullmedicError("refused")
            return name.upper()
        finally:
            with lock:
                state["now"] -= 1

    results = read_contexts(["b1", "b2", "b3", "no", "c"], read, parallel=3)
    assert [(r.context, r.report, r.error) for r in results] == [
        ("b1", "B1", ""), ("b2", "B2", ""), ("b3", "B3", ""), ("no", None, "refused"), ("c", "C", "")]
    assert state["most"] == 3
    state["most"] = 0
    read_contexts(["x", "y", "z"], lambda name: read(name), parallel=1)
    assert state["most"] == 1


def test_ctrl_c_during_a_multi_context_clean_stops_every_context(pullmedic, make_sandbox, monkeypatch, tmp_path: Path):
    """Contexts delete one after the other: Ctrl-C in the first sends nothing in the second."""
    from test_clean_interrupt import evicted_pods, interrupt_after

    from kubectl_pullmedic.cli import deleting as cli_deleting

    first, second = make_sandbox(objects=evicted_pods(4)), make_sandbox(objects=evicted_pods(4))
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", [("a", first.url, first.token, "shop"),
                                                            ("b", second.url, second.token, "shop")])
    monkeypatch.setattr(cli_deleting, "progress", interrupt_after(2))
    result = pullmedic("clean", "--context", "a,b", "-y", "--concurrency", "1", "--kubeconfig", kubeconfig, expect=130)
    assert [r.path.rsplit("/", 1)[1] for r in first.requests if r.method == "DELETE"] == ["web-0", "web-1"]
    assert [r for r in second.requests if r.method == "DELETE"] == []
    assert "interrupted: 2 of 8 deletes sent, the rest not" in result.stderr
    assert result.stdout.splitlines()[:2] == ['a   pod "web-0" deleted from shop namespace',
                                              'a   pod "web-1" deleted from shop namespace']


def test_probes_stay_with_their_own_cluster_when_pod_names_repeat(pullmedic, make_sandbox, tmp_path: Path):
    """The same pod name in two clusters, each pulling from its own (closed) registry: each answer stays with its pod."""
    sandboxes = {}
    for name in ("a", "b"):
        image = f"127.0.0.1:{_closed_port()}/app:1.0"
        pod = build_pod("web-1", "shop", phase="Pending", waiting_reason="ImagePullBackOff", image=image,
                        uid=f"{name}-uid", created=_at(30))
        message = f'Failed to pull image "{image}": failed to do request: dial tcp: connect: connection refused'
        sandboxes[name] = (make_sandbox(objects=[_namespace("shop"), pod, build_event(pod, "Failed", message)],
                                        clock=lambda: NOW), image)
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", [(n, s.url, s.token, "shop") for n, (s, _) in sandboxes.items()])
    result = pullmedic("why", "--context", "a,b", "--probe", "-o", "json", "--kubeconfig", kubeconfig, expect=1, now=NOW)
    items = result.json()["items"]
    assert [(item["context"], item["pod"], item["probe"]["image"]) for item in items] == [
        ("a", "web-1", sandboxes["a"][1]), ("b", "web-1", sandboxes["b"][1])]
    check = pullmedic("secrets-check", "--context", "a,b", "--probe", "--kubeconfig", kubeconfig, expect=None, now=NOW)
    rows = [line.split()[:2] for line in check.stdout.splitlines() if line.startswith(("CONTEXT", "a ", "b "))]
    assert rows == [["CONTEXT", "IMAGE"], ["a", sandboxes["a"][1]], ["b", sandboxes["b"][1]]], check.stdout


def test_an_unauthorized_context_is_one_warning(run, fleet: Fleet, make_sandbox):
    closed = make_sandbox(objects=EU, allow_anonymous=False)  # a token that is not the server's: 401
    document = yaml.safe_load(Path(fleet.kubeconfig).read_text())
    document["clusters"].append({"name": "expired", "cluster": {"server": closed.url}})
    document["users"].append({"name": "expired", "user": {"token": "not-the-token"}})
    document["contexts"].append({"name": "expired", "context": {"cluster": "expired", "user": "expired"}})
    Path(fleet.kubeconfig).write_text(yaml.safe_dump(document))
    result = run("evicted", "--context", "prod-us,expired", expect=4)
    assert _warnings(result.stderr) == [
        f'Warning: context "expired": the API server at {closed.url} refused the credentials (401 Unauthorized)']
    assert result.stdout.startswith("CONTEXT   POD       OWNER")


def test_server_dry_run_over_contexts_sends_dry_run_deletes_and_keeps_every_pod(run, fleet: Fleet):
    result = run("clean", "--context", "prod-eu,prod-us", "-A", "--dry-run=server", "--yes", expect=0)
    assert result.stdout == (
        'prod-eu   pod "cache-1" deleted from shop namespace (server dry run)\n'
        'prod-us   pod "queue-1" deleted from web namespace (server dry run)\n'
        "would delete (server dry run) 2, already gone 0, skipped 0, failed 0\n"
        '  context "prod-eu": would delete (server dry run) 1, already gone 0, skipped 0, failed 0\n'
        '  context "prod-us": would delete (server dry run) 1, already gone 0, skipped 0, failed 0\n'
    )
    for sandbox in (fleet.eu, fleet.us):
        deletes = [r for r in sandbox.requests if r.method == "DELETE"]
        assert len(deletes) == 1  # each context's own delete, sent with dryRun: the pods stay
    assert "shop/cache-1" in _pods(fleet.eu) and "web/queue-1" in _pods(fleet.us)


def test_patterns_across_clusters_one_registry_pattern_and_each_clusters_own_node(pullmedic, make_sandbox,
                                                                                   tmp_path: Path):
    """The why-patterns case's objects in two clusters: the registry outage is one pattern over both
    (with both clusters' pods); the node-bound failure is each cluster's own node, said twice."""
    from kubectl_pullmedic.sandbox import load_file

    objects = load_file(Path(__file__).parent / "cases" / "why-patterns" / "objects.yaml")
    golden_now = datetime(2026, 11, 30, 12, 0, 0, tzinfo=timezone.utc)
    eu, us = (make_sandbox(objects=objects, clock=lambda: golden_now) for _ in range(2))
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", [("prod-eu", eu.url, eu.token, None),
                                                            ("prod-us", us.url, us.token, None)])
    alone = pullmedic("why", "-A", "-o", "json", "--kubeconfig", eu.kubeconfig_path, expect=1, now=golden_now).json()
    both = pullmedic("why", "-A", "-o", "json", "--all-contexts", "--kubeconfig", kubeconfig, expect=1,
                     now=golden_now).json()
    one = {(p["kind"], p["subject"]): p for p in alone["patterns"]}
    registry = [p for p in both["patterns"] if p["kind"] == "RegistryWide"]
    assert len(registry) == 1 and registry[0]["contexts"] == ["prod-eu", "prod-us"]
    single = one[("RegistryWide", registry[0]["subject"])]
    assert len(registry[0]["pods"]) == 2 * len(single["pods"])
    assert {pod["context"] for pod in registry[0]["pods"]} == {"prod-eu", "prod-us"}
    assert registry[0]["summary"] == f"prod-eu: {single['summary']}; prod-us: {single['summary']}"
    nodes = [p for p in both["patterns"] if p["kind"] == "NodeBound"]
    assert [p["contexts"] for p in nodes] == [["prod-eu"], ["prod-us"]] and "contexts" not in single
    table = pullmedic("why", "-A", "--all-contexts", "--kubeconfig", kubeconfig, expect=1, now=golden_now).stdout
    assert "Pattern RegistryWide (contexts prod-eu, prod-us): prod-eu: every pull from" in table
    assert "Pattern NodeBound (context prod-us): " in table
    # the same pod name in both clusters is two pods: one row, both contexts, counted twice
    assert "prod-eu,prod-us   media       deployment/thumbnailer (2 pods)" in table


def test_o_name_prints_a_pod_of_each_cluster_even_when_their_names_agree(pullmedic, make_sandbox, tmp_path):
    """``-o name`` prints an object once, and a pod in two clusters is two objects, as one in two namespaces is."""
    twins = [make_sandbox(objects=[_namespace("shop"), *_evicted("cache-1", "shop")], clock=lambda: NOW) for _ in "ab"]
    path = write_kubeconfig(tmp_path / "kubeconfig", [(name, sandbox.url, sandbox.token, "shop")
                                                       for name, sandbox in zip(("a", "b"), twins)])
    result = pullmedic("evicted", "--context", "a,b", "-o", "name", "--kubeconfig", path, now=NOW)
    assert result.stdout == "pod/cache-1\npod/cache-1\n"
    assert pullmedic("why", "--context", "a,b", "-o", "name", "--kubeconfig", path, now=NOW, expect=1).stdout == \
        "pod/cache-1\npod/cache-1\n"

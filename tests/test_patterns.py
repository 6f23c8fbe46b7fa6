"""core/patterns: what failing pods share (a node, a registry, an image, a workload, a namespace's secret),
claimed only on the evidence: diagnoses from real pod and event shapes, and what was seen working."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from kubectl_pullmedic.core.diagnose import ClusterFacts, diagnose_pods, group_diagnoses
from kubectl_pullmedic.core.patterns import (
    IMAGE_WIDE, NAMESPACE_WIDE, NODE_BOUND, REGISTRY_WIDE, SAME_NODE, WORKLOAD_WIDE, PodRef, find_patterns,
    nodes_a_pattern_may_name, patterns_of, wants_pull_history,
)
from kubectl_pullmedic.core.working import KEEP_NODES, WorkingImages
from kubectl_pullmedic.render.patterns import pattern_note
from podfixtures import event, pod, waiting

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
UNREACHABLE = ('Failed to pull image "{image}": failed to pull and unpack image "{image}": failed to resolve image: failed '
               'to do request: Head "https://{host}/v2/{repo}/manifests/{tag}": dial tcp 99.83.145.10:443: i/o timeout')
UNAVAILABLE = ('Failed to pull image "{image}": failed to pull and unpack image "{image}": failed to resolve image: '
               'unexpected status from HEAD request to https://{host}/v2/{repo}/manifests/{tag}: 503 Service Unavailable')
UNAUTHORIZED = ('Failed to pull image "{image}": failed to pull and unpack image "{image}": failed to resolve image: '
                'unexpected status from HEAD request to https://{host}/v2/{repo}/manifests/{tag}: 401 Unauthorized')
NOT_FOUND = ('Failed to pull image "{image}": rpc error: code = NotFound desc = failed to pull and unpack image "{image}": '
             'failed to resolve reference "{image}": {image}: not found')


class Cluster:
    """Failing pods with their Failed events, and running pods, as the API server returns them."""

    def __init__(self) -> None:
        self.pods: List[Dict[str, Any]] = []
        self.events: List[Dict[str, Any]] = []

    def failing(self, name: str, node: Optional[str], image: str, wording: str = UNREACHABLE, *, namespace: str = "shop",
                workload: Optional[str] = None, first: str = "2026-03-01T11:40:00Z", secrets: Optional[List[str]] = None) -> None:
        uid = f"uid-{len(self.pods)}"
        host, rest = image.split("/", 1)
        repo, tag = rest.rsplit(":", 1)
        labels = {"pod-template-hash": "5f7c9d8b6x"}
        owner = {"kind": "ReplicaSet", "name": f"{workload or name}-5f7c9d8b6x", "uid": f"rs-{workload or name}",
                 "controller": True}
        self.pods.append(pod(name, uid=uid, namespace=namespace, node=node, owner=owner, labels=labels, secrets=secrets,
                             containers=[{"name": "app", "image": image}],
                             statuses=[waiting("app", "ImagePullBackOff", f'Back-off pulling image "{image}"')]))
        failed = event("Failed", wording.format(image=image, host=host, repo=repo, tag=tag), uid=uid, name=name,
                       first=first, count=4)
        failed["involvedObject"]["namespace"] = namespace
        self.events.append(failed)
        if secrets:
            missing = event("FailedToRetrieveImagePullSecret", f"Unable to retrieve some image pull secrets ({', '.join(secrets)}); "
                            "attempting to pull the image may not succeed.", uid=uid, name=name, field_path=None, first=first)
            missing["involvedObject"]["namespace"] = namespace
            self.events.append(missing)

    def diagnoses(self, facts: ClusterFacts = ClusterFacts()):
        return diagnose_pods(self.pods, self.events, now=NOW, facts=facts)

    def patterns(self, working: Optional[WorkingImages] = None, facts: ClusterFacts = ClusterFacts()):
        return find_patterns(self.diagnoses(facts), working, NOW)


def running(image: str, node: str, namespace: str = "shop") -> Dict[str, Any]:
    return pod(f"ok-{node}", uid=f"ok-{node}-{image}", namespace=namespace, node=node, phase="Running",
               containers=[{"name": "app", "image": image}],
               statuses=[{"name": "app", "state": {"running": {"startedAt": "2026-03-01T11:00:00Z"}}}])


def pulled(image: str, node: str, at: str, message: str = 'Successfully pulled image "{image}" in 4.1s (4.1s including '
           'waiting). Image size: 48211537 bytes.') -> Dict[str, Any]:
    return {"involvedObject": {"kind": "Pod", "name": "ok", "namespace": "shop", "uid": "ok"}, "reason": "Pulled",
            "type": "Normal", "message": message.format(image=image), "source": {"component": "kubelet", "host": node},
            "firstTimestamp": at, "lastTimestamp": at, "count": 1}


def seen(*pods: Dict[str, Any], events: List[Dict[str, Any]] = ()) -> WorkingImages:
    working = WorkingImages()
    for item in pods:
        working.add_pod(item)
    for item in events:
        working.add_event(item)
    return working


def kinds(patterns) -> List[str]:
    return [pattern.kind for pattern in patterns]


THUMBS = "public.ecr.aws/acme/thumbnailer:3.2.0"
TRANSCODER = "public.ecr.aws/acme/transcoder:1.9.0"


def test_one_pod_is_no_pattern():
    cluster = Cluster()
    cluster.failing("thumbs-1", "node-e", THUMBS)
    assert cluster.patterns(seen(running(THUMBS, "node-a"))) == []


def test_node_bound_is_claimed_only_with_a_success_on_another_node():
    cluster = Cluster()
    cluster.failing("thumbs-1", "node-e", THUMBS, workload="thumbs")
    cluster.failing("transcoder-1", "node-e", TRANSCODER, workload="transcoder")
    # Nothing seen working elsewhere: the failures are on node-e, and no more is said.
    [alone] = cluster.patterns(seen(running("nginx:1.27", "node-a")))
    assert alone.kind == SAME_NODE and alone.subject == "node-e"
    assert "only there" in alone.summary and "runs" not in alone.summary
    # The same image runs on node-a (and pulled there at 11:41): the node is what differs.
    working = seen(running(THUMBS, "node-a"), events=[pulled(THUMBS, "node-a", "2026-03-01T11:41:09Z")])
    [bound] = cluster.patterns(working)
    assert bound.kind == NODE_BOUND and bound.nodes == ["node-e"]
    assert bound.summary == ("2 pods fail on node-e only; 1 of these 2 images run on node-a "
                             "(pulled on node-a at 11:41 UTC)")
    assert bound.pods == [PodRef("shop", "thumbs-1"), PodRef("shop", "transcoder-1")]
    assert any("kubectl debug node/node-e" in step for step in bound.checks)
    assert any("from node-a, where it works" in step for step in bound.checks)
    assert wants_pull_history([alone]) and wants_pull_history([bound])


def test_a_node_pattern_needs_failures_there_only():
    cluster = Cluster()
    cluster.failing("thumbs-1", "node-e", THUMBS, workload="thumbs")
    cluster.failing("transcoder-1", "node-e", TRANSCODER, workload="transcoder")
    cluster.failing("thumbs-2", "node-b", THUMBS, workload="thumbs")  # the same registry fails on node-b too
    assert NODE_BOUND not in kinds(cluster.patterns(seen(running(THUMBS, "node-a"))))


def test_replicas_of_one_workload_on_one_node_are_no_pattern_without_a_success_elsewhere():
    cluster = Cluster()
    cluster.failing("thumbs-1", "node-e", THUMBS, workload="thumbs")
    cluster.failing("thumbs-2", "node-e", THUMBS, workload="thumbs")
    assert cluster.patterns(seen(running("nginx:1.27", "node-a"))) == []
    assert kinds(cluster.patterns(seen(running(THUMBS, "node-a")))) == [NODE_BOUND]


def test_a_pod_with_no_node_does_not_count_for_a_node():
    cluster = Cluster()
    cluster.failing("thumbs-1", "node-e", THUMBS, workload="thumbs")
    # Not scheduled (or its node not on record): no node to blame, whatever runs elsewhere.
    cluster.failing("exporter-1", None, "quay.io/acme/exporter:1.0.0", workload="exporter")
    cluster.failing("agent-1", None, "quay.io/acme/agent:2.0.0", workload="agent")
    assert [d.node for d in cluster.diagnoses()] == ["node-e", None, None]
    working = seen(running(THUMBS, "node-a"), running("quay.io/acme/exporter:1.0.0", "node-b"))
    assert cluster.patterns(working) == []
    cluster.failing("uploader-1", "node-e", "public.ecr.aws/acme/uploader:0.4.1", workload="uploader")
    [bound] = cluster.patterns(working)
    assert bound.kind == NODE_BOUND and bound.pods == [PodRef("shop", "thumbs-1"), PodRef("shop", "uploader-1")]


def test_registry_wide_needs_several_images_on_several_nodes():
    cluster = Cluster()
    cluster.failing("inventory-1", "node-a", "artifacts.acme.io/warehouse/inventory:5.1.0", UNAVAILABLE,
                    workload="inventory", first="2026-03-01T11:48:05Z")
    cluster.failing("inventory-2", "node-d", "artifacts.acme.io/warehouse/inventory:5.1.0", UNAVAILABLE,
                    workload="inventory", first="2026-03-01T11:48:12Z")
    cluster.failing("picker-1", "node-b", "artifacts.acme.io/warehouse/picker:2.3.1", UNAVAILABLE,
                    workload="picker", first="2026-03-01T11:48:40Z")
    working = seen(events=[pulled("docker.io/acme/label-printer:2.0.0", "node-a", "2026-03-01T11:55:03Z")])
    [wide] = cluster.patterns(working)
    assert wide.kind == REGISTRY_WIDE and wide.subject == "artifacts.acme.io"
    assert wide.summary == ("every pull from artifacts.acme.io has failed with RegistryServerError on 3 nodes "
                            "(3 pods, 2 images)")
    assert wide.since == datetime(2026, 3, 1, 11, 48, 5, tzinfo=timezone.utc)
    assert "pulls from docker.io succeeded after the first failure" in wide.evidence
    # A pull from the same registry that worked after the first failure: not every pull fails.
    working.add_event(pulled("artifacts.acme.io/warehouse/labels:1.0.0", "node-c", "2026-03-01T11:50:00Z"))
    [partial] = cluster.patterns(working)
    assert partial.summary.startswith("pulls from artifacts.acme.io fail with") and "node-c" in partial.evidence[1]


def test_one_image_failing_in_several_workloads_is_image_wide_not_registry_wide():
    cluster = Cluster()
    image = "ghcr.io/acme/api:1.4.0"
    cluster.failing("web-1", "node-a", image, NOT_FOUND, workload="web")
    cluster.failing("worker-1", "node-b", image, NOT_FOUND, workload="worker")
    cluster.failing("jobs-1", "node-c", image, UNAVAILABLE, namespace="batch", workload="jobs")
    patterns = cluster.patterns()
    assert kinds(patterns) == [IMAGE_WIDE]
    assert patterns[0].subject == image and patterns[0].causes == ["ImageNotFound"]
    assert patterns[0].summary == "ghcr.io/acme/api:1.4.0 fails in 2 workloads with ImageNotFound on 2 nodes"
    assert PodRef("batch", "jobs-1") not in patterns[0].pods


def test_a_workload_failing_on_several_nodes_is_workload_wide():
    cluster = Cluster()
    cluster.failing("web-1", "node-a", "ghcr.io/acme/web:2.0.0", NOT_FOUND, workload="web")
    cluster.failing("web-2", "node-b", "ghcr.io/acme/web:2.0.0", NOT_FOUND, workload="web")
    [wide] = cluster.patterns()
    assert wide.kind == WORKLOAD_WIDE and wide.subject == "shop/deployment/web" and wide.nodes == ["node-a", "node-b"]
    assert any("rollout history deployment/web -n shop" in step for step in wide.checks)


def test_namespace_wide_missing_secret():
    cluster = Cluster()
    for name, node in (("builder", "node-a"), ("renderer", "node-d"), ("archiver", "node-d")):
        cluster.failing(f"{name}-1", node, f"harbor.acme.io/reports/{name}:1.0.0", UNAUTHORIZED, namespace="reports",
                        workload=name, secrets=["harbor-reports"])
    working = seen(running("harbor.acme.io/shop/cart:1.0.0", "node-b", namespace="shop"))
    [wide] = cluster.patterns(working)
    assert wide.kind == NAMESPACE_WIDE and wide.subject == "reports"
    assert wide.summary == "3 workloads in reports name pull secret harbor-reports, which does not exist in reports"
    assert "pods in shop run images from harbor.acme.io" in wide.evidence
    assert any("kubectl get secrets -A --field-selector metadata.name=harbor-reports" in step for step in wide.checks)
    # One workload naming it is that workload's problem, not the namespace's.
    one = Cluster()
    one.failing("builder-1", "node-a", "harbor.acme.io/reports/builder:1.0.0", UNAUTHORIZED, namespace="reports",
                workload="builder", secrets=["harbor-reports"])
    one.failing("builder-2", "node-a", "harbor.acme.io/reports/builder:1.0.0", UNAUTHORIZED, namespace="reports",
                workload="builder", secrets=["harbor-reports"])
    assert NAMESPACE_WIDE not in kinds(one.patterns())


def test_the_first_failure_is_the_pattern_start_and_the_groups_carry_a_note():
    cluster = Cluster()
    cluster.failing("thumbs-1", "node-e", THUMBS, workload="thumbs", first="2026-03-01T11:44:00Z")
    cluster.failing("transcoder-1", "node-e", TRANSCODER, workload="transcoder", first="2026-03-01T11:40:32Z")
    [bound] = cluster.patterns(seen(running(THUMBS, "node-a"), running(TRANSCODER, "node-b")))
    assert bound.since == datetime(2026, 3, 1, 11, 40, 32, tzinfo=timezone.utc)
    groups = group_diagnoses(cluster.diagnoses())
    assert all(patterns_of(group, [bound]) == [bound] for group in groups)
    assert pattern_note(groups[0], [bound], NOW) == "NodeBound node-e (2 pods, since 11:40 UTC)"


def test_what_was_seen_working_stays_bounded_and_only_real_pulls_count():
    working = WorkingImages()
    for number in range(3 * KEEP_NODES):
        working.add_pod(running(THUMBS, f"node-{number}"))
    assert len(working.repositories[("public.ecr.aws", "acme/thumbnailer")].nodes) == KEEP_NODES
    assert len(working.nodes) == 3 * KEEP_NODES
    present = pulled(TRANSCODER, "node-a", "2026-03-01T11:41:00Z", 'Container image "{image}" already present on machine')
    working.add_event(present)
    assert ("public.ecr.aws", "acme/transcoder") not in working.repositories
    assert working.running_images == frozenset({("public.ecr.aws", "acme/thumbnailer")})


def test_node_images_count_as_seen_working():
    working = WorkingImages()
    working.add_node({"metadata": {"name": "node-b"}, "status": {"images": [
        {"names": ["public.ecr.aws/acme/thumbnailer@sha256:" + "a" * 64, "public.ecr.aws/acme/thumbnailer:3.2.0"],
         "sizeBytes": 48211537}, {"names": None}, "not an image"]}})
    assert working.repositories[("public.ecr.aws", "acme/thumbnailer")].nodes == {"node-b": None}


# ---------------------------------------------------------------- through the CLI, over HTTP


PULLED_EVERYWHERE = "type=Normal,involvedObject.kind=Pod,reason=Pulled"


def _pulled_lists(sandbox) -> List[Any]:
    """The Pulled-event lists not narrowed to some pods' uids: the one read only for a pattern."""
    return [r for r in sandbox.requests if r.path.endswith("/events")
            and r.query.get("fieldSelector") == PULLED_EVERYWHERE]


def test_the_scenario_patterns_are_named_with_their_pods(pullmedic, scenario_sandbox):
    document = pullmedic("why", "-A", "-o", "json", sandbox=scenario_sandbox, expect=1).json()
    found = {(p["kind"], p["subject"]): sorted(f'{pod["namespace"]}/{pod["name"]}' for pod in p["pods"])
             for p in document["patterns"]}
    assert found == {
        ("NodeBound", "node-e"): ["media/thumbnailer-5f7c9d8b6x-x7n5v", "media/transcoder-7d9b8c6f4q-r9c4j",
                                  "media/uploader-6c8f7b5d9w-m3t8s"],
        ("RegistryWide", "artifacts.acme.io"): ["warehouse/inventory-8b6d5f9c7k-v6k9q", "warehouse/inventory-8b6d5f9c7k-w2x7l",
                                                "warehouse/picker-9c7f6d8b5m-t4z8n", "warehouse/shipping-api-4f9d7c6b8p-j8r3c"],
        ("NamespaceWide", "reports"): ["reports/archiver-8f6b7d5c9v-g4s8h", "reports/pdf-renderer-7b5c8f9d6r-z5m2k",
                                       "reports/report-builder-6d9f8c7b5t-p3l7x"],
    }
    node_bound = next(p for p in document["patterns"] if p["kind"] == "NodeBound")
    # the newest pull of the same images elsewhere: transcoder's on node-b, 62 s after thumbnailer's on node-a
    assert "the same images run on node-a, node-b and node-c" not in node_bound["summary"]
    assert "2 of these 3 images run on node-a, node-b and node-c (pulled on node-b at " in node_bound["summary"]
    table = pullmedic("why", "-A", sandbox=scenario_sandbox, expect=1).stdout
    assert "Pattern NodeBound: 3 pods fail on node-e only" in table
    assert table.count("  Pattern:       RegistryWide artifacts.acme.io (4 pods, since ") == 3  # 3 findings, 4 pods


def test_the_pulled_list_is_read_only_when_a_node_or_registry_pattern_shows(pullmedic, scenario_sandbox):
    scenario_sandbox.clear_requests()
    pullmedic("why", "-n", "reports", sandbox=scenario_sandbox, expect=1)  # a namespace pattern: nothing more read
    assert _pulled_lists(scenario_sandbox) == []
    pullmedic("why", "-n", "shop", sandbox=scenario_sandbox, expect=1)  # no pattern
    assert _pulled_lists(scenario_sandbox) == []
    pullmedic("why", "-n", "media", sandbox=scenario_sandbox, expect=1)  # a node pattern: one list of the scope
    [listed] = _pulled_lists(scenario_sandbox)
    assert listed.path == "/api/v1/namespaces/media/events"


def test_a_refusal_or_an_unknown_cause_is_blamed_on_a_node_only_when_the_same_image_works_elsewhere():
    cluster = Cluster()
    cluster.failing("fraud-1", "node-a", "harbor.acme.io/payments/fraud:1.8.0", UNAUTHORIZED, workload="fraud")
    cluster.failing("payouts-1", "node-a", "harbor.acme.io/payments/payouts:2.0.0", UNAUTHORIZED, workload="payouts")
    # Other pods pull from harbor.acme.io on node-d (with their own secrets): these send none, and that is why.
    [wide] = cluster.patterns(seen(running("harbor.acme.io/payments/ledger:4.2.0", "node-d")))
    assert wide.kind == NAMESPACE_WIDE and wide.summary == "2 workloads in shop send no pull secret for harbor.acme.io"
    unknown = Cluster()
    unknown.failing("notebook-1", "node-c", "quay.io/acme/notebook:1.0.0", "Failed to pull image \"{image}\": "
                    "rpc error: code = Unknown desc = something odd", workload="notebook")
    unknown.failing("trainer-1", "node-c", "quay.io/acme/trainer:2.3.0", "Failed to pull image \"{image}\": "
                    "rpc error: code = Unknown desc = something odd", workload="trainer")
    assert {d.cause for d in unknown.diagnoses()} == {"PullFailed"}
    assert unknown.patterns(seen(running("quay.io/acme/other:1.0.0", "node-b"))) == []
    [bound] = unknown.patterns(seen(running("quay.io/acme/trainer:2.3.0", "node-b")))
    assert bound.kind == NODE_BOUND and bound.summary.startswith("2 pods fail on node-c only; 1 of these 2 images run on node-b")


# ---------------------------------------------------------------- invariants over many clusters

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import event as tally  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

WORDINGS = (UNREACHABLE, UNAVAILABLE, UNAUTHORIZED, NOT_FOUND)
FAILING_POD = st.tuples(st.sampled_from(["node-a", "node-b", "node-e", None]),
                        st.sampled_from(["public.ecr.aws/acme/a:1", "public.ecr.aws/acme/b:2", "quay.io/acme/c:3",
                                         "artifacts.acme.io/w/d:4"]),
                        st.sampled_from(WORDINGS), st.sampled_from(["shop", "reports"]),
                        st.sampled_from(["web", "worker", "jobs"]), st.booleans(), st.integers(0, 59))
RUNNING_POD = st.tuples(st.sampled_from(["public.ecr.aws/acme/a:1", "quay.io/acme/c:3", "docker.io/library/nginx:1.27"]),
                        st.sampled_from(["node-a", "node-b", "node-c", "node-e"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FAILING_POD, max_size=9), st.lists(RUNNING_POD, max_size=4))
def test_patterns_hold_only_what_the_evidence_shows(failing, runs):
    cluster = Cluster()
    for number, (node, image, wording, namespace, workload, secret, minute) in enumerate(failing):
        cluster.failing(f"{workload}-{number}", node, image, wording, namespace=namespace, workload=workload,
                        first=f"2026-03-01T11:{minute:02d}:00Z", secrets=["regcred"] if secret else None)
    working = seen(*(running(image, node) for image, node in runs))
    diagnoses = cluster.diagnoses()
    patterns = cluster.patterns(working)
    covered = [pod for pattern in patterns for pod in pattern.pods]
    assert len(covered) == len(set(covered)), "a pod is in one pattern at most"
    by_pod = {PodRef(d.namespace, d.pod): d for d in diagnoses}
    for pattern in patterns:
        tally(pattern.kind)
        assert len(pattern.pods) >= 2 and set(pattern.pods) <= set(by_pod)
        mine = [by_pod[pod] for pod in pattern.pods]
        assert pattern.since == min(d.since for d in mine)
        assert set(pattern.causes) == {d.cause for d in mine}
        if pattern.kind in (NODE_BOUND, SAME_NODE):
            assert {d.node for d in mine} == {pattern.subject}, "a node pattern holds pods of that node only"
            others = [d for d in diagnoses if d.node and d.node != pattern.subject]
            assert not {d.image for d in others} & {d.image for d in mine}, "and its images fail nowhere else"
        if pattern.kind == NODE_BOUND:
            repos = {(d.evidence.reference.registry, d.evidence.reference.repository) for d in mine}
            worked = {node for registry, _ in repos if registry in working.registries
                      for node in working.registries[registry].nodes}
            assert worked - {pattern.subject}, "NodeBound needs a success on another node"
        if pattern.kind == REGISTRY_WIDE:
            assert len({d.node for d in mine}) >= 2 and len({d.image for d in mine}) >= 2
            assert {d.evidence.reference.registry for d in mine} == {pattern.subject}


def test_a_node_pattern_on_a_deleted_node_names_no_command_against_it():
    cluster = Cluster()
    cluster.failing("thumbs-1", "node-e", THUMBS, workload="thumbs")
    cluster.failing("transcoder-1", "node-e", TRANSCODER, workload="transcoder")
    assert nodes_a_pattern_may_name(cluster.diagnoses()) == {"node-e"}  # read before its checks name it
    working = seen(running(THUMBS, "node-a"))
    # node-e read and absent (a 404): the pattern holds, its checks say the node is gone.
    [gone] = cluster.patterns(working, ClusterFacts(nodes={"node-a": {}}))
    assert gone.kind == NODE_BOUND and "node node-e no longer exists (deleted after the pods were placed)" in gone.evidence
    assert gone.checks[0].startswith("Node node-e no longer exists")
    assert "kubectl delete pods -A --field-selector spec.nodeName=node-e" in gone.checks[1]
    assert not any("node/node-e" in step or "cordon node-e" in step or "describe node node-e" in step
                   for step in gone.checks)
    # node-e refused (403): unknown, the checks of today.
    [unknown] = cluster.patterns(working, ClusterFacts(nodes={"node-a": {}}, unreadable={"nodes": {"node-e": "forbidden"}}))
    assert "kubectl cordon node-e" in unknown.checks[-1] and not any("no longer exists" in line for line in unknown.evidence)


def test_a_registry_pattern_checks_from_a_failing_node_that_still_exists():
    cluster = Cluster()
    for name, node, image in (("inventory-1", "node-a", "artifacts.acme.io/warehouse/inventory:5.1.0"),
                              ("inventory-2", "node-d", "artifacts.acme.io/warehouse/inventory:5.1.0"),
                              ("picker-1", "node-b", "artifacts.acme.io/warehouse/picker:2.3.1")):
        cluster.failing(name, node, image, UNAVAILABLE, workload=name.split("-")[0])
    assert nodes_a_pattern_may_name(cluster.diagnoses()) == {"node-a", "node-b", "node-d"}
    [wide] = cluster.patterns(seen(), ClusterFacts(nodes={"node-b": {}, "node-d": {}}))  # node-a deleted
    assert "from a failing node: kubectl debug node/node-b " in wide.checks[0]
    [none_left] = cluster.patterns(seen(), ClusterFacts(nodes={}))
    assert "debug node/" not in none_left.checks[0] and none_left.checks[0].endswith("Its status page")

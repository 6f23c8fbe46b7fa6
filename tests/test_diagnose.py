"""diagnose_pods over small hand-built pods and events, and the helpers around it."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import pytest
from podfixtures import (
    EVICTED, GHCR_401, NOT_FOUND, NOW, PASSWORD, dockerconfig_secret, event, ghcr_pod, not_found, one, pod, waiting,
)

from kubectl_pullmedic.core import causes as c
from kubectl_pullmedic.core.diagnose import (
    ClusterFacts,
    describe_healthy,
    diagnose_pods,
    facts_needed,
    group_diagnoses,
    has_problem,
)
from kubectl_pullmedic.core.pulls.imageref import corrected_reference
from kubectl_pullmedic.core.workloads import OwnerIndex
from kubectl_pullmedic.core.serialize import as_document


# --- matching ----------------------------------------------------------------------------


def test_failed_event_names_the_cause_and_the_workload():
    d = one(diagnose_pods([pod(statuses=[waiting("app", "ImagePullBackOff", 'Back-off pulling image "nginx:1.99"')])],
                          [not_found(count=4)], now=NOW))
    assert (d.cause, d.container, d.container_type, d.owner, d.node) == (
        c.IMAGE_NOT_FOUND, "app", "regular", "deployment/api", "node-1")
    assert d.message == "docker.io/library/nginx:1.99: not found"
    assert as_document(d.evidence)["source"] == "event"
    assert as_document(d.evidence)["event"]["count"] == 4
    assert d.since == datetime(2026, 3, 1, 11, 50, tzinfo=timezone.utc)
    assert "kubectl set image deployment/api app=nginx:<tag> -n shop" in d.fix


def test_events_of_an_older_pod_with_the_same_name_are_ignored():
    old = not_found(uid="uid-OLD")
    d = one(diagnose_pods([pod(statuses=[waiting("app", "ImagePullBackOff", 'Back-off pulling image "nginx:1.99"')])],
                          [old], now=NOW))
    assert d.cause == c.PULL_FAILED
    assert as_document(d.evidence)["causeKnown"] is False
    assert as_document(d.evidence)["event"] is None
    assert "no longer on record" in d.summary
    assert any("--watch" in step for step in d.fix)


def test_events_are_matched_to_containers_by_field_path():
    containers = [{"name": "app", "image": "nginx:1.99"}, {"name": "sidecar", "image": "ghcr.io/acme/proxy:2"}]
    statuses = [waiting("app", "ErrImagePull"), waiting("sidecar", "ErrImagePull")]
    events = [
        not_found(),
        event("Failed", 'Failed to pull image "ghcr.io/acme/proxy:2": failed to pull and unpack image '
                        '"ghcr.io/acme/proxy:2": failed to resolve reference "ghcr.io/acme/proxy:2": failed to '
                        'authorize: failed to fetch anonymous token: unexpected status from GET request to '
                        'https://ghcr.io/token?scope=repository%3Aacme%2Fproxy%3Apull&service=ghcr.io: 401 Unauthorized',
              field_path="spec.containers{sidecar}"),
    ]
    found = {d.container: d.cause for d in diagnose_pods([pod(containers=containers, statuses=statuses)], events, now=NOW)}
    assert found == {"app": c.IMAGE_NOT_FOUND, "sidecar": c.REGISTRY_AUTH_REQUIRED}


def test_an_event_without_field_path_is_matched_by_the_image_it_names():
    d = one(diagnose_pods([pod(statuses=[waiting("app", "ErrImagePull")])], [not_found(field_path=None)], now=NOW))
    assert d.cause == c.IMAGE_NOT_FOUND


def test_the_newest_failure_wins():
    older = event("Failed", 'Failed to pull image "nginx:1.99": rpc error: code = Unknown desc = failed to pull and '
                            'unpack image "docker.io/library/nginx:1.99": failed to resolve reference '
                            '"docker.io/library/nginx:1.99": failed to do request: Head '
                            '"https://registry-1.docker.io/v2/library/nginx/manifests/1.99": dial tcp: lookup '
                            'registry-1.docker.io: no such host', last="2026-03-01T11:40:00Z")
    d = one(diagnose_pods([pod(statuses=[waiting("app", "ErrImagePull")])], [older, not_found()], now=NOW))
    assert d.cause == c.IMAGE_NOT_FOUND


def test_init_containers_are_diagnosed():
    init = [{"name": "migrate", "image": "registry.example.com/db/migrate:3"}]
    message = ('Failed to pull image "registry.example.com/db/migrate:3": rpc error: code = Unknown desc = failed to '
               'pull and unpack image "registry.example.com/db/migrate:3": failed to resolve reference '
               '"registry.example.com/db/migrate:3": failed to do request: Head '
               '"https://registry.example.com/v2/db/migrate/manifests/3": dial tcp 10.0.0.9:443: i/o timeout')
    p = pod(init=init, init_statuses=[waiting("migrate", "ImagePullBackOff")],
            statuses=[waiting("app", "PodInitializing")])
    d = one(diagnose_pods([p], [event("Failed", message, field_path="spec.initContainers{migrate}")], now=NOW))
    assert (d.container, d.container_type, d.cause) == ("migrate", "init", c.REGISTRY_UNREACHABLE)
    assert any("kubectl debug node/node-1" in step and "registry.example.com" in step for step in d.fix)


def test_ephemeral_containers_are_diagnosed_and_cannot_be_changed_in_place():
    p = pod(statuses=[{"name": "app", "state": {"running": {}}}], phase="Running")
    p["spec"]["ephemeralContainers"] = [{"name": "debugger", "image": "busyboxx"}]
    p["status"]["ephemeralContainerStatuses"] = [waiting("debugger", "ErrImagePull")]
    message = ('Failed to pull image "busyboxx": failed to pull and unpack image "docker.io/library/busyboxx:latest": '
               'failed to resolve reference "docker.io/library/busyboxx:latest": pull access denied, repository does '
               'not exist or may require authorization: server message: insufficient_scope: authorization failed')
    d = one(diagnose_pods([p], [event("Failed", message, field_path="spec.ephemeralContainers{debugger}")], now=NOW))
    assert (d.container_type, d.cause) == ("ephemeral", c.IMAGE_NOT_FOUND)
    assert any("cannot be changed" in step for step in d.fix)


def test_events_k8s_io_shape_is_understood():
    e = {"regarding": {"kind": "Pod", "uid": "uid-1", "fieldPath": "spec.containers{app}"}, "reason": "Failed",
         "note": NOT_FOUND.format(image="nginx:1.99", ref="docker.io/library/nginx:1.99"),
         "eventTime": "2026-03-01T11:55:00.000000Z", "series": {"count": 7, "lastObservedTime": "2026-03-01T11:59:00Z"}}
    d = one(diagnose_pods([pod(statuses=[waiting("app", "ImagePullBackOff")])], [e], now=NOW))
    assert d.cause == c.IMAGE_NOT_FOUND
    assert as_document(d.backoff)["attempts"] == 7
    assert as_document(d.backoff)["lastAttempt"] == "2026-03-01T11:59:00Z"


# --- expired events and the waiting message ----------------------------------------------


def test_waiting_message_stands_in_when_events_expired():
    message = ('Back-off pulling image "nginx:1.99": ErrImagePull: rpc error: code = NotFound desc = failed to pull '
               'and unpack image "docker.io/library/nginx:1.99": failed to resolve reference '
               '"docker.io/library/nginx:1.99": docker.io/library/nginx:1.99: not found')
    d = one(diagnose_pods([pod(statuses=[waiting("app", "ImagePullBackOff", message)])], [], now=NOW))
    assert (d.cause, as_document(d.evidence)["source"]) == (c.IMAGE_NOT_FOUND, "waiting-message")
    assert as_document(d.backoff)["attempts"] is None
    assert d.since == datetime(2026, 3, 1, 11, 0, tzinfo=timezone.utc)  # the pod's age


def test_err_image_pull_waiting_message_is_the_cri_error_itself():
    message = ('rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/nginx:1.99": '
               'failed to copy: httpReadSeeker: failed open: unexpected status code '
               'https://registry-1.docker.io/v2/library/nginx/manifests/1.99: 429 Too Many Requests - Server '
               'message: toomanyrequests: You have reached your pull rate limit.')
    d = one(diagnose_pods([pod(statuses=[waiting("app", "ErrImagePull", message)])], [], now=NOW))
    assert d.cause == c.REGISTRY_RATE_LIMITED
    assert any("docker.io (Docker Hub) limits pulls" in step for step in d.fix)


def test_registry_unavailable_without_words_is_unreachable():
    d = one(diagnose_pods([pod(statuses=[waiting("app", "RegistryUnavailable",
                                                 "image pull failed for nginx:1.99 because the registry is "
                                                 "unavailable")])], [], now=NOW))
    assert d.cause == c.REGISTRY_UNREACHABLE


# --- backoff ------------------------------------------------------------------------------


@pytest.mark.parametrize("count,delay", [(1, 10), (2, 20), (3, 40), (5, 160), (6, 300), (40, 300)])
def test_backoff_doubles_from_10s_to_300s(count, delay):
    d = one(diagnose_pods([pod(statuses=[waiting("app", "ImagePullBackOff")])],
                          [not_found(count=count, last="2026-03-01T11:59:55Z")], now=NOW))
    assert as_document(d.backoff)["attempts"] == count
    assert as_document(d.backoff)["delaySeconds"] == delay
    assert as_document(d.backoff)["nextRetryInSeconds"] == delay - 5
    assert "ErrImagePull plus a timer" in as_document(d.backoff)["note"]


def test_backoff_sums_attempts_across_messages_and_reports_overdue_as_zero():
    dns = event("Failed", 'Failed to pull image "nginx:1.99": dial tcp: lookup registry-1.docker.io: no such host',
                count=2, last="2026-03-01T11:00:00Z")
    d = one(diagnose_pods([pod(statuses=[waiting("app", "ImagePullBackOff")])], [dns, not_found(count=3)], now=NOW))
    assert as_document(d.backoff)["attempts"] == 5
    assert as_document(d.backoff)["nextRetry"] == "2026-03-01T12:00:40Z"
    assert as_document(d.backoff)["nextRetryInSeconds"] == 40


def test_no_backoff_for_causes_that_are_not_retried_pulls():
    inspect = event("InspectFailed", 'Failed to apply default image tag "MyApp:1": couldn\'t parse image name '
                                     '"MyApp:1": invalid reference format: repository name (library/MyApp) must be '
                                     'lowercase')
    p = pod(containers=[{"name": "app", "image": "MyApp:1"}], statuses=[waiting("app", "InvalidImageName")])
    d = one(diagnose_pods([p], [inspect], now=NOW))
    assert d.cause == c.INVALID_IMAGE_NAME
    assert d.backoff is None
    assert "kubectl set image deployment/api app=myapp:1 -n shop" in d.fix


# --- other causes -------------------------------------------------------------------------


def test_never_pull_patches_the_pull_policy_by_container_name():
    p = pod(containers=[{"name": "app", "image": "local/app:dev", "imagePullPolicy": "Never"}],
            statuses=[waiting("app", "ErrImageNeverPull",
                              'Container image "local/app:dev" is not present with pull policy of Never')])
    d = one(diagnose_pods([p], [], now=NOW))
    assert d.cause == c.IMAGE_NEVER_PULLED
    assert any('"imagePullPolicy":"IfNotPresent"' in step and "kubectl patch deployment/api" in step for step in d.fix)


def test_platform_mismatch_uses_the_node_facts_when_given():
    message = ('Failed to pull image "acme/tool:1": rpc error: code = NotFound desc = failed to pull and unpack image '
               '"docker.io/acme/tool:1": no match for platform in manifest: not found')
    p = pod(containers=[{"name": "app", "image": "acme/tool:1"}], statuses=[waiting("app", "ErrImagePull")])
    first = one(diagnose_pods([p], [event("Failed", message)], now=NOW))
    assert first.cause == c.PLATFORM_MISMATCH
    assert facts_needed([first]) == {"nodes", "owners"}
    node = {"metadata": {"name": "node-1"}, "status": {"nodeInfo": {"operatingSystem": "linux",
                                                                    "architecture": "arm64"}}}
    second = one(diagnose_pods([p], [event("Failed", message)], now=NOW, facts=ClusterFacts(nodes={"node-1": node})))
    assert "linux/arm64" in second.fix[0]
    assert any('"kubernetes.io/arch":"amd64"' in step for step in second.fix)
    assert "nodes" not in facts_needed([second])


def test_dockerhub_denial_is_flagged_ambiguous_with_how_to_tell():
    message = ('Failed to pull image "acme/private:1": failed to pull and unpack image "docker.io/acme/private:1": '
               'failed to resolve reference "docker.io/acme/private:1": pull access denied, repository does not '
               'exist or may require authorization: server message: insufficient_scope: authorization failed')
    p = pod(containers=[{"name": "app", "image": "acme/private:1"}], statuses=[waiting("app", "ErrImagePull")])
    d = one(diagnose_pods([p], [event("Failed", message)], now=NOW))
    assert d.cause == c.IMAGE_NOT_FOUND
    assert as_document(d.evidence)["ambiguity"]["alternatives"] == [c.REGISTRY_AUTH_REQUIRED]
    assert any("This may instead be RegistryAuthRequired" in step for step in d.fix)
    assert facts_needed([d]) == {"serviceaccounts", "owners"}  # the pod names no secrets to fetch


def test_a_missing_official_image_gets_the_real_name():
    message = ('Failed to pull image "nodejs:22": rpc error: code = Unknown desc = Error response from daemon: pull '
               "access denied for nodejs, repository does not exist or may require 'docker login': denied: requested "
               'access to the resource is denied')
    p = pod(containers=[{"name": "app", "image": "nodejs:22"}], statuses=[waiting("app", "ErrImagePull")])
    d = one(diagnose_pods([p], [event("Failed", message)], now=NOW))
    assert d.summary == "repository docker.io/library/nodejs does not exist"
    assert "kubectl set image deployment/api app=node:22 -n shop" in d.fix
    assert not any("list-tags" in step for step in d.fix)


def test_a_raw_error_as_waiting_reason_is_an_image_step_failure():
    text = "illegal base64 data at input byte 35"
    p = pod(statuses=[waiting("app", text, text)], secrets=["broken"])
    assert has_problem(p)
    d = one(diagnose_pods([p], [event("Failed", f"Error: {text}", count=23)], now=NOW))
    assert (d.cause, d.message, d.backoff) == (c.PULL_FAILED, text, None)
    assert as_document(d.evidence)["event"]["count"] == 23
    assert "secrets" in facts_needed([d])
    assert any("kubectl pullmedic secrets-check -n shop" in step for step in d.fix)
    assert not has_problem(pod(statuses=[waiting("app", "CreateContainerConfigError", "configmap x not found")]))


def test_image_inspect_error_suggests_removing_the_local_copy():
    message = ('Failed to inspect image "nginx:1.99": rpc error: code = Unknown desc = get image: open '
               '/var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db: input/output error')
    p = pod(statuses=[waiting("app", "ImageInspectError", message)])
    d = one(diagnose_pods([p], [event("InspectFailed", message)], now=NOW))
    assert (d.cause, d.backoff) == (c.PULL_FAILED, None)
    assert any("crictl rmi docker.io/library/nginx:1.99" in step for step in d.fix)


def test_plain_http_registry_is_checked_over_http():
    message = ('Failed to pull image "10.0.0.5:5000/dev/tool:1": failed to pull and unpack image '
               '"10.0.0.5:5000/dev/tool:1": failed to resolve reference "10.0.0.5:5000/dev/tool:1": failed to do '
               'request: Head "https://10.0.0.5:5000/v2/dev/tool/manifests/1": http: server gave HTTP response to '
               'HTTPS client')
    p = pod(containers=[{"name": "app", "image": "10.0.0.5:5000/dev/tool:1"}], statuses=[waiting("app", "ErrImagePull")])
    d = one(diagnose_pods([p], [event("Failed", message)], now=NOW))
    assert d.cause == c.REGISTRY_TLS_ERROR
    assert any("curl -sv http://10.0.0.5:5000/v2/" in step for step in d.fix)
    assert any('server = "http://10.0.0.5:5000"' in step for step in d.fix)


# --- credentials --------------------------------------------------------------------------


def test_auth_first_pass_asks_for_secrets_and_accounts_then_names_their_state():
    p = ghcr_pod(secrets=["regcred"])
    first = one(diagnose_pods([p], [event("Failed", GHCR_401)], now=NOW))
    assert first.cause == c.REGISTRY_AUTH_REQUIRED
    assert facts_needed([first]) == {"secrets", "serviceaccounts", "owners"}
    facts = ClusterFacts(
        secrets={("shop", "regcred"): dockerconfig_secret("regcred", "docker.io")},
        service_accounts={("shop", "default"): {"metadata": {"name": "default", "namespace": "shop"}}},
        owners=OwnerIndex(replicasets=[{"metadata": {"name": "api-7d9f8b", "namespace": "shop", "uid": "rs-1",
                                                     "ownerReferences": [{"kind": "Deployment", "name": "api",
                                                                          "controller": True}]}}]),
    )
    second = one(diagnose_pods([p], [event("Failed", GHCR_401)], now=NOW, facts=facts))
    assert facts_needed([second]) == set()
    assert as_document(second.evidence)["ownerSource"] == "index"
    text = "\n".join(second.fix)
    assert "regcred: dockerconfigjson, has no entry for ghcr.io" in text
    assert "kubectl create secret docker-registry pull-ghcr-io --docker-server=ghcr.io" in text
    assert ("kubectl patch deployment/api -n shop -p "
            '\'{"spec":{"template":{"spec":{"imagePullSecrets":[{"name":"pull-ghcr-io"}]}}}}\'') in text
    assert "kubectl patch serviceaccount default -n shop -p '{\"imagePullSecrets\":[{\"name\":\"pull-ghcr-io\"}]}'" in text


def test_no_credential_ever_appears_in_the_output():
    p = ghcr_pod(secrets=["regcred"])
    facts = ClusterFacts(secrets={("shop", "regcred"): dockerconfig_secret("regcred", "ghcr.io")},
                         service_accounts={})
    dumped = json.dumps([as_document(d) for d in diagnose_pods([p], [event("Failed", GHCR_401)], now=NOW, facts=facts)])
    assert PASSWORD not in dumped
    assert base64.b64encode(f"bot:{PASSWORD}".encode()).decode() not in dumped
    assert "has an entry for ghcr.io" in dumped
    assert "rejected the pod's credentials" in dumped


def test_failed_to_retrieve_pull_secret_event_marks_the_secret_missing():
    p = ghcr_pod(secrets=["ghcr-cred"])
    events = [event("Failed", GHCR_401),
                 event("FailedToRetrieveImagePullSecret", "Unable to retrieve some image pull secrets (ghcr-cred); "
                       "attempting to pull the image may not succeed.", field_path=None)]
    d = one(diagnose_pods([p], events, now=NOW))
    assert as_document(d.evidence)["pullSecretEvent"]["reason"] == "FailedToRetrieveImagePullSecret"
    text = "\n".join(d.fix)
    assert "ghcr-cred: does not exist in this namespace" in text
    assert "kubectl create secret docker-registry ghcr-cred --docker-server=ghcr.io" in text
    assert "The pod already names ghcr-cred" in text


def test_service_account_secrets_missed_by_an_older_pod_are_explained():
    p = ghcr_pod(account="builder")
    facts = ClusterFacts(secrets={}, service_accounts={("shop", "builder"): {
        "metadata": {"name": "builder", "namespace": "shop"}, "imagePullSecrets": [{"name": "ghcr-cred"}]}})
    d = one(diagnose_pods([p], [event("Failed", GHCR_401)], now=NOW, facts=facts))
    text = "\n".join(d.fix)
    assert 'Service account "builder" lists ghcr-cred, but this pod has none' in text
    assert "kubectl rollout restart deployment/api -n shop" in text


@pytest.mark.parametrize("image,message,expected", [
    ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1",
     'Failed to pull image "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1": rpc error: code = Unknown desc = '
     'Error response from daemon: Get https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/v2/api/manifests/1: no '
     'basic auth credentials',
     "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"),
    ("myacr.azurecr.io/api:1",
     'Failed to pull image "myacr.azurecr.io/api:1": failed to resolve reference "myacr.azurecr.io/api:1": failed '
     'to authorize: failed to fetch anonymous token: unexpected status from GET request to '
     'https://myacr.azurecr.io/oauth2/token: 401 Unauthorized',
     "--attach-acr myacr"),
    ("europe-west1-docker.pkg.dev/acme-prod/apps/api:1",
     'Failed to pull image "europe-west1-docker.pkg.dev/acme-prod/apps/api:1": failed to resolve reference '
     '"europe-west1-docker.pkg.dev/acme-prod/apps/api:1": failed to authorize: failed to fetch anonymous token: '
     'unexpected status: 403 Forbidden',
     "gcloud artifacts repositories add-iam-policy-binding apps --location=europe-west1 --project=acme-prod"),
])
def test_cloud_registries_get_the_node_identity_fix(image, message, expected):
    p = pod(containers=[{"name": "app", "image": image}], statuses=[waiting("app", "ErrImagePull")])
    d = one(diagnose_pods([p], [event("Failed", message)], now=NOW))
    assert d.cause == c.REGISTRY_AUTH_REQUIRED
    assert any(expected in step for step in d.fix), d.fix


def test_expired_ecr_token_gets_a_refresh_command():
    image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1"
    message = (f'Failed to pull image "{image}": rpc error: code = Unknown desc = Error response from daemon: pull '
               f'access denied for 123456789012.dkr.ecr.eu-west-1.amazonaws.com/api, repository does not exist or '
               "may require 'docker login': denied: Your authorization token has expired. Reauthenticate and try again.")
    p = pod(containers=[{"name": "app", "image": image}], statuses=[waiting("app", "ErrImagePull")], secrets=["ecr"])
    d = one(diagnose_pods([p], [event("Failed", message)], now=NOW))
    assert d.cause == c.REGISTRY_CREDENTIALS_EXPIRED
    assert any('--docker-password="$(aws ecr get-login-password --region eu-west-1)"' in s for s in d.fix)


# --- healthy pods, evictions, grouping ---------------------------------------------------


def test_healthy_and_pulling_pods_yield_no_diagnosis():
    running = pod(name="web-0", phase="Running", statuses=[{"name": "app", "state": {"running": {}}}], owner={})
    pulling = pod(name="web-1", uid="uid-2", statuses=[waiting("app", "ContainerCreating")], owner={})
    pulled_after_failing = pod(name="web-2", uid="uid-3", phase="Running", owner={},
                               statuses=[{"name": "app", "state": {"running": {}}}])
    events = [event("Pulling", 'Pulling image "nginx:1.99"', uid="uid-2", kind="Normal", last="2026-03-01T11:59:20Z"),
              not_found(uid="uid-3")]
    assert diagnose_pods([running, pulling, pulled_after_failing], events, now=NOW) == []
    assert describe_healthy(running, events, now=NOW).state == "healthy"
    note = describe_healthy(pulling, events, now=NOW)
    assert note.state == "pulling" and "40s" in note.message and "nginx:1.99" in note.message
    assert describe_healthy(pod(name="x", node=None, owner={}), [], now=NOW).state == "unscheduled"
    assert describe_healthy(pod(name="y", owner={}, statuses=[waiting("app", "ContainerCreating")]), [],
                            now=NOW).state == "pending"
    crash = pod(name="z", phase="Running", owner={}, statuses=[waiting("app", "CrashLoopBackOff")])
    assert describe_healthy(crash, [], now=NOW).state == "not-a-pull-problem"
    deadline = pod(name="job-x", phase="Failed", owner={})
    deadline["status"]["reason"] = "DeadlineExceeded"
    assert describe_healthy(deadline, [], now=NOW).message.startswith("the pod failed (DeadlineExceeded)")


def test_a_pending_pod_without_status_is_diagnosed_from_its_events():
    d = one(diagnose_pods([pod()], [not_found()], now=NOW))
    assert d.cause == c.IMAGE_NOT_FOUND
    assert as_document(d.evidence)["waitingReason"] is None


def test_evicted_pods_are_pod_level_findings():
    assert has_problem(EVICTED)
    d = one(diagnose_pods([EVICTED], [], now=NOW))
    assert (d.cause, d.container, d.owner, d.node) == ("EvictedMemory", None, "deployment/worker", "node-1")
    assert "low on memory" in d.summary and "1.2Gi" in d.summary
    assert any("kubectl set resources deployment/worker -c app" in step for step in d.fix)
    assert facts_needed([d]) == {"nodes", "owners"}
    node = {"status": {"conditions": [{"type": "MemoryPressure", "status": "True"}]}}
    d2 = one(diagnose_pods([EVICTED], [], now=NOW, facts=ClusterFacts(nodes={"node-1": node})))
    assert "MemoryPressure" in d2.fix[0]


def test_has_problem_looks_at_every_kind_of_container():
    assert not has_problem(pod(phase="Running", statuses=[{"name": "app", "state": {"running": {}}}]))
    assert has_problem(pod(init=[{"name": "x", "image": "x"}], init_statuses=[waiting("x", "ErrImageNeverPull")]))
    assert not has_problem(None)


def test_forty_pods_failing_alike_are_one_group():
    pods = [pod(name=f"api-7d9f8b-{i:03d}", uid=f"u{i}", statuses=[waiting("app", "ImagePullBackOff")])
            for i in range(40)]
    other = pod(name="solo", uid="solo", owner={}, containers=[{"name": "app", "image": "quay.io/a/b:1"}],
                statuses=[waiting("app", "ErrImagePull")])
    events = [not_found(uid=f"u{i}", name=f"api-7d9f8b-{i:03d}") for i in range(40)]
    groups = group_diagnoses(diagnose_pods(pods + [other], events, now=NOW))
    assert [(g.count, g.cause, g.owner) for g in groups] == [(40, c.IMAGE_NOT_FOUND, "deployment/api"),
                                                           (1, c.PULL_FAILED, None)]
    assert len(groups[0].pods) == 40 and {d.container for d in groups[0].diagnoses} == {"app"}
    assert groups[0].since == datetime(2026, 3, 1, 11, 50, tzinfo=timezone.utc)


def test_diagnosis_to_dict_has_the_documented_keys_and_is_json_ready():
    d = one(diagnose_pods([pod(statuses=[waiting("app", "ImagePullBackOff")])], [not_found()], now=NOW))
    data = json.loads(json.dumps(as_document(d)))
    assert {"namespace", "pod", "container", "image", "cause", "summary", "message", "evidence", "backoff",
            "fix"} <= set(data)
    assert data["since"] == "2026-03-01T11:50:00Z"


def test_a_naive_now_is_taken_as_utc():
    d = one(diagnose_pods([pod(statuses=[waiting("app", "ImagePullBackOff")])], [not_found(count=1)],
                          now=datetime(2026, 3, 1, 11, 58, 5)))
    assert as_document(d.backoff)["nextRetryInSeconds"] == 5


def test_corrected_reference_fixes_common_typing_mistakes():
    assert corrected_reference("MyApp:1") == "myapp:1"
    assert corrected_reference("https://ghcr.io/acme/api:1") == "ghcr.io/acme/api:1"
    assert corrected_reference("nginx:") == "nginx"
    assert corrected_reference("nginx") is None


# --- a node deleted since the pod was placed ------------------------------------------------

DISK_FULL = ('Failed to pull image "nginx:1.27": failed to register layer: Error processing tar file(exit status 1): '
             "write /usr/lib/x: no space left on device")
GONE = ClusterFacts(nodes={})  # the nodes were read, and node-1 was not there (a 404)
REFUSED = ClusterFacts(nodes={}, unreadable={"nodes": {"node-1": "forbidden"}})


def _disk_full(pod_kwargs=None, facts=ClusterFacts()):
    p = pod(containers=[{"name": "app", "image": "nginx:1.27"}], statuses=[waiting("app", "ImagePullBackOff")],
            **(pod_kwargs or {}))
    return one(diagnose_pods([p], [event("Failed", DISK_FULL, count=3)], now=NOW, facts=facts))


def _names_the_node(steps, node="node-1"):
    """The steps with a command against the node (debug, describe, get, cordon)."""
    commands = (f"node/{node}", f"describe node {node}", f"get node {node}", f"cordon {node}")
    return [step for step in steps if any(command in step for command in commands)]


def test_a_fix_never_names_a_node_read_absent():
    first = _disk_full()
    assert first.cause == c.NODE_DISK_FULL and _names_the_node(first.fix)  # not read: today's commands
    assert "nodes" in facts_needed([first])
    gone = _disk_full(facts=GONE)
    assert gone.fix[0].startswith("Node node-1 no longer exists (deleted after the pod was placed)")
    assert not _names_the_node(gone.fix)
    assert "kubectl delete pod api-7d9f8b-x2x -n shop" in gone.fix[1] and "deployment/api" in gone.fix[1]
    assert as_document(gone.evidence)["nodeGone"] is True and "nodeGone" not in as_document(first.evidence)
    # No kubelet is left to retry: the attempts stay, no next retry is promised.
    assert gone.backoff.attempts == 3 and gone.backoff.next_retry is None
    assert "nodes" not in facts_needed([gone])  # read once: absent, not asked again


def test_a_node_that_could_not_be_read_is_unknown_not_gone():
    refused = _disk_full(facts=REFUSED)
    assert _names_the_node(refused.fix)
    assert not any("no longer exists" in step for step in refused.fix)
    assert "nodeGone" not in as_document(refused.evidence) and refused.backoff.next_retry is not None


def test_what_replaces_a_pod_of_a_deleted_node_depends_on_its_owner():
    bare = _disk_full({"name": "solo", "owner": {}}, facts=GONE)
    assert "re-create it without the node" in bare.fix[1] and "remove spec.nodeName" in bare.fix[1]
    daemon = _disk_full({"name": "agent-x", "owner": {"kind": "DaemonSet", "name": "agent", "uid": "ds",
                                                      "controller": True}}, facts=GONE)
    assert daemon.fix[1].startswith("daemonset/agent runs pods only on nodes that exist, so nothing replaces this one")


def test_a_deleted_node_keeps_what_is_about_the_image():
    message = ('Failed to pull image "ghcr.io/acme/x:1": rpc error: code = NotFound desc = failed to pull and unpack '
               'image "ghcr.io/acme/x:1": no match for platform in manifest: not found')
    p = pod(containers=[{"name": "app", "image": "ghcr.io/acme/x:1"}], statuses=[waiting("app", "ErrImagePull")])
    d = one(diagnose_pods([p], [event("Failed", message)], now=NOW, facts=GONE))
    assert d.cause == c.PLATFORM_MISMATCH and not _names_the_node(d.fix)
    assert "ghcr.io/acme/x:1 has no image for the platform the runtime asked for" in d.fix
    assert any(step.startswith("Build it for both: docker buildx build") for step in d.fix)
    # A cause that is not the node's keeps its whole fix after the two lines about the node.
    nf = one(diagnose_pods([pod(statuses=[waiting("app", "ErrImagePull")])], [not_found()], now=NOW, facts=GONE))
    assert nf.fix[0].startswith("Node node-1 no longer exists") and "kubectl set image deployment/api app=nginx:<tag> -n shop" in nf.fix


def test_an_eviction_on_a_deleted_node_keeps_the_sized_fix_and_clean():
    d = one(diagnose_pods([EVICTED], [], now=NOW, facts=GONE))
    assert d.fix[0].startswith("Node node-1 no longer exists")
    assert any("kubectl set resources deployment/worker -c app" in step for step in d.fix)
    assert d.fix[-1] == "Remove these leftovers with: kubectl pullmedic clean -n shop"
    assert not _names_the_node(d.fix) and d.evidence.node_gone
    assert as_document(d.evidence)["eviction"]["nodeGone"] is True
    refused = one(diagnose_pods([EVICTED], [], now=NOW, facts=REFUSED))
    assert not refused.evidence.node_gone and "could not be read (forbidden)" in refused.fix[0]


def test_several_pods_failing_alike_on_one_node_have_their_node_read():
    unreachable = ('Failed to pull image "quay.io/a/b:1": failed to pull and unpack image "quay.io/a/b:1": failed to '
                   'resolve image: failed to do request: Head "https://quay.io/v2/a/b/manifests/1": dial tcp '
                   '1.2.3.4:443: i/o timeout')
    pods = [pod(name=f"p{i}", uid=f"u{i}", owner={}, containers=[{"name": "app", "image": "quay.io/a/b:1"}],
                statuses=[waiting("app", "ErrImagePull")]) for i in range(2)]
    events = [event("Failed", unreachable, uid=f"u{i}", name=f"p{i}") for i in range(2)]
    assert facts_needed(diagnose_pods(pods[:1], events, now=NOW)) == set()  # one pod: no pattern, no read
    assert facts_needed(diagnose_pods(pods, events, now=NOW)) == {"nodes"}

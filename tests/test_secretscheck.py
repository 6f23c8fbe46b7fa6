"""secrets-check findings: one test per finding, the service-account rules, and redaction."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from typing import Dict, List, Optional

import pytest

from kubectl_pullmedic.core.credentials.cloud import cloud_registry_role
from kubectl_pullmedic.core.credentials.findings import Finding, has_errors, settle_with_probes
from kubectl_pullmedic.core.credentials.secretscheck import check_pull_secrets
from kubectl_pullmedic.core.serialize import as_document

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
PASSWORD = "Pa55-w0rd-NEVER-SHOWN"
ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def secret(
    name: str,
    auths: Dict[str, dict],
    namespace: str = "shop",
    secret_type: str = "kubernetes.io/dockerconfigjson",
) -> dict:
    return {
        "metadata": {"name": name, "namespace": namespace},
        "type": secret_type,
        "data": {".dockerconfigjson": b64(json.dumps({"auths": auths}))},
    }


def login(user: str = "bot", password: str = PASSWORD) -> dict:
    return {"auth": b64(f"{user}:{password}")}


def pod_spec(*images: str, secrets: Optional[List[str]] = None, account: Optional[str] = None) -> dict:
    spec: dict = {"containers": [{"name": f"c{i}", "image": image} for i, image in enumerate(images)]}
    if secrets is not None:
        spec["imagePullSecrets"] = [{"name": name} for name in secrets]
    if account:
        spec["serviceAccountName"] = account
    return spec


def pod(name: str, spec: dict, owner: Optional[dict] = None, namespace: str = "shop") -> dict:
    metadata: dict = {"name": name, "namespace": namespace}
    if owner:
        metadata["ownerReferences"] = [{**owner, "controller": True}]
    return {"metadata": metadata, "spec": spec}


def deployment(name: str, spec: dict, namespace: str = "shop") -> dict:
    return {
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}"},
        "spec": {"template": {"spec": spec}},
    }


def account(name: str, secrets: List[str], namespace: str = "shop") -> dict:
    return {
        "metadata": {"name": name, "namespace": namespace},
        "imagePullSecrets": [{"name": s} for s in secrets],
    }


def check(pods=(), workloads=(), secrets=(), accounts=()) -> List[Finding]:
    return check_pull_secrets(list(pods), list(workloads), list(secrets), list(accounts), now=NOW)


def only(findings: List[Finding], code: str) -> Finding:
    matching = [f for f in findings if f.code == code]
    assert len(matching) == 1, findings
    return matching[0]


# --- one test per finding ----------------------------------------------------------------------


def test_secret_not_found_names_the_namespaces_that_have_one():
    findings = check(
        workloads=[deployment("api", pod_spec("reg.example.com/api:1", secrets=["regcred"]))],
        secrets=[secret("regcred", {"reg.example.com": login()}, namespace="default")],
    )
    finding = only(findings, "SecretNotFound")
    assert (finding.severity, finding.workload, finding.secret) == ("error", "deployment/api", "regcred")
    assert 'does not exist in namespace "shop"' in finding.message and "default" in finding.message
    assert (
        "kubectl create secret generic regcred -n shop --type=kubernetes.io/dockerconfigjson" in finding.fix
    )
    assert "-n default -o jsonpath='{.data.\\.dockerconfigjson}'" in finding.fix


def test_secret_not_found_anywhere_suggests_creating_it():
    finding = only(check(pods=[pod("p", pod_spec("nginx", secrets=["gone"]))]), "SecretNotFound")
    assert "namespaced" not in finding.message
    assert finding.fix.startswith("kubectl create secret docker-registry gone --docker-server=<registry>")
    assert finding.fix.endswith("-n shop") and "..." not in finding.fix


def test_secret_of_the_wrong_type():
    opaque = {"metadata": {"name": "regcred", "namespace": "shop"}, "type": "Opaque", "data": {}}
    finding = only(
        check(pods=[pod("p", pod_spec("nginx", secrets=["regcred"]))], secrets=[opaque]), "SecretWrongType"
    )
    assert finding.severity == "error" and "has type Opaque" in finding.message


def test_malformed_secret_says_the_kubelet_fails_every_pull():
    broken = secret("regcred", {"reg.example.com": {"auth": b64("no-colon")}})
    finding = only(
        check(pods=[pod("p", pod_spec("reg.example.com/a", secrets=["regcred"]))], secrets=[broken]),
        "SecretMalformed",
    )
    assert finding.severity == "error"
    assert (
        "auth is not base64 of user:password" in finding.message
        and "fails every image pull" in finding.message
    )


def test_no_credentials_for_registry_names_the_missing_port():
    findings = check(
        pods=[pod("p", pod_spec("reg.example.com:5000/team/api:1", secrets=["regcred"]))],
        secrets=[secret("regcred", {"reg.example.com": login()})],
    )
    finding = only(findings, "NoCredentialsForRegistry")
    assert (finding.severity, finding.container, finding.secret) == ("error", "c0", "regcred")
    assert "port 5000" in finding.message and '"reg.example.com:5000"' in finding.fix


def test_unrelated_entries_only_warn_because_public_images_pull_anonymously():
    findings = check(
        pods=[pod("p", pod_spec("ghcr.io/org/tool:1", "reg.example.com/api", secrets=["regcred"]))],
        secrets=[secret("regcred", {"reg.example.com": login()})],
    )
    finding = only(findings, "NoCredentialsForRegistry")
    assert finding.severity == "warning" and finding.image == "ghcr.io/org/tool:1"
    assert "pulled anonymously" in finding.message


@pytest.mark.parametrize("image", ["busybox:1.36", "docker.io/library/nginx", "registry.k8s.io/pause:3.9",
                                   "mcr.microsoft.com/dotnet/runtime:8.0", "public.ecr.aws/nginx/nginx:1"])
def test_images_anyone_may_pull_need_no_credentials(image):
    findings = check(
        pods=[pod("p", pod_spec("reg.example.com/api:1", image, secrets=["regcred"]))],
        secrets=[secret("regcred", {"reg.example.com": login()})],
    )
    assert [f for f in findings if f.code == "NoCredentialsForRegistry"] == []


def test_a_near_miss_on_a_public_registry_is_still_an_error():
    """An entry that nearly matches shows a secret meant for that registry and written wrong."""
    findings = check(
        pods=[pod("p", pod_spec("registry.k8s.io/pause:3.9", secrets=["regcred"]))],
        secrets=[secret("regcred", {"registry.k8s.io:5000": login()})],
    )
    assert only(findings, "NoCredentialsForRegistry").severity == "error"


def test_an_anonymous_probe_settles_the_warning_as_info():
    findings = check(
        pods=[pod("p", pod_spec("ghcr.io/org/tool:1", "quay.io/org/other:2", "reg.example.com/api", secrets=["regcred"]))],
        secrets=[secret("regcred", {"reg.example.com": login()})],
    )
    settled = settle_with_probes(findings, {"ghcr.io/org/tool:1"})
    by_image = {f.image: f for f in settled if f.code == "NoCredentialsForRegistry"}
    assert by_image["ghcr.io/org/tool:1"].severity == "info" and by_image["ghcr.io/org/tool:1"].fix == ""
    assert by_image["quay.io/org/other:2"].severity == "warning"
    assert len(settled) == len(findings)


def ecr_token(expiration: int) -> str:
    return b64(
        json.dumps(
            {"payload": "p", "datakey": "d", "version": "2", "type": "DATA_KEY", "expiration": expiration}
        )
    )


def test_expired_ecr_token_says_when():
    ecr_secret = secret("ecr", {f"https://{ECR}": login("AWS", ecr_token(1772323200))})  # 2026-03-01 00:00
    finding = only(
        check(pods=[pod("p", pod_spec(f"{ECR}/api:1", secrets=["ecr"]))], secrets=[ecr_secret]),
        "CredentialsExpired",
    )
    assert finding.severity == "error" and "2026-03-01 00:00:00 UTC" in finding.message
    assert 'user "AWS"' in finding.message and "12 h" in finding.fix


def test_a_valid_second_credential_means_not_expired():
    secrets = [
        secret("old", {"reg.example.com": login("bot", ecr_token(1772323200))}),
        secret("new", {"reg.example.com": login("bot", "static")}),
    ]
    findings = check(
        pods=[pod("p", pod_spec("reg.example.com/api", secrets=["old", "new"]))], secrets=secrets
    )
    assert [f.code for f in findings] == []


@pytest.mark.parametrize(
    "registry, role",
    [
        (ECR, "AmazonEC2ContainerRegistryReadOnly"),
        ("myacr.azurecr.io", "--attach-acr myacr"),
        ("europe-west1-docker.pkg.dev", "roles/artifactregistry.reader"),
        ("gcr.io", "roles/artifactregistry.reader"),
    ],
)
def test_cloud_registry_without_secret_names_the_role(registry, role):
    finding = only(check(pods=[pod("p", pod_spec(f"{registry}/team/api:1"))]), "CloudRegistryWithoutSecret")
    assert finding.severity == "warning" and role in finding.fix and "node" in finding.message


def test_ordinary_registry_without_any_secret_is_not_a_finding():
    assert check(pods=[pod("p", pod_spec("nginx:1.25", "quay.io/org/tool"))]) == []
    assert cloud_registry_role("quay.io") == ""


def test_unused_pull_secret_is_informational():
    secrets = [secret("regcred", {"reg.example.com": login()}), secret("extra", {"quay.io": login()})]
    findings = check(
        pods=[pod("p", pod_spec("reg.example.com/api", secrets=["regcred", "extra"]))], secrets=secrets
    )
    finding = only(findings, "UnusedPullSecret")
    assert (finding.severity, finding.secret) == ("info", "extra") and "quay.io" in finding.message
    assert not has_errors(findings)


def test_invalid_image_needs_no_credentials():
    assert check(pods=[pod("p", pod_spec("Bad Image"))]) == []


# --- service accounts and templates ------------------------------------------------------------


def test_template_without_secrets_uses_its_service_accounts():
    findings = check(
        workloads=[deployment("api", pod_spec("reg.example.com/api", account="builder"))],
        accounts=[account("builder", ["regcred"])],
    )
    finding = only(findings, "SecretNotFound")
    assert 'from service account "builder"' in finding.message


def test_template_without_a_named_service_account_uses_default():
    findings = check(
        workloads=[deployment("api", pod_spec("reg.example.com/api"))],
        secrets=[secret("regcred", {"reg.example.com": login()})],
        accounts=[account("default", ["regcred"])],
    )
    assert findings == []


def test_pod_created_before_its_service_account_got_secrets():
    findings = check(
        pods=[pod("api-1", pod_spec("reg.example.com/api"))],
        secrets=[secret("regcred", {"reg.example.com": login()})],
        accounts=[account("default", ["regcred"])],
    )
    finding = only(findings, "PodMissesServiceAccountSecrets")
    assert finding.severity == "warning" and finding.secret == "regcred"
    assert "only when it is created" in finding.message and "recreate the pod" in finding.fix


def test_every_checked_kind_has_its_template_read():
    spec = pod_spec("reg.example.com/api", secrets=["gone"])
    workloads = [
        {
            "kind": "StatefulSet",
            "metadata": {"name": "db", "namespace": "shop"},
            "spec": {"template": {"spec": spec}},
        },
        {
            "kind": "DaemonSet",
            "metadata": {"name": "agent", "namespace": "shop"},
            "spec": {"template": {"spec": spec}},
        },
        {
            "kind": "Job",
            "metadata": {"name": "migrate", "namespace": "shop"},
            "spec": {"template": {"spec": spec}},
        },
        {
            "kind": "CronJob",
            "metadata": {"name": "nightly", "namespace": "shop"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}},
        },
        {
            "kind": "Job",
            "metadata": {
                "name": "nightly-29000",
                "namespace": "shop",
                "ownerReferences": [{"kind": "CronJob", "name": "nightly", "controller": True}],
            },
            "spec": {"template": {"spec": spec}},
        },
        {
            "kind": "ReplicaSet",
            "metadata": {"name": "api-abc", "namespace": "shop"},
            "spec": {"template": {"spec": spec}},
        },
    ]
    assert sorted(f.workload for f in check(workloads=workloads)) == [
        "cronjob/nightly",
        "daemonset/agent",
        "job/migrate",
        "statefulset/db",
    ]


def test_a_pod_reports_only_what_its_deployment_does_not():
    spec = pod_spec("reg.example.com/api", secrets=["gone"])
    replicaset = {
        "kind": "ReplicaSet",
        "metadata": {
            "name": "api-7d4b9c",
            "namespace": "shop",
            "uid": "rs1",
            "ownerReferences": [{"kind": "Deployment", "name": "api", "uid": "uid-api", "controller": True}],
        },
    }
    running = pod("api-7d4b9c-x", spec, owner={"kind": "ReplicaSet", "name": "api-7d4b9c", "uid": "rs1"})
    bare = pod("debug", spec)
    findings = check(pods=[running, bare], workloads=[deployment("api", spec), replicaset])
    assert sorted(f.workload for f in findings) == ["deployment/api", "pod/debug"]


def test_an_old_pod_of_a_deployment_still_reports_secrets_it_missed():
    replicaset = {
        "kind": "ReplicaSet",
        "metadata": {
            "name": "api-1",
            "namespace": "shop",
            "uid": "rs1",
            "ownerReferences": [{"kind": "Deployment", "name": "api", "uid": "uid-api", "controller": True}],
        },
    }
    old = pod(
        "api-1-x",
        pod_spec("reg.example.com/api"),
        owner={"kind": "ReplicaSet", "name": "api-1", "uid": "rs1"},
    )
    findings = check(
        pods=[old],
        workloads=[deployment("api", pod_spec("reg.example.com/api")), replicaset],
        secrets=[secret("regcred", {"reg.example.com": login()})],
        accounts=[account("default", ["regcred"])],
    )
    finding = only(findings, "PodMissesServiceAccountSecrets")
    assert finding.workload == "pod/api-1-x" and finding.fix.endswith("kubectl delete pod/api-1-x -n shop")


# --- exit status and redaction -----------------------------------------------------------------


def test_has_errors_only_for_error_severity():
    assert has_errors([Finding("X", "error", "ns", "pod/p")])
    assert not has_errors([Finding("X", "warning", "ns", "pod/p"), Finding("Y", "info", "ns", "pod/p")])


def test_no_finding_ever_carries_a_password_auth_or_token():
    token = ecr_token(1772323200)
    auth = b64(f"bot:{PASSWORD}")
    secrets = [
        secret("regcred", {"reg.example.com": {"auth": auth}}),
        secret("ecr", {ECR: login("AWS", token)}),
        secret("plain", {"quay.io": {"username": "bot", "password": PASSWORD}}),
        secret("broken", {"reg.example.com": {"auth": b64(PASSWORD)}}),
    ]
    images = ("reg.example.com:5000/api", f"{ECR}/api", "ghcr.io/x/y", "myacr.azurecr.io/app")
    findings = check(
        pods=[pod("p", pod_spec(*images, secrets=["regcred", "ecr", "plain", "broken", "gone"]))],
        secrets=secrets,
    )
    codes = {f.code for f in findings}
    assert {
        "SecretMalformed",
        "SecretNotFound",
        "NoCredentialsForRegistry",
        "CredentialsExpired",
        "UnusedPullSecret",
        "CloudRegistryWithoutSecret",
    } <= codes
    text = json.dumps([as_document(f) for f in findings]) + repr(findings)
    for value in (PASSWORD, auth, token, b64(PASSWORD)):
        assert value not in text
    assert set(as_document(findings[0])) == {
        "code",
        "severity",
        "namespace",
        "workload",
        "container",
        "image",
        "secret",
        "message",
        "fix",
    }

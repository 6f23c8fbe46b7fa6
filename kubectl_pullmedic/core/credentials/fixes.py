"""Fixes for credential causes: which pull secrets the pod has, and how to give it working ones.

Cloud registries (ECR, ACR, GCR / Artifact Registry) can authenticate the node itself, which
is the usual fix there; everywhere else it is a ``docker-registry`` secret that the pods
name, directly or through their service account.
"""

from __future__ import annotations

import json
from typing import List

from ..kube import namespace_of
from ..pulls.fixcontext import FixContext, patch_template, restart
from ..pulls.imageref import (
    ARTIFACT_REGISTRY,
    DOCKERHUB,
    ECR,
    GCR,
    GHCR,
    GITLAB,
    QUAY,
    artifact_registry_location,
    ecr_account_region,
)
from .cloud import cloud_registry_role
from .commands import add_registry_key, copy_secret, create_secret, docker_server, recreate_with_type, settle_with
from .dockerconfig import DOCKERCFG_TYPE, DOCKERCONFIGJSON_TYPE
from .podcredentials import SecretState



def _credential_lines(ctx: FixContext) -> List[str]:
    """The pod's pull secrets and its service account's, each with its state, in words."""
    creds, registry = ctx.credentials, ctx.image.registry
    if creds.secrets:
        lines = ["Pull secrets of the pod: " + "; ".join(state.describe(registry) for state in creds.secrets)]
    else:
        lines = ["The pod lists no imagePullSecrets"]
    lines.extend(_settle_secret(ctx, state) for state in creds.unreadable_secrets)
    missed = creds.account_secrets_missed
    if creds.account_unreadable:
        account = creds.service_account
        lines.append(f'Service account "{account}" could not be read ({creds.account_unreadable}); to see its pull '
                     f"secrets: kubectl get serviceaccount {account} -n {ctx.namespace} "
                     "-o jsonpath='{.imagePullSecrets[*].name}'")
    elif creds.account_secrets is None:
        lines.append(f'Service account "{creds.service_account}": not checked')
    elif missed and not creds.secrets:
        lines.append(
            f'Service account "{creds.service_account}" lists {", ".join(missed)}, but this pod has none: an '
            "account's pull secrets are copied into a pod only when it is created, and only if it lists none; "
            f"recreate the pods: {restart(ctx)}")
    elif not creds.account_secrets:
        lines.append(f'Service account "{creds.service_account}" has no imagePullSecrets either')
    return lines


PULL_SECRET_TYPES = (DOCKERCONFIGJSON_TYPE, DOCKERCFG_TYPE)


def _settle_secret(ctx: FixContext, state: SecretState) -> str:
    """The command that shows, to someone allowed to read it, whether the secret exists and what it covers."""
    name = state.name
    return (f"Check {name} {settle_with(state.unreadable or '')} (its registry keys, no passwords): kubectl get "
            f"secret {name} -n {ctx.namespace} -o jsonpath='{{.data.\\.dockerconfigjson}}' | base64 -d | jq '.auths | keys'")


def _secret_name(ctx: FixContext) -> str:
    absent = [state.name for state in ctx.credentials.secrets if state.exists is False]
    if absent:
        return absent[0]
    return "pull-" + ctx.image.registry.replace(".", "-").replace(":", "-")


def _create_secret(ctx: FixContext, name: str) -> str:
    """Create it; or, when another namespace has a pull secret of that name, copy that one (as
    secrets-check advises: the same advice in both)."""
    for state in ctx.credentials.secrets:
        copy = copy_secret(state.elsewhere[0], ctx.namespace) if state.name == name and state.elsewhere else ""
        if copy:
            places = ", ".join(namespace_of(secret) for secret in state.elsewhere)
            verb = "has" if len(state.elsewhere) == 1 else "have"
            return f"{places} {verb} a secret {name} (secrets are namespaced), so {copy}"
    return create_secret(name, ctx.namespace, docker_server(ctx.image.registry, ctx.image.family == DOCKERHUB))


def _key_fixes(ctx: FixContext) -> List[str]:
    """A secret the pod names has an entry meant for this registry under a key that does not match:
    add the matching key to that secret (as secrets-check advises), rather than a new secret."""
    steps = []
    for state in ctx.credentials.secrets:
        if state.exists and state.nearest_key and state.type:
            key = docker_server(ctx.image.registry, ctx.image.family == DOCKERHUB)
            steps.append(f'Add the key "{key}" to {state.name}, with the credentials of its entry "{state.nearest_key}"; '
                         "the pod already names it, so the next pull attempt uses it: "
                         + add_registry_key(state.name, ctx.namespace, state.type, state.nearest_key, key))
    return steps


def _attach_secret(ctx: FixContext, name: str) -> List[str]:
    if name in {state.name for state in ctx.credentials.secrets}:
        return [f"The pod already names {name}: once it exists, the next pull attempt uses it"]
    steps = ["Give it to the pods: " + patch_template(ctx, {"imagePullSecrets": [{"name": name}]}, "imagePullSecrets")]
    account, listed = ctx.credentials.service_account, ctx.credentials.account_secrets
    names = [{"name": n} for n in (listed or ())] + [{"name": name}]
    body = json.dumps({"imagePullSecrets": names}, separators=(",", ":"))
    keep = "" if listed is not None else " (this replaces the account's list: add any names it already has)"
    steps.append(f"or to every new pod of service account {account}: kubectl patch serviceaccount {account} "
                 f"-n {ctx.namespace} -p '{body}'{keep}, then {restart(ctx)}")
    return steps


def _cloud_identity(ctx: FixContext) -> List[str]:
    ref, role = ctx.image, cloud_registry_role(ctx.image.registry)
    if not role:
        return []
    steps = [f"{ref.registry} can authenticate the node itself: {role}"]
    if ref.family == ECR:
        account, region = ecr_account_region(ref.registry) or ("<account>", "<region>")
        steps.append("aws iam attach-role-policy --role-name <node-instance-role> "
                     "--policy-arn arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
                     f"  (registry account {account}, region {region})")
    elif ref.family in (ARTIFACT_REGISTRY, GCR):
        parts = ref.repository.split("/")
        project = parts[0]
        if ref.family == ARTIFACT_REGISTRY and len(parts) > 1:
            steps.append(f"gcloud artifacts repositories add-iam-policy-binding {parts[1]} "
                         f"--location={artifact_registry_location(ref.registry)} --project={project} "
                         "--member=serviceAccount:<node-service-account> --role=roles/artifactregistry.reader")
        else:
            steps.append(f"gcloud projects add-iam-policy-binding {project} "
                         "--member=serviceAccount:<node-service-account> --role=roles/artifactregistry.reader")
    return steps


def auth_required(ctx: FixContext) -> List[str]:
    """No credentials, or rejected ones: the node's identity (cloud registries) or a pull secret."""
    cloud = _cloud_identity(ctx)
    steps = _credential_lines(ctx) + cloud
    unknown = ctx.credentials.unreadable_secrets
    if unknown:
        # Neither present nor absent: advise what depends on it only as what follows each answer.
        name = unknown[0].name
        steps.append(f"If {name} does not exist: {_create_secret(ctx, name)}")
        steps.append(f"If it exists without an entry for {ctx.image.registry}: {_create_secret(ctx, name)} "
                     "--dry-run=client -o yaml | kubectl apply -f -")
        return steps
    keys = _key_fixes(ctx)
    if keys:
        return steps + keys
    wrong_type = [s for s in ctx.credentials.secrets if s.exists and s.type and s.type not in PULL_SECRET_TYPES]
    if wrong_type:
        name, server = wrong_type[0].name, docker_server(ctx.image.registry, ctx.image.family == DOCKERHUB)
        return steps + [f"Recreate {name} as a pull secret (a secret's type cannot change; the pod already names it): "
                        + recreate_with_type(name, ctx.namespace, server)]
    if ctx.credentials.account_secrets_missed and not ctx.credentials.secrets:
        return steps  # the service account's secrets: recreating the pods gives them (said above)
    if ctx.credentials.account_unreadable and not ctx.credentials.secrets:
        name = _secret_name(ctx)
        return steps + [f"If service account {ctx.credentials.service_account} lists no pull secret for "
                        f"{ctx.image.registry} either: {_create_secret(ctx, name)}"] + _attach_secret(ctx, name)
    name = _secret_name(ctx)
    steps.append(("Or use a pull secret: " if cloud else "Create a pull secret: ") + _create_secret(ctx, name))
    return steps + _attach_secret(ctx, name)


_PERMISSION_HINTS = {
    DOCKERHUB: "the Docker Hub account must be a member of the organisation that owns {repository}",
    GHCR: "the token's user needs read access to the package {repository} (a classic PAT needs read:packages)",
    GITLAB: "a deploy token needs the read_registry scope on the project {repository}",
    QUAY: "the robot account needs read permission on {repository}",
}


def access_denied(ctx: FixContext) -> List[str]:
    """Credentials were accepted but lack permission: say whose permission, per registry."""
    ref = ctx.image
    steps = [f"{ref.registry} refused the pull to the credentials it was given: they need read (pull) "
             f"permission on {ref.repository}"] + _credential_lines(ctx)
    cloud = _cloud_identity(ctx)
    hint = _PERMISSION_HINTS.get(ref.family, "" if cloud else
                                 "give the account (for Harbor: a robot account) pull permission on {repository}")
    if hint:
        steps.append(hint.format(repository=ref.repository))
    steps.extend(cloud)
    if ref.family == ECR:
        steps.append("For a registry in another AWS account, its repository policy must also allow the node role "
                     "ecr:BatchGetImage and ecr:GetDownloadUrlForLayer")
    return steps


def credentials_expired(ctx: FixContext) -> List[str]:
    """Short-lived credentials ran out: refresh them, or stop depending on them (ECR)."""
    ref = ctx.image
    steps = _credential_lines(ctx)
    expired = [s.name for s in ctx.credentials.secrets if s.expired is not None]
    name = expired[0] if expired else (ctx.credentials.secrets[0].name if ctx.credentials.secrets else _secret_name(ctx))
    if ref.family == ECR:
        _, region = ecr_account_region(ref.registry) or ("", "<region>")
        steps.append("ECR tokens last 12 hours, so a secret made from one stops working; let the node's IAM role "
                     "authenticate instead (kubelet ECR credential provider), or refresh the secret on a schedule:")
        steps.append(f"kubectl create secret docker-registry {name} --docker-server={ref.registry} --docker-username=AWS "
                     f'--docker-password="$(aws ecr get-login-password --region {region})" -n {ctx.namespace} '
                     "--dry-run=client -o yaml | kubectl apply -f -")
        return steps + _cloud_identity(ctx)
    server = docker_server(ref.registry, ref.family == DOCKERHUB)
    steps.append("Replace the credentials: " + create_secret(name, ctx.namespace, server, replace=True))
    return steps


def rate_limited(ctx: FixContext) -> List[str]:
    """Authenticate the pulls, or take them off the rate-limited registry."""
    ref, host = ctx.image, ctx.image.registry
    if ref.family == DOCKERHUB:
        steps = ["docker.io (Docker Hub) limits pulls: anonymous ones per source IP, so every node behind one NAT "
                 "address shares the allowance; authenticated ones per account"]
    else:
        steps = [f"{host} is refusing pulls because of its rate limit"]
    if ctx.credentials.sends_credentials:
        steps.append(f"The pod already authenticates to {host}: that account's own limit is used up; raise it "
                     "(a paid plan) or pull through a mirror")
    elif ctx.credentials.unreadable_secrets:
        steps.append(f"Whether the pod authenticates to {host} is unknown: its pull secrets could not be read")
        steps.extend(_settle_secret(ctx, state) for state in ctx.credentials.unreadable_secrets)
    else:
        name = _secret_name(ctx)
        steps.append("Authenticate the pulls: " + _create_secret(ctx, name))
        steps.extend(_attach_secret(ctx, name))
    steps.append(f"Or pull through a mirror / pull-through cache for {host} (containerd: "
                 f"/etc/containerd/certs.d/{'docker.io' if ref.family == DOCKERHUB else host}/hosts.toml; CRI-O: a "
                 "[[registry.mirror]] in /etc/containers/registries.conf; or a Harbor, ECR, ACR or Artifact Registry "
                 "proxy cache, then point the image at it)")
    if ref.tag_defaulted or ref.tag == "latest" or ctx.pull_policy == "Always":
        steps.append("Pin a tag and use imagePullPolicy: IfNotPresent, so restarts do not pull again")
    return steps


def malformed_secret(ctx: FixContext) -> List[str]:
    """A pull secret the kubelet cannot decode stops every pull of the pod before it starts."""
    broken = [state.name for state in ctx.credentials.secrets if state.problems]
    name = broken[0] if broken else (ctx.credentials.secrets[0].name if ctx.credentials.secrets else "<secret>")
    server = docker_server(ctx.image.registry, ctx.image.family == DOCKERHUB)
    return ["The kubelet cannot decode a pull secret of this pod (a document or auth field that is not valid "
            "base64), so it pulled nothing"] + _credential_lines(ctx) + [
        f"Find the broken entry: kubectl pullmedic secrets-check -n {ctx.namespace}",
        "Recreate it: " + create_secret(name, ctx.namespace, server, replace=True),
    ]

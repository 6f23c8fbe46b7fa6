"""``secrets-check``: will each pod and pod template find working pull credentials?

Covers running pods and the templates of Deployments, StatefulSets, DaemonSets, Jobs and
CronJobs, so a broken secret shows before a rollout creates pods that cannot pull. Each
uses its own ``imagePullSecrets``; a template that lists none gets its service account's
(``default`` when unnamed) when a pod is created from it. A running pod keeps what it was
created with: the kubelet reads only ``pod.spec.imagePullSecrets``.

Findings never hold a password, token or ``auth`` value: they are built from secret names,
registry keys and user names only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple, Union

from ..kube import Obj, dig, iter_containers, name_of, namespace_of, pull_secret_names, service_account_in
from .dockerconfig import (
    DOCKERCFG_TYPE,
    DOCKERCONFIGJSON_TYPE,
    DockerConfig,
    expired_at,
    parse_pull_secret,
)
from .keyring import match_credentials
from .podgroups import PodGroups, pod_groups
from ..pulls.imageref import DOCKERHUB, corrected_reference, parse_image
from .cloud import cloud_registry_role
from .findings import ERROR, INFO, WARNING, Finding
from .commands import add_registry_key, copy_secret, create_secret, docker_server, recreate_with_type, settle_with
from ..workloads import OwnerIndex, owner_of, workload_ref

CHECKED_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")


@dataclass(frozen=True)
class _Subject:
    """A pod or a pod template, with the secret names a pod from it would have."""

    namespace: str
    workload: str
    spec: Obj
    secret_names: Tuple[str, ...]
    from_service_account: str  # the service account the names came from, "" if own list


class _Inventory:
    """Secrets and service accounts by namespace and name, and the namespaces where they could not be read."""

    def __init__(self, secrets: Iterable[Obj], service_accounts: Iterable[Obj],
                 unreadable: Mapping[str, Mapping[str, str]]) -> None:
        self.secrets: Dict[Tuple[str, str], Obj] = {(namespace_of(s), name_of(s)): s for s in secrets}
        self.accounts: Dict[Tuple[str, str], Obj] = {
            (namespace_of(a), name_of(a)): a for a in service_accounts
        }
        self.secrets_unreadable = unreadable.get("secrets", {})  # namespace -> why
        self.accounts_unreadable = unreadable.get("serviceaccounts", {})

    def account_secret_names(self, namespace: str, account: str) -> Tuple[str, ...]:
        return tuple(pull_secret_names(self.accounts.get((namespace, account)) or {}))

    def namespaces_with_secret(self, name: str, besides: str) -> List[str]:
        return sorted(ns for (ns, secret_name) in self.secrets if secret_name == name and ns != besides)


def check_pull_secrets(
    pods: Union[PodGroups, Iterable[Obj]],
    workloads: Sequence[Obj],
    secrets: Sequence[Obj],
    service_accounts: Sequence[Obj],
    *,
    now: datetime,
    unreadable: Mapping[str, Mapping[str, str]] = {},
) -> List[Finding]:
    """Findings for every workload template and pod (``pods`` grouped as ``PodGroups``, or a list); see the module docstring.

    ``workloads`` items carry their ``kind``. ReplicaSets and Jobs among them are not
    checked themselves (their Deployment or CronJob is) but lead a pod to its workload, so
    a pod reports only what its workload's template does not already. Sorted by namespace and
    workload, as kubectl sorts rows. ``unreadable["secrets"]`` / ``["serviceaccounts"]`` map the
    namespaces whose objects could not be listed to why: what they hold is unknown, so the check
    says so instead of reporting them missing.
    """
    inventory = _Inventory(secrets, service_accounts, unreadable)
    by_workload: Dict[Tuple[str, str], List[Finding]] = {}
    for subject in _template_subjects(workloads, inventory):
        by_workload[(subject.namespace, subject.workload)] = _check_subject(subject, inventory, now)
    findings = [finding for group in by_workload.values() for finding in group]
    index = OwnerIndex(others=[w for w in workloads if w.get("kind") in ("ReplicaSet", "Job")])
    for group in pod_groups(pods):
        # The pods of a group differ only in name, so the first answers whether any has a finding.
        for pod in group.pods():
            found = _pod_findings(pod, index, by_workload, inventory, now)
            if not found:
                break
            findings.extend(found)
    # Rows in kubectl's order (namespace, then name); a workload's findings keep their own order.
    return sorted(findings, key=lambda f: (f.namespace, f.workload))


def _pod_findings(pod: Obj, index: OwnerIndex, by_workload: Mapping[Tuple[str, str], List[Finding]],
                  inventory: _Inventory, now: datetime) -> List[Finding]:
    """A pod's own findings: what its workload's template does not already report."""
    owner = owner_of(pod, index)
    spec = dig(pod, "spec", default={})
    subject = _Subject(namespace_of(pod), f"pod/{name_of(pod)}", spec, tuple(pull_secret_names(pod)), "")
    pod_findings = _check_subject(subject, inventory, now)
    pod_findings.extend(_missed_account_secrets(subject, inventory, has_controller=owner is not None))
    reported = by_workload.get((subject.namespace, workload_ref(*owner)), []) if owner else []
    already = {(f.code, f.container, f.image, f.secret) for f in reported}
    return [f for f in pod_findings if (f.code, f.container, f.image, f.secret) not in already]


def _template_subjects(workloads: Sequence[Obj], inventory: _Inventory) -> List[_Subject]:
    """The pod templates to check; a CronJob's Jobs are covered by the CronJob."""
    subjects = []
    for workload in workloads:
        kind = str(workload.get("kind") or "")
        if kind not in CHECKED_KINDS or (kind == "Job" and dig(workload, "metadata", "ownerReferences")):
            continue
        namespace = namespace_of(workload)
        spec = dig(workload, "spec", "jobTemplate", "spec") if kind == "CronJob" else workload.get("spec")
        spec = dig(spec, "template", "spec", default={})
        own = tuple(pull_secret_names(workload))
        account = "" if own else service_account_in(spec)
        names = own or inventory.account_secret_names(namespace, account)
        subjects.append(_Subject(namespace, workload_ref(kind, name_of(workload)), spec, names, account))
    return subjects


def _missed_account_secrets(subject: _Subject, inventory: _Inventory, has_controller: bool) -> List[Finding]:
    """A pod created before its service account listed pull secrets never gets them."""
    account = service_account_in(subject.spec)
    account_names = inventory.account_secret_names(subject.namespace, account)
    missing = [name for name in account_names if name not in subject.secret_names]
    if subject.secret_names or not missing:
        return []
    listed = ", ".join(missing)
    return [
        Finding(
            "PodMissesServiceAccountSecrets",
            WARNING,
            subject.namespace,
            subject.workload,
            secret=listed,
            message=f'service account "{account}" now lists pull secret(s) {listed}, but this pod has none: '
            "a service account's pull secrets are copied into a pod only when it is created, "
            "and only if it lists none",
            fix=(
                "its controller recreates it with them: "
                f"kubectl delete {subject.workload} -n {subject.namespace}"
                if has_controller
                else "recreate the pod (delete it and apply its manifest again) to pick them up"
            ),
        )
    ]


def _check_subject(subject: _Subject, inventory: _Inventory, now: datetime) -> List[Finding]:
    unknown = _unknown(subject, inventory)
    if unknown:
        return unknown
    findings: List[Finding] = []
    configs: List[DockerConfig] = []
    for name in subject.secret_names:
        config, problem = _load_secret(subject, name, inventory)
        if problem:
            findings.append(problem)
        elif config is not None:
            configs.append(config)
    used: Set[str] = set()
    for _, container, _ in iter_containers({"spec": subject.spec}):
        image = str(container.get("image") or "")
        if not parse_image(image).valid:
            # InvalidImageName: nothing is pulled yet; once the name is fixed, a secret may serve it.
            corrected = corrected_reference(image)
            if corrected:
                used.update(c.secret for c in match_credentials(corrected, configs).credentials)
            continue
        finding, matched_secrets = _check_image(
            subject, str(container.get("name") or ""), image, configs, now, inventory
        )
        used.update(matched_secrets)
        if finding:
            findings.append(finding)
    for config in configs:
        if config.secret not in used:
            findings.append(
                _finding(
                    subject,
                    "UnusedPullSecret",
                    INFO,
                    secret=config.secret,
                    message=f'pull secret "{config.secret}" matches none of the images '
                    f'({", ".join(c.key for c in config.credentials)})',
                    fix="remove it from imagePullSecrets, or fix its registry address",
                )
            )
    return findings


def _unknown(subject: _Subject, inventory: _Inventory) -> List[Finding]:
    """What could not be read is said once, with the command that settles it; nothing is guessed."""
    namespace = subject.namespace
    account = subject.from_service_account  # set when the template names no secrets of its own
    if account:
        why = inventory.accounts_unreadable.get(namespace)
        if why:
            return [_finding(subject, "ServiceAccountUnreadable", WARNING,
                             f'service account "{account}" could not be read ({why}): which pull secrets its pods '
                             "get is unknown, so their images were not checked",
                             f"kubectl get serviceaccount {account} -n {namespace} -o jsonpath='{{.imagePullSecrets}}'")]
    why = inventory.secrets_unreadable.get(namespace)
    if not why or not subject.secret_names:
        return []
    return [_finding(subject, "SecretUnreadable", WARNING,
                     f'pull secret "{name}" could not be read ({why}): whether it exists and covers the images is '
                     "unknown", f"check {settle_with(why)}: kubectl get secret {name} -n {namespace} "
                     "-o jsonpath='{.type}'", secret=name) for name in subject.secret_names]


def _finding(
    subject: _Subject,
    code: str,
    severity: str,
    message: str,
    fix: str = "",
    container: str = "",
    image: str = "",
    secret: str = "",
) -> Finding:
    where = (
        f' (from service account "{subject.from_service_account}")'
        if subject.from_service_account and secret
        else ""
    )
    return Finding(
        code, severity, subject.namespace, subject.workload, container, image, secret, message + where, fix
    )


def _server_of(subject: _Subject) -> str:
    """The --docker-server a new secret for this workload needs: its images' one private registry, if one."""
    refs = [parse_image(str(c.get("image") or "")) for _, c, _ in iter_containers({"spec": subject.spec})]
    servers = {docker_server(r.registry, r.family == DOCKERHUB) for r in refs if r.valid and not r.always_public}
    return servers.pop() if len(servers) == 1 else "<registry>"


def _load_secret(
    subject: _Subject, name: str, inventory: _Inventory
) -> Tuple[Optional[DockerConfig], Optional[Finding]]:
    namespace = subject.namespace
    secret = inventory.secrets.get((namespace, name))
    if secret is None:
        elsewhere = inventory.namespaces_with_secret(name, besides=namespace)
        message = f'pull secret "{name}" does not exist in namespace "{namespace}"'
        fix = create_secret(name, namespace, _server_of(subject))
        if elsewhere:
            message += (
                f"; namespace(s) {', '.join(elsewhere)} have one of that name, but secrets are namespaced"
            )
            fix = copy_secret(inventory.secrets[(elsewhere[0], name)], namespace) or fix
        return None, _finding(subject, "SecretNotFound", ERROR, message, fix, secret=name)
    secret_type = str(secret.get("type") or "Opaque")
    if secret_type not in (DOCKERCONFIGJSON_TYPE, DOCKERCFG_TYPE):
        return None, _finding(
            subject,
            "SecretWrongType",
            ERROR,
            f'pull secret "{name}" has type {secret_type}; the kubelet ignores any type but '
            f"{DOCKERCONFIGJSON_TYPE} and {DOCKERCFG_TYPE}",
            "recreate it (a secret's type cannot change): " + recreate_with_type(name, namespace, _server_of(subject)),
            secret=name,
        )
    config = parse_pull_secret(secret)
    if config.problems:
        return None, _finding(
            subject,
            "SecretMalformed",
            ERROR,
            f'pull secret "{name}" cannot be used: {"; ".join(config.problems)}. '
            "The kubelet fails every image pull of a pod that lists a malformed pull secret",
            "recreate it: " + create_secret(name, namespace, _server_of(subject), replace=True),
            secret=name,
        )
    return config, None


def _check_image(
    subject: _Subject, container: str, image: str, configs: List[DockerConfig], now: datetime, inventory: _Inventory
) -> Tuple[Optional[Finding], Set[str]]:
    """A finding for the image if its credentials fail, and the secrets meant for it (so none is called unused)."""
    ref = parse_image(image)
    registry = ref.registry
    match = match_credentials(image, configs)
    if match.matched:
        secrets = {credential.secret for credential in match.credentials}
        expiries = [expired_at(credential, now) for credential in match.credentials]
        if all(expiries):
            latest = max(e for e in expiries if e is not None)
            first = match.credentials[0]
            return (
                _finding(
                    subject,
                    "CredentialsExpired",
                    ERROR,
                    f'the credentials for {registry} in pull secret "{first.secret}" '
                    f'(user "{first.username}") '
                    f"expired at {latest.strftime('%Y-%m-%d %H:%M:%S UTC')}",
                    "refresh the secret; short-lived tokens (ECR lasts 12 h) need a refresher "
                    "or a kubelet credential provider instead of a static secret",
                    container,
                    image,
                    first.secret,
                ),
                secrets,
            )
        return None, secrets
    role = cloud_registry_role(registry)
    if match.near_miss and match.nearest is not None:
        nearest = match.nearest
        secret_type = str((inventory.secrets.get((subject.namespace, nearest.secret)) or {}).get("type") or "")
        key = docker_server(registry, ref.family == DOCKERHUB)
        return (
            _finding(
                subject,
                "NoCredentialsForRegistry",
                ERROR,
                f"no pull-secret entry matches {match.target}; nearest: {match.reason}",
                f'add the key "{key}" to pull secret "{nearest.secret}", with the credentials of its entry '
                f'"{nearest.key}": ' + add_registry_key(nearest.secret, subject.namespace, secret_type, nearest.key, key),
                container,
                image,
                nearest.secret,
            ),
            {nearest.secret},  # meant for this image: a key to fix, not a secret to remove
        )
    if role:
        return (
            _finding(
                subject,
                "CloudRegistryWithoutSecret",
                WARNING,
                f"no pull secret covers {registry}: the pull works only if the node's own identity "
                "(node IAM, kubelet credential provider) has access",
                role,
                container,
                image,
            ),
            set(),
        )
    if match.nearest is not None and not ref.always_public:
        return (
            _finding(
                subject,
                "NoCredentialsForRegistry",
                WARNING,
                f"no pull-secret entry matches {match.target}, so the image is pulled anonymously "
                f"(fine if it is public); nearest: {match.reason}",
                f'if the image is private, add an entry for "{registry}" to a pull secret',
                container,
                image,
                match.nearest.secret,
            ),
            set(),
        )
    return None, set()

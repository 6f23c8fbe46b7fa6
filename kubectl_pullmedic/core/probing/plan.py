"""Which images to ask the registries about, with whose credentials, for which platform.

``--probe`` must send exactly what the kubelet would send: for a pod, the first matching entry
of its own pull secrets (admission already copied its service account's into it); for a
workload template, its own secrets or else its service account's (what admission would copy
into a new pod). A pod on a node is probed for that node's os/arch. The password stays inside
the target (never in repr or a document) and is handed only to the prober.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple, Union

from .. import causes as c
from ..diagnosis import Diagnosis
from ..kube import Obj, dig, iter_containers, name_of, namespace_of, pod_spec_of, pull_secret_names, service_account_of
from ..credentials.dockerconfig import (
    DOCKERCFG_TYPE,
    DOCKERCONFIGJSON_TYPE,
    DockerConfig,
    parse_pull_secret,
)
from ..credentials.keyring import match_credentials
from ..credentials.podgroups import PodGroups, pod_groups
from ..workloads import workload_ref

TEMPLATE_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")
# Causes a registry's answer can confirm or settle; an unparsable name is never sent anywhere.
PROBED_CAUSES = frozenset(c.PULL_CAUSES) - {c.INVALID_IMAGE_NAME}

SecretIndex = Mapping[Tuple[str, str], Obj]
Platform = Tuple[str, str]
DiagnosisKey = Tuple[str, str, str]  # namespace, pod, container


@dataclass(frozen=True)
class ProbeTarget:
    """One image to probe, for one workload, with the credentials its pods would use."""

    namespace: str
    workload: str
    container: str
    image: str
    secret: str = ""  # "" when the kubelet would pull anonymously
    username: str = ""
    password: str = field(default="", repr=False, compare=False, metadata={"document": False})
    platform: Optional[Platform] = None  # the node's (os, arch); None when not on a node

    @property
    def credentials(self) -> Optional[Tuple[str, str]]:
        return (self.username, self.password) if self.secret else None

    @property
    def request_key(self) -> Tuple[str, str, str, Optional[Platform]]:
        """Targets with equal keys get the same answer, so each key is asked once."""
        return (self.image, self.secret, self.username, self.platform)


def probe_targets(
    pods: Union[PodGroups, Iterable[Obj]], workloads: Sequence[Obj], secrets: Sequence[Obj], service_accounts: Sequence[Obj]
) -> List[ProbeTarget]:
    """``secrets-check``: one target per distinct (image, credentials), first workload that uses it named."""
    secret_by_key = {(namespace_of(s), name_of(s)): s for s in secrets}
    account_by_key = {(namespace_of(a), name_of(a)): a for a in service_accounts}
    targets: Dict[Tuple[str, str, str, Optional[Platform]], ProbeTarget] = {}

    def add(namespace: str, workload: str, pod_like: Obj, names: List[str]) -> None:
        configs = _configs(namespace, names, secret_by_key)
        for _, spec, _ in iter_containers(pod_like):
            image = str(spec.get("image") or "")
            if image:
                target = _target(namespace, workload, str(spec.get("name") or ""), image, configs, None)
                targets.setdefault(target.request_key, target)

    for workload in workloads:
        kind = str(workload.get("kind") or "")
        if kind in TEMPLATE_KINDS and not (kind == "Job" and dig(workload, "metadata", "ownerReferences")):
            account = account_by_key.get((namespace_of(workload), service_account_of(workload)))
            names = pull_secret_names(workload) or (pull_secret_names(account) if account else [])
            add(namespace_of(workload), workload_ref(kind, name_of(workload)), {"spec": pod_spec_of(workload)}, names)
    for group in pod_groups(pods):  # the pods of a group ask the same questions: the first names them
        add(namespace_of(group.facts), f"pod/{name_of(group.facts)}", group.facts, pull_secret_names(group.facts))
    return list(targets.values())


def diagnosis_targets(diagnoses: Iterable[Diagnosis], pods: Sequence[Obj], secrets: SecretIndex) -> Dict[DiagnosisKey, ProbeTarget]:
    """``why --probe``: a target per failing container, with its pod's credentials and node platform.

    The diagnoses come from a pass with node facts, so their evidence carries the node's
    os/arch; evictions and unparsable names are left out.
    """
    pod_by_key = {(namespace_of(p), name_of(p)): p for p in pods}
    targets: Dict[DiagnosisKey, ProbeTarget] = {}
    for diagnosis in diagnoses:
        namespace, pod_name, container = diagnosis.namespace, diagnosis.pod, diagnosis.container
        pod = pod_by_key.get((namespace, pod_name))
        if pod is None or not _probed(diagnosis):
            continue
        configs = _configs(namespace, pull_secret_names(pod), secrets)
        platform = node_platform(diagnosis.evidence.node_info)
        targets[(namespace, pod_name, container)] = _target(
            namespace, f"pod/{pod_name}", container, diagnosis.image, configs, platform)
    return targets


def facts_for_probing(diagnoses: Iterable[Diagnosis]) -> Set[str]:
    """The facts ``diagnosis_targets`` reads: nodes (platform) and secrets (credentials)."""
    return {"nodes", "secrets"} if any(_probed(d) for d in diagnoses) else set()


def _probed(diagnosis: Diagnosis) -> bool:
    return bool(diagnosis.container and diagnosis.image and diagnosis.cause in PROBED_CAUSES)


def node_platform(node_info: Optional[Mapping[str, object]]) -> Optional[Platform]:
    """(os, arch) from ``describe_node``'s facts, when both are known."""
    if not node_info or not node_info.get("os") or not node_info.get("arch"):
        return None
    return str(node_info["os"]), str(node_info["arch"])


def _target(namespace: str, workload: str, container: str, image: str, configs: List[DockerConfig],
            platform: Optional[Platform]) -> ProbeTarget:
    match = match_credentials(image, configs)
    credential = match.credentials[0] if match.matched else None
    if credential is None:
        return ProbeTarget(namespace, workload, container, image, platform=platform)
    return ProbeTarget(namespace, workload, container, image, credential.secret, credential.username,
                       credential.password, platform)


def _configs(namespace: str, names: List[str], secrets: SecretIndex) -> List[DockerConfig]:
    configs = []
    for name in names:
        secret = secrets.get((namespace, name))
        if secret and secret.get("type") in (DOCKERCONFIGJSON_TYPE, DOCKERCFG_TYPE):
            configs.append(parse_pull_secret(secret))
    return configs

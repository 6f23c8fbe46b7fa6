"""Which images to ask the registries about, and with whose credentials.

``--probe`` must send exactly what the kubelet would send: for a pod, the first matching entry
of its own pull secrets; for a workload template, its own secrets or else its service
account's (what admission would copy into a new pod). The password stays inside the target
(never in repr or to_dict) and is handed only to the prober.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from .kube import Obj, iter_containers, name_of, namespace_of, pod_spec_of, pull_secret_names, service_account_of
from .pullsecrets import DOCKERCFG_TYPE, DOCKERCONFIGJSON_TYPE, DockerConfig, match_credentials, parse_pull_secret
from .workloads import workload_ref

TEMPLATE_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")


@dataclass(frozen=True)
class ProbeTarget:
    """One image to probe, for one workload, with the credentials its pods would use."""

    namespace: str
    workload: str
    container: str
    image: str
    secret: str = ""  # "" when the kubelet would pull anonymously
    username: str = ""
    password: str = field(default="", repr=False, compare=False)

    @property
    def credentials(self) -> Optional[Tuple[str, str]]:
        return (self.username, self.password) if self.secret else None

    def to_dict(self) -> Dict[str, str]:
        return {
            "namespace": self.namespace,
            "workload": self.workload,
            "container": self.container,
            "image": self.image,
            "secret": self.secret,
            "username": self.username,
        }


def probe_targets(
    pods: Sequence[Obj], workloads: Sequence[Obj], secrets: Sequence[Obj], service_accounts: Sequence[Obj]
) -> List[ProbeTarget]:
    """One target per distinct (image, credentials), first workload that uses it named."""
    secret_by_key = {(namespace_of(s), name_of(s)): s for s in secrets}
    account_by_key = {(namespace_of(a), name_of(a)): a for a in service_accounts}
    subjects: List[Tuple[str, str, Obj, List[str]]] = []
    for workload in workloads:
        kind = str(workload.get("kind") or "")
        if kind in TEMPLATE_KINDS and not (kind == "Job" and (workload.get("metadata") or {}).get("ownerReferences")):
            spec = pod_spec_of(workload)
            account = account_by_key.get((namespace_of(workload), service_account_of(workload)))
            names = pull_secret_names(workload) or (pull_secret_names(account) if account else [])
            subjects.append((namespace_of(workload), workload_ref(kind, name_of(workload)), {"spec": spec}, names))
    for pod in pods:
        subjects.append((namespace_of(pod), f"pod/{name_of(pod)}", pod, pull_secret_names(pod)))
    targets: Dict[Tuple[str, str, str], ProbeTarget] = {}
    for namespace, workload, pod_like, names in subjects:
        configs = _configs(namespace, names, secret_by_key)
        for _, spec, _ in iter_containers(pod_like):
            image = str(spec.get("image") or "")
            if not image:
                continue
            match = match_credentials(image, configs)
            credential = match.credentials[0] if match.matched else None
            target = ProbeTarget(
                namespace,
                workload,
                str(spec.get("name") or ""),
                image,
                credential.secret if credential else "",
                credential.username if credential else "",
                credential.password if credential else "",
            )
            targets.setdefault((image, target.secret, target.username), target)
    return list(targets.values())


def _configs(namespace: str, names: List[str], secrets: Dict[Tuple[str, str], Obj]) -> List[DockerConfig]:
    configs = []
    for name in names:
        secret = secrets.get((namespace, name))
        if secret and secret.get("type") in (DOCKERCONFIGJSON_TYPE, DOCKERCFG_TYPE):
            configs.append(parse_pull_secret(secret))
    return configs

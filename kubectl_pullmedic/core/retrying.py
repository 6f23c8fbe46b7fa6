"""``retry``: which pods to delete so their controller recreates them and the new pod pulls at once,
skipping the kubelet's back-off (up to 5 minutes); and, with ``--probe``, whether the cause is gone.

Only a pod in pull back-off (a container waiting in ``ErrImagePull`` or ``ImagePullBackOff``) whose
controller will recreate it is selected; each is a ``CleanupItem``, so the deletes go through the
same uid/resourceVersion-guarded deleter as ``clean``. A bare pod would be gone for good: it is
never deleted, and the command that recreates it is printed instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from .evictions.cleanup import CleanupItem, DeleteOutcome
from .kube import Obj, dig, iter_containers, name_of, namespace_of, owner_reference, uid_of
from .podhealth import waiting_reason
from .probing.results import ProbeResult
from .reports import Where
from .workloads import OwnerIndex, owner_of, workload_ref

BACKOFF_REASONS = ("ErrImagePull", "ImagePullBackOff")
_AUTH_OK = ("accepted", "anonymous", "not-needed")


@dataclass(frozen=True)
class KeptPod:
    """A pod ``retry`` leaves alone, and why; ``command`` recreates a bare pod by hand."""

    namespace: str
    name: str
    reason: str  # bare | not-in-backoff | terminating
    detail: str
    command: str = ""


@dataclass
class RetryPlan:
    to_delete: List[CleanupItem] = field(default_factory=list)
    kept: List[KeptPod] = field(default_factory=list)

    @property
    def bare(self) -> List[KeptPod]:
        return [pod for pod in self.kept if pod.reason == "bare"]


@dataclass(frozen=True)
class CauseCheck:
    """What ``--probe`` found for one failing image: whether the cause is gone, in words."""

    image: str
    pods: List[str]  # namespace/name of the pods that pull it
    gone: Optional[bool]  # None: the probe could not tell
    text: str


@dataclass
class RetryReport:
    where: Where
    subject: str  # "pods in pull back-off of deploy/web"
    plan: RetryPlan
    dry_run: str  # none | client | server
    checks: List[CauseCheck] = field(default_factory=list)
    refused: bool = False  # --probe did not show the cause gone, and there was no --force
    outcomes: Optional[List[DeleteOutcome]] = None  # None: nothing was sent
    warnings: List[str] = field(default_factory=list)
    pod_selector: Optional[str] = None  # the target workload's label selector: its replacements carry it too

    DOCUMENT_FIELDS = ("dry_run", "refused", "checks", "to_delete", "kept", "outcomes", "warnings")

    @property
    def to_delete(self) -> List[CleanupItem]:
        return self.plan.to_delete

    @property
    def kept(self) -> List[KeptPod]:
        return self.plan.kept


def backoff_reason(pod: Obj) -> Optional[str]:
    """The pull back-off reason of the pod's first container in one, else None.

    >>> backoff_reason({"spec": {"containers": [{"name": "a"}]}, "status": {"containerStatuses": [
    ...     {"name": "a", "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}})
    'ImagePullBackOff'
    """
    for _, _, status in iter_containers(pod):
        reason = waiting_reason(status)
        if reason in BACKOFF_REASONS:
            return reason
    return None


def replace_command(namespace: str, name: str) -> str:
    """What recreates a bare pod from its own spec (nothing else would)."""
    return f"kubectl replace --force -f <(kubectl get pod {name} -n {namespace} -o yaml)"


def plan_retry(pods: Sequence[Obj], index: Optional[OwnerIndex] = None) -> RetryPlan:
    """Pods in pull back-off with a controller are deleted; bare ones and the rest are kept, each with why."""
    plan = RetryPlan()
    for pod in pods:
        namespace, name = namespace_of(pod), name_of(pod)
        reason = backoff_reason(pod)
        ref = owner_reference(pod) or {}
        if reason is None:
            plan.kept.append(KeptPod(namespace, name, "not-in-backoff", "not in pull back-off"))
        elif dig(pod, "metadata", "deletionTimestamp"):
            plan.kept.append(KeptPod(namespace, name, "terminating", "already being deleted"))
        elif not ref.get("controller"):
            plan.kept.append(KeptPod(namespace, name, "bare", "no controller would recreate it; recreate it yourself",
                                     replace_command(namespace, name)))
        else:
            owner = owner_of(pod, index)
            plan.to_delete.append(CleanupItem(namespace, name, uid_of(pod), str(dig(pod, "metadata", "resourceVersion")
                                                                               or ""), reason,
                                              workload_ref(*owner) if owner else None))
    return plan


def cause_check(image: str, pods: List[str], result: ProbeResult) -> CauseCheck:
    """Whether the registry now serves ``image`` to the pod's credentials (and for its node's platform).

    >>> cause_check("web:1", [], ProbeResult("web:1", reachable=True, auth="accepted", manifest_found=True)).gone
    True
    >>> cause_check("web:1", [], ProbeResult("web:1", reachable=True, auth="anonymous", manifest_found=False,
    ...             missing="tag", suggestions=["1.0"])).text
    'the tag still does not exist (close: 1.0)'
    """
    if result.manifest_found and result.auth in _AUTH_OK and result.platform_ok is not False:
        return CauseCheck(image, pods, True, "the image exists and the pod's credentials are accepted")
    if result.auth == "refused":
        return CauseCheck(image, pods, False, "the registry still refuses the pod's credentials")
    if result.manifest_found is False:
        close = f" (close: {', '.join(result.suggestions[:3])})" if result.suggestions else ""
        return CauseCheck(image, pods, False, f"the {result.missing or 'image'} still does not exist{close}")
    if result.platform_ok is False:
        return CauseCheck(image, pods, False, f"the image is still not built for {result.wanted_platform or 'the node'}")
    return CauseCheck(image, pods, None, f"the probe could not tell: {result.error or 'no answer'}")


def cause_checks(probes: Dict[Tuple[str, str, str], ProbeResult], planned: Sequence[CleanupItem]) -> List[CauseCheck]:
    """One check per image the planned pods fail to pull (probes keyed by namespace, pod, container)."""
    wanted = {(item.namespace, item.name) for item in planned}
    by_image: Dict[str, Tuple[List[str], ProbeResult]] = {}
    for (namespace, pod, _), result in sorted(probes.items()):
        if (namespace, pod) in wanted:
            by_image.setdefault(result.image, ([], result))[0].append(f"{namespace}/{pod}")
    checks = [cause_check(image, sorted(set(pods)), result) for image, (pods, result) in sorted(by_image.items())]
    covered = {pod for check in checks for pod in check.pods}
    unprobed = sorted(f"{item.namespace}/{item.name}" for item in planned if f"{item.namespace}/{item.name}" not in covered)
    if unprobed:
        checks.append(CauseCheck("", unprobed, None, "no image of these pods could be probed"))
    return checks

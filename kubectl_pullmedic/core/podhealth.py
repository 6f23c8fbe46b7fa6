"""Is a pod in trouble with its images, and if not, what is it doing?

``has_problem`` is the cheap filter run over every pod of a large list before the full
diagnosis; ``describe_healthy`` says in one line why a pod has no diagnosis, so that "nothing
wrong" is stated rather than implied (a pod still pulling, or not scheduled yet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

from .evictions.parse import is_evicted
from .kube import CONTAINER_KINDS, Obj, dig, iter_containers
from .podevents import EventIndex, last_seen, message_of, unfinished_pull
from .pulls.imageref import parse_image

# The container waiting reasons of a failed or backed-off image pull (kubelet images/types.go,
# and RegistryUnavailable / SignatureValidationFailed from the CRI errors).
PULL_WAITING_REASONS = frozenset({
    "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "ImageInspectError",
    "RegistryUnavailable", "SignatureValidationFailed",
})


def waiting_reason(status: Any) -> Optional[str]:
    """A container status's waiting reason, when it has one."""
    reason = dig(status, "state", "waiting", "reason")
    return reason if isinstance(reason, str) else None


def is_pull_reason(reason: Optional[str]) -> bool:
    """A waiting reason from the image step: a named pull error, or a raw error text.

    The kubelet names every failure after the image step (CreateContainerConfigError,
    CreateContainerError, RunContainerError, ...); an error from the image step that has no
    name of its own, such as a pull secret it cannot decode, becomes the reason verbatim.
    """
    return reason in PULL_WAITING_REASONS or (reason is not None and any(ch.isspace() for ch in reason.strip()))


def has_problem(pod: Any) -> bool:
    """A pull problem in any container, or an eviction / node-pressure rejection."""
    if not isinstance(pod, dict):
        return False
    status = pod.get("status")
    if not isinstance(status, dict):
        return False  # nothing reported: neither evicted nor waiting on a pull
    if status.get("phase") == "Failed" and is_evicted(pod):
        return True
    if not _pull_wait_reported(status):
        return False  # the common case of a large list, decided without pairing specs and statuses
    return any(is_pull_reason(waiting_reason(status)) for _, _, status in iter_containers(pod))


_STATUS_FIELDS = tuple(status_field for _, status_field, _ in CONTAINER_KINDS)


def _pull_wait_reported(status: Obj) -> bool:
    """Whether any container status, matched to a spec or not, waits with a pull reason: when none
    does, no container of the pod can (``iter_containers`` only picks among these statuses)."""
    for field in _STATUS_FIELDS:
        entries = status.get(field)
        for entry in entries if isinstance(entries, list) else ():
            state = entry.get("state") if isinstance(entry, dict) else None
            if isinstance(state, dict) and "waiting" in state and is_pull_reason(waiting_reason(entry)):
                return True
    return False


@dataclass(frozen=True)
class HealthNote:
    """What a pod without a diagnosis is doing, so that "nothing wrong" is said, not implied."""

    state: str  # healthy | completed | failed | unscheduled | pulling | pending | not-a-pull-problem | problem
    message: str


def running_repositories(pod: Any) -> List[Tuple[str, str]]:
    """(registry, repository) of every container of the pod that runs: images the cluster can pull.

    >>> running_repositories({"spec": {"containers": [{"name": "a", "image": "nginx:1.27"}]},
    ...     "status": {"containerStatuses": [{"name": "a", "state": {"running": {}}}]}})
    [('docker.io', 'library/nginx')]
    """
    if not isinstance(pod, dict):
        return []
    found = []
    specs_of, statuses_of = pod.get("spec"), pod.get("status")
    if not isinstance(specs_of, dict):
        return found
    # ``iter_containers`` spelled out: this runs over every pod of every context read.
    for spec_field, status_field, _ in CONTAINER_KINDS:
        specs = specs_of.get(spec_field)
        if not isinstance(specs, list) or not specs:
            continue
        entries = statuses_of.get(status_field) if isinstance(statuses_of, dict) else None
        entries = entries if isinstance(entries, list) else []
        by_name: Optional[Dict[str, Any]] = None
        for position, spec in enumerate(specs):
            image = spec.get("image") if isinstance(spec, dict) else None
            if not isinstance(image, str):
                continue
            name = str(spec.get("name") or "")
            # The kubelet sorts statuses by name, so they mostly line up with the specs; a name lookup
            # table is built only for a pod whose statuses do not.
            entry = entries[position] if position < len(entries) else None
            if not isinstance(entry, dict) or str(entry.get("name")) != name:
                if by_name is None:
                    by_name = {str(status.get("name")): status for status in entries if isinstance(status, dict)}
                entry = by_name.get(name)
            state = entry.get("state") if isinstance(entry, dict) else None
            repository = _repository_of(image) if isinstance(state, dict) and state.get("running") is not None else None
            if repository is not None:
                found.append(repository)
    return found


@lru_cache(maxsize=4096)
def _repository_of(image: str) -> Optional[Tuple[str, str]]:
    """(registry, repository) of a valid reference: parsed once per distinct image of a large list."""
    ref = parse_image(image)
    return (ref.registry, ref.repository) if ref.valid else None


def describe_healthy(pod: Any, events: Union[EventIndex, Iterable[Any]], *, now: datetime) -> HealthNote:
    """One line for a pod ``diagnose_pods`` found nothing wrong with (or ``problem`` if it did).

    ``events`` may be an ``EventIndex`` built once, when describing many pods.
    """
    if not isinstance(pod, dict):
        return HealthNote("pending", "no pod object")
    if has_problem(pod):
        return HealthNote("problem", "the pod has an image-pull problem or was evicted")
    phase = dig(pod, "status", "phase")
    statuses = [(spec, status) for _, spec, status in iter_containers(pod)]
    for spec, status in statuses:
        reason = waiting_reason(status)
        if reason and reason not in ("ContainerCreating", "PodInitializing"):
            return HealthNote("not-a-pull-problem", f"container {spec.get('name')} is waiting ({reason}): not an "
                                                    "image-pull problem; kubectl describe pod shows why")
    if phase == "Succeeded":
        return HealthNote("completed", "the pod ran to completion")
    if phase == "Failed":
        reason = dig(pod, "status", "reason")
        why = f" ({reason})" if isinstance(reason, str) and reason else ""
        return HealthNote("failed", f"the pod failed{why}, but not because of an image pull or an eviction")
    if phase == "Running":
        return HealthNote("healthy", f"all {len(statuses)} containers' images were pulled; the pod is running")
    if not dig(pod, "spec", "nodeName"):
        return HealthNote("unscheduled", "not scheduled to a node yet, so no image has been pulled")
    pulling = _still_pulling(pod, events, now)
    if pulling:
        return HealthNote("pulling", pulling)
    return HealthNote("pending", "scheduled; no image-pull events yet")


def _still_pulling(pod: Obj, events: Union[EventIndex, Iterable[Any]], now: datetime) -> Optional[str]:
    pod_events = (events if isinstance(events, EventIndex) else EventIndex(events)).for_pod(pod)
    latest = unfinished_pull(pod_events)
    if latest is None:
        return None
    started = last_seen(latest)
    now = now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)
    ago = f" for {int((now - started).total_seconds())}s" if started is not None and started <= now else ""
    return f"still pulling{ago}: {message_of(latest)}"

"""What ``why`` finds, as typed results: a ``Diagnosis`` per failing container or evicted pod.

Times stay datetimes and references stay objects until ``core.serialize`` prints them, so the
views, the facts planner and the probe planner read attributes, never string keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Union

from .credentials.podcredentials import PullCredentials
from .evictions.messages import Eviction
from .podevents import EventSummary
from .pulls.classify import PullError
from .pulls.imageref import ImageRef
from .pulls.wordings import Ambiguity

LEFTOVER_AGE = timedelta(hours=1)  # the API server's default event TTL: older evictions are history
BACKOFF_NOTE = ("ImagePullBackOff is ErrImagePull plus a timer: after each failed pull the kubelet waits "
                "(10 s, doubling to 5 min) before trying the same pull again; the cause is the pull error")


@dataclass(frozen=True)
class PullEvidence:
    """What a container's diagnosis rests on: the event or waiting message, the image, the credentials."""

    source: str  # event | waiting-message | status
    cause_known: bool
    waiting_reason: Optional[str]
    waiting_message: Optional[str]
    event: Optional[EventSummary]  # the newest pull failure
    pull_secret_event: Optional[EventSummary]  # FailedToRetrieveImagePullSecret
    reference: ImageRef
    pull_error: Optional[PullError]
    ambiguity: Optional[Ambiguity]
    pull_secrets: PullCredentials
    node: Optional[str]
    node_info: Optional[Dict[str, Any]]  # None: the node was not read
    owner_source: str  # index | ownerReference | pod-template-hash | none
    pod_uid: Optional[str]
    node_gone: bool = False  # the node was read and is absent: deleted since the pod was placed

    DOCUMENT_IF_SET = ("node_gone",)


@dataclass(frozen=True)
class EvictionEvidence:
    """What an eviction's diagnosis rests on: the kubelet's message and event, parsed."""

    source: str  # status
    eviction: Eviction
    node: Optional[str]
    node_info: Optional[Dict[str, Any]]
    owner_source: str
    pod_uid: Optional[str]

    @property
    def node_gone(self) -> bool:
        """As in PullEvidence; documented once, as the eviction's ``nodeGone``."""
        return self.eviction.node_gone


Evidence = Union[PullEvidence, EvictionEvidence]


@dataclass(frozen=True)
class Backoff:
    """The kubelet's pull back-off as far as events show it: attempts, and the estimated next retry."""

    attempts: Optional[int]
    last_attempt: Optional[datetime]
    delay_seconds: Optional[int] = None
    next_retry: Optional[datetime] = None
    next_retry_in_seconds: Optional[int] = None
    note: str = BACKOFF_NOTE


@dataclass
class Diagnosis:
    """Why one container (or, for evictions, one pod) is failing, and what to do about it."""

    namespace: str
    pod: str
    container: Optional[str]
    container_type: Optional[str]  # init | regular | ephemeral; None for a pod-level finding
    image: Optional[str]
    cause: str
    summary: str
    message: str
    evidence: Evidence
    backoff: Optional[Backoff] = None
    fix: List[str] = field(default_factory=list)
    node: Optional[str] = None
    owner: Optional[str] = None
    since: Optional[datetime] = None  # first seen: the first failure, the eviction, else the pod's creation
    last_seen: Optional[datetime] = None  # the newest failure event, or the eviction; None when not on record
    leftover: bool = False  # an eviction older than LEFTOVER_AGE: a pod to clean up, not an incident
    context: Optional[str] = None  # the kubeconfig context, when a command read several (core.fleet)

    DOCUMENT_IF_SET = ("context",)

    @property
    def pod_uid(self) -> Optional[str]:
        return self.evidence.pod_uid


@dataclass
class DiagnosisGroup:
    """Diagnoses that share cause, image, owner and namespace: one finding for many pods."""

    namespace: str
    cause: str
    image: Optional[str]
    owner: Optional[str]
    diagnoses: List[Diagnosis]

    @property
    def count(self) -> int:
        return len(self.diagnoses)

    @property
    def pods(self) -> List[str]:
        return sorted({d.pod for d in self.diagnoses})

    @property
    def contexts(self) -> List[str]:
        """The contexts its pods are in, in the order read (empty when one context was read)."""
        return list(dict.fromkeys(d.context for d in self.diagnoses if d.context))

    @property
    def pod_count(self) -> int:
        """How many pods (``count`` is diagnoses: one pod may have many failing containers); a name in
        two contexts (a StatefulSet's ``web-0``) is two pods."""
        return len({(d.context, d.pod) for d in self.diagnoses})

    @property
    def containers(self) -> List[str]:
        """The failing containers' names, in the order first seen."""
        return list(dict.fromkeys(d.container for d in self.diagnoses if d.container))

    @property
    def name(self) -> str:
        """What the row is called: the pod, or for many pods their workload."""
        if self.pod_count == 1:
            return self.diagnoses[0].pod
        return self.owner or self.pods[0]

    @property
    def since(self) -> Optional[datetime]:
        moments = [d.since for d in self.diagnoses if d.since is not None]
        return min(moments) if moments else None

    @property
    def last_seen(self) -> Optional[datetime]:
        moments = [d.last_seen for d in self.diagnoses if d.last_seen is not None]
        return max(moments) if moments else None

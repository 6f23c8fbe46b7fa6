"""Pods and events in, one ``Diagnosis`` per failing container (or evicted pod) out.

Pure: the clock comes in as ``now`` and the cluster as plain dicts. A first pass needs only
pods and events; ``facts_needed`` then says which of nodes, secrets, service accounts and
owners would sharpen the fixes, and a second pass with those ``ClusterFacts`` fills them in.
So a run reads nodes or secrets only when a finding is about them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Set, Tuple, Union

from . import causes as c
from .evictions.parse import Eviction, eviction_fixes, parse_eviction, with_node
from .pulls.fixcontext import FixContext, describe_node
from .pulls.fixes import fixes_for
from .pulls.imageref import ImageRef, parse_image
from .diagnosis import LEFTOVER_AGE, Backoff, Diagnosis, DiagnosisGroup, EvictionEvidence, PullEvidence
from .kube import (
    Obj, container_kind, creation_time, dig, failed_at, iter_containers, labels_of, name_of, namespace_of, read_absent,
    uid_of,
)
from .podevents import (
    PULL_SECRET_EVENT_REASON, EventIndex, EventSummary, first_seen, for_container, is_failed_pull, is_pull_failure,
    last_seen, message_of, newest, reason_of,
)
from .credentials.podcredentials import PullCredentials, pull_credentials
from .pulls.classify import PullError, classify_pull_error
from .pulls.summaries import eviction_summary, pull_summary
from .podhealth import PULL_WAITING_REASONS, HealthNote, describe_healthy, has_problem, is_pull_reason, waiting_reason
from .durations import human_duration
from .pulls.progress import SLOW_PULL_AFTER, elapsed, pulls_by_node, running_pull, slow_pull_fixes, slow_pull_summary
from .workloads import OwnerIndex, WorkloadKey, owner_of, workload_ref
from .patterns import nodes_a_pattern_may_name

__all__ = [
    "PULL_WAITING_REASONS", "ClusterFacts", "Diagnosis", "DiagnosisGroup", "HealthNote", "describe_healthy",
    "diagnose_pods", "facts_needed", "group_diagnoses", "has_problem",
]

# Waiting reasons that settle the cause whatever the message says.
_CAUSE_BY_REASON = {
    "InvalidImageName": c.INVALID_IMAGE_NAME,
    "ErrImageNeverPull": c.IMAGE_NEVER_PULLED,
    "SignatureValidationFailed": c.SIGNATURE_VALIDATION_FAILED,
}
# Reasons that come from a pull attempt, so the kubelet's back-off timer runs.
_BACKOFF_REASONS = frozenset({"ErrImagePull", "ImagePullBackOff", "RegistryUnavailable", "SignatureValidationFailed"})
BACKOFF_INITIAL = timedelta(seconds=10)
BACKOFF_MAX = timedelta(seconds=300)


@dataclass(frozen=True)
class ClusterFacts:
    """Optional lookups for a second pass; None means "not fetched", never "none exist"."""

    nodes: Optional[Mapping[str, Obj]] = None
    secrets: Optional[Mapping[Tuple[str, str], Obj]] = None
    service_accounts: Optional[Mapping[Tuple[str, str], Obj]] = None
    owners: Optional[OwnerIndex] = None
    # Keys asked for and refused (403), with why, per kind: "nodes" (by name), "secrets" and
    # "serviceaccounts" (by namespace and name). Unknown, never absent.
    unreadable: Mapping[str, Mapping[Any, str]] = field(default_factory=dict)
    # (registry, repository) that pods in scope run: what a mistyped name most likely meant.
    running_images: FrozenSet[Tuple[str, str]] = frozenset()
    peers: Sequence[Obj] = ()  # other pods read for context: the critical pods of nodes where the kubelet preempted

    def node_gone(self, name: Optional[str]) -> bool:
        """Read and absent: nodes were read (every one the diagnosed pods name, ``gather.facts_for``)
        and this one was neither found nor refused (a 404, or missing from a complete list).

        >>> facts = ClusterFacts(nodes={"n1": {}}, unreadable={"nodes": {"n3": "forbidden"}})
        >>> facts.node_gone("n1"), facts.node_gone("n2"), facts.node_gone("n3"), ClusterFacts().node_gone("n2")
        (False, True, False, False)
        """
        return read_absent(name, self.nodes, self.unreadable.get("nodes", {}))


def diagnose_pods(pods: Iterable[Any], events: Union[EventIndex, Iterable[Any]], *, now: datetime,
                  facts: ClusterFacts = ClusterFacts(), slow_pull_after: timedelta = SLOW_PULL_AFTER,
                  running: Optional[Dict[str, List[Tuple[str, str]]]] = None) -> List[Diagnosis]:
    """Diagnose every failing container and evicted pod; healthy pods yield nothing.

    Events are matched by pod uid and container fieldPath; the newest pull failure wins and
    the kubelet 1.32+ waiting message stands in when events have expired. ``events`` may be an
    ``EventIndex`` built once, when the same events serve several passes; ``running`` (the pulls
    still running per node, ``pulls_by_node``) likewise, when a pass sees only some of the pods.
    """
    now = now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)
    index = events if isinstance(events, EventIndex) else EventIndex(events)
    pods = [pod for pod in pods if isinstance(pod, dict)]
    context = pods + list(facts.peers)
    running = running if running is not None else pulls_by_node(pods, index)
    found: List[Diagnosis] = []
    for pod in pods:
        if not isinstance(pod, dict):
            continue
        pod_events = index.for_pod(pod)
        owner_key, owner_source = _owner(pod, facts.owners)
        eviction = parse_eviction(pod, pod_events, owners=facts.owners, peers=context)
        if eviction is not None:
            found.append(_diagnose_eviction(pod, eviction, facts, owner_key, owner_source, now))
            continue
        secret_event = newest(e for e in pod_events if reason_of(e) == PULL_SECRET_EVENT_REASON)
        for field_path, spec, status in iter_containers(pod):
            diagnosis = _diagnose_container(pod, field_path, spec, status, pod_events, secret_event,
                                            facts, (owner_key, owner_source), now)
            if diagnosis is None:
                pulling = running_pull(pod_events, field_path, spec, status)
                took = elapsed(pulling, now) if pulling is not None else None
                if took is not None and took > slow_pull_after:
                    diagnosis = _diagnose_slow_pull(pod, field_path, spec, status, pulling, took, facts,
                                                    (owner_key, owner_source), running, now)
            if diagnosis is not None:
                found.append(diagnosis)
    return found


def group_diagnoses(diagnoses: Sequence[Diagnosis]) -> List[DiagnosisGroup]:
    """Group by namespace, cause, image and owner; sorted by namespace then name, as kubectl sorts rows."""
    groups: Dict[Tuple[str, str, Optional[str], Optional[str]], DiagnosisGroup] = {}
    for diagnosis in diagnoses:
        key = (diagnosis.namespace, diagnosis.cause, diagnosis.image, diagnosis.owner)
        if key not in groups:
            groups[key] = DiagnosisGroup(*key, diagnoses=[])
        groups[key].diagnoses.append(diagnosis)
    return sorted(groups.values(), key=lambda g: (g.namespace, g.name, g.diagnoses[0].container or "", g.cause))


def facts_needed(diagnoses: Iterable[Diagnosis]) -> Set[str]:
    """Which of "nodes", "secrets", "serviceaccounts", "owners" a second pass would use.

    Nodes only for platform, disk and eviction findings, and where a node pattern may show (its checks
    name the node, which may have been deleted since); secrets and service accounts only
    for credential causes (and for Docker Hub's missing-or-private answer, which they settle).
    Facts already applied are not asked for again.
    """
    needed: Set[str] = set()
    diagnoses = list(diagnoses)
    pattern_nodes = nodes_a_pattern_may_name(diagnoses)
    for diagnosis in diagnoses:
        evidence = diagnosis.evidence
        about_node = (diagnosis.cause in (c.PLATFORM_MISMATCH, c.NODE_DISK_FULL, c.SLOW_PULL)
                      or diagnosis.cause in c.EVICTION_CAUSES or diagnosis.node in pattern_nodes)
        if about_node and diagnosis.node and evidence.node_info is None and not evidence.node_gone:
            needed.add("nodes")
            if diagnosis.cause == c.PREEMPTED_BY_KUBELET:
                needed.add("nodepods")  # the critical pods of the node, to name the one it made room for
        if isinstance(evidence, PullEvidence):
            credentials = evidence.pull_secrets
            about_secrets = evidence.pull_error is not None and evidence.pull_error.pattern == "malformed-secret"
            if diagnosis.cause in c.AUTH_CAUSES or evidence.ambiguity or about_secrets:
                if any(state.exists is None for state in credentials.secrets):
                    needed.add("secrets")
                if credentials.account_secrets is None:
                    needed.add("serviceaccounts")
        # A ReplicaSet or Job may have an owner of its own (Deployment, CronJob) to name instead.
        parent_possible = (diagnosis.owner or "").split("/")[0] in ("replicaset", "job")
        if evidence.owner_source == "pod-template-hash" or (
                evidence.owner_source == "ownerReference" and parent_possible):
            needed.add("owners")
    return needed


# --- containers --------------------------------------------------------------------------


def _owner(pod: Obj, index: Optional[OwnerIndex]) -> Tuple[Optional[WorkloadKey], str]:
    """The workload to change, and how it was found (index, ownerReference, pod-template-hash)."""
    key = owner_of(pod, index)
    if key is None or not key[1]:
        return None, "none"
    template_hash = _text(labels_of(pod).get("pod-template-hash"))
    if key[0] == "ReplicaSet" and template_hash and key[1].endswith("-" + template_hash):
        return ("Deployment", key[1][: -len(template_hash) - 1]), "index" if index is not None else "pod-template-hash"
    return key, "index" if index is not None else "ownerReference"


def _diagnose_container(pod: Obj, field_path: str, spec: Obj, status: Obj, pod_events: List[Obj],
                        secret_event: Optional[Obj], facts: ClusterFacts,
                        owner: Tuple[Optional[WorkloadKey], str], now: datetime) -> Optional[Diagnosis]:
    container_type, spec_list = container_kind(field_path)
    name = str(spec.get("name") or "")
    image = spec.get("image") if isinstance(spec.get("image"), str) else ""
    reason = waiting_reason(status)
    events = for_container(pod_events, spec_list, name, image)
    raw_echo = f"Error: {reason}" if reason and reason not in PULL_WAITING_REASONS else None
    failures = [e for e in events if is_pull_failure(e) or (raw_echo and message_of(e) == raw_echo)]
    if not is_pull_reason(reason) and not _unreported_failure(pod, status, events, failures):
        return None
    ref = parse_image(image)
    credentials = _with_secret_event(
        pull_credentials(pod, image, facts.secrets, facts.service_accounts, now, facts.unreadable), secret_event)
    sends = credentials.sends_credentials
    has_secrets = sends if sends is not None else bool(credentials.secrets)
    error, source = _pull_error(failures, dig(status, "state", "waiting", "message"), ref, has_secrets, reason)
    cause = _CAUSE_BY_REASON.get(reason or "") or (error.cause if error and error.cause else None)
    cause_known = cause is not None
    cause = cause or (c.REGISTRY_UNREACHABLE if reason == "RegistryUnavailable" else c.PULL_FAILED)
    node = _text(dig(pod, "spec", "nodeName"))
    node_info, node_unreadable, node_gone = _node_facts(facts, node)
    ctx = FixContext(namespace_of(pod), name_of(pod), name, container_type, ref, owner[0], node, error, credentials,
                     node_info, str(spec.get("imagePullPolicy") or ""), cause_known, node_unreadable,
                     tuple(sorted(facts.running_images)), node_gone)
    evidence = replace(_container_evidence(source, cause_known, status, newest(failures), secret_event, ref, error,
                                           credentials, node, node_info, owner[1], pod), node_gone=node_gone)
    since = min((m for m in (first_seen(e) for e in failures) if m is not None), default=None)
    last = max((m for m in (last_seen(e) for e in failures) if m is not None), default=None)
    return Diagnosis(
        namespace=namespace_of(pod), pod=name_of(pod), container=name, container_type=container_type,
        image=image, cause=cause, summary=pull_summary(cause, ctx), message=_message(error, status),
        evidence=evidence, backoff=_backoff(failures, reason, now, node_gone), fix=fixes_for(cause, ctx), node=node,
        owner=workload_ref(*owner[0]) if owner[0] else None, since=since or creation_time(pod), last_seen=last,
    )


def _container_evidence(source: str, cause_known: bool, status: Obj, failure: Optional[Obj],
                        secret_event: Optional[Obj], ref: ImageRef, error: Optional[PullError],
                        credentials: PullCredentials, node: Optional[str], node_info: Optional[Dict[str, Any]],
                        owner_source: str, pod: Obj) -> PullEvidence:
    """What the diagnosis rests on, for -o json and the explanation block."""
    return PullEvidence(
        source=source,
        cause_known=cause_known,
        waiting_reason=waiting_reason(status),
        waiting_message=_text(dig(status, "state", "waiting", "message")),
        event=EventSummary.of(failure) if failure else None,
        pull_secret_event=EventSummary.of(secret_event) if secret_event else None,
        reference=ref,
        pull_error=error,
        ambiguity=error.ambiguity if error else None,
        pull_secrets=credentials,
        node=node,
        node_info=node_info,
        owner_source=owner_source,
        pod_uid=uid_of(pod) or None,
    )


def _diagnose_slow_pull(pod: Obj, field_path: str, spec: Obj, status: Obj, pulling: Obj, took: timedelta,
                        facts: ClusterFacts,
                        owner: Tuple[Optional[WorkloadKey], str], running: Dict[str, List[Tuple[str, str]]],
                        now: datetime) -> Diagnosis:
    container_type = container_kind(field_path)[0]
    name, image = str(spec.get("name") or ""), str(spec.get("image") or "")
    ref, node = parse_image(image), _text(dig(pod, "spec", "nodeName"))
    credentials = pull_credentials(pod, image, None, None, now)
    node_info, node_unreadable, node_gone = _node_facts(facts, node)
    ctx = FixContext(namespace_of(pod), name_of(pod), name, container_type, ref, owner[0], node, None, credentials,
                     node_info, str(spec.get("imagePullPolicy") or ""), True, node_unreadable, node_gone=node_gone)
    me = (f"{namespace_of(pod)}/{name_of(pod)}", image)
    others = [pull for pull in running.get(node or "", []) if pull != me]
    waiting = _text(dig(status, "state", "waiting", "reason"))
    evidence = PullEvidence("event", True, waiting, None, EventSummary.of(pulling), None, ref, None, None, credentials,
                            node, node_info, owner[1], uid_of(pod) or None, node_gone)
    started = last_seen(pulling)
    return Diagnosis(
        namespace=namespace_of(pod), pod=name_of(pod), container=name, container_type=container_type, image=image,
        cause=c.SLOW_PULL, summary=slow_pull_summary(ctx, took, human_duration(took.total_seconds())),
        message="", evidence=evidence, fix=slow_pull_fixes(ctx, others), node=node,
        owner=workload_ref(*owner[0]) if owner[0] else None, since=started,
    )


def _unreported_failure(pod: Obj, status: Obj, events: List[Obj], failures: List[Obj]) -> bool:
    """A container the kubelet has not reported on (or whose status is lost) with failed pulls."""
    if not failures or dig(status, "state") or dig(pod, "status", "phase") not in (None, "Pending"):
        return False
    latest = newest(e for e in events if reason_of(e) == "Pulled" or is_pull_failure(e))
    return latest is not None and reason_of(latest) != "Pulled"


def _pull_error(failures: List[Obj], waiting_message: Any, ref: ImageRef, has_secrets: bool,
                reason: Optional[str]) -> Tuple[Optional[PullError], str]:
    """The newest failure event's error, else the waiting message's (kubelet 1.32+ keeps it)."""
    latest = newest(failures)
    from_event = classify_pull_error(message_of(latest), image=ref, has_pull_secrets=has_secrets) if latest else None
    if from_event is not None and from_event.cause:
        return from_event, "event"
    from_waiting = classify_pull_error(waiting_message, image=ref, has_pull_secrets=has_secrets) \
        if isinstance(waiting_message, str) and waiting_message else None
    if from_waiting is not None and from_waiting.cause:
        return from_waiting, "waiting-message"
    return from_event or from_waiting, "status" if reason else "event"


def _text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def _message(error: Optional[PullError], status: Obj) -> str:
    if error is not None and error.evidence:
        return error.evidence
    return _text(dig(status, "state", "waiting", "message")) or ""


def _with_secret_event(credentials: PullCredentials, event: Optional[Obj]) -> PullCredentials:
    """Unfetched secrets the kubelet reported it could not retrieve are known to be missing."""
    if event is None:
        return credentials
    text = message_of(event)
    listed = text[text.find("(") + 1: text.find(")")] if "(" in text and ")" in text else ""
    missing = {name.strip() for name in listed.split(",") if name.strip()}
    states = tuple(replace(s, exists=False, unreadable=None) if s.exists is None and s.name in missing else s
                   for s in credentials.secrets)
    return replace(credentials, secrets=states)


def _backoff(failures: List[Obj], reason: Optional[str], now: datetime, node_gone: bool = False) -> Optional[Backoff]:
    """Attempts so far and the estimated next retry: 10 s after the first failure, doubling to 5 min.

    The kubelet keeps the timer in memory, keyed by pod uid and image; the events' count and
    last time are the only outside record of it, so this is an estimate. A deleted node's kubelet
    retries nothing: then only the attempts.
    """
    pulls = [e for e in failures if is_failed_pull(e)]
    if reason not in _BACKOFF_REASONS and not pulls:
        return None
    attempts = sum(EventSummary.of(e).count for e in pulls) if pulls else None
    moments = [m for m in (last_seen(e) for e in pulls) if m is not None]
    last = max(moments) if moments else None
    if not attempts or last is None or node_gone:
        return Backoff(attempts, last)
    delay = min(BACKOFF_INITIAL * 2 ** min(attempts - 1, 16), BACKOFF_MAX)
    try:
        retry = last + delay
    except OverflowError:  # an event stamped near year 9999: no estimate, the rest still holds
        return Backoff(attempts, last, int(delay.total_seconds()))
    return Backoff(attempts, last, int(delay.total_seconds()), retry, max(0, int((retry - now).total_seconds())))


# --- evictions ---------------------------------------------------------------------------


def _node_facts(facts: ClusterFacts, node: Optional[str]) -> Tuple[Optional[Dict[str, Any]], Optional[str], bool]:
    """What a fix quotes about the node (None: not read, or gone), why it could not be read (a 403),
    and whether it was read absent."""
    if not node:
        return None, None, False
    info = describe_node(facts.nodes.get(node)) if facts.nodes is not None else None
    return info, facts.unreadable.get("nodes", {}).get(node), facts.node_gone(node)


def _diagnose_eviction(pod: Obj, eviction: Eviction, facts: ClusterFacts, owner: Optional[WorkloadKey],
                       owner_source: str, now: datetime) -> Diagnosis:
    node = _text(eviction.node)
    node_info, node_unreadable, node_gone = _node_facts(facts, node)
    eviction = with_node(eviction, facts.nodes.get(node) if facts.nodes is not None and node else None, node_gone)
    fix = eviction_fixes(eviction, pod, owner)
    if node_unreadable:
        fix.insert(0, f"Node {node} could not be read ({node_unreadable}); to see its conditions: kubectl describe node {node}")
    if node_info is not None and (eviction.node_conditions or eviction.kind in ("NodePressure", "LocalStorageLimit")):
        pressure = ", ".join(node_info["pressure"]) or "none"
        fix.insert(0, f"Node {node} now reports pressure conditions: {pressure}")
    # The eviction's node comes straight from the pod: keep it only if it is text.
    evidence = EvictionEvidence("status", replace(eviction, node=node), node, node_info, owner_source, uid_of(pod) or None)
    ended = eviction.evicted_at or failed_at(pod)
    return Diagnosis(
        namespace=namespace_of(pod), pod=name_of(pod), container=None, container_type=None, image=None,
        cause=eviction.cause, summary=eviction_summary(eviction), message=eviction.message, evidence=evidence,
        fix=fix, node=node, owner=workload_ref(*owner) if owner else None,
        since=ended or creation_time(pod), last_seen=ended,
        leftover=ended is not None and now - ended > LEFTOVER_AGE,
    )

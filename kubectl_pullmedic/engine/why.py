"""``why``: the pods in scope (or of one target), their events, a diagnosis, facts only if needed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ..cluster import gather
from ..cluster.api import Cluster, Obj
from ..cluster.gather import Scope
from ..core import causes
from ..core.diagnose import ClusterFacts, describe_healthy, diagnose_pods, facts_needed, group_diagnoses, has_problem
from ..core.evictions.context import is_critical
from ..core.kube import name_of, namespace_of, uid_of
from ..core.diagnosis import Diagnosis
from ..core.patterns import find_patterns, wants_pull_history
from ..core.working import WorkingImages
from ..core.podevents import EventIndex
from ..core.pulls.progress import SLOW_PULL_AFTER, may_be_pulling, pulls_by_node
from ..core.probing.plan import DiagnosisKey, ProbeTarget, diagnosis_targets, facts_for_probing
from ..core.probing.results import ProbeResult
from ..core.reports import HealthyPod, Where, WhyReport

Prober = Callable[[Sequence[ProbeTarget]], List[ProbeResult]]


@dataclass(frozen=True)
class WhyQuery:
    scope: Scope
    target: Optional[Tuple[str, str]]  # (kind, name) from POD or TYPE/NAME; None: every problem pod
    target_text: str = ""
    now: Optional[datetime] = None
    since: Optional[timedelta] = None  # only problems seen within this long
    slow_pull_after: timedelta = SLOW_PULL_AFTER


def why(cluster: Cluster, query: WhyQuery, prober: Optional[Prober] = None) -> WhyReport:
    """Diagnose; a second pass, over the diagnosed pods only, once nodes/secrets/owners are read.

    With a ``prober`` every failing container's image is asked of its registry with the
    credentials its pod sends and its node's platform.
    """
    scope, now = query.scope, query.now
    warnings: List[str] = []
    intermediates: List[Obj] = []
    slow = query.slow_pull_after
    working = WorkingImages()  # what runs and pulled fine: typo suggestions and the patterns across pods
    if query.target:
        pods, intermediates = gather.pods_for_target(cluster, scope, *query.target)
        for pod in pods:
            working.add_pod(pod)
        # A few pods asked about by name: all their events, so a pull still running is seen too.
        events = gather.warning_events_for(cluster, pods, scope, gather.POD_EVENTS)
    else:
        listing = gather.pods_matching(cluster, scope, keep=lambda pod: has_problem(pod) or may_be_pulling(pod),
                                       observe=working.add_pod)
        pods, warnings = listing.items, list(listing.warnings)
        events = gather.warning_events_for(cluster, [pod for pod in pods if has_problem(pod)], scope)
        starting = [pod for pod in pods if not has_problem(pod)]
        for selector in gather.PULL_PROGRESS_EVENTS if starting else ():
            progress = gather.warning_events_for(cluster, starting, scope, selector)
            events.items += progress.items
            events.warnings += progress.warnings
    warnings += events.warnings
    for event in events.items:
        working.add_event(event)
    index = EventIndex(events.items)
    running = pulls_by_node(pods, index)  # every pod read, for "N other pulls on this node"
    facts = ClusterFacts(running_images=working.running_images)
    diagnoses = diagnose_pods(pods, index, now=now, facts=facts, slow_pull_after=slow, running=running)
    needed = facts_needed(diagnoses) | (facts_for_probing(diagnoses) if prober else set())
    diagnosed = {d.pod_uid for d in diagnoses}
    if needed:
        concerned = [pod for pod in pods if (uid_of(pod) or None) in diagnosed]
        fetched, hidden = gather.facts_for(cluster, needed, concerned, intermediates)
        facts = replace(fetched, running_images=facts.running_images)
        warnings += hidden
        if "nodepods" in needed:
            preempted = {d.node or "" for d in diagnoses if d.cause == causes.PREEMPTED_BY_KUBELET}
            facts = replace(facts, peers=gather.pods_on_nodes(cluster, preempted, keep=is_critical))
        diagnoses = diagnose_pods(concerned, index, now=now, facts=facts, slow_pull_after=slow, running=running)
        for node in (facts.nodes or {}).values():
            working.add_node(node)
    probes: Dict[DiagnosisKey, ProbeResult] = {}
    if prober:
        targets = diagnosis_targets(diagnoses, pods, facts.secrets or {})
        probes = dict(zip(targets, prober(list(targets.values()))))
    fine = [pod for pod in pods if (uid_of(pod) or None) not in diagnosed] if query.target else []
    healthy = [HealthyPod(namespace_of(pod), name_of(pod), describe_healthy(pod, index, now=now)) for pod in fine]
    subject = (f"pods of {query.target_text}" if query.target and query.target[0] != "Pod"
               else "pods with image-pull problems or evictions")
    if query.since is not None:
        try:
            start = now - query.since
        except OverflowError:  # --since longer than the calendar: everything is within it
            start = datetime.min.replace(tzinfo=now.tzinfo)
        diagnoses = [d for d in diagnoses if _seen_within(d, start)]
    current = [d for d in diagnoses if not d.leftover]
    patterns = find_patterns(current, working, now)
    if wants_pull_history(patterns):  # one more list, only to sharpen a node or registry pattern that shows
        gather.events_seen(cluster, scope, gather.PULLED_EVENTS, working.add_event)
        patterns = find_patterns(current, working, now)
    live = group_diagnoses(current)
    leftovers = group_diagnoses([d for d in diagnoses if d.leftover])
    return WhyReport(Where(scope.namespace), subject, diagnoses, live, healthy, probes, warnings, leftovers,
                     targeted=query.target is not None, patterns=patterns)


def _seen_within(diagnosis: Diagnosis, start: datetime) -> bool:
    """A problem with no time on record (a container waiting right now) is current, so it stays."""
    moment = diagnosis.last_seen or (diagnosis.since if diagnosis.container is None else None)
    return moment is None or moment >= start

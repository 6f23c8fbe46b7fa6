"""``why``: the pods in scope (or of one target), their events, a diagnosis, facts only if needed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ..cluster import gather
from ..cluster.api import Cluster, Obj
from ..cluster.gather import Scope
from ..core import causes
from ..core.diagnose import ClusterFacts, describe_healthy, diagnose_pods, facts_needed, group_diagnoses, has_problem
from ..core.evictions.context import is_critical
from ..core.kube import name_of, namespace_of, uid_of
from ..core.podevents import EventIndex
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


def why(cluster: Cluster, query: WhyQuery, prober: Optional[Prober] = None) -> WhyReport:
    """Diagnose; a second pass, over the diagnosed pods only, once nodes/secrets/owners are read.

    With a ``prober`` every failing container's image is asked of its registry with the
    credentials its pod sends and its node's platform.
    """
    scope, now = query.scope, query.now
    warnings: List[str] = []
    intermediates: List[Obj] = []
    if query.target:
        pods, intermediates = gather.pods_for_target(cluster, scope, *query.target)
    else:
        listing = gather.pods_matching(cluster, scope, keep=has_problem)
        pods, warnings = listing.items, list(listing.warnings)
    events = gather.warning_events_for(cluster, pods, scope)
    warnings += events.warnings
    index = EventIndex(events.items)
    diagnoses = diagnose_pods(pods, index, now=now)
    needed = facts_needed(diagnoses) | (facts_for_probing(diagnoses) if prober else set())
    facts = ClusterFacts()
    diagnosed = {d.pod_uid for d in diagnoses}
    if needed:
        concerned = [pod for pod in pods if (uid_of(pod) or None) in diagnosed]
        facts, hidden = gather.facts_for(cluster, needed, concerned, intermediates)
        warnings += hidden
        if "nodepods" in needed:
            preempted = {d.node or "" for d in diagnoses if d.cause == causes.PREEMPTED_BY_KUBELET}
            facts = replace(facts, peers=gather.pods_on_nodes(cluster, preempted, keep=is_critical))
        diagnoses = diagnose_pods(concerned, index, now=now, facts=facts)
    probes: Dict[DiagnosisKey, ProbeResult] = {}
    if prober:
        targets = diagnosis_targets(diagnoses, pods, facts.secrets or {})
        probes = dict(zip(targets, prober(list(targets.values()))))
    fine = [pod for pod in pods if (uid_of(pod) or None) not in diagnosed] if query.target else []
    healthy = [HealthyPod(namespace_of(pod), name_of(pod), describe_healthy(pod, index, now=now)) for pod in fine]
    subject = (f"pods of {query.target_text}" if query.target and query.target[0] != "Pod"
               else "pods with image-pull problems or evictions")
    return WhyReport(Where(scope.namespace), subject, diagnoses, group_diagnoses(diagnoses), healthy, probes, warnings)

"""``kubectl pullmedic why``."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import click

from ..cluster import gather
from ..render import why as whyview
from ..core.diagnose import ClusterFacts, describe_healthy, diagnose_pods, facts_needed, group_diagnoses, has_problem
from ..core.podevents import EventIndex
from ..core.probing.plan import DiagnosisKey, diagnosis_targets, facts_for_probing
from ..core.workloads import parse_workload_arg
from ..errors import ExitCode
from ..registry.probe import ProbeResult
from ..settings import Settings
from . import cli
from .common import connect, emit, nothing_found, probe_registries, scope_of, warn
from .options import connection_options, listing_options, probe_options

EXAMPLES = """\
# Every pod with an image-pull problem or eviction in the current namespace
kubectl pullmedic why

# One pod, explained in full, with the commands that fix it
kubectl pullmedic why web-7d4b9c-x2x5q -n shop

# The pods of a workload (deploy, sts, ds, rs, job, cj)
kubectl pullmedic why deploy/web -n shop

# The whole cluster, as JSON for scripts
kubectl pullmedic why -A -o json

# Also ask the registry, with the pod's pull secret, whether the tag exists for the node's platform
kubectl pullmedic why web-7d4b9c-x2x5q -n shop --probe
"""


@cli.command("why", examples=EXAMPLES)
@connection_options
@listing_options()
@click.argument("target", required=False, metavar="[POD | TYPE/NAME]")
@probe_options
@click.pass_obj
def why(settings: Settings, target: Optional[str], probe: bool, insecure_registries: Tuple[str, ...],
        registry_ca: Optional[str]) -> int:
    """Explain why pods cannot pull their images or were evicted, and how to fix it.

    Names the cause of every ErrImagePull, ImagePullBackOff, InvalidImageName,
    ErrImageNeverPull and eviction from the kubelet's events and the pod's status (kubelet
    1.32+ keeps the last pull error even after events expire), with the registry's own words,
    the back-off state, and paste-ready fix commands. Exits 1 when a problem is found.

    With --probe, each failing image is also asked of its registry with the credentials the
    pod sends and for its node's os/arch; this machine's network is not the node's.
    """
    kind_name = _parse_target(target, settings)
    cluster = connect(settings)
    scope = scope_of(settings, cluster)
    now = settings.now()
    warnings: List[str] = []
    intermediates: List[dict] = []
    if kind_name:
        pods, intermediates = gather.pods_for_target(cluster, scope, *kind_name)
    else:
        listing = gather.pods_matching(cluster, scope, keep=has_problem)
        pods, warnings = listing.items, listing.warnings
    events = gather.warning_events_for(cluster, pods, scope)
    warnings += events.warnings
    diagnoses = diagnose_pods(pods, events.items, now=now)
    needed = facts_needed(diagnoses) | (facts_for_probing(diagnoses) if probe else set())
    facts = ClusterFacts()
    if needed:
        diagnosed = {d.evidence.get("podUid") for d in diagnoses}
        facts, hidden = gather.facts_for(cluster, needed, [p for p in pods if (p.get("metadata") or {}).get("uid") in diagnosed], intermediates)
        warnings += hidden
        diagnoses = diagnose_pods(pods, events.items, now=now, facts=facts)
    warn(settings, warnings)
    probes: Dict[DiagnosisKey, ProbeResult] = {}
    if probe:
        targets = diagnosis_targets(diagnoses, pods, facts.secrets or {})
        probes = dict(zip(targets, probe_registries(settings, list(targets.values()), insecure_registries, registry_ca)))
    diagnosed = {d.evidence.get("podUid") for d in diagnoses}
    fine = [p for p in pods if (p.get("metadata") or {}).get("uid") not in diagnosed] if kind_name else []
    event_index = EventIndex(events.items)  # built once, not once per healthy pod
    notes = [describe_healthy(pod, event_index, now=now) for pod in fine]
    if settings.output in ("json", "yaml"):
        emit(settings, whyview.document(diagnoses, whyview.as_note_dicts(notes, fine), settings.output, probes))
    elif not diagnoses and not notes:
        what = f"pods of {target}" if kind_name and kind_name[0] != "Pod" else "pods with image-pull problems or evictions"
        nothing_found(settings, scope, what)
    else:
        groups = group_diagnoses(diagnoses)
        emit(settings, whyview.table(groups, now=now, wide=settings.output == "wide", all_namespaces=scope.all_namespaces,
                                     no_headers=settings.no_headers, color=settings.use_color))
        if groups and not settings.no_headers:
            emit(settings, "\n" + whyview.explanations(groups, now=now, color=settings.use_color, probes=probes))
        emit(settings, whyview.healthy_lines(notes, fine))
    return ExitCode.FINDINGS if diagnoses else ExitCode.OK


def _parse_target(target: Optional[str], settings: Settings) -> Optional[tuple]:
    if not target:
        return None
    if settings.all_namespaces:
        raise click.UsageError("a pod or workload name cannot be combined with -A/--all-namespaces")
    try:
        return parse_workload_arg(target)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="POD | TYPE/NAME") from None

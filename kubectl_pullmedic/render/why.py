"""How ``why`` shows its diagnoses: a kubectl-style table, then an explanation per finding.

Many pods failing for one reason (same namespace, cause, image and owner) become one row
and one explanation, so a broken rollout of 40 replicas reads as one finding.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, List, Mapping, Optional, Sequence

from . import documents, tables
from ..core.diagnosis import LEFTOVER_AGE, Backoff, Diagnosis, DiagnosisGroup, PullEvidence
from ..core.patterns import Pattern
from ..core.reports import HealthyPod, WhyReport
from ..core.pulls.wordings import Ambiguity
from ..core.durations import human_duration
from ..core.serialize import as_document
from ..core.probing.plan import DiagnosisKey
from .patterns import pattern_note, patterns_block
from .probe import probe_footer, probe_sentence
from .view import Rendered, View, nothing_found, warnings_text
from ..core.probing.results import ProbeResult

Probes = Mapping[DiagnosisKey, ProbeResult]

CAUSE_STYLE = "red"


def render_report(report: WhyReport, view: View) -> Rendered:
    """The table, an explanation per finding, and a line per healthy pod of the target; or a document."""
    out = Rendered(stderr=warnings_text(report.warnings))
    if view.output in ("json", "yaml"):
        out.stdout = document(report.diagnoses, healthy_documents(report.healthy), view.output, report.probes,
                              report.warnings, report.patterns)
    elif not report.diagnoses and not report.healthy:
        out.stderr += nothing_found(report.where, report.subject)
    else:
        wide, all_namespaces = view.output == "wide", report.where.all_namespaces
        several = report.where.several_contexts
        blocks = []
        if report.groups:
            blocks.append(table(report.groups, now=view.now, wide=wide, all_namespaces=all_namespaces,
                                no_headers=view.no_headers, color=view.color, several_contexts=several))
            if report.patterns:
                blocks.append(patterns_block(report.patterns, now=view.now, color=view.color))
            blocks.append(explanations(report.groups, now=view.now, color=view.color, probes=report.probes,
                                       patterns=report.patterns))
        if report.leftovers:
            blocks.append(_leftover_heading(report) + table(report.leftovers, now=view.now, wide=wide,
                                                           all_namespaces=all_namespaces, several_contexts=several,
                                                           no_headers=view.no_headers, color=view.color))
            if report.targeted:
                blocks.append(explanations(report.leftovers, now=view.now, color=view.color))
        if report.healthy:
            blocks.append("".join(f"{pod.namespace}/{pod.pod}{_in_context(pod.context)}: {pod.note.message}\n"
                                  for pod in report.healthy))
        out.stdout = "\n".join(blocks)
    return out


def _leftover_heading(report: WhyReport) -> str:
    count = sum(group.pod_count for group in report.leftovers)
    where = "-A" if report.where.all_namespaces else f"-n {report.where.namespace}"
    where += f" --context {','.join(report.where.contexts)}" if report.where.several_contexts else ""
    pods = f"{count} pod{'s' if count != 1 else ''}"
    return (f"Leftovers: {pods} evicted more than {human_duration(LEFTOVER_AGE.total_seconds())} ago, not counted "
            f"in the exit code (kubectl pullmedic clean {where} --dry-run=client shows what it would remove):\n")


def document(diagnoses: Sequence[Diagnosis], notes: Sequence[Dict[str, Any]], fmt: str, probes: Optional[Probes] = None,
             warnings: Sequence[str] = (), patterns: Sequence[Pattern] = ()) -> str:
    """``-o json|yaml``: a DiagnosisList; pods found healthy are listed under ``healthy``, what failing
    pods share under ``patterns`` (with the pods each covers).

    With ``--probe`` each probed diagnosis carries the registry's answer under ``probe``.
    """
    extra: Dict[str, Any] = {"healthy": as_document(list(notes))} if notes else {}
    if patterns:
        extra["patterns"] = as_document(list(patterns))
    probes = probes or {}
    items = []
    for diagnosis in diagnoses:
        item = as_document(diagnosis)
        answer = _probe_of(diagnosis, probes)
        if answer is not None:
            item["probe"] = as_document(answer)
        items.append(item)
    # Every part is plain already: converted once (``documents.document`` would walk it all again).
    return documents.encoded(documents.list_document("DiagnosisList", items, warnings, **extra), fmt)


def _probe_of(diagnosis: Diagnosis, probes: Probes) -> Optional[ProbeResult]:
    """Over several contexts the keys lead with the context (``core.fleet``): pod names may repeat."""
    key = (diagnosis.namespace, diagnosis.pod, diagnosis.container or "")
    return probes.get((diagnosis.context, *key) if diagnosis.context else key)  # type: ignore[call-overload]


def _in_context(context: Optional[str]) -> str:
    return f" (context {context})" if context else ""


def table(groups: Sequence[DiagnosisGroup], *, now: datetime, wide: bool, all_namespaces: bool, no_headers: bool,
          color: bool, several_contexts: bool = False) -> str:
    headers = (["context"] if several_contexts else []) + (["namespace"] if all_namespaces else []) + [
        "pod", "container", "image", "cause", "last seen"]
    if wide:
        headers += ["first seen", "node", "attempts", "next retry"]
    rows = []
    for group in groups:
        first = group.diagnoses[0]
        pod = group.name if group.pod_count == 1 else f"{group.name} ({group.pod_count} pods)"
        row = tables.context_columns(several_contexts, group.contexts) + (
            [group.namespace] if all_namespaces else []) + [
            pod,
            _container_cell(group),
            first.image,
            tables.style(group.cause, CAUSE_STYLE, color),
            _last_seen(group, now),
        ]
        if wide:
            nodes = sorted({d.node for d in group.diagnoses if d.node})
            retry = first.backoff.next_retry_in_seconds if first.backoff else None
            row += [
                tables.human_age(group.since, now),
                ",".join(nodes),
                first.backoff.attempts if first.backoff else None,
                None if retry is None else ("now" if retry == 0 else f"in {tables.human_age(now, _later(now, retry))}"),
            ]
        rows.append(row)
    return tables.table(headers, rows, no_headers=no_headers)


def _last_seen(group: DiagnosisGroup, now: datetime) -> str:
    """The newest failure event or eviction; a container waiting on a pull right now, with no event
    on record, is seen in the status just read."""
    if group.last_seen is not None:
        return tables.human_age(group.last_seen, now)
    waiting = any(getattr(d.evidence, "waiting_reason", None) for d in group.diagnoses)
    return "now" if waiting else tables.human_age(None, now)


def _later(now: datetime, seconds: int) -> datetime:
    return now + timedelta(seconds=seconds)


def explanations(groups: Sequence[DiagnosisGroup], *, now: datetime, color: bool, probes: Optional[Probes] = None,
                 patterns: Sequence[Pattern] = ()) -> str:
    """One block per finding: cause, the registry's words, the evidence, back-off, the fix."""
    probes = probes or {}
    text = "\n".join(_explain(group, now, color, probes, patterns) for group in groups)
    return text + ("\n" + probe_footer(list(probes.values())) if probes else "")


def _container_cell(group: DiagnosisGroup) -> Optional[str]:
    """The failing container, or how many when one row stands for several."""
    names = group.containers
    return names[0] if len(names) == 1 else (f"{len(names)} containers" if names else group.diagnoses[0].container)


def _containers_text(group: DiagnosisGroup) -> str:
    names = group.containers
    if len(names) <= 1:
        return f"container {group.diagnoses[0].container}"
    more = f", and {len(names) - 3} more" if len(names) > 3 else ""
    return f"{len(names)} containers ({', '.join(names[:3])}{more})"


def _explain(group: DiagnosisGroup, now: datetime, color: bool, probes: Probes, patterns: Sequence[Pattern] = ()) -> str:
    first = group.diagnoses[0]
    one_pod = group.pod_count == 1
    subject = f"{first.namespace}/{first.pod}" if one_pod else f"{first.namespace}: {group.pod_count} pods of {group.owner or 'no owner'}"
    where = [part for part in (
        f"context{'s' if len(group.contexts) > 1 else ''} {','.join(group.contexts)}" if group.contexts else None,
        _containers_text(group) if first.container else None,
        f"owner {first.owner}" if first.owner and one_pod else None,
        f"node {first.node}" + (" (deleted)" if first.evidence.node_gone else "") if first.node and one_pod else None,
    ) if part]
    lines = [tables.style(subject, "bold", color) + (f"  ({', '.join(where)})" if where else "")]
    lines.append(_field("Cause", f"{tables.style(first.cause, CAUSE_STYLE, color)}: {first.summary}"))
    note = pattern_note(group, patterns, now)
    if note:
        lines.append(_field("Pattern", note))
    if first.image:
        lines.append(_field("Image", _reference(first)))
    if first.message:
        lines.append(_field("Registry said" if first.container else "Kubelet said", first.message.strip()))
    seen = _seen(first, now)
    if seen:
        lines.append(_field("Seen", seen))
    if first.backoff:
        lines.append(_field("Back-off", _backoff(first.backoff, now)))
    ambiguity = getattr(first.evidence, "ambiguity", None)
    if ambiguity:
        lines.append(_field("Ambiguous", _ambiguity_text(ambiguity)))
    answer = _probe_of(first, probes)
    if answer is not None:
        lines.append(_field("Probe", probe_sentence(answer)))
    if not one_pod:
        sample = ", ".join(group.pods[:3]) + (f", and {group.pod_count - 3} more" if group.pod_count > 3 else "")
        lines.append(_field("Pods", sample))
    if first.fix:
        several = len(group.contexts) > 1  # the commands are the first context's: the same in each other one
        lines.append(f"  Fix (run in contexts {', '.join(group.contexts)}; shown for {first.context}):" if several
                     else f"  Fix (run in context {group.contexts[0]}):" if group.contexts else "  Fix:")
        lines.extend(f"    {number}. {step}" for number, step in enumerate(first.fix, 1))
    return "\n".join(lines) + "\n"


def _field(label: str, text: str) -> str:
    return f"  {label + ':':<15}{text}"


def _reference(diagnosis: Diagnosis) -> str:
    reference = getattr(diagnosis.evidence, "reference", None)
    full = reference.fully_qualified if reference is not None else None
    if full and full != diagnosis.image:
        return f"{diagnosis.image}  (= {full})"
    return str(diagnosis.image)


def _seen(diagnosis: Diagnosis, now: datetime) -> Optional[str]:
    evidence = diagnosis.evidence
    if not isinstance(evidence, PullEvidence):
        return None
    event = evidence.event
    if event:
        count = event.count or 1
        first, last = event.first_seen, event.last_seen
        text = f"{event.reason} event, {count} time{'s' if count != 1 else ''}"
        if first is not None:
            text += f", first {tables.human_age(first, now)} ago"
        if last is not None:
            text += f", last {tables.human_age(last, now)} ago"
        return text
    if evidence.source == "waiting-message":
        return "events have expired; the error comes from the container's waiting message (kubelet 1.32+)"
    if evidence.waiting_reason:
        return f"container waiting with reason {evidence.waiting_reason}; no pull-failure event on record"
    return None


def _backoff(backoff: Backoff, now: datetime) -> str:
    parts = []
    if backoff.attempts:
        parts.append(f"{backoff.attempts} failed pulls so far")
    retry = backoff.next_retry_in_seconds
    if retry is not None:
        parts.append("next retry due now" if retry == 0 else f"next retry in about {tables.human_age(now, _later(now, retry))}")
    text = "; ".join(parts)
    return (text + ". " if text else "") + "ImagePullBackOff is ErrImagePull plus a timer (10s doubling to 5m)."


def _ambiguity_text(ambiguity: Ambiguity) -> str:
    alternatives = ", ".join(str(a) for a in ambiguity.alternatives)
    text = f"could also be {alternatives}" if alternatives else "the registry's answer has two readings"
    for sentence in (ambiguity.reason, ambiguity.tell_apart):
        if sentence:
            text += f"; {sentence}"
    return text


def healthy_documents(healthy: Sequence[HealthyPod]) -> List[Dict[str, Any]]:
    """The ``healthy`` list of the document: the note's state and message, then the pod."""
    return [dict(as_document(pod.note), namespace=pod.namespace, pod=pod.pod,
                 **({"context": pod.context} if pod.context else {})) for pod in healthy]

"""Several contexts' reports as one: each item tagged with its context, groups made again across clusters.

The engine runs once per context (``engine.fleet``); this merges what came back, so a view shows
one table with a CONTEXT column, and one group spans every cluster where the same workload fails
the same way (``deploy/web`` pulling a missing tag in prod-eu and prod-us is one row). A context
that could not be read at all, and every warning of one that could, becomes a warning naming the
context. Pure: reports in, a report out.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Callable, Dict, Generic, List, Optional, Sequence, Tuple, TypeVar

from .diagnose import group_diagnoses
from .patterns import IMAGE_WIDE, KINDS, REGISTRY_WIDE, Pattern
from .evictions.cleanup import CleanupPlan, DeleteOutcome, group_evictions
from .reports import CleanReport, EvictedReport, SecretsReport, Where, WhyReport

R = TypeVar("R")
Parts = Sequence[Tuple[str, Any]]  # (context, its report), in the order the contexts were asked for


@dataclass(frozen=True)
class ContextResult(Generic[R]):
    """What one context gave: its report, or why it could not be read (``error``)."""

    context: str
    report: Optional[R] = None
    error: str = ""


def context_warning(context: str, message: str) -> str:
    """A warning about one context, as the merged report carries it.

    >>> context_warning("prod-eu", "the server is unreachable")
    'context "prod-eu": the server is unreachable'
    """
    return f'context "{context}": {message}'


def merge(results: Sequence[ContextResult[Any]], asked: Sequence[str]) -> Any:
    """One report of the type the contexts returned; at least one context must have been read."""
    parts = [(result.context, result.report) for result in results if result.report is not None]
    if not parts:
        raise ValueError("no context was read: nothing to merge")
    warnings: List[str] = []
    for result in results:
        if result.report is None:
            warnings.append(context_warning(result.context, result.error))
        else:
            warnings.extend(context_warning(result.context, message) for message in result.report.warnings)
    return _MERGES[type(parts[0][1])](parts, tuple(asked), warnings)


def _where(parts: Parts, asked: Tuple[str, ...]) -> Where:
    """One namespace when every context was read in the same one; else each context's own (or all)."""
    namespaces = {report.where.namespace for _, report in parts}
    if len(namespaces) == 1:
        return Where(namespaces.pop(), asked)
    return Where(None, asked, own_namespaces=True)


# A kubectl command in a fix or a check (not prose such as "as kubectl sorts"). kubectl's own flags go
# before the verb; a plugin's after its name, since kubectl looks a plugin up by the words before any flag.
_KUBECTL = re.compile(r"(?<![\w./-])kubectl (pullmedic )?(?=(?:get|describe|create|delete|apply|patch|set|rollout|debug|"
                      r"replace|exec|cordon|uncordon|drain|label|annotate|scale|auth|api-resources|logs|top|"
                      r"secrets-check|why|evicted|clean|retry)\b)")


def in_context(text: str, context: str) -> str:
    """A command printed for one of several clusters, made to run there and nowhere else: pasted into a
    shell whose current context is another cluster, it must not create or delete anything there.

    >>> in_context("kubectl describe node node-a, as kubectl sorts", "prod-eu")
    'kubectl --context prod-eu describe node node-a, as kubectl sorts'
    >>> print(in_context("diff <(kubectl get pod p -o yaml); kubectl pullmedic secrets-check -n x", "prod eu"))
    diff <(kubectl --context 'prod eu' get pod p -o yaml); kubectl pullmedic --context 'prod eu' secrets-check -n x
    """
    flag = f"--context {shlex.quote(context)} "
    return _KUBECTL.sub(lambda match: f"kubectl {match.group(1) or ''}{flag}", text)


def _tagged(parts: Parts, items: Callable[[Any], Sequence[Any]]) -> List[Any]:
    return [_with_context(item, context) for context, report in parts for item in items(report)]


def _with_context(item: Any, context: str) -> Any:
    """The item's context set, and the commands it prints (a fix, checks) pointed at that context."""
    changes: Dict[str, Any] = {"context": context}
    for name in ("fix", "checks"):
        value = getattr(item, name, None)
        if isinstance(value, str):
            changes[name] = in_context(value, context)
        elif isinstance(value, list):
            changes[name] = [in_context(line, context) for line in value]
    return replace(item, **changes)


def _in_context_order(groups: List[Any], asked: Tuple[str, ...]) -> List[Any]:
    """Rows of the first context first, then the next one's; within a context the order stays."""
    rank = {name: index for index, name in enumerate(asked)}
    return sorted(groups, key=lambda group: min((rank.get(name, len(rank)) for name in group.contexts), default=0))


def _why(parts: Parts, asked: Tuple[str, ...], warnings: List[str]) -> WhyReport:
    diagnoses = _tagged(parts, lambda report: report.diagnoses)
    # keyed (context, namespace, pod, container): the same pod name may be in two clusters
    probes = {(context, *key): answer for context, report in parts for key, answer in report.probes.items()}
    return replace(
        parts[0][1], where=_where(parts, asked), diagnoses=diagnoses, warnings=warnings, probes=probes,
        groups=_in_context_order(group_diagnoses([d for d in diagnoses if not d.leftover]), asked),
        leftovers=_in_context_order(group_diagnoses([d for d in diagnoses if d.leftover]), asked),
        healthy=_tagged(parts, lambda report: report.healthy),
        targeted=any(report.targeted for _, report in parts),
        patterns=_patterns(parts),
    )


def _patterns(parts: Parts) -> List[Pattern]:
    """Each context's patterns, with their context; a registry or an image failing in several clusters
    is one pattern over them all (a node, a namespace or a workload is each cluster's own)."""
    found: List[Pattern] = []
    shared: Dict[Tuple[str, str], int] = {}
    for context, report in parts:
        for pattern in report.patterns:
            mine = replace(pattern, pods=[replace(pod, context=context) for pod in pattern.pods], contexts=[context],
                           checks=[in_context(line, context) for line in pattern.checks])
            key = (pattern.kind, pattern.subject)
            if pattern.kind in (REGISTRY_WIDE, IMAGE_WIDE) and key in shared:
                found[shared[key]] = _joined(found[shared[key]], mine)
                continue
            if pattern.kind in (REGISTRY_WIDE, IMAGE_WIDE):
                shared[key] = len(found)
            found.append(mine)
    return sorted(found, key=lambda p: (p.since is None, p.since or datetime.min, KINDS.index(p.kind)))


def _joined(first: Pattern, other: Pattern) -> Pattern:
    """One pattern over two clusters: each cluster's words said with its context, the pods of both."""
    def said(pattern: Pattern, lines: List[str]) -> List[str]:
        return lines if len(pattern.contexts) > 1 else [f"{pattern.contexts[0]}: {line}" for line in lines]

    moments = [moment for moment in (first.since, other.since) if moment is not None]
    return replace(first, summary="; ".join(said(first, [first.summary]) + said(other, [other.summary])),
                   evidence=said(first, first.evidence) + said(other, other.evidence),
                   pods=first.pods + other.pods, contexts=first.contexts + other.contexts,
                   causes=sorted(set(first.causes) | set(other.causes)),
                   nodes=list(dict.fromkeys(first.nodes + other.nodes)),
                   registries=list(dict.fromkeys(first.registries + other.registries)),
                   checks=list(dict.fromkeys(first.checks + other.checks)), since=min(moments) if moments else None)


def _evicted(parts: Parts, asked: Tuple[str, ...], warnings: List[str]) -> EvictedReport:
    first: EvictedReport = parts[0][1]
    items = _tagged(parts, lambda report: report.items)
    nodes = {(context, name): node for context, report in parts for name, node in report.nodes.items()}
    groups = [replace(group, fixes=[in_context(line, group.contexts[0]) for line in group.fixes])
              if len(group.contexts) == 1 else group  # over several clusters, run it in each one named
              for group in (group_evictions(items, first.group_by or "owner") if items else [])]
    return replace(first, where=_where(parts, asked), items=items, groups=groups, nodes=nodes, warnings=warnings)


def _secrets(parts: Parts, asked: Tuple[str, ...], warnings: List[str]) -> SecretsReport:
    return replace(parts[0][1], where=_where(parts, asked), findings=_tagged(parts, lambda report: report.findings),
                   probes=_tagged(parts, lambda report: report.probes), warnings=warnings)


def _clean(parts: Parts, asked: Tuple[str, ...], warnings: List[str]) -> CleanReport:
    plan = CleanupPlan(_tagged(parts, lambda report: report.plan.to_delete),
                       _tagged(parts, lambda report: report.plan.skipped))
    done = [report.outcomes for _, report in parts]
    outcomes = None if any(found is None for found in done) else [
        replace(outcome, item=replace(outcome.item, context=context))
        for (context, _), found in zip(parts, done) for outcome in found or ()]
    return replace(parts[0][1], plan=plan, outcomes=outcomes, warnings=warnings, contexts=asked)


_MERGES: Dict[type, Callable[[Parts, Tuple[str, ...], List[str]], Any]] = {
    WhyReport: _why, EvictedReport: _evicted, SecretsReport: _secrets, CleanReport: _clean,
}


def split_plan(report: CleanReport) -> List[Tuple[str, CleanReport]]:
    """A merged cleanup plan as one plan per context (in plan order), for each context's own deletes."""
    by_context: Dict[str, List[Any]] = {}
    for item in report.plan.to_delete:
        by_context.setdefault(item.context or "", []).append(item)
    return [(context, replace(report, plan=CleanupPlan(items, []), outcomes=None, warnings=[]))
            for context, items in by_context.items()]


def with_outcomes(report: CleanReport, outcomes: Sequence[DeleteOutcome]) -> CleanReport:
    """The merged plan with what became of its deletes, every context's together (its warnings were
    shown before the prompt, as for one context)."""
    return replace(report, outcomes=list(outcomes), warnings=[])

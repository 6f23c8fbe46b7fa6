"""How ``evicted`` and ``clean`` show their results."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence

from . import documents, tables
from ..core.evictions.cleanup import (
    DELETED, FAILED, GONE, SKIPPED, CleanupPlan, DeleteOutcome, EvictedPod, EvictionGroup, resource_label,
)
from ..core.evictions.messages import ContainerUsage
from ..core.reports import CleanReport, EvictedReport
from .view import Rendered, View, nothing_found, warnings_text


def render_evicted(report: EvictedReport, view: View) -> Rendered:
    """One row per pod (or per group with --group-by), then each group's fixes; or a document."""
    out = Rendered(stderr=warnings_text(report.warnings))
    if view.output in ("json", "yaml"):
        out.stdout = evicted_document(report.items, report.groups if report.group_by else [], view.output,
                                      report.warnings)
    elif not report.items:
        what = "evicted pods" + (f" on node {report.node}" if report.node else "")
        out.stderr += nothing_found(report.where, what)
    else:
        several = report.where.several_contexts
        if report.group_by:
            out.stdout = group_table(report.groups, report.group_by, no_headers=view.no_headers,
                                     several_contexts=several)
        else:
            out.stdout = evicted_table(report.items, report.nodes, now=view.now, wide=view.output == "wide",
                                       all_namespaces=report.where.all_namespaces, no_headers=view.no_headers,
                                       several_contexts=several)
        if not view.no_headers:
            out.stdout += "\n" + group_fixes(report.groups)
    return out


def render_clean(report: CleanReport, view: View) -> Rendered:
    """The plan (a dry run, or nothing to delete) or the outcomes of the deletes."""
    out = Rendered(stderr=warnings_text(report.warnings))
    if view.output == "json":
        out.stdout = clean_document(report.plan, report.outcomes or [], report.dry_run, report.warnings)
    elif view.output == "name":
        deleted = [o.item for o in report.outcomes if o.result == DELETED] if report.outcomes is not None \
            else report.plan.to_delete
        out.stdout = "".join(f"pod/{item.name}\n" for item in deleted)
    elif report.outcomes is None:
        lines = [pod_line(item.namespace, item.name, "deleted", "(dry run)") for item in report.plan.to_delete]
        out.stdout = _lines(report.several_contexts, [item.context for item in report.plan.to_delete], lines)
        out.stdout += plan_summary(report.plan, kept_in_full=True, several_contexts=report.several_contexts)
    else:
        out.stdout = outcome_lines(report.outcomes, dry_run=report.dry_run == "server",
                                   several_contexts=report.several_contexts)
    return out


def _lines(several_contexts: bool, contexts: Sequence[Optional[str]], lines: Sequence[str]) -> str:
    """kubectl-style lines; led by a CONTEXT column when the report spans several contexts."""
    stripped = [line.rstrip("\n") for line in lines]
    if several_contexts:
        return tables.with_context_column(contexts, stripped)
    return "".join(f"{line}\n" for line in stripped)


def pod_line(namespace: str, name: str, verb: str, note: str = "") -> str:
    """kubectl delete's line (1.37): ``pod "NAME" deleted from NS namespace (dry run)``."""
    where = "from" if verb in ("deleted", "already gone") else "in"
    return f'pod "{name}" {verb} {where} {namespace} namespace' + (f" {note}" if note else "") + "\n"


def _usage(usage: ContainerUsage) -> str:
    bound = usage.request if usage.request is not None else usage.limit
    return f"{usage.name} {usage.usage or '?'}/{bound if bound is not None else '?'}"


def usage_cell(item: EvictedPod) -> Optional[str]:
    """The biggest offender's usage against its request (or limit), e.g. ``app 1.2Gi/256Mi``."""
    eviction = item.eviction
    if eviction.pod_usage is not None:
        return _usage(eviction.pod_usage)
    if not eviction.containers:
        return None
    text = _usage(eviction.containers[0])
    return text + (f" (+{len(eviction.containers) - 1})" if len(eviction.containers) > 1 else "")


def pressure_of(node: Optional[Dict[str, Any]]) -> str:
    """A node's current pressure conditions, as kubectl describe node would list them True."""
    if node is None:
        return "<unknown>"
    conditions = [c for c in (node.get("status") or {}).get("conditions") or [] if isinstance(c, dict)]
    pressure = [c.get("type") for c in conditions if str(c.get("type", "")).endswith("Pressure") and c.get("status") == "True"]
    return ",".join(str(p) for p in pressure) or "none"


def evicted_table(items: Sequence[EvictedPod], nodes: Dict[Any, Any], *, now: datetime, wide: bool,
                  all_namespaces: bool, no_headers: bool, several_contexts: bool = False) -> str:
    """``nodes`` by name, or by (context, name) when the report spans several contexts."""
    headers = (["context"] if several_contexts else []) + (["namespace"] if all_namespaces else []) + [
        "pod", "owner", "node", "kind", "resource", "usage/request", "age"]
    if wide:
        headers += ["threshold/available", "node conditions"]
    rows = []
    for item in items:
        eviction = item.eviction
        row = tables.context_columns(several_contexts, [item.context or ""]) + (
            [item.namespace] if all_namespaces else []) + [
            item.name,
            f"{item.owner[0].lower()}/{item.owner[1]}" if item.owner else None,
            eviction.node,
            eviction.kind,
            resource_label(eviction),
            usage_cell(item),
            tables.human_age(eviction.evicted_at or item.created, now),
        ]
        if wide:
            node = nodes.get((item.context, eviction.node or "") if item.context else eviction.node or "")
            row += [f"{eviction.threshold or '-'}/{eviction.available or '-'}",
                    "<deleted>" if eviction.node_gone else pressure_of(node)]
        rows.append(row)
    return tables.table(headers, rows, no_headers=no_headers)


# Each fact once: the column the rows are grouped by is their key, not a column again.
_GROUP_COLUMNS = {"owner": ("nodes", "resources", "conditions"), "node": ("resources", "conditions", "owners"),
                  "resource": ("nodes", "owners"), "namespace": ("nodes", "resources", "conditions", "owners")}


def group_table(groups: Sequence[EvictionGroup], by: str, *, no_headers: bool, several_contexts: bool = False) -> str:
    """One row per group; a group of several contexts shows them all in its CONTEXTS cell."""
    columns = _GROUP_COLUMNS.get(by, ("nodes", "resources", "conditions", "owners"))
    cells = {"nodes": lambda g: ",".join(g.nodes), "resources": lambda g: ",".join(g.resources),
             "conditions": lambda g: ",".join(g.conditions), "owners": lambda g: ",".join(g.owners)}
    rows = [tables.context_columns(several_contexts, g.contexts) + [g.key, g.count]
            + [cells[column](g) for column in columns] for g in groups]
    headers = (["contexts"] if several_contexts else []) + [by, "pods", *columns]
    return tables.table(headers, rows, no_headers=no_headers)


def group_fixes(groups: Sequence[EvictionGroup]) -> str:
    """Under the table: each group's one-line summary and its fixes."""
    lines: List[str] = []
    for group in groups:
        lines.append(group.summary + (f" in context{'s' if len(group.contexts) > 1 else ''} {', '.join(group.contexts)}"
                                      if group.contexts else "") + ".")
        lines.extend(f"  {number}. {fix}" for number, fix in enumerate(group.fixes, 1))
    return "\n".join(lines) + ("\n" if lines else "")


def evicted_document(items: Sequence[EvictedPod], groups: Sequence[EvictionGroup], fmt: str,
                     warnings: Sequence[str] = ()) -> str:
    extra = {"groups": list(groups)} if groups else {}
    return documents.document(documents.list_document("EvictedPodList", list(items), warnings, **extra), fmt)


def _pods(count: int) -> str:
    return f"{count} pod{'s' if count != 1 else ''}"


def plan_summary(plan: CleanupPlan, *, kept_in_full: bool, several_contexts: bool = False) -> str:
    """How many go, by kind and namespace (context/namespace over several contexts); then what is kept,
    each pod with its reason (or by reason)."""
    kinds = ", ".join(f"{count} {kind}" for kind, count in plan.counts_by_kind.items())
    where = Counter(f"{item.context}/{item.namespace}" if several_contexts else item.namespace
                    for item in plan.to_delete)
    namespaces = ", ".join(f"{namespace}: {count}" for namespace, count in sorted(where.items()))
    lines = [f"Would delete {_pods(len(plan.to_delete))}: {kinds} ({namespaces})." if plan.to_delete
             else "Nothing to delete: no evicted pods."]
    if plan.skipped:
        lines.append(f"Keeping {len(plan.skipped)} other failed pod{'s' if len(plan.skipped) != 1 else ''}:")
        if kept_in_full:
            kept = [pod_line(s.namespace, s.name, "kept").rstrip("\n") + f": {s.detail}" for s in plan.skipped]
            lines.append(_lines(several_contexts, [s.context for s in plan.skipped], kept).rstrip("\n"))
        else:
            lines.extend(f"  {count} {reason}" for reason, count in plan.skipped_by_reason().items())
    return "\n".join(lines) + "\n"


def confirmation(plan: CleanupPlan, *, shown: int = 10) -> str:
    """What the prompt shows before asking, as ``kubectl delete --interactive`` lists what it deletes."""
    lines = [f"You are about to delete {_pods(len(plan.to_delete))}:"]
    lines.extend(f"  pod/{item.name} -n {item.namespace}" + (f" --context {item.context}" if item.context else "")
                 + f"  ({item.kind})" for item in plan.to_delete[:shown])
    if len(plan.to_delete) > shown:
        lines.append(f"  and {len(plan.to_delete) - shown} more (--dry-run=client lists them all)")
    if plan.skipped:
        lines.append(f"Keeping {len(plan.skipped)} other failed pods (--dry-run=client says why for each).")
    return "\n".join(lines) + "\n"


_OUTCOME_WORDS = {DELETED: "deleted", GONE: "already gone", SKIPPED: "skipped", FAILED: "failed"}


def outcome_lines(outcomes: Sequence[DeleteOutcome], *, dry_run: bool, several_contexts: bool = False) -> str:
    """One kubectl-style line per pod, then the counts (and each context's, over several contexts)."""
    lines = []
    for outcome in outcomes:
        note = "(server dry run)" if dry_run and outcome.result == DELETED else ""
        line = pod_line(outcome.namespace, outcome.name, _OUTCOME_WORDS[outcome.result], note).rstrip("\n")
        lines.append(line + (f": {outcome.detail}" if outcome.result in (SKIPPED, FAILED) else ""))
    text = _lines(several_contexts, [outcome.context for outcome in outcomes], lines)
    verb = "would delete (server dry run)" if dry_run else "deleted"
    text += _counts(verb, outcomes)
    if several_contexts:
        for context in dict.fromkeys(outcome.context for outcome in outcomes):
            text += f'  context "{context}": ' + _counts(verb, [o for o in outcomes if o.context == context])
    return text


def _counts(verb: str, outcomes: Sequence[DeleteOutcome]) -> str:
    counts = {result: sum(1 for o in outcomes if o.result == result) for result in (DELETED, GONE, SKIPPED, FAILED)}
    return (f"{verb} {counts[DELETED]}, already gone {counts[GONE]}, skipped {counts[SKIPPED]}, "
            f"failed {counts[FAILED]}\n")


def clean_document(plan: CleanupPlan, outcomes: Sequence[DeleteOutcome], dry_run: str,
                   warnings: Sequence[str] = ()) -> str:
    document = documents.list_document("CleanupResult", list(outcomes), warnings, dryRun=dry_run, plan=plan)
    return documents.document(document, "json")

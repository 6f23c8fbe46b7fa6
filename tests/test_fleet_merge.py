"""``core.fleet``: merging several contexts' reports is pure (reports in, a report out)."""

from __future__ import annotations

import pytest

from kubectl_pullmedic.core.credentials.findings import Finding
from kubectl_pullmedic.core.evictions.cleanup import DELETED, CleanupItem, CleanupPlan, DeleteOutcome, SkippedPod
from kubectl_pullmedic.core.fleet import ContextResult, merge, split_plan, with_outcomes
from kubectl_pullmedic.core.reports import CleanReport, SecretsReport, Where
from kubectl_pullmedic.core.serialize import as_document


def _finding(namespace: str, workload: str) -> Finding:
    return Finding("SecretNotFound", "error", namespace, workload, secret="regcred")


def test_items_get_their_context_and_warnings_name_theirs():
    a = SecretsReport(Where("shop"), [_finding("shop", "deployment/web")], warnings=["secrets are forbidden"])
    b = SecretsReport(Where("web"), [_finding("web", "deployment/api"), _finding("web", "job/x")])
    merged = merge([ContextResult("a", a), ContextResult("down", error="connection refused"), ContextResult("b", b)],
                   ["a", "down", "b"])
    assert [(f.context, f.workload) for f in merged.findings] == [
        ("a", "deployment/web"), ("b", "deployment/api"), ("b", "job/x")]
    assert merged.warnings == ['context "a": secrets are forbidden', 'context "down": connection refused']
    assert merged.where == Where(None, ("a", "down", "b"), own_namespaces=True)
    assert merged.where.all_namespaces and merged.where.several_contexts
    assert a.findings[0].context is None  # the inputs are left as they were


def test_one_namespace_everywhere_stays_one_namespace():
    a, b = SecretsReport(Where("shop"), []), SecretsReport(Where("shop"), [])
    assert merge([ContextResult("a", a), ContextResult("b", b)], ["a", "b"]).where == Where("shop", ("a", "b"))


def test_nothing_read_is_not_merged():
    with pytest.raises(ValueError):
        merge([ContextResult("down", error="refused")], ["down"])


def test_documents_carry_the_context_only_when_several_were_read():
    finding = _finding("shop", "deployment/web")
    assert "context" not in as_document(finding)
    assert as_document(merge([ContextResult("a", SecretsReport(Where("shop"), [finding]))], ["a"]).findings[0])[
        "context"] == "a"


def test_a_merged_plan_splits_per_context_and_takes_every_outcome_back():
    def item(name: str) -> CleanupItem:
        return CleanupItem("shop", name, f"{name}-uid", "1", "NodePressure", None)

    plans = [CleanReport(CleanupPlan([item("p1"), item("p2")], [SkippedPod("shop", "k", "job-owned", "kept")]), "none"),
             CleanReport(CleanupPlan([item("q1")]), "none", warnings=["nodes are forbidden"])]
    merged = merge([ContextResult("eu", plans[0]), ContextResult("us", plans[1])], ["eu", "us"])
    assert merged.several_contexts and merged.outcomes is None
    assert [(i.context, i.name) for i in merged.plan.to_delete] == [("eu", "p1"), ("eu", "p2"), ("us", "q1")]
    assert [(s.context, s.name) for s in merged.plan.skipped] == [("eu", "k")]
    parts = split_plan(merged)
    assert [(context, [i.name for i in part.plan.to_delete]) for context, part in parts] == [
        ("eu", ["p1", "p2"]), ("us", ["q1"])]
    done = with_outcomes(merged, [DeleteOutcome(i, DELETED) for _, part in parts for i in part.plan.to_delete])
    assert [(o.context, o.name, o.result) for o in done.outcomes] == [
        ("eu", "p1", DELETED), ("eu", "p2", DELETED), ("us", "q1", DELETED)]
    assert done.plan is merged.plan and done.warnings == []  # shown before the prompt already
    assert as_document(done.outcomes[2])["context"] == "us"

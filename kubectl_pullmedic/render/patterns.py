"""How ``why`` shows what failing pods have in common (``core.patterns``): one block per pattern under
the table, before the explanations, and a one-line PATTERN note in each finding it covers."""

from __future__ import annotations

from datetime import datetime
from typing import List, Optional, Sequence

from . import tables
from ..core.diagnosis import DiagnosisGroup
from ..core.patternchecks import moment, sample
from ..core.patterns import Pattern, patterns_of


def patterns_block(patterns: Sequence[Pattern], *, now: datetime, color: bool) -> str:
    """Every pattern once: what it is, since when, the evidence, the pods, the checks."""
    return "\n".join(_pattern(pattern, now, color) for pattern in patterns)


def _pattern(pattern: Pattern, now: datetime, color: bool) -> str:
    lines = [tables.style(f"Pattern {pattern.kind}", "bold", color) + f": {pattern.summary}"]
    if pattern.since is not None:
        lines.append(_field("Started", _when(pattern.since, now)))
    for number, sentence in enumerate(pattern.evidence):
        lines.append(_field("Evidence" if number == 0 else "", sentence))
    lines.append(_field("Pods", sample([f"{pod.namespace}/{pod.name}" for pod in pattern.pods], 4)))
    if pattern.checks:
        lines.append("  Check:")
        lines.extend(f"    {number}. {step}" for number, step in enumerate(pattern.checks, 1))
    return "\n".join(lines) + "\n"


def pattern_note(group: DiagnosisGroup, patterns: Sequence[Pattern], now: datetime) -> Optional[str]:
    """The short note of a finding: which pattern it is part of (the block above says the rest)."""
    notes: List[str] = []
    for pattern in patterns_of(group, patterns):
        since = f", since {moment(pattern.since, now)}" if pattern.since is not None else ""
        notes.append(f"{pattern.kind} {pattern.subject} ({len(pattern.pods)} pods{since})")
    return "; ".join(notes) or None


def _when(since: datetime, now: datetime) -> str:
    return f"{moment(since, now)} ({tables.human_age(since, now)} ago)"


def _field(label: str, text: str) -> str:
    return f"  {label + ':' if label else '':<15}{text}"

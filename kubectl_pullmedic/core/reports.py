"""One typed report per command: everything its view needs, and nothing it has to look up.

An engine (``kubectl_pullmedic.engine``) fills a report from what the cluster reader returned;
a view (``kubectl_pullmedic.render``) turns it into text. ``warnings`` are what could not be
read (a 403, say): the view prints them, the report is still whole for what was read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence

from .credentials.findings import Finding, has_errors
from .diagnosis import Diagnosis, DiagnosisGroup
from .evictions.cleanup import FAILED, CleanupPlan, DeleteOutcome, EvictedPod, EvictionGroup
from .patterns import Pattern
from .podhealth import HealthNote
from .probing.plan import DiagnosisKey
from .probing.results import ProbeResult


@dataclass(frozen=True)
class Where:
    """The scope a command looked in, for "No ... found in shop namespace." and the NAMESPACE column."""

    namespace: Optional[str]  # None: every namespace

    @property
    def all_namespaces(self) -> bool:
        return self.namespace is None

    def describe(self) -> str:
        return "any namespace" if self.namespace is None else f"{self.namespace} namespace"


@dataclass(frozen=True)
class HealthyPod:
    """A pod of the target that has no diagnosis, and what it is doing instead."""

    namespace: str
    pod: str
    note: HealthNote


@dataclass
class WhyReport:
    where: Where
    subject: str  # what was looked for, for the empty answer: "pods of deploy/web"
    diagnoses: List[Diagnosis]
    groups: List[DiagnosisGroup]
    healthy: List[HealthyPod] = field(default_factory=list)
    probes: Mapping[DiagnosisKey, ProbeResult] = field(default_factory=dict)
    warnings: List[str] = field(default_factory=list)
    leftovers: List[DiagnosisGroup] = field(default_factory=list)  # old evictions: pods to clean up
    targeted: bool = False  # a POD or TYPE/NAME was asked about: leftovers are explained too
    patterns: List[Pattern] = field(default_factory=list)  # what failing pods share: a node, a registry, ...

    @property
    def found_problems(self) -> bool:
        """Live problems only: an eviction long past is a leftover, not a reason to fail a pipeline."""
        return any(not diagnosis.leftover for diagnosis in self.diagnoses)


@dataclass
class EvictedReport:
    where: Where
    node: Optional[str]
    items: List[EvictedPod]
    groups: List[EvictionGroup]
    group_by: Optional[str]  # None: one row per pod (groups still carry the fixes)
    nodes: Dict[str, dict] = field(default_factory=dict)  # read for -o wide only
    warnings: List[str] = field(default_factory=list)


@dataclass
class CleanReport:
    """What ``clean`` planned and, once applied, what became of each delete."""

    plan: CleanupPlan
    dry_run: str  # none | client | server
    outcomes: Optional[List[DeleteOutcome]] = None  # None: nothing was sent
    warnings: List[str] = field(default_factory=list)

    @property
    def partly_failed(self) -> bool:
        return any(outcome.result == FAILED for outcome in self.outcomes or ())


@dataclass
class SecretsReport:
    where: Where
    findings: List[Finding]
    probes: Sequence[ProbeResult] = ()
    warnings: List[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return has_errors(self.findings)

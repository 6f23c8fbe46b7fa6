"""``-o name``: what a command found, as ``TYPE/NAME`` lines kubectl prints and takes back.

One line per object, in the order of the table's rows, each object once; like ``kubectl get -A -o
name``, the namespace is not printed, nor the context when several were read: a pod of the same
name in two namespaces, or in two clusters, is two objects and two lines, as kubectl prints them. Workload kinds carry their API group as kubectl prints them
(``deployment.apps/web``, ``job.batch/import``), so the lines can be piped to ``kubectl get``.
"""

from __future__ import annotations

from typing import Iterable, List, Optional, Tuple

from ..core.reports import EvictedReport, SecretsReport, WhyReport

# kubectl's resource.group for the kinds a finding can name (`kubectl api-resources`)
_GROUPED = {"deployment": "deployment.apps", "statefulset": "statefulset.apps", "daemonset": "daemonset.apps",
            "replicaset": "replicaset.apps", "job": "job.batch", "cronjob": "cronjob.batch"}


def kubectl_name(ref: str) -> str:
    """``deployment/web`` as kubectl's ``-o name`` prints it.

    >>> [kubectl_name(r) for r in ("deployment/web", "cronjob/nightly", "pod/web-1", "replicationcontroller/x")]
    ['deployment.apps/web', 'cronjob.batch/nightly', 'pod/web-1', 'replicationcontroller/x']
    """
    kind, _, name = ref.partition("/")
    return f"{_GROUPED.get(kind, kind)}/{name}"


Key = Tuple[Optional[str], str, str]  # (context, namespace, TYPE/NAME): what makes an object one


def _lines(keys: Iterable[Key]) -> str:
    return "".join(f"{name}\n" for _, _, name in dict.fromkeys(keys))


def why_names(report: WhyReport) -> str:
    """The diagnosed pods (not the healthy ones of a target): the table's rows, then the leftovers'."""
    keys: List[Key] = []
    for group in list(report.groups) + list(report.leftovers):
        pods = sorted({(d.pod, d.context or "") for d in group.diagnoses})
        keys.extend((context, group.namespace, f"pod/{pod}") for pod, context in pods)
    return _lines(keys)


def evicted_names(report: EvictedReport) -> str:
    return _lines((item.context, item.namespace, f"pod/{item.name}") for item in report.items)


def secrets_names(report: SecretsReport) -> str:
    """The workloads (and bare pods) with findings."""
    return _lines((finding.context, finding.namespace, kubectl_name(finding.workload)) for finding in report.findings)

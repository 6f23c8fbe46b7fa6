"""Whether the controller of a deleted pod replaces it, from the controller as read now.

A watch follows a deleted pod into its replacement; waiting for one that never comes would end
only at ``--timeout``, so what each controller wants decides it, as its controller decides:

- ReplicaSet, ReplicationController: ``spec.replicas`` against its active pods (a scale-down
  replaces nothing);
- StatefulSet: the same name comes back unless the pod's ordinal is past ``spec.replicas``
  (counted from ``spec.ordinals.start``);
- Job: nothing once it is complete, failed or suspended, else ``parallelism`` (capped by the
  completions left) against its active pods;
- DaemonSet: one pod per selected node; which nodes are selected is the controller's business,
  so its own count (``status.desiredNumberScheduled``) against its active pods is what is known.

Unknown is never "not replaced": a controller that could not be read (RBAC, transport) leaves
the replacement unknown, and the watch says so while it waits; one that is gone (404, or another
object by that name) replaces nothing. Pure: the engine reads the controller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .kube import Obj, as_list, dig, name_of, uid_of

# The kinds whose pods a watch knows how to wait for, and their resources.
CONTROLLERS = {"ReplicaSet": "replicasets", "ReplicationController": "replicationcontrollers",
               "StatefulSet": "statefulsets", "Job": "jobs", "DaemonSet": "daemonsets"}


@dataclass(frozen=True)
class ControllerRead:
    """A deleted pod's controller as read now: its object, or why it could not be read."""

    kind: str
    uid: str
    obj: Optional[Obj] = None  # None with no ``refused``: gone (404, or a new object by that name)
    refused: str = ""  # "forbidden", ...: the replacement is not known


@dataclass(frozen=True)
class Replacement:
    """What is known of a deleted pod's replacement."""

    due: Optional[bool]  # True: its controller makes one; False: it will not; None: not known
    why: str = ""  # "the ReplicaSet scaled down", "replacement not known: forbidden"


DUE = Replacement(True)


def replacement(pod: Obj, read: Optional[ControllerRead], active: int, ahead: int = 0) -> Replacement:
    """Whether ``pod`` (deleted) is replaced: ``active`` pods of its controller are alive and not
    finished, ``ahead`` deleted ones of it are already awaited before this one.

    >>> rs = ControllerRead("ReplicaSet", "u", {"metadata": {"uid": "u"}, "spec": {"replicas": 2}})
    >>> replacement({}, rs, active=1), replacement({}, rs, active=1, ahead=1)
    (Replacement(due=True, why=''), Replacement(due=False, why='the ReplicaSet scaled down'))
    >>> sts = ControllerRead("StatefulSet", "s", {"metadata": {"uid": "s"}, "spec": {"replicas": 2}})
    >>> replacement({"metadata": {"name": "db-2"}}, sts, 0).due, replacement({"metadata": {"name": "db-1"}}, sts, 5).due
    (False, True)
    >>> replacement({}, ControllerRead("Job", "j", refused="forbidden"), 0)
    Replacement(due=None, why='replacement not known: reading its Job is forbidden')
    """
    if read is None:
        return Replacement(None)
    kind = read.kind
    if read.refused:
        return Replacement(None, f"replacement not known: reading its {kind} is {read.refused}")
    obj = read.obj
    if obj is None or uid_of(obj) != read.uid:
        return Replacement(False, f"its {kind} was deleted")
    if kind == "StatefulSet":
        return _stateful(pod, obj)
    if kind == "Job":
        done = _job_done(obj)
        if done:
            return Replacement(False, f"the Job {done}")
        wanted, why = _job_wants(obj), "the Job has all the pods it runs at once"
    elif kind == "DaemonSet":
        wanted = dig(obj, "status", "desiredNumberScheduled")
        why = f"the DaemonSet wants {wanted} pod{'s' if wanted != 1 else ''} (its node may no longer be selected)"
    else:
        wanted, why = dig(obj, "spec", "replicas", default=1), f"the {kind} scaled down"  # the API's default
    if not isinstance(wanted, int) or isinstance(wanted, bool):
        return Replacement(None)
    return DUE if wanted > active + ahead else Replacement(False, why)


def _stateful(pod: Obj, obj: Obj) -> Replacement:
    """A StatefulSet recreates the same name while its ordinal is below ``start + replicas``."""
    _, _, suffix = name_of(pod).rpartition("-")
    replicas = dig(obj, "spec", "replicas", default=1)
    start = dig(obj, "spec", "ordinals", "start", default=0)
    if not suffix.isdigit() or not isinstance(replicas, int) or not isinstance(start, int):
        return Replacement(None)
    if int(suffix) >= start + replicas or int(suffix) < start:
        return Replacement(False, "the StatefulSet scaled down")
    return DUE


def _job_done(job: Obj) -> str:
    """Why a Job makes no more pods ("is complete", "failed", "is suspended"), or ""."""
    for condition in as_list(dig(job, "status", "conditions")):
        if isinstance(condition, dict) and condition.get("status") == "True":
            if condition.get("type") in ("Complete", "SuccessCriteriaMet"):
                return "is complete"
            if condition.get("type") in ("Failed", "FailureTarget"):
                return "failed"
    if dig(job, "spec", "suspend") is True:
        return "is suspended"
    completions = dig(job, "spec", "completions")
    succeeded = dig(job, "status", "succeeded", default=0)
    if isinstance(completions, int) and isinstance(succeeded, int) and succeeded >= completions:
        return "is complete"
    return ""


def _job_wants(job: Obj) -> Optional[int]:
    """The pods a running Job keeps active: ``parallelism``, at most the completions left."""
    parallelism = dig(job, "spec", "parallelism", default=1)
    completions = dig(job, "spec", "completions")
    succeeded = dig(job, "status", "succeeded", default=0)
    if not isinstance(parallelism, int):
        return None
    if isinstance(completions, int) and isinstance(succeeded, int):
        return min(parallelism, completions - succeeded)
    return parallelism

"""Reading objects from the files ``kubectl get -o yaml|json`` writes, and the built-in scenarios.

A dump from a real cluster loads unchanged: a ``v1 List``, a ``PodList``-style list, single
objects, or several ``---`` documents (parsed by ``cluster.dumpdocs``, as ``-f`` reads them). Scenario files are written as if "now" were
``SCENARIO_ANCHOR``; loading them moves every timestamp by (now - anchor) so ages look fresh.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

from kubectl_pullmedic.cluster.dumpdocs import documents_in, flatten, parse_documents
from kubectl_pullmedic.core.kube import parse_time

Obj = Dict[str, Any]
PathLike = Union[str, Path]

SCENARIO_ANCHOR = datetime(2030, 1, 1, tzinfo=timezone.utc)
SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
INCIDENT_DIR = SCENARIO_DIR / "incidents"  # scenarios with a timeline, served one at a time

# Keys holding RFC 3339 times in the kinds the sandbox serves (metadata, events, pod and
# container status, conditions, job and cronjob status).
TIMESTAMP_KEYS = frozenset({
    "creationTimestamp", "deletionTimestamp", "firstTimestamp", "lastTimestamp", "eventTime",
    "lastObservedTime", "startTime", "startedAt", "finishedAt", "lastTransitionTime",
    "lastProbeTime", "lastHeartbeatTime", "lastUpdateTime", "completionTime",
    "lastScheduleTime", "lastSuccessfulTime", "time", "timeAdded",  # managedFields[].time, taints[].timeAdded
})
# Free-form maps whose keys are user data, never timestamps.
OPAQUE_KEYS = frozenset({"labels", "annotations", "data", "stringData", "binaryData"})


def load_file(path: PathLike) -> List[Obj]:
    file_path = Path(path)
    return parse_documents(file_path.read_text(encoding="utf-8"), str(file_path))


def _shifted(value: str, delta: timedelta) -> str:
    moment = parse_time(value)
    if moment is None:
        return value
    moment = (moment + delta).astimezone(timezone.utc)
    if "." in value:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def shift_timestamps(node: Any, delta: timedelta) -> Any:
    """A copy of an object with every known timestamp field moved by ``delta``.

    >>> shift_timestamps({"metadata": {"creationTimestamp": "2030-01-01T00:00:00Z",
    ...     "annotations": {"startTime": "2030-01-01T00:00:00Z"}}}, timedelta(hours=-1))
    {'metadata': {'creationTimestamp': '2029-12-31T23:00:00Z', 'annotations': {'startTime': '2030-01-01T00:00:00Z'}}}
    """
    if isinstance(node, list):
        return [shift_timestamps(item, delta) for item in node]
    if not isinstance(node, dict):
        return node
    shifted: Obj = {}
    for key, value in node.items():
        if key in OPAQUE_KEYS:
            shifted[key] = value
        elif key in TIMESTAMP_KEYS and isinstance(value, str):
            shifted[key] = _shifted(value, delta)
        else:
            shifted[key] = shift_timestamps(value, delta)
    return shifted


def scenario_files(directory: Path = SCENARIO_DIR) -> List[Path]:
    return sorted(directory.glob("*.yaml")) if directory.is_dir() else []


def scenario_objects(now: Optional[datetime] = None, directory: Path = SCENARIO_DIR) -> List[Obj]:
    """Every built-in scenario object, its times moved so the anchor becomes ``now``."""
    delta = _since_anchor(now)
    return [shift_timestamps(obj, delta) for path in scenario_files(directory) for obj in load_file(path)]


def _since_anchor(now: Optional[datetime]) -> timedelta:
    """How far scenario times move so that the anchor becomes ``now`` (whole seconds)."""
    moment = now or datetime.now(timezone.utc)
    return timedelta(seconds=int((moment - SCENARIO_ANCHOR).total_seconds()))


def with_event_uids(objects: Iterable[Obj], uid_of: Callable[[str, str, str], str]) -> List[Obj]:
    """The objects, events given the uid of the object they name when they left it out.

    Real events always carry ``involvedObject.uid`` and ``kubectl describe`` selects on it;
    hand-written scenarios cannot know the uid the sandbox will assign. ``uid_of(kind,
    namespace, name)`` returns the stored uid or "". Inputs are not modified.

    >>> with_event_uids([{"kind": "Event", "involvedObject": {"kind": "Pod", "name": "a"}}],
    ...                 lambda kind, namespace, name: "u-1")[0]["involvedObject"]["uid"]
    'u-1'
    """
    linked: List[Obj] = []
    for obj in objects:
        involved = obj.get("involvedObject") if obj.get("kind") == "Event" else None
        if isinstance(involved, dict) and not involved.get("uid") and involved.get("name"):
            namespace = involved.get("namespace") or (obj.get("metadata") or {}).get("namespace") or ""
            uid = uid_of(str(involved.get("kind") or ""), str(namespace), str(involved["name"]))
            if uid:
                obj = dict(obj, involvedObject=dict(involved, uid=uid))
        linked.append(obj)
    return linked


def incident_names(directory: Path = INCIDENT_DIR) -> List[str]:
    """The built-in incidents (scenarios with a ``timeline:``), by file name without ``.yaml``."""
    return [path.stem for path in scenario_files(directory)]


def load_incident(source: Union[str, Path, Obj], now: Optional[datetime] = None) -> Tuple[List[Obj], Obj]:
    """The objects (times moved as for scenarios) and the ``timeline:`` mapping of an incident.

    ``source`` is a built-in incident's name, a file, or the document itself.
    """
    if isinstance(source, dict):
        document: Any = source
        origin = "<timeline>"
    else:
        path = Path(source)
        if not path.suffix and not path.exists():
            if source not in incident_names():
                raise ValueError(f"no built-in incident {source!r} (there are: {', '.join(incident_names())})")
            path = INCIDENT_DIR / f"{source}.yaml"
        origin = str(path)
        documents = documents_in(path.read_text(encoding="utf-8"), origin)
        document = documents[0] if len(documents) == 1 else None
    if not isinstance(document, dict) or not isinstance(document.get("timeline"), dict):
        raise ValueError(f"{origin}: an incident is a v1 List with a timeline: mapping beside its items")
    delta = _since_anchor(now)
    objects = [shift_timestamps(obj, delta) for obj in flatten(dict(document, timeline=None), origin)]
    return objects, document["timeline"]

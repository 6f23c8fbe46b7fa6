"""Pod events matched to the pod and container they are about, with their counts and times.

An event is matched to a pod by ``involvedObject.uid``: events outlive their pod by up to an
hour, and a new pod with the same name (a StatefulSet's ``web-0``) has a new uid. Within the
pod, ``involvedObject.fieldPath`` (``spec.containers{app}``) names the container. Events
written through events.k8s.io/v1 keep the same facts under other names (``regarding``,
``note``, ``series``), so every accessor here falls back across both shapes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional, Tuple

from .kube import Obj, dig, name_of, namespace_of, parse_time, uid_of

PULL_FAILURE_REASONS = frozenset({"Failed", "InspectFailed", "ErrImageNeverPull"})
PULL_SECRET_EVENT_REASON = "FailedToRetrieveImagePullSecret"
_FIELD_PATH_RE = re.compile(r"^spec\.(containers|initContainers|ephemeralContainers)\{([^}]*)\}")
_IMAGE_IN_MESSAGE_RE = re.compile(r'(?:image|image tag) "([^"]*)"')
_PULL_FAILED_PREFIX = "Failed to pull image"
# client-go's event correlator merges a burst of similar events into one with this prefix.
COMBINED_PREFIX = "(combined from similar events): "
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def involved(event: Obj) -> Obj:
    """The object an event is about (core/v1 ``involvedObject`` or events.k8s.io ``regarding``)."""
    value = dig(event, "involvedObject") or dig(event, "regarding")
    return value if isinstance(value, dict) else {}


def message_of(event: Obj) -> str:
    value = event.get("message") if isinstance(event.get("message"), str) else event.get("note")
    return value if isinstance(value, str) else ""


def reason_of(event: Obj) -> str:
    value = event.get("reason")
    return value if isinstance(value, str) else ""


def last_seen(event: Obj) -> Optional[datetime]:
    """When the event last happened, falling back as ``kubectl describe`` does."""
    for path in (("lastTimestamp",), ("series", "lastObservedTime"), ("eventTime",), ("firstTimestamp",),
                 ("metadata", "creationTimestamp")):
        moment = parse_time(dig(event, *path))
        if moment is not None:
            return moment
    return None


def first_seen(event: Obj) -> Optional[datetime]:
    for path in (("firstTimestamp",), ("eventTime",), ("metadata", "creationTimestamp"), ("lastTimestamp",)):
        moment = parse_time(dig(event, *path))
        if moment is not None:
            return moment
    return None


def count_of(event: Obj) -> int:
    """How many times the event happened: ``count``, else ``series.count``, else once."""
    for value in (event.get("count"), dig(event, "series", "count")):
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return 1


def container_of(event: Obj) -> Optional[Tuple[str, str]]:
    """(spec list, container name) from ``fieldPath``, e.g. ("initContainers", "migrate")."""
    path = involved(event).get("fieldPath")
    match = _FIELD_PATH_RE.match(path) if isinstance(path, str) else None
    return (match.group(1), match.group(2)) if match else None


def image_in_message(event: Obj) -> Optional[str]:
    """The image a kubelet event names (``Failed to pull image "x"``, ``Pulling image "x"``)."""
    match = _IMAGE_IN_MESSAGE_RE.search(message_of(event))
    return match.group(1) if match else None


def is_pull_failure(event: Obj) -> bool:
    """An event that carries a pull error: not the bare ``Error: ErrImagePull`` echo."""
    reason = reason_of(event)
    if reason == "Failed":
        return is_failed_pull(event)
    return reason in PULL_FAILURE_REASONS


def is_failed_pull(event: Obj) -> bool:
    """A ``Failed to pull image`` event: one per failed pull attempt (its count is the attempts)."""
    message = message_of(event)
    if message.startswith(COMBINED_PREFIX):
        message = message[len(COMBINED_PREFIX):]
    return reason_of(event) == "Failed" and message.startswith(_PULL_FAILED_PREFIX)


def newest(events: Iterable[Obj]) -> Optional[Obj]:
    """The most recent event; undated ones count as oldest, ties go to the later in the list."""
    ordered = [(last_seen(event) or _EPOCH, index, event) for index, event in enumerate(events)]
    return max(ordered, key=lambda item: item[:2])[2] if ordered else None


def unfinished_pull(events: Iterable[Obj]) -> Optional[Obj]:
    """The ``Pulling`` event of a pull with no outcome yet: the newest of Pulling, Pulled and Failed is a
    Pulling (the kubelet says Pulled or Failed when a pull ends)."""
    latest = newest(event for event in events if reason_of(event) in ("Pulling", "Pulled", "Failed"))
    return latest if latest is not None and reason_of(latest) == "Pulling" else None


@dataclass(frozen=True)
class EventSummary:
    """The facts of one event that a diagnosis shows as evidence."""

    reason: str
    message: str
    count: int
    first_seen: Optional[datetime]
    last_seen: Optional[datetime]
    type: str = ""

    DOCUMENT_FIELDS = ("reason", "type", "message", "count", "first_seen", "last_seen")

    @classmethod
    def of(cls, event: Obj) -> "EventSummary":
        kind = event.get("type")
        return cls(reason_of(event), message_of(event), count_of(event), first_seen(event), last_seen(event),
                   kind if isinstance(kind, str) else "")



class EventIndex:
    """Pod events grouped by the pod they are about; built once per list of events."""

    def __init__(self, events: Iterable[Any]) -> None:
        self._by_uid: Dict[str, List[Obj]] = {}
        self._by_name: Dict[Tuple[str, str], List[Obj]] = {}
        for event in events:
            if not isinstance(event, dict):
                continue
            target = involved(event)
            if target.get("kind", "Pod") != "Pod":
                continue
            uid = target.get("uid")
            if isinstance(uid, str) and uid:
                self._by_uid.setdefault(uid, []).append(event)
            else:
                namespace = target.get("namespace") or namespace_of(event)
                self._by_name.setdefault((str(namespace or ""), str(target.get("name") or "")), []).append(event)

    def for_pod(self, pod: Obj) -> List[Obj]:
        """The pod's events: same uid; events without a uid only by namespace and name."""
        found = list(self._by_uid.get(uid_of(pod), [])) if uid_of(pod) else []
        found.extend(self._by_name.get((namespace_of(pod), name_of(pod)), []))
        return found


def for_container(events: Iterable[Obj], spec_list: str, name: str, image: str) -> List[Obj]:
    """A container's events: by fieldPath, or, for events without one, by the image they name."""
    matched = []
    for event in events:
        where = container_of(event)
        if where is not None:
            if where == (spec_list, name):
                matched.append(event)
        elif image and image_in_message(event) == image:
            matched.append(event)
    return matched

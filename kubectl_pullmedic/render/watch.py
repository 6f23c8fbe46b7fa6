"""How a watch shows what happens: one line per change as it happens, then how it ended.

A line is ``TIME  POD  CONTAINER  WHAT`` (``NAMESPACE/POD`` across namespaces, ``-`` for a
pod-level change; times in UTC, as the API server writes them); with ``-o json`` each change
is one JSON document on one line, and the end one ``WatchResult`` document. Names and messages
come from the cluster, so text goes through ``safe`` first.
"""

from __future__ import annotations

import json
from datetime import timezone
from typing import List

from ..core.serialize import as_document
from ..core.watching import Change, Outstanding, WatchOutcome
from .documents import API_VERSION
from .safe import neutralise, safe_report
from .view import View

STREAMED = ("json",)  # formats that stream documents; every other prints lines


def _pod(namespace: str, pod: str, all_namespaces: bool) -> str:
    return f"{namespace}/{pod}" if all_namespaces else pod


def change_line(change: Change, view: View, all_namespaces: bool) -> str:
    """One change: a line of text, or one JSON document on one line."""
    if view.output in STREAMED:
        return json.dumps(as_document(change), separators=(",", ":")) + "\n"
    shown = safe_report(change)
    moment = shown.at.astimezone(timezone.utc).strftime("%H:%M:%S") if shown.at else "--:--:--"
    return f"{moment}  {_pod(shown.namespace, shown.pod, all_namespaces)}  {shown.container or '-'}  {shown.text}\n"


def notice_line(text: str) -> str:
    """What the watch itself went through (a relist after 410, a stream reconnected), for stderr."""
    return f"watch: {neutralise(text)}\n"


def header(following: int, what: str) -> str:
    """The line (on stderr) between the diagnosis and the first change."""
    if not following:
        return ""
    pods = "1 pod" if following == 1 else f"{following} pods"
    until = "it runs" if following == 1 else "they run"
    return f"\nWatching {pods}{' ' + what if what else ''} until {until} (Ctrl-C to stop; times in UTC)...\n"


def _outstanding_lines(left: List[Outstanding], all_namespaces: bool) -> List[str]:
    shown: List[Outstanding] = safe_report(left)
    return [f"  {_pod(item.namespace, item.pod, all_namespaces)}  {item.container or '-'}  {item.text}" for item in shown]


def _settled_text(outcome: WatchOutcome) -> str:
    if not outcome.following and outcome.deleted:
        return "Nothing left to watch: the followed pods were deleted, and nothing recreated them.\n"
    if not outcome.following:
        return "Nothing to watch: no pod in question is waiting for an image.\n"
    pods = "1 pod" if outcome.following == 1 else f"{outcome.following} pods"
    return f"Every followed container is running or completed ({pods}).\n"


def _unread_text(outcome: WatchOutcome) -> str:
    """The part not watched (exit 4): its pods are unknown, not fine."""
    if not outcome.unread:
        return ""
    count = len(outcome.unread)
    shown = ", ".join(neutralise(name) for name in outcome.unread[:5]) + (f" and {count - 5} more" if count > 5 else "")
    return f"Not watched: the pods of {count} namespace{'s' if count != 1 else ''} ({shown}).\n"


def outcome_text(outcome: WatchOutcome, view: View, all_namespaces: bool, waited: str = "") -> str:
    """The last lines: every followed container is fine, or what still is not (the exit code follows)."""
    if view.output in STREAMED:
        document = {"apiVersion": API_VERSION, "kind": "WatchResult", **as_document(outcome),
                    "settled": outcome.settled}
        return json.dumps(document, separators=(",", ":")) + "\n"
    if outcome.settled:
        return _settled_text(outcome) + _unread_text(outcome)
    when = {"timeout": f"after {waited}" if waited else "at the timeout", "interrupted": "when interrupted"}
    count = len(outcome.outstanding)
    containers = f"{count} container{'s' if count != 1 else ''}"
    lines = [f"Failed again: {containers}" if outcome.ended == "failed-again"
             else f"Still not running {when.get(outcome.ended, 'now')}: {containers}"]
    return "\n".join(lines + _outstanding_lines(outcome.outstanding, all_namespaces)) + "\n" + _unread_text(outcome)

"""The timeline format of an incident (see ``timeline.py`` for what a timeline does).

Checked when the sandbox starts, so a mistyped scenario fails with what is wrong, not later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

import kubectl_pullmedic.sandbox.kubelet as kubelet
from kubectl_pullmedic.sandbox.resources import resolve

Obj = kubelet.Obj
ACTIONS = ("create", "patch", "delete", "pull")


def seconds(value: Any) -> float:
    """``5s``, ``1m30s``, ``1.5``, ``250ms`` as seconds.

    >>> seconds("1m30s"), seconds(2), seconds("250ms")
    (90.0, 2.0, 0.25)
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text)
    if not parts or "".join(n + u for n, u in parts) != text.replace(" ", ""):
        raise ValueError(f"a timeline time is like 5s, 1m30s or 250ms, not {value!r}")
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(number) * scale[unit] for number, unit in parts)


def _ref(text: str) -> Tuple[str, str, str]:
    """``secret/shop/regcred`` (or ``node/NAME``) as (resource, namespace, name)."""
    parts = str(text).split("/")
    if len(parts) not in (2, 3):
        raise ValueError(f"an object reference is KIND/NAMESPACE/NAME or KIND/NAME, not {text!r}")
    rt = resolve(parts[0])
    return rt.resource, parts[1] if len(parts) == 3 else "", parts[-1]


@dataclass
class Step:
    name: str
    action: str
    spec: Any
    at: float = 0.0
    after: str = ""
    when: Optional[Tuple[str, str, str, str]] = None  # ("exists"|"absent", resource, namespace, name)
    due: Optional[float] = None  # timeline time it runs at, once known
    ran_at: Optional[float] = None


@dataclass(frozen=True)
class PullRule:
    namespace: str
    pod: str = ""
    replica_set: str = ""
    needs_secret: str = ""
    error: str = "rpc error: code = Unknown desc = failed to pull and unpack image: 401 Unauthorized"
    seconds: float = 2.0
    retry_every: float = 0.0  # a failing pod's kubelet tries again this often (0: only when a step says)

    def matches(self, pod: Obj) -> bool:
        metadata = pod.get("metadata") or {}
        owner = kubelet.controller_of(pod) or {}
        return (metadata.get("namespace") == self.namespace
                and (not self.pod or metadata.get("name") == self.pod)
                and (not self.replica_set or owner.get("name") == self.replica_set))


def _step(raw: Obj, position: int) -> Step:
    if not isinstance(raw, dict):
        raise ValueError(f"timeline step {position} is not a mapping")
    actions = [name for name in ACTIONS if name in raw]
    if len(actions) != 1:
        raise ValueError(f"timeline step {raw.get('name', position)!r} needs exactly one of {', '.join(ACTIONS)}")
    when = None
    if raw.get("when") is not None:
        condition = raw["when"]
        if not isinstance(condition, dict) or len(condition) != 1 or next(iter(condition)) not in ("exists", "absent"):
            raise ValueError("a step's when is {exists: KIND/NS/NAME} or {absent: KIND/NS/NAME}")
        kind, target = next(iter(condition.items()))
        when = (kind, *_ref(target))
    step = Step(str(raw.get("name") or f"step-{position}"), actions[0], raw[actions[0]],
                at=seconds(raw.get("at", 0)), after=str(raw.get("after") or ""), when=when)
    if not step.after and step.when is None:
        step.due = step.at
    return step


def _list(document: Obj, key: str) -> List[Any]:
    value = document.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"a timeline's {key} is a list")
    return value


def parse(document: Obj) -> Tuple[List[Step], List[PullRule], List[Tuple[str, str]]]:
    """The steps, pull rules and recreating ReplicaSets of a ``timeline:`` mapping."""
    if not isinstance(document, dict):
        raise ValueError("a timeline is a mapping with steps, pulls and replicaSets")
    steps = [_step(raw, index) for index, raw in enumerate(_list(document, "steps"))]
    names = [step.name for step in steps]
    if len(set(names)) != len(names):
        raise ValueError("timeline step names must be unique")
    unknown = [step.after for step in steps if step.after and step.after not in names]
    if unknown:
        raise ValueError(f"a step runs after an unknown step: {unknown[0]}")
    rules = [PullRule(namespace=str(rule["namespace"]), pod=str(rule.get("pod") or ""),
                      replica_set=str(rule.get("replicaSet") or ""), needs_secret=str(rule.get("needsSecret") or ""),
                      error=str(rule.get("error") or PullRule.error), seconds=seconds(rule.get("seconds", 2)),
                      retry_every=seconds(rule.get("retryEvery", 0)))
             for rule in _list(document, "pulls")]
    replica_sets = [tuple(str(text).split("/", 1)) for text in _list(document, "replicaSets")]
    if any(len(pair) != 2 for pair in replica_sets):
        raise ValueError("a timeline's replicaSets are NAMESPACE/NAME")
    return steps, rules, [(pair[0], pair[1]) for pair in replica_sets]

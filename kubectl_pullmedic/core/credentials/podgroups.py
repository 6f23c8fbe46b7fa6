"""Pods grouped by what a pull-credential check reads of them, so memory follows templates, not pods.

A Deployment's 5,000 replicas ask the same question (same namespace, owner, pull-secret
references, service account, containers and images): ``secrets-check -A`` keeps one copy of
those facts per group and only the name of each pod in it. The pod's uid, labels and node are
left out: nothing in the check reads them, and they differ between replicas.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Dict, Iterable, Iterator, List, Union

from ..kube import Obj, name_of, pull_facts

_PER_POD = {"metadata": ("name", "uid", "labels"), "spec": ("nodeName",)}


@dataclass
class PodGroup:
    """Pods that differ only in name: ``facts`` are the first one's, ``names`` every pod's, in arrival order."""

    facts: Obj
    names: List[str]

    def pods(self) -> Iterator[Obj]:
        """Each pod of the group as the check sees it (the first is ``facts`` itself)."""
        yield self.facts
        for name in self.names[1:]:
            yield {**self.facts, "metadata": {**(self.facts.get("metadata") or {}), "name": name}}


class PodGroups:
    """Pods added one at a time (as pages arrive), kept once per distinct template.

    >>> groups = PodGroups()
    >>> for n in range(3):
    ...     groups.add({"metadata": {"name": f"web-{n}", "namespace": "shop", "uid": str(n)},
    ...                 "spec": {"nodeName": f"node-{n}", "containers": [{"name": "app", "image": "web:1"}]}})
    >>> groups.add({"metadata": {"name": "db-0", "namespace": "shop"}, "spec": {"containers": [{"image": "db:1"}]}})
    >>> [(group.names, group.facts["metadata"]) for group in groups], len(groups)
    ([(['web-0', 'web-1', 'web-2'], {'name': 'web-0', 'namespace': 'shop'}), (['db-0'], {'name': 'db-0', 'namespace': 'shop'})], 4)
    """

    def __init__(self, pods: Iterable[Obj] = ()) -> None:
        self._groups: Dict[str, PodGroup] = {}
        self._count = 0
        for pod in pods:
            self.add(pod)

    def add(self, pod: Obj) -> None:
        facts = pull_facts(pod)
        for part, keys in _PER_POD.items():
            section = facts.get(part)
            for key in keys:
                if isinstance(section, dict) and key != "name":
                    section.pop(key, None)
        name = name_of(facts)
        key = json.dumps({**facts, "metadata": {k: v for k, v in (facts.get("metadata") or {}).items() if k != "name"}},
                         sort_keys=True, default=str)
        group = self._groups.get(key)
        if group is None:
            self._groups[key] = PodGroup(facts, [name])
        else:
            group.names.append(name)
        self._count += 1

    def __iter__(self) -> Iterator[PodGroup]:
        return iter(list(self._groups.values()))

    def __len__(self) -> int:
        """The number of pods (not groups)."""
        return self._count

    @property
    def templates(self) -> int:
        return len(self._groups)


def pod_groups(pods: Union[PodGroups, Iterable[Obj]]) -> PodGroups:
    """``pods`` as groups: already grouped, or a list of pods (tests, small scopes) grouped now."""
    return pods if isinstance(pods, PodGroups) else PodGroups(pods)

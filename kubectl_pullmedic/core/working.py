"""What the cluster showed working: images running, pulls that succeeded, images a node holds.

``core.patterns`` compares failures with it ("the same image runs on node-a"); the typo
suggestions read the repositories from it. It is filled as pods, events and nodes stream by, and
kept small: per image and per registry only a few nodes and namespaces, so a 150,000-pod list
costs little more than the set of distinct images.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, FrozenSet, Iterable, Optional, Set, Tuple

from .kube import Obj, dig, namespace_of
from .podevents import image_in_message, last_seen, message_of, reason_of
from .podhealth import running_repositories
from .pulls.imageref import parse_image

KEEP_NODES = 8  # per image or registry, the nodes remembered working: enough to name some, bounded for 150,000 pods

RECENT = 50_000  # the (repository, node, namespace) triples remembered as already added: a few MB at most

Repo = Tuple[str, str]  # (registry, repository)


@dataclass
class Seen:
    """Where an image or a registry was seen working: nodes (with the newest pull there, when an event
    said so) and namespaces, each bounded."""

    nodes: Dict[str, Optional[datetime]] = field(default_factory=dict)
    namespaces: Set[str] = field(default_factory=set)

    def add(self, node: Optional[str], namespace: Optional[str], pulled: Optional[datetime]) -> None:
        if node and (pulled is not None or node not in self.nodes) and (node in self.nodes or len(self.nodes) < KEEP_NODES):
            known = self.nodes.get(node)
            self.nodes[node] = max(known, pulled) if known and pulled else (known or pulled)
        if namespace and len(self.namespaces) < KEEP_NODES:
            self.namespaces.add(namespace)

    def newest_pull(self, other_than: Iterable[str] = ()) -> Optional[Tuple[str, datetime]]:
        skip = set(other_than)
        pulls = [(moment_, node) for node, moment_ in self.nodes.items() if moment_ and node not in skip]
        return max(pulls)[::-1] if pulls else None


class WorkingImages:
    """What the cluster showed working, gathered as pods, events and nodes stream by (kept small)."""

    def __init__(self) -> None:
        self.repositories: Dict[Repo, Seen] = {}
        self.registries: Dict[str, Seen] = {}
        self.nodes: Set[str] = set()  # nodes that run something: other nodes exist to compare with
        # (repository, node, namespace) a running pod already showed: most pods of a large list repeat
        # one, and adding it again changes nothing. A cache, emptied when it grows past RECENT.
        self._recent: Set[Tuple[Repo, Optional[str], Optional[str]]] = set()

    def _add(self, repo: Repo, node: Optional[str], namespace: Optional[str], pulled: Optional[datetime]) -> None:
        self.repositories.setdefault(repo, Seen()).add(node, namespace, pulled)
        self.registries.setdefault(repo[0], Seen()).add(node, namespace, pulled)

    def add_pod(self, pod: Any) -> None:
        """Every running container: its image was pulled (or present) on the pod's node."""
        found = running_repositories(pod)
        if not found:
            return
        node = dig(pod, "spec", "nodeName")
        node = node if isinstance(node, str) and node else None
        if node:
            self.nodes.add(node)
        namespace = namespace_of(pod) or None
        recent = self._recent
        for repo in found:
            key = (repo, node, namespace)
            if key not in recent:
                if len(recent) >= RECENT:
                    recent.clear()
                recent.add(key)
                self._add(repo, node, namespace, None)

    def add_event(self, event: Obj) -> None:
        """A ``Successfully pulled image`` event: a pull that worked, on its node, at its time.
        ("already present on machine" is a Pulled event too, but no pull.)"""
        if not isinstance(event, dict) or reason_of(event) != "Pulled" or "Successfully pulled" not in message_of(event):
            return
        ref = parse_image(image_in_message(event))
        node = dig(event, "source", "host") or event.get("reportingInstance")
        node = node if isinstance(node, str) and node else None
        if ref.valid and ref.repository:
            namespace = dig(event, "involvedObject", "namespace")
            self._add((ref.registry, ref.repository), node, namespace if isinstance(namespace, str) else None,
                      last_seen(event))

    def add_node(self, node: Any) -> None:
        """``node.status.images``: what the node holds, pulled at some time."""
        name = dig(node, "metadata", "name")
        images = dig(node, "status", "images")
        for image in images if isinstance(images, list) and isinstance(name, str) else ():
            names = dig(image, "names")
            for text in names if isinstance(names, list) else ():
                ref = parse_image(text) if isinstance(text, str) else None
                if ref is not None and ref.valid and ref.repository:
                    self._add((ref.registry, ref.repository), name, None, None)
                    break

    @property
    def running_images(self) -> FrozenSet[Repo]:
        """(registry, repository) seen working: what a mistyped name most likely meant."""
        return frozenset(self.repositories)

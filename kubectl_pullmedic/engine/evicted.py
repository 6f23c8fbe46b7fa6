"""``evicted``: failed pods that were evicted, their Evicted events, their workloads, and groups."""

from __future__ import annotations

from typing import Optional

from ..cluster import gather
from ..cluster.api import Cluster
from ..cluster.gather import Scope
from ..core.evictions.cleanup import collect_evictions, group_evictions
from ..core.evictions.context import is_critical
from ..core.evictions.endings import KIND_PREEMPTION
from ..core.evictions.parse import is_evicted, with_nodes
from ..core.reports import EvictedReport, Where


def evicted(cluster: Cluster, scope: Scope, *, node: Optional[str], group_by: Optional[str], wide: bool) -> EvictedReport:
    """Groups are made by owner when no ``group_by`` is asked: they carry the fixes under the table.

    Nodes are read only for ``wide`` (their current pressure conditions, and which were deleted since).
    """
    listing = gather.failed_pods(cluster, scope, node, keep=is_evicted)
    events = gather.warning_events_for(cluster, listing.items, scope)
    index, hidden = gather.owner_index_for(cluster, listing.items)
    items = collect_evictions(listing.items, events.items, index)
    preempted = {item.eviction.node or "" for item in items if item.eviction.kind == KIND_PREEMPTION}
    if preempted:  # name the critical pod each preemption made room for
        critical = gather.pods_on_nodes(cluster, preempted, keep=is_critical)
        items = collect_evictions(listing.items, events.items, index, peers=critical)
    nodes = {}
    if wide:  # read before grouping: a node deleted since is named in no fix
        nodes, refused, more = gather.nodes_by_name(cluster, {item.eviction.node or "" for item in items})
        items = with_nodes(items, nodes, refused)
        hidden += more
    groups = group_evictions(items, group_by or "owner") if items else []
    return EvictedReport(Where(scope.namespace), node, items, groups, group_by, nodes,
                         list(listing.warnings) + events.warnings + hidden)

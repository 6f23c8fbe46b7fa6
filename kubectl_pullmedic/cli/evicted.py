"""``kubectl pullmedic evicted``."""

from __future__ import annotations

from typing import Optional

import click

from ..render import evicted as evictedview
from ..cluster import gather
from ..core.evictions.cleanup import GROUP_BY, collect_evictions, group_evictions
from ..core.evictions.parse import is_evicted
from ..errors import ExitCode
from ..settings import Settings
from . import cli
from .common import connect, emit, nothing_found, scope_of, warn
from .options import connection_options, listing_options

EXAMPLES = """\
# Evicted pods in the current namespace, with what ran short and each container's usage
kubectl pullmedic evicted

# The whole cluster, one line per workload, with the fix for each
kubectl pullmedic evicted -A --group-by owner

# Evicted pods of one node, with the node's current pressure conditions
kubectl pullmedic evicted -A --node node-3 -o wide
"""


@cli.command("evicted", examples=EXAMPLES)
@connection_options
@listing_options()
@click.option("--node", metavar="NODE", help="Only pods that ran on this node.")
@click.option("--group-by", type=click.Choice(list(GROUP_BY)), help="Count evicted pods per node, resource, owner or namespace.")
@click.pass_obj
def evicted(settings: Settings, node: Optional[str], group_by: Optional[str]) -> int:
    """List evicted pods and what the kubelet evicted them for.

    Finds every evicted pod (also the ones kubectl shows as Error, Completed or
    ContainerStatusUnknown) and parses the kubelet's message and Evicted event: the
    starved resource, the node's threshold and what was available, and each container's
    usage against its request. Under the table: the fix for each workload.
    """
    cluster = connect(settings)
    scope = scope_of(settings, cluster)
    listing = gather.failed_pods(cluster, scope, node, keep=is_evicted)
    warnings = list(listing.warnings)
    events = gather.warning_events_for(cluster, listing.items, scope)
    index, hidden = gather.owner_index_for(cluster, listing.items)
    items = collect_evictions(listing.items, events.items, index)
    groups = group_evictions(items, group_by or "owner") if items else []
    nodes = {}
    if settings.output == "wide":
        nodes, more = gather.nodes_by_name(cluster, {item.eviction.node or "" for item in items})
        hidden += more
    warn(settings, warnings + events.warnings + hidden)
    if settings.output in ("json", "yaml"):
        emit(settings, evictedview.evicted_document(items, groups if group_by else [], settings.output))
    elif not items:
        nothing_found(settings, scope, "evicted pods" + (f" on node {node}" if node else ""))
    elif group_by:
        emit(settings, evictedview.group_table(groups, group_by, no_headers=settings.no_headers))
        if not settings.no_headers:
            emit(settings, "\n" + evictedview.group_fixes(groups))
    else:
        emit(settings, evictedview.evicted_table(items, nodes, now=settings.now(), wide=settings.output == "wide",
                                                 all_namespaces=scope.all_namespaces, no_headers=settings.no_headers))
        if not settings.no_headers:
            emit(settings, "\n" + evictedview.group_fixes(groups))
    return ExitCode.OK

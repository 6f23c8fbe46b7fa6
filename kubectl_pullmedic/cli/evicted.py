"""``kubectl pullmedic evicted``."""

from __future__ import annotations

from typing import Optional

import click

from ..core.evictions.cleanup import GROUP_BY
from ..engine import evicted as engine
from ..settings import Settings
from .common import connect, exit_code, scope_of, show
from .options import LISTING_FORMATS, KubectlCommand, connection_options, filename_option, listing_options

EXAMPLES = """\
# Evicted pods in the current namespace, with what ran short and each container's usage
kubectl pullmedic evicted

# The whole cluster, one line per workload, with the fix for each
kubectl pullmedic evicted -A --group-by owner

# Evicted pods of one node, with the node's current pressure conditions
kubectl pullmedic evicted -A --node node-3 -o wide
"""


@click.command("evicted", cls=KubectlCommand, examples=EXAMPLES)
@connection_options
@filename_option
@listing_options(formats=LISTING_FORMATS)
@click.option("--node", metavar="NODE", help="Only pods that ran on this node.")
@click.option("--group-by", type=click.Choice(list(GROUP_BY)), help="Count evicted pods per node, resource, owner or namespace.")
@click.pass_obj
def evicted(settings: Settings, node: Optional[str], group_by: Optional[str]) -> int:
    """List evicted pods and what the kubelet evicted them for.

    Finds every evicted pod (also the ones kubectl shows as Error, Completed or
    ContainerStatusUnknown) and parses the kubelet's message and Evicted event: the
    starved resource, the node's threshold and what was available, and each container's
    usage against its request. Under the table: the fix for each workload. Exits 4 when
    part of the cluster could not be read (a 403): the list is then partial.
    """
    cluster = connect(settings)
    report = engine.evicted(cluster, scope_of(settings, cluster), node=node, group_by=group_by,
                            wide=settings.output == "wide")
    show(settings, report)
    return exit_code(False, report.warnings)

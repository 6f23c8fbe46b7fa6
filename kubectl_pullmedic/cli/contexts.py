"""Which contexts a command reads (``--context`` repeated or ``a,b``, ``--all-contexts``), and reading them.

One context (or none: the current one) is exactly the one-cluster command. Several are read
concurrently, at most ``--parallel`` at once (in one process per CPU where ``engine.fleet`` can
fork), each through its own ``Cluster`` with its own namespace (``-n`` applies in every one), and
the reports are merged (``engine.fleet``, ``core.fleet``) into the command's usual report, which
then shows a CONTEXT column.
"""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any, Callable, Dict, List, Optional, TypeVar

import click

from ..cluster.api import Cluster
from ..cluster.contextnames import context_names
from ..cluster.gather import Scope
from ..engine import fleet
from ..errors import PullmedicError
from ..settings import Settings
from .common import connect, scope_and_warnings, scope_of

R = TypeVar("R")


def _several(settings: Settings) -> bool:
    return settings.all_contexts or len(settings.contexts) > 1


def contexts_of(settings: Settings) -> List[str]:
    """The contexts named, or with ``--all-contexts`` every one of the kubeconfig; none: the current one."""
    if settings.filenames and _several(settings):
        raise click.UsageError("-f/--filename reads no cluster: it cannot be combined with several contexts")
    if not settings.all_contexts:
        return list(settings.contexts)
    if settings.contexts:
        raise click.UsageError("--context and --all-contexts cannot be combined")
    names = context_names(settings.kubeconfig, settings.environ)
    if not names:
        raise PullmedicError("--all-contexts: the kubeconfig defines no context")
    return names


def one_context(settings: Settings, what: str) -> None:
    """What acts on one cluster (``retry``, ``why --watch``) refuses several contexts rather than pick one."""
    if _several(settings):
        raise click.UsageError(f"{what} works in one context: name one with --context")


def per_context(settings: Settings, read: Callable[[Cluster, Scope], Any], *, max_connections: int = 10,
                clusters: Optional[Dict[str, Cluster]] = None) -> Any:
    """``read(cluster, scope)`` in the one context, or in each of several, merged into one report.

    ``clusters`` receives each context's cluster ("" for the one context), for ``clean``'s deletes:
    they must live in this process, so ``clean`` reads in threads only, as does ``-v 6`` and up
    (its request log is written as the requests are made). A context's exec credential plugin
    complaint is kept with its warning rather than written amid the other contexts' output.
    """
    names = contexts_of(settings)
    if len(names) <= 1:
        cluster = connect(settings, max_connections, context=names[0] if names else None)
        if clusters is not None:
            clusters[""] = cluster
        return read(cluster, scope_of(settings, cluster))

    def one(name: str) -> Any:
        complaint = io.StringIO()
        try:
            cluster = connect(settings, max_connections, context=name, plugin_output=complaint, log_context=name)
        except PullmedicError as error:
            said = " ".join(complaint.getvalue().split())
            error.message += f" (the plugin said: {said})" if said else ""
            raise
        scope, warnings = scope_and_warnings(settings, cluster)
        report = read(cluster, scope)
        if clusters is not None:
            clusters[name] = cluster
        return replace(report, warnings=warnings + list(report.warnings))

    processes = fleet.worker_processes(len(names)) if clusters is None and settings.verbosity < 6 else 1
    if processes > 1:
        Cluster.prepare(settings.kubeconfig, settings.environ)
    return fleet.fleet_report(names, one, settings.parallel, processes)

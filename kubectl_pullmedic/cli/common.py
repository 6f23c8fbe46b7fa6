"""What every command does the same way: connect, decide the scope, show a report, build the prober."""

from __future__ import annotations

from typing import Callable, List, Optional, Sequence, TextIO, Tuple

import click

from ..cluster.api import Cluster
from ..cluster.gather import Scope
from ..core.probing.plan import ProbeTarget
from ..core.probing.results import ProbeResult
from ..core.workloads import parse_workload_arg
from ..errors import ExitCode, PullmedicError
from ..render.output import emit
from ..render.view import View, warnings_text
from ..settings import Settings
from .options import output_format


def connect(settings: Settings, max_connections: int = 10, context: Optional[str] = None,
            plugin_output: Optional[TextIO] = None, log_context: str = "") -> Cluster:
    """The invocation's cluster; ``context`` (one of several being read) instead of ``--context``; with -f
    the dump reader (the kubeconfig and connection flags unread). ``plugin_output``: where an exec
    credential plugin's complaint goes instead of stderr; ``log_context``: named in the request log."""
    if settings.filenames:
        from ..cluster.dump import DumpCluster

        stdin = getattr(settings.stdin, "buffer", settings.stdin)  # bytes, for gzip and tar on standard input
        return DumpCluster.read(settings.filenames, settings.namespace, stdin)  # type: ignore[return-value]
    return Cluster.connect(
        kubeconfig=settings.kubeconfig,
        context=context or settings.context,
        namespace=settings.namespace,
        environ=settings.environ,
        request_timeout=settings.request_timeout,
        max_connections=max_connections,
        overrides=settings.overrides,
        verbosity=settings.verbosity,
        stderr=settings.stderr if plugin_output is None else plugin_output,
        log=settings.stderr,
        log_context=log_context,
    )


def scope_of(settings: Settings, cluster: Cluster) -> Scope:
    """-A means every namespace; otherwise -n, else the context's namespace, else default.

    A namespace named with -n must exist (one GET; exit 2 ``namespace "x" not found``); when
    that GET is refused, the command goes on with a warning. The context's namespace is not checked.
    """
    scope, warnings = scope_and_warnings(settings, cluster)
    write(settings.stderr, warnings_text(warnings))
    return scope


def scope_and_warnings(settings: Settings, cluster: Cluster) -> Tuple[Scope, List[str]]:
    """``scope_of`` with its warning returned, for a context read among several (the report carries it)."""
    if settings.all_namespaces:
        return Scope(None, settings.selector), []
    warnings = cluster.check_namespace(cluster.namespace) if settings.namespace else []
    return Scope(cluster.namespace, settings.selector), warnings


def parse_target(target: Optional[str], settings: Settings) -> Optional[Tuple[str, str]]:
    """``POD`` or ``TYPE/NAME`` as ``(kind, name)`` (None without one), for every command that takes a
    target (``why``, ``retry``): a usage error with ``-A`` (a name lives in one namespace) or a kind
    it does not know."""
    if not target:
        return None
    if settings.all_namespaces:
        raise click.UsageError("a pod or workload name cannot be combined with -A/--all-namespaces")
    try:
        return parse_workload_arg(target)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="POD | TYPE/NAME") from None


def exit_code(found_problems: bool, warnings: Sequence[str]) -> ExitCode:
    """1 when problems were found (what was read proves them), else 4 when part of the cluster could
    not be read (a clean answer is not proven), else 0."""
    if found_problems:
        return ExitCode.FINDINGS
    return ExitCode.PARTIAL if warnings else ExitCode.OK


def show(settings: Settings, report: object) -> None:
    """Render ``report`` in the invocation's format: stderr (warnings) first, then stdout.

    A template that fails on the data (an index out of range) is an error: exit 2, as kubectl fails.
    """
    fmt, template = output_format(settings.output)
    view = View(output=fmt, template=template, no_headers=settings.no_headers, color=settings.use_color,
                now=settings.now())
    rendered = emit(report, view)
    write(settings.stderr, rendered.stderr)
    write(settings.stdout, rendered.stdout)
    if rendered.error:
        raise PullmedicError(rendered.error)


def write(stream, text: str) -> None:
    if text:
        stream.write(text)
        stream.flush()


def prober_for(settings: Settings, probe: bool, insecure_registries: Sequence[str],
               registry_ca: Optional[str]) -> Optional[Callable[[Sequence[ProbeTarget]], List[ProbeResult]]]:
    """``--probe``: ask registries with the proxy variables of the command's environment; None without it.

    The registry client (urllib3) is loaded only when a probe is asked for.
    """
    if not probe:
        return None

    def probe_all(targets: Sequence[ProbeTarget]) -> List[ProbeResult]:
        from ..registry.probe import probe_many

        return probe_many(targets, ca_file=registry_ca, insecure_registries=insecure_registries, environ=settings.environ)

    return probe_all

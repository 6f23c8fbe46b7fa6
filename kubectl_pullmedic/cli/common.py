"""What every subcommand does the same way: connect, decide the scope, print, warn."""

from __future__ import annotations

from typing import Iterable, List, Optional, Sequence

from ..cluster.api import Cluster
from ..core.probing.plan import ProbeTarget
from ..cluster.gather import Scope
from ..registry.probe import ProbeResult, probe_many
from ..settings import Settings


def connect(settings: Settings, max_connections: int = 10) -> Cluster:
    return Cluster.connect(
        kubeconfig=settings.kubeconfig,
        context=settings.context,
        namespace=settings.namespace,
        environ=settings.environ,
        request_timeout=settings.request_timeout,
        max_connections=max_connections,
    )


def scope_of(settings: Settings, cluster: Cluster) -> Scope:
    """-A means every namespace; otherwise -n, else the context's namespace, else default."""
    return Scope(None if settings.all_namespaces else cluster.namespace, settings.selector)


def emit(settings: Settings, text: str) -> None:
    if text:
        settings.stdout.write(text)
        settings.stdout.flush()


def warn(settings: Settings, messages: Iterable[str]) -> None:
    """Partial results are shown, and what could not be read is said on stderr."""
    for message in dict.fromkeys(messages):
        settings.stderr.write(f"Warning: {message}\n")


def nothing_found(settings: Settings, scope: Scope, what: str) -> None:
    """kubectl's wording for an empty result, on stderr so that stdout stays parseable."""
    where = "any namespace" if scope.all_namespaces else f"{scope.namespace} namespace"
    settings.stderr.write(f"No {what} found in {where}.\n")


def probe_registries(settings: Settings, targets: Sequence[ProbeTarget], insecure_registries: Sequence[str],
                     registry_ca: Optional[str]) -> List[ProbeResult]:
    """``--probe`` with the proxy variables of the command's environment."""
    return probe_many(targets, ca_file=registry_ca, insecure_registries=insecure_registries, environ=settings.environ)

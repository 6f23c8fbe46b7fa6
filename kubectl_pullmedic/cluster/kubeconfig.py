"""Kubeconfig resolution exactly as kubectl does it, through the `kubernetes` client's loader.

This is the only module that imports ``kubernetes``, and it does so lazily, inside
``load_connection``, so ``--help`` and ``--version`` never pay for it. kubectl's rules
(client-go ``clientcmd``): ``--kubeconfig`` alone if given; else every existing path in
``KUBECONFIG`` merged, the first file to name a cluster, user or context winning, and the
first non-empty ``current-context`` winning; else ``~/.kube/config``; else the in-cluster
service account. The namespace is ``--namespace``, else the context's, else ``default``.
The client's own merger lets the *last* ``current-context`` win, so that one choice is made
here before the client's loader is called.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, List, Mapping, Optional

from ..errors import ConfigError

IN_CLUSTER_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"


@dataclass
class Connection:
    """A resolved kubeconfig: where the API server is and how to reach it."""

    server: str
    context: str  # "" when running in-cluster
    namespace: str
    configuration: Any  # kubernetes.client.Configuration
    pool: Any  # urllib3.PoolManager built by the client's RESTClientObject

    def auth_headers(self) -> dict:
        """Authorization headers, refreshed through the client's hook (exec plugins, token files).

        Like kubectl (client-go ``clientcmd``: "only try to read the auth information if we are
        secure"), credentials are never sent to a plain-HTTP server.
        """
        headers: dict = {}
        if not self.server.lower().startswith("https://"):
            return headers
        for setting in self.configuration.auth_settings().values():
            if setting.get("in") == "header" and setting.get("value"):
                headers[setting["key"]] = setting["value"]
        if "authorization" not in {key.lower() for key in headers} and self.configuration.username:
            headers["Authorization"] = self.configuration.get_basic_auth_token()
        return headers


def kubeconfig_paths(flag: Optional[str], environ: Mapping[str, str]) -> List[str]:
    """The files kubectl would read, in precedence order (missing KUBECONFIG entries skipped).

    ``--kubeconfig`` alone, when given (``KUBECONFIG`` is then ignored); it must exist:

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile() as given:
    ...     kubeconfig_paths(given.name, {"KUBECONFIG": "/elsewhere/config"}) == [given.name]
    True
    >>> kubeconfig_paths("/x/config", {})
    Traceback (most recent call last):
    ...
    kubectl_pullmedic.errors.ConfigError: kubeconfig /x/config: no such file
    """
    if flag:
        if not os.path.isfile(os.path.expanduser(flag)):
            raise ConfigError(f"kubeconfig {flag}: no such file")
        return [os.path.expanduser(flag)]
    env_value = environ.get("KUBECONFIG", "")
    if env_value:
        paths = [os.path.expanduser(p) for p in env_value.split(os.pathsep) if p]
        return [p for p in dict.fromkeys(paths) if os.path.isfile(p)]
    home_config = os.path.join(environ.get("HOME") or os.path.expanduser("~"), ".kube", "config")
    return [home_config] if os.path.isfile(home_config) else []


def load_connection(
    kubeconfig: Optional[str],
    context: Optional[str],
    namespace: Optional[str],
    environ: Mapping[str, str],
    max_connections: int = 10,
) -> Connection:
    """Resolve the kubeconfig and build a connection pool; ConfigError on any defect."""
    from kubernetes.client import Configuration
    from kubernetes.client.rest import RESTClientObject
    from kubernetes.config.config_exception import ConfigException
    import yaml

    configuration = Configuration()
    paths = kubeconfig_paths(kubeconfig, environ)
    try:
        if paths:
            context_name, context_namespace = _load_kubeconfig(paths, context, configuration)
        else:
            context_name, context_namespace = _load_in_cluster(context, environ, configuration)
    except ConfigException as error:
        raise ConfigError(f"invalid kubeconfig ({', '.join(paths) or 'in-cluster'}): {error}") from error
    except yaml.YAMLError as error:
        raise ConfigError(f"invalid kubeconfig ({', '.join(paths)}): not valid YAML: {_first_line(error)}") from error
    except OSError as error:
        raise ConfigError(f"cannot read kubeconfig: {error}") from error
    configuration.connection_pool_maxsize = max_connections
    configuration.retries = _retries()
    pool = RESTClientObject(configuration).pool_manager
    return Connection(
        server=configuration.host,
        context=context_name,
        namespace=namespace or context_namespace or "default",
        configuration=configuration,
        pool=pool,
    )


def _load_kubeconfig(paths: List[str], context: Optional[str], configuration: Any) -> tuple:
    from kubernetes.config.kube_config import KubeConfigLoader, KubeConfigMerger

    try:
        merger = KubeConfigMerger(os.pathsep.join(paths))
    except (AttributeError, KeyError, TypeError) as error:
        # The client's merger indexes whatever YAML it finds; a wrong shape surfaces like this.
        raise ConfigError(f"invalid kubeconfig ({', '.join(paths)}): malformed ({error!r})") from error
    merged = merger.config
    if merged is None:
        raise ConfigError(f"invalid kubeconfig ({', '.join(paths)}): no configuration found")
    current = next(
        (doc.get("current-context") for doc in merger.config_files.values() if doc.get("current-context")),
        None,
    )
    chosen = context or current
    contexts = {}
    for item in _plain(merged.value.get("contexts")) or []:
        item = _plain(item)
        if isinstance(item, dict) and item.get("name"):
            contexts[item["name"]] = _plain(item.get("context")) or {}
    if not chosen:
        raise ConfigError(
            "no context chosen: the kubeconfig sets no current-context",
            hint="pass --context, or run `kubectl config use-context NAME`",
        )
    if chosen not in contexts:
        known = ", ".join(sorted(str(name) for name in contexts)) or "none"
        raise ConfigError(f'context "{chosen}" does not exist (known contexts: {known})')
    try:
        loader = KubeConfigLoader(config_dict=merged, active_context=chosen, config_base_path=None)
        loader.load_and_set(configuration)
    except (AttributeError, KeyError, TypeError) as error:
        raise ConfigError(f'invalid kubeconfig: context "{chosen}" is malformed ({error!r})') from error
    namespace = contexts[chosen].get("namespace") if isinstance(contexts[chosen], dict) else None
    return chosen, namespace


def _load_in_cluster(context: Optional[str], environ: Mapping[str, str], configuration: Any) -> tuple:
    from kubernetes.config.incluster_config import load_incluster_config

    if context:
        raise ConfigError(f'context "{context}" does not exist: no kubeconfig file was found')
    if not environ.get("KUBERNETES_SERVICE_HOST"):
        raise ConfigError(
            "no kubeconfig found: set --kubeconfig or KUBECONFIG, or create ~/.kube/config",
            hint="to try the plugin without a cluster, run `kubectl-pullmedic demo`",
        )
    load_incluster_config(client_configuration=configuration)
    try:
        with open(IN_CLUSTER_NAMESPACE_FILE) as handle:
            namespace = handle.read().strip()
    except OSError:
        namespace = None
    return "", namespace


def _plain(value: Any) -> Any:
    """The client's ConfigNode wraps lists and dicts; unwrap one level."""
    return getattr(value, "value", value)


def _retries() -> Any:
    import urllib3

    # kubectl does not retry a refused connection; one retry covers a dropped keep-alive socket.
    return urllib3.Retry(total=1, connect=1, read=1, redirect=0, status=0, other=0, raise_on_status=False)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__

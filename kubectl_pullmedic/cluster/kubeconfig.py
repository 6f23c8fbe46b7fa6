"""Kubeconfig resolution exactly as kubectl does it, through the `kubernetes` client's loader.

This is the only module that imports ``kubernetes`` (``execplugin.py`` is given the client's
``ExecProvider`` to run), and it does so lazily, inside the functions that connect, so ``--help``
and ``--version`` never pay for it. kubectl's rules
(client-go ``clientcmd``): ``--kubeconfig`` alone if given; else every existing path in
``KUBECONFIG`` merged, the first file to name a cluster, user or context winning, and the
first non-empty ``current-context`` winning; else ``~/.kube/config``; else the in-cluster
service account. The namespace is ``--namespace``, else the context's, else ``default``.
The client's own merger lets the *last* ``current-context`` win, so that one choice is made
here before the client's loader is called.

kubectl's global connection flags (``Overrides``, ``overrides.py``) are applied to the chosen
context's cluster and user before the client's loader sees them. The user's exec credential
plugin is run before the loader (``execplugin.py``), and only when no token, basic auth or
client certificate is set, as client-go's exec authenticator does.

The merged files are parsed once per content (``_merged``): ``--all-contexts`` connects to
every context of one kubeconfig, and re-parsing it (pure-Python YAML) for each was most of the
CPU time of 20 contexts.
"""

from __future__ import annotations

import copy
import importlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, TextIO, Tuple
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import ConfigError
from .execplugin import ExecFailed, exec_credentials
from .overrides import Overrides, impersonation_headers, readable, with_cluster_overrides, with_user_overrides

IN_CLUSTER_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
_IMPORTING = threading.Lock()  # the client imports itself in a circle: contexts read at once import it once


@dataclass
class Connection:
    """A resolved kubeconfig: where the API server is and how to reach it."""

    server: str
    context: str  # "" when running in-cluster
    namespace: str
    configuration: Any  # kubernetes.client.Configuration
    pool: Any  # urllib3.PoolManager built by the client's RESTClientObject
    impersonation: Tuple[Tuple[str, str], ...] = ()  # Impersonate-* headers, one per group
    compression: bool = True  # ask for gzip, as Go's transport does unless disable-compression

    @property
    def shown_server(self) -> str:
        """The server URL fit for a message: a password in it redacted."""
        return redacted_url(self.server)

    def request_headers(self) -> List[Tuple[str, str]]:
        """Every header a request carries besides Accept and User-Agent, repeated names kept.

        Impersonation goes over plain HTTP too (client-go sets it outside its "only if secure" block).
        """
        headers = [(name.title(), value) for name, value in self.auth_headers().items()]  # as Go spells it
        if self.compression:
            headers.append(("Accept-Encoding", "gzip"))
        headers += list(self.impersonation)
        for name, value in headers:
            if any(ord(char) < 0x20 and char != "\t" or char == "\x7f" for char in value):
                # Go's transport refuses the request the same way; the value (a credential) is never shown.
                raise ConfigError(f'invalid kubeconfig: the {name} header of context "{self.context}" '
                                  "holds a control character (a line break inside the token?)")
        return headers

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
                headers[setting["key"]] = _trimmed_bearer(str(setting["value"]))
        if "authorization" not in {key.lower() for key in headers} and self.configuration.username:
            headers["Authorization"] = self.configuration.get_basic_auth_token()
        return headers


def redacted_url(url: str) -> str:
    """A URL with its password replaced as Go's ``url.Redacted`` does.

    >>> redacted_url("https://admin:s3cret@10.0.0.1:6443/api")
    'https://admin:xxxxx@10.0.0.1:6443/api'
    >>> redacted_url("https://10.0.0.1:6443")
    'https://10.0.0.1:6443'
    """
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        netloc = url.split("//", 1)[-1].split("/", 1)[0]
    userinfo, at, host = netloc.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    return url.replace(netloc, f"{userinfo.split(':', 1)[0]}:xxxxx@{host}", 1)


def _trimmed_bearer(value: str) -> str:
    """A bearer header without the whitespace around its token, as client-go trims a token file
    (``strings.TrimSpace``); a ``token: |`` block's final newline goes the same way.

    >>> _trimmed_bearer("Bearer abc\\n")
    'Bearer abc'
    >>> _trimmed_bearer("Basic YWI6Yw==")
    'Basic YWI6Yw=='
    """
    scheme, _, token = value.partition(" ")
    return f"{scheme} {token.strip()}" if scheme == "Bearer" else value


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
    overrides: Optional[Overrides] = None,
    stderr: Optional[TextIO] = None,
) -> Connection:
    """Resolve the kubeconfig and build a connection pool; ConfigError on any defect (``stderr``: an exec plugin's)."""
    with _IMPORTING:
        from kubernetes.client import Configuration
        from kubernetes.client.rest import RESTClientObject
        from kubernetes.config.config_exception import ConfigException
    import yaml

    overrides = overrides or Overrides()
    configuration = Configuration()
    paths = kubeconfig_paths(kubeconfig, environ)
    try:
        if paths or overrides.server:
            context_name, context_namespace, impersonation, compression = _load_kubeconfig(
                paths, context, overrides, configuration, stderr)
        else:
            context_name, context_namespace = _load_in_cluster(context, environ, configuration, overrides)
            impersonation, compression = impersonation_headers(with_user_overrides({}, overrides), ""), True
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
        impersonation=impersonation,
        compression=compression and not overrides.disable_compression,
    )


def preload(kubeconfig: Optional[str], environ: Mapping[str, str]) -> None:
    """The client's modules imported and the kubeconfig parsed (kept by content, as ``_merged`` keeps
    it) ahead of connecting. A defect is not raised here: each context's connect reports it."""
    with _IMPORTING:
        for module in ("kubernetes.client", "kubernetes.client.rest", "kubernetes.config.kube_config"):
            importlib.import_module(module)
    from kubernetes.config.config_exception import ConfigException
    import yaml

    paths = kubeconfig_paths(kubeconfig, environ)
    if paths:
        try:
            _merged(paths)
        except (ConfigError, ConfigException, yaml.YAMLError, OSError):
            pass  # what load_connection reports: the same parse fails again there, for each context


def _run_exec_provider(spec: Dict[str, Any], kubeconfig_path: Optional[str], cluster: Dict[str, Any]) -> Any:
    """The client's ``ExecProvider`` run on a user's ``exec`` spec (relative commands from the
    kubeconfig's folder): what the plugin printed, or ``ExecFailed`` in the client's words."""
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.exec_provider import ExecProvider
    from kubernetes.config.kube_config import ConfigNode

    base_path = os.path.abspath(os.path.dirname(kubeconfig_path)) if kubeconfig_path else ""
    try:
        return ExecProvider(ConfigNode("exec", spec), base_path, ConfigNode("cluster", cluster)).run()
    except ConfigException as error:
        raise ExecFailed(str(error)) from None


def _load_kubeconfig(paths: List[str], context: Optional[str], overrides: Overrides, configuration: Any,
                     stderr: Optional[TextIO]) -> tuple:
    from kubernetes.config.kube_config import ConfigNode, KubeConfigLoader

    if paths:
        merged, documents = _merged(paths)
    else:
        merged, documents = ConfigNode("kube-config", {"clusters": [], "contexts": [], "users": []}), {}
    current = next((doc.get("current-context") for doc in documents.values() if doc.get("current-context")), None)
    chosen = context or current
    contexts = _entries(merged, "contexts")
    if not chosen and not (overrides.server or overrides.cluster):
        raise ConfigError(
            "no context chosen: the kubeconfig sets no current-context",
            hint="pass --context, or run `kubectl config use-context NAME`",
        )
    if chosen and chosen not in contexts:
        known = ", ".join(sorted(str(name) for name in contexts)) or "none"
        raise ConfigError(f'context "{chosen}" does not exist (known contexts: {known})')
    chosen_context = _section(contexts.get(chosen or ""), "context")
    cluster_name = overrides.cluster or str(chosen_context.get("cluster") or "")
    user_name = overrides.user or str(chosen_context.get("user") or "")
    cluster_entry, user_entry = _entries(merged, "clusters").get(cluster_name), _entries(merged, "users").get(user_name)
    if overrides.user and user_entry is None:
        raise ConfigError(f'auth info "{overrides.user}" does not exist')
    if overrides.cluster and cluster_entry is None and overrides.server:
        raise ConfigError(f'cluster "{overrides.cluster}" does not exist')
    cluster = with_cluster_overrides(_section(cluster_entry, "cluster"), overrides, user_name)
    if not cluster.get("server"):
        raise ConfigError(f'no server found for cluster "{cluster_name}"')
    user = with_user_overrides(_section(user_entry, "user"), overrides, user_name)
    cluster_path, user_path = getattr(cluster_entry, "path", None), getattr(user_entry, "path", None)
    impersonation = impersonation_headers(user, user_name)
    if "exec" in user:
        user = exec_credentials(user, lambda spec: _run_exec_provider(spec, user_path, cluster), stderr)
    name = chosen or "(flags)"
    loader_config = ConfigNode(merged.name, {
        "current-context": name,
        "contexts": [ConfigNode("contexts", {"name": name, "context": {"cluster": "c", "user": "u"}}, merged.path)],
        "clusters": [ConfigNode(f"clusters[{cluster_name}]", {"name": "c", "cluster": cluster}, cluster_path)],
        "users": [ConfigNode(f"users[{user_name}]", {"name": "u", "user": user}, user_path)],
    }, merged.path)
    try:
        loader = KubeConfigLoader(config_dict=loader_config, active_context=name, config_base_path=None)
        loader.load_and_set(configuration)
    except (AttributeError, KeyError, TypeError) as error:
        raise ConfigError(f'invalid kubeconfig: context "{chosen}" is malformed ({error!r})') from error
    return chosen or "", chosen_context.get("namespace"), impersonation, not cluster.get("disable-compression")


_PARSED: "OrderedDict[tuple, Tuple[Any, Dict[str, Any]]]" = OrderedDict()  # (path, bytes)... -> merged files
_PARSED_LOCK = threading.Lock()


def _merged(paths: List[str]) -> Tuple[Any, Dict[str, Any]]:
    """The client's merge of ``paths`` (the merged ``ConfigNode`` and each file's document), parsed
    once per content: the key is every file's path and bytes, so a file rewritten between two
    commands of one process is parsed again. What is returned is shared: callers copy before changing.
    """
    from kubernetes.config.kube_config import KubeConfigMerger

    key = _contents(paths)
    with _PARSED_LOCK:  # held while parsing: contexts connecting at once wait for the one parse
        if key in _PARSED:
            _PARSED.move_to_end(key)
            return _PARSED[key]
        try:
            merger = KubeConfigMerger(os.pathsep.join(paths))
        except (AttributeError, KeyError, TypeError) as error:
            # The client's merger indexes whatever YAML it finds; a wrong shape surfaces like this.
            raise ConfigError(f"invalid kubeconfig ({', '.join(paths)}): malformed ({error!r})") from error
        if merger.config is None:
            raise ConfigError(f"invalid kubeconfig ({', '.join(paths)}): no configuration found")
        parsed = (merger.config, merger.config_files)
        if key is not None and _contents(paths) == key:  # not rewritten while it was parsed
            _PARSED[key] = parsed
            while len(_PARSED) > 8:
                _PARSED.popitem(last=False)
        return parsed


def _contents(paths: List[str]) -> Optional[tuple]:
    """Every file's path and bytes; None when one cannot be read (the merger then says why)."""
    try:
        return tuple((path, Path(path).read_bytes()) for path in paths)
    except OSError:
        return None


def _entries(merged: Any, kind: str) -> Dict[str, Any]:
    """The named entries of ``clusters``/``contexts``/``users``, first definition winning."""
    found: Dict[str, Any] = {}
    for item in _plain(merged.value.get(kind)) or []:
        plain = _plain(item)
        if isinstance(plain, dict) and plain.get("name") and plain["name"] not in found:
            found[str(plain["name"])] = item
    return found


def _section(entry: Any, key: str) -> Dict[str, Any]:
    """A deep copy of an entry's ``cluster``/``context``/``user`` mapping ({} when absent): the merged
    files are shared by every connection made from them, and the overrides and the client's loader
    change what they are given."""
    value = _plain(_plain(entry).get(key)) if isinstance(_plain(entry), dict) else None
    return copy.deepcopy(dict(value)) if isinstance(value, dict) else {}


def _load_in_cluster(context: Optional[str], environ: Mapping[str, str], configuration: Any,
                     overrides: Overrides) -> tuple:
    from kubernetes.config.incluster_config import load_incluster_config

    if context:
        raise ConfigError(f'context "{context}" does not exist: no kubeconfig file was found')
    if not environ.get("KUBERNETES_SERVICE_HOST"):
        raise ConfigError(
            "no kubeconfig found: set --kubeconfig or KUBECONFIG, or create ~/.kube/config",
            hint="to try the plugin without a cluster, run `kubectl-pullmedic demo`",
        )
    load_incluster_config(client_configuration=configuration)
    # client-go's inClusterClientConfig takes only a token and a CA from the flags (--server
    # never gets here: with it, the flags alone are the configuration).
    if overrides.token:
        configuration.api_key["BearerToken"] = "Bearer " + overrides.token
        configuration.refresh_api_key_hook = None
    if overrides.certificate_authority:
        configuration.ssl_ca_cert = readable(overrides.certificate_authority, "certificate-authority", "")
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

    class NoRetryOnTimeout(urllib3.Retry):
        """A time-out is final: retrying would double the wait the user asked for."""

        def increment(self, *args: Any, **kwargs: Any) -> Any:
            error = kwargs.get("error")
            if isinstance(error, (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ConnectTimeoutError)) \
                    and not isinstance(error, urllib3.exceptions.NewConnectionError):  # (refused: its subclass)
                raise error
            return super().increment(*args, **kwargs)

    # kubectl does not retry a refused connection; one retry covers a dropped keep-alive socket.
    return NoRetryOnTimeout(total=1, connect=1, read=1, redirect=0, status=0, other=0, raise_on_status=False)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__

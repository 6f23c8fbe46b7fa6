"""kubectl's global connection flags, applied to the chosen kubeconfig entries as client-go does.

Rules from client-go ``tools/clientcmd/client_config.go`` (``getCluster``/``getAuthInfo``):
``--cluster``/``--user`` pick another kubeconfig entry; ``--certificate-authority`` or
``--insecure-skip-tls-verify`` replace both the kubeconfig's CA and its skip flag; ``--server``
drops the kubeconfig's ``tls-server-name`` unless ``--tls-server-name`` is given; a client
certificate or key replaces its ``-data`` twin; ``--as*`` become ``Impersonate-*`` headers.
Plain dicts in and out (no ``kubernetes`` import): ``kubeconfig.py`` hands the result to the client.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple
from urllib.parse import quote

from ..errors import ConfigError


@dataclass(frozen=True)
class Overrides:
    """kubectl's global connection flags (cli-runtime ``genericclioptions/config_flags.go``)."""

    cluster: Optional[str] = None
    user: Optional[str] = None
    server: Optional[str] = None
    token: Optional[str] = None
    impersonate: Optional[str] = None
    impersonate_uid: Optional[str] = None
    impersonate_groups: Tuple[str, ...] = ()
    certificate_authority: Optional[str] = None
    client_certificate: Optional[str] = None
    client_key: Optional[str] = None
    insecure_skip_tls_verify: bool = False
    tls_server_name: Optional[str] = None
    disable_compression: bool = False


def with_cluster_overrides(cluster: Dict[str, Any], overrides: Overrides, user_name: str) -> Dict[str, Any]:
    if overrides.server:
        cluster["server"] = overrides.server
    if overrides.insecure_skip_tls_verify or overrides.certificate_authority:
        if overrides.insecure_skip_tls_verify and overrides.certificate_authority:
            raise ConfigError("specifying a root certificates file with the insecure flag is not allowed")
        for key in ("certificate-authority", "certificate-authority-data"):
            cluster.pop(key, None)
        cluster["insecure-skip-tls-verify"] = overrides.insecure_skip_tls_verify
        if overrides.certificate_authority:
            cluster["certificate-authority"] = readable(overrides.certificate_authority, "certificate-authority", user_name)
    if overrides.tls_server_name or overrides.server:
        cluster.pop("tls-server-name", None)
        if overrides.tls_server_name:
            cluster["tls-server-name"] = overrides.tls_server_name
    if overrides.disable_compression:
        cluster["disable-compression"] = True
    return cluster


def with_user_overrides(user: Dict[str, Any], overrides: Overrides, user_name: str = "") -> Dict[str, Any]:
    if overrides.token:
        user["token"] = overrides.token
        user.pop("auth-provider", None)  # client-go: a bearer token set by flag wins over the provider
    for flag, key, what in ((overrides.client_certificate, "client-certificate", "client-cert"),
                            (overrides.client_key, "client-key", "client-key")):
        if flag:
            user.pop(key + "-data", None)
            user[key] = readable(flag, what, user_name)
    if overrides.client_certificate and not (user.get("client-key") or user.get("client-key-data")):
        raise ConfigError(f"client-key-data or client-key must be specified for {user_name} "
                          "to use the clientCert authentication method")
    for value, key in ((overrides.impersonate, "as"), (overrides.impersonate_uid, "as-uid"),
                       (list(overrides.impersonate_groups), "as-groups")):
        if value:
            user[key] = value
    if "exec" in user and any(user.get(key) for key in ("token", "tokenFile", "client-certificate",
                                                        "client-certificate-data", "username")):
        del user["exec"]  # client-go's exec authenticator steps aside for a token, basic auth or a cert
    return user


def readable(path: str, what: str, user_name: str) -> str:
    """A file named on the command line, absolute (kubectl reads it from the working directory)."""
    full = os.path.abspath(os.path.expanduser(path))
    if not os.path.isfile(full):
        raise ConfigError(f"unable to read {what} {path} for {user_name} due to open {path}: no such file or directory")
    return full


def impersonation_headers(user: Dict[str, Any], user_name: str) -> Tuple[Tuple[str, str], ...]:
    """``Impersonate-*`` headers from ``as``, ``as-uid``, ``as-groups``, ``as-user-extra`` (client-go
    transport/round_trippers.go, impersonatingRoundTripper): one header line per group."""
    name, uid = str(user.get("as") or ""), str(user.get("as-uid") or "")
    groups = [str(group) for group in user.get("as-groups") or []]
    extra = user.get("as-user-extra") or {}
    if not name:
        if uid or groups or extra:
            raise ConfigError(f"requesting uid, groups or user-extra for {user_name} without impersonating a user")
        return ()
    headers = [("Impersonate-User", name)] + ([("Impersonate-Uid", uid)] if uid else [])
    headers += [("Impersonate-Group", group) for group in groups]
    for key, values in sorted(extra.items() if isinstance(extra, dict) else []):
        headers += [("Impersonate-Extra-" + quote(str(key), safe="!#$&'*+-.^_`|~"), str(v)) for v in values or []]
    return tuple(headers)

"""The HTTP side of registry probes: one registry's connection, TLS, proxies and errors.

Requests go through ``urllib3`` pools, one per route (direct, or the proxy the environment
names for that URL); redirects are never followed here, and every transport failure becomes
an :class:`Unreachable` with a one-line message. What may be sent where is decided by the
caller (``registry``) under the rules in ``core/registryrules``.
"""

from __future__ import annotations

import re
import ssl
from typing import Dict, Mapping, Optional
from urllib.parse import unquote, urlsplit

import urllib3

from ..core.probing.rules import proxy_for, url_problem, without_userinfo


class Unreachable(Exception):
    """The registry could not be asked: ``kind`` is network, tls (handshake) or untrusted (certificate)."""

    def __init__(self, message: str, kind: str = "network") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


class RegistryClient:
    """One registry's base URL, TLS settings, proxies and the Authorization header it earned."""

    def __init__(
        self,
        host: str,
        ssl_context: ssl.SSLContext,
        timeout: float,
        plain_http_allowed: bool,
        environ: Mapping[str, str],
    ) -> None:
        self.host = host
        self.scheme = "https"
        self.authorization = ""
        self.proxy = ""  # the last proxy used, fit to print
        self._plain_http_allowed = plain_http_allowed
        self.ssl_context_with = ssl_context
        self._environ = environ
        self._pools: Dict[str, urllib3.PoolManager] = {}
        self._timeout = urllib3.Timeout(connect=timeout, read=timeout)

    def _pool_for(self, url: str) -> urllib3.PoolManager:
        """Direct, or through the proxy the environment names for this URL (one pool each)."""
        proxy = proxy_for(url, self._environ)
        if proxy and url_problem(proxy):
            variable = "HTTPS_PROXY" if url.startswith("https:") else "HTTP_PROXY"
            raise Unreachable(f"the proxy in {variable} is not a valid URL ({url_problem(proxy)})")
        if proxy not in self._pools:
            self._pools[proxy] = _proxy_pool(proxy, self.ssl_context_with) if proxy else urllib3.PoolManager(
                ssl_context=self.ssl_context_with, retries=False)
        if proxy:
            self.proxy = without_userinfo(proxy)
        return self._pools[proxy]

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.host}"

    def fetch(
        self, method: str, url: str, headers: Optional[Dict[str, str]] = None
    ) -> urllib3.BaseHTTPResponse:
        """A request to any URL; the caller decides which headers (credentials) go with it."""
        try:
            return self._pool_for(url).request(
                method, url, headers=headers or {}, redirect=False, timeout=self._timeout
            )
        except urllib3.exceptions.LocationValueError as error:  # a host a registry made up: "a..b", "ev il"
            raise Unreachable(f"cannot reach {shown_netloc(url)}: not a valid host name") from error
        except urllib3.exceptions.SSLError as error:
            cause = error.args[0] if error.args else error
            netloc = shown_netloc(url)
            if isinstance(cause, ssl.SSLCertVerificationError):
                detail = cause.verify_message or str(cause)
                raise Unreachable(
                    f"the TLS certificate of {netloc} is not trusted here: {detail}", "untrusted"
                ) from error
            detail = getattr(cause, "reason", "") or str(cause)
            raise Unreachable(f"TLS with {netloc} failed: {detail}", "tls") from error
        except urllib3.exceptions.ProxyError as error:
            raise Unreachable(
                f"cannot reach {shown_netloc(url)} through the proxy {self.proxy}: {_network_reason(error)}"
            ) from error
        except urllib3.exceptions.HTTPError as error:
            raise Unreachable(f"cannot reach {shown_netloc(url)}: {_network_reason(error)}") from error

    def registry(self, method: str, path: str, accept: str = "") -> urllib3.BaseHTTPResponse:
        headers = {"Accept": accept} if accept else {}
        if self.authorization:
            headers["Authorization"] = self.authorization
        return self.fetch(method, self.base + path, headers)

    def ping(self) -> urllib3.BaseHTTPResponse:
        """GET /v2/, falling back to plain HTTP for loopback/insecure hosts that do not speak TLS."""
        try:
            return self.registry("GET", "/v2/")
        except Unreachable as failure:
            if failure.kind != "tls" or not self._plain_http_allowed:
                raise
        self.scheme = "http"
        return self.registry("GET", "/v2/")


def _proxy_pool(proxy: str, ssl_context: ssl.SSLContext) -> urllib3.ProxyManager:
    """HTTPS goes through a CONNECT tunnel, so TLS (and credentials) stay end to end."""
    parts = urlsplit(proxy)
    headers = None
    if parts.username:
        login = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        headers = urllib3.make_headers(proxy_basic_auth=login)
    return urllib3.ProxyManager(without_userinfo(proxy), proxy_headers=headers, ssl_context=ssl_context, retries=False)


def shown_netloc(url: str) -> str:
    """Host and port of a URL, never its login (a redirect or realm may carry one).

    >>> shown_netloc("https://user:pw@storage.example.com:8443/blob?sig=x")
    'storage.example.com:8443'
    """
    return urlsplit(url).netloc.rpartition("@")[2]


def _network_reason(error: Exception) -> str:
    if isinstance(error, urllib3.exceptions.ProxyError):
        cause = getattr(error, "original_error", None)
        refusal = re.search(r"Tunnel connection failed: (\d{3}.*)", str(cause))
        if refusal:  # the proxy answered CONNECT with an error status, e.g. 407
            return f"the proxy answered {refusal.group(1).strip()}"
        return _network_reason(cause) if isinstance(cause, Exception) else "the proxy refused the tunnel"
    if isinstance(error, urllib3.exceptions.NameResolutionError):
        return "DNS lookup failed"
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        return "connection refused or no route"
    if isinstance(error, (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.ReadTimeoutError)):
        return "timed out"
    return type(error).__name__


def ssl_context_with(ca_file: Optional[str]) -> ssl.SSLContext:
    """The system's CAs, plus ``ca_file``'s: verification is never turned off."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context

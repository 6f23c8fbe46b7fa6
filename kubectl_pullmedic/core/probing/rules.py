"""The pure rules of registry probing: where credentials may go, challenges, platforms, tags.

Kept apart from ``registry.py`` (which does the HTTP) so each rule is testable without
traffic. The credential rule, in full:
  * credentials may go to any ``https`` URL (TLS is always verified): the registry, or the
    token realm it names, on whatever host, as Docker and containerd do;
  * to a plain ``http`` URL only on the registry's own origin (a plain-HTTP registry: same
    host and port) when that host is loopback or named in ``insecure_registries``.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from ..pulls.imageref import DOCKER_HUB, suggest_tag

DOCKER_HUB_ENDPOINT = "registry-1.docker.io"
INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
IMAGE_MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
MANIFEST_ACCEPT = ", ".join(INDEX_TYPES + IMAGE_MANIFEST_TYPES)


def registry_endpoint(registry: str) -> str:
    """The host to contact: Docker Hub's API lives at registry-1.docker.io.

    >>> registry_endpoint("docker.io"), registry_endpoint("quay.io")
    ('registry-1.docker.io', 'quay.io')
    """
    return DOCKER_HUB_ENDPOINT if registry == DOCKER_HUB else registry


def _hostname(host_port: str) -> str:
    if host_port.startswith("["):
        return host_port[1:].split("]", 1)[0]
    return host_port.rsplit(":", 1)[0] if host_port.count(":") == 1 else host_port


def _port(host_port: str) -> Optional[int]:
    tail = host_port.rsplit("]", 1)[-1] if host_port.startswith("[") else host_port
    text = tail.rsplit(":", 1)[-1] if tail.count(":") == 1 else ""
    return int(text) if text.isdigit() else None


def is_loopback(host_port: str) -> bool:
    """
    >>> [is_loopback(h) for h in ("127.0.0.1:5000", "localhost", "[::1]:80", "10.0.0.1")]
    [True, True, True, False]
    """
    name = _hostname(host_port)
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def plain_http_allowed(registry_host: str, insecure_registries: Sequence[str]) -> bool:
    named = registry_host in insecure_registries or _hostname(registry_host) in insecure_registries
    return named or is_loopback(registry_host)


def credential_refusal(url: str, registry_host: str, insecure_registries: Sequence[str] = (),
                       registry_scheme: str = "http") -> str:
    """ "" when credentials may be sent to ``url``; otherwise why not (the module's rule).

    Over plain HTTP they are bound to the registry's origin: its scheme, host and port.

    >>> credential_refusal("https://auth.docker.io/token", "registry-1.docker.io")
    ''
    >>> credential_refusal("http://reg.example.com/v2/", "reg.example.com")[:60]
    'credentials withheld: http://reg.example.com is plain HTTP t'
    >>> credential_refusal("http://127.0.0.1:9000/token", "127.0.0.1:5000")
    "credentials withheld: http://127.0.0.1:9000 is plain HTTP on another port than the registry's"
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "credentials withheld: not a valid URL"
    if parts.scheme == "https":
        return ""
    origin = f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"
    if parts.scheme != "http":
        return f"credentials withheld: {origin} is neither HTTPS nor HTTP"
    if _hostname(parts.netloc.rsplit("@", 1)[-1]) != _hostname(registry_host):
        return f"credentials withheld: {origin} is plain HTTP on a host other than the registry's"
    if registry_scheme != "http":
        return f"credentials withheld: {origin} is plain HTTP and the registry is {registry_scheme}"
    if (port or 80) != (_port(registry_host) or 80):
        return f"credentials withheld: {origin} is plain HTTP on another port than the registry's"
    if not plain_http_allowed(registry_host, insecure_registries):
        return (
            f"credentials withheld: {origin} is plain HTTP to a host that is neither loopback "
            "nor named with --insecure-registry"
        )
    return ""


def url_problem(url: str) -> str:
    """"" for a URL that can be requested, else why not (a registry's realm or redirect is text it chose).

    >>> url_problem("https://auth.example.com:8443/token"), url_problem("http://[evil/token")
    ('', 'Invalid IPv6 URL')
    >>> url_problem("http://host:99999/")
    'Port out of range 0-65535'
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (parsing the port is the check)
    except ValueError as error:
        return str(error).splitlines()[0] if str(error) else "not a URL"
    return "" if parts.scheme in ("http", "https") and parts.hostname else "not an http(s) URL"


def parse_challenge(header: str) -> Tuple[str, Dict[str, str]]:
    """The scheme and parameters of a ``WWW-Authenticate`` header (Bearer preferred).

    >>> parse_challenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io"')
    ('bearer', {'realm': 'https://auth.docker.io/token', 'service': 'registry.docker.io'})
    >>> parse_challenge('Basic realm="Registry Realm"')
    ('basic', {'realm': 'Registry Realm'})
    """
    challenges: Dict[str, Dict[str, str]] = {}
    current: Optional[Dict[str, str]] = None
    pattern = r'\s*(?:([A-Za-z][\w-]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)|([A-Za-z][\w-]*))\s*,?'
    for key, value, scheme in re.findall(pattern, header):
        if scheme:
            current = challenges.setdefault(scheme.lower(), {})
        elif key and current is not None:
            current[key.lower()] = value[1:-1].replace('\\"', '"') if value.startswith('"') else value
    for scheme in ("bearer", "basic"):
        if scheme in challenges:
            return scheme, challenges[scheme]
    return "", {}


def platform_names(index: Dict[str, Any]) -> List[str]:
    """``os/arch[/variant]`` of an index's images, without attestation entries (unknown/unknown)."""
    names: List[str] = []
    entries = index.get("manifests") if isinstance(index, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        name = platform_name(entry.get("platform") if isinstance(entry, dict) else None)
        if name:
            names.append(name)
    return names


def platform_name(platform: Any) -> str:
    """``os/arch[/variant]`` of an index entry's ``platform`` or an image config; "" if unknown.

    An image config carries the same ``os``/``architecture``/``variant`` keys as an index
    entry, so a single-platform image is checked with the same words.

    >>> platform_name({"os": "linux", "architecture": "arm", "variant": "v7", "rootfs": {}})
    'linux/arm/v7'
    >>> platform_name({"os": "unknown", "architecture": "unknown"})
    ''
    """
    if not isinstance(platform, dict) or platform.get("os") in (None, "", "unknown"):
        return ""
    parts = [str(platform.get("os")), str(platform.get("architecture") or "")]
    if platform.get("variant"):
        parts.append(str(platform["variant"]))
    return "/".join(parts)


def config_digest(manifest: Any) -> str:
    """The config blob's digest of an image manifest, or "" (schema 1 and malformed ones).

    >>> config_digest({"config": {"digest": "sha256:ab", "size": 2}})
    'sha256:ab'
    """
    config = manifest.get("config") if isinstance(manifest, dict) else None
    digest = config.get("digest") if isinstance(config, dict) else None
    return digest if isinstance(digest, str) and re.fullmatch(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+", digest) else ""


def proxy_for(url: str, environ: Mapping[str, str]) -> str:
    """The proxy a request to ``url`` goes through, by the rules Go's ``httpproxy`` applies.

    ``HTTPS_PROXY`` for https and ``HTTP_PROXY`` for http (upper case first, then lower);
    ``NO_PROXY`` lists hosts, domain suffixes (``.corp`` or ``corp``), IPs, CIDRs, optional
    ``:port``, or ``*``; loopback is never proxied. These are the variables the container
    runtime reads too, though from its own environment on the node, not this one.

    >>> env = {"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "corp.example,10.0.0.0/8"}
    >>> [proxy_for(u, env) for u in ("https://quay.io/v2/", "https://reg.corp.example/v2/",
    ...                              "https://10.1.2.3:5000/v2/", "http://quay.io/v2/",
    ...                              "https://127.0.0.1:5000/v2/")]
    ['http://proxy:3128', '', '', '', '']
    """
    parts = urlsplit(url)
    variable = "HTTPS_PROXY" if parts.scheme == "https" else "HTTP_PROXY"
    proxy = environ.get(variable) or environ.get(variable.lower()) or ""
    host = (parts.hostname or "").lower()
    if not proxy or not host or is_loopback(host if ":" not in host else f"[{host}]"):
        return ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for entry in (environ.get("NO_PROXY") or environ.get("no_proxy") or "").split(","):
        if _bypasses(entry.strip().lower(), host, port):
            return ""
    return proxy if "://" in proxy else "http://" + proxy


def _bypasses(entry: str, host: str, port: int) -> bool:
    if not entry:
        return False
    if entry == "*":
        return True
    try:
        network = ipaddress.ip_network(entry, strict=False)
        return "/" in entry and _in_network(host, network)
    except ValueError:
        pass
    entry_host, entry_port = entry, 0
    match = re.fullmatch(r"(\[[^\]]+\]|[^:]+):(\d+)", entry)
    if match:
        entry_host, entry_port = match.group(1).strip("[]"), int(match.group(2))
    if entry_port and entry_port != port:
        return False
    entry_host = entry_host.lstrip("*")
    if entry_host.startswith("."):
        return host.endswith(entry_host)
    return host == entry_host or host.endswith("." + entry_host)


def _in_network(host: str, network: Any) -> bool:
    try:
        return ipaddress.ip_address(host) in network
    except ValueError:
        return False


def without_userinfo(url: str) -> str:
    """A proxy URL fit to print: any ``user:password@`` is dropped.

    >>> without_userinfo("http://bob:s3cret@proxy.corp:3128")
    'http://proxy.corp:3128'
    """
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]).geturl()


def platform_present(names: Sequence[str], platform: Tuple[str, str]) -> bool:
    """Whether ``(os, arch)`` is served; ``arch`` may carry a variant (``arm/v7``).

    >>> platform_present(["linux/amd64", "linux/arm/v7"], ("linux", "arm"))
    True
    >>> platform_present(["linux/arm64/v8"], ("linux", "amd64"))
    False
    """
    wanted = f"{platform[0]}/{platform[1]}"
    return any(name == wanted or name.startswith(wanted + "/") for name in names)


def closest_tags(tag: str, tags: Sequence[str]) -> List[str]:
    """The best guess first (as ``suggest_tag`` sees it), then other near spellings.

    >>> closest_tags("1.25.4", ["1.25.2", "1.25.3", "1.26.0", "latest"])
    ['1.25.3', '1.25.2']
    """
    best = suggest_tag(tag, tags)
    near = difflib.get_close_matches(tag, [t for t in tags if t != tag], n=3, cutoff=0.75)
    return list(dict.fromkeys(([best] if best else []) + near))[:3]


def error_summary(body: bytes) -> Tuple[List[str], str]:
    """The registry error codes of a response body, and the first message."""
    try:
        errors = json.loads(body.decode("utf-8")).get("errors") or []
    except (ValueError, AttributeError):
        return [], ""
    if not isinstance(errors, list):
        return [], ""
    codes = [str(e.get("code")) for e in errors if isinstance(e, dict)]
    messages = [str(e.get("message")) for e in errors if isinstance(e, dict) and e.get("message")]
    return codes, messages[0] if messages else ""

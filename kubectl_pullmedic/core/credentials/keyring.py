"""The kubelet's keyring matching: which pull-secret entries it tries for an image, and why not.

The matching mirrors kubelet ``pkg/credentialprovider/keyring.go``: a key's scheme and a
leading ``/v1/`` or ``/v2/`` are dropped, then the key and the image's normalised name
(``docker.io/library/nginx``) are compared as URLs: the same number of host labels, each
label a glob (``*.example.com``), the same port (none equals none, not 443), and the key's
path a plain string prefix of the image's path. Only the key ``index.docker.io`` (after
stripping, so also ``https://index.docker.io/v1/``) falls back to Docker Hub images.
When nothing matches, the nearest entry is named with the rule it breaks.

It is kept apart from ``dockerconfig.py`` (which turns secrets into ``RegistryCredential``
entries) because it works on any entries, whatever secret they came from; it depends on
that module's types, never the other way round. It never reads a password.
"""

from __future__ import annotations

import difflib
import fnmatch
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

from ..pulls.imageref import DOCKER_HUB, LEGACY_DOCKER_HUB, parse_image
from .dockerconfig import DockerConfig, RegistryCredential

DOCKER_HUB_FALLBACK_KEY = "index.docker.io"  # the kubelet's defaultRegistryHost
DOCKER_HUB_KEYS = ("docker.io", "index.docker.io", "https://index.docker.io/v1/")
_DOCKER_HUB_LOOKALIKES = ("registry-1.docker.io", "hub.docker.com", "registry.hub.docker.com")


@dataclass(frozen=True)
class Match:
    """Which entries the kubelet would use for an image, or the nearest miss and why."""

    image: str
    target: str  # the normalised name the kubelet looks up, e.g. docker.io/library/nginx
    credentials: Tuple[RegistryCredential, ...] = ()  # in the order the kubelet tries them
    nearest: Optional[RegistryCredential] = None
    reason: str = ""  # why ``nearest`` does not match
    near_miss: bool = False  # the nearest entry was evidently meant for this registry

    DOCUMENT_FIELDS = ("image", "target", "matched", "credentials", "nearest", "reason", "near_miss")

    @property
    def matched(self) -> bool:
        return bool(self.credentials)



def lookup_name(image: str) -> str:
    """The name the kubelet hands to its keyring: registry and repository, "" if invalid.

    >>> lookup_name("nginx:1.25"), lookup_name("index.docker.io/bitnami/redis:7")
    ('docker.io/library/nginx', 'docker.io/bitnami/redis')
    """
    return parse_image(image).name


@dataclass(frozen=True)
class _Url:
    labels: Tuple[str, ...]
    port: str
    path: str
    valid: bool = True


def keyring_key(key: str) -> str:
    """The index key the kubelet derives from a dockerconfig key (Add in keyring.go).

    >>> keyring_key("https://index.docker.io/v1/")
    'index.docker.io'
    >>> keyring_key("http://reg.example.com:5000/v2/team")
    'reg.example.com:5000/team'
    """
    value = key
    for scheme in ("https://", "http://"):
        if value.startswith(scheme):
            value = value[len(scheme) :]
            break
    host, slash, path = value.partition("/")
    path = slash + path
    if path.startswith(("/v1/", "/v2/")):
        path = path[3:]
    return host + path if path not in ("", "/") else host


def _schemeless_url(text: str) -> _Url:
    """parseSchemelessURL + splitURL: host labels, port, path ("" port when none)."""
    host_port, slash, path = text.partition("/")
    host, port = host_port, ""
    if host_port.startswith("[") and "]" in host_port:  # [::1]:5000
        host, _, after = host_port[1:].partition("]")
        port = after[1:] if after.startswith(":") else ""
    elif host_port.count(":") == 1:
        host, _, port = host_port.partition(":")
    if port and not port.isdigit():
        return _Url((), "", "", valid=False)
    return _Url(tuple(host.split(".")), port, slash + path)


def _label_matches(glob: str, label: str) -> bool:
    # Go's filepath.Match negates a class with [^...]; fnmatch spells it [!...].
    return fnmatch.fnmatchcase(label, glob.replace("[^", "[!"))


def urls_match(key: str, target: str) -> bool:
    """URLsMatchStr: does keyring key ``key`` (host may hold ``*`` globs) cover ``target``?

    >>> urls_match("*.example.com", "eu.example.com/app")
    True
    >>> urls_match("reg.example.com", "reg.example.com:5000/app")
    False
    """
    glob, aim = _schemeless_url(key), _schemeless_url(target)
    return (
        glob.valid
        and aim.valid
        and glob.port == aim.port
        and len(glob.labels) == len(aim.labels)
        and aim.path.startswith(glob.path)
        and all(_label_matches(g, t) for g, t in zip(glob.labels, aim.labels))
    )


def _is_docker_hub_lookup(target: str) -> bool:
    """isDefaultRegistryMatch for an already normalised name."""
    first, slash, _ = target.partition("/")
    if not first:
        return False
    if not slash or first in (DOCKER_HUB, LEGACY_DOCKER_HUB):
        return True
    return not any(char in first for char in ".:")


def match_credentials(image: str, configs: Union[DockerConfig, Iterable[DockerConfig]]) -> Match:
    """The credentials the kubelet would try for ``image``, or the nearest entry and why not.

    >>> cred = RegistryCredential("reg.example.com", "bot", "pw", "regcred")
    >>> m = match_credentials("reg.example.com:5000/app:1", DockerConfig("regcred", (cred,)))
    >>> m.matched, m.nearest.key, m.near_miss
    (False, 'reg.example.com', True)
    >>> m.reason
    'the entry "reg.example.com" has no port but the image uses port 5000; the kubelet compares ports exactly'
    """
    config_list = [configs] if isinstance(configs, DockerConfig) else list(configs)
    entries = [credential for config in config_list for credential in config.credentials]
    target = lookup_name(image)
    if not target:
        return Match(image, target, reason="not a valid image reference")
    by_key: Dict[str, List[RegistryCredential]] = {}
    for credential in entries:
        by_key.setdefault(keyring_key(credential.key), []).append(credential)
    # The kubelet walks its index reverse-sorted so that longer paths come first.
    matched = [
        cred for key in sorted(by_key, reverse=True) if urls_match(key, target) for cred in by_key[key]
    ]
    if not matched and _is_docker_hub_lookup(target):
        matched = list(by_key.get(DOCKER_HUB_FALLBACK_KEY, ()))
    if matched:
        return Match(image, target, tuple(matched))
    return _nearest_miss(image, target, entries)


def _nearest_miss(image: str, target: str, entries: Sequence[RegistryCredential]) -> Match:
    best: Optional[Tuple[int, float, RegistryCredential, str]] = None
    for credential in entries:
        closeness, reason = explain_mismatch(credential.key, target)
        similarity = difflib.SequenceMatcher(None, keyring_key(credential.key), target).ratio()
        if best is None or (closeness, similarity) > best[:2]:
            best = (closeness, similarity, credential, reason)
    if best is None:
        return Match(image, target)
    closeness, _, credential, reason = best
    return Match(image, target, nearest=credential, reason=reason, near_miss=closeness > 0)


def explain_mismatch(key: str, target: str) -> Tuple[int, str]:
    """Why ``key`` does not cover ``target``, with a closeness: 0 unrelated .. 3 path only.

    >>> explain_mismatch("reg.example.com/team-a", "reg.example.com/team-b/app")
    (3, 'the entry "reg.example.com/team-a" covers only paths under /team-a, the image is at /team-b/app')
    """
    index_key = keyring_key(key)
    glob, aim = _schemeless_url(index_key), _schemeless_url(target)
    quoted = f'the entry "{key}"'
    if not glob.valid:
        return 0, f"{quoted} is not a valid registry address (bad port); the kubelet ignores it"
    target_host = ".".join(aim.labels)
    glob_host = ".".join(glob.labels)
    hosts_equal = len(glob.labels) == len(aim.labels) and all(
        _label_matches(g, t) for g, t in zip(glob.labels, aim.labels)
    )
    if _is_docker_hub_lookup(target) and (
        glob_host in _DOCKER_HUB_LOOKALIKES or index_key.startswith("index.docker.io/")
    ):
        return 1, (
            f"{quoted} is not one the kubelet uses for Docker Hub images; "
            f"use {', '.join(DOCKER_HUB_KEYS)}"
        )
    if hosts_equal and glob.port != aim.port:
        if not glob.port:
            return (
                2,
                f"{quoted} has no port but the image uses port {aim.port}; "
                "the kubelet compares ports exactly",
            )
        if not aim.port:
            return (
                2,
                f"{quoted} names port {glob.port} but the image names none; "
                "the kubelet compares ports exactly",
            )
        return 2, f"{quoted} names port {glob.port} but the image uses port {aim.port}"
    if hosts_equal:
        return 3, f"{quoted} covers only paths under {glob.path}, the image is at {aim.path}"
    if glob_host.lower() == target_host.lower():
        return (
            1,
            f"{quoted} differs from the image's host {target_host} in letter case; "
            "the kubelet compares case-sensitively",
        )
    if "*" in glob_host and len(glob.labels) != len(aim.labels) and _suffix_matches(glob.labels, aim.labels):
        return 1, (
            f"{quoted} has {len(glob.labels)} host labels, "
            f"the image's host {target_host} has {len(aim.labels)}; "
            "each * matches exactly one label"
        )
    return 0, f"{quoted} is for host {glob_host}, the image's registry is {target_host}"


def _suffix_matches(glob_labels: Sequence[str], labels: Sequence[str]) -> bool:
    count = min(len(glob_labels), len(labels))
    pairs = zip(glob_labels[-count:], labels[-count:])
    return all(_label_matches(g, t) for g, t in pairs if g != "*")


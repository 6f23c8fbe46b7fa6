"""Close-match suggestions for mistyped tags and Docker Hub image names.

A wrong tag or name is the commonest "image not found"; naming the likely intended value
turns the finding into a one-line fix. Candidates come from the caller (the registry prober
passes real tag lists); without them only ``latest`` and the best-known official images are
offered, since suggesting anything else would be a guess.
"""

from __future__ import annotations

import re
from typing import Iterable, List, Optional, Tuple

LIKELY_TAGS = ("latest",)  # without a tag list: the tag the runtimes default to, a favourite of typos

# Docker Hub official images that are pulled most, and the names people type for them.
POPULAR_OFFICIAL_IMAGES = (
    "alpine", "busybox", "debian", "ubuntu", "nginx", "httpd", "node", "python", "golang", "openjdk",
    "eclipse-temurin", "ruby", "php", "postgres", "mysql", "mariadb", "mongo", "redis", "memcached",
    "rabbitmq", "elasticsearch", "traefik", "haproxy", "registry", "wordpress", "consul", "vault",
)
_KNOWN_MISNAMES = {"nodejs": "node", "postgresql": "postgres", "mongodb": "mongo", "apache": "httpd",
                   "java": "eclipse-temurin", "go": "golang", "rabbit": "rabbitmq"}


def suggest_tag(tag: Optional[str], candidates: Iterable[str] = LIKELY_TAGS) -> Optional[str]:
    """The candidate ``tag`` was most likely meant to be, or None when nothing is close.

    The registry prober passes the repository's real tags; without them only ``latest``
    is known to be a common target of typos.

    >>> suggest_tag("latestt"), suggest_tag("lates"), suggest_tag("Latest")
    ('latest', 'latest', 'latest')
    >>> suggest_tag("v1.2.3", ["1.2.3", "1.3.0"])
    '1.2.3'
    >>> suggest_tag("1.25.99", ["1.24.0", "1.25.3", "1.25.4"])
    '1.25.4'
    >>> suggest_tag("stable") is None
    True
    """
    if not tag:
        return None
    pool = [c for c in dict.fromkeys(candidates) if isinstance(c, str) and c]
    if tag in pool:
        return None
    normalised = _normalise_tag(tag)
    for candidate in pool:
        if _normalise_tag(candidate) == normalised:
            return candidate
    limit = 1 if len(tag) < 5 else 2
    scored = [(_edit_distance(tag.lower(), c.lower()), c) for c in pool]
    close = [(d, c) for d, c in scored if d <= limit]
    if close:
        best = min(d for d, _ in close)
        return max((c for d, c in close if d == best), key=_version_key)
    return _same_minor_version(tag, pool)


def _normalise_tag(tag: str) -> str:
    lowered = tag.lower()
    return lowered[1:] if re.match(r"^v\d", lowered) else lowered


_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?")


def _version_key(tag: str) -> Tuple[int, ...]:
    match = _VERSION_RE.match(tag)
    if not match:
        return (-1,)
    return tuple(int(part or 0) for part in match.groups())


def _same_minor_version(tag: str, pool: List[str]) -> Optional[str]:
    """The newest candidate with the same major.minor, for a patch version that does not exist."""
    match = _VERSION_RE.match(tag)
    if not match:
        return None
    siblings = [c for c in pool if _VERSION_RE.match(c) and _version_key(c)[:2] == _version_key(tag)[:2]]
    return max(siblings, key=_version_key) if siblings else None


def _edit_distance(left: str, right: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions, transpositions."""
    rows = [[0] * (len(right) + 1) for _ in range(len(left) + 1)]
    for i in range(len(left) + 1):
        rows[i][0] = i
    for j in range(len(right) + 1):
        rows[0][j] = j
    for i in range(1, len(left) + 1):
        for j in range(1, len(right) + 1):
            cost = 0 if left[i - 1] == right[j - 1] else 1
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and left[i - 1] == right[j - 2] and left[i - 2] == right[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[-1][-1]


def suggest_official_image(name: str, candidates: Iterable[str] = POPULAR_OFFICIAL_IMAGES) -> Optional[str]:
    """The official Docker Hub image a missing ``library/`` name most likely meant.

    >>> suggest_official_image("nodejs"), suggest_official_image("ngnix"), suggest_official_image("postgresql")
    ('node', 'nginx', 'postgres')
    >>> suggest_official_image("nginx") is None, suggest_official_image("my-internal-app") is None
    (True, True)
    """
    lowered = name.lower()
    pool = list(dict.fromkeys(candidates))
    if lowered in pool:
        return None
    if lowered in _KNOWN_MISNAMES:
        return _KNOWN_MISNAMES[lowered]
    limit = 1 if len(lowered) < 5 else 2
    scored = sorted((_edit_distance(lowered, candidate), index, candidate) for index, candidate in enumerate(pool))
    return scored[0][2] if scored and scored[0][0] <= limit else None


def suggest_repository(registry: str, repository: str, running: Iterable[Tuple[str, str]]) -> Optional[Tuple[str, str]]:
    """The (registry, repository) a missing repository most likely meant, among those pods in the
    cluster pull successfully: same registry first, then any; a close spelling of the last path part.

    >>> running = [("registry.k8s.io", "metrics-server/metrics-server"), ("docker.io", "library/nginx")]
    >>> suggest_repository("registry.k8s.io", "metrics-server/metrics-servr", running)
    ('registry.k8s.io', 'metrics-server/metrics-server')
    >>> suggest_repository("ghcr.io", "acme/api", running) is None
    True
    """
    pool = [(reg, repo) for reg, repo in dict.fromkeys(running) if (reg, repo) != (registry, repository)]
    wanted = repository.lower()
    limit = 1 if len(wanted) < 8 else 2
    scored = sorted((reg != registry, _edit_distance(wanted, repo.lower()), index, (reg, repo))
                    for index, (reg, repo) in enumerate(pool))
    best = [entry for entry in scored if entry[1] <= limit]
    return best[0][3] if best else None

"""How long a finished pull took, from the kubelet's ``Pulled`` event, in words.

The kubelet (1.30+) writes ``Successfully pulled image "X" in 3.2s (9.7s including waiting).
Image size: N bytes.``: the first duration is the pull, the second adds the wait for the node's
other pulls (serialized pulls queue); older kubelets leave out the parts after the first. The
durations are Go's ``time.Duration`` text (``512ms``, ``1m2.5s``). ``Container image "X" already
present on machine`` is also a ``Pulled`` event, with no time.
"""

from __future__ import annotations

import re
from typing import Optional, Tuple

_PULLED_RE = re.compile(r'^Successfully pulled image "[^"]*" in (?P<took>(?:[0-9.]+[a-zµ]+)+)'
                        r'(?: \((?P<waited>(?:[0-9.]+[a-zµ]+)+) including waiting\))?')
_GO_PART_RE = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)")
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def go_seconds(text: str) -> Optional[float]:
    """Seconds in a Go ``time.Duration`` as the kubelet prints it.

    >>> go_seconds("3.2s"), go_seconds("1m2.5s"), go_seconds("512ms"), go_seconds("soon")
    (3.2, 62.5, 0.512, None)
    """
    parts = _GO_PART_RE.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        return None
    return round(sum(float(number) * _GO_UNITS[unit] for number, unit in parts), 6)


def pulled_seconds(message: str) -> Tuple[Optional[float], Optional[float]]:
    """(pull time, time including the wait in the node's pull queue) from a ``Pulled`` event.

    >>> pulled_seconds('Successfully pulled image "web:1" in 3.2s (9.7s including waiting). Image size: 7 bytes.')
    (3.2, 9.7)
    >>> pulled_seconds('Container image "web:1" already present on machine')
    (None, None)
    """
    match = _PULLED_RE.match(message)
    if not match:
        return None, None
    return go_seconds(match.group("took")), go_seconds(match.group("waited")) if match.group("waited") else None


def spoken_seconds(seconds: float) -> str:
    """``3.2 s``, ``512 ms``, ``2 min 5 s``.

    >>> spoken_seconds(3.2), spoken_seconds(0.512), spoken_seconds(125)
    ('3.2 s', '512 ms', '2 min 5 s')
    """
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"

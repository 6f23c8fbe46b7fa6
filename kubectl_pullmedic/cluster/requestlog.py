"""``-v N``: the API requests on stderr, as kubectl logs them; never a credential."""

from __future__ import annotations

import os
import threading
import time
from typing import Sequence, TextIO, Tuple

from .kubeconfig import redacted_url


class RequestLog:
    """``-v 6`` and up: every request on stderr in kubectl's words (client-go transport/round_trippers.go,
    ``debuggingRoundTripper``, as kubectl 1.32 prints it through klog).

    6: ``GET URL 200 OK in 12 milliseconds``; 7: the method and URL, the request headers and
    ``Response Status: ...``; 8 and up: also the response headers. Credentials are masked as
    client-go's ``maskValue`` masks them (``Authorization: Bearer <masked>``). When several contexts
    are read at once, each line ends with klog's ``context="NAME"``: two contexts may share a server.
    """

    def __init__(self, verbosity: int, stream: TextIO, context: str = "") -> None:
        self.verbosity, self._stream, self._lock = verbosity, stream, threading.Lock()
        self._suffix = f' context="{context}"' if context else ""

    def request(self, method: str, url: str, headers: Sequence[Tuple[str, str]]) -> None:
        url = redacted_url(url)
        if self.verbosity >= 7:
            self._write([(470, f"{method} {url}"), (476, "Request Headers:")]
                        + [(480, f"    {name}: {mask(name, value)}") for name, value in headers])

    def response(self, method: str, url: str, status: str, seconds: float, headers: Sequence[Tuple[str, str]]) -> None:
        milliseconds, url = int(seconds * 1000), redacted_url(url)
        if self.verbosity < 7:
            self._write([(560, f"{method} {url} {status} in {milliseconds} milliseconds")])
            return
        lines = [(581, f"Response Status: {status} in {milliseconds} milliseconds")]
        if self.verbosity >= 8:
            lines += [(584, "Response Headers:")] + [(587, f"    {name}: {value}") for name, value in headers]
        self._write(lines)

    def _write(self, lines: Sequence[Tuple[int, str]]) -> None:
        now = time.time()
        stamp = time.strftime("%m%d %H:%M:%S", time.localtime(now)) + f".{int(now % 1 * 1e6):06d}"
        text = "".join(f"I{stamp} {os.getpid():7d} round_trippers.go:{line}] {message}{self._suffix}\n"
                       for line, message in lines)
        with self._lock:
            self._stream.write(text)
            self._stream.flush()


def mask(name: str, value: str) -> str:
    """An Authorization value without its credential, as kubectl logs it.

    >>> mask("Authorization", "Bearer abc.def"), mask("authorization", "Basic"), mask("Authorization", "xyz")
    ('Bearer <masked>', 'Basic', '<masked>')
    """
    if name.lower() != "authorization" or not value:
        return value
    scheme = value.split(" ", 1)[0]
    if scheme.lower() not in ("bearer", "basic", "negotiate"):
        return "<masked>"
    return f"{scheme} <masked>" if len(value) > len(scheme) + 1 else scheme

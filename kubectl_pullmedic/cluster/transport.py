"""How one API request is retried and bounded, as client-go does it (rest/request.go).

Split from ``api.py``: the retry rules (``Retry-After`` on 429/5xx, a reset read retried), the
``--request-timeout`` deadline over the whole request (connect, headers, every byte of the body
and the waits between retries, as client-go's context deadline covers them), and the reading of
a body under that deadline, so a server that trickles a body cannot hold a command past it.
"""

from __future__ import annotations

import time
from typing import Any, Callable, List, Optional

# client-go (rest/request.go): a 429/5xx with Retry-After is retried up to 10 times after the seconds
# asked (capped here); a GET whose connection was reset is retried as if told Retry-After: 1.
MAX_RETRIES = 10
MAX_RETRY_WAIT = 10.0
RESET_WAIT = 1.0
CHUNK = 1 << 20  # at most this many bytes per read of a body: one recv, so the deadline is checked often
sleep = time.sleep  # the one wait between retries; tests replace it
clock = time.monotonic


class DeadlineExceeded(Exception):
    """The whole request (``--request-timeout``) ran out while the answer was still arriving."""


class Deadline:
    """``--request-timeout`` as one deadline for a request and its retries (None: no deadline)."""

    def __init__(self, seconds: Optional[float]) -> None:
        self.seconds = seconds or None
        self._ends = clock() + seconds if seconds else None

    def remaining(self) -> Optional[float]:
        """Seconds left (never below a millisecond, so a socket timeout stays valid), or None."""
        return None if self._ends is None else max(self._ends - clock(), 0.001)

    @property
    def passed(self) -> bool:
        return self._ends is not None and clock() >= self._ends

    def allows_wait(self, seconds: float) -> bool:
        """Whether a retry after ``seconds`` could still finish in time."""
        return self._ends is None or clock() + seconds < self._ends


def read_body(response: Any, deadline: Deadline) -> bytes:
    """The whole body of a urllib3 response read with ``preload_content=False``, within ``deadline``.

    Each read is one ``recv`` at most, and the socket waits at most the time left, so a body
    trickled a few bytes a second ends at the deadline (``DeadlineExceeded``), not per read.
    """
    chunks: List[bytes] = []
    try:
        while True:
            if deadline.passed:
                raise DeadlineExceeded()
            _limit_socket(response, deadline.remaining())
            chunk = response.read1(CHUNK)
            if not chunk:
                break
            chunks.append(chunk)
    except BaseException as error:
        response.close()  # a half-read connection cannot be reused
        if deadline.passed and isinstance(error, Exception):  # the socket waited out the time left
            raise DeadlineExceeded() from error
        raise
    finally:
        response.release_conn()
    return b"".join(chunks)


def _limit_socket(response: Any, seconds: Optional[float]) -> None:
    if seconds is None:
        return
    sock = getattr(getattr(response, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(seconds)


def retry_after(value: Optional[str]) -> Optional[float]:
    """Whole seconds from Retry-After, as client-go reads it, capped: ``"120"`` → 10.0, ``"soon"`` → None.

    >>> retry_after("120"), retry_after("2"), retry_after("soon")
    (10.0, 2.0, None)
    """
    text = (value or "").strip()
    return min(float(int(text)), MAX_RETRY_WAIT) if text.isdigit() else None


def was_reset(error: Exception) -> bool:
    """A connection reset or closed before any answer (client-go's IsConnectionReset / IsProbableEOF)."""
    text = str(getattr(error, "reason", None) or error).lower()
    return any(words in text for words in ("connection reset", "remote end closed", "connection aborted",
                                            "connection broken", "eof occurred"))


def transport_reason(error: Exception) -> str:
    """The innermost cause of a urllib3 failure, in a few words a user recognises.

    >>> transport_reason(OSError("[Errno 111] Connection refused"))
    'connection refused'
    """
    reason = getattr(error, "reason", None) or error
    text = str(reason)
    lowered = text.lower()
    for needle, words in (
        ("connection refused", "connection refused"),
        ("name or service not known", "no such host"),
        ("nodename nor servname", "no such host"),
        ("failed to resolve", "no such host"),
        ("certificate verify failed", "TLS certificate not trusted (certificate verify failed)"),
        ("timed out", "timed out"),
        ("connection reset", "connection reset by peer"),
    ):
        if needle in lowered:
            return words
    return text.split(": ", 1)[-1] if ": " in text else text


def retrying(attempt: Callable[[bool], Any], retryable: bool, deadline: Deadline) -> Any:
    """Call ``attempt(may_retry)`` until it returns no wait; ``attempt`` returns (result, seconds or None)."""
    for number in range(MAX_RETRIES + 1):
        result, wait = attempt(retryable and number < MAX_RETRIES)
        if wait is None:
            return result
        if not deadline.allows_wait(wait):
            if result is None:  # a reset with no answer to show: the deadline is what ended it
                raise DeadlineExceeded()
            return result
        sleep(wait)
    return result

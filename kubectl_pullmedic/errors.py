"""The plugin's exceptions and exit codes: one place, so every error ends as one line.

The cluster module translates transport errors into these (``raise ... from``); the CLI's
single error funnel prints ``error: <message>`` and exits with the error's code. Anything
else that escapes is a bug and is allowed to show its traceback.
"""

from __future__ import annotations

import enum
from typing import Optional, Sequence


class ExitCode(enum.IntEnum):
    """Process exit codes; FINDINGS lets scripts tell "problems found" from "tool failed"."""

    OK = 0
    FINDINGS = 1  # the command worked and found error-level problems
    ERROR = 2  # the command could not do its job (bad input, cluster error)
    PARTIAL = 4  # some of the work failed (e.g. 403 in one namespace), the rest was done
    INTERRUPTED = 130


class PullmedicError(Exception):
    """Base of every error the user should see as one line rather than a traceback."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, hint: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ConfigError(PullmedicError):
    """The kubeconfig is missing, malformed, or names an unknown context."""


class CredentialPluginError(ConfigError):
    """The kubeconfig user's exec credential plugin is missing, failed, or printed no credentials."""


class ClusterUnreachable(PullmedicError):
    """The API server could not be reached (refused, DNS, TLS, timeout)."""


class NamespaceNotFound(PullmedicError):
    """The namespace named with -n does not exist."""

    def __init__(self, namespace: str) -> None:
        super().__init__(f'namespace "{namespace}" not found')
        self.namespace = namespace


class ApiError(PullmedicError):
    """The API server answered with an error Status."""

    def __init__(
        self,
        message: str,
        status: int,
        reason: str = "",
        hint: Optional[str] = None,
    ) -> None:
        super().__init__(message, hint)
        self.status = status
        self.reason = reason


class Unauthorized(ApiError):
    """401: the credentials in the kubeconfig were not accepted."""


class Forbidden(ApiError):
    """403: RBAC refused a verb on a resource; what it hides is unknown, never absent."""

    unknown = "forbidden"  # the reason a fact it hides is shown with (``unreadable: forbidden``)


class NotInDump(Forbidden):
    """-f: the dump holds no objects of this kind (or of this namespace): unknown, exactly as behind a 403."""

    unknown = "not-in-dump"


class NotFound(ApiError):
    """404: the named object does not exist."""


class Conflict(ApiError):
    """409: a precondition (uid, resourceVersion) did not hold."""


class Gone(ApiError):
    """410: a list's continue token expired; the list must restart."""


class PodNotFound(PullmedicError):
    """A pod named on the command line does not exist; suggests close names."""

    def __init__(self, name: str, namespace: str, suggestions: Sequence[str] = ()) -> None:
        hint = None
        if suggestions:
            hint = "did you mean " + ", ".join(repr(s) for s in suggestions) + "?"
        super().__init__(f'pods "{name}" not found in namespace "{namespace}"', hint)
        self.suggestions = list(suggestions)

"""One object for everything an invocation needs to know about where and how to run.

Built once in the click group callback and passed down; nothing reads the environment,
the clock or the terminal behind its back, so tests can pin all of it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Mapping, Optional, TextIO, Tuple

from .cluster.kubeconfig import Overrides


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Settings:
    """The kubectl-style options plus the injected environment (streams, colour, clock)."""

    kubeconfig: Optional[str] = None
    context: Optional[str] = None
    contexts: Tuple[str, ...] = ()  # every --context given (repeated, comma lists); several: read each
    all_contexts: bool = False  # --all-contexts: every context of the merged kubeconfig
    parallel: int = 20  # --parallel: contexts read at once (cli/options.py says why 20)
    namespace: Optional[str] = None
    all_namespaces: bool = False
    selector: Optional[str] = None
    output: str = "table"
    no_headers: bool = False
    request_timeout: Optional[float] = None  # None: the defaults (cluster.api); 0: no limit
    # kubectl's other global connection flags (cli-runtime's ConfigFlags): the kubeconfig overrides
    overrides: Overrides = field(default_factory=Overrides)
    verbosity: int = 0  # -v N: 6 and up log every API request to stderr as kubectl does
    filenames: Tuple[str, ...] = ()  # -f: read these dumps instead of a cluster
    color: Optional[bool] = None  # None: decide from the terminal and NO_COLOR
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    clock: Callable[[], datetime] = _utc_now

    def now(self) -> datetime:
        return self.clock()

    @property
    def use_color(self) -> bool:
        """Colour only on a terminal, never with NO_COLOR (https://no-color.org) or TERM=dumb."""
        if self.color is not None:
            return self.color
        if self.environ.get("NO_COLOR", "") != "" or self.environ.get("TERM") == "dumb":
            return False
        return _isatty(self.stdout)

    @property
    def interactive(self) -> bool:
        """Whether a question can be asked and answered (both ends are a terminal)."""
        return _isatty(self.stdin) and _isatty(self.stderr)

    @property
    def stderr_is_terminal(self) -> bool:
        return _isatty(self.stderr)


def _isatty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())

"""Entry points: ``kubectl-pullmedic`` (:func:`main`) and ``kubectl_complete-pullmedic`` (:func:`complete`)."""

from __future__ import annotations

import sys
from typing import List, Optional, Sequence

from ..settings import Settings
from . import completion, funnel
from .app import cli


def main(argv: Optional[List[str]] = None, settings: Optional[Settings] = None) -> int:
    """Run the CLI with the given arguments (default: ``sys.argv``) and return the exit code."""
    return funnel.run(cli, argv, settings or Settings())


def complete(argv: Optional[Sequence[str]] = None) -> int:
    """``kubectl_complete-pullmedic WORD... INCOMPLETE``: what kubectl runs on <TAB>."""
    words = sys.argv[1:] if argv is None else list(argv)
    sys.stdout.write(completion.cobra_output(completion.complete_words(cli, words)))
    return 0

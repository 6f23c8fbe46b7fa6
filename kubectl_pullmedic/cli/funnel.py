"""The one error funnel: every expected failure becomes ``error: ...`` on stderr and an exit code.

Separate from ``main`` so that a command which runs other commands (``demo``) can use it
without importing the group that registers it.
"""

from __future__ import annotations

from typing import List, Optional

import click

from ..errors import ExitCode, PullmedicError
from ..settings import Settings
from .completion import COMPLETE_VAR

PROG_NAME = "kubectl pullmedic"


def run(group: click.Group, argv: Optional[List[str]], settings: Settings) -> int:
    """Run ``group`` on ``argv``; unknown exceptions are bugs and propagate."""
    try:
        result = group.main(args=argv, prog_name=PROG_NAME, complete_var=COMPLETE_VAR, obj=settings, standalone_mode=False)
    except PullmedicError as error:
        settings.stderr.write(f"error: {error.message}\n")
        if error.hint:
            settings.stderr.write(f"hint: {error.hint}\n")
        return int(error.exit_code)
    except click.exceptions.Abort:
        settings.stderr.write("\naborted\n")
        return int(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        settings.stderr.write("\ninterrupted\n")
        return int(ExitCode.INTERRUPTED)
    except click.ClickException as error:
        error.show(file=settings.stderr)
        return error.exit_code
    except BrokenPipeError:
        # `kubectl pullmedic evicted -A | head`: the reader left; nothing is wrong.
        return int(ExitCode.OK)
    return int(result or 0)

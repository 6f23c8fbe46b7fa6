"""The one error funnel: every expected failure becomes ``error: ...`` on stderr and an exit code.

Separate from ``main`` so that a command which runs other commands (``demo``) can use it
without importing the group that registers it.
"""

from __future__ import annotations

import difflib
import re
from typing import List, Optional

import click

from ..errors import ExitCode, PullmedicError
from ..render.safe import neutralise
from ..settings import Settings
from .completion import COMPLETE_VAR

PROG_NAME = "kubectl pullmedic"


def run(group: click.Group, argv: Optional[List[str]], settings: Settings) -> int:
    """Run ``group`` on ``argv``; unknown exceptions are bugs and propagate."""
    try:
        result = group.main(args=argv, prog_name=PROG_NAME, complete_var=COMPLETE_VAR, obj=settings, standalone_mode=False)
    except PullmedicError as error:
        # The message may quote the cluster (a pod's name, the API server's words): never raw.
        settings.stderr.write(f"error: {neutralise(error.message, keep_layout=True)}\n")
        if error.hint:
            settings.stderr.write(f"hint: {neutralise(error.hint, keep_layout=True)}\n")
        return int(error.exit_code)
    except click.exceptions.Abort:
        settings.stderr.write("\naborted\n")
        return int(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        settings.stderr.write("\ninterrupted\n")
        return int(ExitCode.INTERRUPTED)
    except click.UsageError as error:
        path = error.ctx.command_path if error.ctx is not None else PROG_NAME
        settings.stderr.write(f"error: {usage_message(error)}\nSee '{path} --help' for usage.\n")
        return int(ExitCode.ERROR)
    except click.ClickException as error:
        error.show(file=settings.stderr)
        return error.exit_code
    except BrokenPipeError:
        # `kubectl pullmedic evicted -A | head`: the reader left; nothing is wrong.
        return int(ExitCode.OK)
    return int(result or 0)


def usage_message(error: click.UsageError) -> str:
    """A usage error in one line, in spf13/pflag's words where kubectl has them.

    >>> usage_message(click.exceptions.NoSuchOption("--selectr", possibilities=["--selector"]))
    'unknown flag: --selectr (did you mean --selector?)'
    >>> usage_message(click.exceptions.NoSuchOption("-x"))
    "unknown shorthand flag: 'x' in -x"
    >>> usage_message(click.exceptions.BadOptionUsage("-n", "Option '-n' requires an argument."))
    "flag needs an argument: 'n' in -n"
    """
    if isinstance(error, click.exceptions.NoSuchOption):
        name = error.option_name
        text = f"unknown flag: {name}" if name.startswith("--") else f"unknown shorthand flag: '{name[1:]}' in {name}"
        close = difflib.get_close_matches(name, error.possibilities or (), n=1, cutoff=0.75)
        if close:
            text += f" (did you mean {close[0]}?)"
        return text
    if isinstance(error, click.exceptions.BadOptionUsage) and "requires an argument" in error.format_message():
        name = error.option_name
        return f"flag needs an argument: {name}" if name.startswith("--") else f"flag needs an argument: '{name[1:]}' in {name}"
    text = " ".join(error.format_message().split())
    return re.sub(r"^[A-Z](?=[a-z])", lambda match: match.group().lower(), text)

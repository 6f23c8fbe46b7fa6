"""The click layer: the ``kubectl-pullmedic`` group, its subcommands and the one error funnel.

Each subcommand module only wires things together: read through ``gather`` (which uses
``cluster``), decide in ``core``, print through ``render``.
"""

from __future__ import annotations


from typing import List, Optional

import click

from .. import __version__
from .completion import COMPLETE_VAR, add_completion_command
from ..errors import ExitCode, PullmedicError
from ..settings import Settings
from .options import KubectlGroup, connection_options, settings_of

PROG_NAME = "kubectl pullmedic"


@click.group(
    cls=KubectlGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="kubectl-pullmedic", message="%(prog)s %(version)s")
@connection_options
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Find out why pods cannot pull their images or were evicted, and how to fix it.

    pullmedic reads your cluster the way kubectl does (same kubeconfig, context and
    namespace), names the cause of every ErrImagePull, ImagePullBackOff, InvalidImageName
    and ErrImageNeverPull and every eviction, and prints the commands that fix it.
    """
    settings_of(ctx)


def _register_commands() -> None:
    from . import commands  # noqa: F401  (registers the subcommands on `cli`)

    add_completion_command(cli)


def main(argv: Optional[List[str]] = None, settings: Optional[Settings] = None) -> int:
    """Run the CLI and turn every expected failure into ``error: ...`` on stderr and an exit code."""
    settings = settings or Settings()
    try:
        result = cli.main(args=argv, prog_name=PROG_NAME, complete_var=COMPLETE_VAR, obj=settings, standalone_mode=False)
    except PullmedicError as error:
        _print_error(settings, error.message, error.hint)
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


def _print_error(settings: Settings, message: str, hint: Optional[str]) -> None:
    settings.stderr.write(f"error: {message}\n")
    if hint:
        settings.stderr.write(f"hint: {hint}\n")




_register_commands()

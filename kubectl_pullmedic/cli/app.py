"""The ``kubectl-pullmedic`` group and, in one place and in help order, its commands."""

from __future__ import annotations

import click

from .. import __version__
from . import clean, demo, evicted, retry, secrets_check, why
from .completion import completion_command
from .options import KubectlGroup, global_options, settings_of


@click.group(
    cls=KubectlGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="kubectl-pullmedic", message="%(prog)s %(version)s")
@global_options
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Find out why pods cannot pull their images or were evicted, and how to fix it.

    pullmedic reads your cluster the way kubectl does (same kubeconfig, context and
    namespace), names the cause of every ErrImagePull, ImagePullBackOff, InvalidImageName
    and ErrImageNeverPull and every eviction, and prints the commands that fix it.
    """
    settings_of(ctx)


for command in (why.why, retry.retry, evicted.evicted, clean.clean, secrets_check.secrets_check, demo.demo,
                completion_command):
    cli.add_command(command)

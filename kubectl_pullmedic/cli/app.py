"""The ``kubectl-pullmedic`` group and, in one place and in help order, its commands."""

from __future__ import annotations

import difflib
import importlib
from typing import Any, Dict, List, Optional

import click

from .. import __version__
from .options import KubectlCommand, global_options, kubectl_args, settings_of, usage_context


class KubectlGroup(click.Group):
    """The top-level group, with the same help layout and subcommands in a fixed order.

    A subcommand named in ``lazy`` (name -> ``module:attribute``) is imported only when it is run
    or listed (click's "lazily loading subcommands"): ``why`` does not load the sandbox ``demo``
    starts, nor the watch and delete machinery of ``retry`` and ``clean``.
    """

    command_class = KubectlCommand

    def __init__(self, *args: Any, lazy: Optional[Dict[str, str]] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list:
        return list(dict.fromkeys([*self.commands, *self.lazy]))

    def get_command(self, ctx: click.Context, name: str) -> Optional[click.Command]:
        if name not in self.commands and name in self.lazy:
            module, _, attribute = self.lazy[name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            self.add_command(command, name)
        return super().get_command(ctx, name)

    def parse_args(self, ctx: click.Context, args: List[str]) -> List[str]:
        with usage_context(ctx):
            return super().parse_args(ctx, kubectl_args(self, args, stop_at_command=True))

    def resolve_command(self, ctx: click.Context, args: List[str]) -> Any:
        """An unknown command in kubectl's words, with the closest one suggested."""
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None and not ctx.resilient_parsing:
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1, cutoff=0.6)
            raise click.UsageError(f'unknown command "{name}" for "{ctx.command_path}"'
                                   + (f' (did you mean "{close[0]}"?)' if close else ""), ctx)
        return super().resolve_command(ctx, args)

    format_help = KubectlCommand.format_help  # type: ignore[assignment]
    examples = ""


# Every command, in help order: each module imported only when its command is run or listed.
COMMANDS = {name: f"{__package__}.{target}" for name, target in (
    ("why", "why:why"), ("retry", "retry:retry"), ("evicted", "evicted:evicted"), ("clean", "clean:clean"),
    ("secrets-check", "secrets_check:secrets_check"), ("demo", "demo:demo"), ("completion", "completion:completion_command"),
)}


@click.group(
    cls=KubectlGroup,
    lazy=COMMANDS,
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

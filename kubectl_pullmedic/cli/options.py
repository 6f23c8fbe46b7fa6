"""kubectl-style options, help layout and parameter types shared by every subcommand.

Options users type by habit (``-n``, ``--context``, ``--kubeconfig``, ``--request-timeout``)
are accepted before and after the subcommand, as kubectl passes every argument after the
plugin name through unchanged. Each option writes straight into the invocation's ``Settings``.
"""

from __future__ import annotations

import re
import ssl
from datetime import timedelta
from typing import Any, Callable, Optional, Sequence

import click

from ..settings import Settings

F = Callable[..., Any]


class KubectlCommand(click.Command):
    """Help laid out as kubectl lays it out: description, Examples, Options, Usage."""

    def __init__(self, *args: Any, examples: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.examples = examples

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.format_help_text(ctx, formatter)
        if self.examples:
            with formatter.section("Examples"):
                for line in self.examples.strip("\n").splitlines():
                    formatter.write(" " * formatter.current_indent + line + "\n")
        self.format_options(ctx, formatter)
        formatter.write_paragraph()
        formatter.write("Usage:\n")
        formatter.write(f"  {ctx.command_path} {' '.join(self.collect_usage_pieces(ctx))}\n")


class KubectlGroup(click.Group):
    """The top-level group, with the same help layout and subcommands in a fixed order."""

    command_class = KubectlCommand

    def list_commands(self, ctx: click.Context) -> list:
        return list(self.commands)

    format_help = KubectlCommand.format_help  # type: ignore[assignment]
    examples = ""


def settings_of(ctx: click.Context) -> Settings:
    return ctx.ensure_object(Settings)


def _store(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Write a given option into Settings; an option left out keeps what the group set."""
    if value is not None and value is not False and param.name:
        setattr(settings_of(ctx), param.name, value)
    return value


def _option(*decls: str, **kwargs: Any) -> F:
    return click.option(*decls, callback=_store, expose_value=False, **kwargs)


class Duration(click.ParamType):
    """A Go-style duration as kubectl takes it (``90s``, ``5m``, ``1h30m``), plus ``d`` for days.

    A bare number means seconds, as in kubectl's ``--request-timeout=5``.
    """

    name = "duration"
    _PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
    _UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> timedelta:
        if isinstance(value, timedelta):
            return value
        text = str(value).strip()
        if re.fullmatch(r"\d+(\.\d+)?", text):
            return timedelta(seconds=float(text))
        parts = self._PART.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            self.fail(f"{value!r} is not a duration (examples: 90s, 15m, 2h, 7d)", param, ctx)
        return timedelta(seconds=sum(float(number) * self._UNITS[unit] for number, unit in parts))


def _store_timeout(ctx: click.Context, param: click.Parameter, value: Optional[timedelta]) -> None:
    if value is not None:
        settings_of(ctx).request_timeout = value.total_seconds() or None


def connection_options(func: F) -> F:
    """--kubeconfig, --context, -n, --request-timeout: on the group and on every subcommand."""
    decorators = [
        _option("--kubeconfig", metavar="PATH", help="Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)."),
        _option("--context", metavar="NAME", help="The name of the kubeconfig context to use."),
        _option("-n", "--namespace", metavar="NAMESPACE", help="The namespace scope (default: the context's namespace, then default)."),
        click.option(
            "--request-timeout",
            type=Duration(),
            metavar="DURATION",
            callback=_store_timeout,
            expose_value=False,
            help="How long to wait for a single API request (e.g. 5s, 1m); 0 waits forever.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def listing_options(formats: Sequence[str] = ("wide", "json", "yaml")) -> Callable[[F], F]:
    """-A, -l, -o, --no-headers for commands that list things."""

    def apply(func: F) -> F:
        decorators = [
            _option("-A", "--all-namespaces", is_flag=True, default=False, help="List across all namespaces."),
            _option("-l", "--selector", metavar="SELECTOR", help="Label selector to filter pods, e.g. -l app=web,tier!=db."),
            _option("-o", "--output", type=click.Choice(list(formats)), help="Output format: " + "|".join(formats) + "."),
            _option("--no-headers", is_flag=True, default=False, help="Do not print table headers."),
        ]
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


def _check_certificates(ctx: click.Context, param: click.Parameter, value: Optional[str]) -> Optional[str]:
    """Refuse a CA file TLS cannot load before any request, in one line."""
    if value:
        try:
            ssl.create_default_context().load_verify_locations(cafile=value)
        except (ssl.SSLError, OSError) as error:
            raise click.BadParameter(f"{value} holds no usable PEM certificate ({getattr(error, 'reason', None) or error})",
                                     ctx, param) from None
    return value


def probe_options(func: F) -> F:
    """--probe, --insecure-registry, --registry-ca: passed to the command as keyword arguments."""
    decorators = [
        click.option("--probe", is_flag=True,
                     help="Ask each registry, from this machine and with the credentials the pods would use, "
                          "whether the credentials work and the image exists for the node's platform."),
        click.option("--insecure-registry", "insecure_registries", multiple=True, metavar="HOST",
                     help="Allow plain HTTP to this registry host when probing (repeatable)."),
        click.option("--registry-ca", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
                     callback=_check_certificates,
                     help="An extra CA certificate (PEM) to trust when probing registries."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func

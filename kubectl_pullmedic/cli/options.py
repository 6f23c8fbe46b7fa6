"""kubectl-style options, help layout and parameter types shared by every subcommand.

kubectl's global flags (``-n``, ``--context``, ``--kubeconfig``, ``--request-timeout``, and the
connection flags of cli-runtime's ``ConfigFlags``: ``--cluster``, ``--user``, ``-s``, ``--token``,
``--as``...) are accepted before and after the subcommand, as kubectl passes every argument after
the plugin name through unchanged. Each option writes straight into the invocation's ``Settings``.
Arguments are read as kubectl's flag parser (spf13/pflag) reads them: ``-n=shop`` is ``shop``
(click alone would read ``=shop``), ``--insecure-skip-tls-verify=false`` is a boolean's value,
and a repeated single-valued flag keeps its last value (``-l a=1 -l b=2`` selects ``b=2``, as
kubectl 1.32 does).
"""

from __future__ import annotations

import dataclasses
import re
import ssl
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, Callable, Iterator, List, Optional, Sequence, Tuple

import click

from ..cluster.kubeconfig import Overrides
from ..errors import PullmedicError
from ..settings import Settings

F = Callable[..., Any]


GLOBALS_NOTE = 'Use "kubectl pullmedic --help" for a list of global command-line options (applies to all commands).'
_GO_TRUE, _GO_FALSE = ("1", "t", "T", "TRUE", "true", "True"), ("0", "f", "F", "FALSE", "false", "False")


def kubectl_args(command: click.Command, args: List[str], stop_at_command: bool = False) -> List[str]:
    """``args`` rewritten so that click reads them as pflag does: ``-n=x`` is ``-n x``, and
    ``--flag=true|false`` sets or leaves a boolean flag (Go's strconv.ParseBool spellings).

    >>> cmd = click.Command("c", params=[click.Option(["-n"]), click.Option(["-l"]), click.Option(["-A"], is_flag=True)])
    >>> kubectl_args(cmd, ["-n=shop", "-A=false", "-l", "-n=x", "pod"])
    ['-n', 'shop', '-l', '-n=x', 'pod']
    """
    takes_value, booleans = set(), set()
    for param in command.params:
        if isinstance(param, click.Option):
            names = param.opts + param.secondary_opts
            if param.is_bool_flag and not param.secondary_opts:
                booleans.update(names)
            elif not (param.is_flag or param.count or getattr(param, "_flag_needs_value", False)):
                takes_value.update(names)
    out: List[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--" or not arg.startswith("-") or arg == "-":
            if stop_at_command or arg == "--":
                return out + args[index - 1:]
            out.append(arg)
            continue
        name, equals, value = arg.partition("=") if arg.startswith("--") else (arg[:2], arg[2:3] == "=", arg[3:])
        if equals and name in booleans:
            if value not in _GO_TRUE + _GO_FALSE:
                raise click.UsageError(f'invalid argument "{value}" for "{name}" flag: '
                                       f'strconv.ParseBool: parsing "{value}": invalid syntax')
            out += [name] if value in _GO_TRUE else []
        elif equals and name in takes_value and not arg.startswith("--"):
            out += [name, value]
        else:
            out.append(arg)
            if arg in takes_value and index < len(args):  # its value, whatever it looks like
                out.append(args[index])
                index += 1
    return out


class KubectlCommand(click.Command):
    """Help laid out as kubectl lays it out: description, Examples, Options, Usage; pflag's syntax."""

    def __init__(self, *args: Any, examples: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.examples = examples

    def parse_args(self, ctx: click.Context, args: List[str]) -> List[str]:
        with usage_context(ctx):
            return super().parse_args(ctx, kubectl_args(self, args))

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
        if ctx.parent is not None and any(getattr(p, "hidden", False) for p in self.params):
            formatter.write(f"\n{GLOBALS_NOTE}\n")


@contextmanager
def usage_context(ctx: click.Context) -> Iterator[None]:
    """Attach the command's context to a usage error raised while parsing, for its help line."""
    try:
        yield
    except click.UsageError as error:
        if error.ctx is None:
            error.ctx = ctx
        raise


def settings_of(ctx: click.Context) -> Settings:
    return ctx.ensure_object(Settings)


_OVERRIDES = frozenset(f.name for f in dataclasses.fields(Overrides))


def _set(settings: Settings, name: str, value: Any) -> None:
    """A connection flag goes into the kubeconfig overrides, any other option into Settings itself."""
    if name in _OVERRIDES:
        settings.overrides = dataclasses.replace(settings.overrides, **{name: value})
    else:
        setattr(settings, name, value)


def _store(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Write a given option into Settings; an option left out keeps what the group set."""
    if value is not None and value is not False and value != () and param.name:
        _set(settings_of(ctx), param.name, value)
    return value


def _append(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """A repeatable option: values given before and after the subcommand add up, as in one pflag set."""
    if value and param.name:
        settings = settings_of(ctx)
        before = getattr(settings.overrides if param.name in _OVERRIDES else settings, param.name)
        _set(settings, param.name, tuple(before) + tuple(value))
    return value


def _store_contexts(ctx: click.Context, param: click.Parameter, value: Tuple[str, ...]) -> Tuple[str, ...]:
    """``--context`` repeated or as ``a,b``: every context is read; one alone is kubectl's ``--context``."""
    names = [name for text in value or () for name in text.split(",") if name]
    if names:
        settings = settings_of(ctx)
        settings.contexts = tuple(dict.fromkeys(settings.contexts + tuple(names)))
        settings.context = settings.contexts[0] if len(settings.contexts) == 1 else None
    return value


def fleet_options(func: F) -> F:
    """--all-contexts and --parallel, for the commands that read several contexts at once."""
    decorators = [
        _option("--all-contexts", is_flag=True, default=False,
                help="Read every context of the kubeconfig (each with its own namespace unless -n is given)."),
        _option("--parallel", type=click.IntRange(1, 64), metavar="N",
                help="How many contexts to read at once (default 20: a fleet of tens of clusters is read in one "
                     "wave, since reading is mostly waiting on each API server; lower it for API servers behind "
                     "one slow link)."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def _option(*decls: str, **kwargs: Any) -> F:
    kwargs.setdefault("callback", _store)
    return click.option(*decls, expose_value=False, **kwargs)


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
        settings_of(ctx).request_timeout = value.total_seconds()  # 0: no limit


def connection_options(func: F, hide_globals: bool = True) -> F:
    """kubectl's global flags, on the group and on every subcommand.

    --kubeconfig, --context, -n and --request-timeout show in every command's help; the other
    connection flags only in the group's (kubectl keeps them in `kubectl options`).
    """
    hidden = {"hidden": hide_globals}
    decorators = [
        _option("--kubeconfig", metavar="PATH", help="Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config)."),
        _option("--context", "contexts", metavar="NAME", multiple=True, callback=_store_contexts,
                help="The name of the kubeconfig context to use; repeat it (or NAME,NAME) to read several at once."),
        _option("-n", "--namespace", metavar="NAMESPACE", help="The namespace scope (default: the context's namespace, then default)."),
        _option("--request-timeout", type=Duration(), metavar="DURATION", callback=_store_timeout,
                help="How long to wait for a single API request (e.g. 5s, 1m); 0 waits forever. "
                     "Default: 30s to connect, then 60s for the server to answer."),
        _option("--cluster", metavar="NAME", help="The name of the kubeconfig cluster to use.", **hidden),
        _option("--user", metavar="NAME", help="The name of the kubeconfig user to use.", **hidden),
        _option("-s", "--server", metavar="URL", help="The address and port of the Kubernetes API server.", **hidden),
        _option("--token", metavar="TOKEN", help="Bearer token for authentication to the API server.", **hidden),
        _option("--as", "impersonate", metavar="USER", **hidden,
                help="Username to impersonate for the operation (a user or a service account)."),
        _option("--as-group", "impersonate_groups", metavar="GROUP", multiple=True, callback=_append, **hidden,
                help="Group to impersonate for the operation; repeat it for several groups."),
        _option("--as-uid", "impersonate_uid", metavar="UID", help="UID to impersonate for the operation.", **hidden),
        _option("--certificate-authority", metavar="FILE", help="Path to a cert file for the certificate authority.", **hidden),
        _option("--client-certificate", metavar="FILE", help="Path to a client certificate file for TLS.", **hidden),
        _option("--client-key", metavar="FILE", help="Path to a client key file for TLS.", **hidden),
        _option("--insecure-skip-tls-verify", is_flag=True, default=False, **hidden,
                help="Do not check the server's certificate. This makes HTTPS connections insecure."),
        _option("--tls-server-name", metavar="NAME", **hidden,
                help="Server name to check the server's certificate against (default: the host of --server)."),
        _option("--disable-compression", is_flag=True, default=False, **hidden,
                help="Do not ask the server to compress responses."),
        _option("-v", "--v", "verbosity", type=int, metavar="LEVEL", **hidden,
                help="Log level: 6 logs each API request on stderr, 7 adds request headers, 8 response headers."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def global_options(func: F) -> F:
    """The group's flags: every global flag, all of them in its help."""
    return connection_options(func, hide_globals=False)


# Every format of kubectl's printers a listing command takes: -o name, jsonpath and custom-columns.
LISTING_FORMATS = ("json", "yaml", "name", "jsonpath", "jsonpath-as-json", "jsonpath-file", "custom-columns",
                   "custom-columns-file", "wide")
_TEMPLATE_ARGS = {"jsonpath": "TEMPLATE", "jsonpath-as-json": "TEMPLATE", "jsonpath-file": "FILE",
                  "custom-columns": "SPEC", "custom-columns-file": "FILE"}


def output_format(value: str) -> Tuple[str, str]:
    """``-o`` as the view takes it: the format and its template (a ``-file``'s text, read here).

    ``jsonpath-file=F`` is ``jsonpath`` with F's text; an unreadable file is an error in kubectl's words.
    """
    from ..render.templates import split_output

    fmt, argument = split_output(value)
    if not fmt.endswith("-file") or not argument:
        return fmt, argument
    try:
        with open(argument, encoding="utf-8") as file:
            text = file.read()
    except OSError as error:
        flag = "--template" if fmt == "jsonpath-file" else "template"
        reason = error.strerror or str(error)  # Go's wording: "open F: no such file or directory"
        raise PullmedicError(f"error reading {flag} {argument}, open {argument}: {reason[:1].lower()}{reason[1:]}") from None
    return ("jsonpath" if fmt == "jsonpath-file" else fmt), text


class OutputFormat(click.ParamType):
    """``-o`` as kubectl takes it: a format, or FORMAT=TEMPLATE; checked (and the template parsed) before any request.

    An unknown format is a usage error in kubectl's words; a bad template is an error (exit 2).
    """

    name = "format"

    def __init__(self, formats: Sequence[str]) -> None:
        self.formats = tuple(formats)

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> str:
        from ..render.templates import OutputError, check, split_output, unknown_format

        text = str(value)
        if ctx is not None and ctx.resilient_parsing:  # completing: the line is not finished
            return text
        if split_output(text)[0] not in self.formats:
            raise click.UsageError(unknown_format(text, self.formats), ctx)
        fmt, template = output_format(text)
        try:
            check(fmt, template)
        except OutputError as error:
            raise PullmedicError(str(error)) from None
        return text

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> List[Any]:
        from click.shell_completion import CompletionItem

        return [CompletionItem(fmt) for fmt in self.formats if fmt.startswith(incomplete)]


def _output_help(formats: Sequence[str]) -> str:
    return "Output format. One of: (" + ", ".join(f"{fmt}={_TEMPLATE_ARGS[fmt]}" if fmt in _TEMPLATE_ARGS else fmt
                                                  for fmt in formats) + ")."


def listing_options(formats: Sequence[str] = ("wide", "json", "yaml")) -> Callable[[F], F]:
    """-A, -l, -o, --no-headers for commands that list things."""

    def apply(func: F) -> F:
        decorators = [
            _option("-A", "--all-namespaces", is_flag=True, default=False, help="List across all namespaces."),
            _option("-l", "--selector", metavar="SELECTOR", help="Label selector to filter pods, e.g. -l app=web,tier!=db."),
            _option("-o", "--output", type=OutputFormat(formats), metavar="FORMAT", help=_output_help(formats)),
            _option("--no-headers", is_flag=True, default=False, help="Do not print table headers."),
        ]
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


def filename_option(func: F) -> F:
    """-f/--filename: diagnose a dump instead of a cluster (repeatable; a file, a folder, an archive, ``-``)."""
    return _option("-f", "--filename", "filenames", type=click.Path(), multiple=True, callback=_append, metavar="PATH",
                   help="Read the objects from this file, folder or archive instead of a cluster: kubectl get -o "
                        "yaml|json output, a kubectl cluster-info dump (folder or stream), gzip/tar of them; "
                        "- for standard input (repeatable). No kubeconfig is read.")(func)


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

"""Shell completion on click's engine: kubectl's plugin protocol and ``completion bash|zsh|fish``.

kubectl 1.26+ completes ``kubectl pullmedic <TAB>`` by running ``kubectl_complete-pullmedic``
with the words typed after the plugin name, the last one (possibly empty) being the word to
complete, and reads cobra's ``__complete`` answer: one candidate per line as
``value<TAB>description``, then ``:<directive>`` (kubectl ``pkg/cmd/plugin/plugin_completion.go``,
cobra ``completions.go``). ``kubectl-pullmedic completion SHELL`` prints click's script for
completing ``kubectl-pullmedic`` itself; both ask the same question here.

Click completes subcommands, options and choices. Values of free-text parameters come from
the cluster and kubeconfig the typed options point at: namespaces for ``-n``, contexts for
``--context``, and pod names (or ``TYPE/NAME`` workloads) for positional arguments; paths fall
back to the shell's own file completion. When the cluster cannot be read there are simply no
candidates, with the reason on stderr, which shells do not show.
"""

from __future__ import annotations

import enum
import sys
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Sequence, Tuple

import click
from click.shell_completion import (
    BashComplete,
    CompletionItem,
    FishComplete,
    ZshComplete,
    _resolve_context,
    _resolve_incomplete,
    add_completion_class,
)

from ..core.kube import dig, iter_containers, name_of
from ..core.podhealth import waiting_reason
from ..errors import PullmedicError
from ..settings import Settings
from .options import KubectlCommand

PROG_NAME = "kubectl-pullmedic"
COMPLETE_VAR = "_KUBECTL_PULLMEDIC_COMPLETE"
REQUEST_TIMEOUT = 5.0  # seconds; a completion that hangs is worse than none
PATH_OPTIONS = ("kubeconfig",)


class Directive(enum.IntFlag):
    """cobra's ShellCompDirective bits."""

    DEFAULT = 0
    ERROR = 1
    NO_SPACE = 2
    NO_FILE_COMP = 4
    FILTER_FILE_EXT = 8
    FILTER_DIRS = 16
    KEEP_ORDER = 32


@dataclass(frozen=True)
class Completions:
    items: List[CompletionItem]
    directive: Directive


Completer = Callable[[Settings, str], List[CompletionItem]]


def complete_words(command: click.Command, words: Sequence[str]) -> Completions:
    """Candidates for the last of ``words`` (the words after the program name).

    The options already typed (``--kubeconfig``, ``--context``, ``-n``, ``-A``) fill a
    ``Settings`` through the CLI's own callbacks, so candidates come from where the finished
    command would look.
    """
    words = list(words) or [""]
    args, incomplete = words[:-1], words[-1]
    settings = Settings()
    ctx = _resolve_context(command, {"obj": settings}, PROG_NAME, args)
    target, value = _resolve_incomplete(ctx, args, incomplete)
    items = target.shell_complete(ctx, value)
    if isinstance(target, click.Parameter):
        kinds = {item.type for item in items}
        if "dir" in kinds:
            return Completions([], Directive.FILTER_DIRS)
        if "file" in kinds or target.name in PATH_OPTIONS:
            return Completions([], Directive.DEFAULT)
        if not items and isinstance(target.type, click.types.StringParamType):
            items = _dynamic_candidates(target, settings, value)
    typed_flag = incomplete[: len(incomplete) - len(value)] if incomplete.startswith("-") else ""
    if typed_flag:
        items = [CompletionItem(typed_flag + item.value, help=item.help) for item in items]
    return Completions(items, Directive.NO_FILE_COMP)


def cobra_output(completions: Completions) -> str:
    """cobra's ``__complete`` answer, as kubectl reads it from a plugin's completion helper.

    >>> items = [CompletionItem("why", help="Explain.\\nMore."), CompletionItem("x")]
    >>> cobra_output(Completions(items, Directive.NO_FILE_COMP))
    'why\\tExplain.\\nx\\n:4\\n'
    """
    lines = []
    for item in completions.items:
        description = (item.help or "").strip().splitlines()
        lines.append(f"{item.value}\t{description[0]}" if description else str(item.value))
    lines.append(f":{int(completions.directive)}")
    return "\n".join(lines) + "\n"


# -- candidates from the cluster and the kubeconfig ------------------------------------------


def _dynamic_candidates(param: click.Parameter, settings: Settings, incomplete: str) -> List[CompletionItem]:
    completer = _OPTION_COMPLETERS.get(param.name or "") if isinstance(param, click.Option) \
        else _ARGUMENT_COMPLETERS.get(param.name or "", _complete_targets)
    if completer is None:
        return []
    try:
        return completer(settings, incomplete)
    except PullmedicError as error:
        sys.stderr.write(f"kubectl-pullmedic completion: {error.message}\n")
        return []


def _connect(settings: Settings) -> Any:
    from .common import connect

    settings.request_timeout = settings.request_timeout or REQUEST_TIMEOUT
    return connect(settings, max_connections=1)


def _names(objects: Sequence[Dict[str, Any]], incomplete: str, prefix: str = "") -> List[CompletionItem]:
    names = sorted({name_of(obj) for obj in objects})
    return [CompletionItem(prefix + name) for name in names if name and name.startswith(incomplete)]


def _complete_namespaces(settings: Settings, incomplete: str) -> List[CompletionItem]:
    return _names(_connect(settings).list_all("namespaces", None), incomplete)


def _complete_contexts(settings: Settings, incomplete: str) -> List[CompletionItem]:
    """Context names; after a comma (``--context a,<TAB>``) the next name of the list."""
    from ..cluster.contextnames import context_names

    done, comma, last = incomplete.rpartition(",")
    return [CompletionItem(done + comma + name) for name in context_names(settings.kubeconfig, settings.environ)
            if name.startswith(last)]


def _complete_targets(settings: Settings, incomplete: str) -> List[CompletionItem]:
    """Pod names, or ``TYPE/NAME`` once a workload type and a slash are typed."""
    from ..cluster.api import RESOURCES
    from ..core.workloads import parse_workload_arg

    cluster = _connect(settings)
    namespace = None if settings.all_namespaces else cluster.namespace
    kind_text, slash, name_prefix = incomplete.partition("/")
    if not slash:
        pods = {name_of(pod): pod for pod in cluster.list_all("pods", namespace)}
        matching = [name for name in sorted(pods) if name and name.startswith(incomplete)]
        return [CompletionItem(name, help=_pod_summary(pods[name])) for name in matching]
    try:
        resource = parse_workload_arg(f"{kind_text}/name")[0].lower() + "s"
    except ValueError:
        return []
    if resource not in RESOURCES:
        return []
    return _names(cluster.list_all(resource, namespace), name_prefix, prefix=f"{kind_text}/")


def _pod_summary(pod: Dict[str, Any]) -> str:
    """What ``kubectl get pods`` shows as STATUS, roughly: a waiting reason, else the phase.

    >>> waiting = {"name": "app", "state": {"waiting": {"reason": "ImagePullBackOff"}}}
    >>> _pod_summary({"spec": {"containers": [{"name": "app"}]}, "status": {"containerStatuses": [waiting]}})
    'ImagePullBackOff'
    >>> _pod_summary({"status": {"phase": "Failed", "reason": "Evicted"}})
    'Evicted'
    """
    for _, _, status in iter_containers(pod):
        reason = waiting_reason(status)
        if reason:
            return reason
    return str(dig(pod, "status", "reason") or dig(pod, "status", "phase") or "")


def _complete_backoff_targets(settings: Settings, incomplete: str) -> List[CompletionItem]:
    """``retry``: the pods in pull back-off first (all pods when none is), or ``TYPE/NAME``."""
    items = _complete_targets(settings, incomplete)
    stuck = [item for item in items if item.help in ("ErrImagePull", "ImagePullBackOff")]
    return stuck or items


_ARGUMENT_COMPLETERS: Dict[str, Completer] = {"retry_target": _complete_backoff_targets}
_OPTION_COMPLETERS: Dict[str, Completer] = {
    "namespace": _complete_namespaces,
    "contexts": _complete_contexts,  # --context
}


class _ClusterAware:
    """Makes click's own shell protocols (used by the scripts above) use ``complete_words``."""

    cli: click.Command

    def get_completions(self, args: List[str], incomplete: str) -> List[CompletionItem]:
        completions = complete_words(self.cli, [*args, incomplete])
        if completions.directive == Directive.DEFAULT:
            return [CompletionItem(incomplete, type="file")]
        if completions.directive == Directive.FILTER_DIRS:
            return [CompletionItem(incomplete, type="dir")]
        return completions.items


class _Bash(_ClusterAware, BashComplete):
    """bash splits words at every COMP_WORDBREAKS character, ``=`` and ``:`` among them:
    ``--namespace=pay`` arrives as ``--namespace``, ``=``, ``pay`` and
    ``arn:aws:eks:...:cluster/p`` as ``arn``, ``:``, ``aws``, ``:``, ... ``cluster/p``, and
    bash replaces only the text after the last ``=`` or ``:``. click gets each word back
    whole, and bash gets the candidates without the prefix it keeps."""

    _omitted = ""

    def get_completion_args(self) -> Tuple[List[str], str]:
        args, incomplete = super().get_completion_args()
        words, self._omitted = _rejoin_wordbreaks([*args, incomplete])
        return words[:-1], words[-1]

    def format_completion(self, item: CompletionItem) -> str:
        value = str(item.value)
        if self._omitted and value.startswith(self._omitted):
            value = value[len(self._omitted):]
        return f"{item.type},{value}"


def _rejoin_wordbreaks(words: Sequence[str]) -> Tuple[List[str], str]:
    """The words bash split at ``=`` and ``:`` glued back, and the prefix of the last word that
    bash keeps (up to and including its last ``=`` or ``:``), which candidates must leave out.

    ``--flag``, ``=``, ``value`` is one word again. ``:`` joins whatever it stands between, as
    bash-completion's ``_get_comp_words_by_ref -n :`` does: bash does not say whether spaces
    surrounded a ``=`` or ``:``, so ``--flag= value`` reads as ``--flag=value`` and ``a : b``
    as ``a:b``. bash puts a run of break characters (``::``, ``=:``) in one word.

    >>> _rejoin_wordbreaks(["why", "--namespace", "=", "pay"])
    (['why', '--namespace=pay'], '--namespace=')
    >>> _rejoin_wordbreaks(["why", "-n", "=", "x", "--output", "="])
    (['why', '-n=x', '--output='], '--output=')
    >>> _rejoin_wordbreaks(["why", "a=b", "="])
    (['why', 'a=b', '='], '')
    >>> _rejoin_wordbreaks(["--context", "arn", ":", "aws", ":", "eks", "::", "cluster/p"])
    (['--context', 'arn:aws:eks::cluster/p'], 'arn:aws:eks::')
    >>> _rejoin_wordbreaks(["--context", "=", "arn", ":", "aws", ":"])
    (['--context=arn:aws:'], '--context=arn:aws:')
    >>> _rejoin_wordbreaks(["--context", "=:", "x", "pod"])
    (['--context=:x', 'pod'], '')
    >>> _rejoin_wordbreaks([":", "a"])
    ([':a'], ':')
    """
    rejoined: List[str] = []
    omitted = ""
    value_follows = False
    for word in words:
        glue = bool(word) and not word.strip(":=")  # only break characters
        if glue and word.startswith("="):  # "=" only after a flag (without one), as kubectl's --flag=value
            glue = bool(rejoined) and rejoined[-1].startswith("-") and "=" not in rejoined[-1]
        if glue:
            if rejoined:
                rejoined[-1] += word
            else:
                rejoined.append(word)
            omitted, value_follows = rejoined[-1], True
        elif value_follows:
            omitted = rejoined[-1]
            rejoined[-1] += word
            value_follows = False
        else:
            rejoined.append(word)
            omitted = ""
    return rejoined, omitted


class _Zsh(_ClusterAware, ZshComplete):
    pass


class _Fish(_ClusterAware, FishComplete):
    # click's script splits "plain,VALUE<TAB>HELP" at every comma, so fish showed "--kubeconfig"
    # as "Path to the kubeconfig file to use (default: $KUBECONFIG": split at the first only.
    source_template = FishComplete.source_template.replace(
        'string split "," $completion', 'string split --max 1 "," -- $completion'
    )


SHELLS: Dict[str, type] = {"bash": _Bash, "zsh": _Zsh, "fish": _Fish}
for _shell_class in SHELLS.values():
    add_completion_class(_shell_class)


@click.command("completion", cls=KubectlCommand)
@click.argument("shell", type=click.Choice(list(SHELLS)))
@click.pass_context
def completion_command(ctx: click.Context, shell: str) -> None:
    """Print the shell code that completes kubectl-pullmedic.

    Load it in the current shell with `source <(kubectl-pullmedic completion bash)`
    (zsh: `source <(kubectl-pullmedic completion zsh)`; fish: `kubectl-pullmedic
    completion fish | source`), or add that line to the shell's start-up file.
    `kubectl pullmedic <TAB>` needs no script: kubectl 1.26+ asks the
    kubectl_complete-pullmedic executable installed next to the plugin.
    """
    group = ctx.find_root().command
    click.echo(SHELLS[shell](group, {}, PROG_NAME, COMPLETE_VAR).source(), nl=False)

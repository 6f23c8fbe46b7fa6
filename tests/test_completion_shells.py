"""``kubectl-pullmedic completion bash|zsh|fish`` loaded into the real shells, which are asked
for candidates the way a user's <TAB> asks them.

bash and zsh run interactively on a pseudo-terminal: the line is typed and a TAB sent, so
readline fills COMP_WORDS and zle runs compsys exactly as for a user. A small hook reports
what the shell got (bash: ``COMPREPLY`` after the registered function; zsh: each match handed
to ``compadd``) between markers, so reading stops at a marker, never after a sleep. fish is
asked through ``complete -C``, the engine behind its <TAB>. The executable answering is the
test virtualenv's ``kubectl-pullmedic``; the cluster is a sandbox named by ``KUBECONFIG``.

Each <TAB> costs a few tenths of a second (a Python process importing the CLI), so every shell
is asked every line once, the three shells at once, and the tests judge the answers.
"""

from __future__ import annotations

import codecs
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from concurrent.futures import Future, ThreadPoolExecutor
from fcntl import ioctl
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
import yaml

from kubectl_pullmedic.cli.app import cli
from kubectl_pullmedic.cli.completion import complete_words
from kubectl_pullmedic.sandbox import Sandbox
from kubectl_pullmedic.sandbox.resources import resolve
from registry_server import require_tool

pytestmark = pytest.mark.slow  # real bash, zsh and fish on a pty: about 8 s

SHELLS = ("bash", "zsh", "fish")
SUBCOMMANDS = "kubectl-pullmedic "
WHY_FLAGS = "kubectl-pullmedic why --"
SHOP_PODS = "kubectl-pullmedic why -n shop "
NAMESPACE_AFTER_EQUALS = "kubectl-pullmedic why --namespace=pay"
# EKS names contexts by cluster ARN; bash splits the word at every ":" (COMP_WORDBREAKS).
EKS_CONTEXTS = ("arn:aws:eks:us-east-1:111122223333:cluster/prod", "arn:aws:eks:us-east-1:111122223333:cluster/stage")
CONTEXT_WITH_COLONS = "kubectl-pullmedic why --context arn:aws:eks:us-east-1:111122223333:cluster/p"
CONTEXT_WITH_COLONS_AFTER_EQUALS = "kubectl-pullmedic why --context=arn:aws:eks:us-east-1:111122223333:cluster/p"
LINES = (SUBCOMMANDS, WHY_FLAGS, SHOP_PODS, NAMESPACE_AFTER_EQUALS, CONTEXT_WITH_COLONS,
         CONTEXT_WITH_COLONS_AFTER_EQUALS)

DEADLINE = 20.0  # seconds for a shell to start or to answer one <TAB>; well under one is usual
BEGIN, MATCH, END, READY = "<<begin>>", "<<match>>", "<<end>>", "<<ready>>"

# Each rc file loads the script as `completion --help` says, then wraps what the shell runs on
# <TAB> so that the candidates are printed between BEGIN and END.
BASH_RC = r"""
PS1='$ '
source <(kubectl-pullmedic completion bash)
spec=$(complete -p kubectl-pullmedic)
registered=${spec##*-F }; registered=${registered%% *}
eval "_capture_completion() {
    $registered \"\$@\"; local status=\$?
    printf '\n%s\n' '<<begin>>'; printf '%s\n' \"\${COMPREPLY[@]}\"; printf '%s\n' '<<end>>'
    return \$status
}"
eval "${spec/-F $registered /-F _capture_completion }"
printf '%s\n' '<<ready>>'
"""

ZSH_RC = r"""
PS1='$ '
bindkey -e
autoload -Uz compinit && compinit -u -D
source <(kubectl-pullmedic completion zsh)
compadd() {
    # -O, -A and -D only fill arrays (compsys filtering its own lists): nothing is offered.
    if [[ " ${@[1,(i)(-|--)]} " == *\ -[OAD]\ * ]]; then
        builtin compadd "$@"
        return
    fi
    local -a offered
    builtin compadd -O offered "$@"
    (( $#offered )) && print -rl -- '<<match>>'${^offered}
    builtin compadd "$@"
}
_capture_begin() { print -r -- '<<begin>>' }
_capture_end() {
    print -r -- '<<end>>'
    compprefuncs=(_capture_begin) comppostfuncs=(_capture_end)  # _main_complete empties both
}
compprefuncs=(_capture_begin) comppostfuncs=(_capture_end)
print -r -- '<<ready>>'
"""


class PtyShell:
    """bash or zsh, interactive on a pseudo-terminal; ``complete(line)`` types the line and a TAB."""

    def __init__(self, name: str, env: Dict[str, str], home: Path) -> None:
        self.name = name
        if name == "bash":
            (home / "bashrc").write_text(BASH_RC)
            argv = [require_tool("bash"), "--noprofile", "--rcfile", str(home / "bashrc"), "-i"]
        else:
            (home / ".zshrc").write_text(ZSH_RC)
            argv = [require_tool("zsh"), "-d", "-i"]  # -d: no /etc/zsh/zshrc, only $ZDOTDIR/.zshrc
        self.master, terminal = pty.openpty()
        ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 500, 250, 0, 0))  # no "show all?" prompt
        self.process = subprocess.Popen(
            argv, stdin=terminal, stdout=terminal, stderr=terminal, env=env, cwd=home, start_new_session=True
        )
        os.close(terminal)
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.output = ""
        try:
            self._read_until(READY)
        except BaseException:
            self.close()
            raise

    def complete(self, line: str) -> Dict[str, str]:
        """The candidates for the end of ``line`` as the shell's completion code received them
        (without descriptions: neither hook sees them)."""
        os.write(self.master, b"\x15" + line.encode() + b"\t")  # ^U: clear the previous line
        answer = self._read_until(END)
        assert BEGIN in answer, f"{self.name} printed no {BEGIN}:\n{answer}"
        lines = [text.strip() for text in answer.split(BEGIN, 1)[1].splitlines()]
        if self.name == "zsh":
            lines = [text[len(MATCH):] for text in lines if text.startswith(MATCH)]
        return {text: "" for text in lines if text}

    def _read_until(self, marker: str) -> str:
        """Output up to ``marker`` (consumed), or a failure that shows what the shell printed."""
        deadline = time.monotonic() + DEADLINE
        while marker not in self.output:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.master], [], [], left)[0]:
                raise AssertionError(f"{self.name} printed no {marker} within {DEADLINE}s:\n{self.output[-3000:]}")
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO once the shell has exited
                chunk = b""
            if not chunk:
                raise AssertionError(f"{self.name} exited before printing {marker}:\n{self.output[-3000:]}")
            self.output += self.decoder.decode(chunk)
        answer, self.output = self.output.split(marker, 1)
        return answer

    def close(self) -> None:
        os.close(self.master)  # the shell reads end-of-file and exits
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


class FishShell:
    """fish's ``complete -C`` after sourcing the script the installed executable printed."""

    def __init__(self, env: Dict[str, str], home: Path) -> None:
        self.fish, self.env = require_tool("fish"), env
        self.script = home / "kubectl-pullmedic.fish"
        printed = subprocess.run(["kubectl-pullmedic", "completion", "fish"], env=env, capture_output=True,
                                 text=True, timeout=DEADLINE, check=True)
        self.script.write_text(printed.stdout)

    def complete(self, line: str) -> Dict[str, str]:
        """Candidate to description, as ``complete -C`` prints them."""
        script = "source $argv[1]; complete --do-complete=$argv[2]"
        result = subprocess.run([self.fish, "--no-config", "-c", script, str(self.script), line],
                                env=self.env, capture_output=True, text=True, timeout=DEADLINE)
        assert result.returncode == 0 and not result.stderr, result.stderr
        return dict((text.split("\t", 1) + [""])[:2] for text in result.stdout.splitlines())

    def close(self) -> None:
        pass


def ask_every_line(name: str, env: Dict[str, str], home: Path) -> Dict[str, Dict[str, str]]:
    """One shell's answers to LINES, in one bash or zsh session."""
    home.mkdir()
    shell = FishShell(env, home) if name == "fish" else PtyShell(name, dict(env, ZDOTDIR=str(home)), home)
    try:
        return {line: shell.complete(line) for line in LINES}
    finally:
        shell.close()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(scenarios=True) as running:
        yield running


@pytest.fixture(scope="module")
def answers(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Dict[str, "Future[Dict[str, Dict[str, str]]]"]:
    """Every shell's answers, asked concurrently; a shell that could not be asked (a missing
    package, say) fails each test that reads its answers."""
    root = tmp_path_factory.mktemp("shells")
    kubeconfig = root / "kubeconfig"  # the sandbox's, with EKS_CONTEXTS for the same cluster and user
    document = yaml.safe_load(Path(sandbox.kubeconfig_path).read_text())
    sandbox_context = document["contexts"][0]["context"]
    document["contexts"] += [{"name": name, "context": dict(sandbox_context)} for name in EKS_CONTEXTS]
    kubeconfig.write_text(yaml.safe_dump(document))
    env = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES", "ENV", "BASH_ENV")}
    env.update(
        PATH=os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")]),  # the virtualenv's
        KUBECONFIG=str(kubeconfig),
        HOME=str(root),
        XDG_CONFIG_HOME=str(root / ".config"),
        XDG_DATA_HOME=str(root / ".local" / "share"),
        INPUTRC="/dev/null",
        TERM="xterm",
    )
    with ThreadPoolExecutor(len(SHELLS)) as pool:  # leaving the block waits for all three
        return {name: pool.submit(ask_every_line, name, env, root / name) for name in SHELLS}


def answer(answers: Dict[str, "Future[Dict[str, Dict[str, str]]]"], shell: str, line: str) -> Dict[str, str]:
    return answers[shell].result()[line]


def pods_held(sandbox: Sandbox, namespace: str) -> List[str]:
    """The pod names the sandbox serves in ``namespace``, read from its store."""
    page = sandbox.store.list_page(resolve("pods"), namespace, None, 0, "")
    return sorted(entry.decode()["metadata"]["name"] for entry in page.items)


def click_values(words: List[str]) -> List[str]:
    return sorted(str(item.value) for item in complete_words(cli, words).items)


@pytest.mark.parametrize("shell", SHELLS)
def test_subcommands_after_the_program_name(answers: Dict[str, Future], shell: str) -> None:
    offered = answer(answers, shell, SUBCOMMANDS)
    assert {"why", "evicted", "clean", "secrets-check", "completion"} <= set(offered)
    assert sorted(offered) == click_values([""])


@pytest.mark.parametrize("shell", SHELLS)
def test_flags_of_why_after_two_dashes(answers: Dict[str, Future], shell: str) -> None:
    offered = answer(answers, shell, WHY_FLAGS)
    assert {"--namespace", "--output", "--kubeconfig", "--context", "--all-namespaces"} <= set(offered)
    assert sorted(offered) == click_values(["why", "--"])


@pytest.mark.parametrize("shell", SHELLS)
def test_pod_names_of_the_typed_namespace_come_from_the_cluster(
    answers: Dict[str, Future], shell: str, sandbox: Sandbox
) -> None:
    shop = pods_held(sandbox, "shop")
    assert len(shop) > 5 and sorted(answer(answers, shell, SHOP_PODS)) == shop


@pytest.mark.parametrize("shell, expected", [
    ("bash", ["payments"]),  # bash split the word at "=" and replaces only "pay"
    ("zsh", ["--namespace=payments"]),
    ("fish", ["--namespace=payments"]),
])
def test_namespace_after_an_equals_sign_completes_to_the_same_line(
    answers: Dict[str, Future], shell: str, expected: List[str]
) -> None:
    """kubectl's ``--namespace=NAME`` form: each shell ends with ``--namespace=payments``."""
    assert list(answer(answers, shell, NAMESPACE_AFTER_EQUALS)) == expected


@pytest.mark.parametrize("shell, expected", [
    ("bash", ["cluster/prod"]),  # bash split the word at every ":" and replaces only "cluster/p"
    ("zsh", [EKS_CONTEXTS[0]]),
    ("fish", [EKS_CONTEXTS[0]]),
])
def test_context_with_colons_completes_to_the_same_line(
    answers: Dict[str, Future], shell: str, expected: List[str]
) -> None:
    """An EKS context name (an ARN) after ``--context``: each shell ends with the whole name."""
    assert list(answer(answers, shell, CONTEXT_WITH_COLONS)) == expected


@pytest.mark.parametrize("shell, expected", [
    ("bash", ["cluster/prod"]),
    ("zsh", ["--context=" + EKS_CONTEXTS[0]]),
    ("fish", ["--context=" + EKS_CONTEXTS[0]]),
])
def test_context_with_colons_after_an_equals_sign_completes_to_the_same_line(
    answers: Dict[str, Future], shell: str, expected: List[str]
) -> None:
    assert list(answer(answers, shell, CONTEXT_WITH_COLONS_AFTER_EQUALS)) == expected


def test_fish_shows_whole_descriptions_and_pod_statuses(answers: Dict[str, Future]) -> None:
    """click's fish script cut every description at its first comma (see completion._Fish)."""
    flags = answer(answers, "fish", WHY_FLAGS)
    helps = {str(item.value): item.help or "" for item in complete_words(cli, ["why", "--"]).items}
    assert flags == helps and any("," in text for text in flags.values())
    statuses = set(answer(answers, "fish", SHOP_PODS).values())
    assert {"Running", "ErrImagePull", "Evicted"} <= statuses

"""Golden output tests: every command of every case in tests/cases/, output compared exactly.

A case is a folder ``tests/cases/<case>/`` holding

- ``objects.yaml``: the Kubernetes objects the sandbox API server starts with (a v1 List or
  several documents, as ``kubectl get -o yaml`` prints them); or, for a case over several
  clusters, one ``objects.<context>.yaml`` per cluster (a sandbox each, one kubeconfig naming
  them as those contexts, the first current) and optionally ``unreachable-contexts`` (context
  names, one a line, each at a closed port);
- ``commands``: one command line per line, the arguments after ``kubectl pullmedic``
  (blank lines and ``#`` comments are skipped; quoting as in a shell; ``$CASE`` is the case's folder);
- ``NN-<slug>.out``: what command NN printed: the command line, its exit code, its stderr
  (each line after ``> ``) and then its stdout, verbatim to the end of the file.

Each case gets ONE sandbox per cluster; its commands run in the order listed, so a ``clean --yes`` changes
what the commands after it see. Every command goes through the real entry point,
``main(argv + ["--kubeconfig", ...], settings)``, over real HTTP, with the clock frozen at
``NOW`` (in every sandbox), colour off and a fixed environment (no proxies, no KUBECONFIG, HOME in a tmp folder).

``UPDATE_GOLDEN=1 pytest tests/test_golden.py`` rewrites the ``.out`` files (and deletes the
ones no command produces any more) instead of comparing, so changed output shows as a git diff.
The check that no secret value reaches the output is enforced in both modes.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import io
import json
import os
import re
import shlex
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

import kubernetes.client  # noqa: F401  (see below)
import kubernetes.config  # noqa: F401
import pytest

from kubectl_pullmedic.cli.main import main
from kubectl_pullmedic.sandbox import Sandbox, load_file
from kubectl_pullmedic.settings import Settings
from test_fleet import _closed_port, write_kubeconfig

# The CLI imports the kubernetes client lazily, at its first connection. Cases run in threads,
# and two threads importing that package at once can see it half-initialised (it imports
# itself in a circle), so it is imported here, once, before any thread starts.

CASES_DIR = Path(__file__).parent / "cases"
# The one instant every case is read at; objects' timestamps are written relative to it.
NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=timezone.utc)
UPDATE = os.environ.get("UPDATE_GOLDEN", "") not in ("", "0")


@dataclass(frozen=True)
class Command:
    case: str
    number: int
    line: str
    argv: Tuple[str, ...]
    forbid: Tuple[str, ...] = ()  # the sandbox's RBAC-style refusals while this command runs

    @property
    def slug(self) -> str:
        text = re.sub(r"[^a-z0-9]+", "-", " ".join(self.argv).lower()).strip("-")
        return text[:60].rstrip("-") or "no-args"

    @property
    def name(self) -> str:
        return f"{self.number:02d}-{self.slug}"

    @property
    def expected_path(self) -> Path:
        return CASES_DIR / self.case / f"{self.name}.out"


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def case_names() -> List[str]:
    return sorted(p.name for p in CASES_DIR.iterdir() if (p / "commands").is_file())


def read_commands(case: str) -> List[Command]:
    commands = []
    for raw in (CASES_DIR / case / "commands").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            # "[forbid get:secrets,get:nodes] why -n shop": the command runs as a user RBAC refuses those.
            forbid = re.match(r"\[forbid ([^\]]*)\]\s*(.*)$", line)
            rules = tuple(forbid.group(1).split(",")) if forbid else ()
            argv = tuple(shlex.split(forbid.group(2) if forbid else line))
            commands.append(Command(case, len(commands) + 1, line, argv, rules))
    return commands


def render(command: Command, result: Result) -> str:
    """The expected-file text of one run; a different run never renders the same text."""
    parts = [f"$ kubectl pullmedic {command.line}\n", f"exit code: {result.code}\n"]
    if result.stderr:
        body, newline_at_end = (result.stderr[:-1], True) if result.stderr.endswith("\n") else (result.stderr, False)
        parts.append("stderr:\n")
        parts.extend((f"> {line}" if line else ">") + "\n" for line in body.split("\n"))
        if not newline_at_end:
            parts.append("(no newline at end of stderr)\n")
    else:
        parts.append("stderr: (empty)\n")
    parts.append("stdout:\n" + result.stdout if result.stdout else "stdout: (empty)\n")
    return "".join(parts)


class _Stream(io.StringIO):
    """Not a terminal: no colour, no progress line, no confirmation prompt."""

    def isatty(self) -> bool:
        return False


def cluster_files(case: str) -> Dict[str, Path]:
    """The case's clusters: ``objects.yaml`` alone (one cluster, its sandbox's own kubeconfig), or one
    ``objects.<context>.yaml`` per context of a case over several clusters."""
    folder = CASES_DIR / case
    if (folder / "objects.yaml").is_file():
        return {"": folder / "objects.yaml"}
    return {path.name[len("objects."):-len(".yaml")]: path for path in sorted(folder.glob("objects.*.yaml"))}


def case_objects(case: str) -> List[Dict[str, Any]]:
    """Every object of every cluster of the case."""
    return [obj for path in cluster_files(case).values() for obj in load_file(path)]


def unreachable_contexts(case: str) -> List[str]:
    """The contexts named in ``unreachable-contexts``: a closed port, what a cluster that is down looks like."""
    path = CASES_DIR / case / "unreachable-contexts"
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def run_case(case: str, home: Path) -> Dict[int, Result]:
    """Start the case's sandboxes once (one per cluster) and run all its commands in order."""
    results: Dict[int, Result] = {}
    environ = {"HOME": str(home)}  # nothing else: no KUBECONFIG, no proxies, no NO_COLOR
    with ExitStack() as stack:
        sandboxes = {context: stack.enter_context(Sandbox(objects=load_file(path), clock=lambda: NOW))
                     for context, path in cluster_files(case).items()}
        down = {context: f"http://127.0.0.1:{_closed_port()}" for context in unreachable_contexts(case)}
        if "" in sandboxes:
            kubeconfig = sandboxes[""].kubeconfig_path
        else:  # one kubeconfig naming every cluster's context, then the unreachable ones; the first is current
            kubeconfig = write_kubeconfig(home / "kubeconfig", [
                (context, sandbox.url, sandbox.token, None) for context, sandbox in sandboxes.items()
            ] + [(context, url, "unused", None) for context, url in down.items()])
        # Only these tokens can differ from run to run; should one ever be printed, it is
        # replaced by a placeholder (the sandboxes' and closed ports, the kubeconfig's tmp path, HOME).
        hosts = sorted((url.split("//", 1)[1] for url in [sandbox.url for sandbox in sandboxes.values()]
                        + list(down.values())), key=len, reverse=True)  # 127.0.0.1:4372 after 127.0.0.1:43721
        unstable = [(kubeconfig, "<kubeconfig>")] + [(host, "127.0.0.1:<port>") for host in hosts] + [
            (str(home), "<home>"), (str(CASES_DIR / case), "$CASE")]

        def stable(text: str) -> str:
            for token, placeholder in unstable:
                text = text.replace(token, placeholder)
            return text

        for command in read_commands(case):
            for sandbox in sandboxes.values():
                sandbox.set_forbid(list(command.forbid))
            stdout, stderr = _Stream(), _Stream()
            settings = Settings(stdout=stdout, stderr=stderr, stdin=_Stream(), environ=dict(environ),
                                clock=lambda: NOW, color=False)
            argv = [arg.replace("$CASE", str(CASES_DIR / case)) for arg in command.argv]  # files of the case (-f)
            code = main(argv + ["--kubeconfig", kubeconfig], settings)
            results[command.number] = Result(int(code), stable(stdout.getvalue()), stable(stderr.getvalue()))
    return results


def _case_of(item: pytest.Item) -> Optional[str]:
    """The case a selected test needs run, if it needs one."""
    if "case_results" not in getattr(item, "fixturenames", ()):
        return None
    params = getattr(getattr(item, "callspec", None), "params", {})
    command = params.get("command")
    return command.case if isinstance(command, Command) else params.get("case")


@pytest.fixture(scope="module")
def case_results(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Dict[int, Result]]]:
    """Results per case. The selected cases run side by side, one thread and one sandbox each
    (inside a case, commands run one after another, in order): most of a command's time is
    spent waiting on the sandbox's replies, so this keeps the whole module fast."""
    selected = sorted({case for case in map(_case_of, request.session.items) if case})
    homes = {case: tmp_path_factory.mktemp(f"home-{case}") for case in selected}
    with ThreadPoolExecutor(max_workers=max(1, len(selected))) as pool:
        futures = {case: pool.submit(run_case, case, homes[case]) for case in selected}

        def get(case: str) -> Dict[int, Result]:
            return futures[case].result()  # an exception in a case fails only that case's tests

        yield get


ALL_COMMANDS = [command for case in case_names() for command in read_commands(case)]


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=[f"{c.case}/{c.name}" for c in ALL_COMMANDS])
def test_golden(command: Command, case_results: Callable[[str], Dict[int, Result]]) -> None:
    actual = render(command, case_results(command.case)[command.number])
    path = command.expected_path
    if UPDATE:
        if not path.exists() or path.read_text(encoding="utf-8") != actual:
            path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"{path.relative_to(CASES_DIR.parent)} is missing; create it with UPDATE_GOLDEN=1")
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                            f"expected {path.name}", "actual", n=2))
        pytest.fail(f"output of `kubectl pullmedic {command.line}` changed "
                    f"(UPDATE_GOLDEN=1 rewrites the file):\n{diff}", pytrace=False)


@pytest.mark.parametrize("case", case_names())
def test_no_stale_expected_files(case: str) -> None:
    wanted = {command.expected_path.name for command in read_commands(case)}
    stale = sorted(p for p in (CASES_DIR / case).glob("*.out") if p.name not in wanted)
    if UPDATE:
        for path in stale:
            path.unlink()
        return
    assert not stale, f"expected files no command produces (UPDATE_GOLDEN=1 deletes them): {[p.name for p in stale]}"


# ----- no credential ever reaches the output ------------------------------------------------

# Keys whose values are not credentials: user names may be printed (the ECR user is "AWS").
_NOT_SECRET = {"username", "user", "email"}
_CREDENTIAL_KEYS = {"password", "auth", "identitytoken", "registrytoken"}


def _b64(text: str) -> str:
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return ""


def _dockerconfig_values(document: Any) -> Set[str]:
    """Every credential in a .dockerconfigjson / .dockercfg document, also decoded."""
    values: Set[str] = set()
    entries = document.get("auths", document) if isinstance(document, dict) else {}
    for entry in (entries or {}).values():
        if not isinstance(entry, dict):
            continue
        for key, value in entry.items():
            if key in _CREDENTIAL_KEYS and isinstance(value, str) and value:
                values.add(value)
                if key == "auth" and ":" in _b64(value):
                    user_password = _b64(value)
                    values.update({user_password, user_password.split(":", 1)[1]})
    return values


def secret_values(objects: List[Dict[str, Any]]) -> Set[str]:
    """The decoded values of every Secret's ``data`` (and ``stringData``) in a case."""
    values: Set[str] = set()
    for obj in objects:
        if obj.get("kind") != "Secret":
            continue
        data = obj.get("data") or {}
        values.update(str(value) for key, value in data.items() if key not in _NOT_SECRET)  # as stored, base64
        plain = {key: _b64(str(value)) for key, value in data.items()}
        plain.update(obj.get("stringData") or {})
        for key, text in plain.items():
            if not text or key in _NOT_SECRET:
                continue
            try:
                document = json.loads(text)
            except ValueError:
                values.add(text)
                continue
            values.add(text)
            values |= _dockerconfig_values(document)
    return {value for value in values if len(value) >= 6}  # shorter ones would match by chance


@pytest.mark.parametrize("case", case_names())
def test_no_secret_value_in_any_output(case: str, case_results: Callable[[str], Dict[int, Result]]) -> None:
    objects = case_objects(case)
    values = secret_values(objects)
    if any(obj.get("kind") == "Secret" for obj in objects):
        assert values, "the case has Secrets but no value was found to look for"
    results = case_results(case)
    leaks = sorted({(command.name, value[:6] + "...") for command in read_commands(case) for value in values
                    if value in results[command.number].stdout or value in results[command.number].stderr})
    assert leaks == [], "secret values (shown cut short) printed by these commands"

"""Every fix command the plugin prints, pasted into the real kubectl against the sandbox.

The scenario cluster and the cluster of every golden case are diagnosed through the real CLI
(``why -A``, ``evicted -A``, ``secrets-check -A``, all ``-o json``); each ``kubectl ...`` command
found in a ``fix`` is cut out of its sentence and run by bash, as a user would paste it, with
the real kubectl against a fresh sandbox holding the same objects. It must exit 0 and change the
object as it says: ``set image`` sets that image, ``patch`` leaves the patch's fields in the
object, ``create secret`` leaves a secret of that type, ... Read-only commands only have to
succeed. ``REHEARSAL_RULES`` says which commands are not run and why; placeholders with a value
in ``SAMPLE_VALUES`` are filled in and the command is rehearsed ("filled"). ``KNOWN_BAD`` holds
printed fixes that kubectl rejects even against a faithful server: bugs in the fix text.
"""

from __future__ import annotations

import base64
import copy
import doctest
import io
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import kubernetes.client
import pytest

from conftest import KUBECTL
from kubectl_pullmedic.cli.main import main
from kubectl_pullmedic.core.quantity import parse_quantity
from kubectl_pullmedic.sandbox import Sandbox, load_file
from kubectl_pullmedic.sandbox.loading import scenario_objects
from kubectl_pullmedic.settings import Settings

Obj = Dict[str, Any]
CASES_DIR = Path(__file__).parent / "cases"
NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=timezone.utc)
DIAGNOSES = (("why", "-A", "-o", "json"), ("evicted", "-A", "-o", "json"), ("secrets-check", "-A", "-o", "json"))

# Placeholders a person fills in, with the value the rehearsal uses instead.
SAMPLE_VALUES: Dict[str, str] = {
    "<user>": "robot",
    "<password-or-token>": "s3cret-token",
    "<new-password-or-token>": "n3w-s3cret-token",
    "<tag>": "v1.0.0",
    "<corrected-image>": "registry.example.com/team/app:1.0",
    "<registry/repository:tag>": "registry.example.com/team/app:1.0",
    "<valid-image-reference>": "registry.example.com/team/app:1.0",
    '"$(aws ecr get-login-password --region us-east-1)"': "sample-ecr-token",
}
# (pattern searched in the command after filling, reason): the first match is not rehearsed.
REHEARSAL_RULES: List[Tuple[str, str]] = [
    (r"^kubectl debug\b", "kubectl debug runs a pod and attaches to it: needs a kubelet on a running node"),
    (r"^kubectl (exec|attach|logs|port-forward|cp)\b", "needs a running container (a kubelet)"),
    (r"^kubectl top\b", "needs metrics-server"),
    (r"^kubectl pullmedic clean\b(?!.*(--yes|-y\b|--dry-run))",
     "asks for confirmation on a terminal before deleting"),
    (r"^kubectl pullmedic .*--probe\b", "--probe asks the real registries over the network"),
    (r"\.\.\.", "elided with ...: not paste-ready"),
    (r"<(?!\()[^<>]*>", "placeholder without a sample value"),
    (r"\$\((?!kubectl)", "runs another tool for a value"),
]
OTHER_TOOLS = re.compile(r"(?<![\w./-])(docker|skopeo|crane|ssh|aws|gcloud|az|podman|nerdctl|ctr|crictl|oras|regctl) [a-z-]")
READ_ONLY = ("get", "describe", "events", "explain", "api-resources", "version", "auth")
# Printed fixes that kubectl rejects against a faithful server: command -> kubectl's error.
KNOWN_BAD: Dict[str, str] = {}
# Whole-line fixes bash refuses when pasted as printed (pattern -> bash's error), for core/.
KNOWN_UNPASTEABLE: Dict[str, str] = {}


# ----- finding the commands in the fixes -----------------------------------------------------

def _command_end(text: str, start: int) -> int:
    """Where a command pasted from ``text[start:]`` ends: at ``;``, ``, ``, a backtick, two spaces
    (a comment follows) or an unmatched ``)``, outside quotes and ``$(...)`` / ``<(...)``."""
    quote, depth, i = "", 0, start
    while i < len(text):
        char = text[i]
        if quote:
            if char == quote:
                quote = ""
            elif char == "\\" and quote == '"':
                i += 1
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and (char in ";`" or text.startswith(", ", i) or text.startswith("  ", i)):
            break
        i += 1
    return i


def commands_in(text: str) -> List[str]:
    """The kubectl commands in one fix sentence, in order.

    >>> commands_in("or to every new pod: kubectl patch sa default -n ml -p '{\\"a\\":1}', then kubectl rollout restart deploy/x -n ml")
    ['kubectl patch sa default -n ml -p \\'{"a":1}\\'', 'kubectl rollout restart deploy/x -n ml']
    >>> commands_in("kubectl delete pod/p -n ml  (its controller recreates it)")
    ['kubectl delete pod/p -n ml']
    """
    found, covered = [], 0
    for match in re.finditer(r"(?:^|(?<=[\s`(:]))kubectl (?=[a-z])", text):
        if match.start() < covered:
            continue  # inside the previous command: a pipe or $(...)
        end = _command_end(text, match.start())
        command = text[match.start():end].rstrip()
        if command.endswith(".") and not command.endswith("..."):
            command = command[:-1]
        found.append(command)
        covered = end
    return found


def other_tools_in(text: str) -> List[str]:
    """Commands of other tools (docker, skopeo, ...) outside the kubectl commands."""
    for command in commands_in(text):
        text = text.replace(command, " ")
    found, covered = [], 0
    for match in OTHER_TOOLS.finditer(text):
        if match.start() >= covered:
            covered = _command_end(text, match.start())
            found.append(text[match.start():covered].rstrip(" ."))
    return found


def fixes_in(document: Any) -> Iterable[str]:
    """Every string under a ``fix`` key (a list of steps, or one step), and a pattern's ``checks``."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key in ("fix", "checks"):
                yield from ([value] if isinstance(value, str) else [v for v in value if isinstance(v, str)])
            else:
                yield from fixes_in(value)
    elif isinstance(document, list):
        for item in document:
            yield from fixes_in(item)


# ----- the clusters ---------------------------------------------------------------------------

def clusters() -> Dict[str, Callable[[], Sandbox]]:
    """The scenario cluster and each golden case's, as sandboxes to start (objects parsed once)."""
    found = {"scenarios": scenario_objects(NOW)}
    for case in sorted(p.name for p in CASES_DIR.iterdir() if (p / "objects.yaml").is_file()):
        found[f"case:{case}"] = load_file(CASES_DIR / case / "objects.yaml")
    # A printed `kubectl get events ... --watch` runs until the server ends the watch: here after 1 s.
    return {name: (lambda objects=objects: Sandbox(objects=copy.deepcopy(objects), clock=lambda: NOW,
                                                   watch_timeout_seconds=1))
            for name, objects in found.items()}


class _Stream(io.StringIO):
    def isatty(self) -> bool:
        return False


def printed_fixes(sandbox: Sandbox, home: str) -> List[str]:
    fixes: List[str] = []
    for argv in DIAGNOSES:
        out = _Stream()
        settings = Settings(stdout=out, stderr=_Stream(), stdin=_Stream(), environ={"HOME": home}, color=False)
        code = main(list(argv) + ["--kubeconfig", sandbox.kubeconfig_path], settings)
        assert code in (0, 1), f"{argv} exited {code}"
        fixes.extend(fixes_in(json.loads(out.getvalue())))
    return fixes


# ----- one rehearsal --------------------------------------------------------------------------

@dataclass
class Rehearsal:
    cluster: str
    printed: str  # the command as printed
    command: str = ""  # as run: placeholders filled
    skipped: str = ""  # why it was not run
    exit_code: Optional[int] = None
    output: str = ""
    problems: List[str] = field(default_factory=list)

    @property
    def filled(self) -> bool:
        return self.command != self.printed


def plan(cluster: str, printed: str) -> Rehearsal:
    command = printed
    for placeholder, value in SAMPLE_VALUES.items():
        command = command.replace(placeholder, value)
    for pattern, reason in REHEARSAL_RULES:
        if re.search(pattern, command):
            return Rehearsal(cluster, printed, command, skipped=reason)
    return Rehearsal(cluster, printed, command)


def _without_substitutions(command: str) -> str:
    """``<(...)`` and ``$(...)`` replaced by a word, so that shlex can split the command."""
    while True:
        match = re.search(r"[<$]\(", command)
        if not match:
            return command
        end = _command_end(command, match.end())
        command = command[:match.start()] + "SUBSTITUTED" + command[end + 1:]


@dataclass
class Parsed:
    """The first kubectl of a pipeline: what it does (``set image``, ``patch``, ``create secret
    generic``, ...), the object it names, its other words and its flags."""

    action: str
    kind: str = ""
    name: str = ""
    namespace: str = "default"
    words: List[str] = field(default_factory=list)
    flags: Dict[str, str] = field(default_factory=dict)

    @property
    def writes(self) -> bool:
        return self.action.split()[0] not in READ_ONLY + ("pullmedic",)


TAKES_VALUE = {"-n", "--namespace", "-c", "--containers", "-p", "--patch", "--type", "-o", "--output", "-f"}
TWO_WORD_ACTIONS = ("set", "rollout", "create")


def parse(command: str) -> Parsed:
    """
    >>> parse("kubectl set image deployment/api app=x:1 -n shop")
    Parsed(action='set image', kind='deployment', name='api', namespace='shop', words=['app=x:1'], flags={'-n': 'shop'})
    >>> parse("kubectl patch serviceaccount default -n ml -p '{}'").name
    'default'
    """
    tokens = shlex.split(_without_substitutions(command).split(" | ")[0])[1:]
    positional: List[str] = []
    flags: Dict[str, str] = {}
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.startswith("-") and "=" in token:
            flag, _, value = token.partition("=")
            flags[flag] = value
        elif token in TAKES_VALUE and i + 1 < len(tokens):
            flags[token], i = tokens[i + 1], i + 1
        elif token.startswith("-"):
            flags[token] = ""
        else:
            positional.append(token)
        i += 1
    size = 3 if positional[:2] == ["create", "secret"] else 2 if positional[0] in TWO_WORD_ACTIONS else 1
    parsed = Parsed(" ".join(positional[:size]), flags=flags,
                    namespace=flags.get("-n") or flags.get("--namespace") or "default")
    rest = positional[size:]
    if parsed.writes and rest:
        kind, slash, name = rest[0].partition("/")
        if parsed.action.startswith("create secret"):
            parsed.kind, parsed.name, rest = "secret", rest[0], rest[1:]
        elif parsed.action in ("cordon", "uncordon"):
            parsed.kind, parsed.name, rest = "node", rest[0], rest[1:]
        elif slash:
            parsed.kind, parsed.name, rest = kind, name, rest[1:]
        elif len(rest) > 1:
            parsed.kind, parsed.name, rest = rest[0], rest[1], rest[2:]
    parsed.words = rest
    return parsed


def _contains(actual: Any, wanted: Any) -> bool:
    """Whether a strategic or merge patch's content is in the object (list items by content)."""
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(
            key.startswith("$") or (value is None and key not in actual) or (key in actual and _contains(actual[key], value))
            for key, value in wanted.items())
    if isinstance(wanted, list):
        return isinstance(actual, list) and all(any(_contains(item, w) for item in actual) for w in wanted)
    return actual == wanted


def _pod_spec(obj: Obj) -> Obj:
    spec = obj.get("spec") or {}
    if obj["kind"] == "Pod":
        return spec
    if obj["kind"] == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    return (spec.get("template") or {}).get("spec") or {}


def _container(obj: Obj, name: str) -> Obj:
    spec = _pod_spec(obj)
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        if container.get("name") == name:
            return container
    return {}


def _dockerconfig_servers(secret: Obj) -> List[str]:
    raw = (secret.get("data") or {}).get(".dockerconfigjson", "")
    return list((json.loads(base64.b64decode(raw) or b"{}").get("auths") or {}).keys())


def _secret_problems(command: str, parsed: Parsed, secret: Optional[Obj]) -> List[str]:
    if secret is None:
        return [f"secret {parsed.name} does not exist"]
    docker = parsed.action == "create secret docker-registry"
    wanted_type = "kubernetes.io/dockerconfigjson" if docker else parsed.flags.get("--type", "Opaque")
    problems = [] if secret.get("type") == wanted_type else [f"type is {secret.get('type')}, not {wanted_type}"]
    server = parsed.flags.get("--docker-server")
    if server and server not in _dockerconfig_servers(secret):
        problems.append(f"no auths entry for {server}")
    annotations = secret["metadata"].get("annotations") or {}
    if " | kubectl apply " in command and "kubectl.kubernetes.io/last-applied-configuration" not in annotations:
        problems.append("kubectl apply left no last-applied-configuration")
    return problems


def unknown_fields(value: Any, type_name: str, path: str = "") -> List[str]:
    """Fields of a patch that the kind's Go type does not have, which kube-apiserver refuses under
    ``fieldValidation=Strict`` (kubectl's default). The sandbox knows no schemas, so the types
    come from the ``kubernetes`` client's generated models.

    >>> unknown_fields({"spec": {"template": {"spec": {"imagePullSecret": []}}}}, "V1Deployment")
    ['spec.template.spec.imagePullSecret']
    """
    if type_name.startswith("List[") and isinstance(value, list):
        return [field for item in value for field in unknown_fields(item, type_name[5:-1], path)]
    model = getattr(kubernetes.client, type_name, None)
    if model is None or not isinstance(value, dict) or not hasattr(model, "attribute_map"):
        return []  # a scalar, a map of scalars, or free-form
    types = {json_name: model.openapi_types[name] for name, json_name in model.attribute_map.items()}
    found = []
    for key, item in value.items():
        if key.startswith("$"):
            continue  # a strategic merge directive
        field_path = f"{path}.{key}" if path else key
        found.extend(unknown_fields(item, types[key], field_path) if key in types else [field_path])
    return found


def check_change(command: str, old: Optional[Obj], new: Optional[Obj]) -> List[str]:
    """What the command should have changed in its object (``old`` before, ``new`` after) and
    did not; [] when all is as it says.

    >>> deploy = {"kind": "Deployment", "metadata": {"resourceVersion": "1"},
    ...           "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "x:1"}]}}}}
    >>> check_change("kubectl set image deployment/d app=x:2", deploy, deploy)
    ['nothing was written', 'container app has image x:1, not x:2']
    """
    parsed = parse(command)
    if not parsed.writes:
        return []
    if parsed.action.startswith("create secret"):
        return _secret_problems(command, parsed, new)
    if parsed.action == "delete":
        return [] if new is None else [f"{parsed.kind}/{parsed.name} still exists"]
    if new is None or old is None:
        return [f"{parsed.kind}/{parsed.name} does not exist"]
    problems = [] if new["metadata"]["resourceVersion"] != old["metadata"]["resourceVersion"] else ["nothing was written"]
    if parsed.action == "set image":
        for pair in parsed.words:
            container, _, image = pair.partition("=")
            if _container(new, container).get("image") != image:
                problems.append(f"container {container} has image {_container(new, container).get('image')}, not {image}")
    elif parsed.action == "set resources":
        resources = _container(new, parsed.flags.get("-c") or parsed.flags.get("--containers", "")).get("resources") or {}
        for part in ("limits", "requests"):
            for pair in filter(None, parsed.flags.get("--" + part, "").split(",")):
                resource, _, quantity = pair.partition("=")
                if parse_quantity((resources.get(part) or {}).get(resource)) != parse_quantity(quantity):
                    problems.append(f"{part}.{resource} is {(resources.get(part) or {}).get(resource)}, not {quantity}")
    elif parsed.action == "patch" and parsed.flags.get("--type", "strategic") in ("strategic", "merge"):
        patch = json.loads(parsed.flags.get("-p") or parsed.flags.get("--patch") or "{}")
        if not _contains(new, patch):
            problems.append("the patch's fields are not in the object")
        problems.extend(f'a real server refuses it: strict decoding error: unknown field "{field}"'
                        for field in unknown_fields(patch, "V1" + new["kind"]))
    elif parsed.action in ("cordon", "uncordon"):
        if bool((new.get("spec") or {}).get("unschedulable")) != (parsed.action == "cordon"):
            problems.append(f"node {parsed.name} is not {parsed.action}ed")
    elif parsed.action == "rollout restart":
        template = ((new.get("spec") or {}).get("template") or {}).get("metadata") or {}
        if "kubectl.kubernetes.io/restartedAt" not in (template.get("annotations") or {}):
            problems.append("no restartedAt annotation on the pod template")
    return problems


def rehearse(rehearsal: Rehearsal, start: Callable[[], Sandbox]) -> Rehearsal:
    """Run the command by bash, every kubectl in it pointed at a fresh sandbox, and check it."""
    parsed = parse(rehearsal.command.split(" && ")[-1])  # "delete X && create X": what the last step leaves
    with start() as sandbox, tempfile.TemporaryDirectory() as home:
        prefix = f"{KUBECTL} --kubeconfig={sandbox.kubeconfig_path} --cache-dir={home}/cache "
        shell = re.sub(r"(?:^|(?<=[\s(]))kubectl (?!pullmedic)", lambda _: prefix, rehearsal.command)
        env = dict(os.environ, HOME=home, KUBECONFIG=sandbox.kubeconfig_path,
                   PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
        old = sandbox.get(parsed.kind, parsed.namespace, parsed.name) if parsed.kind else None
        # In the scratch home: a fix that saves an object to a file (``> pod.yaml``) writes it there,
        # never into the checkout the tests run from.
        result = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True, text=True,
                                env=env, cwd=home, timeout=90, check=False)
        rehearsal.exit_code = result.returncode
        rehearsal.output = (result.stdout + result.stderr).strip()
        allowed = (0, 1) if parsed.action == "pullmedic" else (0,)  # 1: the plugin found problems
        if result.returncode not in allowed:
            rehearsal.problems.append(f"exit code {result.returncode}: {rehearsal.output}")
        else:
            new = sandbox.get(parsed.kind, parsed.namespace, parsed.name) if parsed.kind else None
            rehearsal.problems.extend(check_change(rehearsal.command.split(" && ")[-1], old, new))
    return rehearsal


# ----- the tests ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def starters() -> Dict[str, Callable[[], Sandbox]]:
    return clusters()


@pytest.fixture(scope="module")
def printed(starters: Dict[str, Callable[[], Sandbox]], tmp_path_factory: pytest.TempPathFactory) -> Dict[str, List[str]]:
    """The fixes each cluster's diagnoses print."""
    found = {}
    for cluster, start in starters.items():
        with start() as sandbox:
            found[cluster] = printed_fixes(sandbox, str(tmp_path_factory.mktemp("home")))
    return found


@pytest.fixture(scope="module")
def rehearsals(starters: Dict[str, Callable[[], Sandbox]], printed: Dict[str, List[str]]) -> List[Rehearsal]:
    """Every printed kubectl command of every cluster, rehearsed or skipped with a reason."""
    planned: Dict[str, Rehearsal] = {}
    for cluster, fixes in printed.items():
        for fix in fixes:  # a command printed for several clusters is rehearsed in the first
            for command in commands_in(fix):
                planned.setdefault(command, plan(cluster, command))
            for other in other_tools_in(fix):
                planned.setdefault(other, Rehearsal(cluster, other, other, skipped="not kubectl"))
    pending = [r for r in planned.values() if not r.skipped]
    with ThreadPoolExecutor(max_workers=8) as pool:  # each with its own sandbox; mostly waiting on kubectl
        list(pool.map(lambda r: rehearse(r, starters[r.cluster]), pending))
    return list(planned.values())


def table(rehearsals: List[Rehearsal]) -> str:
    """One line per distinct command: how it went, then the command as printed."""
    lines, seen = [], set()
    order = sorted(rehearsals, key=lambda r: (bool(r.problems), r.skipped, r.printed))
    for r in order:
        if r.printed in seen:
            continue
        seen.add(r.printed)
        outcome = ("FAILED" if r.problems else "skipped: " + r.skipped if r.skipped
                   else "rehearsed (filled)" if r.filled else "rehearsed")
        lines.append(f"{outcome:<60}  {r.printed}")
    return "\n".join(lines)


def test_every_printed_fix_is_accepted_and_does_what_it_says(rehearsals: List[Rehearsal]) -> None:
    print("\n" + table(rehearsals))
    failed = [r for r in rehearsals if r.problems and r.printed not in KNOWN_BAD]
    assert not failed, "\n\n".join(
        f"[{r.cluster}] {r.printed}\n  ran: {r.command}\n  " + "\n  ".join(r.problems) for r in failed)
    fixed = [command for command in KNOWN_BAD if not any(r.printed == command and r.problems for r in rehearsals)]
    assert not fixed, f"these fixes no longer fail (or are no longer printed): take them out of KNOWN_BAD: {fixed}"


def test_fixes_that_are_a_whole_command_paste_as_they_are(printed: Dict[str, List[str]]) -> None:
    """A fix that is nothing but a command will be pasted whole: bash must accept all of it."""
    refused = {}
    for line in sorted({fix for fixes in printed.values() for fix in fixes if fix.startswith("kubectl ")}):
        check = subprocess.run(["bash", "-n", "-c", line], capture_output=True, text=True, check=False)
        if check.returncode != 0:
            refused[line] = check.stderr.strip().splitlines()[0]
    unexpected = {line: error for line, error in refused.items()
                  if not any(re.fullmatch(pattern, line) for pattern in KNOWN_UNPASTEABLE)}
    assert not unexpected, "bash refuses these fixes as printed:\n" + "\n".join(f"{k}\n  {v}" for k, v in unexpected.items())
    gone = [pattern for pattern in KNOWN_UNPASTEABLE if not any(re.fullmatch(pattern, line) for line in refused)]
    assert not gone, f"no longer printed or refused: take them out of KNOWN_UNPASTEABLE: {gone}"


def test_the_rehearsal_covers_every_kind_of_change(rehearsals: List[Rehearsal]) -> None:
    """The rehearsal must not quietly stop running the fixes that change the cluster."""
    passed = {parse(r.command).action for r in rehearsals if r.exit_code == 0 and not r.problems}
    wanted = {"set image", "set resources", "patch", "rollout restart", "delete",
              "create secret docker-registry", "create secret generic"}
    assert wanted <= passed, f"never rehearsed: {sorted(wanted - passed)}"
    assert any(" | kubectl apply -f -" in r.command and r.exit_code == 0 for r in rehearsals)


def test_commands_are_cut_out_of_their_sentences() -> None:
    assert commands_in("check kubectl describe node node-c; kubectl debug node/node-c -it --image=busybox -- df -h") == [
        "kubectl describe node node-c", "kubectl debug node/node-c -it --image=busybox -- df -h"]
    assert commands_in("(kubectl create secret docker-registry NAME --docker-server=r:5000 ...)") == [
        "kubectl create secret docker-registry NAME --docker-server=r:5000 ..."]
    piped = ("copy it: kubectl create secret generic p -n a --from-file=.d=<(kubectl get secret p -n b "
             "-o jsonpath='{.data.\\.d}' | base64 -d)")
    assert commands_in(piped) == [piped[len("copy it: "):]]
    assert commands_in("`kubectl pullmedic why` with `--probe` asks") == ["kubectl pullmedic why"]
    assert other_tools_in("run `docker login docker.io` then `docker pull x`: if that pulls") == [
        "docker login docker.io", "docker pull x"]
    assert other_tools_in("with `gcloud artifacts docker images list eu/r` and") == ["gcloud artifacts docker images list eu/r"]


def test_placeholders_are_filled_or_the_command_is_skipped() -> None:
    filled = plan("c", "kubectl create secret docker-registry r --docker-username=<user> --docker-password=<password-or-token>")
    assert not filled.skipped and filled.filled and "<" not in filled.command
    assert plan("c", "kubectl set image deploy/x x=<unknown> -n a").skipped == "placeholder without a sample value"
    assert plan("c", "kubectl debug node/n -it --image=busybox").skipped.startswith("kubectl debug")
    assert plan("c", "kubectl pullmedic clean -n a").skipped.startswith("asks for confirmation")
    assert not plan("c", "kubectl pullmedic clean -n a --dry-run=client").skipped


def test_doctests() -> None:
    result = doctest.testmod(sys.modules[__name__])
    assert result.attempted > 0 and result.failed == 0


def _workload(kind: str, name: str, namespace: str) -> Obj:
    """A minimal workload of ``kind`` whose pod template has one container ``app``."""
    template = {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "app", "image": "app:1"}]}}
    spec: Obj = {"selector": {"matchLabels": {"app": name}}, "template": template}
    if kind == "CronJob":
        spec = {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": template}}}
    group = "batch/v1" if kind == "CronJob" else "apps/v1"
    return {"apiVersion": group, "kind": kind, "metadata": {"name": name, "namespace": namespace}, "spec": spec}


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "CronJob"])
def test_template_patches_and_set_image_work_for_every_patchable_kind(kind: str, make_sandbox, kubectl) -> None:
    """The fix builders for the kinds no cluster above happens to print, rehearsed directly."""
    from kubectl_pullmedic.core.workloads import PATCHABLE_KINDS, patch_template_command, workload_ref

    assert kind in PATCHABLE_KINDS
    sb = make_sandbox(objects=[_workload(kind, "w", "team")])
    fragments = [{"spec": {"imagePullSecrets": [{"name": "pull"}]}},
                 {"spec": {"containers": [{"name": "app", "imagePullPolicy": "IfNotPresent"}]}},
                 {"metadata": {"annotations": {"cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes": "scratch"}}}]
    for fragment in fragments:
        command = patch_template_command(kind, "w", "team", fragment)
        before = sb.get(kind, "team", "w")
        kubectl(sb, *shlex.split(command)[1:])
        assert check_change(command, before, sb.get(kind, "team", "w")) == []
    command = f"kubectl set image {workload_ref(kind, 'w')} app=app:2 -n team"
    before = sb.get(kind, "team", "w")
    kubectl(sb, *shlex.split(command)[1:])
    assert check_change(command, before, sb.get(kind, "team", "w")) == []

"""The layout ARCHITECTURE.md draws, held: layers import one way, no cycle, no huge module.

Imports are read from the source (imports inside functions count too), so a lazy import that
crosses a layer is caught as well as a top-level one.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Set

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kubectl_pullmedic"
MAX_LINES = 400


def _modules() -> Dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(module: str) -> Set[str]:
    """Every module or package of this project, or outside name, that ``module`` imports."""
    path = MODULES[module]
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: Set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            prefix = ".".join(base[: len(base) - node.level + 1] + ([node.module] if node.module else [])) \
                if node.level else (node.module or "")
            found.add(prefix)
            found.update(f"{prefix}.{alias.name}" for alias in node.names if f"{prefix}.{alias.name}" in MODULES)
    return found


def _project_edges(module: str) -> Set[str]:
    edges = set()
    for name in _imports(module):
        while name and name not in MODULES and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in MODULES and name != module:
            edges.add(name)
    return edges


def test_no_import_cycle() -> None:
    graph = {module: _project_edges(module) for module in MODULES}
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    cycles: List[List[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for module in sorted(graph):
        if module not in index:
            visit(module)
    assert cycles == []


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


# What each layer may import from this project (besides itself and the shared settings/errors).
ALLOWED = {
    "core": {"core"},
    "render": {"core", "render"},
    "cluster": {"core", "cluster", "errors", ""},  # "": the package root, for __version__ in the User-Agent
    "registry": {"core", "registry"},
    "engine": {"core", "cluster", "engine", "errors"},
    "cli": {"cli", "core", "cluster", "engine", "registry", "render", "errors", "settings", "sandbox", ""},
}
# Outside packages a pure or rendering layer must never load.
FORBIDDEN_OUTSIDE = {
    "core": ("click", "kubernetes", "urllib3", "tabulate", "yaml"),
    "render": ("click", "kubernetes", "urllib3"),
    "engine": ("click", "kubernetes", "urllib3", "tabulate"),
}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) in ALLOWED))
def test_layers_import_one_way(module: str) -> None:
    layer = _layer(module)
    crossing = sorted(target for target in _project_edges(module) if _layer(target) not in ALLOWED[layer])
    assert crossing == [], f"{module} ({layer}) imports {crossing}"
    outside = sorted(name for name in _imports(module)
                     if name.split(".")[0] in FORBIDDEN_OUTSIDE.get(layer, ()))
    assert outside == [], f"{module} ({layer}) imports {outside}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_over_the_limit(module: str) -> None:
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines"


@pytest.mark.parametrize("call", [
    "main(['--help'])", "main(['why', '--help'])", "main(['clean', '--help'])", "complete(['ev'])",
    "complete(['why', '--o'])",
])
def test_help_and_completion_load_neither_kubernetes_nor_urllib3(call: str) -> None:
    code = ("import sys, contextlib, io\n"
            "from kubectl_pullmedic.cli.main import main, complete\n"
            f"with contextlib.redirect_stdout(io.StringIO()):\n    {call}\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'kubernetes', 'urllib3'}))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


@pytest.mark.parametrize("command, absent", [
    ("why", ("kubectl_pullmedic.sandbox", "kubectl_pullmedic.cli.demo", "kubectl_pullmedic.cli.clean")),
    ("evicted", ("kubectl_pullmedic.sandbox", "kubectl_pullmedic.cli.retry", "kubectl_pullmedic.engine.watch")),
])
def test_a_command_loads_only_its_own_subcommand(command: str, absent: tuple) -> None:
    """The group imports a subcommand's module when it is run: ``why`` never loads the sandbox ``demo`` serves."""
    code = ("import sys, contextlib, io\n"
            "from kubectl_pullmedic.cli.main import main\n"
            f"with contextlib.redirect_stdout(io.StringIO()):\n    main(['{command}', '--help'])\n"
            f"print(sorted(m for m in sys.modules if m.startswith({absent!r})))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_only_the_kubeconfig_boundary_imports_kubernetes() -> None:
    """The client's loader and exec provider are used at one boundary: kubeconfig (it hands the provider to execplugin)."""
    importers = sorted(module for module in MODULES
                       if any(name.split(".")[0] == "kubernetes" for name in _imports(module)))
    assert importers == ["kubectl_pullmedic.cluster.kubeconfig"]


TOP_LEVEL = {".ci", ".gitignore", "ARCHITECTURE.md", "LICENSE", "README.md", "benchmarks", "krew-manifest",
             "kubectl_pullmedic", "plugin.yaml", "pyproject.toml", "setup.cfg", "tests"}


def test_the_top_level_holds_only_the_projects_own_entries() -> None:
    """Nothing a test or a pasted fix wrote (``kubectl get pod x -o yaml > x.yaml``) is committed beside them."""
    tracked = subprocess.run(["git", "ls-files"], cwd=PACKAGE.parent, capture_output=True, text=True, check=True).stdout
    if not tracked:
        pytest.skip("not a git checkout")
    assert {line.split("/", 1)[0] for line in tracked.splitlines()} == TOP_LEVEL

"""Every docstring example in the package runs: one test per module of kubectl_pullmedic.

Modules are found by walking the installed package (subpackages and the sandbox included), so
a new module's examples run without being listed here. A failure shows doctest's own report.
"""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil
from pathlib import Path
from typing import List

import pytest

import kubectl_pullmedic

# `python -m kubectl_pullmedic` runs the CLI (and exits) as soon as it is imported, so it is
# never imported here; kubectl_pullmedic.sandbox.__main__ guards its main() and is collected.
RUNS_WHEN_IMPORTED = {"kubectl_pullmedic.__main__"}

# Modules whose examples are their specification: they must keep having some.
MUST_HAVE_EXAMPLES = {
    "kubectl_pullmedic.cluster.kubeconfig",
    "kubectl_pullmedic.core.evictions.fixes",
    "kubectl_pullmedic.core.evictions.messages",
    "kubectl_pullmedic.core.evictions.parse",
    "kubectl_pullmedic.core.pulls.classify",
    "kubectl_pullmedic.core.pulls.imageref",
    "kubectl_pullmedic.core.quantity",
    "kubectl_pullmedic.core.suggest",
    "kubectl_pullmedic.core.workloads",
    "kubectl_pullmedic.cli.completion",
}


def _raise(name: str) -> None:
    raise ImportError(f"cannot import {name} while walking kubectl_pullmedic")


def package_modules() -> List[str]:
    prefix = kubectl_pullmedic.__name__ + "."
    walked = pkgutil.walk_packages(kubectl_pullmedic.__path__, prefix, onerror=_raise)
    return sorted({kubectl_pullmedic.__name__, *(info.name for info in walked)} - RUNS_WHEN_IMPORTED)


MODULES = package_modules()


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    tests = sorted(doctest.DocTestFinder().find(module, name), key=lambda test: test.name)
    runner = doctest.DocTestRunner(verbose=False)
    report = io.StringIO()
    failed = attempted = 0
    for test in tests:
        result = runner.run(test, out=report.write)
        failed, attempted = failed + result.failed, attempted + result.attempted
    if failed:
        pytest.fail(f"{failed} of {attempted} examples failed in {name}:\n{report.getvalue()}", pytrace=False)
    if name in MUST_HAVE_EXAMPLES:
        assert attempted > 0, f"{name} has lost its docstring examples"


def test_the_walk_finds_subpackages_and_the_sandbox() -> None:
    assert {"kubectl_pullmedic.cluster.kubeconfig", "kubectl_pullmedic.core.evictions.parse",
            "kubectl_pullmedic.sandbox.api", "kubectl_pullmedic.sandbox.__main__"} <= set(MODULES)
    assert MUST_HAVE_EXAMPLES <= set(MODULES)


def test_modules_left_out_hold_no_examples() -> None:
    """A module that is never imported here must not hide examples that would never run."""
    root = Path(kubectl_pullmedic.__file__).parent
    for name in RUNS_WHEN_IMPORTED:
        path = root.joinpath(*name.split(".")[1:]).with_suffix(".py")
        assert ">>>" not in path.read_text(), f"{path} has examples, but importing it runs the CLI"

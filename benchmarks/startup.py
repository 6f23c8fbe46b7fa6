"""Start-up of the Krew-installed plugin against the pip-installed entry point, same Python.

    python benchmarks/startup.py [--python /path/to/python3.X] [--runs 7]

Builds the release archive, installs it as Krew would, and pip-installs the project into a
fresh virtualenv with the dependency versions the archive bundles (so the only difference is
the launcher and the unzipped tree). Each command runs once to warm up (the Krew install
compiles what it imports on its first run, pip compiled at install time), then --runs times
each, alternating; the medians and the ratio Krew/pip are printed. Target: at most 1.5x.
Exits 1 when a ratio misses the target. Needs PyPI for the virtualenv.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "krew-manifest"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import krew_install  # noqa: E402
import release_bundle  # noqa: E402
import release_manifest  # noqa: E402
from synthetic import run_measured  # noqa: E402

from kubectl_pullmedic.sandbox import Sandbox  # noqa: E402

TARGET_RATIO = 1.5


def load_build_script() -> Any:
    spec = importlib.util.spec_from_file_location("pullmedic_krew_build", ROOT / "krew-manifest" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def krew_plugin(workdir: Path, python: str) -> Path:
    """Build and install the archive; return Krew's bin folder with python3 pointing at python."""
    release = load_build_script().build_release(dist_dir=workdir / "dist", environ={})
    manifest = workdir / "plugin.yaml"
    manifest.write_text(release.plugin_manifest)
    installed = krew_install.install(manifest, release.archive, workdir / "krew")
    (installed.link.parent / "python3").symlink_to(python)
    return installed.link.parent


def pip_plugin(workdir: Path, python: str) -> Path:
    """A virtualenv with the project and the bundle's dependency versions; return its bin."""
    venv = workdir / "venv"
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    constraints = workdir / "constraints.txt"
    constraints.write_text("".join(w.requirement.split(" ")[0] + "\n" for w in release_bundle.read_lock()))
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-c", str(constraints), str(ROOT)],
        check=True,
    )
    return venv / "bin"


def wall_seconds(command: Sequence[str], env: Dict[str, str]) -> float:
    return run_measured(list(command), keep_output=False, env=env).wall


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable, help="the interpreter both installs run on")
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args(argv)
    python = os.path.realpath(options.python)
    with tempfile.TemporaryDirectory() as scratch, Sandbox(scenarios=True) as sandbox:
        workdir = Path(scratch)
        krew_bin, pip_bin = krew_plugin(workdir, python), pip_plugin(workdir, python)
        env = dict(os.environ, PATH=f"{krew_bin}{os.pathsep}{os.environ['PATH']}")
        kubeconfig = ["--kubeconfig", sandbox.kubeconfig_path]
        commands: List[List[str]] = [
            ["--version"], ["--help"], ["why", "-A", *kubeconfig], ["secrets-check", "-A", *kubeconfig],
        ]
        print(f"python {python}, {options.runs} runs each, medians in seconds")
        print(f"{'command':<22}{'krew 1st run':>14}{'pip':>9}{'krew':>9}{'krew/pip':>10}")
        worst = 0.0
        for args in commands:
            krew = [str(krew_bin / release_manifest.LAUNCHER), *args]
            pip = [str(pip_bin / release_manifest.LAUNCHER), *args]
            first_run = wall_seconds(krew, env)
            wall_seconds(pip, env)
            krew_times, pip_times = [], []
            for _ in range(options.runs):
                krew_times.append(wall_seconds(krew, env))
                pip_times.append(wall_seconds(pip, env))
            krew_median, pip_median = statistics.median(krew_times), statistics.median(pip_times)
            ratio = krew_median / pip_median
            worst = max(worst, ratio)
            print(f"{' '.join(args[:2]):<22}{first_run:>14.3f}{pip_median:>9.3f}{krew_median:>9.3f}{ratio:>9.2f}x")
        verdict = "meets" if worst <= TARGET_RATIO else "misses"
        print(f"worst ratio {worst:.2f}x {verdict} the {TARGET_RATIO}x target")
    return 0 if worst <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())

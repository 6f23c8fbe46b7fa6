"""The installed package holds every file the tree's package has: `pip install .` (the README's first
command, not the editable install the tests run from) must carry the sandbox's scenarios and
incidents, or the demo fails on a fresh machine."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # builds a wheel
def test_the_wheel_holds_every_file_of_the_package(tmp_path: Path) -> None:
    tracked = subprocess.run(["git", "ls-files", "kubectl_pullmedic"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    assert any(name.endswith("incidents/missing-pull-secret.yaml") for name in tracked)
    # A copy of the tree, so no build/ left by an earlier build hides a file setup.cfg leaves out.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv*", "build", "dist", "*.egg-info",
                                                                "__pycache__", ".pytest_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(source)],
                   check=True, capture_output=True)
    (wheel,) = tmp_path.glob("kubectl_pullmedic-*.whl")
    packed = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in tracked if name not in packed]
    assert not missing, f"not installed by pip install .: {missing}"

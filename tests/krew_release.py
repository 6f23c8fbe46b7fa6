"""Helpers for the Krew tests: one fresh release build per session, Krew-style installs, Pythons.

The build script's modules live in krew-manifest/ (not a package: the folder name has a dash),
so that folder is put on sys.path here. Wheels are cached between sessions (see build.py), so
only the first session on a machine downloads them.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "krew-manifest"))

import krew_install  # noqa: E402
import release_manifest  # noqa: E402


def _load_build_script() -> Any:
    """krew-manifest/build.py under a name that cannot clash with PyPA's ``build`` package."""
    spec = importlib.util.spec_from_file_location("pullmedic_krew_build", ROOT / "krew-manifest" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


build = _load_build_script()

SUPPORTED_PYTHONS = ("3.9", "3.10", "3.11", "3.12", "3.13")
_RELEASES: Dict[str, Any] = {}


def fresh_release(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The archive this tree builds, built once per session (SOURCE_DATE_EPOCH ignored)."""
    if "release" not in _RELEASES:
        dist = tmp_path_factory.mktemp("dist")
        _RELEASES["release"] = build.build_release(dist_dir=dist, environ={})
    return _RELEASES["release"]


def install_release(release: Any, krew_root: Path) -> krew_install.Installed:
    """``kubectl krew install --manifest=... --archive=...`` of the fresh release."""
    manifest = krew_root.parent / "plugin.yaml"
    manifest.write_text(release.plugin_manifest)
    return krew_install.install(manifest, release.archive, krew_root)


def plugin_bin(installed: krew_install.Installed, python: str) -> Path:
    """Krew's bin folder, set up as the caveats say, with ``python3`` being ``python``."""
    bin_dir = installed.link.parent
    completion = bin_dir / release_manifest.COMPLETION_LAUNCHER
    if not completion.exists():
        completion.symlink_to(release_manifest.LAUNCHER)
    python_link = bin_dir / "python3"
    if python_link.is_symlink():
        python_link.unlink()
    python_link.symlink_to(python)
    return bin_dir


def env_with_bin(bin_dir: Path, **extra: str) -> Dict[str, str]:
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    env.update(extra)
    return env


def _real_executable(candidate: str) -> Optional[str]:
    try:
        result = subprocess.run(
            [candidate, "-c", "import sys; print(sys.executable)"], capture_output=True, text=True, timeout=30
        )
    except OSError:
        return None
    return os.path.realpath(result.stdout.strip()) if result.returncode == 0 and result.stdout.strip() else None


def find_python(version: str) -> Optional[str]:
    """A working interpreter for ``version``: on PATH, else from pyenv's versions folder."""
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates = [shutil.which(f"python{version}") or ""]
    candidates += sorted(glob.glob(os.path.join(pyenv_root, "versions", f"{version}.*", "bin", f"python{version}")))
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == version:
        candidates.append(sys.executable)
    for candidate in filter(None, candidates):
        found = _real_executable(candidate)
        if found:
            return found
    return None


def oldest_and_newest_pythons() -> List[str]:
    """The oldest and the newest supported Python on this machine (one if they are the same)."""
    found = [python for python in map(find_python, SUPPORTED_PYTHONS) if python]
    return list(dict.fromkeys([found[0], found[-1]])) if found else [sys.executable]

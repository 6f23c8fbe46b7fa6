"""The archive's ``lib/``: the plugin's package and its pinned pure-Python dependencies.

Wheels are listed in ``bundle.lock`` by exact file name and sha256, fetched once with pip
(``pip download --no-deps --require-hashes``, asking for each wheel's own tags, so nothing is
resolved at build time) into a cache folder, and unpacked here rather than by ``pip install``,
which would add installer records, absolute paths and compiled files that differ per machine.
"""

from __future__ import annotations

import configparser
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from release_archive import Entry

LOCK_FILE = Path(__file__).with_name("bundle.lock")
LIBRARY_DIR = "lib"
# The oldest Python the bundle must run on; every locked wheel has to accept it.
BUNDLE_PYTHON = "3.9"
COMPILED_SUFFIXES = (".so", ".pyd", ".dylib", ".dll", ".pyc", ".pyo")
# Installer bookkeeping in a wheel's .dist-info: RECORD would list files dropped here, WHEEL
# names the build tags. Licences and METADATA stay.
DROPPED_DIST_INFO_FILES = ("RECORD", "WHEEL")
PURE_FALLBACK = "pure-fallback"


@dataclass(frozen=True)
class LockedWheel:
    """One line of bundle.lock."""

    filename: str
    sha256: str
    pure_fallback: bool = False

    @property
    def tags(self) -> Tuple[str, str, str]:
        """(python, abi, platform) tags from a PEP 427 file name.

        >>> LockedWheel("six-1.17.0-py2.py3-none-any.whl", "").tags
        ('py2.py3', 'none', 'any')
        """
        parts = self.filename[: -len(".whl")].split("-")
        return parts[-3], parts[-2], parts[-1]

    @property
    def requirement(self) -> str:
        """``name==version --hash=...`` for pip.

        >>> LockedWheel("python_dateutil-3.0.0-py2.py3-none-any.whl", "ab").requirement
        'python_dateutil==3.0.0 --hash=sha256:ab'
        """
        name, version = self.filename.split("-")[:2]
        return f"{name}=={version} --hash=sha256:{self.sha256}"

    @property
    def is_pure(self) -> bool:
        return self.tags[1:] == ("none", "any")


def read_lock(path: Path = LOCK_FILE) -> List[LockedWheel]:
    """The locked wheels; ValueError on a malformed line or a binary wheel without fallback."""
    wheels = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) not in (2, 3) or not fields[0].endswith(".whl") or (len(fields) == 3 and fields[2] != PURE_FALLBACK):
            raise ValueError(f"{path.name}:{number}: expected 'WHEEL SHA256 [{PURE_FALLBACK}]'")
        wheel = LockedWheel(fields[0], fields[1].lower(), len(fields) == 3)
        if not wheel.is_pure and not wheel.pure_fallback:
            raise ValueError(f"{path.name}:{number}: {wheel.filename} is not pure Python")
        wheels.append(wheel)
    return wheels


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_wheels(wheels: Sequence[LockedWheel], cache_dir: Path, python: str = sys.executable) -> Dict[str, Path]:
    """Each locked wheel's path in ``cache_dir``, downloading the missing ones with pip.

    pip refuses a download whose hash differs from the lock. Downloads land in a private
    folder and are moved into the cache once checked, so builds running side by side (two
    test sessions) never read a half-written wheel.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    missing = [w for w in wheels if not _cached(cache_dir / w.filename, w.sha256)]
    by_tags: Dict[Tuple[str, str, str], List[LockedWheel]] = {}
    for wheel in missing:
        by_tags.setdefault(wheel.tags, []).append(wheel)
    with tempfile.TemporaryDirectory(dir=cache_dir) as downloads:
        for (python_tag, abi, platform), group in sorted(by_tags.items()):
            _pip_download(python, group, Path(downloads), python_tag, abi, platform)
        for wheel in missing:
            downloaded = Path(downloads) / wheel.filename
            if not _cached(downloaded, wheel.sha256):
                raise RuntimeError(f"pip did not provide {wheel.filename} with sha256 {wheel.sha256}")
            os.replace(downloaded, cache_dir / wheel.filename)
    return {wheel.filename: cache_dir / wheel.filename for wheel in wheels}


def _cached(path: Path, sha256: str) -> bool:
    return path.is_file() and sha256_of(path) == sha256


def _pip_download(
    python: str, group: Sequence[LockedWheel], destination: Path, python_tag: str, abi: str, platform: str
) -> None:
    implementation = "py" if python_tag.startswith("py") else python_tag[:2]
    requirements = destination / f"requirements-{python_tag}-{abi}-{platform}.txt"
    requirements.write_text("".join(w.requirement + "\n" for w in group))
    subprocess.run(
        [
            python, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
            "--no-deps", "--only-binary=:all:", "--require-hashes",
            "--python-version", BUNDLE_PYTHON, "--implementation", implementation,
            "--abi", abi, "--platform", platform.split(".")[0],
            "--dest", str(destination), "-r", str(requirements),
        ],
        check=True,
    )


def wheel_entries(path: Path) -> List[Entry]:
    """The wheel's files under lib/, minus compiled modules and installer bookkeeping.

    Data folders (``*.data/``) are refused: their files belong outside site-packages.
    """
    entries = []
    with zipfile.ZipFile(path) as wheel:
        for member in sorted(wheel.infolist(), key=lambda info: info.filename):
            name = member.filename
            if name.endswith("/"):
                continue
            top = name.split("/", 1)[0]
            if top.endswith(".data"):
                raise ValueError(f"{path.name} installs files outside site-packages ({name})")
            if name.endswith(COMPILED_SUFFIXES) or "/__pycache__/" in f"/{name}":
                continue
            if top.endswith(".dist-info") and name.rsplit("/", 1)[-1] in DROPPED_DIST_INFO_FILES:
                continue
            entries.append(Entry(f"{LIBRARY_DIR}/{name}", wheel.read(member)))
    return entries


def package_entries(package_dir: Path) -> List[Entry]:
    """The plugin's own package as ``pip install`` would take it from the working tree.

    Its modules (``*.py``) plus the data files ``setup.cfg`` lists under
    ``[options.package_data]``, so that no stray file of the working tree is shipped.
    """
    config = configparser.ConfigParser()
    config.read(package_dir.parent / "setup.cfg")
    files = set(package_dir.rglob("*.py"))
    data = config["options.package_data"] if config.has_section("options.package_data") else {}
    for package, patterns in data.items():
        folder = package_dir.parent.joinpath(*package.split("."))
        for pattern in patterns.replace(",", " ").split():
            files.update(folder.glob(pattern))
    return [
        Entry(f"{LIBRARY_DIR}/{path.relative_to(package_dir.parent).as_posix()}", path.read_bytes())
        for path in sorted(files)
        if path.is_file() and "__pycache__" not in path.parts
    ]

"""What ``kubectl krew install --manifest=M --archive=A`` does, for machines without krew.

Follows kubernetes-sigs/krew: the manifest is validated, the first platform whose selector
matches os/arch is chosen (``installation/platform.go``), the archive's sha256 is checked and
its type detected from its first bytes, not its name (``download/downloader.go``: gzip or zip),
entries containing ``..`` or starting with ``/`` are refused and only folders and regular files
are accepted, the ``files`` operations move matches into ``store/NAME/VERSION``
(``installation/move.go``: a literal path first, else a glob, ``to`` must be clean), ``bin``
must exist inside that folder, and ``bin/kubectl-NAME`` becomes a relative symlink to it
(``installation/install.go``). Like the krew-index CI, it also requires a licence file.
"""

from __future__ import annotations

import glob
import hashlib
import io
import os
import shutil
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Dict, List

import yaml

import krew_rules

GZIP_MAGIC = b"\x1f\x8b\x08"
ZIP_MAGIC = b"PK\x03\x04"


class InstallError(Exception):
    """The install was refused, for the reason Krew would give."""


@dataclass(frozen=True)
class Installed:
    install_dir: Path
    link: Path
    files: List[str]  # relative POSIX paths of the installed regular files


def matching_platform(document: Dict[str, Any], os_name: str, arch: str) -> Dict[str, Any]:
    for platform in document["spec"]["platforms"]:
        if krew_rules.selector_matches(platform["selector"], os_name, arch):
            return platform
    raise InstallError(f"plugin {document['metadata']['name']!r} does not offer installation for {os_name}/{arch}")


def archive_type(data: bytes) -> str:
    """Krew looks at the content, as Go's http.DetectContentType does.

    >>> archive_type(b"\\x1f\\x8b\\x08\\x00rest"), archive_type(b"PK\\x03\\x04rest")
    ('tar.gz', 'zip')
    """
    if data.startswith(GZIP_MAGIC):
        return "tar.gz"
    if data.startswith(ZIP_MAGIC):
        return "zip"
    raise InstallError("the archive is neither gzip nor zip")


def check_entry_name(name: str) -> None:
    if ".." in name:
        raise InstallError(f"refusing to unpack archive with suspicious entry {name!r}")
    if name.startswith(("/", "\\")):
        raise InstallError(f"refusing to unpack archive with absolute entry {name!r}")


def _write(path: Path, source: IO[bytes], mode: int) -> None:
    path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    with open(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, mode), "wb") as handle:
        shutil.copyfileobj(source, handle)


def extract(data: bytes, target: Path) -> None:
    """Unpack folders and regular files (with their modes) into ``target``; refuse the rest."""
    if archive_type(data) == "zip":
        with zipfile.ZipFile(io.BytesIO(data)) as zipped:
            for info in zipped.infolist():
                check_entry_name(info.filename)
                mode = (info.external_attr >> 16) & 0o777 or 0o644
                if info.is_dir():
                    (target / info.filename).mkdir(mode=mode, parents=True, exist_ok=True)
                else:
                    with zipped.open(info) as source:
                        _write(target / info.filename, source, mode)
        return
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive:
            if member.name == "pax_global_header":
                continue
            check_entry_name(member.name)
            if member.isdir():
                (target / member.name).mkdir(mode=member.mode, parents=True, exist_ok=True)
            elif member.isreg():
                source = archive.extractfile(member)
                assert source is not None  # a regular member always has data
                _write(target / member.name, source, member.mode)
            else:
                raise InstallError(f"unable to handle file type {member.type!r} for {member.name!r} in tar")


def _inside(base: Path, path: Path) -> bool:
    base, path = base.resolve(), path.resolve()
    return path == base or base in path.parents


def move_files(source_dir: Path, target_dir: Path, operations: List[Dict[str, str]]) -> None:
    for operation in operations:
        origin, destination = operation["from"], operation["to"]
        if os.path.normpath(destination) != destination:
            raise InstallError(f"the provided path is not clean, {destination!r}")
        direct = source_dir / origin
        if direct.exists():
            moves = [(direct, target_dir / (direct.name if destination == "." else destination))]
        else:
            matches = sorted(glob.glob(str(source_dir / origin)))
            if not matches:
                raise InstallError(f"no files in the plugin archive matched the glob pattern={origin}")
            moves = [(Path(match), target_dir / destination / Path(match).name) for match in matches]
        for origin_path, destination_path in moves:
            if not _inside(source_dir, origin_path) or not _inside(target_dir, destination_path):
                raise InstallError(f"can't move {origin_path} to {destination_path}: out of bounds")
            destination_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(origin_path), str(destination_path))


def install(manifest: Path, archive: Path, krew_root: Path, os_name: str = "linux", arch: str = "amd64") -> Installed:
    """Install into ``krew_root`` (store/ and bin/ as Krew lays them out)."""
    document = yaml.safe_load(manifest.read_text())
    problems = krew_rules.validate_plugin(document)
    if problems:
        raise InstallError("plugin manifest validation error: " + "; ".join(problems))
    name, version = document["metadata"]["name"], document["spec"]["version"]
    platform = matching_platform(document, os_name, arch)
    data = archive.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != platform["sha256"]:
        raise InstallError(f"checksum does not match, want: {platform['sha256']}, got {actual}")
    install_dir = krew_root / "store" / name / version
    if install_dir.exists():
        raise InstallError("can't install, the newest version is already installed")
    with tempfile.TemporaryDirectory() as staging, tempfile.TemporaryDirectory() as moving:
        extract(data, Path(staging))
        os.chmod(moving, 0o755)
        move_files(Path(staging), Path(moving), platform["files"])
        install_dir.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(moving, install_dir, symlinks=True)
    binary = install_dir / platform["bin"]
    if not _inside(install_dir, binary) or not binary.is_file():
        raise InstallError(f"can't create symbolic link, source binary ({binary}) cannot be found in extracted archive")
    files = sorted(
        path.relative_to(install_dir).as_posix() for path in install_dir.rglob("*") if path.is_file() and not path.is_symlink()
    )
    if not krew_rules.licence_files(files):
        raise InstallError("LICENSE (or alike) file is not extracted from the archive as part of installation")
    bin_dir = krew_root / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    link = bin_dir / ("kubectl-" + name.replace("-", "_"))
    link.symlink_to(os.path.relpath(binary, bin_dir))
    return Installed(install_dir, link, files)

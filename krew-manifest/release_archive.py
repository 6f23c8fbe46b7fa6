"""A byte-for-byte reproducible ``.tar.gz``: the same entries always give the same sha256.

What varies between two otherwise equal builds is fixed here: entry order (sorted, each folder
before its contents), timestamps (``SOURCE_DATE_EPOCH`` when set, else a constant), owners
(uid/gid 0, empty user and group names), modes (0755 for folders and executables, 0644
otherwise) and the gzip header (no file name, mtime 0). The file contents come in as bytes,
so nothing from the build machine's file system (umask, mtimes, ``__pycache__``) leaks in.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import posixpath
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Mapping

# 1980-01-01T00:00:00Z. Not the commit time: plugin.yaml, committed with the code, carries the
# archive's sha256, so the archive of a commit must not depend on when that commit was made.
DEFAULT_EPOCH = 315532800


@dataclass(frozen=True)
class Entry:
    """One regular file of the archive: a clean relative POSIX path and its bytes."""

    path: str
    data: bytes
    executable: bool = False


def source_date_epoch(environ: Mapping[str, str]) -> int:
    """The timestamp for every entry (https://reproducible-builds.org/specs/source-date-epoch/).

    >>> source_date_epoch({"SOURCE_DATE_EPOCH": "1700000000"}), source_date_epoch({})
    (1700000000, 315532800)
    """
    value = environ.get("SOURCE_DATE_EPOCH", "").strip()
    return int(value) if value else DEFAULT_EPOCH


def folders_of(paths: Iterable[str]) -> List[str]:
    """Every folder the paths live in, each listed once.

    >>> folders_of(["lib/a/b.py", "lib/c.py", "LICENSE"])
    ['lib', 'lib/a']
    """
    folders = set()
    for path in paths:
        parent = posixpath.dirname(path)
        while parent:
            folders.add(parent)
            parent = posixpath.dirname(parent)
    return sorted(folders)


def tar_gz_bytes(entries: Iterable[Entry], mtime: int) -> bytes:
    """The archive as bytes; ValueError on a duplicate or unclean path."""
    files = {}
    for entry in entries:
        if entry.path in files:
            raise ValueError(f"{entry.path} is in the archive twice")
        if entry.path.startswith("/") or posixpath.normpath(entry.path) != entry.path or ".." in entry.path.split("/"):
            raise ValueError(f"{entry.path!r} is not a clean relative path")
        files[entry.path] = entry
    members = [(folder, None) for folder in folders_of(files)] + [(path, files[path]) for path in files]
    members.sort(key=lambda member: member[0].split("/"))
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path, entry in members:
            info = tarfile.TarInfo(path)
            info.mtime = mtime
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if entry is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                archive.addfile(info)
            else:
                info.mode = 0o755 if entry.executable else 0o644
                info.size = len(entry.data)
                archive.addfile(info, io.BytesIO(entry.data))
    gz_buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz_buffer, mtime=0, compresslevel=9) as compressed:
        compressed.write(tar_buffer.getvalue())
    return gz_buffer.getvalue()


def write_archive(entries: Iterable[Entry], destination: Path, mtime: int) -> str:
    """Write the archive and return its lowercase hex sha256."""
    data = tar_gz_bytes(entries, mtime)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.write_bytes(data)
    partial.replace(destination)
    return hashlib.sha256(data).hexdigest()

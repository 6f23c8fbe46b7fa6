"""Where a dump's documents are: byte ranges of files, found once and read again on demand (``-f``).

A file named or found in a folder is read where it lies; a tar archive's members are ranges of its
file. What cannot be sought (gzip data, standard input) is spooled once to an anonymous temporary
file, which the system removes when it is closed or the process ends; the disk holds the
uncompressed dump meanwhile. So no document is held in memory until it is read, and it can be read
again. Archives are recognised by their bytes, not their names.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import shutil
import tarfile
import tempfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO, Iterator, Optional, TextIO, Tuple, Union

from .dumpdocs import DOCUMENT_SUFFIXES

_COPY = 1 << 20
_SMALL = 1 << 20


@dataclass(frozen=True)
class Region:
    """The bytes ``[start, start + size)`` of a file: a path, a spooled temporary file, or (small) bytes."""

    shown: str  # the name an error gives
    inner: str  # the path it is placed by (an archive member's name inside its archive)
    file: Union[str, BinaryIO, bytes]
    start: int
    size: int

    def read(self, offset: int = 0, end: Optional[int] = None) -> bytes:
        """Its bytes from ``offset`` to ``end`` (relative; the whole by default)."""
        count = (self.size if end is None else end) - offset
        if isinstance(self.file, bytes):
            return self.file[self.start + offset:self.start + offset + count]
        if not isinstance(self.file, str):
            return os.pread(self.file.fileno(), count, self.start + offset)
        try:
            with open(self.file, "rb") as file:
                file.seek(self.start + offset)
                return file.read(count)
        except OSError as error:
            raise ValueError(f"cannot read {self.file}: {error.strerror or error}") from None

    @contextmanager
    def opened(self) -> Iterator[Tuple[BinaryIO, int, int]]:
        """A file to scan and the absolute range of the region in it."""
        if isinstance(self.file, str):
            with open(self.file, "rb") as file:
                yield file, self.start, self.start + self.size
        elif isinstance(self.file, bytes):
            yield io.BytesIO(self.file), self.start, self.start + self.size
        else:
            yield self.file, self.start, self.start + self.size


def regions_of(path: str, stdin: Optional[Union[BinaryIO, TextIO]] = None) -> Iterator[Region]:
    """The document files a path holds (``-``: ``stdin``, bytes or text), archives opened."""
    if path == "-":
        spool = _spool()
        while True:
            chunk = stdin.read(_COPY) if stdin is not None else b""
            if not chunk:
                break
            spool.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
        spool.flush()
        yield from _unpacked(Region("standard input", "-", spool, 0, spool.tell()), True)
        return
    if os.path.isdir(path):
        for folder, subfolders, files in os.walk(path):
            subfolders.sort()
            for name in sorted(files):
                full = os.path.join(folder, name)
                if name.endswith(DOCUMENT_SUFFIXES) or _is_archive_name(name):
                    yield from _unpacked(Region(full, full, full, 0, _size(full)), False)
        return
    yield from _unpacked(Region(path, path, path, 0, _size(path)), True)


def _spool() -> BinaryIO:
    return tempfile.TemporaryFile(prefix="pullmedic-dump-")  # type: ignore[return-value]


def _size(path: str) -> int:
    try:
        with open(path, "rb"):
            return os.path.getsize(path)
    except FileNotFoundError:
        raise ValueError(f'the path "{path}" does not exist') from None
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from None


def _is_archive_name(name: str) -> bool:
    return name.endswith((".gz", ".tgz", ".tar"))


def _unpacked(region: Region, named: bool) -> Iterator[Region]:
    """Open gzip and tar by their bytes; ``named``: a file given by name is read whatever its suffix."""
    head = region.read(0, min(region.size, 512))
    inner = region.inner
    if head[:2] == b"\x1f\x8b":
        spool = _spool()
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(region.read())) as unzipped:
                shutil.copyfileobj(unzipped, spool, _COPY)
        except (OSError, EOFError, zlib.error) as error:
            raise ValueError(f"{region.shown}: truncated or corrupt gzip data ({error})") from None
        spool.flush()
        inner = re.sub(r"\.t?gz$", ".tar" if inner.endswith(".tgz") else "", inner)
        region = Region(region.shown, inner, spool, 0, spool.tell())
        if region.size < _SMALL:  # held, not a file open for each of many small gzip files
            region = Region(region.shown, inner, region.read(), 0, region.size)
            spool.close()
        head = region.read(0, min(region.size, 512))
    if head[257:262] == b"ustar" or inner.endswith(".tar"):
        yield from _members(region)
    elif named or inner.endswith(DOCUMENT_SUFFIXES):
        yield region


def _members(region: Region) -> Iterator[Region]:
    """The document files inside a tar archive, in archive order, as ranges of its file."""
    if region.start or isinstance(region.file, str) and region.size != os.path.getsize(region.file):
        spool = _spool()  # a tar inside a tar: copied out, so that member offsets are the file's
        spool.write(region.read())
        region = Region(region.shown, region.inner, spool, 0, region.size)
    try:
        with region.opened() as (file, _, _):
            file.seek(0)
            with tarfile.open(fileobj=file, mode="r:") as archive:
                members = [(m.name, m.offset_data, m.size) for m in archive.getmembers()
                           if m.isfile() and (m.name.endswith(DOCUMENT_SUFFIXES) or _is_archive_name(m.name))]
                end = archive.offset
            # tarfile takes a cut inside a header for the end; a whole archive ends with zero blocks.
            if region.read(end, end + tarfile.BLOCKSIZE) != bytes(tarfile.BLOCKSIZE) \
                    or any(start + size > region.size for _, start, size in members):
                raise tarfile.ReadError("unexpected end of data")
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        raise ValueError(f"{region.shown}: truncated or corrupt tar archive ({error})") from None
    for name, start, size in members:
        yield from _unpacked(Region(f"{region.shown}:{name}", name, region.file, start, size), False)

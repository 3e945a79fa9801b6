"""Small file helpers shared by the stages: checksums, reading a landing-zone file once without
following links (``open_under``, ``read_fd``), and the modes of everything we write.

Exports, village feedback, the nightly report, the Data Docs and the validation results hold or
describe personal data (UU 27/2022): none of it is for every account on the host. Every writer of
the package runs under ``private_files()`` (umask 027: files 0640, folders 0750, whatever the
caller's umask), every Airflow task starts with that umask (``verfak.dag_support``), and what a
library copies with its source's mode (Great Expectations' static Data Docs assets) is
``tighten``-ed afterwards.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: The most a file or folder we write may allow: owner read/write, group read, others nothing.
FILE_MODE = 0o640
DIR_MODE = 0o750
PRIVATE_UMASK = 0o027

_BLOCK = 1 << 20


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks (a large workbook is never held in memory)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def set_private_umask() -> int:
    """Make the process umask at least 027 (never looser than it was); return the previous one."""
    previous = os.umask(PRIVATE_UMASK)
    os.umask(previous | PRIVATE_UMASK)
    return previous


@contextmanager
def private_files() -> Iterator[None]:
    """Files and folders created inside are 0640 / 0750 at most; the umask is restored afterwards.

    Also a decorator (``@private_files()``). The umask is per process: fine for Airflow tasks and
    the command line, which write files from one thread at a time (``verfak.load`` runs Great
    Expectations in a thread while its own thread writes only to PostgreSQL).
    """
    previous = set_private_umask()
    try:
        yield
    finally:
        os.umask(previous)


def tighten(root: Path) -> None:
    """Remove group-write and every "others" bit from ``root`` and everything under it (links are
    left alone): for files a library copied with their source's mode (``shutil.copytree``)."""
    if not root.exists():
        return
    paths = [root, *root.rglob("*")]
    for path in paths:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            continue
        mode = stat.S_IMODE(info.st_mode)
        if mode & PRIVATE_UMASK:
            os.chmod(path, mode & ~PRIVATE_UMASK)


class NotARegularFile(OSError):
    """A landing-zone path that is a link, a folder, a pipe or a device, or leaves its root."""


def open_under(root: Path, relative: str) -> int:
    """A read-only descriptor of ``root/relative``, opened one folder at a time without following any
    link (``O_NOFOLLOW`` on every component, ``..`` refused), so what is read is the regular file
    that lies in ``root``, even if a folder is swapped for a link after the file was found."""
    parts = Path(relative).parts
    if (
        not parts
        or any(part in ("..", ".", "") or "/" in part for part in parts)
        or Path(relative).is_absolute()
    ):
        raise NotARegularFile(f"{relative}: not a plain path under the landing folder")
    nofollow = os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    folder = os.open(root, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    try:
        for part in parts[:-1]:
            inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | nofollow, dir_fd=folder)
            os.close(folder)
            folder = inner
        fd = os.open(parts[-1], os.O_RDONLY | os.O_NONBLOCK | nofollow, dir_fd=folder)
    except OSError as error:
        raise NotARegularFile(f"{relative}: {error.strerror} (a link, or gone)") from None
    finally:
        os.close(folder)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise NotARegularFile(f"{relative}: not a regular file")
    return fd


def read_fd(fd: int, limit: int) -> tuple[bytes | None, str, int]:
    """Read an open file once: (its bytes, or None when it is over ``limit`` bytes; its SHA-256; its size).

    A file over the limit is hashed block by block and not kept (memory stays bounded)."""
    digest = hashlib.sha256()
    chunks: list[bytes] | None = []
    size = 0
    while block := os.read(fd, _BLOCK):
        digest.update(block)
        size += len(block)
        if chunks is not None:
            chunks.append(block)
            if size > limit:
                chunks = None
    return (b"".join(chunks) if chunks is not None else None), digest.hexdigest(), size


def read_limited(path: Path, limit: int) -> bytes | None:
    """A file's bytes (a link is not followed), or None when it is over ``limit`` bytes (not read further)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotARegularFile(f"{path}: not a regular file")
        chunks, size = [], 0
        while block := os.read(fd, _BLOCK):
            size += len(block)
            if size > limit:
                return None
            chunks.append(block)
        return b"".join(chunks)
    finally:
        os.close(fd)

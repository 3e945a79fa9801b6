"""Small file helpers shared by the stages."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

_BLOCK = 1 << 20


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks (a large workbook is never held in memory)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


class NotARegularFile(OSError):
    """A landing-zone path that is a link, a folder, a pipe or a device, or leaves its root."""


def open_under(root: Path, relative: str) -> int:
    """A read-only descriptor of ``root/relative``, opened one folder at a time without following any
    link (``O_NOFOLLOW`` on every component, ``..`` refused), so what is read is the regular file
    that lies in ``root``, even if a folder is swapped for a link after the file was found."""
    parts = Path(relative).parts
    if not parts or any(part in ("..", ".", "") or "/" in part for part in parts) or Path(relative).is_absolute():
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

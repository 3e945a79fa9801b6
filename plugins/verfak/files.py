"""Small file helpers shared by the stages: checksums, and the modes of everything we write.

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
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

#: The most a file or folder we write may allow: owner read/write, group read, others nothing.
FILE_MODE = 0o640
DIR_MODE = 0o750
PRIVATE_UMASK = 0o027


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks (a large workbook is never held in memory)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
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
    the command line, which write from one thread.
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

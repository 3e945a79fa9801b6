"""Regenerate the crafted hostile files of tests/hostile/files/ (issue #12).

    scripts/with-env.sh python tests/hostile/make_hostile.py

Each ``craft_<area>.py`` beside this script builds the small files of one group of defences
(``build(out: Path) -> list[Path]``); the files are committed, and the tests check that this
script still writes them byte for byte, so a crafted file can't drift from the code that made it.
tests/hostile/README.md says what each file is and what the pipeline must do with it.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
AREAS = ("intake", "gate", "agency", "privacy")


def build(out: Path = FILES) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for area in AREAS:
        module = importlib.import_module(f"tests.hostile.craft_{area}")
        written.extend(module.build(out))
    return written


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[1]))
    for path in build():
        print(path.relative_to(HERE))

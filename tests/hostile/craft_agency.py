"""Crafted hostile files: agency (issue #12). build(out) writes them and returns their paths."""

from __future__ import annotations

from pathlib import Path


def build(out: Path) -> list[Path]:
    return []

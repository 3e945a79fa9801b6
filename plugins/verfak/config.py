"""Where things are: folders, the warehouse connection id, thresholds.

Everything comes from the environment (set by scripts/setup.sh locally, by docker-compose in a
deployment) with project-local defaults, so the same code runs in tests, `make run` and production.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
INCLUDE_DIR = PROJECT_ROOT / "include"
SQL_DIR = INCLUDE_DIR / "sql"
REFERENCE_DIR = INCLUDE_DIR / "reference"

#: The Airflow connection id of the warehouse (``AIRFLOW_CONN_VERFAK_WAREHOUSE``).
WAREHOUSE_CONN_ID = "verfak_warehouse"


def _dir(env_var: str, default: str) -> Path:
    return Path(os.environ.get(env_var) or PROJECT_ROOT / default)


def landing_dir() -> Path:
    """Village submissions arrive here as ``<YYYY-MM>/<kode_desa>/<file>``."""
    return _dir("VERFAK_LANDING_DIR", "data/landing")


def export_dir() -> Path:
    """Agency exports (``<program>/<date>/``) and village feedback (``feedback/<period>/``)."""
    return _dir("VERFAK_EXPORT_DIR", "data/exports")


def report_dir() -> Path:
    """Reports for the data engineers: Great Expectations Data Docs, run summaries."""
    return _dir("VERFAK_REPORT_DIR", "data/reports")


def programs_file() -> Path:
    """The referral programs (``include/programs.yaml`` unless ``VERFAK_PROGRAMS_FILE`` says otherwise)."""
    return Path(os.environ.get("VERFAK_PROGRAMS_FILE") or INCLUDE_DIR / "programs.yaml")


# --- limits on one submission file (issue #12: every file is read in bounded memory and time) ----


def _positive_int(env_var: str, default: int) -> int:
    raw = (os.environ.get(env_var) or "").strip().replace("_", "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{env_var}={raw!r}: expected a positive whole number") from None
    if value <= 0:
        raise ValueError(f"{env_var}={value}: expected a positive whole number")
    return value


def max_file_mb() -> int:
    """Largest submission file read, in MiB (``VERFAK_MAX_FILE_MB``, default 50)."""
    return _positive_int("VERFAK_MAX_FILE_MB", 50)


def max_unzipped_mb() -> int:
    """Largest total size of an .xlsx's members once unpacked, in MiB (``VERFAK_MAX_UNZIPPED_MB``, default 256)."""
    return _positive_int("VERFAK_MAX_UNZIPPED_MB", 256)


def max_zip_members() -> int:
    """Most members an .xlsx (a zip) may hold (``VERFAK_MAX_ZIP_MEMBERS``, default 1000)."""
    return _positive_int("VERFAK_MAX_ZIP_MEMBERS", 1000)


def max_zip_ratio() -> int:
    """Largest unpacked/packed ratio of an .xlsx member over 1 MiB (``VERFAK_MAX_ZIP_RATIO``, default 100)."""
    return _positive_int("VERFAK_MAX_ZIP_RATIO", 100)


def max_rows() -> int:
    """Most rows of a sheet or CSV, counting from row 1 (``VERFAK_MAX_ROWS``, default 100000)."""
    return _positive_int("VERFAK_MAX_ROWS", 100_000)


def max_columns() -> int:
    """Most columns of a sheet or CSV (``VERFAK_MAX_COLUMNS``, default 256: the old .xls limit)."""
    return _positive_int("VERFAK_MAX_COLUMNS", 256)


def max_cells() -> int:
    """Most cells of a workbook's used ranges, all sheets together (``VERFAK_MAX_CELLS``, default 5000000)."""
    return _positive_int("VERFAK_MAX_CELLS", 5_000_000)


def max_cell_chars() -> int:
    """Longest cell, in characters (``VERFAK_MAX_CELL_CHARS``, default 100000: 3x Excel's 32,767)."""
    return _positive_int("VERFAK_MAX_CELL_CHARS", 100_000)


def load_chunk_rows() -> int:
    """Rows validate-and-load types and checks at once (``VERFAK_LOAD_CHUNK_ROWS``, default 50,000):
    a batch's villages are taken in chunks of at most this many rows (a village's file is never
    split), which bounds its memory by the chunk or the largest village file, not by the period."""
    return _positive_int("VERFAK_LOAD_CHUNK_ROWS", 50_000)

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

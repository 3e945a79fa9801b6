"""Where things are and every ``VERFAK_*`` setting: the one place the package reads its environment.

Everything comes from the environment (set by scripts/setup.sh locally, by docker-compose in a
deployment) with project-local defaults, so the same code runs in tests, `make run` and production.

``settings()`` returns a frozen :class:`Settings` built from ``os.environ`` **when it is called**
(nothing is read at import time). It is not cached: building it is two dozen dictionary look-ups,
and reading it at call time keeps it in step with the environment of each Airflow task and with
tests that change a variable (``monkeypatch.setenv``). Every value is checked when the object is
built, so a bad value fails with a ``SettingError`` (a ``ValueError``) naming its variable, e.g.
``VERFAK_MAX_ROWS='lots': expected a positive whole number``, whichever setting the caller wanted.
Each setting is declared once below (its variable, default and check); the README's
configuration table documents each (tests/unit/test_settings_documented.py keeps them in step).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
INCLUDE_DIR = PROJECT_ROOT / "include"
SQL_DIR = INCLUDE_DIR / "sql"
REFERENCE_DIR = INCLUDE_DIR / "reference"

#: The Airflow connection id of the warehouse (``AIRFLOW_CONN_VERFAK_WAREHOUSE``).
WAREHOUSE_CONN_ID = "verfak_warehouse"


class SettingError(ValueError):
    """A ``VERFAK_*`` variable with a value that is not allowed (the message names the variable)."""


# --- how a variable's text becomes a value (``raw`` is stripped and never empty) -----------------


def _path(_name: str, raw: str) -> Path:
    return Path(raw)


def _text(_name: str, raw: str) -> str:
    return raw


def _positive_int(name: str, raw: str) -> int:
    raw = raw.replace("_", "")
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r}: expected a positive whole number") from None
    if value <= 0:
        raise SettingError(f"{name}={value}: expected a positive whole number")
    return value


def _int_at_least(minimum: int, what: str) -> Callable[[str, str], int]:
    def parse(name: str, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise SettingError(f"{name}={raw!r}: expected {what}") from None
        if value < minimum:
            raise SettingError(f"{name} must be {what}, not {value}")
        return value

    return parse


def _number_at_least(minimum: float, what: str) -> Callable[[str, str], float]:
    def parse(name: str, raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise SettingError(f"{name}={raw!r}: expected {what}") from None
        if not value >= minimum:  # also rejects nan
            raise SettingError(f"{name} must be {what}, not {value}")
        return value

    return parse


def _day_of_month(name: str, raw: str) -> int:
    try:
        day = int(raw)
    except ValueError:
        raise SettingError(f"{name} must be a day of the month (1-31), got {raw!r}") from None
    if not 1 <= day <= 31:
        raise SettingError(f"{name} must be a day of the month (1-31), got {day}")
    return day


_TIME_OF_DAY = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


def _time_of_day_or_off(name: str, raw: str) -> str | None:
    if raw.lower() in ("off", "none"):
        return None
    if not _TIME_OF_DAY.fullmatch(raw):
        raise SettingError(f"{name}={raw!r}: expected a time of day HH:MM (WIB) or 'off'")
    return raw


def _addresses(_name: str, raw: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in raw.split(",") if a.strip())


def _env(variable: str, parse: Callable[[str, str], Any]) -> dict[str, Any]:
    """The metadata of a field of :class:`Settings`: its variable and its check (the field's
    default is used when the variable is unset or empty)."""
    return {"variable": variable, "parse": parse}


@dataclasses.dataclass(frozen=True)
class Settings:
    """Every ``VERFAK_*`` setting of the package, checked. Build it with ``settings()``."""

    # --- folders ---------------------------------------------------------------------------
    #: Village submissions arrive here as ``<YYYY-MM>/<kode_desa>/<file>``.
    landing_dir: Path = field(
        default=PROJECT_ROOT / "data/landing", metadata=_env("VERFAK_LANDING_DIR", _path)
    )
    #: Agency exports (``<program>/<date>/``) and village feedback (``feedback/<period>/``).
    export_dir: Path = field(default=PROJECT_ROOT / "data/exports", metadata=_env("VERFAK_EXPORT_DIR", _path))
    #: Reports for the data engineers: Great Expectations Data Docs, run summaries.
    report_dir: Path = field(default=PROJECT_ROOT / "data/reports", metadata=_env("VERFAK_REPORT_DIR", _path))
    #: The referral programs.
    programs_file: Path = field(
        default=INCLUDE_DIR / "programs.yaml", metadata=_env("VERFAK_PROGRAMS_FILE", _path)
    )
    # --- retention, deadlines, completeness ------------------------------------------------
    #: Days an export folder is kept.
    export_retention_days: int = field(
        default=30, metadata=_env("VERFAK_EXPORT_RETENTION_DAYS", _int_at_least(0, "0 or more"))
    )
    #: Days the validation results and their Data Docs pages are kept.
    report_retention_days: int = field(
        default=30, metadata=_env("VERFAK_REPORT_RETENTION_DAYS", _int_at_least(0, "0 or more"))
    )
    #: The day of the period's month by which a submission is on time.
    cutoff_day: int = field(default=17, metadata=_env("VERFAK_CUTOFF_DAY", _day_of_month))
    #: When the nightly publish run must have finished, HH:MM in WIB; None (``off``): no deadline.
    publish_deadline: str | None = field(
        default="06:00", metadata=_env("VERFAK_PUBLISH_DEADLINE", _time_of_day_or_off)
    )
    # --- alerts, workers, agencies -----------------------------------------------------------
    #: Recipients of alert e-mails when the SMTP connection names none (comma-separated).
    alert_email_to: tuple[str, ...] = field(default=(), metadata=_env("VERFAK_ALERT_EMAIL_TO", _addresses))
    #: The host name a worker records on its task instances ("" = the machine's FQDN).
    worker_hostname: str = field(default="", metadata=_env("VERFAK_WORKER_HOSTNAME", _text))
    #: Seconds a publish waits for an agency session holding its view.
    agency_view_lock_timeout: float = field(
        default=5.0,
        metadata=_env(
            "VERFAK_AGENCY_VIEW_LOCK_TIMEOUT", _number_at_least(0, "a number of seconds, 0 or more")
        ),
    )
    # --- village rule thresholds (verfak.rules.village_rules) -------------------------------
    #: Share of a village's rows failing an error rule above which its submission needs attention.
    attention_share: float = field(
        default=0.2, metadata=_env("VERFAK_ATTENTION_SHARE", _number_at_least(0, "a share, 0 or more"))
    )
    #: Relative change of a village's layak count against its recent average that is an outlier...
    outlier_ratio: float = field(
        default=0.5, metadata=_env("VERFAK_OUTLIER_RATIO", _number_at_least(0, "a ratio, 0 or more"))
    )
    #: ... when it is also at least this many people.
    outlier_min_change: int = field(
        default=3, metadata=_env("VERFAK_OUTLIER_MIN_CHANGE", _int_at_least(0, "0 or more"))
    )
    # --- limits on one submission file (issue #12: read in bounded memory and time) ----------
    #: Largest submission file read, in MiB.
    max_file_mb: int = field(default=50, metadata=_env("VERFAK_MAX_FILE_MB", _positive_int))
    #: Largest total size of an .xlsx's members once unpacked, in MiB.
    max_unzipped_mb: int = field(default=256, metadata=_env("VERFAK_MAX_UNZIPPED_MB", _positive_int))
    #: Most members an .xlsx (a zip) may hold.
    max_zip_members: int = field(default=1000, metadata=_env("VERFAK_MAX_ZIP_MEMBERS", _positive_int))
    #: Largest unpacked/packed ratio of an .xlsx member over 1 MiB.
    max_zip_ratio: int = field(default=100, metadata=_env("VERFAK_MAX_ZIP_RATIO", _positive_int))
    #: Most rows of a sheet or CSV, counting from row 1.
    max_rows: int = field(default=100_000, metadata=_env("VERFAK_MAX_ROWS", _positive_int))
    #: Most columns of a sheet or CSV (the old .xls limit).
    max_columns: int = field(default=256, metadata=_env("VERFAK_MAX_COLUMNS", _positive_int))
    #: Most cells of a workbook's used ranges, all sheets together.
    max_cells: int = field(default=5_000_000, metadata=_env("VERFAK_MAX_CELLS", _positive_int))
    #: Longest cell, in characters (3x Excel's 32,767).
    max_cell_chars: int = field(default=100_000, metadata=_env("VERFAK_MAX_CELL_CHARS", _positive_int))
    # --- validate-and-load -------------------------------------------------------------------
    #: Rows Great Expectations validates in one batch at most (a larger batch: a sample).
    gx_max_rows: int = field(
        default=100_000, metadata=_env("VERFAK_GX_MAX_ROWS", _int_at_least(2, "at least 2"))
    )
    #: Rows validate-and-load types and checks at once: a batch's villages are taken in chunks of
    #: at most this many rows (a village's file is never split), which bounds its memory.
    load_chunk_rows: int = field(default=50_000, metadata=_env("VERFAK_LOAD_CHUNK_ROWS", _positive_int))

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings in ``environ`` (``os.environ`` by default); unset or empty = the default."""
        environ = os.environ if environ is None else environ
        values = {}
        for spec in dataclasses.fields(cls):
            name = spec.metadata["variable"]
            raw = (environ.get(name) or "").strip()
            if raw:
                values[spec.name] = spec.metadata["parse"](name, raw)
        return cls(**values)


def variables() -> list[str]:
    """The ``VERFAK_*`` variables the package reads (each field of :class:`Settings`)."""
    return [spec.metadata["variable"] for spec in dataclasses.fields(Settings)]


def settings() -> Settings:
    """The settings of the environment as it is now (read at each call, see the module's docstring)."""
    return Settings.from_environ()


def landing_dir() -> Path:
    """Village submissions arrive here as ``<YYYY-MM>/<kode_desa>/<file>`` (``VERFAK_LANDING_DIR``)."""
    return settings().landing_dir


def export_dir() -> Path:
    """Agency exports and village feedback (``VERFAK_EXPORT_DIR``)."""
    return settings().export_dir


def report_dir() -> Path:
    """Great Expectations Data Docs, run summaries, nightly reports (``VERFAK_REPORT_DIR``)."""
    return settings().report_dir


def programs_file() -> Path:
    """The referral programs (``include/programs.yaml`` unless ``VERFAK_PROGRAMS_FILE`` says otherwise)."""
    return settings().programs_file

"""Shared fixtures: a real PostgreSQL warehouse per test session, isolated folders per test.

The tests run against the server that scripts/setup.sh starts (``make test`` does both). Each
session creates its own warehouse database (``verfak_test_<pid>``) from the migrations and drops
it at the end, so tests never touch the warehouse that ``make run`` fills.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV_FILE = ROOT / ".local" / "env"


def _load_setup_env() -> None:
    """Read .local/env when pytest is started by hand (``make test`` exports it already)."""
    if os.environ.get("AIRFLOW_CONN_VERFAK_WAREHOUSE") or not ENV_FILE.exists():
        return
    for line in ENV_FILE.read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            os.environ.setdefault(key, value)


_load_setup_env()


def _with_database(uri: str, database: str) -> str:
    parts = urlsplit(uri)
    return urlunsplit(parts._replace(path=f"/{database}"))


@pytest.fixture(scope="session")
def warehouse_uri() -> str:
    """A fresh, migrated warehouse database for this test session."""
    base = os.environ.get("AIRFLOW_CONN_VERFAK_WAREHOUSE")
    if not base:
        pytest.fail("no warehouse connection: run the tests with 'make test' (it starts PostgreSQL)")
    name = f"verfak_test_{os.getpid()}"
    admin = psycopg2.connect(_with_database(base, "postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name}")
        cur.execute(f"CREATE DATABASE {name}")
    uri = _with_database(base, name)
    os.environ["AIRFLOW_CONN_VERFAK_WAREHOUSE"] = uri
    from verfak.migrate import migrate

    migrate()
    yield uri
    os.environ["AIRFLOW_CONN_VERFAK_WAREHOUSE"] = base
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


DATA_TABLES = (
    "publish.referral_outcome",
    "quality.return_issue",
    "raw.return_path",
    "raw.return_row",
    "raw.return_file",
    "publish.export_run",
    "publish.referral",
    "publish.program_period",
    "core.verifikasi",
    "core.person_version",
    "core.household",
    "staging.verifikasi",
    "quality.village_flag",
    "quality.rule_count_desa",
    "quality.row_issue",
    "quality.rule_result",
    "quality.validation_run",
    "quality.rule",
    "raw.landing_path",
    "raw.skipped_path",
    "raw.submission_row",
    "raw.submission_file",
    "ops.alert",
    "ops.report_run",
)


FOLDERS = (
    ("VERFAK_LANDING_DIR", "landing"),
    ("VERFAK_EXPORT_DIR", "exports"),
    ("VERFAK_REPORT_DIR", "reports"),
)


def truncate(uri: str, tables=DATA_TABLES) -> None:
    """Empty the warehouse's data tables (reference data stays)."""
    with psycopg2.connect(uri) as conn, conn.cursor() as cur:
        cur.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    conn.close()


@contextmanager
def isolated_run(warehouse_uri: str, root: Path, tables=DATA_TABLES):
    """An empty warehouse and fresh landing/export/report folders under ``root``, for runs that a
    whole module or package shares; yields the MonkeyPatch that points the environment at them."""
    with pytest.MonkeyPatch.context() as mp:
        for variable, name in FOLDERS:
            (root / name).mkdir(exist_ok=True)
            mp.setenv(variable, str(root / name))
        truncate(warehouse_uri, tables)
        yield mp


@pytest.fixture
def warehouse(warehouse_uri, tmp_path, monkeypatch):
    """An empty warehouse (reference data kept) and empty landing/export/report folders."""
    truncate(warehouse_uri)
    for variable, name in FOLDERS:
        (tmp_path / name).mkdir()
        monkeypatch.setenv(variable, str(tmp_path / name))
    return Warehouse(warehouse_uri, tmp_path)


class Warehouse:
    """Handy queries for assertions."""

    def __init__(self, uri: str, root: Path):
        self.uri = uri
        self.landing = root / "landing"
        self.exports = root / "exports"
        self.reports = root / "reports"

    def query(self, sql: str, params=None) -> list[tuple]:
        with psycopg2.connect(self.uri) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
        conn.close()
        return rows

    def scalar(self, sql: str, params=None):
        return self.query(sql, params)[0][0]

    def table_counts(self) -> dict[str, int]:
        from verfak.summary import table_counts

        return table_counts()


@pytest.fixture(scope="session")
def sample_landing(tmp_path_factory) -> tuple[Path, object]:
    """The built-in sample submissions, generated once per session (copy them, don't change them)."""
    from devdata.sample_data import generate_sample_landing

    folder = tmp_path_factory.mktemp("sample") / "landing"
    summary = generate_sample_landing(folder)
    return folder, summary

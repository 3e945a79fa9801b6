"""Completeness and timeliness of the villages' submissions, per village, kecamatan and regency.

The numbers live in the warehouse as views (``mart.completeness_desa``, ``_kecamatan``,
``_kabupaten``; include/sql/views/300_mart.completeness_desa_at.sql): expected (the 187 villages of
``ref.desa``), received, on time (by the cut-off day), late, missing. This module reads them for
the nightly report and the Airflow page with the cut-off day of ``VERFAK_CUTOFF_DAY``.
"""

from __future__ import annotations

from verfak import config, db


def cutoff_day() -> int:
    """The day of the period's month by which a submission is on time (``VERFAK_CUTOFF_DAY``, default 17)."""
    return config.settings().cutoff_day


def use_cutoff(cur, day: int | None = None) -> int:
    """Make the completeness views of this transaction use the cut-off day (``SET LOCAL``)."""
    day = cutoff_day() if day is None else day
    cur.execute("SELECT set_config('verfak.cutoff_day', %s, true)", (str(day),))
    return day


def rows(cur) -> list[dict]:
    """The cursor's result as dicts (column name -> value)."""
    names = [c.name for c in cur.description]
    return [dict(zip(names, values)) for values in cur.fetchall()]


def regency(cur) -> list[dict]:
    """The regency's numbers for every period, oldest first."""
    db.run_sql_file(cur, "ops/select_completeness_kabupaten.sql")
    return rows(cur)


def kecamatan(cur, period: str) -> list[dict]:
    """One period's numbers per kecamatan (23 rows)."""
    db.run_sql_file(cur, "ops/select_completeness_kecamatan.sql", {"periode": period})
    return rows(cur)


def villages_to_follow_up(cur, period: str) -> list[dict]:
    """Villages of the period that are missing, late, rejected only, or sent rows with errors."""
    db.run_sql_file(cur, "ops/select_completeness_desa.sql", {"periode": period})
    return rows(cur)


def latest_period(cur) -> str | None:
    """The latest period any village has submitted for (YYYY-MM), or None."""
    cur.execute("SELECT max(periode) FROM mart.completeness_kabupaten WHERE received > 0")
    return db.one(cur)[0]


def completeness(
    period: str | None = None, day: int | None = None, conn_id: str = db.WAREHOUSE_CONN_ID
) -> dict:
    """Everything about completeness for one period (default: the latest), as plain data."""
    with db.transaction(conn_id) as cur:
        day = use_cutoff(cur, day)
        period = period or latest_period(cur)
        by_period = regency(cur)
        return {
            "period": period,
            "cutoff_day": day,
            "regency": next((r for r in by_period if r["periode"] == period), None),
            "by_period": by_period,
            "kecamatan": kecamatan(cur, period) if period else [],
            "villages": villages_to_follow_up(cur, period) if period else [],
        }

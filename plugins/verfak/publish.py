"""Stage 3, publish: refresh the marts, select each program's referrals, write the exports.

The referral set of a program is always for the latest period loaded into core. Each export is
recorded in ``publish.export_run`` keyed by program and day, so a rerun of the same night replaces
its row and its folder rather than adding new ones.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os

import pandas as pd

from verfak import config, db
from verfak.exports import remove_old_exports, sha256_file, write_export
from verfak.programs import COLUMN_TYPES, load_programs, referral_query

log = logging.getLogger(__name__)


def refresh_marts(conn_id: str = db.WAREHOUSE_CONN_ID) -> None:
    with db.transaction(conn_id) as cur:
        db.run_sql_file(cur, "mart/refresh.sql")
    log.info("marts refreshed")


def latest_period(conn_id: str = db.WAREHOUSE_CONN_ID) -> dt.date | None:
    with db.transaction(conn_id) as cur:
        cur.execute("SELECT max(period) FROM core.verifikasi")
        return cur.fetchone()[0]


def publish_program(name: str, export_date: dt.date, dag_run_id: str | None = None,
                    conn_id: str = db.WAREHOUSE_CONN_ID) -> dict:  # fmt: skip
    """Write one program's referral export for the latest period; return its counts (no personal data)."""
    program = load_programs()[name]
    period = latest_period(conn_id)
    if period is None:
        log.warning("program %s: core holds no verified period yet, nothing to publish", name)
        return {"program": name, "status": "nothing to publish"}
    query, params = referral_query(program, period)
    with db.transaction(conn_id) as cur:
        buffer = io.StringIO()
        db.copy_query_to_csv(cur, query.as_string(cur), buffer, params)
    buffer.seek(0)
    frame = pd.read_csv(buffer, dtype="str", keep_default_na=False, na_values=[""])
    types = {c: COLUMN_TYPES[c] for c in program.columns}
    folder = write_export(
        config.export_dir(), name, export_date, frame, types,
        {"agency": program.agency, "description": program.description, "period": period.strftime("%Y-%m"),
         "dag_run_id": dag_run_id},
    )  # fmt: skip
    manifest_sha = sha256_file(folder / "manifest.json")
    with db.transaction(conn_id) as cur:
        cur.execute(
            """INSERT INTO publish.export_run (program, export_date, agency, period, row_count, export_path,
                   manifest_sha256, dag_run_id, generated_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now())
               ON CONFLICT (program, export_date) DO UPDATE SET agency = EXCLUDED.agency, period = EXCLUDED.period,
                   row_count = EXCLUDED.row_count, export_path = EXCLUDED.export_path,
                   manifest_sha256 = EXCLUDED.manifest_sha256, dag_run_id = EXCLUDED.dag_run_id,
                   generated_at = EXCLUDED.generated_at""",
            (name, export_date, program.agency, period, len(frame), str(folder), manifest_sha, dag_run_id),
        )
    keep_days = int(os.environ.get("VERFAK_EXPORT_RETENTION_DAYS", "30"))
    remove_old_exports(config.export_dir(), name, keep_days, export_date)
    log.info("program %s: %d referral(s) for period %s in %s", name, len(frame), period.strftime("%Y-%m"), folder)
    return {"program": name, "period": period.strftime("%Y-%m"), "rows": len(frame), "folder": str(folder)}

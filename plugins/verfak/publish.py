"""Stage 3, publish: core's statistics, then the marts refreshed beside each program's selection
and export.

The referral set of a program is always for the latest period loaded into core. Each export is
recorded in ``publish.export_run`` keyed by program and day, so a rerun of the same night replaces
its row and its folder rather than adding new ones.
"""

from __future__ import annotations

import datetime as dt
import logging

import pyarrow.compute as pc
from psycopg2 import sql

from verfak import config, db
from verfak.agency import program_select, sync_agencies
from verfak.exports import export_csv_file, read_csv_table, remove_old_exports, write_export
from verfak.files import sha256_file
from verfak.programs import REFERRED_BEFORE, Program, load_programs, referral_query
from verfak.safe_text import neutralise_sql

log = logging.getLogger(__name__)


#: Share of ``core.verifikasi``'s rows changed since its last ANALYZE above which publish analyses it
#: first (autovacuum's own threshold, 10% + 50 rows, is reached by a period's load but autovacuum
#: comes when it comes: in the benchmark it analysed the table 35 s into the publish).
STALE_STATISTICS_SHARE = 0.1


def analyse_core_if_stale(conn_id: str = db.WAREHOUSE_CONN_ID) -> bool:
    """ANALYZE ``core.verifikasi`` when it was never analysed or more than ``STALE_STATISTICS_SHARE``
    of its rows changed since: the marts and every program's selection and export read it, and
    planned without statistics the cash-aid selection of 960,143 referrals took 19.6 s instead of
    7.0 s (ANALYZE: 0.35 s at 1,000,000 rows). Returns whether it analysed. The publish DAG's first
    task (``verfak.pipeline.Publish.analyse_core``): the marts refresh and the programs follow it,
    side by side."""
    with db.transaction(conn_id) as cur:
        cur.execute(db.sql_file("publish/core_statistics_stale.sql"), {"share": STALE_STATISTICS_SHARE})
        stale = bool(db.one(cur)[0])
        if stale:
            cur.execute("ANALYZE core.verifikasi")
    if stale:
        log.info("core.verifikasi analysed (statistics out of date after the load)")
    return stale


def refresh_marts(conn_id: str = db.WAREHOUSE_CONN_ID) -> None:
    """Refresh the marts. Core's statistics are brought up to date before, by
    ``analyse_core_if_stale``; no program's selection or export reads a mart, so the programs are
    published beside this (the nightly report and the alerts read the marts: they wait for it)."""
    with db.transaction(conn_id) as cur:
        db.run_sql_file(cur, "mart/refresh.sql")
    log.info("marts refreshed")


def latest_period(conn_id: str = db.WAREHOUSE_CONN_ID) -> dt.date | None:
    with db.transaction(conn_id) as cur:
        cur.execute("SELECT max(period) FROM core.verifikasi")
        return db.one(cur)[0]


def select_referrals(
    cur, program: Program, period: dt.date, export_date: dt.date, dag_run_id: str | None
) -> int:
    """Choose the program's referrals for the period and record them (ids kept across reruns)."""
    query, params = referral_query(program, period)
    # 'lanjutan' for people referred to the program before (only a ``repeat`` rule selects them)
    status = (
        sql.SQL("CASE WHEN {} THEN 'lanjutan' ELSE 'baru' END").format(REFERRED_BEFORE)
        if program.repeat
        else sql.SQL("'baru'")
    )
    cur.execute(
        sql.SQL(
            "CREATE TEMP TABLE tmp_selected ON COMMIT DROP AS "
            "SELECT c.nik, c.urutan, {status} AS status_rujukan FROM ({query}) c"
        ).format(status=status, query=query),
        params,
    )
    # the statements below join it: planned with its real size (unchanged rerun of 960,143 referrals:
    # 3.5-3.9 s with, 4.3-4.6 s without)
    cur.execute("ANALYZE tmp_selected")
    db.run_sql_file(
        cur,
        "publish/record_referrals.sql",
        {
            "program": program.name,
            "period": period,
            "prefix": program.id_prefix,
            "export_date": export_date,
            "dag_run_id": dag_run_id,
        },
    )
    cur.execute("SELECT count(*) FROM tmp_selected")
    selected = db.one(cur)[0]
    cur.execute("SELECT reltuples FROM pg_class WHERE oid = 'publish.referral'::regclass")
    if db.one(cur)[0] < selected:
        # The table's statistics know fewer referrals than this program's period alone holds (the
        # first publish into a new warehouse): without them the export's query joined each of
        # 960,143 referrals by index loops (6.0 s) instead of one parallel hash join (3.4 s). The
        # lock ANALYZE takes is held to the commit: another program's publish waits at its own.
        cur.execute("ANALYZE publish.referral")
    return selected


def export_select(program: Program, types: dict[str, str]):
    """The query whose COPY output is ``referrals.csv``: the program's columns in rank order, text
    columns neutralised against spreadsheet formulas (``verfak.safe_text``). It reads the view's own
    query, not the view: an agency session may have kept the view from being refreshed tonight
    (``verfak.agency``), the export still follows the configuration."""
    columns = [
        sql.SQL("{} AS {}").format(neutralise_sql(c), sql.Identifier(c)) if t == "text" else sql.Identifier(c)
        for c, t in types.items()
    ]
    return sql.SQL("SELECT {} FROM ({}) v ORDER BY urutan").format(
        sql.SQL(", ").join(columns), program_select(program)
    )


def publish_program(
    name: str, export_date: dt.date, dag_run_id: str | None = None, conn_id: str = db.WAREHOUSE_CONN_ID
) -> dict:
    """Select one program's referrals for the latest period and publish its export; return counts only."""
    program = load_programs()[name]
    period = latest_period(conn_id)
    if period is None:
        log.warning("program %s: core holds no verified period yet, nothing to publish", name)
        return {"program": name, "status": "nothing to publish"}
    types = program.export_columns
    with db.transaction(conn_id) as cur:
        sync_agencies(cur, {name: program})  # the view follows the program's configuration
    # The COPY output goes to a file that becomes referrals.csv: the rows are held in memory once,
    # as the Arrow table the other formats are written from, not also as CSV bytes.
    csv_file = export_csv_file(config.export_dir(), name, export_date)
    try:
        with db.transaction(conn_id) as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('verfak.publish'), hashtext(%s))", (name,))
            # No JIT: compiling the selection's and the export's expressions cost more than it saved
            # (960,143 cash-aid referrals: selection 2.35 s with JIT, 1.95 s without; export COPY ~0.4 s less)
            cur.execute("SET LOCAL jit = off")
            selected = select_referrals(cur, program, period, export_date, dag_run_id)
            with csv_file.open("wb") as out:
                db.copy_query_to_csv(cur, export_select(program, types).as_string(cur), out)
        table = read_csv_table(csv_file, types)
        rows, new = table.num_rows, int(pc.sum(pc.equal(table.column("status_rujukan"), "baru")).as_py() or 0)
        folder = write_export(
            config.export_dir(),
            name,
            export_date,
            csv_file,
            table,
            types,
            {
                "agency": program.agency,
                "description": program.description,
                "period": period.strftime("%Y-%m"),
                "dag_run_id": dag_run_id,
                "new_referrals": new,
                "tindak_lanjut": {
                    "file": "tindak_lanjut.xlsx",
                    "statuses": list(program.statuses),
                    "return_folder": f"tindak_lanjut/{name}/<YYYY-MM>/",
                },
            },
            outcome_statuses=program.statuses,
            money=bool(program.money_statuses),
        )
    finally:
        csv_file.unlink(missing_ok=True)  # moved into the export, unless something failed first
    del table
    manifest_sha = sha256_file(folder / "manifest.json")
    with db.transaction(conn_id) as cur:
        cur.execute(
            db.sql_file("publish/upsert_export_run.sql"),
            (name, export_date, program.agency, period, rows, str(folder), manifest_sha, dag_run_id),
        )
    keep_days = config.settings().export_retention_days
    remove_old_exports(config.export_dir(), name, keep_days, export_date)
    log.info(
        "program %s: %d referral(s) for period %s (%d new), export in %s",
        name,
        rows,
        period.strftime("%Y-%m"),
        new,
        folder,
    )
    assert selected == rows, "the export must hold exactly the recorded referrals"
    return {
        "program": name,
        "period": period.strftime("%Y-%m"),
        "rows": rows,
        "new": new,
        "folder": str(folder),
    }

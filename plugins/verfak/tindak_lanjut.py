"""The return channel: agencies' return files (*tindak lanjut*) into dated referral outcomes.

An agency drops its filled ``tindak_lanjut.xlsx`` (or any CSV/XLSX with its columns, one or many
files a month, partial is fine) into ``<landing>/tindak_lanjut/<program>/<YYYY-MM>/``, ``YYYY-MM``
being the month it reports in. Like a village file, each file is registered once by SHA-256 in
``raw.return_file`` (the same bytes again are skipped), read by the same lenient reader
(``verfak.intake`` with the return file's contract) into ``raw.return_row`` with its row numbers,
and a file that can't be read is kept and registered as rejected with the reason. Supersede: all
files of a month count (they are partial reports); a new version of a file (same path, new bytes)
replaces the earlier one.

``check_pending`` is the gate: for each program with a new or replaced file, the current rows of
that month and of every later month are checked again (a later answer depends on the earlier
ones) by ``publish.outcome_checks`` (one column per rule of ``verfak.rules.OUTCOME_RULES``), the
suite runs in Great Expectations and as masks, both must agree; rows without an error become
events in ``publish.referral_outcome``, failed rows go to ``quality.return_issue`` and to the
agency's feedback ``<exports>/tindak_lanjut_umpan_balik/<program>/<YYYY-MM>.csv|.xlsx``. It all
happens in one transaction per program, so a rerun or a resubmission leaves the same tables.

Logs carry paths, counts and rule ids only: no NIK, no name.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import os
import re
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from verfak import config, db
from verfak.files import private_files
from verfak.ingest import file_time
from verfak.intake import Contract, ReadResult
from verfak.outcomes import RETURN_COLUMNS, RETURN_FOLDER, RETURN_LABELS, RETURN_REQUIRED, return_column
from verfak.safe_text import neutralise, shorten

log = logging.getLogger(__name__)

RETURN_CONTRACT = Contract(
    RETURN_COLUMNS,
    RETURN_REQUIRED,
    RETURN_LABELS,
    return_column,
    must_be_text=("nik",),
    header_hint="(ID Rujukan, NIK, Status Tindak Lanjut, Tanggal, ...)",
    template="file tindak_lanjut.xlsx dari ekspor",
)
FEEDBACK_FOLDER = "tindak_lanjut_umpan_balik"
FEEDBACK_COLUMNS = ("file", "sheet", "baris", "referral_id", "kolom", "nilai_dikirim", "kode_aturan", "pesan")
_PERIOD = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
_WIB = dt.timezone(dt.timedelta(hours=7))


@dataclass(frozen=True)
class ReturnOutcome:
    """What happened to one return file (counts only: safe for logs and XCom)."""

    path: str
    status: str  # accepted, rejected, duplicate, skipped (a link or not a regular file: not read)
    file_id: int | None = None
    program: str | None = None
    period: str | None = None
    rows_read: int = 0
    rows_rejected: int = 0
    reject_code: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def discover(landing: Path, conn_id: str = db.WAREHOUSE_CONN_ID) -> list[str]:
    """Return files under ``<landing>/tindak_lanjut/`` that are new or changed (by path, size, time).

    The same walk as the village ingest (``verfak.ingest._walk``): no link is followed or taken, and
    what is skipped (a link, not a regular file) is recorded in ``raw.skipped_path`` for the report.
    """
    from verfak.ingest import _walk, record_skipped

    root = landing / RETURN_FOLDER
    if not root.is_dir() or root.is_symlink():
        return []
    entries, skipped = _walk(root)
    prefix = RETURN_FOLDER + "/"
    with db.transaction(conn_id) as cur:
        cur.execute("SELECT path, size_bytes, modified_at FROM raw.return_path")
        known = {(p, s, m.timestamp()) for p, s, m in cur.fetchall()}
        record_skipped(cur, [(prefix + relative, reason) for relative, reason in skipped])
    found = [
        prefix + relative
        for relative, stat in entries
        if (prefix + relative, stat.st_size, file_time(stat.st_mtime).timestamp()) not in known
    ]
    log.info("return files under %s: %d new or changed, %d path(s) skipped", root, len(found), len(skipped))
    return found


def _locate(
    relative: str, programs: set[str]
) -> tuple[str | None, str | None, str | None, ReadResult | None]:
    """(program, period, folder) from ``tindak_lanjut/<program>/<YYYY-MM>/<file>``, or a rejection."""
    parts = Path(relative).parts
    folder = parts[1] if len(parts) >= 2 else None
    if len(parts) != 4:
        return (
            None,
            None,
            folder,
            ReadResult().reject(
                "lokasi_tidak_sesuai",
                "File tindak lanjut harus diletakkan di folder tindak_lanjut/<program>/<bulan YYYY-MM>/, "
                "misalnya tindak_lanjut/pelatihan/2024-07/.",
            ),
        )
    period = parts[2] if _PERIOD.match(parts[2]) else None
    program = folder if folder in programs else None
    if program is None:
        return (
            None,
            period,
            folder,
            ReadResult().reject(
                "program_tidak_dikenal",
                f"Folder '{folder}' bukan nama program ({', '.join(sorted(programs))}).",
            ),
        )
    if period is None:
        return (
            program,
            None,
            folder,
            ReadResult().reject(
                "periode_tidak_dikenal",
                f"Folder bulan '{parts[2]}' tidak dikenal: gunakan format YYYY-MM, misalnya 2024-07.",
            ),
        )
    return program, period, folder, None


def ingest_file(
    relative: str, landing: Path, dag_run_id: str | None = None, conn_id: str = db.WAREHOUSE_CONN_ID
) -> ReturnOutcome:
    """Register one return file and keep its rows. Idempotent by SHA-256, month and program folder.

    Read as a village file is (``verfak.ingest.ingest_file``): opened without following links, read
    once and no further than the size limit (the SHA-256 and the parse use the same bytes), bounded
    by the same limits; a link is skipped and recorded, an unexpected error rejects the file only.
    """
    from verfak.ingest import open_landing_file, read_rows
    from verfak.programs import load_programs

    file = open_landing_file(relative, landing, conn_id)
    if file is None:
        return ReturnOutcome(relative, "skipped")
    path, stat, sha256 = file.path, file.stat, file.sha256
    program, period, folder, rejection = _locate(relative, set(load_programs()))
    with db.transaction(conn_id) as cur:
        cur.execute(
            """SELECT file_id FROM raw.return_file WHERE sha256 = %s AND periode IS NOT DISTINCT FROM %s
                  AND folder_program IS NOT DISTINCT FROM %s""",
            (sha256, period, folder),
        )
        existing = cur.fetchone()
        if existing:
            log.info("%s: same bytes as return file %s, already registered: skipped", relative, existing[0])
            _remember_path(cur, relative, stat, sha256, existing[0])
            return ReturnOutcome(relative, "duplicate", file_id=existing[0])
    result = rejection or read_rows(file, contract=RETURN_CONTRACT)
    file_format = result.details.get("format") or path.suffix.lstrip(".").lower() or "unknown"
    with db.transaction(conn_id) as cur:
        cur.execute(
            db.sql_file("outcome/insert_return_file.sql"),
            (
                sha256,
                relative,
                path.name,
                program,
                folder,
                period,
                file_format,
                stat.st_size,
                file_time(stat.st_mtime),
                "accepted" if result.accepted else "rejected",
                result.reject_code,
                result.reject_message,
                json.dumps(result.details),
                result.rows_read,
                result.rows_passed,
                result.rows_rejected,
                dag_run_id,
            ),
        )
        returned = cur.fetchone()
        if returned is None:
            return ReturnOutcome(relative, "duplicate")
        file_id = returned[0]
        _remember_path(cur, relative, stat, sha256, file_id)
        if result.accepted:
            _copy_rows(cur, file_id, result)
    if result.accepted:
        log.info(
            "%s: return file %s accepted, %d row(s) (%d rejected at intake)",
            relative,
            file_id,
            result.rows_read,
            result.rows_rejected,
        )
    else:
        log.warning("%s: return file %s rejected (%s)", relative, file_id, result.reject_code)
    return ReturnOutcome(
        relative,
        "accepted" if result.accepted else "rejected",
        file_id,
        program,
        period,
        result.rows_read,
        result.rows_rejected,
        result.reject_code,
    )


def _remember_path(cur, relative: str, stat, sha256: str, file_id: int) -> None:
    cur.execute(
        db.sql_file("outcome/upsert_return_path.sql"),
        (relative, stat.st_size, file_time(stat.st_mtime), sha256, file_id),
    )


def _copy_rows(cur, file_id: int, result: ReadResult) -> None:
    from verfak.ingest import copy_rows

    copy_rows(cur, "raw.return_row", RETURN_COLUMNS, file_id, result)
    for issue in result.issues:
        cur.execute(
            """INSERT INTO quality.return_issue (file_id, source_row, stage, rule_id, severity, column_name,
                   value_sent, message) VALUES (%s, %s, 'intake', %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
            (
                file_id,
                issue.source_row,
                issue.rule_id,
                issue.severity,
                issue.column,
                issue.value_sent,
                issue.message,
            ),
        )


def resolve_superseded(conn_id: str = db.WAREHOUSE_CONN_ID) -> int:
    """A new version of a return file (same path, new bytes) supersedes the earlier; both are checked again."""
    with db.transaction(conn_id) as cur:
        cur.execute(db.sql_file("outcome/resolve_superseded.sql"))
        return cur.rowcount


# --- the gate -------------------------------------------------------------------------------------


def _typed(cur, program: str, from_period: str):
    """The current rows of the program's months from ``from_period`` on, typed for the checks. A row
    with none of the agency's columns filled (a pre-filled row of the returned workbook left as it
    was) is no answer: kept in raw, not checked."""
    import pandas as pd

    from verfak.staging import _identifier, _integer, parse_dates

    cur.execute(
        db.sql_file("outcome/select_rows_to_check.sql"),
        (program, from_period),
    )
    raw = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description], dtype="object")
    if raw.empty:
        return raw
    text = {
        c: raw[c].astype("string").str.strip().replace({"": pd.NA})
        for c in ("referral_id", "nik", "status_tindak_lanjut", "tanggal", "nilai", "kegiatan", "keterangan")
    }
    return pd.DataFrame(
        {
            "file_id": raw["file_id"].astype("int64"),
            "source_row": raw["source_row"].astype("int64"),
            "program": program,
            "referral_id": text["referral_id"].str.upper(),
            "nik": _identifier(raw["nik"].astype("string")),
            "status": text["status_tindak_lanjut"].str.lower().str.replace(r"[\s\-]+", "_", regex=True),
            "tanggal": parse_dates(raw["tanggal"].astype("string")).dt.date,
            "nilai": _integer(raw["nilai"].astype("string"), money=True),
            "kegiatan": text["kegiatan"],
            "keterangan": text["keterangan"],
            "reported_at": raw["reported_at"],
            "periode": raw["periode"],
        }
    )


_TMP_COLUMNS = (
    "file_id",
    "source_row",
    "program",
    "referral_id",
    "nik",
    "status",
    "tanggal",
    "nilai",
    "kegiatan",
    "keterangan",
    "reported_at",
)


def _checks(cur, typed, today: dt.date, max_passes: int = 10):
    """The rule columns of every typed row (publish.outcome_checks), as a DataFrame.

    A row that fails a rule is not loaded, so it can't be the status a later row moves from: the
    checks run again without the failed rows in the sequence until no new row fails (a row the
    agency sent after a wrong one is judged against what is really recorded).
    """
    import pandas as pd

    from verfak.rules import OUTCOME_RULES

    cur.execute(db.sql_file("outcome/create_tmp_return_rows.sql"))
    buffer = io.StringIO()
    typed[list(_TMP_COLUMNS)].to_csv(buffer, index=False, header=False)
    db.copy_rows(cur, "tmp_return_rows", list(_TMP_COLUMNS), buffer)
    failed: set[tuple[int, int]] = set()
    for _ in range(max_passes):
        cur.execute(db.sql_file("outcome/check_rows.sql"), {"today": today})
        frame = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description], dtype="object")
        failing = frame[[r.rule_id for r in OUTCOME_RULES]].eq(False).any(axis=1)
        now_failed = set(zip(frame.loc[failing, "file_id"], frame.loc[failing, "source_row"]))
        if now_failed == failed:
            break
        failed = now_failed
        cur.execute(
            "UPDATE tmp_return_rows SET in_sequence = NOT ((file_id, source_row) IN "
            "(SELECT * FROM unnest(%s::bigint[], %s::integer[])))",
            ([int(f) for f, _ in failed], [int(r) for _, r in failed]),
        )
    else:
        raise RuntimeError(f"outcome checks did not settle in {max_passes} passes")
    cur.execute("DROP TABLE tmp_return_rows")
    return frame.astype({"file_id": "int64", "source_row": "int64"})


def run_outcome_gate(checks, program: str, report_dir: Path | None = None):
    """Every outcome rule on every row, as masks and in Great Expectations; they must agree.
    Returns the failures (file_id, source_row, rule_id, severity, column_name, message)."""
    import numpy as np
    import pandas as pd

    from verfak.quality import INDEX_COLUMNS, _check_agreement, _failures, _validate
    from verfak.rules import OUTCOME_RULES, OUTCOME_RULES_BY_ID, build_outcome_suite, evaluate

    frame = checks.reset_index(drop=True)
    evaluated = evaluate(frame, OUTCOME_RULES)
    run, _ = _validate(
        build_outcome_suite(), frame, INDEX_COLUMNS, "tindak_lanjut", f"tindak-lanjut-{program}", report_dir
    )
    gx_failed, gx_counts = _failures(run, OUTCOME_RULES_BY_ID, INDEX_COLUMNS, len(frame))
    _check_agreement(frame, evaluated, gx_failed, gx_counts)
    parts = []
    for rule in OUTCOME_RULES:
        rows = np.flatnonzero(evaluated[rule.rule_id][1].to_numpy())
        if len(rows):
            parts.append(
                pd.DataFrame(
                    {
                        "file_id": frame["file_id"].to_numpy()[rows],
                        "source_row": frame["source_row"].to_numpy()[rows],
                        "rule_id": rule.rule_id,
                        "severity": rule.severity,
                        "column_name": rule.column,
                        "message": rule.message,
                    }
                )
            )
    columns = [*INDEX_COLUMNS, "rule_id", "severity", "column_name", "message"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def pending(conn_id: str = db.WAREHOUSE_CONN_ID) -> dict[str, str]:
    """Programs with a new or replaced return file -> the earliest month to check again."""
    with db.transaction(conn_id) as cur:
        cur.execute(
            """SELECT program, min(periode) FROM raw.return_file
                WHERE checked_at IS NULL AND program IS NOT NULL AND periode IS NOT NULL GROUP BY program"""
        )
        return dict(cur.fetchall())


def check_program(
    program: str, from_period: str, today: dt.date | None = None, conn_id: str = db.WAREHOUSE_CONN_ID
) -> dict:
    """Check a program's return rows from ``from_period`` on and record the passing ones as events."""
    today = today or dt.datetime.now(_WIB).date()
    from verfak.migrate import load_outcome_reference

    with db.transaction(conn_id) as cur:
        cur.execute(
            "SELECT pg_advisory_xact_lock(hashtext('verfak.tindak_lanjut'), hashtext(%s))", (program,)
        )
        load_outcome_reference(cur)  # the rules' messages, for the feedback and the database route
        cur.execute(
            "SELECT file_id FROM raw.return_file WHERE program = %s AND periode >= %s", (program, from_period)
        )
        files = [row[0] for row in cur.fetchall()]
        cur.execute("DELETE FROM publish.referral_outcome WHERE file_id = ANY(%s)", (files,))
        cur.execute("DELETE FROM quality.return_issue WHERE file_id = ANY(%s) AND stage = 'gate'", (files,))
        typed = _typed(cur, program, from_period)
        loaded = failed_rows = 0
        if len(typed):
            checks = _checks(cur, typed, today)
            failures = run_outcome_gate(checks, program)
            _record_issues(cur, failures)
            bad = set(
                map(
                    tuple, failures.loc[failures["severity"] == "error", ["file_id", "source_row"]].to_numpy()
                )
            )
            keys = list(zip(typed["file_id"], typed["source_row"]))
            good = typed[[k not in bad for k in keys]].merge(checks[["file_id", "source_row", "koreksi"]])
            failed_rows = len(typed) - len(good)
            loaded = _record_events(cur, good)
        cur.execute("UPDATE raw.return_file SET checked_at = now() WHERE file_id = ANY(%s)", (files,))
        cur.execute(
            "SELECT DISTINCT periode FROM raw.return_file WHERE file_id = ANY(%s) AND periode IS NOT NULL",
            (files,),
        )
        months = sorted(row[0] for row in cur.fetchall())
    for month in months:
        write_feedback(program, month, conn_id)
    log.info(
        "program %s, months %s on: %d row(s) checked, %d outcome event(s) recorded, %d row(s) sent back",
        program,
        from_period,
        len(typed),
        loaded,
        failed_rows,
    )
    return {
        "program": program,
        "from_period": from_period,
        "rows": len(typed),
        "events": loaded,
        "rows_failed": failed_rows,
        "months": months,
    }


def _record_issues(cur, failures) -> None:
    if not len(failures):
        return
    cur.execute(
        """CREATE TEMP TABLE tmp_return_issue (file_id bigint, source_row integer, rule_id text, severity text,
               column_name text, message text) ON COMMIT DROP"""
    )
    buffer = io.StringIO()
    failures[["file_id", "source_row", "rule_id", "severity", "column_name", "message"]].to_csv(
        buffer, index=False, header=False
    )
    db.copy_rows(
        cur,
        "tmp_return_issue",
        ["file_id", "source_row", "rule_id", "severity", "column_name", "message"],
        buffer,
    )
    # value_sent: the cell as the agency wrote it (raw.return_row), for its feedback file
    cur.execute(db.sql_file("outcome/insert_gate_issues.sql"))
    cur.execute("DROP TABLE tmp_return_issue")


def _record_events(cur, good) -> int:
    if not len(good):
        return 0
    columns = [
        "referral_id",
        "status",
        "tanggal",
        "nilai",
        "kegiatan",
        "keterangan",
        "koreksi",
        "file_id",
        "source_row",
        "reported_at",
    ]
    buffer = io.StringIO()
    good.sort_values(["tanggal", "reported_at", "file_id", "source_row"])[columns].to_csv(
        buffer, index=False, header=False
    )
    cur.execute(db.sql_file("outcome/create_tmp_return_event.sql"))
    db.copy_rows(cur, "tmp_return_event", columns, buffer)
    cur.execute(db.sql_file("outcome/insert_events.sql"))
    inserted = cur.rowcount
    cur.execute("DROP TABLE tmp_return_event")
    return inserted


def check_pending(today: dt.date | None = None, conn_id: str = db.WAREHOUSE_CONN_ID) -> list[dict]:
    """Check every program with a new or replaced return file (the DAG's second step)."""
    return [check_program(p, start, today, conn_id) for p, start in sorted(pending(conn_id).items())]


def finish(outcomes: list[dict], conn_id: str = db.WAREHOUSE_CONN_ID) -> dict:
    """End of the intake step: resolve supersede, return totals (counts only)."""
    totals = {
        "files": len(outcomes),
        "accepted": 0,
        "rejected": 0,
        "duplicate": 0,
        "skipped": 0,
        "rows_read": 0,
    }
    for outcome in outcomes:
        totals[outcome["status"]] += 1
        totals["rows_read"] += outcome["rows_read"]
    totals["superseded_changes"] = resolve_superseded(conn_id)
    # a rejected file gets no gate run: its month's feedback is written now
    for program, period in sorted(
        {
            (o["program"], o["period"])
            for o in outcomes
            if o["status"] == "rejected" and o["program"] and o["period"]
        }
    ):
        write_feedback(program, period, conn_id)
    log.info(
        "return files: %(files)d: %(accepted)d accepted, %(rejected)d rejected, %(duplicate)d already known",
        totals,
    )
    return totals


# --- feedback to the agency ------------------------------------------------------------------------


def feedback_paths(program: str, period: str) -> tuple[Path, Path]:
    folder = config.export_dir() / FEEDBACK_FOLDER / program
    return folder / f"{period}.csv", folder / f"{period}.xlsx"


@private_files()
def write_feedback(program: str, period: str, conn_id: str = db.WAREHOUSE_CONN_ID) -> int:
    """Rewrite the month's feedback files of a program (none when nothing is to fix); return the lines.

    Files 0640 in 0750 folders (``files.private_files``); every text cell echoed back is shortened
    and neutralised against spreadsheet formulas (``verfak.safe_text``), in the CSV and the XLSX.
    """
    with db.transaction(conn_id) as cur:
        cur.execute(db.sql_file("outcome/select_feedback.sql"), {"program": program, "periode": period})
        rows = [[neutralise(shorten(value)) for value in row] for row in cur.fetchall()]
    csv_path, xlsx_path = feedback_paths(program, period)
    if not rows:
        csv_path.unlink(missing_ok=True)
        xlsx_path.unlink(missing_ok=True)
        return 0
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = csv_path.with_name(f".{csv_path.name}.{uuid.uuid4().hex}.tmp")
    with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(FEEDBACK_COLUMNS)
        writer.writerows(rows)
    os.replace(tmp, csv_path)
    _write_feedback_xlsx(rows, xlsx_path)
    log.info("feedback for %s %s: %d line(s) in %s", program, period, len(rows), csv_path)
    return len(rows)


def _write_feedback_xlsx(rows: list[list], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook's one sheet
    sheet.title = "umpan_balik"
    sheet.append(FEEDBACK_COLUMNS)
    for row in rows:
        sheet.append(row)  # neutralised: openpyxl would store a text starting with '=' as a formula
        for cell in sheet[sheet.max_row]:
            cell.number_format = "@"
    sheet.freeze_panes = "A2"
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    workbook.save(tmp)
    os.replace(tmp, path)

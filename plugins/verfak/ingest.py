"""Stage 1, ingest: find new files in the landing zone, register each by SHA-256, keep its rows.

The landing zone is ``<landing>/<YYYY-MM>/<kode_desa>/<any name>.csv|.xlsx``. Every file found is
registered once in ``raw.submission_file`` (a file dropped again with the same bytes is recognised
and skipped), its rows are copied losslessly into ``raw.submission_row`` with their spreadsheet row
numbers, and problems with single rows go to ``quality.row_issue`` (stage ``intake``). A file that
can't be read is registered as rejected with the reason; it stays on disk and in the report.

When a village sends more than one file for a period, the latest counts: the file with the newest
modification time (then the greatest name, then the latest registration) is current, the others
are marked ``superseded_by`` it and kept in ``raw`` for audit. See docs/submissions.md.

Links are never followed (issue #12): discovery does not enter a linked folder nor take a linked
file, and a file is opened one folder at a time with ``O_NOFOLLOW`` (``verfak.files.open_under``),
so nothing outside the landing zone is read. What is skipped is logged (path only) and kept in
``raw.skipped_path`` for the nightly report. A file is read once: the SHA-256 and the parse use
the same bytes, and a file over the size limit is only hashed. A misplaced file is still
registered with the period and village its path shows, so that village hears of it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import os
import re
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

from verfak import bounds, db, files
from verfak.columns import COLUMNS
from verfak.intake import ReadResult, normalise_kode_desa, read_submission
from verfak.outcomes import RETURN_FOLDER

log = logging.getLogger(__name__)

_PERIOD = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
_PERIOD_LENIENT = re.compile(r"^\s*(20[0-9]{2})\s*[-_. ]\s*(0?[1-9]|1[0-2])\s*$")  # 2024-6, 2024_06, 2024.06
MSG_FAILED = (
    "File tidak bisa diproses karena kesalahan di sistem Dinas Sosial, bukan karena isi file Anda. "
    "Petugas data sudah diberi tahu; tidak perlu mengirim ulang kecuali diminta."
)


@dataclass(frozen=True)
class IngestOutcome:
    """What happened to one file (no personal data: safe for logs and XCom)."""

    path: str
    status: str  # accepted, rejected, duplicate, skipped (a link or not a regular file: not read)
    file_id: int | None = None
    period: str | None = None
    kode_desa: str | None = None
    rows_read: int = 0
    rows_passed: int = 0
    rows_rejected: int = 0
    reject_code: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _is_junk(path: Path) -> bool:
    """Editor lock files and hidden files are not submissions."""
    return path.name.startswith((".", "~$")) or path.name in {"Thumbs.db", "desktop.ini"}


def _walk(landing: Path) -> tuple[list[tuple[str, os.stat_result]], list[tuple[str, str]]]:
    """Regular files under ``landing`` (relative path, stat), never entering a linked folder; and the
    paths skipped: links (``tautan``) and what is not a regular file (``bukan_file_biasa``)."""
    found, skipped = [], []
    pending = [""]
    while pending:
        folder = pending.pop()
        with os.scandir(landing / folder if folder else landing) as entries:
            for entry in entries:
                relative = f"{folder}/{entry.name}" if folder else entry.name
                if entry.is_symlink():
                    skipped.append((relative, "tautan"))
                elif entry.is_dir(follow_symlinks=False):
                    pending.append(relative)
                elif entry.is_file(follow_symlinks=False):
                    if not _is_junk(Path(relative)):
                        found.append((relative, entry.stat(follow_symlinks=False)))
                elif not _is_junk(Path(relative)):
                    skipped.append((relative, "bukan_file_biasa"))
    return sorted(found), sorted(skipped)


def record_skipped(cur, skipped: list[tuple[str, str]]) -> None:
    """Remember skipped paths for the nightly report, and log them (the path only)."""
    for relative, reason in skipped:
        log.warning(
            "%s: skipped (%s): ingest reads no link and nothing but regular files in the landing zone",
            relative,
            "a link" if reason == "tautan" else "not a regular file",
        )
        cur.execute(
            """INSERT INTO raw.skipped_path (path, reason) VALUES (%s, %s)
               ON CONFLICT (path) DO UPDATE SET reason = EXCLUDED.reason, last_seen_at = now()""",
            (relative, reason),
        )


def discover(landing: Path, conn_id: str = db.WAREHOUSE_CONN_ID) -> list[str]:
    """Files in the landing zone not registered yet (by path, size and modification time).

    The agencies' return files under ``tindak_lanjut/`` are not village submissions: left to
    ``verfak.tindak_lanjut``.

    Cheap on a large landing zone: only files that are new or changed are checksummed later.
    Links (to files or folders) and what is not a regular file are skipped and recorded.
    """
    if not landing.exists():
        log.warning("landing folder %s does not exist: nothing to ingest", landing)
        return []
    entries, skipped = _walk(landing)
    with db.transaction(conn_id) as cur:
        cur.execute("SELECT path, size_bytes, modified_at FROM raw.landing_path")
        known = {(p, s, m.timestamp()) for p, s, m in cur.fetchall()}
        record_skipped(cur, skipped)
    found = []
    for relative, stat in entries:
        if relative.startswith(RETURN_FOLDER + "/"):
            continue  # the agencies' return files: verfak.tindak_lanjut
        if (relative, stat.st_size, file_time(stat.st_mtime).timestamp()) not in known:
            found.append(relative)
    log.info(
        "landing zone %s: %d new or changed file(s), %d path(s) skipped", landing, len(found), len(skipped)
    )
    return found


def file_time(seconds: float) -> dt.datetime:
    """A file's modification time as stored in the warehouse (UTC)."""
    # microsecond precision, as PostgreSQL keeps it, so the comparison in discover() is exact
    return dt.datetime.fromtimestamp(round(seconds, 6), tz=dt.UTC)


def _period_of(folder: str) -> str | None:
    """``'2024-06'``; a period written loosely (``2024-6``, ``2024_06``) read as well; else None."""
    if _PERIOD.match(folder):
        return folder
    loose = _PERIOD_LENIENT.match(folder)
    return f"{loose.group(1)}-{int(loose.group(2)):02d}" if loose else None


def _locate(
    relative: str, villages: dict[str, str]
) -> tuple[str | None, str | None, str | None, ReadResult | None]:
    """Period, village (dotted code) and folder name from the path, or a rejection.

    A misplaced file is rejected, but with the period and the village its path shows wherever
    they can be read (``2024-06/3216122003/sub/x.csv``, ``2024-6/32.16.12.2003/x.csv``, ``2024-06/x.csv``),
    so that its village gets the reason in its feedback; a file with no village shows in the report.
    """
    parts = Path(relative).parts
    folders = parts[:-1]
    folder = parts[1] if len(parts) >= 3 else None  # the village folder's name as written, if there is one
    period = next((p for p in map(_period_of, folders[:1]) if p), None) or next(
        (p for p in map(_period_of, folders) if p), None
    )
    kode_desa = next((villages[k] for k in (normalise_kode_desa(f) for f in folders) if k in villages), None)
    if (
        len(parts) == 3
        and _PERIOD.match(parts[0])
        and kode_desa
        and villages.get(normalise_kode_desa(folder) or "")
    ):
        return period, kode_desa, folder, None
    where = "File harus diletakkan di folder <periode YYYY-MM>/<kode desa>/, misalnya 2024-06/32.16.12.2003/"
    if len(parts) == 3 and not _PERIOD.match(parts[0]):
        hint = f" (periode {period})" if period else ""
        rejection = ReadResult().reject(
            "periode_tidak_dikenal",
            f"Folder periode '{parts[0]}' tidak dikenal: gunakan format YYYY-MM, misalnya 2024-06{hint}. "
            "Pindahkan file ke folder yang benar lalu kirim ulang.",
        )
    elif len(parts) == 3 and not villages.get(normalise_kode_desa(folder) or ""):
        rejection = ReadResult().reject(
            "desa_tidak_dikenal",
            f"Folder '{folder}' bukan kode desa/kelurahan Kabupaten Bekasi (Kemendagri), misalnya 32.16.12.2003.",
        )
    else:
        shown = "/".join(parts)
        rejection = ReadResult().reject(
            "lokasi_tidak_sesuai",
            f"{where}; file ini ada di '{shown}'. Pindahkan file ke folder yang benar lalu kirim ulang.",
        )
    return period, kode_desa, folder, rejection


@dataclass(frozen=True)
class LandingFile:
    """A landing-zone file opened without following links and read once: its metadata, its bytes
    (None when it is over the size limit, then hashed only) and their SHA-256."""

    relative: str
    path: Path
    stat: os.stat_result
    data: bytes | None
    sha256: str
    limits: bounds.Limits

    @property
    def modified_at(self) -> dt.datetime:
        return file_time(self.stat.st_mtime)


def open_landing_file(
    relative: str, landing: Path, conn_id: str = db.WAREHOUSE_CONN_ID
) -> LandingFile | None:
    """Read ``landing/relative`` once, no further than the size limit, so the SHA-256 and the parse
    use the same bytes; None when it is a link or not a regular file (skipped and recorded for the
    report). Village files and agency return files are read the same way."""
    path = landing / relative
    limits = bounds.Limits.from_config()
    try:
        fd = files.open_under(landing, relative)
    except files.NotARegularFile:
        with db.transaction(conn_id) as cur:
            record_skipped(cur, [(relative, "tautan" if os.path.islink(path) else "bukan_file_biasa")])
        return None
    try:
        stat = os.fstat(fd)
        data, sha256, _ = files.read_fd(fd, limits.file_bytes)
    finally:
        os.close(fd)
    return LandingFile(relative, path, stat, data, sha256, limits)


def read_rows(file: LandingFile, **options) -> ReadResult:
    """The file's rows (``read_submission`` with ``options``) or its rejection: an over-size file is
    not parsed, an unexpected error while reading rejects this file only (``file_gagal_diproses``)."""
    if file.data is None:
        over = bounds.too_big(file.stat.st_size, file.limits)
        return ReadResult().reject(over.code, over.message)
    try:
        return read_submission(file.path, data=file.data, limits=file.limits, **options)
    except Exception as error:
        # The type and the place only: an exception's message can quote a cell (personal data).
        frames = traceback.extract_tb(error.__traceback__)
        place = ", ".join(f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in frames[-3:])
        log.error(
            "%s: reading failed with %s (%s): registered as rejected",
            file.relative,
            type(error).__name__,
            place,
        )
        return ReadResult().reject("file_gagal_diproses", MSG_FAILED)


def copy_rows(cur, table: str, columns: tuple[str, ...], file_id: int, result: ReadResult) -> None:
    """COPY a read file's rows into a raw table: file, row, the contract's columns, the extra cells
    (JSON) and, for a workbook read from several sheets, each row's sheet and row on it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    by_sheet = bool(result.details.get("sheets"))
    for source_row, values, extra in result.rows:
        sheet, sheet_row = result.locate(source_row) if by_sheet else (None, None)
        writer.writerow(
            [
                file_id,
                source_row,
                *values,
                json.dumps(extra, ensure_ascii=False) if extra else None,
                sheet,
                sheet_row,
            ]
        )
    db.copy_rows(
        cur, table, ["file_id", "source_row", *columns, "extra", "source_sheet", "sheet_row"], buffer
    )


def ingest_file(
    relative: str, landing: Path, dag_run_id: str | None = None, conn_id: str = db.WAREHOUSE_CONN_ID
) -> IngestOutcome:
    """Register one landing-zone file and keep its rows. Idempotent by SHA-256, period and village folder.

    The file is opened without following links and read once (no further than the size limit):
    the SHA-256 and the parse use the same bytes. A link or anything but a regular file is skipped
    (``status`` ``skipped``, recorded for the report), an unexpected error while reading is a
    rejection of this file (``file_gagal_diproses``), never the end of the run.
    """
    file = open_landing_file(relative, landing, conn_id)
    if file is None:
        return IngestOutcome(relative, "skipped")
    path, stat, sha256 = file.path, file.stat, file.sha256
    with db.transaction(conn_id) as cur:
        cur.execute("SELECT kode_desa_plain, kode_desa FROM ref.desa")
        villages = dict(cur.fetchall())
        period, kode_desa, folder, rejection = _locate(relative, villages)
        # The same bytes again for the same village and period: already registered. (The same
        # bytes from another village, e.g. two unfilled templates, are that village's submission.)
        cur.execute(
            """SELECT file_id, path FROM raw.submission_file
                WHERE sha256 = %s AND periode IS NOT DISTINCT FROM %s AND folder_desa IS NOT DISTINCT FROM %s""",
            (sha256, period, folder),
        )
        existing = cur.fetchone()
        if existing:
            log.info("%s: same bytes as file %s (%s), already registered: skipped", relative, *existing)
            _remember_path(cur, relative, stat, sha256, existing[0])
            return IngestOutcome(relative, "duplicate", file_id=existing[0])

    result = rejection or read_rows(file, kode_desa_folder=kode_desa.replace(".", "") if kode_desa else None)
    file_format = result.details.get("format") or Path(relative).suffix.lstrip(".").lower() or "unknown"

    with db.transaction(conn_id) as cur:
        cur.execute(
            db.sql_file("ingest/insert_submission_file.sql"),
            (
                sha256,
                relative,
                path.name,
                period,
                kode_desa,
                folder,
                file_format,
                stat.st_size,
                file_time(stat.st_mtime),
                "accepted" if result.accepted else "rejected",
                result.reject_code,
                result.reject_message,
                json.dumps(result.details),
                result.rows_read,
                result.rows_read - result.rows_rejected,
                result.rows_rejected,
                dag_run_id,
            ),
        )
        returned = cur.fetchone()
        if returned is None:  # registered meanwhile by a parallel task
            return IngestOutcome(relative, "duplicate")
        file_id = returned[0]
        _remember_path(cur, relative, stat, sha256, file_id)
        if result.accepted:
            _copy_rows(cur, file_id, result)
    outcome = IngestOutcome(
        relative,
        "accepted" if result.accepted else "rejected",
        file_id,
        period,
        kode_desa,
        result.rows_read,
        result.rows_read - result.rows_rejected,
        result.rows_rejected,
        result.reject_code,
    )
    if result.accepted:
        log.info(
            "%s: file %s accepted, %d row(s) read = %d passed + %d rejected at intake (%d empty form row(s) skipped)",
            relative,
            file_id,
            outcome.rows_read,
            outcome.rows_passed,
            outcome.rows_rejected,
            result.details.get("rows_skipped", 0),
        )
    else:
        log.warning(
            "%s: file %s rejected (%s): %s", relative, file_id, result.reject_code, result.reject_message
        )
    return outcome


def _remember_path(cur, relative: str, stat, sha256: str, file_id: int) -> None:
    cur.execute(
        db.sql_file("ingest/upsert_landing_path.sql"),
        (relative, stat.st_size, file_time(stat.st_mtime), sha256, file_id),
    )


def _copy_rows(cur, file_id: int, result: ReadResult) -> None:
    copy_rows(cur, "raw.submission_row", COLUMNS, file_id, result)
    if result.issues:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for issue in result.issues:
            writer.writerow(
                [
                    file_id,
                    issue.source_row,
                    "intake",
                    issue.rule_id,
                    issue.severity,
                    issue.column,
                    issue.value_sent,
                    issue.message,
                ]
            )
        db.copy_rows(
            cur,
            "quality.row_issue",
            ["file_id", "source_row", "stage", "rule_id", "severity", "column_name", "value_sent", "message"],
            buffer,
        )


def resolve_superseded(conn_id: str = db.WAREHOUSE_CONN_ID) -> int:
    """Mark every accepted file that a later one of its village and period replaces; return how many changed."""
    with db.transaction(conn_id) as cur:
        db.run_sql_file(cur, "ingest/resolve_superseded.sql")
        changed = cur.rowcount
    log.info("latest submission per village and period resolved (%d file(s) changed state)", changed)
    return changed


def summarise(outcomes: list[dict]) -> dict:
    """Totals over the files of one ingest run, for the log and the run summary."""
    totals = {
        "files": len(outcomes),
        "accepted": 0,
        "rejected": 0,
        "duplicate": 0,
        "skipped": 0,
        "rows_read": 0,
        "rows_passed": 0,
        "rows_rejected": 0,
    }
    for outcome in outcomes:
        totals[outcome["status"]] += 1
        for key in ("rows_read", "rows_passed", "rows_rejected"):
            totals[key] += outcome[key]
    return totals


def finish(outcomes: list[dict], conn_id: str = db.WAREHOUSE_CONN_ID) -> dict:
    """End of an ingest run: resolve supersession, tell villages about rejected files, log totals."""
    from verfak.feedback import write_feedback

    totals = summarise(outcomes)
    totals["superseded_changes"] = resolve_superseded(conn_id)
    # A rejected file gets no validate-and-load run: its village is told now.
    rejected: dict[str, set[str]] = {}
    for o in outcomes:
        if o["status"] == "rejected" and o["kode_desa"] and o["period"]:
            rejected.setdefault(o["period"], set()).add(o["kode_desa"])
    for period, villages in sorted(rejected.items()):
        write_feedback(period, sorted(villages), conn_id=conn_id)
    log.info(
        "ingest run: %(files)d file(s): %(accepted)d accepted, %(rejected)d rejected, %(duplicate)d already "
        "known; rows read %(rows_read)d = passed %(rows_passed)d + rejected %(rows_rejected)d",
        totals,
    )
    return totals

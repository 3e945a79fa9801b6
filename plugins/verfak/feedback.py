"""Village feedback: one file per village and period listing, per spreadsheet row, what to fix.

``<exports>/feedback/<YYYY-MM>/<kode_desa>.csv`` (UTF-8 with BOM and ``;`` so that Excel set to
Indonesian opens it straight away). Written from ``quality.row_issue`` and the rejected files,
i.e. from what the intake and the Great Expectations results found. A long value sent is echoed
shortened and every text cell is neutralised against spreadsheet formulas (``verfak.safe_text``:
a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a CR gets a leading ``'``). The whole period folder is
rebuilt aside and swapped in, so a village never sees a half-written list, and a village that has
fixed everything no longer has a file. A batch of validate-and-load rewrites only the files of
the villages it touched, each replaced atomically.
"""

from __future__ import annotations

import csv
import logging
import shutil
import uuid
from pathlib import Path

from verfak import config, db
from verfak.files import private_files
from verfak.safe_text import neutralise, shorten

log = logging.getLogger(__name__)

FEEDBACK_COLUMNS = ("file", "sheet", "baris", "kolom", "nilai_dikirim", "tingkat", "kode_aturan", "pesan")


def feedback_dir(period: str) -> Path:
    return config.export_dir() / "feedback" / period


def _write_village(path: Path, issues: list[list]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(FEEDBACK_COLUMNS)
        writer.writerows([neutralise(shorten(value)) for value in issue] for issue in issues)


@private_files()
def write_feedback(
    period: str, villages: list[str] | None = None, conn_id: str = db.WAREHOUSE_CONN_ID
) -> int:
    """Rewrite the feedback of a period's ``villages`` (all of them when None); return the number of
    those villages with a file.

    Every village: the whole period folder is rebuilt aside and swapped in. Some villages (a batch
    of validate-and-load, rejected files at ingest): each one's file is written aside and renamed
    over the old one (atomic), and a village of the list with nothing left to fix loses its file;
    the other villages' files are not touched.
    """
    with db.transaction(conn_id) as cur:
        cur.execute(
            db.sql_file("quality/select_feedback.sql"),
            {"periode": period, "villages": None if villages is None else list(villages)},
        )
        rows = cur.fetchall()
    by_village: dict[str, list[list]] = {}
    for kode_desa, *row, _key in rows:  # _key: the row's key in its file, for the order only
        by_village.setdefault(kode_desa, []).append(row)

    target = feedback_dir(period)
    target.parent.mkdir(parents=True, exist_ok=True)
    if villages is not None:
        target.mkdir(exist_ok=True)
        for kode_desa in sorted(set(villages)):
            path = target / f"{kode_desa}.csv"
            if kode_desa in by_village:
                aside = target / f".{kode_desa}.{uuid.uuid4().hex}.tmp"
                _write_village(aside, by_village[kode_desa])
                aside.replace(path)
            else:
                path.unlink(missing_ok=True)
        log.info(
            "feedback for period %s: %d of %d village(s) asked have a file, %d line(s), in %s",
            period,
            len(by_village),
            len(set(villages)),
            len(rows),
            target,
        )
        return len(by_village)

    staging = target.parent / f".{period}.{uuid.uuid4().hex}.tmp"
    staging.mkdir()
    for kode_desa, issues in by_village.items():
        _write_village(staging / f"{kode_desa}.csv", issues)
    old = None
    if target.exists():
        old = target.parent / f".{period}.{uuid.uuid4().hex}.old"
        target.rename(old)
    staging.rename(target)
    if old:
        shutil.rmtree(old)
    log.info(
        "feedback for period %s: %d village(s), %d line(s), in %s", period, len(by_village), len(rows), target
    )
    return len(by_village)

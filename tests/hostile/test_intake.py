"""Hostile input at intake (issue #12, items 1, 3, 5 and 14), against the real PostgreSQL.

The crafted files are tests/hostile/files/ (made by craft_intake.py); links, pipes and misplaced
files are made here in the test's landing zone. Each case goes through ingest (and, where it
matters, validate-and-load and the nightly report) and the outcome is asserted: rejected with
which code and message, or loaded with which values, and what the feedback and the report hold.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import run_ingest, run_validate_load, village_row, write_submission_csv
from tests.hostile import craft_intake, make_hostile
from verfak import ingest

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
ROOT = HERE.parents[1]
PERIOD = "2024-06"
VILLAGE = craft_intake.KODE_DESA  # 32.16.12.2003


@pytest.fixture
def warehouse(warehouse):
    """The shared empty warehouse, and no skipped path left from another test (conftest does not know the table)."""
    from tests.conftest import truncate

    truncate(warehouse.uri, ("raw.skipped_path",))
    return warehouse


def drop(warehouse, name: str, folder: str = VILLAGE) -> str:
    target = warehouse.landing / PERIOD / folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FILES / name, target)
    return target.relative_to(warehouse.landing).as_posix()


def registered(warehouse, name: str) -> dict:
    rows = warehouse.query(
        """SELECT status, reject_code, reject_message, rows_read, periode, kode_desa
             FROM raw.submission_file WHERE file_name = %s""",
        (name,),
    )
    assert len(rows) == 1, f"{name}: registered {len(rows)} times"
    return dict(
        zip(("status", "reject_code", "reject_message", "rows_read", "periode", "kode_desa"), rows[0])
    )


def feedback(warehouse, kode_desa: str = VILLAGE) -> list[dict]:
    path = warehouse.exports / "feedback" / PERIOD / f"{kode_desa}.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def test_crafted_files_are_what_craft_intake_makes(tmp_path):
    make_hostile.build(tmp_path)
    for name in craft_intake.files():
        assert (tmp_path / name).read_bytes() == (FILES / name).read_bytes(), name


# --- item 1: every file read in bounded memory and time ------------------------------------------

# file: (code, what its message must say)
OVER_LIMIT = {
    "xlsx_sel_xfd1048576.xlsx": (
        "sheet_terlalu_luas",
        ["Sheet 'Data'", "XFD1048576", "1.048.576 baris", "100.000 baris"],
    ),
    "xlsx_sel_xfd4000.xlsx": ("sheet_terlalu_luas", ["Sheet 'Data'", "XFD4000", "16.384 kolom", "256 kolom"]),
    "xlsx_dimensi_bohong.xlsx": (
        "sheet_terlalu_luas",
        ["Sheet 'Data' berisi sel sampai ZZ90000", "702 kolom"],
    ),
    "xlsx_dimensi_raksasa.xlsx": ("sheet_terlalu_luas", ["menyatakan luasnya sampai sel XFD1048576"]),
    "xlsx_bom_zip.xlsx": ("arsip_mencurigakan", ["xl/sharedStrings.xml", "100 kali"]),
    "csv_kolom_banyak.csv": ("terlalu_banyak_kolom", ["Baris 3", "20.001 kolom", "256 kolom"]),
    "csv_sel_raksasa.csv": ("sel_terlalu_panjang", ["Sel di baris 2", "100.000 karakter"]),
    "csv_baris_banyak.csv": ("terlalu_banyak_baris", ["lebih dari 100.000 baris"]),
}

_CHILD = """
import sys
sys.path[:0] = [{root!r}, {plugins!r}]
from pathlib import Path
from tests.helpers import run_ingest
run_ingest(Path({landing!r}))
"""


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


def test_files_over_a_limit_are_rejected_with_their_code_and_the_run_goes_on(warehouse):
    """The whole ingest runs in a child process with 3 GiB of address space: before the limits, the
    XFD1048576 workbook aborted it (SIGABRT), which here fails the test instead of killing pytest."""
    for name in OVER_LIMIT:
        drop(warehouse, name)
    write_submission_csv(
        warehouse.landing,
        PERIOD,
        "32.16.12.2004",
        [village_row(PERIOD, "32.16.12.2004", 7, dt.date(1980, 1, 2))],
        name="baik.csv",
    )
    script = _CHILD.format(root=str(ROOT), plugins=str(ROOT / "plugins"), landing=str(warehouse.landing))
    started = dt.datetime.now()
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limit_memory,
        env=dict(os.environ),
    )
    assert done.returncode == 0, f"ingest died ({done.returncode}): {done.stderr[-2000:]}"
    assert dt.datetime.now() - started < dt.timedelta(seconds=120)
    lines = {line["file"]: line for line in feedback(warehouse)}
    for name, (code, words) in OVER_LIMIT.items():
        file = registered(warehouse, name)
        assert (file["status"], file["reject_code"], file["rows_read"]) == ("rejected", code, 0), name
        assert (file["periode"], file["kode_desa"]) == (PERIOD, VILLAGE)
        for word in words:
            assert word in file["reject_message"], (name, word, file["reject_message"])
        # the village is told, in its feedback file
        assert (lines[name]["tingkat"], lines[name]["kode_aturan"], lines[name]["pesan"]) == (
            "file ditolak",
            code,
            file["reject_message"],
        )
    assert registered(warehouse, "baik.csv")["status"] == "accepted"


def test_a_long_but_plausible_cell_passes_intake(warehouse):
    """40,000 characters is the gate's business (a row error there), not a whole-file cap."""
    drop(warehouse, "csv_sel_40000.csv")
    (outcome,) = run_ingest(warehouse.landing)
    assert outcome["status"] == "accepted"
    assert outcome["rows_read"] == 1
    assert warehouse.scalar("SELECT length(alamat) FROM raw.submission_row") == 40_000


def test_an_error_while_reading_one_file_is_a_rejection_not_the_end_of_the_run(
    warehouse, monkeypatch, caplog
):
    """Fault injection: the CSV reader raises with a NIK in its message (a bug, not bad input)."""
    from verfak import intake

    def broken(*args, **kwargs):
        raise KeyError("3216125708750012")

    monkeypatch.setattr(intake, "_read_csv", broken)
    write_submission_csv(
        warehouse.landing, PERIOD, VILLAGE, [village_row(PERIOD, VILLAGE, 1, dt.date(1975, 8, 17))]
    )
    with caplog.at_level(logging.INFO):
        (outcome,) = run_ingest(warehouse.landing)
    assert (outcome["status"], outcome["reject_code"]) == ("rejected", "file_gagal_diproses")
    assert "kesalahan di sistem Dinas Sosial" in registered(warehouse, "verfak.csv")["reject_message"]
    assert "KeyError" in caplog.text
    assert "3216125708750012" not in caplog.text


# --- item 3: every sheet with the submission header ----------------------------------------------


def test_people_on_two_sheets_are_all_read_and_feedback_names_the_sheet(warehouse):
    drop(warehouse, "xlsx_dua_sheet_rt.xlsx")
    (outcome,) = run_ingest(warehouse.landing)
    assert outcome["status"] == "accepted"
    assert outcome["rows_read"] == 5
    rows = warehouse.query("""SELECT source_sheet, sheet_row, nama FROM raw.submission_row
                               ORDER BY source_row""")
    assert rows == [
        ("RT 01", 2, "Warga Uji 11"),
        ("RT 01", 3, "Warga Uji 12"),
        ("RT 02", 2, "Warga Uji 21"),
        ("RT 02", 3, "Warga Uji 22"),
        ("RT 02", 4, "Warga Uji 23"),
    ]
    details = warehouse.scalar("SELECT read_details FROM raw.submission_file")
    assert [(s["sheet"], s["header_row"], s["rows"]) for s in details["sheets"]] == [
        ("RT 01", 1, 2),
        ("RT 02", 1, 3),
    ]
    run_validate_load()
    assert sorted(n for (n,) in warehouse.query("SELECT nama FROM core.verifikasi")) == [
        "Warga Uji 11",
        "Warga Uji 12",
        "Warga Uji 21",
        "Warga Uji 22",
    ]
    (line,) = feedback(warehouse)
    assert (
        line["file"],
        line["sheet"],
        line["baris"],
        line["kolom"],
        line["nilai_dikirim"],
        line["tingkat"],
    ) == ("xlsx_dua_sheet_rt.xlsx", "RT 02", "4", "status_verifikasi", "entah", "ditolak")


# --- item 5: links out of the landing zone --------------------------------------------------------


def test_links_and_pipes_are_skipped_logged_and_reported(warehouse, tmp_path, caplog):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    good = write_submission_csv(
        outside, PERIOD, "32.16.12.2004", [village_row(PERIOD, "32.16.12.2004", 3, dt.date(1980, 1, 2))]
    )
    folder = warehouse.landing / PERIOD / VILLAGE
    folder.mkdir(parents=True)
    (folder / "passwd.csv").symlink_to("/etc/passwd")
    (folder / "environ.csv").symlink_to("/proc/self/environ")
    (folder / "verfak.csv").symlink_to(good)  # a readable submission, but outside the landing zone
    (warehouse.landing / PERIOD / "32.16.12.2004").symlink_to(good.parent, target_is_directory=True)
    os.mkfifo(folder / "pipa.csv")
    with caplog.at_level(logging.INFO):
        outcomes = run_ingest(warehouse.landing)
    assert outcomes == []
    assert warehouse.scalar("SELECT count(*) FROM raw.submission_file") == 0
    skipped = sorted(warehouse.query("SELECT path, reason FROM raw.skipped_path"))
    assert skipped == sorted(
        [
            (f"{PERIOD}/32.16.12.2004", "tautan"),
            (f"{PERIOD}/{VILLAGE}/environ.csv", "tautan"),
            (f"{PERIOD}/{VILLAGE}/passwd.csv", "tautan"),
            (f"{PERIOD}/{VILLAGE}/pipa.csv", "bukan_file_biasa"),
            (f"{PERIOD}/{VILLAGE}/verfak.csv", "tautan"),
        ]
    )
    assert f"{PERIOD}/{VILLAGE}/passwd.csv: skipped (a link)" in caplog.text
    assert "root:" not in caplog.text
    # a path found as a file and swapped for a link before it is read: not read either
    assert ingest.ingest_file(f"{PERIOD}/{VILLAGE}/verfak.csv", warehouse.landing).status == "skipped"
    from verfak import report

    report.write_report(dt.date(2024, 7, 1), period=PERIOD)
    page = (warehouse.reports / "latest" / "index.html").read_text()
    assert f"{PERIOD}/{VILLAGE}/passwd.csv" in page
    assert "skipped: link" in page
    assert "/etc/passwd" not in page


def test_a_file_is_read_once_and_the_hash_is_of_the_bytes_read(warehouse):
    path = write_submission_csv(
        warehouse.landing, PERIOD, VILLAGE, [village_row(PERIOD, VILLAGE, 1, dt.date(1975, 8, 17))]
    )
    opened = []
    sys.addaudithook(lambda event, args: opened.append(args) if event == "open" and _RECORD else None)
    _RECORD.append(True)
    try:
        outcome = ingest.ingest_file(path.relative_to(warehouse.landing).as_posix(), warehouse.landing)
    finally:
        _RECORD.clear()
    assert outcome.status == "accepted"
    assert len([a for a in opened if str(a[0]).endswith("verfak.csv")]) == 1, opened
    import hashlib

    assert (
        warehouse.scalar("SELECT sha256 FROM raw.submission_file")
        == hashlib.sha256(path.read_bytes()).hexdigest()
    )


_RECORD: list[bool] = []


# --- item 14: misplaced files reach their village, or the report ----------------------------------

MISPLACED = {
    f"{PERIOD}/3216122003/kiriman/a.csv": ("lokasi_tidak_sesuai", PERIOD, VILLAGE),
    f"2024-6/{VILLAGE}/b.csv": ("periode_tidak_dikenal", PERIOD, VILLAGE),
    f"{PERIOD}/c.csv": ("lokasi_tidak_sesuai", PERIOD, None),
    f"{PERIOD}/9999999999/d.csv": ("desa_tidak_dikenal", PERIOD, None),
    "lain-lain/e.csv": ("lokasi_tidak_sesuai", None, None),
}


def test_misplaced_files_keep_the_period_and_village_their_path_shows(warehouse):
    for serial, relative in enumerate(MISPLACED, start=1):
        target = warehouse.landing / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(
            write_submission_csv(
                warehouse.landing.parent / "tmp",
                PERIOD,
                VILLAGE,
                [village_row(PERIOD, VILLAGE, serial, dt.date(1975, 8, 17))],
            ),
            target,
        )
    run_ingest(warehouse.landing)
    for relative, (code, period, village) in MISPLACED.items():
        file = registered(warehouse, Path(relative).name)
        assert (file["status"], file["reject_code"], file["periode"], file["kode_desa"]) == (
            "rejected",
            code,
            period,
            village,
        ), relative
    lines = feedback(warehouse)
    assert sorted((line["file"], line["kode_aturan"]) for line in lines) == [
        ("a.csv", "lokasi_tidak_sesuai"),
        ("b.csv", "periode_tidak_dikenal"),
    ]
    assert "2024-06/3216122003/kiriman/a.csv" in lines[0]["pesan"] + lines[1]["pesan"]
    from verfak import report

    report.write_report(dt.date(2024, 7, 1), period=PERIOD)
    page = (warehouse.reports / "latest" / "index.html").read_text()
    section = page[page.index('id="unplaced-table"') : page.index("Paths skipped")]
    for relative in (f"{PERIOD}/c.csv", f"{PERIOD}/9999999999/d.csv", "lain-lain/e.csv"):
        assert relative.replace("9999999999", "9999******") in section, relative
    assert "a.csv" not in section
    assert "b.csv" not in section

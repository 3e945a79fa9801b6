"""Issue 13, slices 2-3: agencies' return files through intake, the outcome rules, events and feedback."""

from __future__ import annotations

import csv
import datetime as dt
import stat

import pandas as pd
import pytest

from tests.helpers import make_nik, run_all, run_ingest, run_tindak_lanjut, village_row, write_submission_csv
from verfak import tindak_lanjut
from verfak.outcomes import RETURN_COLUMNS
from verfak.rules import OUTCOME_RULES

DESA = "32.16.01.2001"
EXPORT_DAY = dt.date(2024, 7, 1)
PEOPLE = {  # serial: (age, values)
    1: (30, {"minat_pelatihan": "menjahit", "memiliki_usaha": "ya", "pendapatan_bulanan": "300000"}),
    2: (45, {"minat_usaha": "warung", "pendapatan_bulanan": "200000"}),
    3: (25, {"minat_pelatihan": "tata_boga", "pendapatan_bulanan": "100000"}),
    4: (35, {"minat_pelatihan": "las", "pendapatan_bulanan": "50000", "memiliki_usaha": "ya"}),
}


def birth(serial):
    return dt.date(2024 - PEOPLE[serial][0], 3, 1)


def nik(serial):
    return make_nik("01", birth(serial), "P", serial)


def write_return(landing, program, month, rows, name="tindak_lanjut.csv"):
    folder = landing / "tindak_lanjut" / program / month
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=RETURN_COLUMNS, delimiter=";")
        writer.writeheader()
        writer.writerows([{c: r.get(c, "") for c in RETURN_COLUMNS} for r in rows])
    return path


def run_returns(landing, today=dt.date(2024, 9, 30)):
    outcomes, _, checked = run_tindak_lanjut(landing, today)
    return outcomes, checked


@pytest.fixture
def referred(warehouse):
    rows = [village_row("2024-06", DESA, s, birth(s), "P", **v) for s, (_, v) in PEOPLE.items()]
    write_submission_csv(warehouse.landing, "2024-06", DESA, rows)
    run_all(warehouse.landing, export_date=EXPORT_DAY)
    ids = {(p, n): r for r, p, n in warehouse.query("SELECT referral_id, program, nik FROM publish.referral")}
    return warehouse, ids


def issues(warehouse):
    return warehouse.query("""SELECT r.referral_id, i.rule_id FROM quality.return_issue i
                               JOIN raw.return_row r USING (file_id, source_row) ORDER BY i.source_row, i.rule_id""")


def test_every_outcome_rule_has_a_failing_row_and_passing_rows_are_loaded(referred):
    warehouse, ids = referred
    pl = {s: ids[("pelatihan", nik(s))] for s in (1, 3, 4)}
    pm = {s: ids[("permodalan", nik(s))] for s in (1, 2, 4)}

    def row(ref, serial, status, tanggal, **more):
        return {
            "referral_id": ref,
            "nik": nik(serial),
            "status_tindak_lanjut": status,
            "tanggal": tanggal,
            **more,
        }

    pelatihan = [
        row(pl[1], 1, "diterima", "03/07/2024"),  # passes
        row(pl[1], 1, "Mengikuti", "2024-07-10", kegiatan="Menjahit angkatan 1"),  # passes (case, ISO date)
        row(pl[1], 1, "selesai", "20/08/2024"),  # passes
        row("P-202406-9999999", 1, "diterima", "03/07/2024"),  # tl_referral_dikenal
        row(pm[2], 2, "diterima", "03/07/2024"),  # tl_referral_program (a capital referral)
        row(pl[3], 1, "diterima", "03/07/2024"),  # tl_nik_sesuai (person 1's NIK)
        row(
            pl[3], 3, "dana_cair", "03/07/2024", nilai="1000000"
        ),  # tl_status_program (not a training status)
        row(pl[4], 4, "selesai", "05/07/2024"),  # tl_perpindahan_sah (never accepted)
        row(pl[3], 3, "diterima", ""),  # tl_tanggal_wajib
        row(pl[3], 3, "diterima", "30/06/2024"),  # tl_tanggal_setelah_rujukan
        row(pl[3], 3, "diterima", "01/01/2099"),  # tl_tanggal_tidak_di_masa_depan
        row(pl[1], 1, "tidak_selesai", "25/08/2024"),  # tl_perpindahan_sah (after final selesai)
        row(pl[4], 4, "diterima", "06/07/2024"),  # passes
    ]
    permodalan = [
        row(pm[1], 1, "diterima", "10/07/2024"),
        row(pm[1], 1, "dana_cair", "01/09/2024", nilai="Rp 2.500.000", kegiatan="Tahap 1"),  # passes
        row(pm[2], 2, "diterima", "10/07/2024"),
        row(pm[2], 2, "dana_cair", "01/09/2024"),  # tl_nilai_wajib
        row(pm[4], 4, "diterima", "10/07/2024"),
        row(pm[4], 4, "dana_cair", "01/09/2024", nilai="0"),  # tl_nilai_positif
    ]
    write_return(warehouse.landing, "pelatihan", "2024-08", pelatihan)
    write_return(warehouse.landing, "permodalan", "2024-09", permodalan)
    # The village ingest leaves the return folder alone (no misplaced-file rejection).
    assert run_ingest(warehouse.landing) == []
    outcomes, checked = run_returns(warehouse.landing)
    assert [o["status"] for o in outcomes] == ["accepted", "accepted"]

    found = {rule for _, rule in issues(warehouse)}
    assert found == {r.rule_id for r in OUTCOME_RULES}  # every rule has its failing row ...
    assert ("P-202406-9999999", "tl_referral_dikenal") in issues(warehouse)
    events = set(warehouse.query("SELECT referral_id, status, nilai FROM publish.referral_outcome"))
    # ... and every passing row is an event (the capital money row read as 2,500,000)
    assert events == {
        (pl[1], "diterima", None),
        (pl[1], "mengikuti", None),
        (pl[1], "selesai", None),
        (pl[4], "diterima", None),
        (pm[1], "diterima", None),
        (pm[1], "dana_cair", 2500000),
        (pm[2], "diterima", None),
        (pm[4], "diterima", None),
    }
    assert (
        dict(warehouse.query("SELECT referral_id, status FROM publish.referral_status"))[pl[1]] == "selesai"
    )
    assert {c["program"]: c["events"] for c in checked} == {"pelatihan": 4, "permodalan": 4}

    # The agency's feedback: one line per failed rule, its own values, not world-readable.
    csv_path, xlsx_path = tindak_lanjut.feedback_paths("pelatihan", "2024-08")
    feedback = pd.read_csv(csv_path, sep=";", dtype="str", encoding="utf-8-sig")
    assert len(feedback) == 9
    assert "tl_perpindahan_sah" in set(feedback["kode_aturan"])
    assert xlsx_path.exists()
    assert stat.S_IMODE(csv_path.stat().st_mode) == 0o640
    assert stat.S_IMODE(csv_path.parent.stat().st_mode) == 0o750

    # A rerun changes nothing; a corrected version of the file (same name) replaces the old one.
    before = warehouse.table_counts()
    assert run_returns(warehouse.landing) == ([], [])
    assert warehouse.table_counts() == before
    fixed = [r for r in pelatihan if r["referral_id"] != "P-202406-9999999"]
    write_return(warehouse.landing, "pelatihan", "2024-08", fixed)
    run_returns(warehouse.landing)
    assert "tl_referral_dikenal" not in {rule for _, rule in issues(warehouse)}
    assert warehouse.scalar("SELECT count(*) FROM raw.return_file WHERE superseded_by IS NOT NULL") == 1
    assert warehouse.scalar("SELECT count(*) FROM publish.referral_outcome") == 8
    # A correction may follow a final status.
    write_return(
        warehouse.landing,
        "pelatihan",
        "2024-09",
        [row(pl[1], 1, "tidak_selesai", "26/08/2024", keterangan="Koreksi: salah lapor, belum lulus")],
    )
    run_returns(warehouse.landing)
    assert (
        dict(warehouse.query("SELECT referral_id, status FROM publish.referral_status"))[pl[1]]
        == "tidak_selesai"
    )


def test_a_file_that_cannot_be_read_is_kept_rejected_and_told(referred):
    warehouse, _ = referred
    folder = warehouse.landing / "tindak_lanjut" / "pelatihan" / "2024-08"
    folder.mkdir(parents=True)
    (folder / "scan.xlsx").write_bytes(b"%PDF-1.4 not a spreadsheet")
    wrong = warehouse.landing / "tindak_lanjut" / "magang" / "2024-08"
    wrong.mkdir(parents=True)
    (wrong / "x.csv").write_text("referral_id;nik;status_tindak_lanjut;tanggal\nA;1;diterima;01/08/2024\n")
    outcomes, _ = run_returns(warehouse.landing)
    assert sorted(o["reject_code"] for o in outcomes) == ["file_pdf", "program_tidak_dikenal"]
    feedback = pd.read_csv(
        tindak_lanjut.feedback_paths("pelatihan", "2024-08")[0], sep=";", dtype="str", encoding="utf-8-sig"
    )
    assert list(feedback["kode_aturan"]) == ["file_pdf"]


def test_return_files_are_read_like_village_files_no_link_and_bounded(referred, tmp_path, monkeypatch):
    """Issue 12 applies to return files too: a link (to a file or a folder) is not read but recorded,
    a file over the size limit is registered as rejected without being parsed."""
    warehouse, ids = referred
    secret = tmp_path / "outside.csv"
    secret.write_text(
        "referral_id;nik;status_tindak_lanjut;tanggal\nX;1;diterima;2024-07-03\n", encoding="utf-8"
    )
    folder = warehouse.landing / "tindak_lanjut" / "pelatihan" / "2024-07"
    folder.mkdir(parents=True)
    (folder / "tautan.csv").symlink_to(secret)
    (warehouse.landing / "tindak_lanjut" / "permodalan").mkdir(parents=True)
    (warehouse.landing / "tindak_lanjut" / "permodalan" / "2024-07").symlink_to(
        tmp_path, target_is_directory=True
    )
    monkeypatch.setenv("VERFAK_MAX_FILE_MB", "1")
    big = write_return(
        warehouse.landing,
        "pelatihan",
        "2024-07",
        [
            {
                "referral_id": ids[("pelatihan", nik(1))],
                "nik": nik(1),
                "status_tindak_lanjut": "diterima",
                "tanggal": "2024-07-03",
                "keterangan": "x" * 900,
            }
            for _ in range(1500)
        ],
        name="besar.csv",
    )
    assert big.stat().st_size > 1024 * 1024
    outcomes, _ = run_returns(warehouse.landing)
    assert [(o["path"], o["status"], o["reject_code"]) for o in outcomes] == [
        ("tindak_lanjut/pelatihan/2024-07/besar.csv", "rejected", "file_terlalu_besar")
    ]
    assert warehouse.query("SELECT path, reason FROM raw.skipped_path ORDER BY path") == [
        ("tindak_lanjut/pelatihan/2024-07/tautan.csv", "tautan"),
        ("tindak_lanjut/permodalan/2024-07", "tautan"),
    ]
    assert warehouse.scalar("SELECT count(*) FROM raw.return_row") == 0
    # a file swapped for a link after it was found is not followed either
    (folder / "besar.csv").unlink()
    (folder / "besar.csv").symlink_to(secret)
    assert (
        tindak_lanjut.ingest_file("tindak_lanjut/pelatihan/2024-07/besar.csv", warehouse.landing).status
        == "skipped"
    )

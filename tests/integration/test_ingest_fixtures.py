"""Every file of tests/fixtures/ through the ingest DAG's code (``verfak.ingest.ingest_file``) into
PostgreSQL: status, reason, rows read = passed + rejected, the rows kept in ``raw`` exactly as
sent with the row numbers Excel shows, the intake issues, and for some files what reaches core and
the village's feedback file. tests/fixtures/README.md says how each file was made.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import os
import shutil
from pathlib import Path

import pytest

from tests.fixtures.make_fixtures import FOLDER, PERIOD, fixture_rows
from tests.helpers import run_ingest, run_validate_load
from verfak import ingest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
T0 = dt.datetime(2024, 6, 20, 9, 0, tzinfo=dt.UTC).timestamp()


def drop(
    warehouse, name: str, *, folder: str | None = None, as_name: str | None = None, mtime: float = T0
) -> str:
    """Copy a fixture into ``<landing>/<period>/<village>/`` as a village would drop it."""
    target = warehouse.landing / PERIOD / (folder or FOLDER[Path(name).stem]) / (as_name or name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FIXTURES / name, target)
    os.utime(target, (mtime, mtime))
    return target.relative_to(warehouse.landing).as_posix()


def ingest_fixture(warehouse, name: str, **kwargs) -> dict:
    return ingest.ingest_file(drop(warehouse, name, **kwargs), warehouse.landing).as_dict()


def file_row(warehouse, file_id: int) -> dict:
    (row,) = warehouse.query(
        """SELECT status, reject_code, reject_message, rows_read, rows_passed, rows_rejected, file_format,
                  read_details, kode_desa, periode FROM raw.submission_file WHERE file_id = %s""",
        (file_id,),
    )
    keys = (
        "status",
        "reject_code",
        "reject_message",
        "rows_read",
        "rows_passed",
        "rows_rejected",
        "file_format",
        "read_details",
        "kode_desa",
        "periode",
    )
    return dict(zip(keys, row))


def raw_rows(warehouse, file_id: int) -> list[tuple]:
    return warehouse.query(
        """SELECT source_row, nik, no_kk, nama, tanggal_lahir, alamat, rt, rw, alasan, no_hp, extra
             FROM raw.submission_row WHERE file_id = %s ORDER BY source_row""",
        (file_id,),
    )


def issues(warehouse, file_id: int) -> list[tuple]:
    return warehouse.query(
        """SELECT source_row, stage, rule_id, severity, column_name, value_sent, message
             FROM quality.row_issue WHERE file_id = %s ORDER BY source_row, rule_id""",
        (file_id,),
    )


def read_feedback(warehouse, kode_desa: str) -> list[dict]:
    path = warehouse.exports / "feedback" / PERIOD / f"{kode_desa}.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


# --- files that are read -------------------------------------------------------------------------

# name: (rows_read, rows_passed, rows_rejected, file_format, read_details that must hold, source rows)
ACCEPTED = {
    "csv_koma_utf8.csv": (
        3,
        3,
        0,
        "csv",
        {"encoding": "utf-8", "delimiter": ",", "header_row": 1},
        [2, 3, 4],
    ),
    "csv_titikkoma_utf8_bom_crlf.csv": (
        3,
        3,
        0,
        "csv",
        {"encoding": "utf-8-sig", "delimiter": ";"},
        [2, 3, 4],
    ),
    "csv_titikkoma_cp1252.csv": (3, 3, 0, "csv", {"encoding": "cp1252", "delimiter": ";"}, [2, 3, 4]),
    "csv_kutip_baris_baru.csv": (3, 3, 0, "csv", {"encoding": "utf-8", "delimiter": ";"}, [2, 3, 4]),
    "csv_nik_notasi_ilmiah.csv": (3, 1, 2, "csv", {"delimiter": ","}, [2, 3, 4]),
    "csv_id_apostrof_spasi_titik.csv": (4, 4, 0, "csv", {"delimiter": ";"}, [2, 3, 4, 5]),
    "txt_unicode_utf16.txt": (2, 2, 0, "csv", {"encoding": "utf-16", "delimiter": "\t"}, [2, 3]),
    "xlsx_kop_judul.xlsx": (
        4,
        4,
        0,
        "xlsx",
        {"sheet": "Verfak Juni 2024", "header_row": 5, "rows_skipped": 21},
        [6, 7, 8, 9],
    ),
    "xlsx_banyak_sheet.xlsx": (3, 3, 0, "xlsx", {"sheet": "Data Verfak", "header_row": 1}, [2, 3, 4]),
    "xlsx_judul_kolom_beragam.xlsx": (2, 2, 0, "xlsx", {"sheet": "Sheet1", "header_row": 1}, [2, 3]),
    "xlsx_format_tanggal.xlsx": (5, 5, 0, "xlsx", {"sheet": "Data"}, [2, 3, 4, 5, 6]),
    "xlsx_nik_angka.xlsx": (4, 2, 2, "xlsx", {"sheet": "Data"}, [2, 3, 4, 5]),
    "xlsx_nik_angka_perbaikan.xlsx": (4, 4, 0, "xlsx", {"sheet": "Data"}, [2, 3, 4, 5]),
    "xls_excel_97.xls": (2, 2, 0, "xls", {"sheet": "Data"}, [2, 3]),
}


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_readable_file_is_accepted_with_every_row_accounted_for(warehouse, name):
    read, passed, rejected, file_format, details, source_rows = ACCEPTED[name]
    outcome = ingest_fixture(warehouse, name)
    assert outcome["status"] == "accepted"
    assert outcome["reject_code"] is None
    assert (outcome["rows_read"], outcome["rows_passed"], outcome["rows_rejected"]) == (
        read,
        passed,
        rejected,
    )
    registered = file_row(warehouse, outcome["file_id"])
    assert registered["status"] == "accepted"
    assert registered["file_format"] == file_format
    assert (registered["rows_read"], registered["rows_passed"], registered["rows_rejected"]) == (
        read,
        passed,
        rejected,
    )
    assert registered["periode"] == PERIOD
    assert registered["kode_desa"] == FOLDER[Path(name).stem]
    assert details.items() <= registered["read_details"].items()
    # Every contract column was found, and every data row is in raw with the row number Excel shows.
    assert sorted(registered["read_details"]["header"].values()) == sorted(fixture_rows("csv_koma_utf8")[0])
    rows = raw_rows(warehouse, outcome["file_id"])
    assert [r[0] for r in rows] == source_rows
    # rows rejected at intake = rows with an intake error
    rejected_rows = {
        r for r, _, _, severity, *_ in issues(warehouse, outcome["file_id"]) if severity == "error"
    }
    assert len(rejected_rows) == rejected


@pytest.mark.parametrize(
    "name",
    [
        "csv_koma_utf8.csv",
        "csv_titikkoma_utf8_bom_crlf.csv",
        "csv_titikkoma_cp1252.csv",
        "xlsx_banyak_sheet.xlsx",
        "xlsx_judul_kolom_beragam.xlsx",
        "xls_excel_97.xls",
        "txt_unicode_utf16.txt",
        "xlsx_nik_angka_perbaikan.xlsx",
    ],
)
def test_ids_and_names_are_kept_exactly_as_sent(warehouse, name):
    outcome = ingest_fixture(warehouse, name)
    expected = fixture_rows(Path(name).stem)
    rows = raw_rows(warehouse, outcome["file_id"])
    assert [(r[1], r[2], r[3], r[6], r[7]) for r in rows] == [
        (e["nik"], e["no_kk"], e["nama"], e["rt"], e["rw"]) for e in expected
    ]


def test_windows_1252_names_keep_their_accents_and_quotes(warehouse):
    outcome = ingest_fixture(warehouse, "csv_titikkoma_cp1252.csv")
    names = [r[3] for r in raw_rows(warehouse, outcome["file_id"])]
    assert names == ["Désy Rahmawati", "Ma\u2019ruf Hidayat", "Siti Nur\u2019aini"]
    assert [r[4] for r in raw_rows(warehouse, outcome["file_id"])] == [
        "12-05-1985",
        "01-10-1980",
        "21-07-1983",
    ]


def test_quoted_cells_keep_separators_quotes_and_line_breaks(warehouse):
    outcome = ingest_fixture(warehouse, "csv_kutip_baris_baru.csv")
    rows = raw_rows(warehouse, outcome["file_id"])
    # Row numbers are Excel's (one per record), not the file's lines (the records span 7 lines).
    assert [r[0] for r in rows] == [2, 3, 4]
    assert rows[0][5] == "Kp. Bulak Rawa, RT 003/RW 005;\nbelakang masjid Al-Ikhlas"
    assert rows[1][5] == "Kp. Bulak Rawa\nGg. Haji Naim No. 7\n(rumah cat hijau)"
    assert rows[1][8] == 'Pindah ke "Karawang"; ikut anak, tinggal di Kp. Jati, RT 01'
    assert rows[2][5] == "Kp. Bulak Rawa"


def test_title_block_and_form_rows_around_the_table(warehouse):
    outcome = ingest_fixture(warehouse, "xlsx_kop_judul.xlsx")
    rows = raw_rows(warehouse, outcome["file_id"])
    expected = fixture_rows("xlsx_kop_judul")
    assert [r[0] for r in rows] == [6, 7, 8, 9]  # header on row 5 under a merged title block
    assert [r[1] for r in rows] == [e["nik"] for e in expected]
    assert [r[4] for r in rows] == [e["tanggal_lahir"] for e in expected]  # date cells as ISO text
    # The "No." column is not in the contract: kept per row in extra, as sent.
    assert [r[10] for r in rows] == [{"No.": "1"}, {"No.": "2"}, {"No.": "3"}, {"No.": "4"}]
    # The 21 pre-numbered empty form rows below the table are not rows (counted in read_details).
    assert file_row(warehouse, outcome["file_id"])["read_details"]["rows_skipped"] == 21


def test_odd_header_spellings_map_to_the_contract(warehouse):
    outcome = ingest_fixture(warehouse, "xlsx_judul_kolom_beragam.xlsx")
    header = file_row(warehouse, outcome["file_id"])["read_details"]["header"]
    assert header == {
        str(i + 1): c for i, c in enumerate(fixture_rows("csv_koma_utf8")[0])
    }  # column A is "NO"
    rows = raw_rows(warehouse, outcome["file_id"])
    assert [r[4] for r in rows] == ["12/12/1971", "28/02/1974"]
    assert [r[10] for r in rows] == [{"NO": "1"}, {"NO": "2"}]


# --- IDs that went through a number --------------------------------------------------------------

MSG_NIK_ANGKA = (
    "NIK diketik sebagai angka di Excel, sehingga digit terakhir bisa hilang (Excel hanya menyimpan 15 digit). "
    "Ubah format kolom NIK menjadi Teks, lalu ketik ulang NIK sesuai KTP/KK."
)
MSG_KK_ANGKA = (
    "No. KK diketik sebagai angka di Excel, sehingga digit terakhir bisa hilang (Excel hanya menyimpan 15 digit). "
    "Ubah format kolom No. KK menjadi Teks, lalu ketik ulang No. KK sesuai KTP/KK."
)
MSG_HP_ANGKA = (
    "No. HP diketik sebagai angka di Excel sehingga angka 0 di depan hilang (tertulis 81210840003). "
    "Ubah format kolom No. HP menjadi Teks lalu ketik ulang, misalnya 081234567890."
)
MSG_NOTASI_ILMIAH = (
    "NIK dan No. KK tertulis dalam notasi ilmiah (3.21613E+15), sehingga digitnya sudah hilang. "
    "Ubah format kolom NIK dan No. KK menjadi Teks di Excel, ketik ulang NIK dan No. KK sesuai KTP/KK, "
    "lalu simpan dan kirim ulang."
)


def test_nik_typed_as_a_number_rejects_the_row_and_is_never_repaired(warehouse):
    outcome = ingest_fixture(warehouse, "xlsx_nik_angka.xlsx")
    assert (outcome["rows_read"], outcome["rows_passed"], outcome["rows_rejected"]) == (4, 2, 2)
    expected = fixture_rows("xlsx_nik_angka")
    assert expected[1]["nik"] == "3216125010721080"  # this NIK ends in 0, so Excel kept all 16 digits ...
    assert issues(warehouse, outcome["file_id"]) == [
        # ... and it is still refused: a numeric cell can't be trusted (no guessing which NIK ends in 0).
        (3, "intake", "id_diketik_angka", "error", "nik", "3216125010721080", MSG_NIK_ANGKA),
        (4, "intake", "id_diketik_angka", "error", "no_kk", "3216121503180090", MSG_KK_ANGKA),
        (5, "intake", "no_hp_diketik_angka", "warning", "no_hp", "81210840003", MSG_HP_ANGKA),
    ]
    rows = raw_rows(warehouse, outcome["file_id"])
    assert [r[1] for r in rows] == [e["nik"] for e in expected]  # raw keeps what the cells held
    assert rows[2][2] == "3216121503180090" != expected[2]["no_kk"]  # the KK lost its 16th digit
    assert rows[3][9] == "81210840003"

    loaded = run_validate_load()
    assert [(o["rows_validated"], o["rows_loaded"], o["rows_quarantined"]) for o in loaded] == [(2, 2, 0)]
    assert warehouse.query(
        "SELECT nik, no_hp FROM core.verifikasi WHERE file_id = %s ORDER BY source_row", (outcome["file_id"],)
    ) == [
        (expected[0]["nik"], expected[0]["no_hp"]),
        (expected[3]["nik"], "81210840003"),
    ]
    feedback = read_feedback(warehouse, "32.16.12.2003")
    assert [
        (f["baris"], f["kolom"], f["nilai_dikirim"], f["tingkat"], f["kode_aturan"], f["pesan"])
        for f in feedback
    ] == [
        ("3", "nik", "3216125010721080", "ditolak", "id_diketik_angka", MSG_NIK_ANGKA),
        ("4", "no_kk", "3216121503180090", "ditolak", "id_diketik_angka", MSG_KK_ANGKA),
        ("5", "no_hp", "81210840003", "peringatan", "no_hp_diketik_angka", MSG_HP_ANGKA),
    ]


def test_scientific_notation_rejects_the_row_once_for_both_ids(warehouse):
    outcome = ingest_fixture(warehouse, "csv_nik_notasi_ilmiah.csv")
    assert (outcome["rows_read"], outcome["rows_passed"], outcome["rows_rejected"]) == (3, 1, 2)
    both = "3.21613E+15 | 3.21613E+15"
    assert issues(warehouse, outcome["file_id"]) == [
        (2, "intake", "id_notasi_ilmiah", "error", "nik, no_kk", both, MSG_NOTASI_ILMIAH),
        (3, "intake", "id_notasi_ilmiah", "error", "nik, no_kk", both, MSG_NOTASI_ILMIAH),
    ]
    assert [r[1] for r in raw_rows(warehouse, outcome["file_id"])] == [
        "3.21613E+15",
        "3.21613E+15",
        fixture_rows("csv_nik_notasi_ilmiah")[2]["nik"],
    ]
    loaded = run_validate_load()
    assert [(o["rows_validated"], o["rows_loaded"]) for o in loaded] == [(1, 1)]
    assert [(f["baris"], f["kode_aturan"]) for f in read_feedback(warehouse, "32.16.13.2007")] == [
        ("2", "id_notasi_ilmiah"),
        ("3", "id_notasi_ilmiah"),
    ]


def test_apostrophes_spaces_and_dots_around_id_digits(warehouse):
    outcome = ingest_fixture(warehouse, "csv_id_apostrof_spasi_titik.csv")
    expected = fixture_rows("csv_id_apostrof_spasi_titik")
    rows = raw_rows(warehouse, outcome["file_id"])
    n = [e["nik"] for e in expected]
    # raw: exactly as sent
    assert [r[1] for r in rows] == [
        "'" + n[0],
        f"{n[1][:4]} {n[1][4:8]} {n[1][8:12]} {n[1][12:]}",
        f"{n[2][:4]}.{n[2][4:8]}.{n[2][8:12]}.{n[2][12:]}",
        n[3],
    ]
    assert [(r[6], r[7]) for r in rows] == [("003", "005"), ("003", "005"), ("003", "005"), ("3", "12")]
    assert issues(warehouse, outcome["file_id"]) == []
    loaded = run_validate_load()
    assert [(o["rows_validated"], o["rows_loaded"], o["rows_quarantined"]) for o in loaded] == [(4, 4, 0)]
    # core: the same 16 digits, nothing added or lost; RT/RW keep their zeros (and "3" stays "3").
    assert warehouse.query("SELECT nik, no_kk, rt, rw FROM staging.verifikasi ORDER BY source_row") == [
        (e["nik"], e["no_kk"], rt, rw) for e, (rt, rw) in zip(expected, [("003", "005")] * 3 + [("3", "12")])
    ]
    assert not (warehouse.exports / "feedback" / PERIOD / "32.16.14.2007.csv").exists()


def test_every_date_form_reaches_staging_as_the_same_date(warehouse):
    outcome = ingest_fixture(warehouse, "xlsx_format_tanggal.xlsx")
    rows = raw_rows(warehouse, outcome["file_id"])
    # As sent: ISO text, DD/MM/YYYY, DD-MM-YYYY, a date cell (ISO text in raw), a serial in General.
    assert [r[4] for r in rows] == ["1976-04-05", "15/09/1978", "26-11-2003", "1952-01-30", "23232"]
    loaded = run_validate_load()
    assert [(o["rows_loaded"], o["rows_quarantined"]) for o in loaded] == [(5, 0)]
    expected = fixture_rows("xlsx_format_tanggal")
    staged = warehouse.query(
        "SELECT tanggal_lahir, tanggal_verifikasi FROM staging.verifikasi ORDER BY source_row"
    )
    assert staged == [
        (dt.date.fromisoformat(e["tanggal_lahir"]), dt.date.fromisoformat(e["tanggal_verifikasi"]))
        for e in expected
    ]


# --- files that can't be read --------------------------------------------------------------------

REJECTED = {
    "kosong.csv": (
        "file_kosong",
        "File kosong: tidak ada isi sama sekali. Kirim ulang file yang berisi data.",
    ),
    "kosong.xlsx": (
        "file_kosong",
        "File kosong: tidak ada isi sama sekali. Kirim ulang file yang berisi data.",
    ),
    "hanya_judul.csv": (
        "tanpa_data",
        "File hanya berisi judul kolom tanpa baris data. Isi data hasil verifikasi lalu kirim ulang.",
    ),
    "hanya_judul.xlsx": (
        "tanpa_data",
        "File hanya berisi judul kolom tanpa baris data. Isi data hasil verifikasi lalu kirim ulang.",
    ),
    "pdf_diganti_nama.xlsx": (
        "file_pdf",
        "File ini sebenarnya PDF (hasil cetak atau pindaian), bukan Excel atau CSV, walaupun namanya .xlsx. "
        "Kirim file Excel (.xlsx) aslinya, jangan hasil cetak atau pindaian.",
    ),
    "berpassword.xlsx": (
        "excel_berpassword",
        "File Excel dilindungi kata sandi sehingga tidak bisa dibaca. Hapus kata sandinya lalu kirim ulang.",
    ),
    "folder_bukan_bekasi.csv": (
        "desa_tidak_dikenal",
        "Folder '32.75.03.1001' bukan kode desa/kelurahan Kabupaten Bekasi (Kemendagri), misalnya 32.16.12.2003.",
    ),
    "kode_desa_beda_folder.csv": (
        "kode_desa_tidak_sesuai_folder",
        "Kolom Kode Desa di file (32.16.12.2003) tidak sesuai dengan folder desa 32.16.12.2004. "
        "Periksa apakah file ini dikirim ke folder desa yang benar.",
    ),
}


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_unreadable_file_is_kept_registered_as_rejected_with_its_reason(warehouse, name):
    code, message = REJECTED[name]
    relative = drop(warehouse, name)
    outcome = ingest.ingest_file(relative, warehouse.landing).as_dict()
    assert outcome["status"] == "rejected"
    assert outcome["reject_code"] == code
    assert (outcome["rows_read"], outcome["rows_passed"], outcome["rows_rejected"]) == (0, 0, 0)
    registered = file_row(warehouse, outcome["file_id"])
    assert (registered["status"], registered["reject_code"], registered["reject_message"]) == (
        "rejected",
        code,
        message,
    )
    assert raw_rows(warehouse, outcome["file_id"]) == []
    assert (warehouse.landing / relative).read_bytes() == (FIXTURES / name).read_bytes()  # kept as sent
    # and the village is told, when there is a village to tell
    village = FOLDER[Path(name).stem]
    if code != "desa_tidak_dikenal":
        assert registered["kode_desa"] == village
        ingest_fixture(warehouse, "csv_koma_utf8.csv")  # another village's file gets the period validated
        run_validate_load()
        (line,) = read_feedback(warehouse, village)
        assert (line["file"], line["tingkat"], line["kode_aturan"], line["pesan"]) == (
            name,
            "file ditolak",
            code,
            message,
        )
    else:
        assert registered["kode_desa"] is None


# --- the whole drop, once ------------------------------------------------------------------------


def all_fixture_names() -> list[str]:
    """The submission files of tests/fixtures/ (other fixtures, such as dags/, live in subfolders)."""
    return sorted(
        p.name for p in FIXTURES.iterdir() if p.is_file() and p.suffix in (".csv", ".txt", ".xlsx", ".xls")
    )


def test_every_fixture_in_one_drop_runs_through_and_no_nik_reaches_the_log(warehouse, caplog):
    names = all_fixture_names()
    assert set(names) == set(ACCEPTED) | set(REJECTED)
    for name in names:
        drop(warehouse, name, mtime=T0 + (60 if "perbaikan" in name else 0))
    with caplog.at_level(logging.DEBUG):
        outcomes = run_ingest(warehouse.landing)
        loaded = run_validate_load()
    by_name = {Path(o["path"]).name: o for o in outcomes}
    assert set(by_name) == set(names)
    # kosong.xlsx has the same bytes (none) as kosong.csv: the second one is a duplicate.
    assert {n: o["status"] for n, o in by_name.items() if o["status"] != "accepted"} == {
        **{n: "rejected" for n in REJECTED if n != "kosong.xlsx"},
        "kosong.xlsx": "duplicate",
    }
    totals = ingest.summarise(outcomes)
    assert totals["rows_read"] == sum(v[0] for v in ACCEPTED.values()) == 45
    assert totals["rows_read"] == totals["rows_passed"] + totals["rows_rejected"]
    assert totals["rows_rejected"] == 4
    files = warehouse.query(
        "SELECT sum(rows_read), sum(rows_passed), sum(rows_rejected) FROM raw.submission_file"
    )
    assert files == [(45, 41, 4)]
    assert warehouse.scalar("SELECT count(*) FROM raw.submission_row") == 45
    # 41 passed at intake, less the 2 of the file that the corrected one supersedes, go to the gate.
    assert [(o["rows_validated"], o["rows_loaded"], o["rows_quarantined"]) for o in loaded] == [(39, 39, 0)]
    all_niks = {
        row["nik"]
        for stem in {Path(n).stem for n in names}
        if stem in _with_people()
        for row in fixture_rows(stem)
    }
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged
    assert not [nik for nik in all_niks if nik in logged]


def _with_people() -> set[str]:
    from tests.fixtures.make_fixtures import PEOPLE

    return set(PEOPLE)


# --- the same file again, then a corrected one ----------------------------------------------------


def test_same_file_twice_then_a_corrected_file(warehouse):
    village = "32.16.12.2003"
    first = ingest_fixture(warehouse, "xlsx_nik_angka.xlsx")
    ingest.resolve_superseded()
    assert (first["status"], first["rows_read"], first["rows_passed"], first["rows_rejected"]) == (
        "accepted",
        4,
        2,
        2,
    )
    run_validate_load()
    assert len(read_feedback(warehouse, village)) == 3

    # The same bytes again: dropped over the old copy (newer time), and under another name.
    again = ingest_fixture(warehouse, "xlsx_nik_angka.xlsx", mtime=T0 + 30)
    copy = ingest_fixture(warehouse, "xlsx_nik_angka.xlsx", as_name="verfak juni (1).xlsx", mtime=T0 + 40)
    assert (again["status"], again["file_id"]) == ("duplicate", first["file_id"])
    assert (copy["status"], copy["file_id"]) == ("duplicate", first["file_id"])
    assert ingest.discover(warehouse.landing) == []  # both paths remembered: not checksummed again
    assert warehouse.scalar("SELECT count(*) FROM raw.submission_file") == 1
    assert warehouse.scalar("SELECT count(*) FROM raw.submission_row") == 4
    assert run_validate_load() == []  # nothing new to validate

    # The corrected file (NIK and No. KK retyped as text) supersedes the first; both stay in raw.
    fixed = ingest_fixture(warehouse, "xlsx_nik_angka_perbaikan.xlsx", mtime=T0 + 3600)
    assert ingest.resolve_superseded() == 1
    assert (fixed["status"], fixed["rows_read"], fixed["rows_passed"], fixed["rows_rejected"]) == (
        "accepted",
        4,
        4,
        0,
    )
    assert warehouse.query(
        "SELECT file_id, file_name, superseded_by, rows_read, rows_passed, rows_rejected FROM raw.submission_file "
        "ORDER BY file_id"
    ) == [
        (first["file_id"], "xlsx_nik_angka.xlsx", fixed["file_id"], 4, 2, 2),
        (fixed["file_id"], "xlsx_nik_angka_perbaikan.xlsx", None, 4, 4, 0),
    ]
    assert warehouse.scalar("SELECT count(*) FROM raw.submission_row") == 8
    assert warehouse.scalar("SELECT count(*) FROM raw.landing_path") == 3
    loaded = run_validate_load()
    assert [(o["rows_validated"], o["rows_loaded"], o["rows_quarantined"]) for o in loaded] == [(4, 4, 0)]
    expected = fixture_rows("xlsx_nik_angka")
    assert warehouse.query(
        "SELECT nik FROM core.verifikasi WHERE kode_desa = %s ORDER BY nik", (village,)
    ) == sorted((e["nik"],) for e in expected)
    assert not (warehouse.exports / "feedback" / PERIOD / f"{village}.csv").exists()  # nothing left to fix

    # The old file dropped once more (same bytes as file 1): recognised, the correction stays current.
    late = ingest_fixture(warehouse, "xlsx_nik_angka.xlsx", as_name="lama.xlsx", mtime=T0 + 7200)
    assert (late["status"], late["file_id"]) == ("duplicate", first["file_id"])
    ingest.resolve_superseded()
    assert (
        warehouse.scalar("SELECT file_id FROM raw.submission_file WHERE superseded_by IS NULL")
        == fixed["file_id"]
    )


def test_two_files_for_one_village_in_one_drop(warehouse):
    # Different modification times: the newer file counts, whatever the names.
    drop(warehouse, "xlsx_nik_angka_perbaikan.xlsx", as_name="a_perbaikan.xlsx", mtime=T0 + 60)
    drop(warehouse, "xlsx_nik_angka.xlsx", as_name="z_awal.xlsx", mtime=T0)
    outcomes = run_ingest(warehouse.landing)
    assert sorted(o["status"] for o in outcomes) == ["accepted", "accepted"]
    assert warehouse.query("SELECT file_name FROM raw.submission_file WHERE superseded_by IS NULL") == [
        ("a_perbaikan.xlsx",)
    ]


def test_two_files_with_the_same_time_the_greater_name_counts(warehouse):
    drop(warehouse, "xlsx_nik_angka_perbaikan.xlsx", as_name="verfak_1.xlsx", mtime=T0)
    drop(warehouse, "xlsx_nik_angka.xlsx", as_name="verfak_2.xlsx", mtime=T0)
    run_ingest(warehouse.landing)
    assert warehouse.query(
        "SELECT file_name, superseded_by IS NULL FROM raw.submission_file ORDER BY file_name"
    ) == [
        ("verfak_1.xlsx", False),
        ("verfak_2.xlsx", True),
    ]
    loaded = run_validate_load()
    assert [(o["rows_validated"], o["rows_loaded"]) for o in loaded] == [
        (2, 2)
    ]  # the current file's 2 good rows


def test_filled_template_goes_through(warehouse, tmp_path):
    """The template villages are given, filled in with openpyxl as a village would, passes whole."""
    import openpyxl

    from verfak.columns import COLUMNS

    template = (
        Path(__file__).resolve().parents[2] / "include" / "templates" / "verifikasi_faktual_template.xlsx"
    )
    workbook = openpyxl.load_workbook(template)
    sheet = workbook["Data"]
    expected = fixture_rows("csv_koma_utf8")
    for r, row in enumerate(expected, start=2):
        for c, column in enumerate(COLUMNS, start=1):
            value = row[column]
            if column in ("tanggal_lahir", "tanggal_verifikasi"):
                value = dt.date.fromisoformat(value)
            elif column in ("desil", "pendapatan_bulanan"):
                value = int(value)
            sheet.cell(r, c).value = value or None
    target = warehouse.landing / PERIOD / "32.16.01.2001" / "verfak_juni.xlsx"
    target.parent.mkdir(parents=True)
    workbook.save(target)
    outcome = ingest.ingest_file(
        target.relative_to(warehouse.landing).as_posix(), warehouse.landing
    ).as_dict()
    assert (outcome["status"], outcome["rows_read"], outcome["rows_passed"]) == ("accepted", 3, 3)
    assert [r[1:3] for r in raw_rows(warehouse, outcome["file_id"])] == [
        (e["nik"], e["no_kk"]) for e in expected
    ]
    loaded = run_validate_load()
    assert [(o["rows_loaded"], o["rows_quarantined"], o["rows_with_warning"]) for o in loaded] == [(3, 0, 0)]
    assert json.loads(json.dumps(file_row(warehouse, outcome["file_id"])["read_details"]))["sheet"] == "Data"

"""Issue #12, items 2, 4, 6, 7: crafted village files through ingest, validate-and-load and publish
against the real PostgreSQL, and what the gate, core, the exports and the feedback then hold.

- a 40,000-character ``alamat`` is an error for its row (``alamat_terlalu_panjang``), echoed
  shortened, and every program's export is still published (the XLSX writer can't fail on it);
- a row naming another village of the folder's kecamatan is an error (``kode_desa_sesuai_folder``)
  and nothing is loaded for that village;
- formula payloads are neutralised (leading ``'``) in referrals.csv and the feedback CSV, kept as
  sent (string cells, never formulas) in referrals.parquet and .xlsx;
- the words ``NA``, ``N/A``, ``NULL``, ``nan``, ``#N/A`` stay text in all three formats.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq

from tests.helpers import EXPORT_DATE, run_ingest, run_publish, run_validate_load
from tests.hostile import craft_gate
from tests.hostile.craft_gate import FILES, PERIOD, SAME_KECAMATAN, VILLAGE
from verfak.columns import MAX_LENGTHS
from verfak.programs import load_programs
from verfak.rules import RULES_BY_ID
from verfak.safe_text import CSV_FORMULA_STARTS, ECHO_MAX_CHARS, XLSX_MAX_CHARS, neutralise

HERE = Path(__file__).resolve().parent
PROGRAMS = sorted(load_programs())


def run_file(warehouse, name: str) -> dict:
    """Send one crafted file in its village folder and run the three stages."""
    folder = warehouse.landing / PERIOD / FILES[name]
    folder.mkdir(parents=True)
    shutil.copyfile(HERE / "files" / name, folder / name)
    ingest = run_ingest(warehouse.landing)
    assert [o["status"] for o in ingest] == ["accepted"]
    return {"ingest": ingest, "load": run_validate_load(), "publish": run_publish()}


def gate_issues(warehouse) -> dict[int, set[tuple]]:
    issues: dict[int, set[tuple]] = {}
    for row, rule_id, severity, column, message in warehouse.query(
        "SELECT source_row, rule_id, severity, column_name, message FROM quality.row_issue WHERE stage = 'gate'"
    ):
        issues.setdefault(row, set()).add((rule_id, severity, column, message))
    return issues


def expected(rule_id: str) -> tuple:
    rule = RULES_BY_ID[rule_id]
    return rule.rule_id, rule.severity, rule.column, rule.message


def feedback_lines(warehouse) -> list[dict]:
    path = warehouse.exports / "feedback" / PERIOD / f"{VILLAGE}.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def latest_export(warehouse, program: str) -> Path:
    program_dir = warehouse.exports / program
    assert (program_dir / "LATEST").read_text().strip() == EXPORT_DATE.isoformat()
    return program_dir / EXPORT_DATE.isoformat()


def read_export(folder: Path, types: dict[str, str]) -> dict[str, list]:
    """The three formats of one export: CSV as text (None for NULL), Parquet and XLSX values, and
    the XLSX cells' data types."""
    raw = (folder / "referrals.csv").read_bytes().decode("utf-8")
    reader = csv.reader(io.StringIO(raw))
    header = next(reader)
    assert header == list(types)
    # an unquoted empty field is NULL in COPY's CSV, a quoted one an empty text
    csv_rows = [[None if field == "" else field for field in row] for row in reader]
    lines = raw.splitlines()[1:]
    parquet = pq.read_table(folder / "referrals.parquet").to_pylist()
    sheet = openpyxl.load_workbook(folder / "referrals.xlsx").worksheets[0]
    cells = [list(row) for row in sheet.iter_rows(min_row=2)]
    return {"csv": csv_rows, "lines": lines, "parquet": parquet, "xlsx": cells}


def assert_formats_agree(folder: Path, types: dict[str, str]) -> dict[str, list]:
    """Same rows in the three formats, value for value; the CSV differs only by the neutralising
    ``'`` of text a spreadsheet would run; every XLSX text cell is a string, never a formula."""
    export = read_export(folder, types)
    assert len(export["csv"]) == len(export["parquet"]) == len(export["xlsx"])
    for csv_row, record, cells in zip(export["csv"], export["parquet"], export["xlsx"]):
        for (column, kind), text, cell in zip(types.items(), csv_row, cells):
            value = record[column]
            if kind == "text":
                assert text == neutralise(value), column
                assert not (text or "").startswith(CSV_FORMULA_STARTS), column
                assert cell.value == value, column
                assert cell.data_type in ("s", "n"), column
                assert (cell.data_type == "s") == (value is not None), column
            elif kind == "date":
                assert text == (value.isoformat() if value else None), column
                assert (cell.value.date() if cell.value else None) == value, column
            else:
                assert text == (str(value) if value is not None else None), column
                assert cell.value == value, column
    return export


# --- item 2: a 40,000-character cell ---------------------------------------------------------------


def test_a_40000_character_alamat_is_an_error_echoed_shortened_and_every_export_is_published(warehouse):
    name = "gate_alamat_40000.csv"
    run_file(warehouse, name)
    long_alamat = craft_gate.rows(name)[1]["alamat"]
    assert len(long_alamat) == 40_000

    issues = gate_issues(warehouse)
    assert issues == {3: {expected("alamat_terlalu_panjang")}}
    assert RULES_BY_ID["alamat_terlalu_panjang"].message.startswith(
        f"Alamat terlalu panjang: paling banyak {MAX_LENGTHS['alamat']} karakter."
    )
    # the row is kept out of core; the valid row is in
    assert warehouse.query("SELECT source_row FROM core.verifikasi") == [(2,)]
    assert warehouse.scalar("SELECT max(length(alamat)) FROM core.person_version") <= MAX_LENGTHS["alamat"]

    # the value is echoed shortened, clearly marked, in quality.row_issue and in the feedback
    value_sent = warehouse.scalar("SELECT value_sent FROM quality.row_issue WHERE source_row = 3")
    assert value_sent == long_alamat[:100] + " … [dipotong: panjang asli 40000 karakter]"
    lines = feedback_lines(warehouse)
    assert [
        (line["baris"], line["kode_aturan"], line["tingkat"], line["nilai_dikirim"], line["pesan"])
        for line in lines
    ] == [
        ("3", "alamat_terlalu_panjang", "ditolak", value_sent, RULES_BY_ID["alamat_terlalu_panjang"].message)
    ]
    assert max(len(v) for line in lines for v in line.values()) <= ECHO_MAX_CHARS

    # every program is published tonight (LATEST names it) and its three formats agree
    programs = load_programs()
    for program in PROGRAMS:
        folder = latest_export(warehouse, program)
        assert_formats_agree(folder, programs[program].export_columns)
    assert (
        len(
            read_export(latest_export(warehouse, "bantuan_tunai"), programs["bantuan_tunai"].export_columns)[
                "parquet"
            ]
        )
        == 1
    )


def test_the_xlsx_writer_cuts_text_over_excels_limit_instead_of_failing(tmp_path):
    """A value that passed no gate (written directly): the export is still written; the XLSX cell is
    cut to Excel's 32,767 characters and marked, CSV and Parquet keep the value whole."""
    from verfak.exports import export_csv_file, read_csv_table, write_export

    types = {"nik": "text", "alamat": "text", "umur": "integer"}
    text = "Kp. Sukamaju " * 4000  # 52,000 characters
    csv_bytes = f'nik,alamat,umur\n3216015403840021,{text},40\n3216015403840022,"",\n'.encode()
    csv_file = export_csv_file(tmp_path, "uji", dt.date(2024, 7, 1))
    csv_file.write_bytes(csv_bytes)
    table = read_csv_table(csv_file, types)
    folder = write_export(tmp_path, "uji", dt.date(2024, 7, 1), csv_file, table, types, {})

    assert (tmp_path / "uji" / "LATEST").read_text().strip() == "2024-07-01"
    assert pq.read_table(folder / "referrals.parquet").column("alamat").to_pylist() == [text, ""]
    cell = openpyxl.load_workbook(folder / "referrals.xlsx").worksheets[0]["B2"]
    assert cell.data_type == "s"
    assert len(cell.value) == XLSX_MAX_CHARS
    assert cell.value.endswith(" … [dipotong]")
    assert text.startswith(cell.value[: -len(" … [dipotong]")])
    assert (folder / "referrals.csv").read_bytes() == csv_bytes


# --- item 4: a file speaks only for its folder's village -----------------------------------------


def test_rows_for_another_village_of_the_kecamatan_are_errors_and_nothing_is_loaded_for_it(warehouse):
    run_file(warehouse, "gate_desa_lain.csv")

    # the file is accepted (a row names its folder's village), only that row reaches core
    assert warehouse.query("SELECT status, kode_desa FROM raw.submission_file") == [("accepted", VILLAGE)]
    for table in ("core.verifikasi", "core.person_version", "core.household"):
        assert warehouse.scalar(f"SELECT count(*) FROM {table} WHERE kode_desa = %s", (SAME_KECAMATAN,)) == 0
    assert warehouse.query("SELECT source_row, kode_desa FROM core.verifikasi") == [(2, VILLAGE)]
    # rows 3 and 4 are errors, with the rule's message
    assert gate_issues(warehouse) == {
        3: {expected("kode_desa_sesuai_folder")},
        4: {expected("kode_desa_sesuai_folder")},
    }
    assert "bukan desa folder pengiriman" in RULES_BY_ID["kode_desa_sesuai_folder"].message
    lines = feedback_lines(warehouse)
    assert [(line["baris"], line["kolom"], line["nilai_dikirim"], line["kode_aturan"]) for line in lines] == [
        ("3", "kode_desa", SAME_KECAMATAN, "kode_desa_sesuai_folder"),
        ("4", "kode_desa", SAME_KECAMATAN.replace(".", ""), "kode_desa_sesuai_folder"),
    ]
    programs = load_programs()
    export = assert_formats_agree(
        latest_export(warehouse, "bantuan_tunai"), programs["bantuan_tunai"].export_columns
    )
    assert {record["kode_desa"] for record in export["parquet"]} == {VILLAGE}


# --- item 6: formula injection -------------------------------------------------------------------


def test_formula_payloads_are_neutralised_in_every_csv_and_kept_as_text_in_parquet_and_xlsx(warehouse):
    run_file(warehouse, "gate_formula.csv")
    programs = load_programs()
    hyperlink, cmd, at_sum, minus = craft_gate.HYPERLINK, craft_gate.CMD, craft_gate.SUM, craft_gate.MINUS

    exports = {
        p: assert_formats_agree(latest_export(warehouse, p), programs[p].export_columns) for p in PROGRAMS
    }
    by_nik = {p: {r["nik"]: r for r in e["parquet"]} for p, e in exports.items()}
    csv_by_nik = {
        p: {r["nik"]: r for r in (dict(zip(programs[p].export_columns, row)) for row in e["csv"])}
        for p, e in exports.items()
    }
    first, second, third, fourth, apostrophe = (row["nik"] for row in craft_gate.rows("gate_formula.csv")[:5])

    # referrals.csv: a leading ' before the payload; Parquet and XLSX: the value as sent
    cash, cash_csv = by_nik["bantuan_tunai"], csv_by_nik["bantuan_tunai"]
    assert cash[first]["nama"] == hyperlink
    assert cash_csv[first]["nama"] == "'" + hyperlink
    assert cash[second]["alamat"] == cmd
    assert cash_csv[second]["alamat"] == "'" + cmd
    assert cash[fourth]["rt"] == "-"
    assert cash_csv[fourth]["rt"] == "'-"
    assert cash[apostrophe]["nama"] == "'Ahmad"
    assert cash_csv[apostrophe]["nama"] == "''Ahmad"
    # phone numbers: +62 is written as 0 at staging (nothing to neutralise); another country's + is kept
    assert cash[second]["no_hp"] == cash_csv[second]["no_hp"] == "081234567890"
    assert cash[third]["no_hp"] == "+15550100"
    assert cash_csv[third]["no_hp"] == "'+15550100"
    training, training_csv = by_nik["pelatihan"], csv_by_nik["pelatihan"]
    assert training[third]["pekerjaan"] == at_sum
    assert training_csv[third]["pekerjaan"] == "'" + at_sum
    capital, capital_csv = by_nik["permodalan"], csv_by_nik["permodalan"]
    assert capital[fourth]["minat_usaha"] == minus
    assert capital_csv[fourth]["minat_usaha"] == "'" + minus
    # no line of any referrals.csv has a field that starts with a formula character
    for export in exports.values():
        for row in export["csv"]:
            assert not any((field or "").startswith(CSV_FORMULA_STARTS) for field in row)

    # the XLSX holds strings, never formulas
    sheet = openpyxl.load_workbook(latest_export(warehouse, "bantuan_tunai") / "referrals.xlsx").worksheets[0]
    formula_cells = [
        c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and c.value[:1] in "=+-@"
    ]
    assert formula_cells
    assert all(c.data_type == "s" for c in formula_cells)

    # core keeps the values as sent (the database is not a spreadsheet)
    assert warehouse.scalar("SELECT petugas FROM core.verifikasi WHERE nik = %s", (fourth,)) == minus

    # the village's feedback CSV: payloads echoed neutralised
    lines = feedback_lines(warehouse)
    echoed = {(line["baris"], line["kode_aturan"]): line["nilai_dikirim"] for line in lines}
    assert echoed == {
        ("7", "desil_angka"): "'" + hyperlink,
        ("8", "pendapatan_tidak_negatif"): "'-5000",
        ("9", "memiliki_usaha_valid"): "'" + at_sum,
    }
    raw = (warehouse.exports / "feedback" / PERIOD / f"{VILLAGE}.csv").read_text(encoding="utf-8-sig")
    for row in csv.reader(io.StringIO(raw), delimiter=";"):
        assert not any(field.startswith(CSV_FORMULA_STARTS) for field in row)


# --- item 7: NA words ----------------------------------------------------------------------------


def test_na_words_stay_text_in_core_and_in_all_three_formats_and_null_stays_null(warehouse):
    run_file(warehouse, "gate_na_words.csv")
    programs = load_programs()
    words, empty = (row["nik"] for row in craft_gate.rows("gate_na_words.csv"))

    assert gate_issues(warehouse) == {}
    core = warehouse.query(
        "SELECT nama, hubungan_keluarga, alamat, rt, rw, pekerjaan, pendidikan, minat_usaha FROM core.verifikasi "
        "ORDER BY source_row"
    )
    assert core == [
        ("NA", "NA", "N/A", "N/A", "null", "NULL", "nan", "#N/A"),
        ("Warga 32", None, "Kp. Sukamaju", None, None, None, None, None),
    ]

    expected_text = {
        "nama": "NA",
        "hubungan_keluarga": "NA",
        "alamat": "N/A",
        "rt": "N/A",
        "rw": "null",
        "pekerjaan": "NULL",
        "pendidikan": "nan",
        "minat_usaha": "#N/A",
    }
    for program in PROGRAMS:
        types = programs[program].export_columns
        export = assert_formats_agree(latest_export(warehouse, program), types)
        records = {r["nik"]: r for r in export["parquet"]}
        cells = {r["nik"].value: r for r in (dict(zip(types, row)) for row in export["xlsx"])}
        texts = {r["nik"]: r for r in (dict(zip(types, row)) for row in export["csv"])}
        for column, text in expected_text.items():
            if column in types:
                assert records[words][column] == cells[words][column].value == texts[words][column] == text
                if column not in ("nama", "alamat"):  # required: sent in the row of empty cells
                    assert records[empty][column] is None
                    assert cells[empty][column].value is None
                    assert texts[empty][column] is None  # an unquoted empty field in COPY's CSV
    # a real NULL is an unquoted empty field, not the text ""
    assert '""' not in (latest_export(warehouse, "bantuan_tunai") / "referrals.csv").read_text()


# --- the crafted files ---------------------------------------------------------------------------


def test_the_crafted_gate_files_are_what_craft_gate_writes(tmp_path):
    from tests.hostile import make_hostile

    make_hostile.build(tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (HERE / "files" / name).read_bytes(), name

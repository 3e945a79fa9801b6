"""verfak.intake and verfak.columns on small files made here (no database), and the template."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from verfak.columns import COLUMNS, HEADER_ALIASES, LABELS, REQUIRED, canonical_column
from verfak.intake import read_submission

ROOT = Path(__file__).resolve().parents[2]
NIK = "3216125708750012"
KK = "3216121503180091"
OFFICE = [
    "NIK",
    "No. KK",
    "Nama",
    "L/P",
    "Tgl Lahir",
    "Alamat",
    "Kode Desa",
    "Status",
    "Tgl Verifikasi",
    "Petugas",
]


def row(nik=NIK, kk=KK, nama="Siti Aminah", kode="32.16.12.2003") -> list:
    return [nik, kk, nama, "P", "17/08/1975", "Kp. Bulak Rawa", kode, "layak", "10/06/2024", "Ujang"]


def write_csv(tmp_path, text: str, name="data.csv", encoding="utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(tmp_path, rows: list[list], name="data.xlsx", sheets: dict | None = None) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    for values in rows:
        sheet.append(values)
    for title, other in (sheets or {}).items():
        extra = workbook.create_sheet(title)
        for values in other:
            extra.append(values)
    path = tmp_path / name
    workbook.save(path)
    return path


def values(result) -> list[dict[str, str | None]]:
    return [dict(zip(COLUMNS, v)) for _, v, _ in result.rows]


# --- header names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("NIK", "nik"),
        ("NIK.", "nik"),
        (" nik ", "nik"),
        ("No. KK", "no_kk"),
        ("NO KK", "no_kk"),
        ("no_kk", "no_kk"),
        (" Nama  Lengkap ", "nama"),
        ("L/P", "jenis_kelamin"),
        ("Jenis Kelamin (L/P)", "jenis_kelamin"),
        ("Tgl Lahir", "tanggal_lahir"),
        ("Tgl. Lahir", "tanggal_lahir"),
        ("Tanggal Lahir (DD/MM/YYYY)", "tanggal_lahir"),
        ("Kode Desa/Kel.", "kode_desa"),
        ("STATUS", "status_verifikasi"),
        ("Ket.", "alasan"),
        ("Penghasilan per Bulan (Rp)", "pendapatan_bulanan"),
        ("Punya Usaha?", "memiliki_usaha"),
        ("No. HP/WA", "no_hp"),
        ("NIK (wajib)", "nik"),
        ("Petugas *", "petugas"),
        ("Desil (1-10)", "desil"),
    ],
)
def test_header_spellings(header, column):
    assert canonical_column(header) == column


@pytest.mark.parametrize(
    "header", ["No", "No.", "Tempat/Tgl Lahir", "RT/RW", "Jumlah", "", "Desa", "layak", "L", "(Rp)"]
)
def test_headers_that_name_no_contract_column(header):
    assert canonical_column(header) is None


def test_every_label_and_column_name_maps_to_itself():
    assert all(canonical_column(LABELS[c]) == c and canonical_column(c) == c for c in COLUMNS)
    assert set(HEADER_ALIASES.values()) == set(COLUMNS)


# --- CSV -----------------------------------------------------------------------------------------


def test_semicolon_csv_with_bom_crlf_and_title_lines(tmp_path):
    text = (
        "Data verifikasi faktual;;\r\nDesa Karangmekar;;\r\n\r\n"
        + ";".join(OFFICE)
        + "\r\n"
        + ";".join(row())
        + "\r\n"
    )
    result = read_submission(write_csv(tmp_path, "\ufeff" + text))
    assert result.accepted
    assert result.details["encoding"] == "utf-8-sig"
    assert result.details["delimiter"] == ";"
    assert result.details["header_row"] == 4
    assert [r for r, _, _ in result.rows] == [5]
    assert values(result)[0]["nik"] == NIK
    assert values(result)[0]["tanggal_lahir"] == "17/08/1975"


def test_utf16_without_bom_is_text_not_binary(tmp_path):
    text = "\t".join(OFFICE) + "\r\n" + "\t".join(row()) + "\r\n"
    result = read_submission(write_csv(tmp_path, text, encoding="utf-16-le"))
    assert result.accepted
    assert result.details["encoding"] == "utf-16-le"
    assert result.rows_read == 1


def test_unclosed_quote_swallowing_the_file_is_a_rejection_not_an_exception(tmp_path):
    text = ",".join(OFFICE) + "\n" + ",".join(row(nama='"Siti')) + "\n" + "x" * 200_000 + "\n"
    result = read_submission(write_csv(tmp_path, text))
    assert result.reject_code == "csv_rusak"


def test_nul_characters_are_dropped(tmp_path):
    text = ",".join(OFFICE) + "\n" + ",".join(row(nama="Siti\x00 Aminah")) + "\n"
    path = tmp_path / "data.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())  # BOM: text, although it holds a NUL
    assert values(read_submission(path))[0]["nama"] == "Siti Aminah"


def test_missing_required_column_names_it(tmp_path):
    header = [h for h in OFFICE if h != "Petugas"]
    result = read_submission(write_csv(tmp_path, ",".join(header) + "\n" + ",".join(row()[:-1]) + "\n"))
    assert result.reject_code == "kolom_wajib_tidak_ada"
    assert result.reject_message.startswith("Kolom wajib tidak ditemukan: Petugas.")


def test_no_header_at_all(tmp_path):
    assert read_submission(write_csv(tmp_path, "a,b,c\n1,2,3\n")).reject_code == "header_tidak_ditemukan"


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n\r\n", b"\xff\xfe"])
def test_empty_files(tmp_path, content):
    path = tmp_path / "data.csv"
    path.write_bytes(content)
    assert read_submission(path).reject_code == "file_kosong"


def test_unknown_suffix(tmp_path):
    path = tmp_path / "data.pdf"
    path.write_bytes(b"%PDF-1.4")
    result = read_submission(path)
    assert result.reject_code == "format_tidak_didukung"
    assert ".pdf" in result.reject_message


def test_binary_named_csv(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert read_submission(path).reject_code == "bukan_csv"


def test_duplicate_and_blank_extra_headers_keep_every_cell(tmp_path):
    header = ["No", *OFFICE, "Catatan", "Catatan", ""]
    cells = ["1", *row(), "a", "b", "c"]
    result = read_submission(write_csv(tmp_path, ",".join(header) + "\n" + ",".join(cells) + "\n"))
    assert result.rows[0][2] == {"No": "1", "Catatan": "a", "Catatan (kolom 13)": "b", "kolom_14": "c"}


def test_rows_with_nothing_in_contract_columns_are_skipped_and_counted(tmp_path):
    lines = [
        ",".join(["No", *OFFICE]),
        ",".join(["1", *row()]),
        "2" + "," * len(OFFICE),
        "," * len(OFFICE),
        "3",
    ]
    result = read_submission(write_csv(tmp_path, "\n".join(lines) + "\n"))
    assert [r for r, _, _ in result.rows] == [2]
    assert result.details["rows_skipped"] == 2  # rows 3 and 5; row 4 is blank


def test_a_signature_under_the_table_is_a_row_the_village_is_told_about(tmp_path):
    lines = [",".join(OFFICE), ",".join(row()), "", ",,,,,,,,,Kepala Desa Karangmekar"]
    result = read_submission(write_csv(tmp_path, "\n".join(lines) + "\n"))
    assert [r for r, _, _ in result.rows] == [2, 4]  # the gate rejects row 4 (no NIK, ...) with a message


# --- IDs that went through a number --------------------------------------------------------------


@pytest.mark.parametrize(
    ("nik", "rule"),
    [
        ("3.21601E+15", "id_notasi_ilmiah"),
        ("3,21601E+15", "id_notasi_ilmiah"),
        ("3.21601123456789e15", "id_notasi_ilmiah"),
        ("3216011234567890.0", "id_diketik_angka"),
        ("'3.21601E+15", "id_notasi_ilmiah"),
    ],
)
def test_ids_written_by_a_number_in_csv(tmp_path, nik, rule):
    result = read_submission(write_csv(tmp_path, ";".join(OFFICE) + "\n" + ";".join(row(nik=nik)) + "\n"))
    assert result.accepted
    assert result.rows_rejected == 1
    (issue,) = result.issues
    assert (issue.source_row, issue.rule_id, issue.column, issue.value_sent, issue.severity) == (
        2,
        rule,
        "nik",
        nik,
        "error",
    )
    assert values(result)[0]["nik"] == nik  # kept as sent, never repaired


@pytest.mark.parametrize(
    "nik", [NIK, "3216 1257 0875 0012", "3216.1257.0875.0012", "'" + NIK, "321612570875001"]
)
def test_ids_as_text_raise_no_intake_issue(tmp_path, nik):
    result = read_submission(write_csv(tmp_path, ";".join(OFFICE) + "\n" + ";".join(row(nik=nik)) + "\n"))
    assert result.issues == []
    assert values(result)[0]["nik"] == nik


def test_numeric_cells_in_xlsx(tmp_path):
    rows = [
        [*OFFICE, "No. HP"],
        [*row(), "081234567890"],
        [*row(nik=3216125708750010.0), None],
        [*row(nik=3216125708750010, kk=3216121503180090), None],
        [*row(), 81234567890],
    ]
    result = read_submission(write_xlsx(tmp_path, rows))
    assert (result.rows_read, result.rows_rejected, result.rows_passed) == (4, 2, 2)
    got = [(i.source_row, i.rule_id, i.column, i.value_sent, i.severity) for i in result.issues]
    assert got == [
        (3, "id_diketik_angka", "nik", "3216125708750010", "error"),
        (4, "id_diketik_angka", "nik, no_kk", "3216125708750010 | 3216121503180090", "error"),
        (5, "no_hp_diketik_angka", "no_hp", "81234567890", "warning"),
    ]
    assert result.issues[1].message.startswith("NIK dan No. KK keduanya diketik sebagai angka di Excel")


# --- Excel ---------------------------------------------------------------------------------------


def test_cells_of_every_type_become_text(tmp_path):
    rows = [
        [*OFFICE, "Desil", "Memiliki Usaha", "RT"],
        [
            *row()[:4],
            dt.date(1975, 8, 17),
            *row()[5:8],
            dt.datetime(2024, 6, 10, 9, 30),
            "Ujang",
            3.0,
            True,
            3,
        ],
    ]
    result = read_submission(write_xlsx(tmp_path, rows))
    v = values(result)[0]
    assert (v["tanggal_lahir"], v["tanggal_verifikasi"], v["desil"], v["memiliki_usaha"], v["rt"]) == (
        "1975-08-17",
        "2024-06-10 09:30:00",
        "3",
        "TRUE",
        "3",
    )


def test_sheet_with_the_most_contract_columns_wins_visible_first(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Petunjuk"
    workbook.active.append(["Petunjuk: isi NIK dan No. KK sebagai teks"])
    for title, rows in (
        ("Data", [OFFICE, row()]),
        (
            "Rekap",
            [["Kode Desa", "Status Verifikasi", "Keterangan", "Jumlah"], ["32.16.12.2003", "layak", "", 1]],
        ),
        ("Lama", [[*OFFICE, "Desil", "Pekerjaan"], [*row(), "1", "Buruh"]]),  # more columns, but hidden
    ):
        sheet = workbook.create_sheet(title)
        for values_ in rows:
            sheet.append(values_)
    workbook["Lama"].sheet_state = "hidden"
    path = tmp_path / "data.xlsx"
    workbook.save(path)
    result = read_submission(path)
    assert result.accepted
    assert result.details["sheet"] == "Data"
    assert result.rows_read == 1


def test_xlsx_saved_as_csv_and_csv_renamed_xlsx_are_read_for_what_they_are(tmp_path):
    xlsx = write_xlsx(tmp_path, [OFFICE, row()])
    as_csv = tmp_path / "data_excel.csv"
    as_csv.write_bytes(xlsx.read_bytes())
    result = read_submission(as_csv)
    assert result.accepted
    assert result.details["format"] == "xlsx"
    assert result.details["suffix_format"] == "csv"
    renamed = write_csv(tmp_path, ",".join(OFFICE) + "\n" + ",".join(row()) + "\n", name="data_csv.xlsx")
    result = read_submission(renamed)
    assert result.accepted
    assert result.details["format"] == "csv"
    assert result.details["suffix_format"] == "xlsx"


def test_a_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "data.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert read_submission(path).reject_code == "excel_tidak_terbaca"


def test_truncated_workbook(tmp_path):
    path = write_xlsx(tmp_path, [OFFICE, row()])
    path.write_bytes(path.read_bytes()[:700])
    assert read_submission(path).reject_code == "excel_tidak_terbaca"


def test_village_code_must_agree_with_the_folder(tmp_path):
    path = write_csv(tmp_path, ",".join(OFFICE) + "\n" + ",".join(row(kode="3216122004")) + "\n")
    assert read_submission(path, kode_desa_folder="3216122004").accepted
    result = read_submission(path, kode_desa_folder="3216122003")
    assert result.reject_code == "kode_desa_tidak_sesuai_folder"
    assert "(32.16.12.2004)" in result.reject_message
    assert "folder desa 32.16.12.2003" in result.reject_message
    blank = write_csv(tmp_path, ",".join(OFFICE) + "\n" + ",".join(row(kode="")) + "\n", name="blank.csv")
    assert read_submission(blank, kode_desa_folder="3216122003").accepted  # the gate says kode_desa_wajib


# --- the template --------------------------------------------------------------------------------

TEMPLATE = ROOT / "include" / "templates" / "verifikasi_faktual_template.xlsx"


def _properties(path: Path) -> dict:
    workbook = openpyxl.load_workbook(path)
    data = workbook["Data"]
    width = len(COLUMNS)
    text_columns = [i for i in range(1, width + 1) if data.cell(2, i).number_format == "@"]
    return {
        "sheets": workbook.sheetnames,
        "active": workbook.active.title,
        "header": [data.cell(1, i).value for i in range(1, width + 2)],
        "text_columns": text_columns,
        "text_rows": {
            i: all(data.cell(r, i).number_format == "@" for r in range(2, 1002)) for i in text_columns
        },
        "date_formats": [data.cell(500, i).number_format for i in range(1, width + 1)],
        "validations": sorted(str(v.sqref) for v in data.data_validations.dataValidation),
        "readme": [list(r) for r in workbook["Petunjuk"].iter_rows(values_only=True)],
    }


def test_committed_template_is_what_build_template_makes(tmp_path):
    from verfak.template import build_template

    built = build_template(tmp_path / "template.xlsx")
    assert _properties(TEMPLATE) == _properties(built)
    assert TEMPLATE.read_bytes() == built.read_bytes()  # reproducible: regenerate after changing the module


def test_template_properties():
    from verfak.template import README_LINES

    props = _properties(TEMPLATE)
    assert props["sheets"] == ["Data", "Petunjuk"]
    assert props["active"] == "Data"
    assert [canonical_column(h) for h in props["header"][:-1]] == list(COLUMNS)
    assert props["header"][-1] is None
    text = {COLUMNS[i - 1] for i in props["text_columns"]}
    assert text == {"nik", "no_kk", "rt", "rw", "kode_desa", "no_hp"}
    assert all(props["text_rows"].values())
    assert {COLUMNS[i] for i, f in enumerate(props["date_formats"]) if f == "dd/mm/yyyy"} == {
        "tanggal_lahir",
        "tanggal_verifikasi",
    }
    readme = "\n".join(" ".join(str(c) for c in r if c) for r in props["readme"])
    assert all(line in readme for line in README_LINES if line)
    assert "Teks" in readme
    assert "3,21601E+15" in readme
    assert "DD/MM/YYYY" in readme
    for column in REQUIRED:  # the README table names every required column as such
        assert any(r[0] and canonical_column(r[0]) == column and r[1] == "wajib" for r in props["readme"])


def test_template_as_sent_blank_is_header_only():
    result = read_submission(TEMPLATE)
    assert result.reject_code == "tanpa_data"  # header found on sheet Data, all columns, no rows


def test_template_cli(tmp_path):
    from verfak.template import main

    assert main([str(tmp_path / "out" / "t.xlsx")]) == 0
    assert (tmp_path / "out" / "t.xlsx").exists()
    assert main([]) == 2

"""The submission template villages are given: an XLSX that arrives readable.

    python -m verfak.template include/templates/verifikasi_faktual_template.xlsx

Sheet ``Data``: the header on row 1 in the contract's order (every label is one that
``verfak.columns`` maps back to its column), ID columns (NIK, No. KK, RT, RW, Kode Desa, No. HP)
formatted as Text (``@``) for ``DATA_ROWS`` rows and for the whole column, so a 16-digit NIK keeps
every digit and ``003`` keeps its zeros; date columns formatted ``dd/mm/yyyy``; drop-down lists for
Jenis Kelamin, Status Verifikasi and Memiliki Usaha, a 16-character check on NIK and No. KK, a
whole number 1-10 on Desil. Sheet ``Petunjuk``: how to fill it in, in Indonesian (``README_LINES``).

The file is built byte for byte the same every time (fixed timestamps), so the committed copy in
include/templates/ only changes when this module does; a test checks the two agree.
"""

from __future__ import annotations

import io
import sys
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from verfak.columns import (
    BY_NAME,
    COLUMNS,
    CONTRACT,
    DATE_COLUMNS,
    ID_COLUMNS,
    REQUIRED,
    SEX_VALUES,
    STATUS_VALUES,
    one_of,
)

DATA_SHEET = "Data"
README_SHEET = "Petunjuk"
DATA_ROWS = 1000  # rows formatted (Text on ID columns, date format on dates) below the header
TIMESTAMP = datetime(2024, 7, 1, 8, 0, 0)

#: The header label of each column (a note in brackets says what to type; the reader ignores it).
HEADERS: dict[str, str] = {c.name: c.header for c in CONTRACT}

_WIDTHS = {
    "nik": 20,
    "no_kk": 20,
    "nama": 28,
    "alamat": 30,
    "alasan": 34,
    "kode_desa": 15,
    "no_hp": 16,
    "status_verifikasi": 18,
    "minat_pelatihan": 22,
    "petugas": 22,
}

#: What the README sheet says, one line per row (column A); the column table follows it.
README_LINES: tuple[str, ...] = (
    "TEMPLAT VERIFIKASI FAKTUAL PENDUDUK MISKIN EKSTREM - DINAS SOSIAL KABUPATEN BEKASI",
    "",
    "Cara mengisi",
    (
        "1. Isi data di sheet 'Data', satu baris untuk satu orang, mulai baris 2. Jangan mengubah, menghapus atau "
        "menggeser baris judul kolom (baris 1)."
    ),
    (
        "2. NIK dan No. KK diketik lengkap 16 digit. Kolom NIK, No. KK, RT, RW, Kode Desa dan No. HP sudah berformat "
        "Teks: jangan diubah menjadi Number/General. Excel hanya menyimpan 15 digit angka, sehingga NIK yang diketik "
        "sebagai angka kehilangan digit terakhirnya atau tampil sebagai 3,21601E+15. Baris seperti itu DITOLAK."
    ),
    (
        "3. Bila menempel (paste) data dari file lain, gunakan Paste Special > Values agar format Teks tidak hilang, "
        "lalu periksa bahwa NIK tampil 16 digit (bukan 3,21601E+15)."
    ),
    "4. Tanggal Lahir dan Tanggal Verifikasi ditulis DD/MM/YYYY, misalnya 17/08/1975.",
    (
        f"5. Jenis Kelamin: {' atau '.join(SEX_VALUES)}. Status Verifikasi: {one_of(STATUS_VALUES)}. "
        f"Alasan wajib diisi bila status bukan {STATUS_VALUES[0]}."
    ),
    "6. Kode Desa: kode Kemendagri desa/kelurahan Anda, misalnya 32.16.12.2003, sama untuk semua baris.",
    (
        "7. Jangan menulis apa pun di bawah tabel (tanda tangan, catatan, jumlah): setiap baris berisi data dianggap "
        "satu orang."
    ),
    "8. Simpan sebagai .xlsx (disarankan). Bila harus CSV, pilih 'CSV UTF-8' dan periksa NIK sebelum dikirim.",
    "",
    "Pengiriman",
    (
        "Satu file per desa per periode, di folder <periode YYYY-MM>/<kode desa>/, misalnya 2024-06/32.16.12.2003/. "
        "File yang dikirim ulang untuk desa dan periode yang sama menggantikan file sebelumnya; kirim ulang seluruh "
        "data periode itu, bukan hanya baris yang diperbaiki."
    ),
    (
        "Setiap desa yang datanya bermasalah menerima file umpan balik berisi nomor baris, kolom, nilai yang "
        "dikirim dan apa yang harus diperbaiki."
    ),
    "",
    "Kolom",
)

_COLUMN_HELP: dict[str, tuple[str, str]] = {
    c.name: (c.hint, c.example) for c in CONTRACT
}  # what to type, example

#: The column table of the README sheet: header, then one row per column.
README_TABLE: tuple[tuple[str, str, str, str], ...] = (
    ("Judul kolom", "Wajib", "Cara mengisi", "Contoh"),
    *((HEADERS[c], "wajib" if c in REQUIRED else "tidak", *_COLUMN_HELP[c]) for c in COLUMNS),
)

_THIN = Side(style="thin", color="FF808080")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_REQUIRED_FILL = PatternFill("solid", fgColor="FFFCE4D6")
_OPTIONAL_FILL = PatternFill("solid", fgColor="FFDDEBF7")


def _data_sheet(workbook: Workbook) -> None:
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook's one sheet
    sheet.title = DATA_SHEET
    last_row = DATA_ROWS + 1
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(1, index, HEADERS[column])
        cell.font = Font(bold=True)
        cell.fill = _REQUIRED_FILL if column in REQUIRED else _OPTIONAL_FILL
        cell.border = _BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[letter].width = _WIDTHS.get(column, 14)
        number_format = "@" if column in ID_COLUMNS else "dd/mm/yyyy" if column in DATE_COLUMNS else None
        if number_format:
            sheet.column_dimensions[letter].number_format = number_format  # new cells typed in the column
            for row in range(2, last_row + 1):
                sheet.cell(row, index).number_format = number_format
    sheet.row_dimensions[1].height = 32
    sheet.freeze_panes = "C2"

    def validate(column: str, validation: DataValidation) -> None:
        letter = get_column_letter(COLUMNS.index(column) + 1)
        validation.add(f"{letter}2:{letter}{last_row}")
        validation.showErrorMessage = validation.showInputMessage = True
        sheet.add_data_validation(validation)

    def choice(column: str, values, title: str) -> None:
        validate(
            column,
            DataValidation(
                type="list",
                formula1='"' + ",".join(values) + '"',
                allow_blank=True,
                errorTitle=title,
                error=f"Pilih salah satu: {', '.join(values)}.",
                promptTitle=title,
                prompt=f"Pilih: {', '.join(values)}.",
            ),
        )

    for spec in (c for c in CONTRACT if c.values):
        choice(spec.name, spec.values, spec.label)
    for column, label in ((c.name, c.label) for c in CONTRACT if c.digits):
        validate(
            column,
            DataValidation(
                type="textLength",
                operator="equal",
                formula1=str(BY_NAME[column].digits),
                allow_blank=True,
                errorStyle="warning",
                errorTitle=label,
                error=f"{label} harus {BY_NAME[column].digits} digit. Periksa kembali dengan KTP/KK.",
                promptTitle=label,
                prompt=f"Ketik {BY_NAME[column].digits} digit {label} (kolom ini berformat Teks).",
            ),
        )
    validate(
        "desil",
        DataValidation(
            type="whole",
            operator="between",
            formula1="1",
            formula2="10",
            allow_blank=True,
            errorTitle="Desil",
            error="Desil adalah angka bulat 1 sampai 10.",
            promptTitle="Desil",
            prompt="Angka 1-10.",
        ),
    )


def _readme_sheet(workbook: Workbook) -> None:
    sheet = workbook.create_sheet(README_SHEET)
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 10
    sheet.column_dimensions["C"].width = 60
    sheet.column_dimensions["D"].width = 34
    for row, line in enumerate(README_LINES, start=1):
        if line:
            cell = sheet.cell(row, 1, line)
            cell.font = Font(
                bold=row == 1 or line in ("Cara mengisi", "Pengiriman", "Kolom"), size=13 if row == 1 else 11
            )
    start = len(README_LINES) + 1
    for offset, values in enumerate(README_TABLE):
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(start + offset, col, value)
            cell.number_format = "@"
            cell.border = _BOX
            if offset == 0:
                cell.font = Font(bold=True)


def build_template(path: Path | str) -> Path:
    """Write the template to ``path`` (the same bytes every time) and return the path."""
    path = Path(path)
    workbook = Workbook()
    _data_sheet(workbook)
    _readme_sheet(workbook)
    workbook.active = 0
    workbook.properties.creator = workbook.properties.lastModifiedBy = "Dinas Sosial Kabupaten Bekasi"
    workbook.properties.title = "Templat verifikasi faktual"
    workbook.properties.created = workbook.properties.modified = TIMESTAMP
    buffer = io.BytesIO()
    # ExcelWriter directly: openpyxl's save_workbook would stamp 'modified' with the clock.
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=TIMESTAMP.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            target.writestr(member, source.read(info.filename))
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m verfak.template <out.xlsx>", file=sys.stderr)
        return 2
    print(build_template(args[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

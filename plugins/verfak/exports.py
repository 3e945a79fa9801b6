"""Agency export folders: CSV, Parquet and XLSX of the same rows, a manifest, atomic publication.

``<exports>/<program>/<YYYY-MM-DD>/`` holds ``referrals.csv`` (UTF-8, header; text a spreadsheet would run as
a formula neutralised with a leading ``'``, ``verfak.safe_text``), ``referrals.parquet``
(declared schema), ``referrals.xlsx`` (frozen header, IDs as text cells, dates as dates) and
``manifest.json`` (program, agency, period, row count, columns with types, SHA-256 of each file,
the DAG run, the time), and ``tindak_lanjut.xlsx``: the return file the agency fills in and drops
back (issue 13, ``write_return_workbook``: the referrals pre-filled, a drop-down of the program's
statuses, a date column, an amount column where the program pays money). The folder is written aside and renamed into place, then ``LATEST`` is
replaced atomically, so an agency never reads a half-written export. ``verify_export`` checks a
folder against its manifest (``python -m verfak verify-export <folder>``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import uuid
from pathlib import Path

import pandas as pd

from verfak.files import private_files, sha256_file
from verfak.safe_text import XLSX_MAX_CHARS, fit_xlsx, restore

log = logging.getLogger(__name__)

FILES = ("referrals.csv", "referrals.parquet", "referrals.xlsx")
RETURN_FILE = "tindak_lanjut.xlsx"


def read_csv_table(csv_bytes: bytes, types: dict[str, str], neutralised: bool = True):
    """The rows of a ``COPY ... TO STDOUT (FORMAT csv, HEADER)`` as a pyarrow Table of the declared
    types, holding the values of the database.

    NULL is only what PostgreSQL writes for it, an unquoted empty field; a quoted one is an empty
    text, and a text such as ``NA``, ``N/A``, ``NULL``, ``nan`` or ``#N/A`` stays that text (pyarrow
    would read those as NULL by default). With ``neutralised`` the text columns were written with
    ``verfak.safe_text.neutralise_sql`` (the CSV agencies open): the leading ``'`` is taken off again.
    """
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    arrow_types = {"text": pa.string(), "date": pa.date32(), "integer": pa.int64()}
    options = pa_csv.ConvertOptions(
        column_types={c: arrow_types[t] for c, t in types.items()},
        null_values=[""],
        strings_can_be_null=True,
        quoted_strings_can_be_null=False,
    )
    table = pa_csv.read_csv(pa.BufferReader(csv_bytes), convert_options=options)
    if table.column_names != list(types):
        raise ValueError(f"export columns {table.column_names} are not the program's {list(types)}")
    if neutralised:
        for i, column in enumerate(table.column_names):
            if types[column] == "text":
                table = table.set_column(i, column, restore(table.column(i)))
    return table


#: Data rows of one worksheet: Excel's 1,048,576 rows less the header. A longer list goes on
#: further sheets (``<program>_2``, ...), each with the header.
XLSX_ROWS_PER_SHEET = 1_048_575


def xlsx_sheet_names(title: str, rows: int) -> list[str]:
    """The sheets a list of ``rows`` rows takes in the workbook."""
    count = max(1, -(-rows // XLSX_ROWS_PER_SHEET))
    return [title[:31]] + [f"{title[:27]}_{i}" for i in range(2, count + 1)]


def _write_xlsx(table, types: dict[str, str], path: Path, title: str) -> None:
    """XLSX an agency opens without harm: IDs as text cells, dates as dates, a frozen header row.
    Text is always written as a string cell, never as a formula (``=HYPERLINK(...)`` stays text).

    rustpy-xlsxwriter (rust_xlsxwriter, reading the Arrow table directly) writes a million rows in
    ~20 s and 0.6 GiB; XlsxWriter in constant-memory mode took 115 s and openpyxl 8 minutes and
    9 GiB for the same export in the benchmark.
    """
    from rustpy_xlsxwriter import FastExcel, Format

    # Excel holds at most 32,767 characters in a cell and the writer refuses a longer text: cut it
    # (marked) rather than lose the whole export. The gate's length rules keep core far below this.
    for i, column in enumerate(table.column_names):
        if types[column] == "text":
            fitted, cut = fit_xlsx(table.column(i))
            if cut:
                log.warning(
                    "%s: %d text cell(s) of column %s cut to Excel's %d characters",
                    path.name,
                    cut,
                    column,
                    XLSX_MAX_CHARS,
                )
                table = table.set_column(i, column, fitted)
    number_formats = {"text": "@", "integer": "0"}
    column_formats = {
        c: Format().set_num_format(number_formats[types[c]])
        for c in table.column_names
        if types[c] in number_formats
    }
    text_columns = [c for c in table.column_names if types[c] == "text"]  # no green "number as text" marks
    workbook = (
        FastExcel(str(path), autofit=False)
        .format(datetime_format="DD/MM/YYYY", bold_headers=True)
        .freeze(row=1)
    )
    for i, name in enumerate(xlsx_sheet_names(title, table.num_rows)):
        workbook = workbook.sheet(
            name,
            table.slice(i * XLSX_ROWS_PER_SHEET, XLSX_ROWS_PER_SHEET),
            column_formats=column_formats,
            ignore_errors=text_columns,
        )
    workbook.save()


def return_workbook_columns(money: bool) -> list[str]:
    """The columns of ``tindak_lanjut.xlsx``: the return-file columns, ``nilai`` only where the program pays."""
    from verfak.outcomes import RETURN_COLUMNS

    return [c for c in RETURN_COLUMNS if money or c != "nilai"]


def write_return_workbook(table, path: Path, statuses: tuple[str, ...], money: bool, title: str) -> None:
    """``tindak_lanjut.xlsx``: one row per referral of the export (referral_id, NIK, name and village
    pre-filled from the export's own columns, so an agency never gets a column its export lacks) and
    the agency's columns empty: ``status_tindak_lanjut`` with a drop-down of the program's statuses,
    ``tanggal`` formatted as a date, ``nilai`` (rupiah) when the program pays money, ``kegiatan``,
    ``keterangan``. Sheet ``Petunjuk`` explains each status. IDs are text cells; every text is
    written as a string (never a formula). XlsxWriter in constant-memory mode, row by row.
    """
    import xlsxwriter

    from verfak.outcomes import RETURN_LABELS, STATUS_BY_NAME

    columns = return_workbook_columns(money)
    prefilled = {
        c: table.column(c).to_pylist() if c in table.column_names else None
        for c in ("referral_id", "nik", "nama", "nama_desa")
    }
    rows = table.num_rows
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    bold = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7"})
    text = workbook.add_format({"num_format": "@"})
    date = workbook.add_format({"num_format": "dd/mm/yyyy"})
    amount = workbook.add_format({"num_format": "#,##0"})
    formats = {"tanggal": date, "nilai": amount}
    help_rows = len(statuses) + 1
    for index, name in enumerate(xlsx_sheet_names(title, rows)):
        sheet = workbook.add_worksheet(name)
        sheet.freeze_panes(1, 0)
        for col, column in enumerate(columns):
            sheet.set_column(
                col,
                col,
                22 if column in ("referral_id", "nik", "status_tindak_lanjut") else 18,
                formats.get(column, text),
            )
            sheet.write_string(0, col, RETURN_LABELS[column], bold)
        start = index * XLSX_ROWS_PER_SHEET
        count = max(0, min(XLSX_ROWS_PER_SHEET, rows - start))
        for offset in range(count):
            for col, column in enumerate(columns):
                values = prefilled.get(column)
                if values is not None and values[start + offset] is not None:
                    sheet.write_string(offset + 1, col, str(values[start + offset]), text)
                elif column not in prefilled:  # the agency's cell: empty, formatted (a date stays a date)
                    sheet.write_blank(offset + 1, col, None, formats.get(column, text))
        last = max(count, 1)
        status_col = columns.index("status_tindak_lanjut")
        sheet.data_validation(
            1,
            status_col,
            last,
            status_col,
            {
                "validate": "list",
                "source": f"=Petunjuk!$A$2:$A${help_rows}",
                "input_title": "Status tindak lanjut",
                "input_message": "Pilih dari daftar (lihat sheet Petunjuk).",
                "error_title": "Status tidak dikenal",
                "error_message": "Pilih salah satu status yang diterima program ini (lihat sheet Petunjuk).",
            },
        )
        tanggal_col = columns.index("tanggal")
        sheet.data_validation(
            1,
            tanggal_col,
            last,
            tanggal_col,
            {
                "validate": "date",
                "criteria": ">=",
                "value": dt.date(2000, 1, 1),
                "error_type": "warning",
                "error_title": "Tanggal",
                "error_message": "Isi tanggal tindak lanjut (hari/bulan/tahun).",
            },
        )
        if money:
            nilai_col = columns.index("nilai")
            sheet.data_validation(
                1,
                nilai_col,
                last,
                nilai_col,
                {
                    "validate": "integer",
                    "criteria": ">",
                    "value": 0,
                    "error_type": "warning",
                    "error_title": "Nilai (Rp)",
                    "error_message": "Isi jumlah rupiah tanpa titik atau koma, lebih dari 0.",
                },
            )
    guide = workbook.add_worksheet("Petunjuk")
    guide.set_column(0, 0, 26)
    guide.set_column(1, 1, 70)
    guide.write_string(0, 0, "Kode status", bold)
    guide.write_string(0, 1, "Arti", bold)
    for row, status in enumerate(statuses, start=1):
        guide.write_string(row, 0, status)
        guide.write_string(
            row, 1, STATUS_BY_NAME[status].label + (" (isi Nilai)" if STATUS_BY_NAME[status].money else "")
        )
    notes = [
        "Isi kolom Status Tindak Lanjut, Tanggal"
        + (", Nilai (Rp)" if money else "")
        + ", Kegiatan dan Keterangan; "
        "jangan ubah ID Rujukan dan NIK.",
        "Boleh dikirim sebagian; satu baris per kejadian (misalnya diterima, lalu selesai di baris lain).",
        "Koreksi: tulis 'koreksi: <alasan>' di Keterangan.",
        "Simpan lalu letakkan di folder tindak_lanjut/<program>/<bulan YYYY-MM>/ (panduan: docs/tindak_lanjut.md).",
    ]
    for row, note in enumerate(notes, start=help_rows + 1):
        guide.write_string(row, 0, "Catatan" if row == help_rows + 1 else "")
        guide.write_string(row, 1, note)
    workbook.close()


@private_files()
def write_export(
    export_root: Path,
    program: str,
    export_date: dt.date,
    csv_bytes: bytes,
    table,
    types: dict[str, str],
    manifest_fields: dict,
    outcome_statuses: tuple[str, ...] = (),
    money: bool = False,
) -> Path:
    """Write one program's export for a day and publish it atomically; return its folder.

    ``csv_bytes`` is the program's rows as PostgreSQL's ``COPY ... TO STDOUT (FORMAT csv, HEADER)``
    wrote them (UTF-8, text columns neutralised against formulas): they are ``referrals.csv`` as they
    are. ``table`` is the same bytes read by ``read_csv_table`` with the declared column types (the
    neutralising ``'`` taken off): the Parquet and XLSX files, so the three formats hold the same rows.
    ``outcome_statuses``: the statuses the program accepts back; when given, ``tindak_lanjut.xlsx``
    is written too (``money``: with the ``nilai`` column).
    """
    import pyarrow.parquet as pq

    program_dir = export_root / program
    program_dir.mkdir(parents=True, exist_ok=True)
    final = program_dir / export_date.isoformat()
    work = program_dir / f".{export_date.isoformat()}.{uuid.uuid4().hex}.tmp"
    work.mkdir()
    try:
        (work / "referrals.csv").write_bytes(csv_bytes)
        pq.write_table(table, work / "referrals.parquet")
        _write_xlsx(table, types, work / "referrals.xlsx", program)
        files = list(FILES)
        if outcome_statuses:
            write_return_workbook(table, work / RETURN_FILE, outcome_statuses, money, program)
            files.append(RETURN_FILE)
        manifest = {
            "program": program,
            **manifest_fields,
            "export_date": export_date.isoformat(),
            "row_count": table.num_rows,
            "columns": [{"name": c, "type": types[c]} for c in table.column_names],
            "xlsx_sheets": xlsx_sheet_names(program, table.num_rows),
            "files": {
                name: {"sha256": sha256_file(work / name), "bytes": (work / name).stat().st_size}
                for name in files
            },
            "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        (work / "manifest.json").write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8"
        )
        _swap_into_place(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    latest_tmp = program_dir / f".LATEST.{uuid.uuid4().hex}.tmp"
    latest_tmp.write_text(export_date.isoformat() + "\n", encoding="utf-8")
    os.replace(latest_tmp, program_dir / "LATEST")
    log.info("export %s/%s published: %d row(s)", program, export_date.isoformat(), table.num_rows)
    return final


def _swap_into_place(work: Path, final: Path) -> None:
    """Rename the finished folder into place; a rerun of the same day replaces the old one."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.{uuid.uuid4().hex}.old")
        final.rename(old)
    work.rename(final)
    if old:
        shutil.rmtree(old)


def verify_export(folder: Path) -> list[str]:
    """Problems found checking an export folder against its manifest (empty list = intact)."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        return [f"{manifest_path} is missing"]
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    problems = []
    for name, info in manifest.get("files", {}).items():
        path = folder / name
        if not path.exists():
            problems.append(f"{name} is missing")
        elif sha256_file(path) != info["sha256"]:
            problems.append(f"{name}: SHA-256 does not match the manifest")
    csv_path = folder / "referrals.csv"
    if csv_path.exists():
        rows = len(pd.read_csv(csv_path, dtype="str"))
        if rows != manifest.get("row_count"):
            problems.append(f"referrals.csv has {rows} rows, the manifest says {manifest.get('row_count')}")
    return problems


def remove_old_exports(export_root: Path, program: str, keep_days: int, today: dt.date) -> list[Path]:
    """Delete a program's export folders older than ``keep_days`` (never the one LATEST names)."""
    program_dir = export_root / program
    latest = (program_dir / "LATEST").read_text().strip() if (program_dir / "LATEST").exists() else None
    removed = []
    for folder in sorted(program_dir.glob("????-??-??")):
        try:
            day = dt.date.fromisoformat(folder.name)
        except ValueError:
            continue
        if (today - day).days > keep_days and folder.name != latest:
            shutil.rmtree(folder)
            removed.append(folder)
    if removed:
        log.info("export %s: removed %d folder(s) older than %d days", program, len(removed), keep_days)
    return removed

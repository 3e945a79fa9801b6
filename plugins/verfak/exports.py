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
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from verfak.files import private_files, sha256_file
from verfak.safe_text import XLSX_MAX_CHARS, fit_xlsx, restore

log = logging.getLogger(__name__)

FILES = ("referrals.csv", "referrals.parquet", "referrals.xlsx")
RETURN_FILE = "tindak_lanjut.xlsx"


def read_csv_table(csv: Path, types: dict[str, str], neutralised: bool = True):
    """The rows of a ``COPY ... TO STDOUT (FORMAT csv, HEADER)``, from the file they were written to,
    as a pyarrow Table of the declared types, holding the values of the database.

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
    table = pa_csv.read_csv(str(csv), convert_options=options)
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


#: Rows of ``tindak_lanjut.xlsx`` turned into sheet XML at a time: about 600 bytes a row, a few
#: copies while a chunk is built (measured: 50,000 rows added ~95 MiB to the peak, 10,000 nothing
#: visible, in the same time).
RETURN_ROWS_PER_CHUNK = 10_000
#: What Python's ``\s`` matches (XlsxWriter keeps a text's leading or trailing whitespace when it
#: matches), as an RE2 character class.
_PY_WHITESPACE = (
    r"\t\n\x0b\x0c\r\x1c-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
)
#: Texts XlsxWriter does not write as they are: XML characters, control characters, its own
#: ``_xHHHH_`` escape, the non-characters U+FFFE/U+FFFF, leading or trailing whitespace. Those few go
#: through XlsxWriter's own escaping (``_inline_text``); the rest are copied into the XML unchanged.
_XLSXWRITER_CHANGES = (
    r"[&<>\x00-\x08\x0b-\x1f\x{fffe}\x{ffff}]|_[xX][0-9a-fA-F]{4}_"
    + f"|^[{_PY_WHITESPACE}]|[{_PY_WHITESPACE}]$"
)


def _inline_text(sheet, value: str) -> str:
    """The ``<t>`` element XlsxWriter writes for a string cell in constant-memory mode (cut to Excel's
    32,767 UTF-16 units, control characters escaped, whitespace kept, XML escaped), with XlsxWriter's
    own functions. One difference, on purpose: a text that starts with ``<r>`` and ends with ``</r>``
    is escaped like any other, where XlsxWriter copies it into the sheet as raw rich-text XML."""
    from xlsxwriter.utility import _preserve_whitespace, _utf16_len, _utf16_truncate

    if len(value) > sheet.xls_strmax // 2 and _utf16_len(value) > sheet.xls_strmax:
        value = _utf16_truncate(value, sheet.xls_strmax)
    value = sheet._escape_control_characters(value)
    preserve = ' xml:space="preserve"' if _preserve_whitespace(value) else ""
    return f"<t{preserve}>{sheet._escape_data(value)}</t>"


def _text_elements(sheet, values):
    """``_inline_text`` of each value of an Arrow column (NULL stays NULL), column-wise; only the
    values XlsxWriter would change go through Python."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_string(values.type):
        values = pc.cast(values, pa.string())
    elements = pc.binary_join_element_wise("<t>", values, "</t>", "")
    changed = pc.fill_null(
        pc.or_(
            pc.match_substring_regex(values, _XLSXWRITER_CHANGES),
            pc.greater(pc.utf8_length(values), sheet.xls_strmax // 2),
        ),
        False,
    )
    if pc.any(changed).as_py():
        exact = [_inline_text(sheet, value) for value in values.filter(changed).to_pylist()]
        elements = pc.replace_with_mask(elements, changed, pa.array(exact, pa.string()))
    return elements


def _write_prefilled_rows(
    sheet, table, columns: list[str], prefilled: tuple[str, ...], formats: dict
) -> None:
    """The data rows of a ``tindak_lanjut.xlsx`` sheet, written straight into XlsxWriter's
    constant-memory row file as the XML its ``write_string``/``write_blank`` per cell wrote (same
    cells, styles and escaping; no ``spans``, as XlsxWriter writes none in this mode), built a column
    at a time with Arrow: a pre-filled cell per non-NULL value of ``table``'s column (none when the
    export lacks the column), an empty formatted cell per agency column. ``formats``: each column's
    cell format. The sheet's header row (row 0) is already written."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    from xlsxwriter.utility import xl_col_to_name

    sheet._write_single_row(1)  # the header row goes to the row file, as writing row 1 did
    # Style indices in the order the cells first used them (XlsxWriter numbers formats that way).
    styles = [formats[column]._get_xf_index() for column in columns]
    rows = table.num_rows
    for start in range(0, rows, RETURN_ROWS_PER_CHUNK):
        chunk = table.slice(start, RETURN_ROWS_PER_CHUNK)
        numbers = pc.cast(pa.array(np.arange(start + 2, start + 2 + chunk.num_rows)), pa.string())
        pieces: list = ['<row r="', numbers, '">']
        for col, column in enumerate(columns):
            ref = xl_col_to_name(col)
            if column not in prefilled:  # the agency's cell: empty, formatted (a date stays a date)
                pieces += [f'<c r="{ref}', numbers, f'" s="{styles[col]}"/>']
            elif column in chunk.column_names:
                cells = pc.binary_join_element_wise(
                    f'<c r="{ref}',
                    numbers,
                    f'" s="{styles[col]}" t="inlineStr"><is>',
                    _text_elements(sheet, chunk.column(column).combine_chunks()),
                    "</is></c>",
                    "",
                )
                pieces.append(pc.fill_null(cells, ""))
        pieces.append("</row>")
        xml = pc.binary_join_element_wise(*pieces, "")
        joined = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(xml)], pa.int32()), xml), "")
        sheet.fh.write(joined[0].as_py())
    if rows:
        sheet._check_dimensions(rows, len(columns) - 1)  # the sheet's extent, as the cells set it
        sheet.previous_row = rows


#: zlib level of the workbooks XlsxWriter zips (``tindak_lanjut.xlsx``). XlsxWriter has no setting
#: for it and zips at zipfile's default, 6; level 1 makes the same parts (a valid workbook, every
#: part's bytes unchanged once unzipped) about 5 times faster, the file about a fifth larger
#: (measured on 100,000 rows of the sheet's XML: 1.28 s and 3.5 MB at 6, 0.26 s and 4.2 MB at 1).
XLSX_ZIP_LEVEL = 1
_ZIP_LEVEL_LOCK = threading.Lock()


@contextmanager
def _xlsxwriter_zip_level(level: int):
    """XlsxWriter zipping at ``level`` while inside: the ``ZipFile`` its module zips with is swapped for
    one that defaults to that level, under a lock, and put back after."""
    import zipfile

    import xlsxwriter.workbook

    class LevelZipFile(zipfile.ZipFile):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("compresslevel", level)
            super().__init__(*args, **kwargs)

    with _ZIP_LEVEL_LOCK:
        original = xlsxwriter.workbook.ZipFile
        xlsxwriter.workbook.ZipFile = LevelZipFile
        try:
            yield
        finally:
            xlsxwriter.workbook.ZipFile = original


def write_return_workbook(table, path: Path, statuses: tuple[str, ...], money: bool, title: str) -> None:
    """``tindak_lanjut.xlsx``: one row per referral of the export (referral_id, NIK, name and village
    pre-filled from the export's own columns, so an agency never gets a column its export lacks) and
    the agency's columns empty: ``status_tindak_lanjut`` with a drop-down of the program's statuses,
    ``tanggal`` formatted as a date, ``nilai`` (rupiah) when the program pays money, ``kegiatan``,
    ``keterangan``. Sheet ``Petunjuk`` explains each status. IDs are text cells; every text is
    written as a string (never a formula). XlsxWriter in constant-memory mode; the data rows are
    built column-wise (``_write_prefilled_rows``; 200,000 rows: 57 s with a ``write_string`` or
    ``write_blank`` per cell, 7 s now, on the same loaded machine, about half of it XlsxWriter's zip
    compression). Zipped at ``XLSX_ZIP_LEVEL`` (960,143 rows: 4.7 s and 59 MB at level 1, 8.4 s and
    49 MB at zipfile's default 6, same session).
    """
    import xlsxwriter

    from verfak.outcomes import AGENCY_COLUMNS, RETURN_LABELS, STATUS_BY_NAME

    columns = return_workbook_columns(money)
    prefilled = tuple(c for c in columns if c not in AGENCY_COLUMNS)
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
    formats = {column: {"tanggal": date, "nilai": amount}.get(column, text) for column in columns}
    help_rows = len(statuses) + 1
    for index, name in enumerate(xlsx_sheet_names(title, rows)):
        sheet = workbook.add_worksheet(name)
        sheet.freeze_panes(1, 0)
        for col, column in enumerate(columns):
            sheet.set_column(
                col,
                col,
                22 if column in ("referral_id", "nik", "status_tindak_lanjut") else 18,
                formats[column],
            )
            sheet.write_string(0, col, RETURN_LABELS[column], bold)
        start = index * XLSX_ROWS_PER_SHEET
        count = max(0, min(XLSX_ROWS_PER_SHEET, rows - start))
        if count:
            _write_prefilled_rows(sheet, table.slice(start, count), columns, prefilled, formats)
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
    with _xlsxwriter_zip_level(XLSX_ZIP_LEVEL):
        workbook.close()


def export_csv_file(export_root: Path, program: str, export_date: dt.date) -> Path:
    """A new private file beside the program's exports for its ``COPY`` output, which
    ``write_export`` then moves into the export (the caller removes it if the export fails first)."""
    program_dir = export_root / program
    with private_files():
        program_dir.mkdir(parents=True, exist_ok=True)
        path = program_dir / f".{export_date.isoformat()}.{uuid.uuid4().hex}.csv.tmp"
        path.touch(exist_ok=False)
    return path


@private_files()
def write_export(
    export_root: Path,
    program: str,
    export_date: dt.date,
    csv: Path,
    table,
    types: dict[str, str],
    manifest_fields: dict,
    outcome_statuses: tuple[str, ...] = (),
    money: bool = False,
) -> Path:
    """Write one program's export for a day and publish it atomically; return its folder.

    ``csv`` is the file (``export_csv_file``, on the same file system) PostgreSQL's ``COPY ... TO
    STDOUT (FORMAT csv, HEADER)`` wrote the program's rows to (UTF-8, text columns neutralised
    against formulas): it is moved into the export as ``referrals.csv``, never held in memory
    (3,456,514 cash-aid rows are about 500 MB of CSV). ``table`` is the
    same bytes read by ``read_csv_table`` with the declared column types (the neutralising ``'``
    taken off): the Parquet and XLSX files, so the three formats hold the same rows.
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
        # referrals.xlsx (rust_xlsxwriter, which lets go of the GIL) is written in a thread while this
        # one writes the other files: the two workbooks of a million rows take about as long as
        # referrals.xlsx alone (they share the Arrow table, so no copy of the rows is made).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="referrals-xlsx") as pool:
            xlsx = pool.submit(_write_xlsx, table, types, work / "referrals.xlsx", program)
            os.replace(csv, work / "referrals.csv")
            pq.write_table(table, work / "referrals.parquet")
            files = list(FILES)
            if outcome_statuses:
                write_return_workbook(table, work / RETURN_FILE, outcome_statuses, money, program)
                files.append(RETURN_FILE)
            xlsx.result()  # its error, if any (on an error here, leaving the block waits for the thread)
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
    """Delete a program's export folders older than ``keep_days`` (never the one LATEST names), and
    what an interrupted publish left behind more than a day before ``today``."""
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
    # What a killed publish left behind (its work folder, its COPY output: personal data, private to
    # the owner but not an export): a day old is no publish still running.
    stale = today - dt.timedelta(days=1)
    for leftover in sorted(program_dir.glob(".*.tmp")):
        if dt.date.fromtimestamp(leftover.lstat().st_mtime) < stale:
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover)
            else:
                leftover.unlink()
            removed.append(leftover)
            log.info("export %s: removed %s, left by an interrupted publish", program, leftover.name)
    return removed

"""Reading village submissions leniently into lossless text rows (no database here).

``read_submission(path)`` takes one CSV or Excel file as a village office makes it and returns
either the data rows (every cell as the text that was sent, with its spreadsheet row number) or
the reason the file can't be read at all, in Indonesian for the village. It never raises for bad
input: a messy file is a normal case, only a bug in this module is an exception.

What it copes with: comma, semicolon, tab or pipe separators; UTF-8 with or without BOM and
Windows-1252; quoted fields with separators and newlines; a header that is not on the first row
(title blocks above it); several sheets (the one whose header names the most contract columns
wins); header names in any spelling listed in ``verfak.columns``; blank rows and columns.

What it refuses to guess: an ID (NIK, No. KK, No. HP) typed as a number in Excel or written in
scientific notation has lost digits, so that row is rejected with a message saying how to fix it,
never "repaired" into another ID.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from verfak.columns import COLUMNS, ID_COLUMNS, LABELS, REQUIRED, canonical_column

SUPPORTED_SUFFIXES = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls"}
HEADER_SEARCH_ROWS = 30
MIN_HEADER_COLUMNS = 3
_DELIMITERS = (",", ";", "\t", "|")
_SCIENTIFIC = re.compile(r"^\s*[0-9](?:[.,][0-9]+)?[eE][+]?[0-9]+\s*$")
_COLUMN_INDEX = {name: i for i, name in enumerate(COLUMNS)}


@dataclass(frozen=True)
class RowIssue:
    """A problem with one row found while reading it (stage ``intake``)."""

    source_row: int
    rule_id: str
    column: str
    value_sent: str
    message: str
    severity: str = "error"


@dataclass
class ReadResult:
    """What reading one file gave: rows, or a file-level rejection."""

    rows: list[tuple[int, list[str | None], dict[str, str]]] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    reject_code: str | None = None
    reject_message: str | None = None

    @property
    def accepted(self) -> bool:
        return self.reject_code is None

    @property
    def rows_read(self) -> int:
        return len(self.rows)

    @property
    def rows_rejected(self) -> int:
        return len({issue.source_row for issue in self.issues if issue.severity == "error"})

    def reject(self, code: str, message: str) -> "ReadResult":
        self.reject_code, self.reject_message = code, message
        self.rows, self.issues = [], []
        return self


# --- cells ---------------------------------------------------------------------------------------


def _cell_text(value: object) -> str | None:
    """A spreadsheet cell as text; None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _id_issue(source_row: int, column: str, raw: object, text: str) -> RowIssue | None:
    """An ID cell that went through a number has lost digits: say so instead of guessing."""
    label = LABELS[column]
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return RowIssue(
            source_row, "id_diketik_angka", column, text,
            f"{label} diketik sebagai angka di Excel, sehingga digit terakhir bisa hilang "
            f"(Excel hanya menyimpan 15 digit). Ubah format kolom {label} menjadi Teks, "
            f"lalu ketik ulang {label} sesuai KTP/KK.",
        )  # fmt: skip
    if isinstance(raw, str) and _SCIENTIFIC.match(raw):
        return RowIssue(
            source_row, "id_notasi_ilmiah", column, text,
            f"{label} tertulis dalam notasi ilmiah ({raw.strip()}), sehingga digitnya sudah hilang. "
            f"Ubah format kolom {label} menjadi Teks di Excel, ketik ulang {label} sesuai KTP/KK, "
            f"lalu simpan dan kirim ulang.",
        )  # fmt: skip
    return None


# --- header --------------------------------------------------------------------------------------


def _header_map(cells: list[object]) -> dict[int, str]:
    """Column position -> contract column, first occurrence of each column wins."""
    mapping: dict[int, str] = {}
    seen: set[str] = set()
    for i, cell in enumerate(cells):
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            continue
        column = canonical_column(cell)
        if column and column not in seen:
            mapping[i] = column
            seen.add(column)
    return mapping


def _find_header(rows: list[list[object]]) -> tuple[int, dict[int, str]] | None:
    """Index (0-based) and mapping of the row naming the most contract columns, if any."""
    best: tuple[int, dict[int, str]] | None = None
    for i, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        mapping = _header_map(cells)
        if len(mapping) >= MIN_HEADER_COLUMNS and (best is None or len(mapping) > len(best[1])):
            best = (i, mapping)
    return best


# --- rows ----------------------------------------------------------------------------------------


def _rows_after_header(
    result: ReadResult,
    rows: list[list[object]],
    header_index: int,
    mapping: dict[int, str],
    first_row_number: int = 1,
) -> None:
    """Turn the rows below the header into contract-ordered text rows, skipping blank rows."""
    header = rows[header_index]
    for offset, cells in enumerate(rows[header_index + 1 :], start=header_index + 1):
        source_row = first_row_number + offset
        texts = [_cell_text(c) for c in cells]
        if not any(texts):
            continue  # blank rows (often trailing) are not rows
        values: list[str | None] = [None] * len(COLUMNS)
        extra: dict[str, str] = {}
        for i, text in enumerate(texts):
            if text is None:
                continue
            column = mapping.get(i)
            if column is None:
                label = _cell_text(header[i]) if i < len(header) else None
                extra[label or f"kolom_{i + 1}"] = text
                continue
            values[_COLUMN_INDEX[column]] = text
            if column in ID_COLUMNS:
                issue = _id_issue(source_row, column, cells[i], text)
                if issue:
                    result.issues.append(issue)
        result.rows.append((source_row, values, extra))


def _check_columns(result: ReadResult, mapping: dict[int, str]) -> bool:
    missing = [c for c in REQUIRED if c not in mapping.values()]
    if missing:
        result.reject(
            "kolom_wajib_tidak_ada",
            "Kolom wajib tidak ditemukan: " + ", ".join(LABELS[c] for c in missing)
            + ". Gunakan templat verifikasi faktual (baris judul kolom harus memuat semua kolom wajib).",
        )
        return False
    return True


# --- CSV -----------------------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _read_csv(path: Path, result: ReadResult) -> ReadResult:
    data = path.read_bytes()
    if not data.strip():
        return result.reject("file_kosong", "File kosong: tidak ada isi sama sekali. Kirim ulang file yang berisi data.")
    if b"\x00" in data[:4096] or data.startswith((b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return result.reject(
            "bukan_csv",
            "File bernama .csv tetapi isinya bukan teks CSV (mungkin PDF atau Excel yang diganti namanya). "
            "Simpan ulang dari Excel dengan 'Save As' > CSV, atau kirim sebagai .xlsx.",
        )
    text, encoding = _decode(data)
    best = None
    for delimiter in _DELIMITERS:
        head = list(csv.reader(io.StringIO(text[:65536], newline=""), delimiter=delimiter))
        found = _find_header(head)
        if found and (best is None or len(found[1]) > len(best[1][1])):
            best = (delimiter, found)
    if best is None:
        return result.reject(
            "header_tidak_ditemukan",
            "Baris judul kolom (NIK, No. KK, Nama, ...) tidak ditemukan di 30 baris pertama. "
            "Gunakan templat verifikasi faktual.",
        )
    delimiter, (header_index, mapping) = best
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    result.details.update(
        encoding=encoding, delimiter=delimiter, header_row=header_index + 1,
        header={str(i): c for i, c in mapping.items()},
    )  # fmt: skip
    if not _check_columns(result, mapping):
        return result
    _rows_after_header(result, rows, header_index, mapping)
    return result


# --- Excel ---------------------------------------------------------------------------------------


def _read_excel(path: Path, result: ReadResult) -> ReadResult:
    import python_calamine as calamine

    if path.stat().st_size == 0:
        return result.reject("file_kosong", "File kosong: tidak ada isi sama sekali. Kirim ulang file yang berisi data.")
    head = path.read_bytes()[:8]
    try:
        workbook = calamine.CalamineWorkbook.from_path(str(path))
    except calamine.PasswordError:
        return result.reject(
            "excel_berpassword",
            "File Excel dilindungi kata sandi sehingga tidak bisa dibaca. Hapus kata sandinya lalu kirim ulang.",
        )
    except Exception:  # calamine raises several error types for a file that is not a workbook
        if head.startswith(b"\xd0\xcf\x11\xe0") and path.suffix.lower() != ".xls":
            # An OLE container named .xlsx is how Excel stores an encrypted (password) workbook.
            return result.reject(
                "excel_berpassword",
                "File Excel dilindungi kata sandi sehingga tidak bisa dibaca. Hapus kata sandinya lalu kirim ulang.",
            )
        return result.reject(
            "excel_tidak_terbaca",
            "File tidak bisa dibuka sebagai Excel (mungkin rusak, atau file lain yang diganti namanya, misalnya PDF). "
            "Buka file di Excel, simpan ulang sebagai .xlsx, lalu kirim ulang.",
        )
    try:
        best = None
        for name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(name)
            found = _find_header(sheet.to_python(skip_empty_area=False, nrows=HEADER_SEARCH_ROWS))
            if found and (best is None or len(found[1]) > len(best[1][1])):
                best = (name, found)
        if best is None:
            return result.reject(
                "header_tidak_ditemukan",
                "Baris judul kolom (NIK, No. KK, Nama, ...) tidak ditemukan di sheet mana pun (30 baris pertama). "
                "Gunakan templat verifikasi faktual.",
            )
        sheet_name, (header_index, mapping) = best
        rows = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    except Exception:
        return result.reject(
            "excel_tidak_terbaca",
            "Isi file Excel tidak bisa dibaca (file rusak). Buka di Excel, simpan ulang sebagai .xlsx, lalu kirim ulang.",
        )
    finally:
        workbook.close()
    result.details.update(sheet=sheet_name, header_row=header_index + 1, header={str(i): c for i, c in mapping.items()})
    if not _check_columns(result, mapping):
        return result
    _rows_after_header(result, rows, header_index, mapping)
    return result


# --- the file ------------------------------------------------------------------------------------


def read_submission(path: Path, kode_desa_folder: str | None = None) -> ReadResult:
    """Read one submission file; file-level problems come back as a rejection, never raised.

    ``kode_desa_folder`` (plain 10 digits) is the village of the file's folder: a file whose
    ``kode_desa`` column names only other villages is rejected as filed in the wrong folder.
    """
    result = ReadResult()
    file_format = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    result.details["format"] = file_format or "unknown"
    if file_format is None:
        return result.reject(
            "format_tidak_didukung",
            f"Jenis file {path.suffix or '(tanpa ekstensi)'} tidak didukung. Kirim sebagai .xlsx atau .csv.",
        )
    reader = _read_csv if file_format == "csv" else _read_excel
    reader(path, result)
    if not result.accepted:
        return result
    if not result.rows:
        return result.reject(
            "tanpa_data", "File hanya berisi judul kolom tanpa baris data. Isi data hasil verifikasi lalu kirim ulang."
        )
    if kode_desa_folder:
        _check_village(result, kode_desa_folder)
    return result


def normalise_kode_desa(value: str | None) -> str | None:
    """``'32.16.12.2003'`` or ``' 3216122003 '`` -> ``'3216122003'``; None if not 10 digits."""
    if value is None:
        return None
    plain = re.sub(r"[\s.]", "", value)
    return plain if re.fullmatch(r"[0-9]{10}", plain) else None


def _check_village(result: ReadResult, kode_desa_folder: str) -> None:
    position = _COLUMN_INDEX["kode_desa"]
    codes = {normalise_kode_desa(values[position]) for _, values, _ in result.rows} - {None}
    if codes and kode_desa_folder not in codes:
        shown = ", ".join(sorted(codes)[:3])
        result.reject(
            "kode_desa_tidak_sesuai_folder",
            f"Kolom Kode Desa di file ({shown}) tidak sesuai dengan folder desa {kode_desa_folder}. "
            "Periksa apakah file ini dikirim ke folder desa yang benar.",
        )

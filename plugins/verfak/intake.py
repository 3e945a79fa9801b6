"""Reading village submissions leniently into lossless text rows (no database here).

``read_submission(path)`` takes one CSV or Excel file as a village office makes it and returns
either the data rows (every cell as the text that was sent, with its spreadsheet row number) or
the reason the file can't be read at all, in Indonesian for the village. It never raises for bad
input: a messy file is a normal case, only a bug in this module is an exception.

What it copes with: comma, semicolon, tab or pipe separators; UTF-8 with or without BOM,
Windows-1252 and UTF-16 (Excel's "Unicode Text"); quoted fields with separators and newlines; a
header that is not on the first row (title blocks above it); several sheets (every visible sheet
whose header has all the required columns is read, e.g. one sheet per RT, each row keeping its
sheet; hidden ones only when no visible sheet has the header); header names in any spelling listed
in ``verfak.columns``; blank rows and columns. The file's content decides how it is read, the
name only whether it is a submission at all: an Excel workbook saved as ``.csv`` or a CSV renamed
``.xlsx`` is read for what it is, a PDF renamed ``.xlsx`` is rejected as a PDF.

Which rows are data rows: every row below the header that has a value in at least one contract
column. Rows with nothing at all, or with something only in columns the contract does not know
(a pre-numbered "No." column of an empty form row), carry no verification and are not rows; how
many there were is kept in ``details["rows_skipped"]``. Every data row is kept, whatever it holds:
``rows_read`` = rows passed on + ``rows_rejected``.

What it refuses to guess: a NIK or No. KK typed as a number in Excel (numeric cell, or text such
as ``3216...0.0`` that went through a number) or written in scientific notation (``3.21601E+15``)
has lost digits, so that row is rejected with a message saying how to fix it, never "repaired"
into another ID. A phone number typed as a number lost its leading 0: a warning, the row passes
(the number is optional). Row issues of one kind on one row are one issue: a row whose NIK and
No. KK were both typed as numbers gets one ``id_diketik_angka`` naming both columns.

Bounded (issue #12): a file over a limit of ``verfak.bounds`` (size, unpacked size, a sheet's
declared or real extent, rows, columns, cell length) is rejected with its own code before the
expensive read; see that module for how a workbook is checked before calamine allocates it.

Row keys: ``source_row`` is the row number the village sees. A workbook read from several sheets
keeps that for its first data sheet; the k-th one (from 0) adds ``k * SHEET_STRIDE`` (Excel's row
limit), so that ``(file_id, source_row)`` stays a row's identity; ``ReadResult.locate`` (and
``raw.submission_row.source_sheet``/``sheet_row``) give the sheet and its row number back.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from verfak import bounds
from verfak.bounds import Limits, OverLimit
from verfak.columns import COLUMNS, LABELS, MUST_BE_TEXT, PHONE, REQUIRED, canonical_column

SUPPORTED_SUFFIXES = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls"}
HEADER_SEARCH_ROWS = 30
MIN_HEADER_COLUMNS = 3
SHEET_STRIDE = 1_048_576  # Excel's row limit: the k-th data sheet's rows are keyed k * SHEET_STRIDE + row
_DELIMITERS = (",", ";", "\t", "|")
_SCIENTIFIC = re.compile(r"^\s*'?[0-9](?:[.,][0-9]+)?[eE][+]?[0-9]+\s*$")
_THROUGH_A_NUMBER = re.compile(r"^\s*'?[0-9]{6,}[.,]0+\s*$")  # an ID's digits, then ".0"
_COLUMN_INDEX = {name: i for i, name in enumerate(COLUMNS)}

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_EMPTY_BYTES = b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"

MSG_EMPTY = "File kosong: tidak ada isi sama sekali. Kirim ulang file yang berisi data."
MSG_PASSWORD = (
    "File Excel dilindungi kata sandi sehingga tidak bisa dibaca. Hapus kata sandinya lalu kirim ulang."
)
MSG_PDF = (
    "File ini sebenarnya PDF (hasil cetak atau pindaian), bukan Excel atau CSV, walaupun namanya {name}. "
    "Kirim file Excel (.xlsx) aslinya, jangan hasil cetak atau pindaian."
)
MSG_NOT_EXCEL = (
    "File tidak bisa dibuka sebagai Excel (mungkin rusak, atau file lain yang diganti namanya, misalnya PDF). "
    "Buka file di Excel, simpan ulang sebagai .xlsx, lalu kirim ulang."
)
MSG_NOT_CSV = (
    "File bernama .csv tetapi isinya bukan teks CSV (mungkin PDF atau Excel yang diganti namanya). "
    "Simpan ulang dari Excel dengan 'Save As' > CSV, atau kirim sebagai .xlsx."
)


@dataclass(frozen=True)
class Contract:
    """The columns a kind of file must have and how its headers are recognised.

    The village submission (``VILLAGE``) is the default; the agencies' return files
    (``verfak.tindak_lanjut``) are read by the same code, with the same bounds, with their own contract.
    """

    columns: tuple[str, ...]
    required: tuple[str, ...]
    labels: dict[str, str]
    canonical: Callable[[object], str | None]
    must_be_text: tuple[str, ...] = ()  # an ID that went through a number rejects the row
    phone: str | None = None  # ... a phone number only warns
    header_hint: str = "(NIK, No. KK, Nama, ...)"
    template: str = "templat verifikasi faktual"

    @property
    def index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.columns)}


VILLAGE = Contract(COLUMNS, REQUIRED, LABELS, canonical_column, MUST_BE_TEXT, PHONE)


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

    @property
    def rows_passed(self) -> int:
        return self.rows_read - self.rows_rejected

    def reject(self, code: str, message: str) -> ReadResult:
        self.reject_code, self.reject_message = code, message
        self.rows, self.issues = [], []
        return self

    def locate(self, source_row: int) -> tuple[str | None, int]:
        """The sheet (None for a CSV) and the row number on it of a row key."""
        sheets = self.details.get("sheets")
        if not sheets:
            return None, source_row
        index, row = divmod(source_row - 1, SHEET_STRIDE)
        return sheets[index]["sheet"], row + 1


# --- cells ---------------------------------------------------------------------------------------


def _cell_text(value: object) -> str | None:
    """A spreadsheet cell as text; None for an empty cell.

    NUL characters are dropped (PostgreSQL text can't hold them and no spreadsheet means them);
    everything else is kept as sent, surrounding spaces included.
    """
    if value is None:
        return None
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
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


def _went_through_a_number(raw: object) -> str | None:
    """How an ID cell shows it was a number: ``'angka'``, ``'ilmiah'`` or None (text as typed)."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return "angka"
    if isinstance(raw, str):
        if raw.isdigit():  # the usual cell: no exponent, no decimal point, so neither pattern matches
            return None
        if _SCIENTIFIC.match(raw):
            return "ilmiah"
        if _THROUGH_A_NUMBER.match(raw):
            return "angka"
    return None


def _labels(columns: list[str], labels: dict[str, str] = LABELS) -> str:
    names = [labels[c] for c in columns]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " dan " + names[-1]


def _id_issues(
    source_row: int, found: dict[str, list[tuple[str, str]]], labels: dict[str, str] = LABELS
) -> list[RowIssue]:
    """The row's ID problems, one issue per kind (``found``: kind -> [(column, text), ...])."""
    issues = []
    for kind, cells in found.items():
        columns = [c for c, _ in cells]
        value = " | ".join(text for _, text in cells)
        label = _labels(columns, labels)
        kata = "diketik" if len(columns) == 1 else "keduanya diketik"
        if kind == "angka":
            issues.append(
                RowIssue(
                    source_row,
                    "id_diketik_angka",
                    ", ".join(columns),
                    value,
                    f"{label} {kata} sebagai angka di Excel, sehingga digit terakhir bisa hilang "
                    f"(Excel hanya menyimpan 15 digit). Ubah format kolom {label} menjadi Teks, "
                    f"lalu ketik ulang {label} sesuai KTP/KK.",
                )
            )
        else:
            issues.append(
                RowIssue(
                    source_row,
                    "id_notasi_ilmiah",
                    ", ".join(columns),
                    value,
                    f"{label} tertulis dalam notasi ilmiah ({cells[0][1].strip()}), sehingga digitnya sudah hilang. "
                    f"Ubah format kolom {label} menjadi Teks di Excel, ketik ulang {label} sesuai KTP/KK, "
                    f"lalu simpan dan kirim ulang.",
                )
            )
    return issues


def _phone_issue(source_row: int, kind: str, text: str) -> RowIssue:
    if kind == "angka":
        message = (
            f"No. HP diketik sebagai angka di Excel sehingga angka 0 di depan hilang (tertulis {text}). "
            "Ubah format kolom No. HP menjadi Teks lalu ketik ulang, misalnya 081234567890."
        )
        return RowIssue(source_row, "no_hp_diketik_angka", PHONE, text, message, "warning")
    message = (
        f"No. HP tertulis dalam notasi ilmiah ({text.strip()}) sehingga digitnya hilang dan nomor tidak "
        "dipakai. Ubah format kolom No. HP menjadi Teks lalu ketik ulang, misalnya 081234567890."
    )
    return RowIssue(source_row, "no_hp_notasi_ilmiah", PHONE, text, message, "warning")


# --- header --------------------------------------------------------------------------------------


def _header_map(cells: Sequence[object], contract: Contract = VILLAGE) -> dict[int, str]:
    """Column position -> contract column, first occurrence of each column wins."""
    mapping: dict[int, str] = {}
    seen: set[str] = set()
    for i, cell in enumerate(cells):
        if not isinstance(cell, str) or not cell.strip():
            continue  # a header is text: numbers and dates in a data row never name a column
        column = contract.canonical(cell)
        if column and column not in seen:
            mapping[i] = column
            seen.add(column)
    return mapping


def _find_header(
    rows: Sequence[Sequence[object]], contract: Contract = VILLAGE
) -> tuple[int, dict[int, str]] | None:
    """Index (0-based) and mapping of the row naming the most contract columns, if any."""
    best: tuple[int, dict[int, str]] | None = None
    for i, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        mapping = _header_map(cells, contract)
        if len(mapping) >= MIN_HEADER_COLUMNS and (best is None or len(mapping) > len(best[1])):
            best = (i, mapping)
    return best


# --- rows ----------------------------------------------------------------------------------------


def _extra_labels(header: Sequence[object], width: int, mapping: dict[int, str]) -> dict[int, str]:
    """Unique names for the columns the contract does not know (kept in ``extra``)."""
    labels: dict[int, str] = {}
    used: set[str] = set()
    for i in range(width):
        if i in mapping:
            continue
        label = (_cell_text(header[i]) if i < len(header) else None) or f"kolom_{i + 1}"
        label = label.strip() or f"kolom_{i + 1}"
        if label in used:
            label = f"{label} (kolom {i + 1})"
        used.add(label)
        labels[i] = label
    return labels


def _rows_after_header(
    result: ReadResult,
    rows: Sequence[Sequence[object]],
    header_index: int,
    mapping: dict[int, str],
    key_offset: int = 0,
    max_chars: int | None = None,
    contract: Contract = VILLAGE,
) -> int:
    """Turn the rows below the header into contract-ordered text rows; return how many.

    ``rows[i]`` is row ``i + 1 + key_offset`` (its key); ``max_chars``: reject the file on a longer
    cell (for a workbook whose scan saw long texts; a CSV's cells are bounded while parsing).
    """
    position = contract.index
    header = rows[header_index]
    width = max((len(cells) for cells in rows), default=0)
    extra_labels = _extra_labels(header, width, mapping)
    # Where each cell goes, worked out once for the file (a row is then a few list lookups): the
    # contract columns' slots, the other columns' labels, and the columns whose cells tell whether
    # they went through a number (IDs, phone), all in the file's column order.
    slots = sorted((i, position[column]) for i, column in mapping.items())
    extras = [(i, label) for i, label in sorted(extra_labels.items()) if i not in mapping]
    checked = sorted(
        (i, column)
        for i, column in mapping.items()
        if column in contract.must_be_text or column == contract.phone
    )
    skipped = 0
    before = len(result.rows)
    for index in range(header_index + 1, len(rows)):
        cells = rows[index]
        source_row = index + 1 + key_offset
        # _cell_text, with the common case (a text cell without NUL) inline
        texts = [
            (c if c.strip() else None) if type(c) is str and "\x00" not in c else _cell_text(c) for c in cells
        ]
        if max_chars is not None:
            longest = max((len(t) for t in texts if t), default=0)
            if longest > max_chars:
                sheet, row = result.locate(source_row)
                at = next(i for i, t in enumerate(texts) if t and len(t) == longest)
                where = f"{bounds.column_letters(at + 1)}{row}" + (f" di sheet '{sheet}'" if sheet else "")
                over = bounds.cell_too_long(where, longest, max_chars)
                result.reject(over.code, over.message)
                return 0
        n = len(texts)
        values: list[str | None] = [None] * len(contract.columns)
        for i, slot in slots:
            if i < n:
                values[slot] = texts[i]
        if not any(v is not None for v in values):
            if any(texts):
                skipped += 1  # something only outside the contract's columns: not a data row
            continue
        extra: dict[str, str] = {}
        for i, label in extras:
            if i < n and (text := texts[i]) is not None:
                extra[label] = text
        id_problems: dict[str, list[tuple[str, str]]] = {}
        for i, column in checked:
            text = texts[i] if i < n else None
            if text is None:
                continue
            kind = _went_through_a_number(cells[i])
            if kind and column == contract.phone:
                result.issues.append(_phone_issue(source_row, kind, text))
            elif kind:
                id_problems.setdefault(kind, []).append((column, text))
        if id_problems:
            result.issues.extend(_id_issues(source_row, id_problems, contract.labels))
        result.rows.append((source_row, values, extra))
    if skipped:
        result.details["rows_skipped"] = result.details.get("rows_skipped", 0) + skipped
    return len(result.rows) - before


def _check_columns(result: ReadResult, mapping: dict[int, str], contract: Contract = VILLAGE) -> bool:
    missing = [c for c in contract.required if c not in mapping.values()]
    if missing:
        result.reject(
            "kolom_wajib_tidak_ada",
            "Kolom wajib tidak ditemukan: "
            + ", ".join(contract.labels[c] for c in missing)
            + f". Gunakan {contract.template} (baris judul kolom harus memuat semua kolom wajib).",
        )
        return False
    return True


def _header_details(result: ReadResult, header_index: int, mapping: dict[int, str]) -> None:
    result.details.update(header_row=header_index + 1, header={str(i): c for i, c in mapping.items()})


# --- CSV -----------------------------------------------------------------------------------------


def _looks_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark: most odd (LE) or even (BE) bytes are NUL."""
    sample = data[:4096]
    if len(sample) < 8:
        return None
    for start, codec in ((1, "utf-16-le"), (0, "utf-16-be")):
        if sample[start::2].count(0) >= 0.9 * len(sample[start::2]) and sample[1 - start :: 2].count(0) == 0:
            return codec
    return None


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    utf16 = _looks_utf16(data)
    if utf16:
        return data.decode(utf16, errors="replace"), utf16
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _parse_csv(
    text: str,
    delimiter: str,
    limits: Limits | None = None,
    lines: list[int] | None = None,
) -> list[list[str]]:
    """The records of a CSV text; with ``limits``, over the row or column limit raises ``OverLimit``
    (a cell over the length limit raises ``csv.Error`` from the reader: see ``_read_csv``), and
    ``lines`` gets [records read, lines read] as it goes."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    if limits is None:
        return list(reader)
    rows: list[list[str]] = []
    lines = lines if lines is not None else [0, 0]
    for cells in reader:
        if len(cells) > limits.columns:
            raise OverLimit(
                "terlalu_banyak_kolom",
                (
                    f"Baris {bounds.number(len(rows) + 1)} berisi {bounds.number(len(cells))} kolom; batasnya "
                    f"{bounds.number(limits.columns)} kolom. Mungkin pemisah kolom salah atau ada baris yang rusak: "
                    "buka file di Excel, periksa baris tersebut, simpan ulang sebagai CSV, lalu kirim ulang."
                ),
            )
        rows.append(cells)
        lines[:] = len(rows), reader.line_num
        if len(rows) > limits.rows:
            raise OverLimit(
                "terlalu_banyak_baris",
                (
                    f"File berisi lebih dari {bounds.number(limits.rows)} baris (batasnya). Satu desa biasanya jauh "
                    "lebih sedikit: hapus baris kosong atau baris lain di bawah tabel, simpan, lalu kirim ulang."
                ),
            )
    return rows


def _field_too_long(text: str, records: int, lines: int, limits: Limits) -> OverLimit | None:
    """After the reader hit the cell length limit in the record after ``records`` records (``lines``
    lines): an over-long cell on one line (an absurd cell), or None when the cell runs over several
    lines (a quote never closed: ``csv_rusak``)."""
    import itertools

    line = next(itertools.islice(io.StringIO(text, newline=""), lines, None), "")
    if len(line) <= limits.cell_chars:
        return None
    return bounds.cell_too_long(f"di baris {bounds.number(records + 1)}", None, limits.cell_chars)


def _read_csv(data: bytes, result: ReadResult, limits: Limits, contract: Contract = VILLAGE) -> ReadResult:
    text, encoding = _decode(data)
    if not text.strip(" \t\r\n\ufeff\x00"):
        return result.reject("file_kosong", MSG_EMPTY)
    result.details.update(format="csv", encoding=encoding)
    field_limit = csv.field_size_limit(limits.cell_chars)  # the reader refuses longer cells (restored below)
    progress = [0, 0]
    try:
        best = None
        for delimiter in _DELIMITERS:
            found = _find_header(_parse_csv(text[:65536], delimiter), contract)
            if found and (best is None or len(found[1]) > len(best[1][1])):
                best = (delimiter, found)
        if best is None:
            return result.reject(
                "header_tidak_ditemukan",
                f"Baris judul kolom {contract.header_hint} tidak ditemukan di 30 baris pertama. "
                f"Gunakan {contract.template}.",
            )
        delimiter, (header_index, mapping) = best
        rows = _parse_csv(text, delimiter, limits, progress)
    except OverLimit as over:
        return result.reject(over.code, over.message)
    except csv.Error as error:  # a quote never closed swallows the rest of the file into one huge cell
        records, lines = progress
        too_long = (
            _field_too_long(text, records, lines, limits) if "field larger than" in str(error) else None
        )
        if too_long:
            return result.reject(too_long.code, too_long.message)
        return result.reject(
            "csv_rusak",
            'Isi CSV tidak bisa dibaca: ada tanda kutip (") yang tidak ditutup atau sel yang terlalu panjang. '
            "Buka file di Excel, periksa sel tersebut, simpan ulang sebagai CSV, lalu kirim ulang.",
        )
    finally:
        csv.field_size_limit(field_limit)
    result.details["delimiter"] = delimiter
    _header_details(result, header_index, mapping)
    if not _check_columns(result, mapping, contract):
        return result
    _rows_after_header(result, rows, header_index, mapping, contract=contract)
    return result


# --- Excel ---------------------------------------------------------------------------------------


def _is_rust_panic(error: BaseException) -> bool:
    return type(error).__name__ == "PanicException"


@dataclass
class _Sheet:
    name: str
    order: int
    hidden: bool
    found: tuple[int, dict[int, str]]
    rows: list[list[object]] | None  # all its rows when its header has every required column
    first_row: int  # the spreadsheet row of rows[0] (calamine starts at the first used row)


def _excel_unreadable(result: ReadResult) -> ReadResult:
    return result.reject(
        "excel_tidak_terbaca",
        "Isi file Excel tidak bisa dibaca (file rusak). Buka di Excel, simpan ulang sebagai .xlsx, lalu kirim ulang.",
    )


def _load_sheets(
    workbook, result: ReadResult, limits: Limits, contract: Contract = VILLAGE
) -> list[_Sheet] | None:
    """Every sheet with a header; each sheet's size checked before its cells become Python objects
    (the only check an .xls gets, and the one on all sheets together); None if rejected."""
    visible = {m.name for m in workbook.sheets_metadata if str(m.visible).endswith("Visible")}
    sheets = []
    cells = 0
    for order, name in enumerate(workbook.sheet_names):
        sheet = workbook.get_sheet_by_name(name)
        (top, _), (bottom, right) = sheet.start or (0, 0), sheet.end or (0, 0)
        cells += sheet.height * sheet.width
        if bottom + 1 > limits.rows or right + 1 > limits.columns or cells > limits.cells:
            where = f"berisi sel sampai {bounds.column_letters(right + 1)}{bottom + 1}"
            over = bounds.too_wide(name, where, bottom + 1, right + 1, limits)
            result.reject(over.code, over.message)
            return None
        found = _find_header(sheet.to_python(skip_empty_area=False, nrows=HEADER_SEARCH_ROWS), contract)
        if found:
            complete = all(c in found[1].values() for c in contract.required)
            rows = sheet.to_python(skip_empty_area=False) if complete else None
            sheets.append(_Sheet(name, order, name not in visible, found, rows, top + 1))
    return sheets


def _read_excel(
    path: Path, data: bytes, result: ReadResult, limits: Limits, contract: Contract = VILLAGE
) -> ReadResult:
    import python_calamine as calamine

    is_ole = data.startswith(_OLE)
    result.details["format"] = "xls" if is_ole else "xlsx"
    if is_ole and _ENCRYPTED_PACKAGE in data:
        # An encrypted Office Open XML workbook is an OLE container holding "EncryptedPackage".
        result.details["format"] = "xlsx"
        return result.reject("excel_berpassword", MSG_PASSWORD)
    scan = None
    if not is_ole:
        try:
            scan = bounds.check_workbook(data, limits)  # before calamine allocates anything
        except OverLimit as over:
            return result.reject(over.code, over.message)
    try:
        workbook = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except calamine.PasswordError:
        return result.reject("excel_berpassword", MSG_PASSWORD)
    except BaseException as error:  # calamine raises several error types (and Rust panics) for a bad file
        if not isinstance(error, Exception) and not _is_rust_panic(error):
            raise
        return result.reject("excel_tidak_terbaca", MSG_NOT_EXCEL)
    try:
        sheets = _load_sheets(workbook, result, limits, contract)
    except BaseException as error:
        if not isinstance(error, Exception) and not _is_rust_panic(error):
            raise
        return _excel_unreadable(result)
    finally:
        workbook.close()
    if sheets is None:
        return result
    if not sheets:
        return result.reject(
            "header_tidak_ditemukan",
            f"Baris judul kolom {contract.header_hint} tidak ditemukan di sheet mana pun (30 baris pertama). "
            f"Gunakan {contract.template}.",
        )
    complete = [s for s in sheets if s.rows is not None]
    chosen = [s for s in complete if not s.hidden] or complete
    if not chosen:  # no sheet has every required column: name what the best one lacks
        best = min(sheets, key=lambda s: (s.hidden, -len(s.found[1]), s.order))
        result.details["sheet"] = best.name
        _header_details(result, best.found[0], best.found[1])
        _check_columns(result, best.found[1], contract)
        return result
    ignored = [s.name for s in complete if s not in chosen]
    if ignored:
        result.details["sheets_ignored"] = [{"sheet": name, "reason": "tersembunyi"} for name in ignored]
    result.details["sheet"] = chosen[0].name
    _header_details(result, *chosen[0].found)
    result.details["sheets"] = []
    max_chars = limits.cell_chars if scan is None or scan.long_text else None
    for index, sheet in enumerate(chosen):
        header_index, mapping = sheet.found
        assert sheet.rows is not None  # chosen holds complete sheets only
        entry = {"sheet": sheet.name, "header_row": sheet.first_row + header_index, "rows": 0}
        result.details["sheets"].append(entry)
        entry["rows"] = _rows_after_header(
            result,
            sheet.rows,
            header_index,
            mapping,
            index * SHEET_STRIDE + sheet.first_row - 1,
            max_chars,
            contract,
        )
        if not result.accepted:
            return result
    result.details["header_row"] = result.details["sheets"][0]["header_row"]
    return result


# --- the file ------------------------------------------------------------------------------------


def _content_kind(data: bytes) -> str:
    """What the bytes are, whatever the file is called."""
    if data.startswith(b"PK\x03\x04"):
        return "excel"  # a zip: an .xlsx workbook (or something else zipped, which calamine refuses)
    if data.startswith(_OLE):
        return "excel"  # an .xls workbook, or an encrypted .xlsx
    if data.lstrip(b"\r\n\t ").startswith(b"%PDF"):
        return "pdf"
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(data):
        return "text"
    if b"\x00" in data[:4096]:
        return "binary"
    return "text"


def read_submission(
    path: Path,
    kode_desa_folder: str | None = None,
    data: bytes | None = None,
    limits: Limits | None = None,
    contract: Contract = VILLAGE,
) -> ReadResult:
    """Read one submission file; file-level problems come back as a rejection, never raised.

    ``kode_desa_folder`` (plain 10 digits) is the village of the file's folder: a file whose
    ``kode_desa`` column names only other villages is rejected as filed in the wrong folder.
    ``data``: the file's bytes when the caller has read them already (ingest reads a file once,
    hashes and parses the same bytes); otherwise the file is read here, no further than the size
    limit. ``limits``: ``Limits.from_config()`` unless given. ``contract`` says which columns the
    file has (default: the village submission).
    """
    limits = limits or Limits.from_config()
    result = ReadResult()
    suffix_format = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    result.details["format"] = suffix_format or "unknown"
    if suffix_format is None:
        return result.reject(
            "format_tidak_didukung",
            f"Jenis file {path.suffix or '(tanpa ekstensi)'} tidak didukung. Kirim sebagai .xlsx atau .csv.",
        )
    if data is None:
        from verfak.files import read_limited

        data = read_limited(path, limits.file_bytes)
    if data is None or len(data) > limits.file_bytes:
        over = bounds.too_big(len(data) if data is not None else path.stat().st_size, limits)
        return result.reject(over.code, over.message)
    if not data.strip(_EMPTY_BYTES):
        return result.reject("file_kosong", MSG_EMPTY)
    kind = _content_kind(data)
    if kind == "pdf":
        return result.reject("file_pdf", MSG_PDF.format(name=path.suffix.lower()))
    if kind == "binary":
        return result.reject(
            *(
                ("bukan_csv", MSG_NOT_CSV)
                if suffix_format == "csv"
                else ("excel_tidak_terbaca", MSG_NOT_EXCEL)
            )
        )
    if kind == "excel":
        _read_excel(path, data, result, limits, contract)
    else:
        _read_csv(data, result, limits, contract)
    if result.details.get("format") != suffix_format:
        result.details["suffix_format"] = suffix_format  # e.g. a CSV renamed .xlsx, read as CSV
    if not result.accepted:
        return result
    if not result.rows:
        return result.reject(
            "tanpa_data",
            "File hanya berisi judul kolom tanpa baris data. Isi datanya lalu kirim ulang."
            if contract is not VILLAGE
            else "File hanya berisi judul kolom tanpa baris data. Isi data hasil verifikasi lalu kirim ulang.",
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


def _dotted(plain: str) -> str:
    return f"{plain[:2]}.{plain[2:4]}.{plain[4:6]}.{plain[6:]}"


def _check_village(result: ReadResult, kode_desa_folder: str) -> None:
    position = _COLUMN_INDEX["kode_desa"]
    # a file names a few villages: normalise each distinct value once
    sent = {values[position] for _, values, _ in result.rows}
    codes = {code for value in sent if (code := normalise_kode_desa(value))}
    if codes and kode_desa_folder not in codes:
        shown = ", ".join(_dotted(c) for c in sorted(codes)[:3])
        result.reject(
            "kode_desa_tidak_sesuai_folder",
            f"Kolom Kode Desa di file ({shown}) tidak sesuai dengan folder desa {_dotted(kode_desa_folder)}. "
            "Periksa apakah file ini dikirim ke folder desa yang benar.",
        )

"""Limits on one submission file, checked before the expensive read (issue #12, item 1).

A village file is untrusted input. python-calamine allocates a sheet's whole used range (rows x
columns of its farthest cell) before returning anything: one stray cell at ``XFD1048576`` in a
5 KB workbook asks for ~512 GiB and aborts the process. So before calamine sees a workbook, this
module looks at the zip and the worksheets' XML cheaply and in bounded memory:

- the zip: member count, compression methods, and every XML member actually inflated here (the
  sizes a zip declares can lie), counting the bytes: total unpacked size and, per member over
  1 MiB, the unpacked/packed ratio (a zip bomb);
- each worksheet: its declared ``<dimension ref=...>`` and its real extent, from a streaming scan
  of the cell references (``r="XFD1048576"``) in the inflated XML. The scan only looks closely at
  references long enough to pass a limit (normal files have none), and at cells written without
  a reference (calamine places them one after the other), so a normal 5,000-row file costs one
  inflate and a few regex searches.

What this can't see (an .xls, whose BIFF records are not looked at here) is checked by
``verfak.intake`` on the loaded sheet's size before its cells become Python objects: an .xls is
bounded by its format (65,536 x 256) and by the file size cap.

A file over a limit raises ``OverLimit`` with a code and an Indonesian message for the village.
The limits are settings (``verfak.config.Settings.max_*``, ``VERFAK_MAX_*``), documented in the README.
"""

from __future__ import annotations

import html
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass

from verfak import config

MIB = 1 << 20
_CHUNK = 1 << 16
_RATIO_FROM = MIB  # members smaller than this may compress as well as they like
_INFLATED_SUFFIXES = (".xml", ".rels", ".vml")


class OverLimit(Exception):
    """A file over one of the limits: ``code`` and ``message`` (Indonesian, for the village)."""

    def __init__(self, code: str, message: str):
        super().__init__(code)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Limits:
    file_bytes: int
    unzipped_bytes: int
    zip_members: int
    zip_ratio: int
    rows: int
    columns: int
    cells: int
    cell_chars: int

    @classmethod
    def from_config(cls) -> Limits:
        settings = config.settings()
        return cls(
            file_bytes=settings.max_file_mb * MIB,
            unzipped_bytes=settings.max_unzipped_mb * MIB,
            zip_members=settings.max_zip_members,
            zip_ratio=settings.max_zip_ratio,
            rows=settings.max_rows,
            columns=settings.max_columns,
            cells=settings.max_cells,
            cell_chars=settings.max_cell_chars,
        )


def number(n: int) -> str:
    """``1048576`` -> ``'1.048.576'`` (Indonesian thousands separator)."""
    return f"{n:,}".replace(",", ".")


def megabytes(n: int) -> str:
    return f"{n / MIB:.1f}".replace(".", ",") + " MB"


def column_letters(index: int) -> str:
    """1 -> ``A``, 16384 -> ``XFD``."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: bytes | str) -> int:
    n = 0
    for ch in letters.encode() if isinstance(letters, str) else letters:
        n = n * 26 + (ch - 64)
    return n


# --- messages -------------------------------------------------------------------------------------


def too_big(size: int, limits: Limits) -> OverLimit:
    return OverLimit(
        "file_terlalu_besar",
        f"File terlalu besar ({megabytes(size)}); batasnya {megabytes(limits.file_bytes)}. File satu desa biasanya "
        "jauh lebih kecil: hapus sheet, gambar atau baris lain yang bukan data verifikasi, simpan, lalu kirim ulang.",
    )


def _suspicious(why: str) -> OverLimit:
    return OverLimit(
        "arsip_mencurigakan",
        f"File Excel ini tidak wajar ({why}) sehingga tidak dibuka. Buka file di Excel, salin tabel data ke "
        "templat verifikasi faktual (Paste Special > Values), simpan sebagai .xlsx, lalu kirim ulang.",
    )


def too_wide(sheet: str, where: str, rows: int, columns: int, limits: Limits) -> OverLimit:
    """A sheet whose used range (declared or real) is over the row, column or cell limit."""
    return OverLimit(
        "sheet_terlalu_luas",
        f"Sheet '{sheet}' {where} ({number(rows)} baris x {number(columns)} kolom); batasnya {number(limits.rows)} "
        f"baris, {number(limits.columns)} kolom dan {number(limits.cells)} sel untuk seluruh file. Biasanya ada isian, "
        "spasi atau format yang tertinggal jauh di luar tabel: pilih baris dan kolom kosong di luar tabel, klik "
        "kanan > Delete (Hapus), simpan, lalu kirim ulang.",
    )


def cell_too_long(where: str, chars: int | None, cap: int) -> OverLimit:
    length = f"berisi {number(chars)} karakter" if chars else f"lebih dari {number(cap)} karakter"
    return OverLimit(
        "sel_terlalu_panjang",
        f"Sel {where} {length}; batasnya {number(cap)} karakter per sel (Excel "
        "sendiri hanya menyimpan 32.767). Periksa sel tersebut (mungkin teks tertempel berulang), perbaiki, lalu kirim ulang.",
    )


# --- the zip --------------------------------------------------------------------------------------

_ATTR = re.compile(rb"""([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_TAG = {
    name: re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?" + name + rb"\b([^>]*)>")
    for name in (b"sheet", b"Relationship")
}


def _tags(data: bytes, name: bytes) -> list[dict[bytes, str]]:
    found = []
    for tag in _TAG[name].finditer(data):
        attrs = {}
        for key, double, single in _ATTR.findall(tag.group(1)):
            attrs[key.split(b":")[-1] if key != b"r:id" else key] = html.unescape(
                (double or single).decode("utf-8", "replace")
            )
        found.append(attrs)
    return found


def _sheet_members(archive: zipfile.ZipFile, names: set[str]) -> dict[str, str] | None:
    """Worksheet member -> sheet name, as calamine finds them (workbook.xml and its rels); None if unreadable."""
    try:
        book = archive.read("xl/workbook.xml") if "xl/workbook.xml" in names else b""
        rels = archive.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in names else b""
    except Exception:
        return None
    if len(book) > 16 * MIB or len(rels) > 16 * MIB:
        return None
    targets = {}
    for rel in _tags(rels, b"Relationship"):
        target = rel.get(b"Target", "")
        path = (
            target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        )
        targets[rel.get(b"Id")] = path
    members = {}
    for sheet in _tags(book, b"sheet"):
        member = targets.get(sheet.get(b"r:id") or sheet.get(b"id"))
        if member:
            members[member] = sheet.get(b"name") or member
    return members


def _inflate(data: bytes, info: zipfile.ZipInfo, budget: int, limits: Limits):
    """Yield the member's bytes as they really inflate (not as declared), within ``budget`` bytes."""
    offset = info.header_offset
    if data[offset : offset + 4] != b"PK\x03\x04":
        raise _suspicious("struktur zip rusak")
    name_length, extra_length = struct.unpack_from("<HH", data, offset + 26)
    start = offset + 30 + name_length + extra_length
    packed = memoryview(data)[start : start + info.compress_size]
    if info.flag_bits & 0x1:
        raise _suspicious("bagian file terenkripsi")
    if info.compress_type == zipfile.ZIP_STORED:
        if len(packed) > budget:
            raise _suspicious(f"isi lebih dari {megabytes(limits.unzipped_bytes)} setelah dibuka")
        for position in range(0, len(packed), _CHUNK):
            yield bytes(packed[position : position + _CHUNK])
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise _suspicious(f"metode kompresi {info.compress_type} yang tidak dipakai Excel")
    inflater = zlib.decompressobj(-15)
    produced = 0
    ratio_cap = max(limits.zip_ratio * max(info.compress_size, 1), _RATIO_FROM)
    try:
        for position in range(0, len(packed), _CHUNK):
            pending: memoryview | bytes = packed[position : position + _CHUNK]
            while pending:
                out = inflater.decompress(pending, _CHUNK)
                pending = inflater.unconsumed_tail
                produced += len(out)
                if produced > budget:
                    raise _suspicious(f"isi lebih dari {megabytes(limits.unzipped_bytes)} setelah dibuka")
                if produced > ratio_cap:
                    raise _suspicious(
                        f"bagian {info.filename} mengembang lebih dari {limits.zip_ratio} kali saat dibuka"
                    )
                if out:
                    yield out
                if inflater.eof:
                    return
    except zlib.error:
        raise OverLimit(
            "excel_tidak_terbaca",
            "Isi file Excel rusak (kompresi zip tidak bisa dibuka). "
            "Buka di Excel, simpan ulang sebagai .xlsx, lalu kirim ulang.",
        ) from None


# --- a worksheet's extent -------------------------------------------------------------------------

_DIMENSION = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?dimension\s+ref\s*=\s*["']([^"']*)["']""")
_REF = re.compile(r"\$?([A-Z]{1,3})\$?([0-9]{1,7})$")
_ROW_OR_CELL = re.compile(
    rb"""<(/?)(?:[A-Za-z_][\w.-]*:)?(row|c)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(/?)>"""
)
_R_ATTR = re.compile(rb"""(?:^|\s)r\s*=\s*["']([A-Z]*)([0-9]*)["']""")


class _Extent:
    """How far a worksheet's XML puts its cells (rows and columns from 1), streamed.

    Fast path, one regex pass with a literal prefix: every writer puts the reference first
    (``<c r="B7" ...>``), so a cell tag that does not start that way (``<c>``, ``<c t="s">``,
    ``<c r='B7'>``, a prefixed ``<x:c>``) sends the rest of the sheet to the exact walk of
    ``_walk`` (calamine places a cell without a reference right after the previous one). Of the
    references, only those long enough to matter are looked at: at least ``letters`` column
    letters or ``digits`` row digits (a normal 5,000-row file of 22 columns has none); the others
    lie within ``small_rows`` x ``small_columns``, which bounds the used range.
    """

    def __init__(self, limits: Limits):
        letters = min(2, len(column_letters(limits.columns)))
        digits = min(5, len(str(limits.rows)))
        self.small_rows = 10 ** (digits - 1) - 1
        self.small_columns = 26 if letters == 2 else 0
        self._cell = re.compile(
            rb"""<c(?: r="([A-Z]{%d,}[0-9]+|[A-Z]*[0-9]{%d,})"|[\t\n\r>/]| (?!r="))""" % (letters, digits)
        )
        self.rows = self.columns = 0  # the farthest row and column seen among the long references
        self.declared: tuple[int, int] | None = None
        self._dimension_done = False
        self.without_refs = False
        self._row = self._column = 0  # position of the last cell, for cells without a reference

    def bound(self) -> tuple[int, int]:
        """Rows x columns the used range can't exceed."""
        if self.without_refs:
            return self.rows, self.columns
        return max(self.rows, self.small_rows), max(self.columns, self.small_columns)

    def _declare(self, segment: bytes) -> None:
        found = _DIMENSION.search(segment)
        if found:
            ref = _REF.search(found.group(1).decode("ascii", "replace").split(":")[-1].strip())
            self.declared = (int(ref.group(2)), column_number(ref.group(1))) if ref else (0, 0)
        self._dimension_done = bool(found) or b"sheetData" in segment

    def scan(self, segment: bytes) -> None:
        """One piece of the XML that ends right before a ``<`` (so no tag is cut)."""
        if not self._dimension_done:
            self._declare(segment)
        if not self.without_refs:
            if b":c" not in segment:
                for found in self._cell.finditer(segment):
                    ref = found.group(1)
                    if ref is None:  # a cell tag without r="..." first
                        break
                    close = segment.find(b">", found.end())
                    if close > 0 and segment[close - 1 : close] == b"/":
                        continue  # <c r="A200000" s="1"/>: formatting only, no value
                    digits = ref.lstrip(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
                    self.rows = max(self.rows, int(digits))
                    if len(digits) < len(ref):
                        self.columns = max(self.columns, column_number(ref[: len(ref) - len(digits)]))
                else:
                    return
            # a cell without a leading reference, or a prefixed tag: from here on every tag counts,
            # what came before at its bound
            self.rows, self.columns = self.bound()
            self._row = self.rows
            self.without_refs = True
        self._walk(segment)

    def _walk(self, segment: bytes) -> None:
        for closing, name, attrs, _ in _ROW_OR_CELL.findall(segment):
            if closing:
                continue
            ref = _R_ATTR.search(attrs)
            if name == b"row":
                self._row = int(ref.group(2)) if ref and ref.group(2) else self._row + 1
                self._column = 0
            elif ref and ref.group(1) and ref.group(2):
                self._row, self._column = int(ref.group(2)), column_number(ref.group(1))
            else:
                self._column += 1
            self.rows, self.columns = max(self.rows, self._row), max(self.columns, self._column)


@dataclass(frozen=True)
class WorkbookScan:
    """What the scan of a workbook that is within the limits found."""

    long_text: (
        bool  # some text runs longer than the cell limit in bytes: check the cells' length after reading
    )


def check_workbook(data: bytes, limits: Limits) -> WorkbookScan | None:
    """Raise ``OverLimit`` if an .xlsx (zip) is over a limit; None if it is not a zip Python can open
    (calamine then says what is wrong with it)."""
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error):
        return None
    if len(infos) > limits.zip_members:
        raise _suspicious(f"berisi {number(len(infos))} bagian, batasnya {number(limits.zip_members)}")
    if sum(i.file_size for i in infos) > limits.unzipped_bytes:
        raise _suspicious(f"isi lebih dari {megabytes(limits.unzipped_bytes)} setelah dibuka")
    names = {i.filename for i in infos}
    sheets = _sheet_members(archive, names)
    budget = limits.unzipped_bytes
    long_text = limits.cell_chars < _CHUNK  # runs shorter than a chunk are not measured
    for info in infos:
        name = info.filename
        if not name.lower().endswith(_INFLATED_SUFFIXES):
            budget -= info.file_size  # not read by calamine (images, ...): counted as declared
            continue
        is_sheet = name in sheets if sheets is not None else False
        is_sheet = is_sheet or bool(re.fullmatch(r"xl/worksheets/[^/]+\.xml", name)) or sheets is None
        extent = _Extent(limits) if is_sheet else None
        carry = bytearray()
        produced = run = 0  # run: bytes since the last "<" (a text longer than that can't be in it)
        for out in _inflate(data, info, budget, limits):
            produced += len(out)
            last = out.rfind(b"<")
            if last < 0:
                run += len(out)
            else:
                run += out.find(b"<")
                long_text = long_text or run > limits.cell_chars
                run = len(out) - last - 1
            if extent is None:
                continue
            cut = out.rfind(b"<")
            if cut < 0:
                carry += out
                continue
            carry += out[:cut]
            extent.scan(bytes(carry))
            carry = bytearray(out[cut:])
        budget -= produced
        long_text = long_text or run > limits.cell_chars
        if extent is None:
            continue
        extent.scan(bytes(carry))
        _check_extent(extent, (sheets or {}).get(name, name), limits)
    return WorkbookScan(long_text=long_text)


def _check_extent(extent: _Extent, label: str, limits: Limits) -> None:
    if extent.declared:
        rows, columns = extent.declared
        if rows > limits.rows or columns > limits.columns or rows * columns > limits.cells:
            where = f"menyatakan luasnya sampai sel {column_letters(columns)}{rows}"
            raise too_wide(label, where, rows, columns, limits)
    rows, columns = extent.rows, extent.columns
    bound_rows, bound_columns = extent.bound()
    if rows > limits.rows or columns > limits.columns or bound_rows * bound_columns > limits.cells:
        far = (
            f"{column_letters(columns)}{rows}"
            if rows and columns
            else f"baris {number(rows)}"
            if rows
            else ""
        )
        where = f"berisi sel sampai {far}" if far else "terlalu luas"
        raise too_wide(label, where, max(rows, 1), max(columns, 1), limits)

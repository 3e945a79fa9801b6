"""Crafted hostile files: intake (issue #12, items 1 and 3). build(out) writes them and returns their paths.

Every workbook is written by hand with ``zipfile`` (fixed timestamps, fixed member order), so each
file is a few KB, needs no spreadsheet writer and comes out byte for byte the same on every run:

- ``xlsx_sel_xfd1048576.xlsx``: a header, one person, and one stray cell at ``XFD1048576`` (the
  used range a reader would allocate is 1,048,576 x 16,384 cells: ~512 GiB in python-calamine).
- ``xlsx_sel_xfd4000.xlsx``: the same with the stray cell at ``XFD4000`` (4.5 GB, 18 s before).
- ``xlsx_dimensi_bohong.xlsx``: an honest-looking ``<dimension ref="A1:V3"/>`` over a stray cell
  at ``ZZ90000`` (the declared size lies; the cells say otherwise).
- ``xlsx_dimensi_raksasa.xlsx``: ``<dimension ref="A1:XFD1048576"/>`` over three real rows.
- ``xlsx_bom_zip.xlsx``: a zip bomb: ``xl/sharedStrings.xml`` inflates ~64 MB of spaces from ~62 KB.
- ``xlsx_dua_sheet_rt.xlsx``: the people of two RTs on sheets ``RT 01`` (2 people) and ``RT 02``
  (3 people, the last, on row 4, with the status ``entah``), each under the submission header.
- ``csv_kolom_banyak.csv``: a header and one person, then a row of 20,000 separators.
- ``csv_sel_raksasa.csv``: one person whose ``alamat`` is 150,000 characters long.
- ``csv_sel_40000.csv``: one person whose ``alamat`` is 40,000 characters (must pass intake: the
  quality gate's length rule is the one that catches it).
- ``csv_baris_banyak.csv``: a header, one person, then 100,500 empty lines (rows 3 to 100,502).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

KODE_DESA = "32.16.12.2003"  # the folder the tests drop these files in
HEADER = [
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
_DATE_TIME = (2024, 6, 20, 9, 0, 0)


def person(serial: int, alamat: str = "Kp. Bulak Rawa") -> list[str]:
    """A valid row for village 32.16.12.2003 (a woman born 17/08/1975, NIK serial ``serial``)."""
    return [
        f"32161257087500{serial:02d}",
        f"32161215031800{serial:02d}",
        f"Warga Uji {serial}",
        "P",
        "17/08/1975",
        alamat,
        KODE_DESA,
        "layak",
        "10/06/2024",
        "Petugas Desa",
    ]


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _row_xml(number: int, cells: list[str], start_column: int = 0) -> str:
    inner = "".join(
        f'<c r="{_column_letters(start_column + i)}{number}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
        for i, v in enumerate(cells)
    )
    return f'<row r="{number}">{inner}</row>'


def _sheet_xml(rows_xml: str, dimension: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{rows_xml}</sheetData></worksheet>'
    )


def _member(archive: zipfile.ZipFile, name: str, data: bytes | str) -> None:
    info = zipfile.ZipInfo(name, date_time=_DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data.encode() if isinstance(data, str) else data, compresslevel=9)


def workbook(sheets: list[tuple[str, str]], extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal .xlsx: ``sheets`` = [(name, worksheet XML)], plus ``extra`` members (name -> bytes)."""
    ns = "http://schemas.openxmlformats.org"
    rel = f"{ns}/officeDocument/2006/relationships"
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Types xmlns="{ns}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        + "</Types>"
    )
    root_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    book = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{rel}"><sheets>'
        + "".join(
            f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
            for i, (name, _) in enumerate(sheets, start=1)
        )
        + "</sheets></workbook>"
    )
    book_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{ns}/package/2006/relationships">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        + "</Relationships>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _member(archive, "[Content_Types].xml", content_types)
        _member(archive, "_rels/.rels", root_rels)
        _member(archive, "xl/workbook.xml", book)
        _member(archive, "xl/_rels/workbook.xml.rels", book_rels)
        for i, (_, xml) in enumerate(sheets, start=1):
            _member(archive, f"xl/worksheets/sheet{i}.xml", xml)
        for name, data in (extra or {}).items():
            _member(archive, name, data)
    return buffer.getvalue()


def _people_sheet(
    serials: list[int],
    stray: str | None = None,
    dimension: str | None = None,
    status: dict[int, str] | None = None,
) -> str:
    people = [person(s) for s in serials]
    for serial, value in (status or {}).items():
        people[serials.index(serial)][7] = value
    rows = _row_xml(1, HEADER) + "".join(_row_xml(i + 2, cells) for i, cells in enumerate(people))
    if stray:  # one cell far away, e.g. "XFD1048576"
        letters = stray.rstrip("0123456789")
        number = stray[len(letters) :]
        rows += f'<row r="{number}"><c r="{stray}" t="inlineStr"><is><t>x</t></is></c></row>'
    return _sheet_xml(rows, dimension or (f"A1:{stray}" if stray else f"A1:J{len(serials) + 1}"))


def _csv(rows: list[list[str]]) -> bytes:
    return "".join(",".join(r) + "\r\n" for r in rows).encode()


def files() -> dict[str, bytes]:
    """Every crafted file of this area, by name."""
    bomb = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        "<si><t>" + " " * (64 << 20) + "</t></si></sst>"
    ).encode()
    return {
        "xlsx_sel_xfd1048576.xlsx": workbook([("Data", _people_sheet([1], stray="XFD1048576"))]),
        "xlsx_sel_xfd4000.xlsx": workbook([("Data", _people_sheet([1], stray="XFD4000"))]),
        "xlsx_dimensi_bohong.xlsx": workbook(
            [("Data", _people_sheet([1, 2], stray="ZZ90000", dimension="A1:J3"))]
        ),
        "xlsx_dimensi_raksasa.xlsx": workbook([("Data", _people_sheet([1, 2], dimension="A1:XFD1048576"))]),
        "xlsx_bom_zip.xlsx": workbook([("Data", _people_sheet([1]))], extra={"xl/sharedStrings.xml": bomb}),
        "xlsx_dua_sheet_rt.xlsx": workbook(
            [("RT 01", _people_sheet([11, 12])), ("RT 02", _people_sheet([21, 22, 23], status={23: "entah"}))]
        ),
        "csv_kolom_banyak.csv": _csv([HEADER, person(1), [""] * 20_001]),
        "csv_sel_raksasa.csv": _csv([HEADER, person(1, alamat="A" * 150_000)]),
        "csv_sel_40000.csv": _csv([HEADER, person(1, alamat="Kp. Bulak Rawa " + "A" * (40_000 - 15))]),
        "csv_baris_banyak.csv": _csv([HEADER, person(1)]) + b"\n" * 100_500,
    }


def build(out: Path) -> list[Path]:
    written = []
    for name, data in files().items():
        path = out / name
        path.write_bytes(data)
        written.append(path)
    return written

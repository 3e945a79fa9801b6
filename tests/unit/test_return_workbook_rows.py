"""Issue 15 (publish speed): ``tindak_lanjut.xlsx`` written with its rows generated column-wise is the
very workbook the cell-by-cell XlsxWriter writer made, byte for byte in every part of the file.

The reference workbooks in ``tests/fixtures/return_workbook/`` were written once by
``verfak.exports.write_return_workbook`` as it was at commit 1aa5da8 (XlsxWriter 3.3.1 in
constant-memory mode, ``write_string``/``write_blank`` per cell) from the tables ``CASES`` builds
below, and are committed as files. Only ``docProps/core.xml`` (the time the file was made) may differ.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pyarrow as pa
import pytest
from openpyxl import load_workbook

from verfak import exports

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "return_workbook"
MONEY_STATUSES = ("dibayar", "tidak_dapat_dihubungi", "ditolak", "tidak_memenuhi_syarat")
TRAINING_STATUSES = (
    "diterima",
    "ditolak",
    "tidak_dapat_dihubungi",
    "tidak_memenuhi_syarat",
    "mengikuti",
    "selesai",
    "tidak_selesai",
)

#: Names as they may come out of core and the export's CSV: what XlsxWriter escapes (XML characters,
#: control characters, its own ``_xHHHH_`` escape, \uFFFE/\uFFFF), what makes it keep whitespace
#: (leading or trailing, Unicode spaces too), an emoji, a formula-like text, an empty text, a NULL,
#: a text over Excel's 32,767 UTF-16 units (XlsxWriter cuts it) and one just under half of it.
HOSTILE_NAMES = [
    "Siti Aminah",
    "Tom & Jerry <b>",
    "a > b",
    ' "kutip" ',
    " Siti",
    "Siti ",
    "\u00a0Siti",
    "Siti\u3000",
    "\tSiti",
    "Siti\nAminah",
    "Siti\tAminah",
    "ctl\x01\x08\x0b\x0c\x0e\x1f",
    "\x1fawal",
    "_x0041_ dan _X00aF_ dan _x12_",
    "non\ufffechar\uffff",
    "Siti 😀 Aminah",
    '=HYPERLINK("http://x","klik")',
    "'kutip satu",
    "",
    None,
    "😀" * 20_000,
    "a" * 16_383,
    "b" * 40_000,
    "Dewi Sartika",
]


def _table(rows: int, names: list | None = None, desa: bool = True) -> pa.Table:
    names = names if names is not None else [f"Nama {i}" for i in range(rows)]
    columns = {
        "referral_id": [f"BT-2024-06-{i:06d}" for i in range(rows)],
        "status_rujukan": ["baru"] * rows,
        "periode": ["2024-06"] * rows,
        "urutan": list(range(1, rows + 1)),
        "status_tindak_lanjut": [None] * rows,
        "nik": [f"32160154038{i:05d}" if i % 7 else f"00{i:014d}" for i in range(rows)],
        "nama": names[:rows],
    }
    if desa:
        columns["nama_desa"] = [None if i % 5 == 3 else f"Desa {i} & <Kp>" for i in range(rows)]
    types = {"urutan": pa.int64()}
    return pa.table({c: pa.array(v, types.get(c, pa.string())) for c, v in columns.items()})


#: name: (table, statuses, money, rows per sheet)
CASES = {
    "hostile_money": (lambda: _table(len(HOSTILE_NAMES), HOSTILE_NAMES), MONEY_STATUSES, True, None),
    "no_desa_training": (lambda: _table(12, desa=False), TRAINING_STATUSES, False, None),
    "empty_money": (lambda: _table(0), MONEY_STATUSES, True, None),
    "three_sheets": (lambda: _table(10), TRAINING_STATUSES, False, 4),
}


def write_case(case: str, path: Path, monkeypatch=None) -> None:
    make, statuses, money, per_sheet = CASES[case]
    if per_sheet:  # the split over sheets, with Excel's 1,048,575 data rows made small
        monkeypatch.setattr(exports, "XLSX_ROWS_PER_SHEET", per_sheet)
    exports.write_return_workbook(make(), path, statuses, money, "bantuan_tunai")


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"}


@pytest.mark.parametrize("chunk", [None, 3])
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_return_workbook_is_the_cell_by_cell_writers_byte_for_byte(case, chunk, tmp_path, monkeypatch):
    if chunk:  # rows built a few at a time: chunks that end inside a sheet and across sheets
        monkeypatch.setattr(exports, "RETURN_ROWS_PER_CHUNK", chunk)
    path = tmp_path / "tindak_lanjut.xlsx"
    write_case(case, path, monkeypatch)
    reference = parts(FIXTURES / f"{case}.xlsx")
    written = parts(path)
    assert list(written) == list(reference)
    for name in reference:
        assert written[name] == reference[name], f"{case}: {name} differs from the cell-by-cell writer's"


def test_a_name_shaped_like_rich_text_xml_stays_text(tmp_path):
    """XlsxWriter's constant-memory writer copied a string that starts with ``<r>`` and ends with
    ``</r>`` into the sheet as raw XML (its rich-string path): a name could break the workbook or
    add cells. The fast rows write it as the text it is."""
    names = ["<r><t>palsu</t></r>", '<r></t></is></c><c r="Z9"><v>1</v></c><c><is><t></r>']
    path = tmp_path / "tindak_lanjut.xlsx"
    exports.write_return_workbook(_table(2, names), path, MONEY_STATUSES, True, "bantuan_tunai")
    sheet = load_workbook(path)["bantuan_tunai"]
    assert [sheet.cell(row=r, column=3).value for r in (2, 3)] == names
    assert sheet.max_column == 9
    assert sheet.max_row == 3


def test_the_whitespace_xlsxwriter_keeps_is_pythons_whole():
    """XlsxWriter decides with Python's ``\\s`` whether a text keeps leading or trailing whitespace;
    every such character must send a text through XlsxWriter's own escaping."""
    import re

    import pyarrow.compute as pc

    spaces = [chr(c) for c in range(0x110000) if re.match(r"\s", chr(c))]
    for text in (spaces, [f"x{s}" for s in spaces]):
        matched = pc.match_substring_regex(pa.array(text), exports._XLSXWRITER_CHANGES)
        assert matched.to_pylist() == [True] * len(spaces)
    assert not pc.any(
        pc.match_substring_regex(pa.array(["Siti Aminah", "a_x41_b", ""]), exports._XLSXWRITER_CHANGES)
    ).as_py()


def test_the_return_workbook_is_zipped_fast_and_still_opens(tmp_path):
    """``tindak_lanjut.xlsx`` is zipped at ``XLSX_ZIP_LEVEL`` (1: about half the write time of a
    million-row workbook, a fifth larger file), every part still deflated, and the workbook opens in
    openpyxl and calamine with its rows; XlsxWriter zips at its own default again afterwards."""
    import zlib

    import xlsxwriter.workbook
    from python_calamine import CalamineWorkbook

    path = tmp_path / "tindak_lanjut.xlsx"
    table = _table(3000)
    exports.write_return_workbook(table, path, MONEY_STATUSES, True, "bantuan_tunai")
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            assert info.compress_type == zipfile.ZIP_DEFLATED, info.filename
        info = archive.getinfo("xl/worksheets/sheet1.xml")
        raw = zlib.compressobj(exports.XLSX_ZIP_LEVEL, zlib.DEFLATED, -15)
        assert info.compress_size == len(raw.compress(archive.read(info)) + raw.flush())
        default = zlib.compressobj(6, zlib.DEFLATED, -15)
        assert info.compress_size != len(default.compress(archive.read(info)) + default.flush())
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("bantuan_tunai").to_python()
    assert len(rows) == 3001
    assert rows[1][:3] == ["BT-2024-06-000000", "0000000000000000", "Nama 0"]
    sheet = load_workbook(path, read_only=True)["bantuan_tunai"]
    assert [c.value for c in next(sheet.iter_rows(min_row=3000, max_row=3000))][:3] == [
        "BT-2024-06-002998",
        "3216015403802998",
        "Nama 2998",
    ]

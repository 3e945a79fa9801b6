"""Property-based: whatever bytes, text or workbook arrives, ``read_submission`` never raises, and
an accepted file accounts for every row (rows read = passed + rejected; every issue is on a row).

Bounded to run in well under 30 s (150 examples per property, no deadline).
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verfak.columns import COLUMNS, LABELS
from verfak.intake import read_submission

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HEADER_WORDS = [
    *LABELS.values(),
    *COLUMNS,
    "No",
    "NO KK",
    "L/P",
    "Tgl Lahir",
    "Nama Lengkap",
    "",
    " ",
    "Jumlah",
]
NIKISH = st.one_of(
    st.from_regex(r"3216[0-9]{12}", fullmatch=True),
    st.from_regex(r"3[.,][0-9]{1,5}[eE]\+1[0-9]", fullmatch=True),
    st.from_regex(r"'?[0-9 .\-]{0,20}", fullmatch=True),
)
TEXT_CELL = st.one_of(
    st.sampled_from(HEADER_WORDS),
    NIKISH,
    st.text(max_size=12),
    st.sampled_from(
        ["17/08/1975", "1975-08-17", "27623", "layak", "L", "P", '"', '""', ";", ",", "\n", "\r\n"]
    ),
)


def check(result) -> None:
    """The invariants of any read."""
    if not result.accepted:
        assert result.reject_code
        assert result.reject_message
        assert result.rows == []
        assert result.issues == []
        return
    source_rows = [r for r, _, _ in result.rows]
    assert result.rows_read == len(result.rows) > 0
    assert 0 <= result.rows_rejected <= result.rows_read
    assert result.rows_read == result.rows_passed + result.rows_rejected
    assert len(set(source_rows)) == len(source_rows)
    assert source_rows == sorted(source_rows)
    assert all(issue.source_row in source_rows for issue in result.issues)
    # One issue per row and rule (the warehouse's key), and every cell is storable text.
    keys = [(i.source_row, i.rule_id) for i in result.issues]
    assert len(keys) == len(set(keys))
    for _, values, extra in result.rows:
        assert len(values) == len(COLUMNS)
        for text in [*values, *extra.values(), *extra.keys()]:
            assert text is None or (isinstance(text, str) and "\x00" not in text)


def read_bytes(data: bytes, suffix: str):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"data{suffix}"
        path.write_bytes(data)
        return read_submission(path, kode_desa_folder="3216122003")


@SETTINGS
@given(data=st.binary(max_size=2048), suffix=st.sampled_from([".csv", ".xlsx", ".xls", ".txt"]))
def test_random_bytes(data, suffix):
    check(read_bytes(data, suffix))


@st.composite
def csv_text(draw) -> str:
    """Text shaped like a CSV: maybe a title, a header of contract words, rows of awkward cells."""
    separator = draw(st.sampled_from([",", ";", "\t", "|"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = [draw(st.text(max_size=20)) for _ in range(draw(st.integers(0, 2)))]
    header = draw(st.lists(st.sampled_from(HEADER_WORDS), min_size=0, max_size=len(COLUMNS) + 2))
    if draw(st.booleans()):
        header = list(dict.fromkeys([*header, *LABELS.values()]))  # sometimes a complete header
    lines.append(separator.join(header))
    for _ in range(draw(st.integers(0, 6))):
        cells = draw(st.lists(TEXT_CELL, max_size=len(header) + 2))
        quoted = [f'"{c}"' if draw(st.booleans()) else c for c in cells]
        lines.append(separator.join(quoted))
    return newline.join(lines) + draw(st.sampled_from(["", newline, newline * 3, '"']))


@SETTINGS
@given(
    text=csv_text(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    suffix=st.sampled_from([".csv", ".txt", ".xlsx"]),
)
def test_generated_csv(text, encoding, suffix):
    check(read_bytes(text.encode(encoding, errors="replace"), suffix))


# openpyxl (like Excel) refuses control characters in cells.
XML_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=12)
WORKBOOK_TEXT = st.one_of(
    st.sampled_from(HEADER_WORDS),
    NIKISH,
    XML_TEXT,
    st.sampled_from(["17/08/1975", "27623", "layak", "3.21601E+15", '"', ";"]),
)
CELL = st.one_of(
    st.none(),
    WORKBOOK_TEXT,
    st.integers(-(10**17), 10**17),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(dt.date(1900, 3, 1), dt.date(2099, 12, 31)),
    st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2099, 12, 31)),
)


@st.composite
def workbook_bytes(draw) -> bytes:
    workbook = openpyxl.Workbook()
    for index in range(draw(st.integers(1, 3))):
        sheet = workbook.active if index == 0 else workbook.create_sheet(f"S{index}")
        for _ in range(draw(st.integers(0, 3))):  # a title block
            sheet.append([draw(st.one_of(st.none(), XML_TEXT))])
        header = draw(st.lists(st.sampled_from(HEADER_WORDS), max_size=len(COLUMNS) + 2))
        if draw(st.booleans()):
            header = list(dict.fromkeys([*header, *LABELS.values()]))
        sheet.append(header)
        for _ in range(draw(st.integers(0, 5))):
            sheet.append(draw(st.lists(CELL, max_size=len(header) + 2)))
        if draw(st.booleans()):
            sheet.merge_cells("A1:C1")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@SETTINGS
@given(
    data=workbook_bytes(),
    suffix=st.sampled_from([".xlsx", ".csv"]),
    cut=st.one_of(st.none(), st.integers(0, 4000)),
)
def test_generated_workbooks(data, suffix, cut):
    check(read_bytes(data if cut is None else data[:cut], suffix))

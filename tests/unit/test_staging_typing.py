"""The ID, phone and date typing of verfak.staging: what is tidied, what is kept as sent."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verfak.columns import COLUMNS
from verfak.staging import _identifier, _phone, parse_dates, type_rows

NIK = "3216125708750012"


def one(function, value):
    result = function(pd.Series([value], dtype="object")).iloc[0]
    return None if pd.isna(result) else result


@pytest.mark.parametrize(
    ("sent", "typed"),
    [
        (NIK, NIK),
        (f" {NIK} ", NIK),
        ("'" + NIK, NIK),  # Excel's apostrophe, pasted as text
        ("3216 1257 0875 0012", NIK),
        ("3216.1257.0875.0012", NIK),
        ("3216-1257-0875-0012", NIK),
        ("32.16.12.570875.0012", NIK),
        ("3216\u00a01257\u00a00875\u00a00012", NIK),  # non-breaking spaces
        (NIK + "\u200b", NIK),  # a zero-width space from a chat app
        ("003", "003"),  # leading zeros are kept ...
        ("3", "3"),  # ... and never added
        ("0012", "0012"),
    ],
)
def test_identifier_removes_only_what_cannot_be_part_of_an_id(sent, typed):
    assert one(_identifier, sent) == typed


@pytest.mark.parametrize(
    "sent",
    [
        "3216125708750012.0",  # went through a number: not "32161257087500120" nor a 16-digit guess
        "321612570875001.0",  # 15 digits + .0 must not become a valid-looking 16-digit NIK
        "3.0",  # an RT of 3.0 is not RT 30
        "3.21613E+15",
        "3216,1257,0875,0012",
        "32I6125708750012",
        "NIK 3216125708750012",
    ],
)
def test_identifier_keeps_what_is_not_digit_groups_as_sent(sent):
    assert one(_identifier, sent) == sent.strip()


@pytest.mark.parametrize("sent", [None, "", "   ", "'", "\u200b"])
def test_identifier_empty(sent):
    assert one(_identifier, sent) is None


@given(st.text(alphabet="0123456789 .-'\u00a0abcE+,", max_size=24))
@settings(max_examples=200, deadline=None)
def test_identifier_never_invents_or_reorders_digits(sent):
    typed = one(_identifier, sent)
    digits = "".join(c for c in sent if c.isdigit())
    if typed is not None:
        assert "".join(c for c in typed if c.isdigit()) == digits
        if typed.isdigit():
            assert typed == digits


@pytest.mark.parametrize(
    ("sent", "typed"),
    [
        ("0812-3456-7890", "081234567890"),
        ("+62 812 3456 7890", "081234567890"),
        ("62812345678", "0812345678"),
        ("(021) 890 1234", "0218901234"),
        ("'081234567890", "081234567890"),
        ("81234567890", "81234567890"),  # typed as a number: kept as sent (intake warned the village)
        ("8.12346E+10", None),  # digits lost: no one can call it
        (None, None),
    ],
)
def test_phone(sent, typed):
    assert one(_phone, sent) == typed


@pytest.mark.parametrize(
    ("sent", "day"),
    [
        ("1975-08-17", "1975-08-17"),
        ("1975-8-7", "1975-08-07"),
        ("17/08/1975", "1975-08-17"),
        ("7/8/1975", "1975-08-07"),  # day first, never month first
        ("17-08-1975", "1975-08-17"),
        ("17.08.1975", "1975-08-17"),
        ("1975-08-17 00:00:00", "1975-08-17"),
        ("2024-06-10 09:30:00", "2024-06-10"),
        ("2024-06-10T09:30", "2024-06-10"),
        ("10/06/2024 09:30", "2024-06-10"),
        ("2024-06-10 09:30:00.500000", "2024-06-10"),
        ("17 Agustus 1975", "1975-08-17"),
        ("17-Agu-1975", "1975-08-17"),
        ("1 Mei 2024", "2024-05-01"),
        ("27623", "1975-08-17"),  # an Excel serial in a General cell
        ("27623.0", "1975-08-17"),
        ("45453.375", "2024-06-10"),  # a serial with a time of day
        ("2003", None),  # a bare year is not Excel's day 2003 (1905-06-25)
        ("1975", None),
        ("31/02/1975", None),
        ("17/08/75", None),  # two-digit year: not guessed
        ("08/17/1975", None),  # month first: refused, not swapped
        ("17 Agustusan 1975", None),
        ("tujuh belas", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_dates(sent, day):
    parsed = one(parse_dates, sent)
    assert (parsed.date().isoformat() if parsed is not None else None) == day


def test_parse_dates_keeps_the_index_and_dtype():
    series = pd.Series(["17/08/1975", None, "27623"], index=[10, 20, 30], dtype="object")
    parsed = parse_dates(series)
    assert list(parsed.index) == [10, 20, 30]
    assert str(parsed.dtype) == "datetime64[us]"
    assert parsed.iloc[0] == parsed.iloc[2] == pd.Timestamp(dt.date(1975, 8, 17))


def test_the_whitespace_class_is_exactly_what_python_calls_whitespace():
    """staging writes ``\\s`` out as a class pyarrow's RE2 can run; it must mean the same."""
    import re

    from verfak.staging import _SPACE, _WS

    assert f"[{_SPACE}]" == _WS
    members = set(_SPACE)
    assert members == {chr(c) for c in range(0x110000) if re.fullmatch(r"\s", chr(c))}


def test_typing_stays_in_pyarrow(monkeypatch):
    """No pattern of the typing falls back to Python's re cell by cell (the money separators
    aside, which run only on cells holding a separator)."""
    calls = []
    patched = []
    for cls in type(pd.Series(["a"], dtype="str").array).__mro__:  # the element-wise fallback
        if "_str_map" in vars(cls):
            original = vars(cls)["_str_map"]

            def counting(self, *args, _original=original, **kwargs):
                calls.append(len(self))
                return _original(self, *args, **kwargs)

            monkeypatch.setattr(cls, "_str_map", counting)
            patched.append(cls.__name__)
    # If pandas renames its private fallback, nothing is patched and the test would pass without
    # checking anything: it must fail instead, so the probe is updated.
    assert patched, "pandas' element-wise string fallback (_str_map) was not found: update this probe"
    # a lookbehind RE2 can't run: pandas falls back to Python cell by cell, and the probe must see it
    pd.Series(["ab"], dtype="str").str.replace(r"(?<=a)b", "c", regex=True)
    assert calls, f"the patched {patched} did not see an element-wise operation: update this probe"
    calls.clear()
    raw = _raw(
        [
            {"nik": f"3216 0141 0190 {i:04d}", "pendapatan_bulanan": "750000", "tanggal_lahir": "01/01/1990"}
            for i in range(1, 50)
        ]
    )
    type_rows(raw, "2024-06")
    assert calls == [], f"{len(calls)} string operation(s) ran cell by cell in Python"


def _raw(rows: list[dict]) -> pd.DataFrame:
    """Raw rows as validate-and-load reads them (text, empty cells missing)."""
    frame = pd.DataFrame(
        [
            {"file_id": "1", "source_row": str(i + 2), "kode_desa_folder": "32.16.01.2001", **row}
            for i, row in enumerate(rows)
        ],
        columns=["file_id", "source_row", "kode_desa_folder", *COLUMNS],
    )
    return frame.astype("str").where(frame.notna(), None)

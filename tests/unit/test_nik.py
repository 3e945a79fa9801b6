"""Tests for verfak.nik (NIK parser). Run with PYTHONPATH=plugins."""

from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verfak.nik import NikParts, mask_nik, nik_columns, parse_nik

REF = date(2025, 6, 1)  # YY <= 25 -> 20YY, YY >= 26 -> 19YY


def nik(dd: str, mm: str, yy: str, serial: str = "0001", wilayah: str = "321612") -> str:
    return wilayah + dd + mm + yy + serial


# --- parse_nik: valid values --------------------------------------------------


def test_full_result_woman_in_bekasi():
    assert parse_nik("3216124507960001", REF) == NikParts(
        nik="3216124507960001",
        format_ok=True,
        kode_wilayah="32.16.12",
        dalam_bekasi=True,
        jenis_kelamin="P",
        tanggal_lahir=date(1996, 7, 5),
        ddmmyy="050796",
        serial_ok=True,
        errors=(),
    )


@pytest.mark.parametrize(
    ("dd", "mm", "yy", "jk", "tanggal", "ddmmyy"),
    [
        ("41", "01", "96", "P", date(1996, 1, 1), "010196"),  # first woman day
        ("71", "01", "96", "P", date(1996, 1, 31), "310196"),  # last woman day
        ("31", "12", "96", "L", date(1996, 12, 31), "311296"),  # last man day
        ("01", "01", "96", "L", date(1996, 1, 1), "010196"),
        ("29", "02", "96", "L", date(1996, 2, 29), "290296"),  # 1996 leap
        ("69", "02", "00", "P", date(2000, 2, 29), "290200"),  # yy 00 -> 2000, leap
        ("15", "08", "00", "L", date(2000, 8, 15), "150800"),  # year 00
        ("10", "03", "25", "L", date(2025, 3, 10), "100325"),  # yy == 25 -> 2025
        ("10", "03", "26", "L", date(1926, 3, 10), "100326"),  # yy == 26 -> 1926
    ],
)
def test_valid_birth_dates(dd, mm, yy, jk, tanggal, ddmmyy):
    p = parse_nik(nik(dd, mm, yy), REF)
    assert (p.format_ok, p.jenis_kelamin, p.tanggal_lahir, p.ddmmyy, p.errors) == (
        True,
        jk,
        tanggal,
        ddmmyy,
        (),
    )


def test_century_follows_reference_date():
    assert parse_nik(nik("01", "01", "10"), date(2009, 12, 31)).tanggal_lahir == date(1910, 1, 1)
    assert parse_nik(nik("01", "01", "10"), date(2010, 1, 1)).tanggal_lahir == date(2010, 1, 1)


def test_prefix_outside_kabupaten_bekasi_is_valid_but_not_dalam_bekasi():
    p = parse_nik("3275014506850003", REF)  # Kota Bekasi is 32.75
    assert p.format_ok is True
    assert p.kode_wilayah == "32.75.01"
    assert p.dalam_bekasi is False
    assert p.tanggal_lahir == date(1985, 6, 5)
    assert p.errors == ()


# --- parse_nik: impossible dates and serial -----------------------------------


@pytest.mark.parametrize(
    ("dd", "mm", "yy", "jk"),
    [
        ("40", "01", "96", None),  # 32-40 impossible
        ("32", "01", "96", None),
        ("72", "01", "96", None),  # 72+ impossible
        ("00", "01", "96", None),
        ("99", "01", "96", None),
        ("29", "02", "01", "L"),  # 2001 not leap: sex known, date impossible
        ("69", "02", "01", "P"),
        ("31", "04", "96", "L"),  # 31 April
        ("01", "13", "96", "L"),  # month 13
        ("01", "00", "96", "L"),  # month 00
    ],
)
def test_impossible_birth_dates(dd, mm, yy, jk):
    p = parse_nik(nik(dd, mm, yy), REF)
    assert p.format_ok is True
    assert p.kode_wilayah == "32.16.12"
    assert p.jenis_kelamin == jk
    assert p.tanggal_lahir is None
    assert p.ddmmyy is None
    assert p.serial_ok is True
    assert p.errors == ("nik_tanggal",)


def test_serial_0000_is_invalid():
    p = parse_nik(nik("01", "01", "96", serial="0000"), REF)
    assert (p.format_ok, p.serial_ok, p.tanggal_lahir, p.errors) == (
        True,
        False,
        date(1996, 1, 1),
        ("nik_serial",),
    )


def test_serial_0001_and_9999_are_valid():
    assert parse_nik(nik("01", "01", "96", serial="0001"), REF).serial_ok is True
    assert parse_nik(nik("01", "01", "96", serial="9999"), REF).serial_ok is True


def test_date_and_serial_errors_together():
    assert parse_nik(nik("00", "01", "96", serial="0000"), REF).errors == ("nik_tanggal", "nik_serial")


# --- parse_nik: format errors -------------------------------------------------

BAD_FORMAT = NikParts("", False, None, False, None, None, None, False, ("nik_format",))


@pytest.mark.parametrize(
    "value",
    [
        "321612450796000",  # 15 digits
        "32161245079600011",  # 17 digits
        "32161245O7960001",  # letter O instead of zero
        "abcdefghijklmnop",
        "",
        " 3216124507960001",  # not normalised here
        "3216124507960001\n",
        "32.16.12.450796.0001",
        "３２１６１２４５０７９６０００１",  # full-width digits are not ASCII
        "٣٢١٦١٢٤٥٠٧٩٦٠٠٠١",  # Arabic-Indic digits
    ],
)
def test_format_errors(value):
    assert parse_nik(value, REF) == NikParts(
        value, False, None, False, None, None, None, False, ("nik_format",)
    )


def test_none_and_non_str():
    assert parse_nik(None, REF) == BAD_FORMAT
    assert parse_nik(3216124507960001, REF) == BAD_FORMAT  # numbers are refused
    assert parse_nik(float("nan"), REF) == BAD_FORMAT


# --- mask_nik -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3216124507960001", "3216********0001"),
        ("3275014506850003", "3275********0003"),
        ("321612450796000", "*" * 15),  # short: fully masked
        ("32161245079600011", "*" * 17),  # long: fully masked
        ("3216 1245 0796 0001", "*" * 19),
        ("abc", "***"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_nik(value, expected):
    assert mask_nik(value) == expected


# --- nik_columns ------------------------------------------------------------------

COLUMNS = [
    "nik_format_ok",
    "nik_kode_wilayah",
    "nik_dalam_bekasi",
    "nik_jenis_kelamin",
    "nik_tanggal_lahir",
    "nik_ddmmyy",
    "nik_serial_ok",
]


def test_nik_columns_concrete_values_and_index():
    s = pd.Series(
        ["3216124507960001", "3275010101000000", "3216124001960001", "123", None],
        index=[10, 10, 7, 3, 99],  # non-default, duplicated index must be kept
        dtype="str",
    )
    df = nik_columns(s, REF)
    assert list(df.columns) == COLUMNS
    assert list(df.index) == [10, 10, 7, 3, 99]
    assert df["nik_format_ok"].tolist() == [True, True, True, False, False]
    assert df["nik_kode_wilayah"].fillna("-").tolist() == ["32.16.12", "32.75.01", "32.16.12", "-", "-"]
    assert df["nik_dalam_bekasi"].tolist() == [True, False, True, False, False]
    assert df["nik_jenis_kelamin"].fillna("-").tolist() == ["P", "L", "-", "-", "-"]
    assert df["nik_tanggal_lahir"].tolist()[:2] == [pd.Timestamp(1996, 7, 5), pd.Timestamp(2000, 1, 1)]
    assert df["nik_tanggal_lahir"].isna().tolist() == [False, False, True, True, True]
    assert df["nik_ddmmyy"].fillna("-").tolist() == ["050796", "010100", "-", "-", "-"]
    assert df["nik_serial_ok"].tolist() == [True, False, True, False, False]


def test_nik_columns_dtypes():
    df = nik_columns(pd.Series(["3216124507960001", None], dtype="str"), REF)
    assert df.dtypes.astype(str).to_dict() == {
        "nik_format_ok": "bool",
        "nik_kode_wilayah": "str",
        "nik_dalam_bekasi": "bool",
        "nik_jenis_kelamin": "str",
        "nik_tanggal_lahir": "datetime64[us]",
        "nik_ddmmyy": "str",
        "nik_serial_ok": "bool",
    }


def test_nik_columns_empty_and_all_invalid_keep_dtypes():
    expected = nik_columns(pd.Series(["3216124507960001"], dtype="str"), REF).dtypes
    for s in [
        pd.Series([], dtype="str"),
        pd.Series([None, None], dtype=object),
        pd.Series([3216124507960001, 1]),  # int64 column
        pd.Series([3216124507960001, None], dtype=object),
    ]:
        df = nik_columns(s, REF)
        assert list(df.index) == list(s.index)
        assert df.dtypes.equals(expected)
        assert not df["nik_format_ok"].any()


def test_nik_columns_mixed_object_column():
    s = pd.Series(["3216124507960001", 3216124507960001, float("nan"), pd.NA], dtype=object)
    df = nik_columns(s, REF)
    assert df["nik_format_ok"].tolist() == [True, False, False, False]
    assert df["nik_jenis_kelamin"].fillna("-").tolist() == ["P", "-", "-", "-"]


# --- property tests: nik_columns == parse_nik row by row ------------------------


def _two(n):
    return st.integers(0, n).map(lambda i: f"{i:02d}")


# Structured 16-digit values so that many have plausible dates (pure random
# digits almost never do); day/month ranges go past the limits on purpose.
structured_nik = st.builds(
    lambda w, dd, mm, yy, ser: w + dd + mm + yy + ser,
    st.sampled_from(["321612", "321601", "327501", "000000", "999999"]),
    _two(99),
    _two(14),
    _two(99),
    st.one_of(st.just("0000"), st.integers(0, 9999).map(lambda i: f"{i:04d}")),
)
random_digits = st.text(alphabet="0123456789", min_size=16, max_size=16)
junk = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.text(alphabet="0123456789 .-O", min_size=14, max_size=18),
    st.text(alphabet="0123456789", min_size=0, max_size=20),
)
any_str_value = st.one_of(structured_nik, random_digits, junk)
reference_dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


def _row_from_parts(p: NikParts) -> dict:
    return {
        "nik_format_ok": p.format_ok,
        "nik_kode_wilayah": p.kode_wilayah,
        "nik_dalam_bekasi": p.dalam_bekasi,
        "nik_jenis_kelamin": p.jenis_kelamin,
        "nik_tanggal_lahir": p.tanggal_lahir,
        "nik_ddmmyy": p.ddmmyy,
        "nik_serial_ok": p.serial_ok,
    }


def _row_from_frame(row: pd.Series) -> dict:
    out = {}
    for k, v in row.items():
        if pd.isna(v):
            v = None
        elif k == "nik_tanggal_lahir":
            v = v.date()
        elif k in ("nik_format_ok", "nik_dalam_bekasi", "nik_serial_ok"):
            v = bool(v)
        out[k] = v
    return out


def _assert_same(values, series, ref):
    df = nik_columns(series, ref)
    assert df.index.equals(series.index)
    for i, v in enumerate(values):
        assert _row_from_frame(df.iloc[i]) == _row_from_parts(parse_nik(v, ref)), repr(v)


@settings(max_examples=300, deadline=None)
@given(st.lists(any_str_value, max_size=25), reference_dates)
def test_nik_columns_matches_parse_nik_str_dtype(values, ref):
    _assert_same(values, pd.Series(values, dtype="str"), ref)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(any_str_value, st.integers()), max_size=25), reference_dates)
def test_nik_columns_matches_parse_nik_object_dtype(values, ref):
    _assert_same(values, pd.Series(values, dtype=object), ref)


@settings(max_examples=500, deadline=None)
@given(structured_nik, reference_dates)
def test_parse_nik_invariants(value, ref):
    p = parse_nik(value, ref)
    dd = int(value[6:8])
    assert p.format_ok
    assert p.kode_wilayah == f"{value[:2]}.{value[2:4]}.{value[4:6]}"
    assert p.jenis_kelamin == ("L" if 1 <= dd <= 31 else "P" if 41 <= dd <= 71 else None)
    assert p.serial_ok == (value[12:] != "0000")
    assert ("nik_tanggal" in p.errors) == (p.tanggal_lahir is None)
    if p.tanggal_lahir is not None:
        assert p.ddmmyy == p.tanggal_lahir.strftime("%d%m%y")
        assert p.tanggal_lahir.year % 100 == int(value[10:12])
        assert ref.year - 100 < p.tanggal_lahir.year <= ref.year
        assert p.jenis_kelamin is not None
    else:
        assert p.ddmmyy is None

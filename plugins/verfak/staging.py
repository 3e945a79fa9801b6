"""Stage 2a, staging: type the raw text rows of one period (vectorized pandas, no rules here).

Typing only reads what was sent; it never decides what is acceptable. Where a value can't be read
(a date that is not a date, income that is not a number) the typed column is empty and a
``<column>_terbaca`` flag is False, so the quality gate (``verfak.rules``) can say so precisely.
IDs are tidied deliberately and only in ways that can't change an ID: surrounding and inner spaces,
dots and dashes used as digit groups, and Excel's leading apostrophe are removed; leading zeros
and every digit are kept as sent.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from verfak.columns import COLUMNS, CONTRACT, DATE_COLUMNS, LAYAK, STAGING_TABLE_COLUMNS, STATUS_VALUES
from verfak.nik import nik_columns

#: Free text, trimmed: the text columns that are neither an identifier nor a value from a list.
_FREE_TEXT = tuple(c.name for c in CONTRACT if c.type == "text" and not c.id_text and not c.values)
_SEX = {
    "L": "L",
    "LAKI-LAKI": "L",
    "LAKI LAKI": "L",
    "LAKI": "L",
    "PRIA": "L",
    "P": "P",
    "PEREMPUAN": "P",
    "WANITA": "P",
}
_YES_NO = {
    "ya": "ya",
    "y": "ya",
    "iya": "ya",
    "true": "ya",
    "1": "ya",
    "ada": "ya",
    "tidak": "tidak",
    "t": "tidak",
    "tdk": "tidak",
    "false": "tidak",
    "0": "tidak",
    "tidak ada": "tidak",
}
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """``'2024-06'`` -> (2024-06-01, 2024-06-30)."""
    start = dt.date.fromisoformat(period + "-01")
    end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
    return start, end


def _text(series: pd.Series) -> pd.Series:
    """Trimmed text with empty cells as missing."""
    s = series.astype("str").str.strip()
    return s.mask(s.isna() | (s == ""))


# The patterns below are written so that pyarrow's RE2 can run them (no lookaround, no ``\s``,
# no ``\uXXXX`` escapes): pandas falls back to Python's ``re`` cell by cell otherwise, which was
# half of the typing time at a million rows. ``_SPACE`` holds exactly the characters Python's ``\s``
# matches, to be put inside a character class: ``_WS`` is ``\s`` itself, ``f"[{_SPACE}.]"`` a space or a dot.
_SPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
_WS = f"[{_SPACE}]"
# Characters a copy from WhatsApp, a web page or a PDF leaves in a cell that no one can see
# (U+00AD, U+200B-U+200F, U+2060, U+FEFF, written as the characters themselves).
_INVISIBLE = "[\u00ad\u200b-\u200f\u2060\ufeff]"
# Digits in groups separated by spaces, dots or dashes: 3216 0112 3456 7890, 3216.0112.3456.7890.
_DIGIT_GROUPS = f"[0-9]+(?:(?:{_WS}+|{_WS}*[.\\-]{_WS}*)[0-9]+)*"
# A number's decimal tail: an ID's 16 digits then .0, or an RT of 3.0 went through a number; the dot is
# not a digit group, so removing it would make another value (RT 3.0 -> 30).
_DECIMAL_TAIL = r"[0-9]+[.,]0+"
_SCIENTIFIC = r"^[0-9](?:[.,][0-9]+)?[eE][+\-]?[0-9]+$"


def _undecorated(series: pd.Series) -> pd.Series:
    """Trimmed text without invisible characters and without Excel's leading apostrophe."""
    return (
        _text(series)
        .str.replace(_INVISIBLE, "", regex=True)
        .str.strip()
        .str.replace(f"^'{_WS}*", "", regex=True)
    )


def _identifier(series: pd.Series) -> pd.Series:
    """An ID as sent, less what can't be part of it; never another ID.

    Removed: surrounding spaces, invisible characters, Excel's leading apostrophe, and the spaces,
    dots and dashes between digit groups. Kept as sent (so the digit rules say what is wrong):
    leading zeros (``003`` stays ``003``, ``3`` stays ``3``), every digit, and anything that is
    not digit groups (letters, a decimal tail such as ``.0``, a comma, scientific notation).
    """
    s = _undecorated(series)
    # An ID of digits alone, the usual cell, is already what this returns: only the others go through
    # the patterns (a million NIKs: 0.8 s through the patterns, 0.25 s this way)
    other = np.flatnonzero(~s.str.isdigit().to_numpy(dtype=bool, na_value=False))
    if len(other):
        rest = s.iloc[other]
        grouped = (
            rest.str.fullmatch(_DIGIT_GROUPS, na=False) & ~rest.str.fullmatch(_DECIMAL_TAIL, na=False)
        ).to_numpy()
        s.iloc[other[grouped]] = rest[grouped].str.replace(f"[{_SPACE}.\\-]", "", regex=True).to_numpy()
    return s.mask(s == "")


def _phone(series: pd.Series) -> pd.Series:
    """A phone number with separators removed and +62 written as 0; scientific notation (digits
    lost, no one can call it) becomes empty. A number typed without its leading 0 is kept as sent."""
    s = _undecorated(series)
    s = s.mask(s.str.fullmatch(_SCIENTIFIC.strip("^$"), na=False))
    s = s.str.replace(f"[{_SPACE}.\\-()]", "", regex=True).str.replace(r"^\+?62", "0", regex=True)
    return s.mask(s == "")


_MONTHS = {
    "januari": 1,
    "jan": 1,
    "februari": 2,
    "feb": 2,
    "peb": 2,
    "pebruari": 2,
    "maret": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "mei": 5,
    "juni": 6,
    "jun": 6,
    "juli": 7,
    "jul": 7,
    "agustus": 8,
    "agu": 8,
    "agt": 8,
    "ags": 8,
    "agst": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "sept": 9,
    "oktober": 10,
    "okt": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "nop": 11,
    "desember": 12,
    "des": 12,
    "dec": 12,
    "may": 5,
}
_MONTH_NAME_DATE = f"^([0-9]{{1,2}})[{_SPACE}\\-/.]*([a-z]+)\\.?[{_SPACE}\\-/.]*([0-9]{{4}})$"


def parse_dates(series: pd.Series) -> pd.Series:
    """Dates as sent, day first, never month first, never guessed.

    Read: ISO (``1975-08-17``, with or without a time), ``DD/MM/YYYY``, ``DD-MM-YYYY``,
    ``DD.MM.YYYY`` (with or without a time after it), an Indonesian month name (``17 Agustus
    1975``, ``17-Agu-1975``) and Excel serial numbers (a date cell in General format, ``27623``;
    a fraction is the time of day). Not read (the typed value stays empty, the rule says so): a
    two-digit year, a bare year (``1975`` is a year, not Excel's day 1975 of 1905), an impossible
    date (``31/02/1975``).
    """
    index = series.index
    s = _text(series).reset_index(drop=True)  # by position below; the index is put back at the end
    # a time after the date ("17/08/1975 00:00:00"), cut where a digit is followed by it; only a
    # cell with a ':' or a '.' can hold one (a plain search, much cheaper than the pattern)
    timed = s.str.contains(":", regex=False, na=False) | s.str.contains(".", regex=False, na=False)
    if timed.any():
        s[timed] = s[timed].str.replace(
            r"^(.*[0-9])[ T]+[0-9]{1,2}[:.][0-9]{2}(?:[:.][0-9]{2}(?:\.[0-9]+)?)?$", r"\1", regex=True
        )
    result = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    formats = {
        r"^\d{4}-\d{1,2}-\d{1,2}$": "%Y-%m-%d",
        r"^\d{1,2}/\d{1,2}/\d{4}$": "%d/%m/%Y",
        r"^\d{1,2}-\d{1,2}-\d{4}$": "%d-%m-%Y",
        r"^\d{1,2}\.\d{1,2}\.\d{4}$": "%d.%m.%Y",
    }
    # The forms exclude one another (separators, letters, digits alone), so each is looked for only
    # among the cells no earlier form matched: most cells are taken by the first or the second.
    rest = s.dropna()
    for pattern, fmt in formats.items():
        match = rest.str.match(pattern, na=False)
        if match.any():
            parsed = pd.to_datetime(rest[match], format=fmt, errors="coerce")
            result[parsed.index] = parsed.dt.normalize().astype("datetime64[us]")
            rest = rest[~match]
    # a month's name: extract runs cell by cell, so only on the cells with a letter
    worded = rest[rest.str.contains("[A-Za-z]", regex=True, na=False)]
    named = worded.str.lower().str.extract(_MONTH_NAME_DATE)
    month = named[1].map(_MONTHS)
    has_name = month.notna()
    if has_name.any():
        text = named[2][has_name] + "-" + month[has_name].astype(int).astype(str) + "-" + named[0][has_name]
        parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce").astype("datetime64[us]")
        result[parsed.index] = parsed
    serial = rest.str.fullmatch(r"[0-9]{4,5}(\.[0-9]+)?", na=False) & ~rest.str.fullmatch(
        r"(19|20)[0-9]{2}", na=False
    )
    if serial.any():
        days = pd.to_numeric(rest[serial], errors="coerce").floordiv(1)
        days = days[days.between(61, 73050)]  # 1900-03-01 .. 2099-12-31 (Excel's 1900 leap-year bug below 61)
        result[days.index] = (_EXCEL_EPOCH + pd.to_timedelta(days, unit="D")).astype("datetime64[us]")
    result.index = index
    return result


def _integer(series: pd.Series, money: bool = False) -> pd.Series:
    s = _text(series)
    if money:
        # "Rp 1.500.000", "1,500,000", "1500000" are the same amount; a decimal part is not an integer.
        s = s.str.replace(f"^[Rr][Pp]\\.?{_WS}*", "", regex=True)
        # a separator followed by exactly three digits is a thousands separator (needs a lookahead:
        # Python's re, only on the few cells that have a separator at all)
        separated = s.str.contains("[.,]", regex=True, na=False)
        if separated.any():
            s = s.copy()
            s.loc[separated] = (
                s[separated].astype("object").str.replace(r"[.,](?=\d{3}(\D|$))", "", regex=True)
            )
    s = s.str.replace(_WS, "", regex=True)
    numeric = s.str.fullmatch(r"-?[0-9]{1,15}", na=False)
    return pd.to_numeric(s.where(numeric), errors="coerce").astype("Int64")


def _readable(text: pd.Series, typed: pd.Series) -> pd.Series:
    """True where a value was sent and understood, False where sent but not understood, NA where empty."""
    # numpy's stubs refuse None as a choice (numpy makes an object array holding it)
    return pd.Series(np.where(text.isna(), None, typed.notna()), index=text.index, dtype="boolean")  # type: ignore[call-overload]


def kode_desa_dotted(series: pd.Series) -> pd.Series:
    """``'3216122003'`` or ``'32.16.12.2003'`` -> ``'32.16.12.2003'``; other text kept as sent."""
    s = _text(series)
    plain = s.str.replace(f"[{_SPACE}.]", "", regex=True)
    dotted = plain.str.replace(r"^([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{4})$", r"\1.\2.\3.\4", regex=True)
    return dotted.where(plain.str.fullmatch(r"[0-9]{10}", na=False), s)


def type_rows(raw: pd.DataFrame, period: str) -> pd.DataFrame:
    """Typed staging rows (plus derived NIK columns and duplicate counts) for one period.

    ``raw`` has ``file_id``, ``source_row``, ``kode_desa`` (the folder's village) and the contract
    columns as text. The result keeps ``file_id``/``source_row`` as the row's identity.
    """
    start, end = period_bounds(period)
    out = pd.DataFrame(index=raw.index)
    out["file_id"] = raw["file_id"].astype("int64")
    out["source_row"] = raw["source_row"].astype("int64")
    out["period"] = pd.Timestamp(start)
    out["kode_desa"] = raw["kode_desa_folder"].astype("str")
    out["kode_kecamatan_folder"] = out["kode_desa"].str.slice(0, 8)

    for column in _FREE_TEXT:
        out[column] = _text(raw[column])
    out["minat_pelatihan"] = (
        out["minat_pelatihan"].str.lower().str.replace(f"{_WS}*[;,]{_WS}*", ";", regex=True)
    )
    for column in ("nik", "no_kk", "rt", "rw"):
        out[column] = _identifier(raw[column])
    out["no_hp"] = _phone(raw["no_hp"])

    sex = _text(raw["jenis_kelamin"]).str.upper().str.replace(f"{_WS}+", " ", regex=True)
    out["jenis_kelamin"] = sex.map(_SEX).where(sex.isin(list(_SEX)), sex)

    status = _text(raw["status_verifikasi"]).str.lower().str.replace(f"[{_SPACE}\\-]+", "_", regex=True)
    out["status_verifikasi"] = status

    usaha = _text(raw["memiliki_usaha"]).str.lower()
    out["memiliki_usaha"] = usaha.map(_YES_NO).where(usaha.isin(list(_YES_NO)), usaha)

    for column in DATE_COLUMNS:
        out[column] = parse_dates(raw[column])
        out[f"{column}_terbaca"] = _readable(_text(raw[column]), out[column])

    out["desil"] = _integer(raw["desil"])
    out["desil_terbaca"] = _readable(_text(raw["desil"]), out["desil"])
    out["pendapatan_bulanan"] = _integer(raw["pendapatan_bulanan"], money=True)
    out["pendapatan_bulanan_terbaca"] = _readable(_text(raw["pendapatan_bulanan"]), out["pendapatan_bulanan"])

    out["kode_desa_baris"] = kode_desa_dotted(raw["kode_desa"])
    out["kode_kecamatan_baris"] = out["kode_desa_baris"].str.slice(0, 8)
    out["kecamatan_sama_dengan_folder"] = (
        out["kode_kecamatan_baris"] == out["kode_kecamatan_folder"]
    ).astype("boolean")

    # Derived facts the rules look at.
    period_end = pd.Timestamp(end)
    out["umur"] = ((period_end - out["tanggal_lahir"]).dt.days / 365.2425).astype("Float64")
    out["hari_verifikasi_sebelum_akhir_periode"] = (period_end - out["tanggal_verifikasi"]).dt.days.astype(
        "Int64"
    )
    out["perlu_alasan"] = out["status_verifikasi"].isin([s for s in STATUS_VALUES if s != LAYAK])
    out = out.join(nik_columns(out["nik"].fillna(""), reference_date=end))
    birth = out["tanggal_lahir"].dt  # DDMMYY as in the NIK (strftime is ten times slower)
    ddmmyy = (birth.day * 10000 + birth.month * 100 + birth.year % 100).astype("Int64")
    out["tanggal_lahir_ddmmyy"] = ddmmyy.astype("str").str.zfill(6).where(ddmmyy.notna())

    # Duplicates: order within a file, villages and family cards per NIK in the period.
    has_nik = out["nik"].notna()
    ordered = out[has_nik].sort_values(["file_id", "source_row"])
    out["nik_urutan_dalam_file"] = ordered.groupby(["file_id", "nik"]).cumcount().add(1).reindex(out.index)
    out["nik_jumlah_desa"] = ordered.groupby("nik")["kode_desa"].transform("nunique").reindex(out.index)
    out["nik_jumlah_kk"] = ordered.groupby("nik")["no_kk"].transform("nunique").reindex(out.index)
    for column in ("nik_urutan_dalam_file", "nik_jumlah_desa", "nik_jumlah_kk"):
        out[column] = out[column].astype("Int64")
    return out


#: The derived columns that look across the villages of a period (a NIK sent by several villages,
#: a NIK with several family cards): ``type_rows`` computes them within the rows it is given;
#: validate-and-load replaces them with the period's values for the NIKs sent more than once in the
#: period, computed set-based in PostgreSQL over the batch and the rows already in staging
#: (include/sql/staging/cross_village.sql).
CROSS_VILLAGE_COLUMNS = ("nik_jumlah_desa", "nik_jumlah_kk")


def typed_keys(raw: pd.DataFrame) -> pd.DataFrame:
    """``file_id``, ``source_row``, ``kode_desa`` (the folder's), ``nik`` and ``no_kk`` exactly as
    ``type_rows`` types them: what the cross-village columns are computed from."""
    return pd.DataFrame(
        {
            "file_id": raw["file_id"].astype("int64"),
            "source_row": raw["source_row"].astype("int64"),
            "kode_desa": raw["kode_desa_folder"].astype("str"),
            "nik": _identifier(raw["nik"]),
            "no_kk": _identifier(raw["no_kk"]),
        }
    )


def with_period_counts(typed: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """Replace the cross-village columns of ``typed`` by the period's (``counts``: one row per row of
    ``typed``, same order, the columns of ``CROSS_VILLAGE_COLUMNS``) where the period has them: for
    a NIK sent more than once in the period. A NIK sent once keeps what ``type_rows`` computed
    from its own row, which is the period's count; a row without NIK has none."""
    for column in CROSS_VILLAGE_COLUMNS:
        values = pd.to_numeric(pd.Series(counts[column].to_numpy(), index=typed.index), errors="coerce")
        typed[column] = (
            values.astype("Int64").where(values.notna(), typed[column]).where(typed["nik"].notna())
        )
    return typed


#: The staging.verifikasi columns written after validation (the typed contract, not the helpers):
#: ``verfak.columns.STAGING_TABLE_COLUMNS``.
STAGING_COLUMNS: tuple[str, ...] = tuple(name for name, _ in STAGING_TABLE_COLUMNS)

RAW_COLUMNS = COLUMNS

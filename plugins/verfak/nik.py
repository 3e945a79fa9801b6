"""Parse the Indonesian national ID number (NIK, Nomor Induk Kependudukan).

A NIK is 16 digits: ``PP KK CC DD MM YY SSSS``

* ``PP KK CC``  province, regency, kecamatan where the NIK was first issued
  (Kabupaten Bekasi is ``32 16``, so its NIKs start with ``3216``);
* ``DD``        day of birth, plus 40 for women (01-31 man, 41-71 woman;
  00, 32-40 and 72+ cannot occur);
* ``MM YY``     month and two-digit year of birth;
* ``SSSS``      serial number 0001-9999 (0000 is invalid).

There is no check digit. The century of ``YY`` is inferred against a
reference date: ``YY <= reference_date.year % 100`` gives 20YY, otherwise
19YY. The date must exist (29 February only in leap years).

Input is taken as sent: anything other than a ``str`` of exactly 16 ASCII
digits is a format error (spaces and dots are removed by the intake, not
here; numbers are refused because a 16-digit NIK does not survive a float).

``parse_nik`` handles one value, ``nik_columns`` a whole pandas Series
(vectorized, same answers row by row), ``mask_nik`` hides a NIK for logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

__all__ = ["PREFIX_BEKASI", "NikParts", "mask_nik", "nik_columns", "parse_nik"]

PREFIX_BEKASI = "3216"
_NIK_RE = re.compile(r"[0-9]{16}")  # explicit ASCII digits: \d would accept e.g. '٣'


@dataclass(frozen=True)
class NikParts:
    nik: str  # the input ('' for None / non-str)
    format_ok: bool  # exactly 16 ASCII digits
    kode_wilayah: str | None  # 'PP.KK.CC', when format_ok
    dalam_bekasi: bool  # format_ok and prefix 3216
    jenis_kelamin: str | None  # 'L' / 'P' from the day field, None if the day is impossible
    tanggal_lahir: date | None  # real date with inferred century, else None
    ddmmyy: str | None  # 'DDMMYY' with the +40 removed, set when tanggal_lahir is
    serial_ok: bool  # format_ok and serial != '0000'
    errors: tuple[str, ...]  # 'nik_format' | 'nik_tanggal' | 'nik_serial'


def _day_sex(dd: int) -> tuple[int, str] | None:
    """Day field -> (day of month, sex), or None if impossible."""
    if 1 <= dd <= 31:
        return dd, "L"
    if 41 <= dd <= 71:
        return dd - 40, "P"
    return None


def _century_year(yy: int, reference_date: date) -> int:
    return 2000 + yy if yy <= reference_date.year % 100 else 1900 + yy


def parse_nik(value: str | None, reference_date: date) -> NikParts:
    nik = value if isinstance(value, str) else ""
    if not (isinstance(value, str) and _NIK_RE.fullmatch(value)):
        return NikParts(nik, False, None, False, None, None, None, False, ("nik_format",))

    day_sex = _day_sex(int(nik[6:8]))
    tanggal = ddmmyy = None
    if day_sex is not None:
        day, _ = day_sex
        try:
            tanggal = date(_century_year(int(nik[10:12]), reference_date), int(nik[8:10]), day)
        except ValueError:  # month 00/13+, 31 April, 29 Feb of a common year...
            tanggal = None
        if tanggal is not None:
            ddmmyy = f"{day:02d}{nik[8:12]}"
    serial_ok = nik[12:16] != "0000"
    errors = (() if tanggal else ("nik_tanggal",)) + (() if serial_ok else ("nik_serial",))
    return NikParts(
        nik=nik,
        format_ok=True,
        kode_wilayah=f"{nik[0:2]}.{nik[2:4]}.{nik[4:6]}",
        dalam_bekasi=nik.startswith(PREFIX_BEKASI),
        jenis_kelamin=day_sex[1] if day_sex else None,
        tanggal_lahir=tanggal,
        ddmmyy=ddmmyy,
        serial_ok=serial_ok,
        errors=errors,
    )


def _format_ok(niks: pd.Series) -> pd.Series:
    """Bool Series: value is a str of exactly 16 ASCII digits (no per-row loop)."""
    if not (pd.api.types.is_string_dtype(niks.dtype) or niks.dtype == object):
        return pd.Series(False, index=niks.index, dtype=bool)
    try:
        matched = niks.str.fullmatch(r"[0-9]{16}")
    except AttributeError:  # object column with no strings at all (e.g. only ints)
        return pd.Series(False, index=niks.index, dtype=bool)
    return matched.eq(True).astype(bool)  # NA / non-str -> False


def nik_columns(niks: pd.Series, reference_date: date) -> pd.DataFrame:
    """Vectorized ``parse_nik``: one row per input value, same index.

    Columns: nik_format_ok, nik_kode_wilayah, nik_dalam_bekasi,
    nik_jenis_kelamin, nik_tanggal_lahir, nik_ddmmyy, nik_serial_ok.
    """
    idx = niks.index
    fmt = _format_ok(niks)
    # Only well-formed values go further; the rest become NaN.
    t = niks.astype(object).where(fmt).astype("str")

    dd_s, mm_s, yy_s = t.str.slice(6, 8), t.str.slice(8, 10), t.str.slice(10, 12)
    dd = pd.to_numeric(dd_s)
    yy = pd.to_numeric(yy_s)
    man = dd.between(1, 31)
    woman = dd.between(41, 71)
    day = dd.where(man, dd - 40).where(man | woman)

    # numpy's stubs refuse default=None (numpy makes an object array with None where neither holds)
    jk = pd.Series(np.select([man, woman], ["L", "P"], default=None), index=idx, dtype="str")  # type: ignore[call-overload]
    cent = pd.Series(np.where(yy <= reference_date.year % 100, "20", "19"), index=idx, dtype="str")
    day_s = day.astype("Int64").astype("str").str.zfill(2)  # NA stays NA
    tanggal = pd.to_datetime(
        cent + yy_s + "-" + mm_s + "-" + day_s, format="%Y-%m-%d", errors="coerce"
    ).astype("datetime64[us]")  # fixed unit: pandas picks [s] for an empty Series
    ddmmyy = (day_s + mm_s + yy_s).where(tanggal.notna())

    return pd.DataFrame(
        {
            "nik_format_ok": fmt,
            "nik_kode_wilayah": t.str.slice(0, 2) + "." + t.str.slice(2, 4) + "." + t.str.slice(4, 6),
            "nik_dalam_bekasi": t.str.startswith(PREFIX_BEKASI).eq(True).astype(bool),
            "nik_jenis_kelamin": jk,
            "nik_tanggal_lahir": tanggal,
            "nik_ddmmyy": ddmmyy.astype("str"),
            "nik_serial_ok": t.str.slice(12, 16).ne("0000") & fmt,
        },
        index=idx,
    )


def mask_nik(value: str | None) -> str:
    """Hide a NIK for logs: '3216********0001'.

    A well-formed NIK keeps its first 4 and last 4 digits; any other str is
    fully masked with the same length; None (or a non-str) gives ''.
    """
    if not isinstance(value, str):
        return ""
    if _NIK_RE.fullmatch(value):
        return value[:4] + "*" * 8 + value[-4:]
    return "*" * len(value)

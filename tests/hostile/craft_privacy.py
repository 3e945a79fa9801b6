"""Crafted hostile files: privacy (issue #12, items 10-13). build(out) writes them and returns their paths.

Each file is a small village CSV (canonical header, UTF-8, ``\\n`` line ends) for period 2024-06.
Its rows carry personal data that must never reach the reports folder (Data Docs, validation
results, the nightly report) or a log: IDs the gate rejects, IDs and phone numbers written with
separators. ``PRIVACY_FILES`` says where each goes in a landing zone and which values it holds.

- ``privacy_ids_rejected.csv`` (32.16.01.2001): one valid row (phone with dashes) and rows the gate
  rejects for their NIK or KK: 15 digits, 17 digits, an impossible date in the NIK, serial 0000,
  a NIK in 4-digit groups with a letter, a NIK in dotted groups with a letter, a duplicate NIK,
  and a birth date / sex that disagree with the NIK (warnings). Every row has a phone number.
- ``privacy_ids_other_village.csv`` (32.16.01.2002): the valid NIK of the first file again
  (``nik_ganda_antar_desa``: both rows held out, the value in both villages' results).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from verfak.columns import COLUMNS

PERIOD = "2024-06"
HEADER = COLUMNS  # the contract, in its order

VILLAGE_A = "32.16.01.2001"  # Tarumajaya, Sagara Makmur
VILLAGE_B = "32.16.01.2002"  # Tarumajaya, Segarajaya

#: The valid NIK (woman born 14/03/1980, kecamatan 01, serial 0101) shared by both files.
NIK_VALID = "3216015403800101"

# (nik, no_kk, jenis_kelamin, tanggal_lahir, no_hp) per row of the first file, row 2 onwards.
_ROWS_A = [
    (NIK_VALID, "3216010101000101", "P", "14/03/1980", "0812-3456-7890"),  # valid (phone with dashes)
    ("321601540380017", "3216010101000102", "P", "14/03/1980", "081311112222"),  # NIK 15 digits
    ("3216015403800103", "32160101010001039", "P", "14/03/1980", "0813 3333 4444"),  # KK 17 digits
    ("3216017503800104", "3216010101000104", "P", "14/03/1980", "0813.5555.6666"),  # NIK day 75
    ("3216015403800000", "3216010101000105", "P", "14/03/1980", "+62 813 7777 8888"),  # NIK serial 0000
    ("3216 0154 0380 01O6", "3216010101000106", "P", "14/03/1980", "081399990000"),  # groups + letter O
    ("3216.0154.0380.01I7", "3216010101000107", "P", "14/03/1980", "081322224444"),  # dots + letter I
    ("3216015403800108", "3216010101000108", "P", "14/03/1980", "081355557777"),  # first of a duplicate
    ("3216015403800108", "3216010101000109", "P", "14/03/1980", "081366668888"),  # duplicate NIK, other KK
    (
        "3216015403800110",
        "3216010101000110",
        "P",
        "15/04/1981",
        "081377779999",
    ),  # birth date != NIK (warning)
    (
        "3216 0154 0380 0111",
        "3216.0101.0100.0111",
        "L",
        "14/03/1980",
        "0813-8888-1111",
    ),  # sex != NIK (warning)
]

_ROWS_B = [
    (NIK_VALID, "3216010101000201", "P", "14/03/1980", "081299990001"),  # same NIK as village A's row 2
]


def _row(nik: str, kk: str, sex: str, birth: str, phone: str, kode_desa: str, serial: int) -> list[str]:
    values = {
        "nik": nik,
        "no_kk": kk,
        "nama": f"Warga Rahasia {serial}",
        "jenis_kelamin": sex,
        "tanggal_lahir": birth,
        "hubungan_keluarga": "Kepala Keluarga",
        "alamat": "Kp. Sukamaju",
        "rt": "001",
        "rw": "002",
        "kode_desa": kode_desa,
        "status_verifikasi": "layak",
        "alasan": "",
        "desil": "1",
        "pekerjaan": "Buruh Harian Lepas",
        "pendidikan": "SD",
        "pendapatan_bulanan": "500000",
        "minat_pelatihan": "menjahit",
        "memiliki_usaha": "tidak",
        "minat_usaha": "",
        "no_hp": phone,
        "tanggal_verifikasi": "05/06/2024",
        "petugas": "Petugas Desa",
    }
    return [values[c] for c in HEADER]


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


#: file name -> (kode_desa of its landing folder, the rows' (nik, no_kk, sex, birth, phone))
PRIVACY_FILES = {
    "privacy_ids_rejected.csv": (VILLAGE_A, _ROWS_A),
    "privacy_ids_other_village.csv": (VILLAGE_B, _ROWS_B),
}


def secret_values() -> set[str]:
    """Every NIK, KK and phone number in the crafted files, as sent and with separators removed."""
    values = set()
    for _, rows in PRIVACY_FILES.values():
        for nik, kk, _sex, _birth, phone in rows:
            for value in (nik, kk, phone):
                values.add(value)
                values.add("".join(ch for ch in value if ch.isalnum()))
    digits_only = {"".join(ch for ch in v if ch.isdigit()) for v in values}
    values |= {v for v in digits_only if len(v) >= 10}
    values |= {"0" + v[2:] for v in values if v.startswith("62")}  # +62 813... staged as 0813...
    return values


def build(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (kode_desa, rows) in PRIVACY_FILES.items():
        path = out / name
        path.write_bytes(_csv([_row(*r, kode_desa, i) for i, r in enumerate(rows, start=1)]))
        written.append(path)
    return written

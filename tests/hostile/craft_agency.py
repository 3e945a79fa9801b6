"""Crafted hostile files: agency (issue #12). build(out) writes them and returns their paths.

``agency/2024-06/32.16.01.2001/leak_target.csv``: one village's June submission. Two people
qualify for training (``pelatihan``); ``Dewi Rahasia`` (serial 9) was verified ``tidak_layak``, so
she is in core but on no agency's list: the target an agency's query must not learn anything
about (tests/hostile/test_agency.py). Synthetic people, valid rows: everything loads.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from tests.helpers import make_nik, village_row

PERIOD = "2024-06"
DESA = "32.16.01.2001"
TARGET_NAME = "Dewi Rahasia"
TARGET = (9, dt.date(1990, 4, 12), "P")
TRAINEES = [(1, dt.date(1994, 3, 1), "P"), (2, dt.date(1990, 7, 21), "L")]


def target_nik() -> str:
    serial, birth, sex = TARGET
    return make_nik(DESA.split(".")[2], birth, sex, serial)


def rows() -> list[dict]:
    people = [
        village_row(PERIOD, DESA, s, b, x, minat_pelatihan="menjahit", pendapatan_bulanan="100000")
        for s, b, x in TRAINEES
    ]
    serial, birth, sex = TARGET
    people.append(
        village_row(
            PERIOD,
            DESA,
            serial,
            birth,
            sex,
            nama=TARGET_NAME,
            status_verifikasi="tidak_layak",
            alasan="Sudah bekerja tetap",
            minat_pelatihan="menjahit",
        )
    )
    return people


def build(out: Path) -> list[Path]:
    folder = out / "agency" / PERIOD / DESA
    folder.mkdir(parents=True, exist_ok=True)
    data = rows()
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(data[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(data)
    path = folder / "leak_target.csv"
    path.write_bytes(text.getvalue().encode("utf-8"))
    return [path]

"""Helpers the tests share: run the pipeline's stages in-process, in the DAGs' order."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

EXPORT_DATE = dt.date(2024, 7, 1)

# The sample generator's names for its defects -> the quality rule that must catch each.
SAMPLE_DEFECT_RULE = {
    "nik_15_digit": "nik_16_digit",
    "nik_serial_0000": "nik_nomor_urut",
    "nik_tanggal_mustahil": "nik_tanggal_valid",
    "nama_kosong": "nama_wajib",
    "jenis_kelamin_tidak_dikenal": "jenis_kelamin_valid",
    "tanggal_lahir_mustahil": "tanggal_lahir_valid",
    "status_tidak_dikenal": "status_verifikasi_valid",
    "alasan_kosong": "alasan_wajib",
    "baris_ganda": "nik_ganda_dalam_file",
}


def copy_landing(source: Path, target: Path) -> None:
    shutil.copytree(source, target, dirs_exist_ok=True)


def run_ingest(landing: Path) -> list[dict]:
    from verfak import ingest

    outcomes = [ingest.ingest_file(f, landing).as_dict() for f in ingest.discover(landing)]
    ingest.resolve_superseded()
    return outcomes


def run_validate_load() -> list[dict]:
    from verfak import load

    return [load.validate_and_load_period(p).as_dict() for p in load.pending_periods()]


def run_publish(export_date: dt.date = EXPORT_DATE) -> dict[str, dict]:
    from verfak import publish
    from verfak.programs import load_programs

    publish.refresh_marts()
    return {name: publish.publish_program(name, export_date) for name in sorted(load_programs())}


def run_all(landing: Path, export_date: dt.date = EXPORT_DATE) -> tuple[list[dict], list[dict], dict]:
    return run_ingest(landing), run_validate_load(), run_publish(export_date)

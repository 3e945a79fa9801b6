"""Helpers the tests share: run the pipeline's stages in-process, in the DAGs' order (verfak.pipeline)."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from contextlib import contextmanager
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
    """verfak_ingest's steps (verfak.pipeline.Ingest) on ``landing``; each file's outcome."""
    from verfak.pipeline import Ingest

    outcomes, _ = Ingest.run(landing=landing)
    return outcomes


def run_validate_load() -> list[dict]:
    """verfak_validate_load's steps (verfak.pipeline.ValidateLoad); each period's outcome."""
    from verfak.pipeline import ValidateLoad

    return ValidateLoad.run()


def run_publish(export_date: dt.date = EXPORT_DATE) -> dict[str, dict]:
    """verfak_publish's steps (verfak.pipeline.Publish) through the exports: each program's result
    by name. The alerts and the nightly report are left to the tests that check them."""
    from verfak.pipeline import Publish

    done = Publish.run(export_date, through="finish")
    return {r["program"]: r for r in done["publish_program"]}


def run_tindak_lanjut(landing: Path, today: dt.date | None = None) -> tuple[list[dict], dict, list[dict]]:
    """verfak_tindak_lanjut's steps (verfak.pipeline.TindakLanjut) on ``landing``: (each file's
    outcome, the run's totals, the programs' checked months)."""
    from verfak.pipeline import TindakLanjut

    return TindakLanjut.run(landing=landing, today=today)


def run_all(landing: Path, export_date: dt.date = EXPORT_DATE) -> tuple[list[dict], list[dict], dict]:
    return run_ingest(landing), run_validate_load(), run_publish(export_date)


def make_nik(kecamatan: str, birth: dt.date, sex: str, serial: int) -> str:
    """A structurally valid Bekasi NIK for a birth date and sex (women: day + 40)."""
    day = birth.day + (40 if sex == "P" else 0)
    return f"3216{kecamatan}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def village_row(period: str, kode_desa: str, serial: int, birth: dt.date, sex: str = "P", **values) -> dict:
    """A valid submission row (contract columns as text); keyword arguments override columns."""
    kecamatan = kode_desa.split(".")[2]
    row = {
        "nik": make_nik(kecamatan, birth, sex, serial),
        "no_kk": f"3216{kecamatan}0101{serial:06d}",
        "nama": f"Warga {serial}",
        "jenis_kelamin": sex,
        "tanggal_lahir": birth.isoformat(),
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
        "minat_pelatihan": "",
        "memiliki_usaha": "tidak",
        "minat_usaha": "",
        "no_hp": "081234567890",
        "tanggal_verifikasi": f"{period}-05",
        "petugas": "Petugas Desa",
    }
    row.update({k: str(v) for k, v in values.items()})
    return row


def write_submission_csv(
    landing: Path, period: str, kode_desa: str, rows: list[dict], name: str = "verfak.csv"
) -> Path:
    """Write rows as a village's CSV submission for a period (canonical headers, UTF-8)."""
    import csv

    from verfak.columns import COLUMNS

    folder = landing / period / kode_desa
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


AIRFLOW = str(Path(sys.executable).with_name("airflow"))
ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def airflow_metadata_env(warehouse_uri: str, name: str, home: Path, dags_folder: Path, **extra: str):
    """Environment for ``airflow`` subprocesses with a migrated metadata database of their own
    (``name``, on the warehouse's server, dropped afterwards), so test runs never show up in the
    UI of ``make run``. ``extra`` adds or overrides variables."""
    import os
    import subprocess
    from urllib.parse import urlsplit, urlunsplit

    import psycopg2

    base = urlsplit(warehouse_uri)
    admin = psycopg2.connect(urlunsplit(base._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name}")
        cur.execute(f"CREATE DATABASE {name}")
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": urlunsplit(
                base._replace(scheme="postgresql+psycopg2", path=f"/{name}")
            ),
            "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW_CONN_VERFAK_WAREHOUSE": warehouse_uri,
            "PYTHONPATH": str(ROOT / "plugins"),
            **extra,
        }
    )
    try:
        subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True)
        yield env
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()

"""The sample data with villages missing, late, rejected and corrected, run once for the ops tests.

The built-in sample has every village on time in both periods. ``SCENARIO`` removes some
villages' files, dates others after the cut-off (the files' modification times, as a delivery
keeps them), replaces one by an unreadable file and adds a late correction to another; every other
file is dated the 10th of its period. The pipeline then runs in-process (tests/helpers.run_all) and
the tests of this package read the result (they don't change it, except ops.alert rows).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections import Counter
from pathlib import Path

import psycopg2
import pytest

from tests.conftest import isolated_run, truncate
from tests.helpers import copy_landing, run_all

ROOT = Path(__file__).resolve().parents[2]
WIB = dt.timezone(dt.timedelta(hours=7))
EXPORT_DATE = dt.date(2024, 7, 1)

#: What happens to which village in each period (cut-off: the 17th, so on time means before
#: the 18th 00:00 WIB).
SCENARIO = {
    "2024-06": {
        "missing": ["32.16.01.2001", "32.16.01.2002", "32.16.01.2003", "32.16.03.2001"],
        "late": {
            "32.16.02.2001": "2024-06-18T00:00:00",  # the first moment after the cut-off day
            "32.16.02.2002": "2024-06-25T10:00:00",
            "32.16.03.2002": "2024-07-02T08:00:00",
        },
        "on_time": {"32.16.02.2003": "2024-06-17T23:59:59"},  # the last second of the cut-off day
        "rejected_only": {"32.16.02.2004": "2024-06-12T09:00:00"},  # a PDF saved as .xlsx
        # a correction after the cut-off of a file sent on time: on time (its first file was)
        "corrected_late": "2024-06-20T15:00:00",
    },
    "2024-05": {
        "missing": ["32.16.01.2001"],
        "late": {"32.16.01.2002": "2024-05-20T08:00:00"},
        # a modification time in the future can't be trusted: registered_at (now) counts: late
        "future_mtime": {"32.16.02.2001": "2030-01-01T00:00:00"},
    },
}
OPS_TABLES = ("ops.alert", "ops.report_run")


def wib(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=WIB).timestamp()


def reference_villages() -> dict[str, tuple[str, str]]:
    """kode_desa -> (kode_kecamatan, nama_kecamatan), from the reference file (not the warehouse)."""
    with (ROOT / "include" / "reference" / "wilayah_bekasi.csv").open(encoding="utf-8") as fh:
        return {r["kode_desa"]: (r["kode_kecamatan"], r["nama_kecamatan"]) for r in csv.DictReader(fh)}


def village_file(landing: Path, period: str, kode_desa: str) -> Path:
    (path,) = sorted((landing / period / kode_desa).iterdir())
    return path


def apply_scenario(landing: Path) -> dict:
    """Change the copied sample as SCENARIO says; return what was done (for the expectations)."""
    for period in SCENARIO:
        for path in (landing / period).rglob("*"):
            if path.is_file():
                os.utime(path, (wib(f"{period}-10T09:00:00"),) * 2)
    june = SCENARIO["2024-06"]
    # The corrected village: the first Babelan village not used otherwise whose file is a CSV.
    used = {
        d
        for s in SCENARIO.values()
        for key in ("missing", "late", "on_time", "rejected_only", "future_mtime")
        for d in s.get(key, ())
    }
    corrected = next(
        d
        for d in sorted(reference_villages())
        if d.startswith("32.16.02.")
        and d not in used
        and village_file(landing, "2024-06", d).suffix == ".csv"
    )
    original = village_file(landing, "2024-06", corrected)
    correction = original.with_name(original.stem + "_perbaikan.csv")
    correction.write_bytes(original.read_bytes() + b"\n")
    os.utime(correction, (wib(june["corrected_late"]),) * 2)
    for period, plan in SCENARIO.items():
        for kode_desa in plan["missing"]:
            for path in (landing / period / kode_desa).iterdir():
                path.unlink()
            (landing / period / kode_desa).rmdir()
        for key in ("late", "on_time", "future_mtime"):
            for kode_desa, moment in plan.get(key, {}).items():
                os.utime(village_file(landing, period, kode_desa), (wib(moment),) * 2)
        for kode_desa, moment in plan.get("rejected_only", {}).items():
            village_file(landing, period, kode_desa).unlink()
            scan = landing / period / kode_desa / "scan_formulir.xlsx"
            scan.write_bytes(b"%PDF-1.4 not a spreadsheet")
            os.utime(scan, (wib(moment),) * 2)
    return {"corrected": corrected}


def expected_completeness(period: str) -> dict[str, dict[str, int]]:
    """Per kecamatan (and 'kabupaten'): expected, received, on_time, late, missing, from SCENARIO alone."""
    plan = SCENARIO[period]
    late = set(plan["late"]) | set(plan.get("future_mtime", {}))
    missing = set(plan["missing"])
    result: dict[str, Counter] = {}
    for kode_desa, (kode_kecamatan, _) in reference_villages().items():
        for key in (kode_kecamatan, "kabupaten"):
            counts = result.setdefault(key, Counter())
            counts["expected"] += 1
            counts["missing"] += kode_desa in missing
            counts["received"] += kode_desa not in missing
            counts["late"] += kode_desa in late
            counts["on_time"] += kode_desa not in missing and kode_desa not in late
            counts["rejected_only"] += kode_desa in plan.get("rejected_only", {})
    return {k: dict(v) for k, v in result.items()}


@pytest.fixture(scope="package")
def ops_run(warehouse_uri, sample_landing, tmp_path_factory):
    """The scenario's pipeline run; the environment points at its folders while the package runs."""
    from tests.conftest import DATA_TABLES

    landing_src, summary = sample_landing
    root = tmp_path_factory.mktemp("ops")
    with isolated_run(warehouse_uri, root, DATA_TABLES + OPS_TABLES) as mp:
        mp.delenv("VERFAK_CUTOFF_DAY", raising=False)
        copy_landing(landing_src, root / "landing")
        done = apply_scenario(root / "landing")
        ingested, loaded, published = run_all(root / "landing", EXPORT_DATE)
        yield {
            "root": root,
            "summary": summary,
            "ingested": ingested,
            "loaded": loaded,
            "published": published,
            "uri": warehouse_uri,
            **done,
        }


@pytest.fixture
def no_alerts(warehouse_uri):
    truncate(warehouse_uri, ("ops.alert",))
    yield
    truncate(warehouse_uri, ("ops.alert",))


def query(uri: str, sql: str, params=None) -> list[tuple]:
    with psycopg2.connect(uri) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    conn.close()
    return rows

"""The benchmark's generator (devdata.bench_data), small: it writes village by village what it plans.

The files and the baseline CSV hold exactly the planned rows, the defects are the shared nine
kinds (devdata.defects) in the planned numbers and each breaks its rule, identifiers are unique
across villages, and the in-memory frame (``build_bench_rows``) is the same data as the files.
"""

from __future__ import annotations

import csv
from collections import Counter

import pandas as pd
import pytest

from devdata.bench_data import BenchPlan, build_bench_rows, generate_bench_landing
from devdata.defects import DEFECT_RULES
from devdata.sample_data import COLUMNS, load_villages

PLAN = BenchPlan(rows=4_001, periods=2, bad_share=0.02)
VILLAGES = load_villages()[:24]  # a few kecamatan's worth: the per-village work is what is tested


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench_data")
    summary = generate_bench_landing(
        root / "landing", PLAN, baseline_csv=root / "all.csv", workers=1, villages=VILLAGES
    )
    return root, summary


@pytest.fixture(scope="module")
def rows():
    return build_bench_rows(PLAN, VILLAGES)


def test_the_files_hold_the_planned_rows(written):
    root, summary = written
    assert summary.rows == PLAN.rows
    assert summary.rows_by_period == {"2024-05": 2001, "2024-06": 2000}
    files = sorted(p for p in (root / "landing").rglob("*") if p.is_file())
    assert len(files) == summary.files
    assert sum(p.stat().st_size for p in files) == summary.bytes
    assert sum(summary.files_by_format.values()) == summary.files
    assert sum(summary.rows_by_format.values()) == PLAN.rows
    for path in files:  # <period>/<kode_desa>/verfak_<period>_<kode plain>.csv|.xlsx
        period, kode_desa = path.parent.parent.name, path.parent.name
        assert path.stem == f"verfak_{period}_{kode_desa.replace('.', '')}"


def test_the_defects_are_the_nine_kinds_in_the_planned_numbers(written):
    _, summary = written
    wanted = round(PLAN.rows * PLAN.bad_share)
    assert set(summary.defects_by_kind) == set(DEFECT_RULES)
    assert sum(summary.defects_by_kind.values()) == wanted
    assert max(summary.defects_by_kind.values()) - min(summary.defects_by_kind.values()) <= 1
    assert sum(summary.expected_quarantined_by_period.values()) == wanted
    for period, count in summary.rows_by_period.items():
        assert (
            summary.expected_loaded_by_period[period] + summary.expected_quarantined_by_period[period]
            == count
        )
        assert summary.expected_layak_by_period[period] < summary.expected_loaded_by_period[period]


def test_the_baseline_csv_is_the_in_memory_frame(written, rows):
    root, _ = written
    with open(root / "all.csv", newline="", encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    assert lines[0] == list(COLUMNS)
    assert len(lines) == PLAN.rows + 1
    frame = pd.DataFrame(lines[1:], columns=list(COLUMNS))
    expected = rows[list(COLUMNS)].astype(str)
    pd.testing.assert_frame_equal(frame.astype(str), expected.reset_index(drop=True), check_dtype=False)


def test_each_defect_breaks_its_rule_and_identifiers_are_unique(rows):
    clean = rows[rows["defect"] == ""]
    for period, of_period in clean.groupby("period"):
        assert of_period["nik"].is_unique, period
        assert of_period["nik"].str.fullmatch(r"\d{16}").all()
        # a family card belongs to one village
        assert (of_period.groupby("no_kk")["kode_desa"].nunique() == 1).all()
    checks = {
        "nik_15_digit": lambda r, _: len(r["nik"]) == 15,
        "nik_serial_0000": lambda r, _: r["nik"].endswith("0000"),
        "nik_tanggal_mustahil": lambda r, _: r["nik"][6:8] == "35",
        "nama_kosong": lambda r, _: r["nama"] == "",
        "jenis_kelamin_tidak_dikenal": lambda r, _: r["jenis_kelamin"] == "X",
        "tanggal_lahir_mustahil": lambda r, _: r["tanggal_lahir"].endswith("-02-31"),
        "status_tidak_dikenal": lambda r, _: r["status_verifikasi"] == "lyak",
        "alasan_kosong": lambda r, _: r["status_verifikasi"] == "tidak_layak" and r["alasan"] == "",
        "baris_ganda": lambda r, above: above is not None
        and list(r[list(COLUMNS)]) == list(above[list(COLUMNS)]),
    }
    seen = Counter()
    for i in rows.index[rows["defect"] != ""]:
        row = rows.loc[i]
        same_file = i and (rows.loc[i - 1, ["period", "village"]] == row[["period", "village"]]).all()
        above = rows.loc[i - 1] if same_file else None
        assert checks[row["defect"]](row, above), (row["defect"], i)
        seen[row["defect"]] += 1
    assert set(seen) == set(DEFECT_RULES)

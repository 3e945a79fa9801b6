"""The benchmark of issue #7, small: it runs end to end and its JSON adds up.

A few thousand rows through the same code as ``make bench`` (generator, COPY baseline, the three
stages in their own processes, DAG parse probe, report), against the session's test warehouse
instead of a ``verfak_bench`` database. No timing assertions: the figures are the benchmark's
business; this keeps it from rotting.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.run import CYCLE, format_report, run

ROWS = 3000


def test_bench_runs_end_to_end_and_every_row_is_accounted_for(warehouse, tmp_path):
    lines: list[str] = []
    report = run(
        [
            "--rows",
            str(ROWS),
            "--second-size",
            "0",
            "--database-uri",
            warehouse.uri,
            "--copy-repeats",
            "1",
            "--dag-parse-repeats",
            "1",
            "--work-dir",
            str(tmp_path / "work"),
            "--results-dir",
            str(tmp_path / "results"),
        ],
        log=lines.append,
    )

    saved = json.loads((tmp_path / "results" / "latest.json").read_text())
    assert saved["sizes"][0]["rows"] == ROWS
    assert [p.name for p in (tmp_path / "results").glob("*.json") if p.name != "latest.json"]
    (size,) = saved["sizes"]

    generated = size["generate"]["result"]
    assert generated["rows"] == ROWS
    assert generated["files"] > 150
    assert set(generated["rows_by_format"]) == {"csv_comma", "csv_semicolon", "xlsx", "xlsx_title_block"}
    bad = sum(generated["expected_quarantined_by_period"].values())
    assert bad == ROWS // 100
    assert set(generated["defects_by_kind"]) == {
        "alasan_kosong",
        "baris_ganda",
        "jenis_kelamin_tidak_dikenal",
        "nama_kosong",
        "nik_15_digit",
        "nik_serial_0000",
        "nik_tanggal_mustahil",
        "status_tidak_dikenal",
        "tanggal_lahir_mustahil",
    }

    baseline = size["baseline"]
    assert baseline["rows"] == ROWS
    assert baseline["seconds"] > 0
    assert baseline["pandas_read_csv_seconds"] > 0

    for stage in CYCLE:
        result = size["stages"][stage]
        assert not result.get("aborted"), stage
        assert result["rows"] > 0, stage
        assert result["seconds"] > 0, stage
        assert result["rows_per_second"] > 0, stage
        assert result["peak_rss_tree_mib"] > 0, stage
        assert result["ratio_to_copy"] > 0, stage
        assert result["steps"], stage
    assert size["stages"]["ingest"]["rows"] == ROWS
    assert size["stages"]["validate_load"]["rows"] == ROWS
    (period,) = size["stages"]["validate_load"]["result"]["periods"]
    assert (period["rows_validated"], period["rows_quarantined"]) == (ROWS, bad)
    assert period["rows_loaded"] == ROWS - bad
    cycle = size["cycle"]
    assert cycle["seconds"] == round(sum(size["stages"][s]["seconds"] for s in CYCLE), 3)
    assert cycle["ratio_to_copy"] > 0

    floor = size["floor"]
    assert floor["files"] == generated["files"]
    assert floor["result"]["core_rows"] == ROWS - bad
    assert set(floor["result"]["programs"]) == set(size["stages"]["publish"]["result"]["programs"])
    for program, written in floor["result"]["programs"].items():
        assert written["rows"] == size["stages"]["publish"]["result"]["programs"][program], program
    assert abs(floor["seconds"] - sum(floor["steps"].values())) < 1e-3
    assert all(v > 0 for v in floor["steps"].values())
    # both figures are rounded in the JSON: the ratio was taken before rounding
    assert cycle["ratio_to_floor"] == pytest.approx(cycle["seconds"] / floor["seconds"], rel=2e-3, abs=0.006)

    # Issue #15: after the load, one village resubmits with 50 rows changed; only its batch is redone.
    resubmission = size["resubmission"]
    r = resubmission["result"]
    assert resubmission["ok"]
    assert r["ingest_status"] == "accepted"
    assert r["rows_changed"] == min(50, r["rows"])
    assert r["changed_in_core"] == r["expected_changed_in_core"] > 0
    assert r["core_rows_after"] == r["core_rows_before"] == ROWS - bad
    assert 0 < r["seconds_to_core"] <= r["seconds_to_feedback"]
    assert resubmission["peak_rss_tree_mib"] > 0
    (batch,) = r["batches"]
    assert batch["villages_changed"] == 1
    assert batch["villages_touched"] == 1
    assert batch["rows_validated"] == r["rows"]
    assert r["feedback_file_written"]
    assert resubmission["steps"]
    assert {"resubmission_seconds", "resubmission_peak_mib"} <= set(saved["targets"])

    checks = size["accounting"]["checks"]
    assert size["accounting"]["ok"], {k: v for k, v in checks.items() if not v["ok"]}
    assert len(checks) >= 10

    parse = saved["dag_parse"]["files"]
    assert set(parse) == {p.name for p in (Path(__file__).resolve().parents[2] / "dags").glob("verfak_*.py")}
    assert all(f["seconds"] > 0 and f["import_errors"] == [] for f in parse.values())

    assert set(saved["targets"]) >= {
        "cycle_ratio_to_copy",
        "cycle_ratio_to_floor",
        "peak_mib",
        "dag_parse_seconds",
    }
    printed = "\n".join(lines)
    assert "whole cycle" in printed
    assert "COPY baseline" in printed
    assert "the floor" in printed
    assert "resubmission: village" in printed
    assert format_report(report).strip() in printed

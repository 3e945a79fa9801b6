"""The whole pipeline, in-process, on the built-in sample data against PostgreSQL.

One run of the sample is shared by the tests of this module (it takes ~20 s); the tests only read.
"""

from __future__ import annotations

import json

import openpyxl
import pandas as pd
import psycopg2
import pyarrow.parquet as pq
import pytest

from tests.conftest import isolated_run
from tests.helpers import (
    EXPORT_DATE,
    SAMPLE_DEFECT_RULE,
    copy_landing,
    run_all,
    run_ingest,
    run_publish,
    run_validate_load,
)
from verfak.exports import verify_export
from verfak.summary import table_counts


@pytest.fixture(scope="module")
def sample_run(warehouse_uri, sample_landing, tmp_path_factory):
    landing_src, summary = sample_landing
    root = tmp_path_factory.mktemp("run")
    with isolated_run(warehouse_uri, root):
        copy_landing(landing_src, root / "landing")
        ingested, loaded, published = run_all(root / "landing")
        counts_after_first = table_counts()
        # The same data again: nothing new is found, every stage is a no-op, publish replaces the day.
        again = run_all(root / "landing")
        yield {
            "root": root,
            "summary": summary,
            "ingested": ingested,
            "loaded": loaded,
            "published": published,
            "counts_first": counts_after_first,
            "counts_second": table_counts(),
            "again": again,
        }


def q(uri, sql, params=None):
    with psycopg2.connect(uri) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    conn.close()
    return rows


def test_every_file_and_row_is_accounted_for(sample_run, warehouse_uri):
    summary = sample_run["summary"]
    assert len(sample_run["ingested"]) == len(summary.files) == 374
    assert {o["status"] for o in sample_run["ingested"]} == {"accepted"}
    ((files, read, passed, rejected),) = q(
        warehouse_uri,
        "SELECT count(*), sum(rows_read), sum(rows_passed), sum(rows_rejected) FROM raw.submission_file",
    )
    assert files == 374
    assert read == sum(summary.rows_by_period.values()) == passed + rejected
    assert q(warehouse_uri, "SELECT count(*) FROM raw.submission_row")[0][0] == read


def test_verified_counts_match_bekasi_figures(sample_run, warehouse_uri):
    by_period = {o["period"]: o for o in sample_run["loaded"]}
    assert by_period["2024-05"]["layak"] == 1144
    assert by_period["2024-06"]["layak"] == 1121
    mart = dict(q(warehouse_uri, "SELECT periode, sum(layak) FROM mart.verified_count GROUP BY 1"))
    assert mart == {"2024-05": 1144, "2024-06": 1121}
    kecamatan = q(
        warehouse_uri,
        "SELECT count(DISTINCT kode_kecamatan), sum(layak) FROM mart.verified_count_kecamatan "
        "WHERE periode = '2024-06'",
    )
    assert kecamatan == [(23, 1121)]
    # June's change against May adds up to the regency's change.
    assert (
        q(warehouse_uri, "SELECT sum(layak_change) FROM mart.verified_count WHERE periode = '2024-06'")[0][0]
        == -23
    )


def test_each_bad_sample_row_is_quarantined_by_its_rule(sample_run, warehouse_uri):
    issues = q(
        warehouse_uri,
        """SELECT f.periode, f.kode_desa, i.source_row, i.rule_id, i.severity
             FROM quality.row_issue i JOIN raw.submission_file f USING (file_id)""",
    )
    errors = {(p, d, r, rule) for p, d, r, rule, sev in issues if sev == "error"}
    expected = {
        (b.period, b.kode_desa, b.source_row, SAMPLE_DEFECT_RULE[b.rule])
        for b in sample_run["summary"].bad_rows
    }
    assert expected <= errors
    # No valid row is held out: exactly the bad rows fail.
    assert {(p, d, r) for p, d, r, _ in errors} == {(p, d, r) for p, d, r, _ in expected}
    quarantined = q(warehouse_uri, "SELECT count(*) FROM staging.verifikasi WHERE has_error")[0][0]
    assert quarantined == len(expected)


def test_people_moving_in_are_warned_but_counted(sample_run, warehouse_uri):
    rows = q(
        warehouse_uri,
        """SELECT v.status_verifikasi, v.has_warning FROM quality.row_issue i
             JOIN raw.submission_file f USING (file_id)
             JOIN core.verifikasi v ON v.file_id = i.file_id AND v.source_row = i.source_row
            WHERE i.rule_id = 'nik_luar_bekasi'""",
    )
    assert len(rows) == 10  # 5 people from outside 32.16, in both periods
    assert all(status == "layak" and warned for status, warned in rows)


def test_feedback_names_row_column_value_and_message(sample_run):
    summary = sample_run["summary"]
    bad = next(b for b in summary.bad_rows if b.rule == "nik_15_digit" and b.period == "2024-06")
    path = sample_run["root"] / "exports" / "feedback" / "2024-06" / f"{bad.kode_desa}.csv"
    lines = pd.read_csv(path, sep=";", dtype="str", encoding="utf-8-sig")
    line = lines[lines["kode_aturan"] == "nik_16_digit"].iloc[0]
    assert int(line["baris"]) == bad.source_row
    assert line["kolom"] == "nik"
    assert len(line["nilai_dikirim"]) == 15
    assert line["pesan"].startswith("NIK harus 16 digit")
    assert line["tingkat"] == "ditolak"


def test_cash_aid_export_has_every_verified_person(sample_run, warehouse_uri):
    folder = sample_run["root"] / "exports" / "bantuan_tunai" / EXPORT_DATE.isoformat()
    assert (
        sample_run["root"] / "exports" / "bantuan_tunai" / "LATEST"
    ).read_text().strip() == EXPORT_DATE.isoformat()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["row_count"] == 1121
    assert manifest["period"] == "2024-06"
    assert verify_export(folder) == []
    csv_rows = pd.read_csv(folder / "referrals.csv", dtype="str")
    expected = {
        n
        for (n,) in q(
            warehouse_uri,
            "SELECT nik FROM core.verifikasi WHERE period = '2024-06-01' AND status_verifikasi = 'layak'",
        )
    }
    assert set(csv_rows["nik"]) == expected
    assert len(csv_rows) == 1121
    table = pq.read_table(folder / "referrals.parquet")
    assert str(table.schema.field("nik").type) == "string"
    assert str(table.schema.field("tanggal_lahir").type) == "date32[day]"
    assert set(table.column("nik").to_pylist()) == expected
    sheet = openpyxl.load_workbook(folder / "referrals.xlsx", read_only=False).active
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["referral_id", "status_rujukan", "periode"]
    assert "nik" in header
    nik_cells = [row[header.index("nik")] for row in sheet.iter_rows(min_row=2)]
    assert len(nik_cells) == 1121
    assert all(c.data_type == "s" and c.number_format == "@" and len(c.value) == 16 for c in nik_cells)


def test_rerun_changes_nothing(sample_run):
    ingested, loaded, _ = sample_run["again"]
    assert ingested == []
    assert loaded == []
    assert sample_run["counts_second"] == sample_run["counts_first"]


def test_corrected_resubmission_supersedes_and_replaces_the_period(warehouse, sample_landing):
    landing_src, summary = sample_landing
    copy_landing(landing_src, warehouse.landing)
    run_all(warehouse.landing)
    bad = next(
        b
        for b in summary.bad_rows
        if b.rule == "nama_kosong" and b.period == "2024-06" and b.file_name.endswith(".csv")
    )
    original = warehouse.landing / "2024-06" / bad.kode_desa / bad.file_name
    lines = original.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    import csv
    import io

    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    records = list(csv.reader(io.StringIO("".join(lines)), delimiter=delimiter))
    records[bad.source_row - 1][2] = "Siti Rahmawati"  # column 3 is nama in the sample files
    corrected = warehouse.landing / "2024-06" / bad.kode_desa / ("perbaikan_" + bad.file_name)
    with corrected.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(records)
    import os

    later = original.stat().st_mtime + 60
    os.utime(corrected, (later, later))

    outcomes = run_ingest(warehouse.landing)
    assert [o["status"] for o in outcomes] == ["accepted"]
    files = warehouse.query(
        "SELECT file_name, superseded_by IS NOT NULL FROM raw.submission_file WHERE periode = '2024-06' AND kode_desa = %s "
        "ORDER BY file_id",
        (bad.kode_desa,),
    )
    assert files == [(bad.file_name, True), (corrected.name, False)]
    loaded = run_validate_load()
    assert [o["period"] for o in loaded] == ["2024-06"]
    assert loaded[0]["layak"] == 1122  # the corrected row now counts
    assert (
        warehouse.scalar(
            "SELECT count(*) FROM core.verifikasi WHERE period = '2024-05-01' AND status_verifikasi = 'layak'"
        )
        == 1144
    )  # May untouched
    # Both files stay in raw for audit; the feedback no longer lists the fixed row.
    assert (
        warehouse.scalar(
            "SELECT count(DISTINCT file_id) FROM raw.submission_row r JOIN raw.submission_file f "
            "USING (file_id) WHERE f.kode_desa = %s AND f.periode = '2024-06'",
            (bad.kode_desa,),
        )
        == 2
    )
    assert not (warehouse.exports / "feedback" / "2024-06" / f"{bad.kode_desa}.csv").exists()
    run_publish()
    manifest = json.loads((warehouse.exports / "bantuan_tunai" / "2024-07-01" / "manifest.json").read_text())
    assert manifest["row_count"] == 1122


def test_the_sample_villages_deliver_mostly_on_time(sample_run, warehouse_uri):
    """The files' modification times are their delivery: most by the 17th of the period's month, a few late."""
    from devdata.sample_data import LATE_VILLAGES

    rows = q(
        warehouse_uri,
        """SELECT periode, expected, received, on_time, late, missing
                                 FROM mart.completeness_kabupaten ORDER BY period""",
    )
    assert rows == [("2024-05", 187, 187, 182, 5, 0), ("2024-06", 187, 187, 179, 8, 0)]
    assert {r[0]: r[4] for r in rows} == LATE_VILLAGES
    delivered = sample_run["summary"].delivered_at
    assert len(delivered) == 374
    assert all(str(path).startswith(m.strftime("%Y-%m")) for path, m in delivered.items())


def _jump_flags(uri) -> list[tuple]:
    return q(
        uri,
        "SELECT periode, kode_desa FROM quality.village_flag WHERE rule_id = 'jumlah_layak_melonjak' ORDER BY 1, 2",
    )


def test_the_periods_give_the_same_flags_whatever_order_airflow_runs_them(
    warehouse_uri, sample_landing, tmp_path_factory
):
    """Airflow does not promise to run the mapped periods of verfak_validate_load in order. The task
    of the later period loads the earlier one first, so its layak-jump checks have their history."""
    from verfak.pipeline import ValidateLoad

    flags = {}
    for order in ("in order", "reversed"):
        root = tmp_path_factory.mktemp(order.replace(" ", "_"))
        with isolated_run(warehouse_uri, root):
            copy_landing(sample_landing[0], root / "landing")
            run_ingest(root / "landing")
            periods = ValidateLoad.find_pending_periods()
            assert periods == ["2024-05", "2024-06"]
            tasks = periods if order == "in order" else list(reversed(periods))  # 2024-06's task first
            outcomes = ValidateLoad.finish([ValidateLoad.validate_and_load(p) for p in tasks])
            assert [o["period"] for o in outcomes] == periods
            assert all(o["rows_validated"] > 0 for o in outcomes)
            flags[order] = _jump_flags(warehouse_uri)
    assert flags["in order"], "the sample has villages whose layak count jumps in 2024-06"
    assert flags["reversed"] == flags["in order"]

"""End to end through Airflow: the three DAGs run with `airflow dags test` against PostgreSQL.

A metadata database of its own (``airflow_test_<pid>``) and the session's test warehouse keep
these runs out of the ones `make run` shows in the UI. Then the same three DAGs run again and
every warehouse table must keep its row count.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess

import pandas as pd
import pytest

from tests.helpers import AIRFLOW, ROOT, airflow_metadata_env, copy_landing
from verfak.exports import verify_export

pytestmark = pytest.mark.airflow


@pytest.fixture(scope="module")
def airflow_env(warehouse_uri, tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow_home")
    data = tmp_path_factory.mktemp("data")
    with airflow_metadata_env(
        warehouse_uri,
        f"airflow_test_{os.getpid()}",
        home,
        ROOT / "dags",
        VERFAK_LANDING_DIR=str(data / "landing"),
        VERFAK_EXPORT_DIR=str(data / "exports"),
        VERFAK_REPORT_DIR=str(data / "reports"),
    ) as env:
        yield env, data


def dag_test(env: dict, dag_id: str) -> str:
    """Run one DAG through Airflow; return its log; fail with the log's tail if the run failed."""
    result = subprocess.run([AIRFLOW, "dags", "test", dag_id], env=env, capture_output=True, text=True)
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"{dag_id} failed:\n{log[-4000:]}"
    assert "state=success" in log, f"{dag_id} failed:\n{log[-4000:]}"
    return log


def test_three_dags_from_landing_zone_to_exports_and_rerun_is_a_no_op(airflow_env, warehouse, sample_landing):
    env, data = airflow_env
    landing_src, _summary = sample_landing
    copy_landing(landing_src, data / "landing")
    # A file a village could not have meant: kept, registered as rejected, the run goes on.
    broken = data / "landing" / "2024-06" / "32.16.01.2001" / "scan_formulir.xlsx"
    broken.write_bytes(b"%PDF-1.4 not a spreadsheet")

    logs = {
        dag_id: dag_test(env, dag_id)
        for dag_id in ("verfak_ingest", "verfak_validate_load", "verfak_publish")
    }

    assert warehouse.scalar("SELECT count(*) FROM raw.submission_file WHERE status = 'accepted'") == 374
    rejected = warehouse.query("SELECT path, reject_code FROM raw.submission_file WHERE status = 'rejected'")
    assert rejected == [("2024-06/32.16.01.2001/scan_formulir.xlsx", "file_pdf")]
    assert broken.exists()
    layak = dict(warehouse.query("SELECT periode, sum(layak) FROM mart.verified_count GROUP BY 1"))
    assert layak == {"2024-05": 1144, "2024-06": 1121}

    export_root = data / "exports" / "bantuan_tunai"
    day = (export_root / "LATEST").read_text().strip()
    folder = export_root / day
    assert verify_export(folder) == []
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["row_count"] == 1121
    assert manifest["dag_run_id"].startswith("manual__")
    referrals = pd.read_csv(folder / "referrals.csv", dtype="str")
    assert len(referrals) == 1121
    assert referrals["nik"].str.fullmatch(r"\d{16}").all()
    assert dt.date.fromisoformat(day) >= dt.date(2024, 7, 1)

    # Task logs say what happened without personal data.
    nik_sample = {r["nik"] for r in referrals.head(50).to_dict("records")}
    all_logs = "\n".join(logs.values())
    assert not any(nik in all_logs for nik in nik_sample)
    assert "375 new or changed file(s)" in logs["verfak_ingest"]  # 374 sample files and the broken one
    assert "ingest run: 375 file(s): 374 accepted, 1 rejected" in logs["verfak_ingest"]
    assert (
        "period 2024-06 loaded: batch of 187 village(s) (187 with a new file): 1170 validated"
        in logs["verfak_validate_load"]
    )
    assert "the period now has 1161 in core (1121 layak)" in logs["verfak_validate_load"]

    # The village with the broken file is told, in its feedback for the period.
    feedback = pd.read_csv(
        data / "exports" / "feedback" / "2024-06" / "32.16.01.2001.csv",
        sep=";",
        dtype="str",
        encoding="utf-8-sig",
    )
    assert "file_pdf" in set(feedback["kode_aturan"])

    before = warehouse.table_counts()
    for dag_id in ("verfak_ingest", "verfak_validate_load", "verfak_publish"):
        dag_test(env, dag_id)
    assert warehouse.table_counts() == before

    # Issue 13: the agencies answer (the sample's return files for these exports), through
    # verfak_tindak_lanjut, then verfak_publish: the marts and the next exports reflect it.
    from devdata.sample_returns import write_sample_returns

    assert sorted(write_sample_returns(data / "landing", data / "exports")) == [
        "bantuan_tunai",
        "pelatihan",
        "permodalan",
    ]
    returns_log = dag_test(env, "verfak_tindak_lanjut")
    assert "return files: 3: 3 accepted, 0 rejected" in returns_log
    dag_test(env, "verfak_publish")
    funnel = dict(warehouse.query("SELECT program, sum(dijawab)::int FROM mart.outcome_funnel GROUP BY 1"))
    assert funnel == {"bantuan_tunai": 1073, "pelatihan": 41, "permodalan": 12}
    assert dict(warehouse.query("SELECT periode, sum(layak) FROM mart.verified_count GROUP BY 1")) == layak
    capital = pd.read_csv(
        data / "exports" / "permodalan" / day / "referrals.csv", dtype="str", keep_default_na=False
    )
    graduates = {
        n
        for (n,) in warehouse.query(
            "SELECT nik FROM publish.referral_status WHERE program = 'pelatihan' AND status = 'selesai'"
        )
    }
    assert len(capital) == 194
    assert set(capital["nik"].head(12)) <= graduates
    assert (capital["status_tindak_lanjut"] == "dana_cair").sum() == 4
    cash = pd.read_csv(folder / "referrals.csv", dtype="str", keep_default_na=False)
    assert len(cash) == 1121
    assert (cash["status_tindak_lanjut"] == "dibayar").sum() == 1061
    assert (data / "exports" / "tindak_lanjut_umpan_balik" / "pelatihan").is_dir()
    assert not any(nik in returns_log for nik in nik_sample)

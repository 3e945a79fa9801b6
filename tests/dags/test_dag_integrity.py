"""Policy checks on every DAG: it imports, parses fast without heavy imports, and is documented.

Loaded once per session through Airflow's own DagBag (the same code the dag-processor runs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAG_FOLDER = ROOT / "dags"
EXPECTED_DAGS = {"verfak_ingest", "verfak_validate_load", "verfak_publish", "verfak_tindak_lanjut"}


@pytest.fixture(scope="session")
def dagbag():
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAG_FOLDER))


def test_every_dag_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert set(dagbag.dag_ids) == EXPECTED_DAGS


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAGS))
def test_dag_is_documented_owned_and_retried(dagbag, dag_id):
    dag = dagbag.get_dag(dag_id)
    assert dag.doc_md
    assert dag.doc_md.strip().startswith(f"### {dag_id}")
    assert "verfak" in dag.tags
    assert len(dag.tags) >= 2
    assert dag.max_active_runs == 1
    assert not dag.catchup
    for task in dag.tasks:
        assert task.owner == "dinsos-data", task.task_id
        assert task.retries >= 1, task.task_id
        assert task.on_failure_callback, task.task_id


@pytest.mark.parametrize("dag_id", sorted(EXPECTED_DAGS))
def test_dag_runs_the_steps_of_its_pipeline_in_order(dagbag, dag_id):
    """The DAG's tasks are the steps of verfak.pipeline (the one place the order is written), with
    exactly the dependencies written there (``upstream``: each step after the one before it, or
    the class's ``AFTER``), every task after the tasks it depends on in ``STEPS``, and each step is
    a function there."""
    from verfak.pipeline import PIPELINES, upstream

    pipeline = PIPELINES[dag_id]
    dag = dagbag.get_dag(dag_id)
    assert {t.task_id for t in dag.tasks} == set(pipeline.STEPS)
    position = {step: i for i, step in enumerate(pipeline.STEPS)}
    for task in dag.tasks:
        assert all(position[u] < position[task.task_id] for u in task.upstream_task_ids), task.task_id
    for step in pipeline.STEPS:
        assert callable(getattr(pipeline, step)), step
    assert {t.task_id: set(t.upstream_task_ids) for t in dag.tasks} == upstream(pipeline)


def test_publish_refreshes_the_marts_beside_the_programs(dagbag):
    """Issue #15: the marts refresh and the programs' exports both follow the one ANALYZE of core
    and neither waits for the other (no program reads a mart); the alerts and the nightly report
    read the marts and the referrals, so they wait for both."""
    dag = dagbag.get_dag("verfak_publish")

    def before(task_id: str) -> set[str]:
        return dag.get_task(task_id).get_flat_relative_ids(upstream=True)

    assert dag.get_task("analyse_core").upstream_task_ids == set()
    assert dag.get_task("refresh_marts").upstream_task_ids == {"analyse_core"}
    assert dag.get_task("publish_program").upstream_task_ids == {"analyse_core"}
    assert "refresh_marts" not in before("publish_program") | before("finish")
    assert not {"publish_program", "finish"} & before("refresh_marts")
    for reader in ("alert_unanswered", "nightly_report"):
        assert {"analyse_core", "refresh_marts", "publish_program", "finish"} <= before(reader), reader


def test_dags_are_chained_by_assets(dagbag):
    ingest, load, publish = (
        dagbag.get_dag(d) for d in ("verfak_ingest", "verfak_validate_load", "verfak_publish")
    )
    produced = {
        dag_id: {a.name for t in dag.tasks for a in t.outlets}
        for dag_id, dag in (("ingest", ingest), ("load", load), ("publish", publish))
    }
    assert produced["ingest"] == {"verfak_raw_submissions"}
    assert produced["load"] == {"verfak_core_verifikasi"}
    assert "verfak_raw_submissions" in str(load.timetable.asset_condition)
    assert "verfak_core_verifikasi" in str(publish.timetable.asset_condition)
    outcomes = dagbag.get_dag("verfak_tindak_lanjut")
    assert {a.name for t in outcomes.tasks for a in t.outlets} == {"verfak_referral_outcomes"}
    assert "verfak_referral_outcomes" in str(publish.timetable.asset_condition)
    nightly = publish.timetable.timetable  # and nightly at 02:00 WIB
    assert (nightly.expression, str(nightly.timezone)) == ("0 2 * * *", "Asia/Jakarta")


def test_dag_files_parse_fast_without_heavy_imports():
    """Airflow re-parses DAG files every 30 s: each must parse in well under a second, without pandas or GX."""
    probe = f"""
import json, os, sys, time
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
from airflow.dag_processing.dagbag import DagBag
import airflow.sdk  # Airflow itself is loaded by the dag-processor before any file
results = {{}}
for path in sorted(os.listdir({str(DAG_FOLDER)!r})):
    if path.endswith(".py"):
        start = time.perf_counter()
        bag = DagBag(dag_folder=os.path.join({str(DAG_FOLDER)!r}, path))
        results[path] = [time.perf_counter() - start, sorted(bag.import_errors)]
heavy = [m for m in ("pandas", "great_expectations", "pyarrow", "openpyxl", "python_calamine") if m in sys.modules]
print(json.dumps({{"files": results, "heavy": heavy}}))
"""
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=os.environ
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(report["files"]) == {
        "verfak_ingest.py",
        "verfak_validate_load.py",
        "verfak_publish.py",
        "verfak_tindak_lanjut.py",
    }
    for name, (seconds, errors) in report["files"].items():
        assert errors == [], name
        assert seconds < 1.0, f"{name} took {seconds:.2f}s to parse"
    assert report["heavy"] == []

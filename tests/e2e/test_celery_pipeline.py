"""End to end with the CeleryExecutor: scheduler, Redis and two Celery workers, as `make airflow EXECUTOR=celery`.

Not `airflow dags test`: scripts/airflow_services.sh starts a real Redis (broker), api-server,
scheduler, dag-processor, triggerer and two `airflow celery worker`s (results in the metadata
DB), in a services folder of this test's own (VERFAK_SERVICES_DIR), on a UI port that is not
8080 (so the tasks only succeed if the workers call the execution API on the right port). The
three DAGs are unpaused; the scheduler runs verfak_ingest (its latest half-hour) and the Assets
chain verfak_validate_load and verfak_publish. A metadata database, landing/export/report folders
and the session's test warehouse of its own; scripts/stop.sh stops everything it started, also
when the test fails.

The landing zone is the sample's files of its first ``VILLAGES`` villages (both periods): each file
is a mapped task, and the whole sample's 374 files took 9 minutes through two workers on the
shared 2-core machine, too long for ``make test`` (the suite stays well under 15 minutes). The
expected figures come from the sample generator's own submissions of those villages.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

from tests.helpers import AIRFLOW, ROOT, airflow_metadata_env, copy_landing
from verfak.exports import verify_export

pytestmark = pytest.mark.airflow

DAGS = ("verfak_ingest", "verfak_validate_load", "verfak_publish")
PROGRAMS = ("bantuan_tunai", "pelatihan", "permodalan")
#: How many of the sample's villages go through Celery (the first ones by code; both periods).
VILLAGES = 12
PIPELINE_TIMEOUT_S = 600


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def celery_env(warehouse_uri, tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow_celery_home")
    data = tmp_path_factory.mktemp("celery_data")
    port = _free_port()
    with airflow_metadata_env(
        warehouse_uri,
        f"airflow_celery_{os.getpid()}",
        home,
        ROOT / "dags",
        VERFAK_LANDING_DIR=str(data / "landing"),
        VERFAK_EXPORT_DIR=str(data / "exports"),
        VERFAK_REPORT_DIR=str(data / "reports"),
        EXECUTOR="celery",
        AIRFLOW_UI_PORT=str(port),
        VERFAK_SERVICES_DIR=str(home / "services"),
        AIRFLOW__API__WORKERS="1",  # one uvicorn process is plenty for a test (2 cores)
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(_free_port()),  # not 8794: a `make airflow` may run
        PATH=f"{Path(AIRFLOW).parent}:{os.environ.get('PATH', '')}",
    ) as env:
        for name in (
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
            "AIRFLOW__CELERY__BROKER_URL",
            "AIRFLOW__CELERY__RESULT_BACKEND",
            "AIRFLOW_CONN_VERFAK_ALERT_WEBHOOK",
            "AIRFLOW_CONN_VERFAK_ALERT_SMTP",
        ):
            env.pop(name, None)  # derived by the script, or not wanted here
        yield env, data, port


def metadata_query(env: dict, sql: str, params=None) -> list[tuple]:
    uri = urlsplit(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    with psycopg2.connect(urlunsplit(uri._replace(scheme="postgresql"))) as conn, conn.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    conn.close()
    return rows


def service_pids(env: dict) -> dict[str, int]:
    pids = Path(env["VERFAK_SERVICES_DIR"]) / "pids"
    return {p.stem: int(p.read_text()) for p in sorted(pids.glob("*.pid"))}


def sessions_alive(session_ids: set[int]) -> list[str]:
    ps = subprocess.run(["ps", "-e", "-o", "pid=,sid=,args="], capture_output=True, text=True, check=True)
    return [line.strip() for line in ps.stdout.splitlines() if int(line.split()[1]) in session_ids]


def cpu_seconds(session_ids: set[int]) -> float:
    """CPU time (user + system) of the live processes of these sessions and of their reaped children."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) in session_ids:  # fields after the name: state ppid pgrp session ...
            total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return total / tick


def diagnostics(env: dict) -> str:
    runs = metadata_query(env, "SELECT dag_id, run_id, state FROM dag_run ORDER BY start_date NULLS LAST")
    states = metadata_query(
        env,
        """SELECT dag_id, task_id, state, hostname, count(*) FROM task_instance
                                     GROUP BY 1, 2, 3, 4 ORDER BY 1, 2""",
    )
    logs = Path(env["VERFAK_SERVICES_DIR"]) / "logs"
    tails = {p.name: p.read_text(errors="replace")[-1500:] for p in sorted(logs.glob("*.log"))}
    return f"runs: {runs}\ntask states: {states}\n" + "\n".join(f"--- {k}\n{v}" for k, v in tails.items())


def wait_for(what: str, check, env: dict, deadline: float, pause: float = 2.0):
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(pause)
    pytest.fail(f"timed out waiting for {what}\n{diagnostics(env)}")


def test_three_dags_through_scheduler_and_two_celery_workers(celery_env, warehouse, sample_landing):
    env, data, port = celery_env
    from devdata.sample_data import build_sample_submissions

    villages = sorted(p.name for p in (sample_landing[0] / "2024-06").iterdir())[:VILLAGES]
    for period_dir in sorted(sample_landing[0].iterdir()):
        for village in villages:
            copy_landing(period_dir / village, data / "landing" / period_dir.name / village)
    submissions = [s for s in build_sample_submissions() if s.village.kode_desa in villages]
    files = len(submissions)
    expected_layak = {
        period: sum(s.valid_layak() for s in submissions if s.period == period)
        for period in ("2024-05", "2024-06")
    }
    assert files == 2 * VILLAGES
    assert all(expected_layak.values())
    started = time.monotonic()
    deadline = started + PIPELINE_TIMEOUT_S
    sessions: set[int] = set()
    try:
        start = subprocess.run(
            [str(ROOT / "scripts" / "airflow_services.sh"), "start"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        sessions = set(service_pids(env).values())
        assert start.returncode == 0, start.stdout + start.stderr
        assert set(service_pids(env)) == {
            "redis",
            "api-server",
            "scheduler",
            "dag-processor",
            "triggerer",
            "celery-worker-1",
            "celery-worker-2",
        }
        # The execution API the task processes call follows the UI's port (not 8080); the environment
        # each service gets is checked in tests/test_services_script.py (Airflow's setproctitle
        # overwrites /proc/<pid>/environ, so it can't be read from the running services).
        assert (
            f"executor: CeleryExecutor; task execution API: http://localhost:{port}/execution/"
            in start.stdout
        )

        wait_for(
            "the dag-processor to register the three DAGs",
            lambda: len(metadata_query(env, "SELECT dag_id FROM dag WHERE dag_id = ANY(%s)", (list(DAGS),)))
            == 3,
            env,
            deadline,
        )
        unpause = subprocess.run(
            [AIRFLOW, "dags", "unpause", "--treat-dag-id-as-regex", "-y", "^verfak_"],
            env=env,
            capture_output=True,
            text=True,
        )
        assert unpause.returncode == 0, unpause.stdout + unpause.stderr

        def publish_done():
            failed = metadata_query(env, "SELECT dag_id, run_id FROM dag_run WHERE state = 'failed'")
            if failed:
                pytest.fail(f"run(s) failed: {failed}\n{diagnostics(env)}")
            return metadata_query(
                env,
                """SELECT run_id FROM dag_run WHERE dag_id = 'verfak_publish'
                                             AND run_type = 'asset_triggered' AND state = 'success'""",
            )

        wait_for("verfak_publish to succeed", publish_done, env, deadline, pause=3.0)
        pipeline_s = time.monotonic() - started

        # The chain ran through the scheduler (a scheduled ingest, Asset-triggered downstream), not `dags test`.
        # (Unpausing verfak_publish also makes the scheduler run its latest 02:00 run, on whatever is loaded.)
        runs = set(metadata_query(env, "SELECT dag_id, run_type FROM dag_run WHERE state = 'success'"))
        assert {
            ("verfak_ingest", "scheduled"),
            ("verfak_validate_load", "asset_triggered"),
            ("verfak_publish", "asset_triggered"),
        } <= runs, runs

        # Every task instance ran on one of the two workers, and both workers ran some.
        by_host = metadata_query(
            env,
            """SELECT dag_id, task_id, hostname, count(*) FROM task_instance
                                          WHERE state = 'success' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
        )
        host = socket.gethostname().split(".")[0]
        workers = {f"worker1.{host}", f"worker2.{host}"}
        per_worker = Counter()
        for _dag, _task, hostname, count in by_host:
            per_worker[hostname] += count
        print(
            f"\npipeline through Celery in {pipeline_s:.0f} s ({cpu_seconds(sessions):.0f} CPU s in the services);"
            f" task instances per worker: {dict(per_worker)}"
        )
        for row in by_host:
            print("  ", *row)
        assert set(per_worker) == workers, by_host
        assert sum(per_worker.values()) >= files + 2 + 2 + 3  # a task per file, each DAG's own tasks
        # Both workers took their tasks from this test's Redis.
        services = Path(env["VERFAK_SERVICES_DIR"])
        redis_port = (services / "redis" / "port").read_text().strip()
        for i in (1, 2):
            log = (services / "logs" / f"airflow-celery-worker-{i}.log").read_text()
            assert f"Connected to redis://:**@127.0.0.1:{redis_port}/0" in log, log[-2000:]
        # Celery kept its results in the metadata database (db+postgresql://), one per task instance.
        assert metadata_query(env, "SELECT count(*) FROM celery_taskmeta")[0][0] >= files

        # What the agencies get: each program's export of 2024-06, complete and consistent.
        assert warehouse.scalar("SELECT count(*) FROM raw.submission_file WHERE status = 'accepted'") == files
        layak = dict(warehouse.query("SELECT periode, sum(layak) FROM mart.verified_count GROUP BY 1"))
        assert layak == expected_layak
        for program in PROGRAMS:
            root = data / "exports" / program
            folder = root / (root / "LATEST").read_text().strip()
            assert verify_export(folder) == [], program
            manifest = json.loads((folder / "manifest.json").read_text())
            assert manifest["period"] == "2024-06", (program, manifest)
            if program == "bantuan_tunai":  # every verified person of the latest period
                assert manifest["row_count"] == expected_layak["2024-06"], manifest
        assert (data / "exports" / "feedback" / "2024-06").is_dir()
    finally:
        sessions |= (
            set(service_pids(env).values()) if (Path(env["VERFAK_SERVICES_DIR"]) / "pids").is_dir() else set()
        )
        stop = subprocess.run(
            [str(ROOT / "scripts" / "stop.sh")], env=env, capture_output=True, text=True, timeout=180
        )
    assert stop.returncode == 0, stop.stdout + stop.stderr
    assert sessions, sessions_alive(sessions)
    assert not sessions_alive(sessions), sessions_alive(sessions)
    assert not service_pids(env)

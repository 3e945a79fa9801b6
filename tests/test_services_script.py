"""What `make airflow` (scripts/airflow_services.sh) gives each service, and what `make stop` stops.

A stand-in ``airflow`` on PATH records its arguments and environment and sleeps, so these tests
need no metadata database and take seconds; the Celery variant starts the real Redis. The real
services run in tests/e2e/test_celery_pipeline.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STUB = """#!/bin/sh
echo "$*" > "$STUB_OUT/$$.args"
env > "$STUB_OUT/$$.tmp" && mv "$STUB_OUT/$$.tmp" "$STUB_OUT/$$.env"
exec sleep 300
"""


def run_services(
    tmp_path: Path, **extra: str
) -> tuple[subprocess.CompletedProcess, dict[str, dict[str, str]], Path]:
    stub_bin, out = tmp_path / "bin", tmp_path / "out"
    stub_bin.mkdir()
    out.mkdir()
    (stub_bin / "airflow").write_text(STUB)
    (stub_bin / "airflow").chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{stub_bin}:{Path(sys.executable).parent}:{os.environ['PATH']}",
        "STUB_OUT": str(out),
        "VERFAK_SERVICES_DIR": str(tmp_path / "services"),
        **extra,
    }
    for name in ("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "AIRFLOW__CELERY__BROKER_URL"):
        env.pop(name, None)
    start = subprocess.run(
        [str(ROOT / "scripts" / "airflow_services.sh")], env=env, capture_output=True, text=True, timeout=60
    )
    expected = 4 + (2 if extra.get("EXECUTOR") == "celery" else 0)
    deadline = time.monotonic() + 20
    while len(list(out.glob("*.env"))) < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    envs = {}  # "api-server --port 8093", "celery worker --celery-hostname worker1@...", ... -> environment
    for path in out.glob("*.env"):
        args = path.with_suffix(".args").read_text().strip()
        envs[args] = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return start, envs, tmp_path / "services"


def stop_services(services: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "VERFAK_SERVICES_DIR": str(services)}
    return subprocess.run(
        [str(ROOT / "scripts" / "stop.sh")], env=env, capture_output=True, text=True, timeout=120
    )


def alive(pids: list[int]) -> list[int]:
    ps = subprocess.run(["ps", "-e", "-o", "pid=,sid="], capture_output=True, text=True, check=True).stdout
    return [int(pid) for pid, sid in (line.split() for line in ps.splitlines()) if int(sid) in pids]


def test_ui_port_sets_the_execution_api_and_local_executor_starts_no_redis(tmp_path):
    start, envs, services = run_services(tmp_path, AIRFLOW_UI_PORT="8093", EXECUTOR="local")
    try:
        assert start.returncode == 0, start.stdout + start.stderr
        assert set(envs) == {"api-server --port 8093", "scheduler", "dag-processor", "triggerer"}, envs.keys()
        for name, environ in envs.items():
            assert environ["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://localhost:8093/execution/", (
                name
            )
            assert environ["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
            assert "AIRFLOW__CELERY__BROKER_URL" not in environ
        assert not (services / "pids" / "redis.pid").exists()
        assert not (services / "redis").exists()
    finally:
        pids = [int(p.read_text()) for p in (services / "pids").glob("*.pid")]
        stop = stop_services(services)
    assert stop.returncode == 0, stop.stdout
    assert "PostgreSQL" not in stop.stdout, stop.stdout
    assert len(pids) == 4
    assert not alive(pids)


@pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server not installed (scripts/ensure_redis.sh)"
)
def test_celery_gets_redis_two_named_workers_and_results_in_the_metadata_db(tmp_path):
    start, envs, services = run_services(
        tmp_path,
        EXECUTOR="celery",
        AIRFLOW_UI_PORT="18099",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="postgresql+psycopg2://u:p@127.0.0.1:5999/meta",
    )
    try:
        assert start.returncode == 0, start.stdout + start.stderr
        workers = sorted(args for args in envs if args.startswith("celery worker"))
        assert set(envs) - set(workers) == {
            "api-server --port 18099",
            "scheduler",
            "dag-processor",
            "triggerer",
        }
        assert len(workers) == 2
        assert "--celery-hostname worker1@" in workers[0]
        assert "--concurrency 2" in workers[0]
        assert "--celery-hostname worker2@" in workers[1]
        port = (services / "redis" / "port").read_text().strip()
        password = (services / "redis" / "password").read_text().strip()
        for name, environ in envs.items():
            assert environ["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
            assert environ["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://localhost:18099/execution/"
            assert environ["AIRFLOW__CELERY__BROKER_URL"] == f"redis://:{password}@127.0.0.1:{port}/0"
            assert environ["AIRFLOW__CELERY__RESULT_BACKEND"] == "db+postgresql://u:p@127.0.0.1:5999/meta"
        pids = {p.stem: int(p.read_text()) for p in (services / "pids").glob("*.pid")}
        assert set(pids) == {
            "redis",
            "api-server",
            "scheduler",
            "dag-processor",
            "triggerer",
            "celery-worker-1",
            "celery-worker-2",
        }
        # The two workers: distinct task-instance host names (verfak.hostname), each with its Celery node name.
        names = [envs[w]["VERFAK_WORKER_HOSTNAME"] for w in workers]
        assert names[0].startswith("worker1.")
        assert names[1].startswith("worker2.")
        assert {envs[w]["AIRFLOW__CORE__HOSTNAME_CALLABLE"] for w in workers} == {
            "verfak.hostname.worker_hostname"
        }
        ping = subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", port, "ping"],
            capture_output=True,
            text=True,
            env={**os.environ, "REDISCLI_AUTH": password},
        )
        assert ping.stdout.strip() == "PONG"
        # loopback only, a password, no persistence
        conf = (services / "redis" / "redis.conf").read_text()
        assert "bind 127.0.0.1" in conf
        assert 'save ""' in conf
        assert "appendonly no" in conf
        assert "requirepass" in conf
    finally:
        all_pids = [int(p.read_text()) for p in (services / "pids").glob("*.pid")]
        stop = stop_services(services)
    assert stop.returncode == 0, stop.stdout + stop.stderr
    assert len(all_pids) == 7
    assert not alive(all_pids)
    assert not list((services / "pids").glob("*.pid"))


def test_a_running_set_is_not_mixed_with_another_executor(tmp_path):
    start, _, services = run_services(tmp_path, EXECUTOR="local", AIRFLOW_UI_PORT="18098")
    try:
        assert start.returncode == 0, start.stderr
        again = subprocess.run(
            [str(ROOT / "scripts" / "airflow_services.sh")],
            capture_output=True,
            text=True,
            env={**os.environ, "VERFAK_SERVICES_DIR": str(services), "EXECUTOR": "celery"},
        )
        assert again.returncode != 0
        assert "make stop" in again.stderr
    finally:
        stop_services(services)

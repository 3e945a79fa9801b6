"""Through Airflow itself: a failing task raises the alert; the api-server serves the plugin's page.

A metadata database of its own (``airflow_ops_<pid>``) and the session's test warehouse, holding
the scenario of tests/ops/conftest.py.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.helpers import AIRFLOW, airflow_metadata_env
from tests.ops.conftest import EXPORT_DATE, ROOT, SCENARIO, query
from tests.ops.webhook import WebhookReceiver

pytestmark = pytest.mark.airflow


@pytest.fixture(scope="module")
def airflow_env(ops_run, tmp_path_factory):
    home = tmp_path_factory.mktemp("airflow_ops_home")
    with airflow_metadata_env(
        ops_run["uri"],
        f"airflow_ops_{os.getpid()}",
        home,
        ROOT / "tests" / "fixtures" / "dags",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
    ) as env:
        env.pop("AIRFLOW_CONN_VERFAK_ALERT_WEBHOOK", None)
        env.pop("AIRFLOW_CONN_VERFAK_ALERT_SMTP", None)
        yield env


def test_a_failing_task_raises_an_alert(airflow_env, ops_run, no_alerts):
    with WebhookReceiver() as hook:
        env = {**airflow_env, "AIRFLOW_CONN_VERFAK_ALERT_WEBHOOK": hook.url}
        result = subprocess.run(
            [AIRFLOW, "dags", "test", "verfak_test_failing"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    log = result.stdout + result.stderr
    assert "state=failed" in log or "failed" in log.lower(), log[-3000:]
    rows = query(
        ops_run["uri"],
        """SELECT kind, dag_id, run_id, task_id, try_number, error_type, message, log_url,
                                           channels FROM ops.alert WHERE dag_id = 'verfak_test_failing'""",
    )
    assert len(rows) == 1, log[-3000:]
    kind, _dag_id, run_id, task_id, try_number, error_type, message, log_url, channels = rows[0]
    assert (kind, task_id, try_number, error_type) == ("task_failed", "load_that_breaks", 1, "RuntimeError")
    assert run_id.startswith("manual__")
    assert message == "RuntimeError: duplicate key: NIK 3216************ already loaded for period 2024-06"
    assert "/dags/verfak_test_failing/runs/" in log_url
    assert log_url.endswith("/tasks/load_that_breaks?try_number=1")
    assert channels == ["log", "webhook"]
    (payload,) = hook.received
    assert payload["text"].startswith("ALERT task_failed: dag=verfak_test_failing run=manual__")
    # the task's log has the same line, with the NIK masked (the task's own traceback is Airflow's)
    alert_lines = [line for line in log.splitlines() if "ALERT task_failed: dag=verfak_test_failing" in line]
    assert alert_lines
    assert not any("3216015708900001" in line for line in alert_lines)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(
    url: str, token: str | None = None, cookie: str | None = None, body: dict | None = None
) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json"} if data else {}
    )
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if cookie:
        request.add_header("Cookie", f"_token={cookie}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture(scope="module")
def api_server(airflow_env, ops_run, tmp_path_factory):
    from verfak import report

    report.write_report(EXPORT_DATE, dag_run_id="manual__api-server-test")
    port = _free_port()
    folder = tmp_path_factory.mktemp("api_server")
    log_path = folder / "api-server.log"
    # A real login (not "every user is an admin", which lets anyone in): one user with a password.
    password = secrets.token_urlsafe(16)
    (folder / "passwords.json").write_text(json.dumps({"ops": password}))
    env = {
        **airflow_env,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "ops:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(folder / "passwords.json"),
    }
    with log_path.open("w") as log_file:
        server = subprocess.Popen(
            [AIRFLOW, "api-server", "--port", str(port), "--host", "127.0.0.1", "--workers", "1"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if server.poll() is not None:
                pytest.fail(f"api-server exited:\n{log_path.read_text()[-4000:]}")
            try:
                if _get(f"{base}/api/v2/monitor/health")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(1)
        else:
            pytest.fail(f"api-server did not answer in 180 s:\n{log_path.read_text()[-4000:]}")
        yield base, password
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the api-server and the workers it started (its own group)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_api_server_serves_the_plugin_page_behind_its_login(api_server):
    api_server, password = api_server
    for path in ("/verfak/api/completeness?period=2024-06", "/verfak/", "/verfak/reports/latest/"):
        assert _get(f"{api_server}{path}")[0] == 401, path  # no login, no numbers
    assert _get(f"{api_server}/verfak/", token="not-a-token")[0] in (401, 403)
    status, body = _get(f"{api_server}/auth/token", body={"username": "ops", "password": password})
    assert status in (200, 201), body
    token = json.loads(body)["access_token"]

    status, body = _get(f"{api_server}/verfak/api/completeness?period=2024-06", token=token)
    assert status == 200, body
    data = json.loads(body)
    assert [data["regency"][k] for k in ("expected", "received", "on_time", "late", "missing")] == [
        187,
        183,
        180,
        3,
        4,
    ]
    assert {v["kode_desa"] for v in data["villages"] if v["problem"] == "missing"} == set(
        SCENARIO["2024-06"]["missing"]
    )
    assert isinstance(data["dag_runs"], list)  # the api-server reads Airflow's metadata for the page

    # The page itself, with the UI's session cookie, as the iframe in the Airflow UI loads it.
    status, html = _get(f"{api_server}/verfak/?period=2024-06", cookie=token)
    assert status == 200
    assert '<div class="value" id="received">183 / 187</div>' in html
    assert 'href="/verfak/reports/latest/"' in html
    status, report_html = _get(f"{api_server}/verfak/reports/latest/", cookie=token)
    assert status == 200
    assert "nightly run report" in report_html

    # Airflow lists the plugin with its menu links (what the UI's navigation is built from).
    status, body = _get(f"{api_server}/api/v2/plugins", token=token)
    plugin = next(p for p in json.loads(body)["plugins"] if p["name"] == "verfak_operations")
    assert {v["url_route"] for v in plugin["external_views"]} == {"verfak-operations", "verfak-report"}
    assert plugin["fastapi_apps"][0]["url_prefix"] == "/verfak"


def test_a_missed_deadline_raises_an_alert_through_scheduler_and_triggerer(
    airflow_env, api_server, ops_run, tmp_path
):
    """The real path: the scheduler creates the run's Deadline and marks it missed, the triggerer
    imports verfak.alerts from the plugins folder and runs the callback."""
    base, _ = api_server
    env = {
        **airflow_env,
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base}/execution/",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
    }
    services = {}
    try:
        for name in ("dag-processor", "scheduler", "triggerer"):
            log_file = (tmp_path / f"{name}.log").open("w")
            services[name] = subprocess.Popen(
                [AIRFLOW, name], env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
            )
        trigger = None
        for _ in range(60):  # until the dag-processor has written the DAG
            trigger = subprocess.run(
                [AIRFLOW, "dags", "trigger", "verfak_test_deadline"], env=env, capture_output=True, text=True
            )
            if trigger.returncode == 0:
                break
            time.sleep(3)
        assert trigger is not None, trigger.stdout + trigger.stderr
        assert trigger.returncode == 0, trigger.stdout + trigger.stderr
        rows = []
        for _ in range(90):
            rows = query(
                ops_run["uri"],
                """SELECT kind, run_id, deadline_at, message, channels FROM ops.alert
                                             WHERE dag_id = 'verfak_test_deadline'""",
            )
            if rows:
                break
            time.sleep(2)
        logs = {name: (tmp_path / f"{name}.log").read_text()[-3000:] for name in services}
        assert rows, f"no deadline alert; logs:\n{logs}"
        ((kind, run_id, deadline_at, message, channels),) = rows
        assert kind == "deadline_missed"
        assert run_id.startswith("manual__")
        assert deadline_at is not None
        assert message.startswith("the run had not finished by ")
        assert "(state: " in message
        assert channels == ["log"]
    finally:
        for server in services.values():
            os.killpg(server.pid, signal.SIGTERM)
        for server in services.values():
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()

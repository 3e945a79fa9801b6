"""Alerts: the log line, the ops.alert row, webhook and e-mail, the publish deadline.

A real failing task run through Airflow is in test_airflow_alerts_and_ui.py; here the callbacks
get the context Airflow gives them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from types import SimpleNamespace

import pytest

from tests.ops.conftest import query
from tests.ops.webhook import WebhookReceiver
from verfak import alerts, dag_support

WIB = dt.timezone(dt.timedelta(hours=7))


def failure_context(exception: Exception) -> dict:
    ti = SimpleNamespace(
        dag_id="verfak_validate_load",
        task_id="validate_and_load",
        map_index=2,
        try_number=3,
        run_id="scheduled__2024-07-01T00:00:00+00:00",
        log_url="http://localhost:8080/dags/verfak_validate_load/runs/x/tasks/validate_and_load",
    )
    return {
        "ti": ti,
        "task_instance": ti,
        "run_id": ti.run_id,
        "exception": exception,
        "logical_date": dt.datetime(2024, 7, 1, tzinfo=dt.UTC),
    }


def alert_rows(uri: str) -> list[dict]:
    names = (
        "kind",
        "dag_id",
        "run_id",
        "task_id",
        "map_index",
        "try_number",
        "error_type",
        "message",
        "log_url",
        "channels",
        "notify_error",
        "deadline_at",
    )
    return [
        dict(zip(names, row))
        for row in query(uri, f"SELECT {', '.join(names)} FROM ops.alert ORDER BY alert_id")
    ]


def test_scrub_masks_ids_and_cuts_long_messages():
    text = "NIK 3216015708900001, KK 3216010101010001, HP 081234567890, row 12, period 2024-06"
    assert (
        alerts.scrub(text)
        == "NIK 3216************, KK 3216************, HP 0812********, row 12, period 2024-06"
    )
    assert len(alerts.scrub("x" * 5000)) == 1000


def test_failed_task_is_logged_and_recorded(warehouse_uri, no_alerts, caplog, monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_VERFAK_ALERT_WEBHOOK", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_VERFAK_ALERT_SMTP", raising=False)
    caplog.set_level(logging.INFO, logger="verfak.alerts")
    dag_support.on_task_failure(failure_context(KeyError("NIK 3216015708900001")))
    (row,) = alert_rows(warehouse_uri)
    assert row["kind"] == "task_failed"
    assert row["dag_id"] == "verfak_validate_load"
    assert (row["task_id"], row["map_index"], row["try_number"]) == ("validate_and_load", 2, 3)
    assert row["error_type"] == "KeyError"
    assert row["message"] == "KeyError: 'NIK 3216************'"
    assert row["log_url"].endswith("/tasks/validate_and_load")
    assert row["channels"] == ["log"]
    assert row["notify_error"] is None
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("ALERT"))
    assert line.startswith(
        "ALERT task_failed: dag=verfak_validate_load run=scheduled__2024-07-01T00:00:00+00:00 "
        "task=validate_and_load[2] try=3: KeyError"
    )
    assert "3216015708900001" not in caplog.text


@pytest.mark.parametrize("style", ["uri", "json"])
def test_webhook_gets_the_alert_when_its_connection_exists(warehouse_uri, no_alerts, monkeypatch, style):
    with WebhookReceiver() as hook:
        conn = hook.url if style == "uri" else json.dumps({"conn_type": "http", "host": hook.url})
        monkeypatch.setenv("AIRFLOW_CONN_VERFAK_ALERT_WEBHOOK", conn)
        dag_support.on_task_failure(failure_context(ValueError("boom")))
    (row,) = alert_rows(warehouse_uri)
    assert row["channels"] == ["log", "webhook"]
    assert row["notify_error"] is None
    (payload,) = hook.received
    assert hook.paths == ["/hooks/verfak"]
    assert payload["kind"] == "task_failed"
    assert payload["task_id"] == "validate_and_load"
    assert payload["text"].startswith("ALERT task_failed: dag=verfak_validate_load")


def test_a_webhook_that_fails_is_noted_and_the_alert_still_recorded(warehouse_uri, no_alerts, monkeypatch):
    with WebhookReceiver(status=500) as hook:
        monkeypatch.setenv("AIRFLOW_CONN_VERFAK_ALERT_WEBHOOK", hook.url)
        dag_support.on_task_failure(failure_context(ValueError("boom")))
    (row,) = alert_rows(warehouse_uri)
    assert row["channels"] == ["log"]
    assert row["notify_error"].startswith("webhook: HTTPError")


def test_email_when_the_smtp_connection_exists(warehouse_uri, no_alerts, monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout=None):
            self.host, self.port = host, port

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def ehlo(self):
            pass

        def has_extn(self, name):
            return False

        def login(self, user, password):
            self.user = user

        def send_message(self, message):
            sent.append((self.host, self.port, getattr(self, "user", None), message))

    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    monkeypatch.delenv("AIRFLOW_CONN_VERFAK_ALERT_WEBHOOK", raising=False)
    monkeypatch.setenv(
        "AIRFLOW_CONN_VERFAK_ALERT_SMTP",
        "smtp://alerts:secret@mail.dinsos.example:587?to=data%40dinsos.example%2Concall%40dinsos.example",
    )
    dag_support.on_task_failure(failure_context(ValueError("boom")))
    (row,) = alert_rows(warehouse_uri)
    assert row["channels"] == ["log", "email"]
    ((host, port, user, message),) = sent
    assert (host, port, user) == ("mail.dinsos.example", 587, "alerts")
    assert message["To"] == "data@dinsos.example, oncall@dinsos.example"
    assert message["Subject"] == "[verfak] task_failed: verfak_validate_load.validate_and_load"
    assert "ALERT task_failed" in message.get_content()


def test_an_unreachable_warehouse_still_gets_the_log_line(warehouse_uri, monkeypatch, caplog):
    monkeypatch.delenv("AIRFLOW_CONN_VERFAK_ALERT_WEBHOOK", raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_VERFAK_WAREHOUSE", "postgresql://nobody:x@127.0.0.1:1/none")
    caplog.set_level(logging.INFO, logger="verfak.alerts")
    dag_support.on_task_failure(failure_context(ConnectionError("warehouse down")))  # must not raise
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("ALERT task_failed") and "ConnectionError: warehouse down" in m for m in messages)
    assert any(m.startswith("ALERT could not be written to ops.alert") for m in messages)


def test_missed_publish_deadline_callback(warehouse_uri, no_alerts, monkeypatch):
    """The context is what Airflow's scheduler hands the triggerer (Deadline.handle_miss)."""
    monkeypatch.delenv("AIRFLOW_CONN_VERFAK_ALERT_WEBHOOK", raising=False)
    context = {
        "dag_run": {
            "dag_id": "verfak_publish",
            "dag_run_id": "scheduled__2024-06-30T19:00:00+00:00",
            "logical_date": "2024-06-30T19:00:00Z",
            "state": "running",
            "run_type": "scheduled",
        },
        "deadline": {"id": "0190", "deadline_time": "2024-06-30T23:00:00+00:00"},
    }
    result = asyncio.run(alerts.on_publish_deadline_missed(context=context))
    (row,) = alert_rows(warehouse_uri)
    assert result == {"alert_id": 1, "channels": ["log"]}
    assert row["kind"] == "deadline_missed"
    assert row["dag_id"] == "verfak_publish"
    assert row["task_id"] is None
    assert row["run_id"] == "scheduled__2024-06-30T19:00:00+00:00"
    assert row["deadline_at"] == dt.datetime(2024, 7, 1, 6, 0, tzinfo=WIB)
    assert row["message"].startswith("the run had not finished by 2024-07-01 06:00 WIB (state: running)")


def test_publish_dag_has_the_deadline(monkeypatch):
    from airflow.dag_processing.dagbag import DagBag
    from airflow.serialization.serialized_objects import DagSerialization

    from tests.ops.conftest import ROOT

    dag = DagBag(dag_folder=str(ROOT / "dags" / "verfak_publish.py")).get_dag("verfak_publish")
    (deadline,) = dag.deadline if isinstance(dag.deadline, list) else [dag.deadline]
    assert type(deadline.reference).__name__ == "DagRunLogicalDateDeadline"
    assert deadline.interval == dt.timedelta(hours=4)  # 02:00 WIB + 4 h = 06:00 WIB
    assert deadline.callback.path == "verfak.alerts.on_publish_deadline_missed"
    assert type(deadline.callback).__name__ == "AsyncCallback"  # runs in the triggerer
    serialized = json.dumps(DagSerialization.to_dict(dag), default=str)
    assert "verfak.alerts.on_publish_deadline_missed" in serialized
    assert "DagRunLogicalDateDeadline" in serialized
    assert [t.task_id for t in dag.tasks][-1] == "nightly_report"

    monkeypatch.setenv("VERFAK_PUBLISH_DEADLINE", "07:30")
    assert dag_support.publish_deadline("02:00").interval == dt.timedelta(hours=5, minutes=30)


@pytest.mark.parametrize(
    ("start", "finish", "hours"),
    [("02:00", "06:00", 4), ("22:00", "06:00", 8), ("02:00", "02:00", 24), ("02:00", "01:30", 23.5)],
)
def test_deadline_interval(start, finish, hours):
    assert dag_support.deadline_interval(start, finish) == dt.timedelta(hours=hours)


def test_deadline_interval_refuses_a_wrong_time():
    with pytest.raises(ValueError, match="HH:MM"):
        dag_support.deadline_interval("02:00", "25:00")


def test_run_deadline_of_a_nightly_and_an_asset_triggered_run():
    dag = SimpleNamespace(deadline=[dag_support.publish_deadline("02:00")])
    nightly = dt.datetime(2024, 6, 30, 19, 0, tzinfo=dt.UTC)  # 02:00 WIB
    assert dag_support.run_deadline({"dag": dag, "logical_date": nightly}) == dt.datetime(
        2024, 7, 1, 6, 0, tzinfo=WIB
    )
    assert dag_support.run_deadline({"dag": dag, "logical_date": None}) is None


def test_no_deadline_when_switched_off_or_inside_dags_test(monkeypatch):
    monkeypatch.setenv("VERFAK_PUBLISH_DEADLINE", "off")
    assert dag_support.publish_deadline("02:00") is None
    monkeypatch.delenv("VERFAK_PUBLISH_DEADLINE")
    # Airflow 3.3.2's `airflow dags test` crashes on a DAG with a deadline (apache/airflow#73428)
    monkeypatch.setattr("sys.argv", ["/opt/venv/bin/airflow", "dags", "test", "verfak_publish"])
    assert dag_support.publish_deadline("02:00") is None
    monkeypatch.setattr("sys.argv", ["/opt/venv/bin/airflow", "dag-processor"])
    assert dag_support.publish_deadline("02:00").interval == dt.timedelta(hours=4)

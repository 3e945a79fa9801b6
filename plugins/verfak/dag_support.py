"""What the three DAG files share: their Assets, default arguments, the failure alert and the deadline.

Kept light on purpose (no pandas, no Great Expectations): the scheduler imports it every time it
parses a DAG file.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from urllib.parse import urlsplit

from airflow.sdk import Asset

from verfak import config
from verfak.config import WAREHOUSE_CONN_ID

OWNER = "dinsos-data"


def _warehouse_location() -> str:
    """``host:port/db`` of the warehouse connection, for the Asset URIs (read from the environment only)."""
    uri = os.environ.get(f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}", "")
    parts = urlsplit(uri)
    if parts.hostname:
        return f"{parts.hostname}:{parts.port or 5432}{parts.path or '/verfak'}"
    return "warehouse:5432/verfak"


_WAREHOUSE = _warehouse_location()

#: Raw submissions registered (ingest -> validate-and-load).
RAW_SUBMISSIONS = Asset(name="verfak_raw_submissions", uri=f"postgres://{_WAREHOUSE}/raw/submission_row")
#: Verified people loaded into core (validate-and-load -> publish).
CORE_VERIFIKASI = Asset(name="verfak_core_verifikasi", uri=f"postgres://{_WAREHOUSE}/core/verifikasi")
#: Agency exports published.
REFERRAL_EXPORTS = Asset(name="verfak_referral_exports", uri=f"postgres://{_WAREHOUSE}/publish/export_run")
#: Outcomes reported back by the agencies recorded (tindak lanjut -> publish: exports show them,
#: program rules use them).
REFERRAL_OUTCOMES = Asset(
    name="verfak_referral_outcomes", uri=f"postgres://{_WAREHOUSE}/publish/referral_outcome"
)


def on_task_failure(context) -> None:
    """Alert on a task that failed for good: a log line, ops.alert, and e-mail/webhook when configured.

    The work is in ``verfak.alerts`` (imported here, at failure time only).
    """
    from verfak import alerts

    alerts.on_task_failure(context)


def on_task_start(context) -> None:
    """``on_execute_callback`` of every task: what the task writes is 0640 / 0750 at most (umask 027).

    The package's writers set it themselves too (``verfak.files.private_files``); this covers the
    rest of the task (a library's own files) in any deployment, whatever the worker's umask.
    """
    from verfak.files import set_private_umask

    set_private_umask()


def deadline_interval(starts_at: str, finish_by: str) -> timedelta:
    """Time from a nightly start (HH:MM) to the next ``finish_by`` (HH:MM), both in WIB.

    A ``finish_by`` at or before the start means the next day (start 22:00, finish by 06:00 = 8 h).
    """

    def minutes(text: str) -> int:
        hours, _, mins = text.strip().partition(":")
        value = int(hours) * 60 + int(mins or 0)
        if not (0 <= int(hours) < 24 and 0 <= int(mins or 0) < 60):
            raise ValueError(f"not a time of day (HH:MM): {text!r}")
        return value

    gap = (minutes(finish_by) - minutes(starts_at)) % (24 * 60)
    return timedelta(minutes=gap or 24 * 60)


def publish_deadline(starts_at: str):
    """The ``DeadlineAlert`` of verfak_publish: the nightly run must finish by 06:00 WIB.

    Measured from the run's logical date, which for the nightly cron run is its start time
    (``starts_at``, HH:MM WIB): the interval is the time from there to ``VERFAK_PUBLISH_DEADLINE``
    (default 06:00). Runs triggered by a load (Asset) have no logical date and so no deadline;
    a manual run gets the same interval after its logical date. A missed deadline calls
    ``verfak.alerts.on_publish_deadline_missed`` in the triggerer.

    None (no deadline) when ``VERFAK_PUBLISH_DEADLINE=off``, and inside ``airflow dags test``:
    Airflow 3.3.2's ``DAG.test()`` fails a successful run of any DAG with a deadline when it
    prunes the deadline at the end (apache/airflow#73428), and ``make run`` uses ``dags test``.
    """
    finish_by = config.settings().publish_deadline
    if finish_by is None or _inside_dags_test():
        return None

    # exported at run time, missing from airflow/sdk/__init__.pyi in Airflow 3.3.2
    from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference  # type: ignore[attr-defined]

    from verfak.alerts import on_publish_deadline_missed

    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_LOGICAL_DATE,
        interval=deadline_interval(starts_at, finish_by),
        callback=AsyncCallback(on_publish_deadline_missed),
        name=f"publish finished by {finish_by} WIB",
    )


def _inside_dags_test() -> bool:
    """True in the process of ``airflow dags test`` (see publish_deadline)."""
    argv = sys.argv
    return len(argv) >= 3 and os.path.basename(argv[0]) == "airflow" and argv[1:3] == ["dags", "test"]


def run_deadline(context):
    """When this run must finish by (its DeadlineAlert), or None for a run without one (Asset-triggered)."""
    logical_date = context.get("logical_date")
    deadline = getattr(context.get("dag"), "deadline", None)
    alerts = deadline if isinstance(deadline, (list, tuple)) else [deadline] if deadline else []
    intervals = [a.interval for a in alerts if isinstance(a.interval, timedelta)]
    if logical_date is None or not intervals:
        return None
    return logical_date + min(intervals)


DEFAULT_ARGS = {
    "owner": OWNER,
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    "on_failure_callback": on_task_failure,
    "on_execute_callback": on_task_start,
}


def run_date(context):
    """The day a run stands for, in Bekasi's time zone (asset-triggered runs have no logical date)."""
    import pendulum

    moment = context.get("logical_date") or context["dag_run"].run_after
    return pendulum.instance(moment).in_timezone("Asia/Jakarta").date()

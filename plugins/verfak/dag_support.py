"""What the three DAG files share: their Assets, default arguments and the failure callback.

Kept light on purpose (no pandas, no Great Expectations): the scheduler imports it every time it
parses a DAG file.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from urllib.parse import urlsplit

from airflow.sdk import Asset

from verfak.config import WAREHOUSE_CONN_ID

log = logging.getLogger("verfak.alerts")

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


def on_task_failure(context) -> None:
    """Log a clear line for a failed task (the alerting of issue #8 builds on this)."""
    ti = context.get("task_instance") or context.get("ti")
    log.error(
        "ALERT task failed: dag=%s task=%s run=%s try=%s: %s",
        getattr(ti, "dag_id", "?"), getattr(ti, "task_id", "?"), context.get("run_id"),
        getattr(ti, "try_number", "?"), type(context.get("exception")).__name__,
    )  # fmt: skip


DEFAULT_ARGS = {
    "owner": OWNER,
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    "on_failure_callback": on_task_failure,
}


def run_date(context):
    """The day a run stands for, in Bekasi's time zone (asset-triggered runs have no logical date)."""
    import pendulum

    moment = context.get("logical_date") or context["dag_run"].run_after
    return pendulum.instance(moment).in_timezone("Asia/Jakarta").date()

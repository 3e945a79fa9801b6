"""Alerts for the data engineers: a failed task, a nightly publish that missed its deadline, an
agency that left referrals unanswered past its program's ``response_days`` (``referral_unanswered``,
one per agency per night: ``raise_once``).

Every alert is, in this order:

1. a log line that starts with ``ALERT`` (in the task's log, or the triggerer's for a deadline);
2. sent by webhook when the Airflow connection ``verfak_alert_webhook`` (HTTP) exists, and by
   e-mail when the connection ``verfak_alert_smtp`` (SMTP) exists and names recipients;
3. a row in ``ops.alert`` in the warehouse, with the channels it reached.

Each step is tried even when an earlier one failed: a task that failed because the warehouse is
down still gets its log line and its webhook. Nothing here raises into Airflow.

No personal data leaves through an alert: the message is the exception's type and text, with
every ID-like digit run masked (8+ digits, or 10+ digits in groups joined by spaces, dots or
dashes: NIK, KK, phone numbers as people write them; ``mask_ids``), cut to 1,000 characters.
Warehouse errors reach it without PostgreSQL's DETAIL (``verfak.db.WarehouseError``).

Kept light to import (standard library only at module level): the DAG files import
``verfak.dag_support``, which refers to the callbacks here.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import asdict, dataclass, field

log = logging.getLogger("verfak.alerts")

WEBHOOK_CONN_ID = "verfak_alert_webhook"
SMTP_CONN_ID = "verfak_alert_smtp"
#: A run of digits, alone or in groups joined by one space, dot or dash (``3216 0112 3456 7890``,
#: ``0812-3456-7890``, ``+62 812 3456 7890``), as long as it goes.
_DIGIT_RUN = re.compile(r"(?<![\d+])\+?\d+(?:[ .\-]\d+)*")
_GROUP_SEPARATOR = re.compile(r"[ .\-]")
_MESSAGE_LIMIT = 1000
_WIB = dt.timezone(dt.timedelta(hours=7), "WIB")


def _is_date_or_code(groups: list[str]) -> bool:
    """Digit groups that are a date, a period, a village code or a count, not an ID: YYYY-MM(-DD),
    DD-MM-YYYY, 32.16.01.2001 (Kemendagri village code), 1.234.567 (thousands)."""
    lengths = [len(g) for g in groups]
    for i in range(len(groups) - 1):
        year, month = groups[i], groups[i + 1]
        if lengths[i] == 4 and lengths[i + 1] == 2 and year[:2] in ("19", "20") and "01" <= month <= "12":
            return True  # YYYY-MM, YYYY-MM-DD
        if i + 2 < len(groups) and lengths[i : i + 3] == [2, 2, 4] and groups[i + 2][:2] in ("19", "20"):
            return True  # DD-MM-YYYY
    if lengths == [2, 2, 2, 4]:
        return True  # a village code
    return 1 <= lengths[0] <= 3 and not groups[0].startswith("0") and all(n == 3 for n in lengths[1:])


def _mask_run(match: re.Match) -> str:
    text = match.group()
    groups = _GROUP_SEPARATOR.split(text.lstrip("+"))
    digits = sum(len(g) for g in groups)
    # One group: a NIK, a KK number, a phone number written without separators.
    personal = digits >= 8 if len(groups) == 1 else digits >= 10 and not _is_date_or_code(groups)
    if not personal:
        return text
    kept = 0
    masked = []
    for ch in text:  # keep the first 4 digits and every separator, mask the other digits
        if ch.isdigit():
            kept += 1
            masked.append(ch if kept <= 4 else "*")
        else:
            masked.append(ch)
    return "".join(masked)


def mask_ids(text: str) -> str:
    """Mask every ID-like digit run but its first 4 digits: 8+ digits in one run, or 10+ digits in
    groups joined by spaces, dots or dashes (a NIK, a KK or phone number as people write them).
    Dates (``2024-06-05``, ``05-06-2024``), periods, village codes (``32.16.01.2001``), thousands
    (``1.234.567``) and short numbers stay as they are."""
    return _DIGIT_RUN.sub(_mask_run, text or "")


def scrub(text: str) -> str:
    """``mask_ids`` (NIK, KK and phone numbers, with or without separators), and cut the text."""
    masked = mask_ids(text)
    return masked if len(masked) <= _MESSAGE_LIMIT else masked[: _MESSAGE_LIMIT - 1] + "…"


@dataclass
class Alert:
    """What went wrong and where (no personal data: safe for logs, webhooks and the table)."""

    kind: str  # task_failed | deadline_missed | referral_unanswered
    dag_id: str
    run_id: str | None
    message: str
    task_id: str | None = None
    map_index: int | None = None
    try_number: int | None = None
    logical_date: dt.datetime | None = None
    deadline_at: dt.datetime | None = None
    error_type: str | None = None
    log_url: str | None = None
    channels: list[str] = field(default_factory=lambda: ["log"])
    notify_error: str | None = None
    alert_id: int | None = None
    subject: str | None = None  # who a once-a-night alert is about (an agency's name)
    night: dt.date | None = None  # the WIB night it belongs to (with subject: raised once)

    def log_line(self) -> str:
        where = f"dag={self.dag_id} run={self.run_id}"
        if self.task_id:
            mapped = f"[{self.map_index}]" if self.map_index is not None and self.map_index >= 0 else ""
            where += f" task={self.task_id}{mapped} try={self.try_number}"
        line = f"ALERT {self.kind}: {where}: {self.message}"
        return line + (f" (log: {self.log_url})" if self.log_url else "")

    def as_json(self) -> dict:
        data = asdict(self)
        for key in ("logical_date", "deadline_at", "night"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        data["text"] = self.log_line()
        return data


def _log_and_send(alert: Alert) -> None:
    """Log the alert's line and send it by every configured channel; a channel that is down is
    noted in ``notify_error`` and must not hide the alert."""
    log.error(alert.log_line())
    errors = []
    for channel, send in (("webhook", _send_webhook), ("email", _send_email)):
        try:
            if send(alert):
                alert.channels.append(channel)
                log.info("alert sent by %s", channel)
        except Exception as exc:
            errors.append(f"{channel}: {type(exc).__name__}: {scrub(str(exc))[:200]}")
            log.warning("alert could not be sent by %s: %s", channel, errors[-1])
    alert.notify_error = "; ".join(errors) or None


def raise_alert(alert: Alert) -> Alert:
    """Log the alert, send it where a channel is configured, record it in ops.alert; never raises."""
    _log_and_send(alert)
    try:
        alert.alert_id = _record(alert)
    except Exception as exc:
        log.error(
            "ALERT could not be written to ops.alert (%s: %s); the line above is the alert",
            type(exc).__name__,
            scrub(str(exc))[:200],
        )
    return alert


def raise_once(alert: Alert) -> Alert | None:
    """``raise_alert`` for an alert with ``subject`` and ``night``: the first raise of that kind,
    subject and night claims its row in ``ops.alert`` and is logged and sent; another one (a rerun,
    a second publish the same night) does nothing and returns None. Never raises."""
    from verfak import db

    try:
        with db.transaction() as cur:
            cur.execute(
                db.sql_file("ops/insert_alert_once.sql"),
                (
                    alert.kind,
                    alert.dag_id,
                    alert.run_id,
                    alert.task_id,
                    alert.message,
                    alert.subject,
                    alert.night,
                    alert.channels,
                ),
            )
            claimed = cur.fetchone()
    except Exception as exc:
        log.error(
            "ALERT could not be claimed in ops.alert (%s: %s): raised without the once-a-night check",
            type(exc).__name__,
            scrub(str(exc))[:200],
        )
        return raise_alert(alert)
    if claimed is None:
        log.info("alert %s for %s already raised on %s: not again", alert.kind, alert.subject, alert.night)
        return None
    alert.alert_id = claimed[0]
    _log_and_send(alert)
    try:
        with db.transaction() as cur:
            cur.execute(
                "UPDATE ops.alert SET channels = %s, notify_error = %s WHERE alert_id = %s",
                (alert.channels, alert.notify_error, alert.alert_id),
            )
    except Exception as exc:
        log.error("ALERT channels could not be written to ops.alert (%s)", type(exc).__name__)
    return alert


# --- the callbacks ------------------------------------------------------------------------------


def on_task_failure(context) -> None:
    """``on_failure_callback`` of every task (through ``verfak.dag_support.DEFAULT_ARGS``).

    Airflow calls it once a task has failed for good (retries are exhausted; a retry is not an
    alert). Never raises: a broken alert must not change the task's outcome.
    """
    try:
        raise_alert(task_failure_alert(context))
    except Exception:  # pragma: no cover - last resort, keep Airflow's callback runner quiet
        log.exception("ALERT task_failed: the alert itself failed")


def task_failure_alert(context) -> Alert:
    ti = context.get("task_instance") or context.get("ti")
    exception = context.get("exception")
    error_type = type(exception).__name__ if exception is not None else None
    text = str(exception) if exception is not None else "task failed"
    try:
        log_url = getattr(ti, "log_url", None)
    except Exception:  # log_url reads Airflow's configuration; never let it stop the alert
        log_url = None
    return Alert(
        kind="task_failed",
        dag_id=getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", None) or "?",
        run_id=context.get("run_id") or getattr(ti, "run_id", None),
        task_id=getattr(ti, "task_id", None),
        map_index=getattr(ti, "map_index", None),
        try_number=getattr(ti, "try_number", None),
        logical_date=context.get("logical_date"),
        error_type=error_type,
        message=scrub(f"{error_type}: {text}" if error_type else text),
        log_url=log_url,
    )


async def on_publish_deadline_missed(context: dict | None = None, **kwargs) -> dict:
    """``DeadlineAlert`` callback of verfak_publish: the nightly run had not finished in time.

    Runs in the triggerer (an ``AsyncCallback``); the blocking work goes to a thread so the
    triggerer's event loop keeps serving other triggers. ``context`` is what Airflow passes:
    ``{"dag_run": {...}, "deadline": {"id", "deadline_time"}}``.
    """
    import asyncio

    alert = deadline_alert(context or {}, **kwargs)
    await asyncio.to_thread(raise_alert, alert)
    return {"alert_id": alert.alert_id, "channels": alert.channels}


def deadline_alert(context: dict, **kwargs) -> Alert:
    dag_run = context.get("dag_run") or {}
    deadline = context.get("deadline") or {}
    deadline_at = _as_datetime(deadline.get("deadline_time"))
    by = deadline_at.astimezone(_WIB).strftime("%Y-%m-%d %H:%M WIB") if deadline_at else "its deadline"
    run_id = dag_run.get("dag_run_id") or dag_run.get("run_id")
    state = dag_run.get("state") or "unknown"
    return Alert(
        kind="deadline_missed",
        dag_id=dag_run.get("dag_id") or kwargs.get("dag_id") or "verfak_publish",
        run_id=run_id,
        logical_date=_as_datetime(dag_run.get("logical_date")),
        deadline_at=deadline_at,
        message=(
            f"the run had not finished by {by} (state: {state}); the agencies' exports of this night "
            "may be late: see the run's tasks in the Airflow UI"
        ),
    )


def _as_datetime(value) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


# --- channels -----------------------------------------------------------------------------------


def _connection(conn_id: str):
    """The Airflow connection, or None when it is not configured."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return None


def webhook_url(conn) -> str:
    """The URL of an HTTP connection: ``extra.url``, a full URL as host, or scheme://host:port/path."""
    extra = conn.extra_dejson or {}
    if extra.get("url"):
        return extra["url"]
    host = conn.host or ""
    if host.startswith(("http://", "https://")):
        base = host.rstrip("/")
        path = conn.schema or ""
    else:
        if conn.conn_type in ("http", "https") and conn.schema in ("http", "https"):
            scheme, path = conn.schema, ""  # the HTTP provider's convention: schema = protocol
        else:
            scheme, path = ("https" if conn.conn_type == "https" else "http"), conn.schema or ""
        base = f"{scheme}://{host}" + (f":{conn.port}" if conn.port else "")
    endpoint = extra.get("endpoint") or path
    return f"{base}/{endpoint.lstrip('/')}" if endpoint else base


def _send_webhook(alert: Alert) -> bool:
    conn = _connection(WEBHOOK_CONN_ID)
    if conn is None:
        return False
    import urllib.request

    extra = conn.extra_dejson or {}
    headers = {"Content-Type": "application/json", **(extra.get("headers") or {})}
    if conn.password and "Authorization" not in headers:
        headers["Authorization"] = f"Bearer {conn.password}"
    payload = alert.as_json()
    # "text" makes the payload readable as it is by Slack, Mattermost and Google Chat webhooks.
    body = json.dumps(payload, default=str).encode()
    request = urllib.request.Request(webhook_url(conn), data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=float(extra.get("timeout", 10))) as response:
        response.read()
    return True


def _send_email(alert: Alert) -> bool:
    from verfak import config

    conn = _connection(SMTP_CONN_ID)
    if conn is None:
        return False
    extra = conn.extra_dejson or {}
    recipients = [a.strip() for a in (extra.get("to") or "").split(",") if a.strip()] or list(
        config.settings().alert_email_to
    )
    if not recipients:
        log.warning(
            "connection %s has no recipients (extra 'to' or VERFAK_ALERT_EMAIL_TO): no e-mail sent",
            SMTP_CONN_ID,
        )
        return False
    import smtplib
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"] = f"[verfak] {alert.kind}: {alert.dag_id}" + (
        f".{alert.task_id}" if alert.task_id else ""
    )
    message["From"] = extra.get("from") or conn.login or "verfak@localhost"
    message["To"] = ", ".join(recipients)
    message.set_content(alert.log_line() + "\n\n" + json.dumps(alert.as_json(), indent=2, default=str))
    port = conn.port or (465 if extra.get("ssl") else 25)
    timeout = float(extra.get("timeout", 30))
    if extra.get("ssl") or port == 465:
        client: smtplib.SMTP = smtplib.SMTP_SSL(conn.host, port, timeout=timeout)
    else:
        client = smtplib.SMTP(conn.host, port, timeout=timeout)
    with client:
        client.ehlo()
        if (
            not isinstance(client, smtplib.SMTP_SSL)
            and extra.get("starttls", True)
            and client.has_extn("starttls")
        ):
            client.starttls()
            client.ehlo()
        if conn.login:
            client.login(conn.login, conn.password or "")
        client.send_message(message)
    return True


def _record(alert: Alert) -> int:
    from verfak import db

    with db.transaction() as cur:
        cur.execute(
            db.sql_file("ops/insert_alert.sql"),
            (
                alert.kind,
                alert.dag_id,
                alert.run_id,
                alert.task_id,
                alert.map_index,
                alert.try_number,
                alert.logical_date,
                alert.deadline_at,
                alert.error_type,
                alert.message,
                alert.log_url,
                alert.channels,
                alert.notify_error,
            ),
        )
        return db.one(cur)[0]

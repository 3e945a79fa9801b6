"""What the agencies' answers look like to the people who use them (issue 13), counts only.

- ``funnel``: per program, its latest referred period's funnel (referred, answered, accepted,
  completed, disbursed/paid, declined, unreachable, no answer yet), for the nightly report's chart
  and the run summary; ``status_counts``: referrals per program and current status.
- ``unanswered``: referrals an agency has not answered within its program's ``response_days``, per
  agency, program, kecamatan and village (the nightly report's table).
- ``alert_unanswered``: one ``referral_unanswered`` alert per agency per night (``alerts.raise_once``),
  naming the agency, its programs and the counts, never a person.
"""

from __future__ import annotations

import datetime as dt
import logging

from verfak import db

log = logging.getLogger(__name__)

WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
FUNNEL_STAGES = (
    ("dirujuk", "dirujuk"),
    ("dijawab", "dijawab"),
    ("diterima", "diterima"),
    ("selesai", "selesai"),
    ("dana", "dana cair / dibayar"),
    ("ditolak", "ditolak / tidak memenuhi syarat / tidak selesai"),
    ("tidak_dapat_dihubungi", "tidak dapat dihubungi"),
    ("belum_dijawab", "belum dijawab"),
)


def _rows(cur) -> list[dict]:
    names = [d.name for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _marts_ready(cur) -> bool:
    cur.execute("SELECT to_regclass('mart.outcome_funnel') IS NOT NULL")
    return bool(db.one(cur)[0])


def funnel(cur) -> list[dict]:
    if not _marts_ready(cur):
        return []
    db.run_sql_file(cur, "outcome/select_funnel.sql")
    return _rows(cur)


def status_counts(cur) -> list[dict]:
    if not _marts_ready(cur):
        return []
    db.run_sql_file(cur, "outcome/select_status_counts.sql")
    return _rows(cur)


def unanswered(cur, today: dt.date) -> list[dict]:
    if not _marts_ready(cur):
        return []
    db.run_sql_file(cur, "outcome/select_unanswered.sql", {"today": today})
    return _rows(cur)


def by_agency(rows: list[dict]) -> dict[str, dict]:
    """Unanswered rows summed per agency: {agency: {total, programs: {program: (count, response_days)}, oldest}}."""
    agencies: dict[str, dict] = {}
    for row in rows:
        entry = agencies.setdefault(
            row["agency"], {"total": 0, "programs": {}, "oldest": row["rujukan_tertua"]}
        )
        entry["total"] += row["belum_dijawab"]
        count, days = entry["programs"].get(row["program"], (0, row["response_days"]))
        entry["programs"][row["program"]] = (count + row["belum_dijawab"], days)
        entry["oldest"] = min(entry["oldest"], row["rujukan_tertua"])
    return agencies


def funnel_chart(rows: list[dict]) -> str | None:
    """A grouped bar chart: for each program, how many referrals reached each stage."""
    if not rows:
        return None
    import plotly.graph_objects as go

    from verfak.report import _fragment

    figure = go.Figure()
    labels = [label for _, label in FUNNEL_STAGES]
    for row in rows:
        figure.add_trace(
            go.Bar(
                x=labels,
                y=[row[key] for key, _ in FUNNEL_STAGES],
                name=f"{row['program']} ({row['periode']})",
                hovertemplate="%{x}: %{y}<extra>" + row["program"] + "</extra>",
            )
        )
    figure.update_layout(
        barmode="group",
        template="plotly_white",
        height=420,
        margin={"l": 60, "r": 20, "t": 20, "b": 110},
        yaxis_title="rujukan",
        legend={"orientation": "h", "y": 1.08},
    )
    return _fragment(figure, "funnel-chart")


def alert_unanswered(
    today: dt.date | None = None,
    dag_id: str = "verfak_publish",
    run_id: str | None = None,
    conn_id: str = db.WAREHOUSE_CONN_ID,
) -> list[dict]:
    """One ``referral_unanswered`` alert per agency with referrals unanswered past ``response_days``,
    at most once a night (WIB date ``today``); returns what was raised (counts only)."""
    from verfak.alerts import Alert, raise_once, scrub

    today = today or dt.datetime.now(WIB).date()
    with db.transaction(conn_id) as cur:
        agencies = by_agency(unanswered(cur, today))
    raised = []
    for agency, entry in sorted(agencies.items()):
        programs = ", ".join(f"{p} {n} (batas {d} hari)" for p, (n, d) in sorted(entry["programs"].items()))
        alert = Alert(
            kind="referral_unanswered",
            dag_id=dag_id,
            run_id=run_id,
            task_id="alert_unanswered",
            message=scrub(
                f"{agency}: {entry['total']} referral(s) unanswered past the program's response_days "
                f"({programs}; oldest export {entry['oldest'].isoformat()}); counts per village in the "
                "nightly report"
            ),
            subject=agency,
            night=today,
        )
        if raise_once(alert) is not None:
            raised.append({"agency": agency, "unanswered": entry["total"]})
    log.info(
        "unanswered referrals on %s: %d agency(ies), %d alert(s) raised now",
        today,
        len(agencies),
        len(raised),
    )
    return raised

"""The nightly run report: one static HTML page per publish run, and ``latest``.

``$VERFAK_REPORT_DIR/runs/<run-date>/index.html`` and ``$VERFAK_REPORT_DIR/latest/index.html``,
each written aside and renamed into place (a reader never sees half a page). The page shows the
period's numbers, the trend of verified people per kecamatan (a plotly chart), the villages'
completeness and timeliness, the quality rules that failed most, the alerts since the previous
report, and links to the Data Docs and the exports. Counts and village names only: no person is
named, no NIK appears (alert messages are masked by ``verfak.alerts.scrub``).

The chart's JavaScript (plotly.js, ~4.8 MB) is written once per plotly version to
``$VERFAK_REPORT_DIR/assets/`` and referred to relatively, instead of being inlined in every
night's page: the page works offline from disk and when served by the Airflow page
(``plugins/verfak_ui_plugin.py``), and thirty nights of reports don't take 150 MB.

``collect`` (warehouse reads only, no plotting) is shared with the Airflow page.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from pathlib import Path
from typing import Any

from verfak import completeness, config, db
from verfak.config import INCLUDE_DIR
from verfak.files import private_files

log = logging.getLogger(__name__)

TEMPLATE_DIR = INCLUDE_DIR / "templates" / "report"
WIB = dt.timezone(dt.timedelta(hours=7), "WIB")
TOP_RULES = 10
ALERT_LIMIT = 50
LIST_LIMIT = 200  # rejected files without a village, skipped paths
SKIPPED_DAYS = 7


# --- numbers ------------------------------------------------------------------------------------


def collect(
    period: str | None = None,
    run_date: dt.date | None = None,
    alerts_since: dt.datetime | None = None,
    conn_id: str = db.WAREHOUSE_CONN_ID,
) -> dict:
    """Everything the report and the Airflow page show, read from the warehouse in one transaction.

    ``period`` defaults to the latest period any village submitted for; ``alerts_since`` to the
    previous report (a day earlier than ``run_date``), else the last 24 hours.
    """
    with db.transaction(conn_id) as cur:
        cutoff_day = completeness.use_cutoff(cur)
        period = period or completeness.latest_period(cur)
        by_period = completeness.regency(cur)
        trend = _verified_trend(cur)
        if alerts_since is None:
            cur.execute(
                "SELECT max(generated_at) FROM ops.report_run WHERE run_date < %s",
                (run_date or dt.datetime.now(WIB).date(),),
            )
            previous = db.one(cur)[0]
            alerts_since = previous or dt.datetime.now(dt.UTC) - dt.timedelta(hours=24)
        db.run_sql_file(cur, "ops/select_recent_alerts.sql", {"since": alerts_since, "limit": ALERT_LIMIT})
        alerts = completeness.rows(cur)
        db.run_sql_file(cur, "ops/select_latest_exports.sql")
        exports = completeness.rows(cur)
        cur.execute(
            "SELECT run_date, dag_run_id, periode, generated_at, report_path FROM ops.report_run "
            "ORDER BY run_date DESC LIMIT 1"
        )
        last_report = completeness.rows(cur)
        info: dict[str, Any] = {
            "period": period,
            "cutoff_day": cutoff_day,
            "by_period": by_period,
            "regency": next((r for r in by_period if r["periode"] == period), None),
            "kecamatan": [],
            "villages": [],
            "numbers": {},
            "rules": [],
            "rejected_files": [],
            "unplaced_files": [],
            "skipped_paths": [],
            "trend": trend,
            "verified": _verified_totals(trend, period),
            "exports": exports,
            "alerts": alerts,
            "alerts_since": alerts_since,
            "last_report": last_report[0] if last_report else None,
            "generated_at": dt.datetime.now(dt.UTC),
        }
        if period:
            info["kecamatan"] = completeness.kecamatan(cur, period)
            info["villages"] = completeness.villages_to_follow_up(cur, period)
            db.run_sql_file(cur, "ops/select_period_numbers.sql", {"periode": period})
            info["numbers"] = completeness.rows(cur)[0]
            db.run_sql_file(cur, "ops/select_top_rules.sql", {"periode": period, "limit": TOP_RULES})
            info["rules"] = completeness.rows(cur)
            db.run_sql_file(cur, "ops/select_rejected_files.sql", {"periode": period})
            info["rejected_files"] = completeness.rows(cur)
        # Files no village hears of, and paths ingest skipped: paths masked like alerts (no NIK in a name).
        from verfak.alerts import scrub

        db.run_sql_file(cur, "ops/select_unplaced_files.sql", {"periode": period, "limit": LIST_LIMIT})
        info["unplaced_files"] = [{**r, "path": scrub(r["path"])} for r in completeness.rows(cur)]
        db.run_sql_file(cur, "ops/select_skipped_paths.sql", {"days": SKIPPED_DAYS, "limit": LIST_LIMIT})
        info["skipped_paths"] = [{**r, "path": scrub(r["path"])} for r in completeness.rows(cur)]
        # What the agencies answered (issue 13): counts per program, agency and village only.
        from verfak import outcome_report

        info["funnel"] = outcome_report.funnel(cur)
        info["unanswered"] = outcome_report.unanswered(cur, run_date or dt.datetime.now(WIB).date())
        info["unanswered_agencies"] = outcome_report.by_agency(info["unanswered"])
    return info


def _verified_trend(cur) -> list[dict]:
    cur.execute("SELECT relispopulated FROM pg_class WHERE oid = 'mart.verified_count'::regclass")
    if not db.one(cur)[0]:  # the marts are filled by the first publish run
        return []
    db.run_sql_file(cur, "ops/select_verified_trend.sql")
    return completeness.rows(cur)


def _verified_totals(trend: list[dict], period: str | None) -> dict:
    """The regency's verified (layak) count for the period and the one before it."""
    totals: dict[str, int] = {}
    for row in trend:
        totals[row["periode"]] = totals.get(row["periode"], 0) + (row["layak"] or 0)
    earlier = sorted(p for p in totals if period and p < period)
    layak = totals.get(period) if period else None
    previous = totals[earlier[-1]] if earlier else None
    return {
        "layak": layak,
        "previous_period": earlier[-1] if earlier else None,
        "previous_layak": previous,
        "change": layak - previous if layak is not None and previous is not None else None,
    }


def headline(info: dict) -> dict:
    """The few numbers kept in ops.report_run and returned to XCom (counts only)."""
    regency, numbers = info["regency"] or {}, info["numbers"] or {}
    return {
        "period": info["period"],
        "cutoff_day": info["cutoff_day"],
        **{k: regency.get(k) for k in ("expected", "received", "on_time", "late", "missing")},
        **{
            k: numbers.get(k)
            for k in ("files_accepted", "files_rejected", "rows_validated", "rows_loaded", "rows_quarantined")
        },
        "layak": info["verified"]["layak"],
        "layak_change": info["verified"]["change"],
        "exports": {e["program"]: e["row_count"] for e in info["exports"]},
        "alerts": len(info["alerts"]),
    }


# --- charts -------------------------------------------------------------------------------------


def trend_chart(trend: list[dict]) -> str | None:
    """Line chart: verified (layak) people per kecamatan and period, as an HTML fragment."""
    if not trend:
        return None
    import plotly.graph_objects as go

    figure = go.Figure()
    by_kecamatan: dict[tuple[str, str], list[dict]] = {}
    for row in trend:
        by_kecamatan.setdefault((row["kode_kecamatan"], row["nama_kecamatan"]), []).append(row)
    for (kode, nama), points in sorted(by_kecamatan.items()):
        figure.add_trace(
            go.Scatter(
                x=[p["periode"] for p in points],
                y=[p["layak"] for p in points],
                mode="lines+markers",
                name=nama,
                hovertemplate=f"{nama} ({kode})<br>%{{x}}: %{{y}} orang layak<extra></extra>",
            )
        )
    figure.update_layout(
        template="plotly_white",
        height=520,
        margin={"l": 60, "r": 20, "t": 20, "b": 50},
        xaxis={"title": "Periode", "type": "category"},
        yaxis={"title": "Verified people (layak)", "rangemode": "tozero"},
        legend={"font": {"size": 11}},
        hovermode="closest",
    )
    return _fragment(figure, "trend-chart")


def completeness_chart(kecamatan: list[dict]) -> str | None:
    """Stacked bars per kecamatan: villages on time, late, missing."""
    if not kecamatan:
        return None
    import plotly.graph_objects as go

    names = [k["nama_kecamatan"] for k in kecamatan]
    figure = go.Figure()
    for key, label, colour in (
        ("on_time", "On time", "#2e7d32"),
        ("late", "Late", "#f9a825"),
        ("missing", "Missing", "#c62828"),
    ):
        figure.add_trace(
            go.Bar(
                y=names,
                x=[k[key] for k in kecamatan],
                name=label,
                orientation="h",
                marker_color=colour,
                hovertemplate=f"%{{y}}: %{{x}} {label.lower()}<extra></extra>",
            )
        )
    figure.update_layout(
        barmode="stack",
        template="plotly_white",
        height=140 + 22 * len(names),
        margin={"l": 140, "r": 20, "t": 10, "b": 40},
        xaxis={"title": "Villages (desa/kelurahan)"},
        yaxis={"autorange": "reversed"},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "traceorder": "normal"},
    )
    return _fragment(figure, "completeness-chart")


def _fragment(figure, div_id: str) -> str:
    return figure.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True},
    )


def plotly_asset(report_root: Path) -> str:
    """Write plotly.js once per version under ``assets/``; return its path relative to the report root."""
    import plotly
    from plotly.offline import get_plotlyjs

    relative = f"assets/plotly-{plotly.__version__}.min.js"
    target = report_root / relative
    if not target.exists():
        _write_atomic(target, get_plotlyjs())
    return relative


# --- the page -----------------------------------------------------------------------------------


def environment():
    """The Jinja2 environment of include/templates/report (HTML autoescaped)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.ChainableUndefined,  # a period with no numbers yet renders as "–"
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def missing(value) -> bool:
        return value is None or isinstance(value, jinja2.Undefined)

    env.filters["wib"] = lambda moment: "–" if missing(moment) else _wib(moment)
    env.filters["number"] = lambda n: "–" if missing(n) else f"{n:,}"
    env.filters["signed"] = lambda n: "–" if missing(n) else (f"+{n}" if n > 0 else str(n))
    env.filters["percent"] = lambda n: "–" if missing(n) else f"{float(n):.1f}%"
    return env


def _wib(moment, fmt: str = "%Y-%m-%d %H:%M WIB") -> str:
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(WIB).strftime(fmt)
    return str(moment)


def _link(target: str | None, report_root: Path, prefix: str) -> str | None:
    """A link from a page ``prefix`` deep in the report folder: relative inside it, file:// outside."""
    if not target:
        return None
    path = Path(target)
    try:
        return prefix + path.resolve().relative_to(report_root.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_uri()


def render(
    info: dict, report_root: Path, prefix: str, run: dict, charts: dict, plotly_src: str | None
) -> str:
    """The HTML of one report page; ``prefix`` leads from the page back to the report root."""
    numbers = info["numbers"] or {}
    links = {
        "data_docs": _link(
            numbers.get("data_docs_index") or str(report_root / "data_docs" / "index.html"),
            report_root,
            prefix,
        ),
        "feedback": _link(
            str(config.export_dir() / "feedback" / (info["period"] or "")), report_root, prefix
        ),
        "exports": {e["program"]: _link(e["export_path"], report_root, prefix) for e in info["exports"]},
        "latest": prefix + "latest/index.html",
    }
    return (
        environment()
        .get_template("index.html.j2")
        .render(
            info=info,
            run=run,
            charts=charts,
            links=links,
            plotly_src=(prefix + plotly_src) if plotly_src else None,
        )
    )


@private_files()
def write_report(
    run_date: dt.date,
    dag_run_id: str | None = None,
    deadline_at: dt.datetime | None = None,
    period: str | None = None,
    conn_id: str = db.WAREHOUSE_CONN_ID,
) -> dict:
    """Write the day's report and ``latest``, record it in ops.report_run; return its headline numbers."""
    root = config.report_dir()
    info = collect(period=period, run_date=run_date, conn_id=conn_id)
    finished_at = dt.datetime.now(dt.UTC)
    run = {
        "run_date": run_date,
        "dag_run_id": dag_run_id,
        "finished_at": finished_at,
        "deadline_at": deadline_at,
        "on_time": None if deadline_at is None else finished_at <= deadline_at,
    }
    from verfak.outcome_report import funnel_chart

    charts = {
        "trend": trend_chart(info["trend"]),
        "completeness": completeness_chart(info["kecamatan"]),
        "funnel": funnel_chart(info["funnel"]),
    }
    plotly_src = plotly_asset(root) if any(charts.values()) else None
    day_page = root / "runs" / run_date.isoformat() / "index.html"
    _write_atomic(day_page, render(info, root, "../../", run, charts, plotly_src))
    _write_atomic(root / "latest" / "index.html", render(info, root, "../", run, charts, plotly_src))
    numbers = headline(info)
    from verfak import quality  # pandas and numpy: only when a report is written

    quality.remove_old_results(root, quality.report_retention_days(), run_date)
    with db.transaction(conn_id) as cur:
        db.run_sql_file(
            cur,
            "ops/upsert_report_run.sql",
            {
                "run_date": run_date,
                "dag_run_id": dag_run_id,
                "periode": info["period"],
                "cutoff_day": info["cutoff_day"],
                "report_path": str(day_page),
                "numbers": json.dumps(numbers),
            },
        )
    log.info(
        "report for %s (period %s): %s of %s villages received, %s on time, %s missing; %s alert(s); %s",
        run_date,
        info["period"],
        numbers["received"],
        numbers["expected"],
        numbers["on_time"],
        numbers["missing"],
        numbers["alerts"],
        day_page,
    )
    return {"report": str(day_page), "latest": str(root / "latest" / "index.html"), **numbers}


def _write_atomic(target: Path, text: str) -> None:
    """Write aside in the same folder, then rename over the target (readers see old or new, never half)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)

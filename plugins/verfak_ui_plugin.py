"""Airflow UI plugin "Verfak operations": village completeness and the latest run, inside Airflow.

Airflow 3 mounts the FastAPI app below on its api-server at ``/verfak`` and shows it in the UI's
navigation ("Browse" > "Verfak operations"), embedded in an iframe. It reads the warehouse through
``verfak`` (the connection ``verfak_warehouse``) and Airflow's own metadata for the DAG runs:

- ``GET /verfak/``                      the page (HTML): regency and kecamatan completeness of a
                                        period (``?period=YYYY-MM``, default the latest), villages
                                        to follow up, the latest exports, alerts, recent DAG runs
- ``GET /verfak/api/completeness``      the same numbers as JSON
- ``GET /verfak/reports/latest/``       the nightly report (``$VERFAK_REPORT_DIR``: report pages
                                        and their chart script only, never Data Docs or exports)

Every route needs an Airflow login (the UI's session cookie or a Bearer token), like Airflow's
own API. The page shows counts and village names only.

A top-level file on purpose: plugins/.airflowignore hides the ``verfak`` package from Airflow's
plugin loader. Every Airflow component imports this file when it loads plugins, so the heavy
imports (the warehouse queries, Jinja, Airflow's security and ORM) happen inside the handlers.
"""

from __future__ import annotations

from typing import ClassVar

from airflow.plugins_manager import AirflowPlugin
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

URL_PREFIX = "/verfak"
VERFAK_DAGS = ("verfak_ingest", "verfak_validate_load", "verfak_publish", "verfak_tindak_lanjut")
ALERT_DAYS = 7
_SERVED_REPORT_FOLDERS = {"latest", "runs", "assets"}


async def require_airflow_login(request: Request):
    """The Airflow user of the request (session cookie or Bearer token); 401/403 otherwise."""
    from airflow.api_fastapi.core_api.security import bearer_scheme, get_user

    return await get_user(request, None, await bearer_scheme(request))


app = FastAPI(
    title="Verfak operations",
    description="Completeness of the villages' submissions and the latest pipeline run (Dinsos Kabupaten Bekasi).",
    dependencies=[Depends(require_airflow_login)],
)


def operations_view(period: str | None = None) -> dict:
    """Everything the page shows: the report's numbers plus the recent DAG runs."""
    import datetime as dt

    from verfak import report

    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=ALERT_DAYS)
    info = report.collect(period=period, alerts_since=since)
    info["dag_runs"] = recent_dag_runs()
    return info


def recent_dag_runs(per_dag: int = 5) -> list[dict] | None:
    """The latest runs of the three DAGs from Airflow's metadata DB (None when it can't be read)."""
    try:
        from airflow.models.dagrun import DagRun
        from airflow.utils.session import create_session
        from sqlalchemy import select

        runs = []
        with create_session() as session:
            for dag_id in VERFAK_DAGS:
                result = session.execute(
                    select(
                        DagRun.dag_id,
                        DagRun.run_id,
                        DagRun.run_type,
                        DagRun.state,
                        DagRun.start_date,
                        DagRun.end_date,
                    )
                    .where(DagRun.dag_id == dag_id)
                    .order_by(DagRun.id.desc())
                    .limit(per_dag)
                )
                runs.extend(dict(row._mapping) for row in result)
        for run in runs:
            run["state"], run["run_type"] = str(run["state"] or ""), str(run["run_type"] or "")
        return runs
    except Exception:  # the page is still useful without them
        return None


@app.get("/", response_class=HTMLResponse)
def page(request: Request, period: str | None = None) -> HTMLResponse:
    from verfak import report

    info = operations_view(_checked_period(period))
    html = (
        report.environment()
        .get_template("airflow_page.html.j2")
        .render(info=info, prefix=_mount_path(request))
    )
    return HTMLResponse(html)


@app.get("/api/completeness")
def completeness_json(period: str | None = None) -> JSONResponse:
    from fastapi.encoders import jsonable_encoder

    info = operations_view(_checked_period(period))
    keys = (
        "period",
        "cutoff_day",
        "regency",
        "kecamatan",
        "villages",
        "by_period",
        "numbers",
        "verified",
        "exports",
        "alerts",
        "last_report",
        "dag_runs",
    )
    return JSONResponse(jsonable_encoder({k: info[k] for k in keys}))


@app.get("/reports/{relative:path}")
def report_file(relative: str) -> FileResponse:
    """A file of the nightly report (``latest/``, ``runs/<date>/``, ``assets/``) under $VERFAK_REPORT_DIR."""
    from verfak import config

    target = served_report_file(config.report_dir(), relative)
    if target is None:
        raise HTTPException(status_code=404, detail="no such report file")
    return FileResponse(target)


def served_report_file(report_dir, relative: str):
    """The file ``relative`` names inside one of the served folders of ``report_dir``, or None.

    The path is resolved first (``..`` however it was encoded, symbolic links) and the result must
    lie inside the folder it names (``latest/``, ``runs/`` or ``assets/``), itself inside the
    report folder: ``latest/../data_docs/...``, ``latest/../gx/...``, an absolute path or a link
    from ``latest/`` to anywhere else is not served (issue #12, item 11).
    """
    from pathlib import Path, PurePosixPath

    if not relative or "\\" in relative or "\0" in relative or relative.startswith("/"):
        return None
    parts = PurePosixPath(relative).parts
    if not parts or parts[0] not in _SERVED_REPORT_FOLDERS or ".." in parts:
        return None
    root = Path(report_dir).resolve()
    folder = (root / parts[0]).resolve()
    if not folder.is_relative_to(root):
        return None
    target = (root / relative).resolve()
    if target.is_dir():
        target = (target / "index.html").resolve()
    if not target.is_relative_to(folder) or not target.is_file():
        return None
    return target


def _checked_period(period: str | None) -> str | None:
    import re

    if period and not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", period):
        raise HTTPException(status_code=422, detail="period must be YYYY-MM")
    return period or None


def _mount_path(request: Request) -> str:
    """Where this app is mounted (``/verfak`` in the api-server, ``""`` when served on its own)."""
    return request.scope.get("root_path", "").rstrip("/")


class VerfakOperationsPlugin(AirflowPlugin):
    name = "verfak_operations"
    fastapi_apps: ClassVar[list[dict]] = [{"app": app, "url_prefix": URL_PREFIX, "name": "Verfak operations"}]
    external_views: ClassVar[list[dict]] = [
        {
            "name": "Verfak operations",
            "href": f"{URL_PREFIX}/",
            "url_route": "verfak-operations",  # shown inside the Airflow UI at /plugin/verfak-operations
            "destination": "nav",
            "category": "browse",
        },
        {
            "name": "Verfak nightly report",
            "href": f"{URL_PREFIX}/reports/latest/",
            "url_route": "verfak-report",
            "destination": "nav",
            "category": "browse",
        },
    ]

"""The Airflow UI plugin's FastAPI app answers with the warehouse's numbers (in-process).

The same app inside a running api-server, behind Airflow's login, is tested in
test_airflow_alerts_and_ui.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import verfak_ui_plugin  # plugins/ is on sys.path, as in Airflow
from fastapi.testclient import TestClient

from tests.ops.conftest import EXPORT_DATE, ROOT, SCENARIO


@pytest.fixture(scope="module")
def client(ops_run):
    from verfak import report

    report.write_report(EXPORT_DATE, dag_run_id="manual__ui-test")
    verfak_ui_plugin.app.dependency_overrides[verfak_ui_plugin.require_airflow_login] = lambda: None
    yield TestClient(verfak_ui_plugin.app)
    verfak_ui_plugin.app.dependency_overrides.clear()


def test_json_has_the_completeness_numbers(client):
    data = client.get("/api/completeness", params={"period": "2024-06"}).json()
    assert data["period"] == "2024-06"
    assert data["cutoff_day"] == 17
    regency = data["regency"]
    assert [regency[k] for k in ("expected", "received", "on_time", "late", "missing")] == [
        187,
        183,
        180,
        3,
        4,
    ]
    tarumajaya = next(k for k in data["kecamatan"] if k["nama_kecamatan"] == "Tarumajaya")
    assert [tarumajaya[k] for k in ("expected", "received", "on_time", "late", "missing")] == [8, 5, 5, 0, 3]
    missing = {v["kode_desa"] for v in data["villages"] if v["problem"] == "missing"}
    assert missing == set(SCENARIO["2024-06"]["missing"])
    # the latest run's numbers
    assert data["numbers"]["rows_validated"] > 0
    assert data["verified"]["layak"] > 0
    assert {e["program"]: e["export_date"] for e in data["exports"]} == dict.fromkeys(
        ("bantuan_tunai", "pelatihan", "permodalan"), "2024-07-01"
    )
    assert data["last_report"]["run_date"] == "2024-07-01"
    # the default period is the latest one any village submitted for
    assert client.get("/api/completeness").json()["period"] == "2024-06"
    may = client.get("/api/completeness", params={"period": "2024-05"}).json()["regency"]
    assert [may[k] for k in ("received", "on_time", "late", "missing")] == [186, 184, 2, 1]


def test_page_shows_the_numbers(client):
    response = client.get("/", params={"period": "2024-06"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<div class="value" id="received">183 / 187</div>' in html
    assert 'id="missing">4</div>' in html
    assert html.count("<tr data-kecamatan=") == 24  # 23 kecamatan and the regency
    for kode_desa in SCENARIO["2024-06"]["missing"]:
        assert f'data-desa="{kode_desa}"' in html
    assert "/reports/latest/" in html


def test_serves_the_report_but_nothing_else(client, ops_run):
    latest = client.get("/reports/latest/")
    assert latest.status_code == 200
    assert "nightly run report" in latest.text
    asset = next((ops_run["root"] / "reports" / "assets").glob("plotly-*.min.js"))
    assert client.get(f"/reports/assets/{asset.name}").status_code == 200
    assert client.get("/reports/runs/2024-07-01/index.html").status_code == 200
    for path in (
        "/reports/data_docs/index.html",
        "/reports/latest/../../exports/x",
        "/reports/",
        "/reports/%2e%2e/%2e%2e/etc/passwd",
        "/reports/latest/%2e%2e/data_docs/index.html",
        "/reports/latest/..%2fdata_docs/index.html",
        "/reports/runs/%2e%2e/gx/great_expectations.yml",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get("/api/completeness", params={"period": "June"}).status_code == 422


def test_needs_an_airflow_login(client):
    overrides = verfak_ui_plugin.app.dependency_overrides
    saved = overrides.pop(verfak_ui_plugin.require_airflow_login)
    try:
        for path in ("/api/completeness", "/", "/reports/latest/"):
            assert client.get(path).status_code == 401, path
    finally:
        overrides[verfak_ui_plugin.require_airflow_login] = saved


def test_airflow_loads_the_plugin():
    """Airflow's own plugin manager finds the plugin, its FastAPI app and its menu links."""
    probe = """
import json
from airflow import plugins_manager
apps, _ = plugins_manager.get_fastapi_plugins()
views, _ = plugins_manager._get_ui_plugins()
print(json.dumps({"apps": [(a["name"], a["url_prefix"]) for a in apps],
                  "views": [(v["name"], v["href"], v.get("url_route")) for v in views],
                  "errors": plugins_manager.get_plugin_import_errors() if hasattr(plugins_manager, "get_plugin_import_errors") else {}}))
"""
    env = {**os.environ, "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins")}
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert ["Verfak operations", "/verfak"] in found["apps"]
    assert ["Verfak operations", "/verfak/", "verfak-operations"] in found["views"]
    assert not found["errors"]

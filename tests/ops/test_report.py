"""The nightly report: written per run and as latest, opened in headless Chromium.

Chromium comes from Debian's `chromium` package; scripts/ensure_chromium.sh installs it when
missing (as root). Set VERFAK_SCREENSHOT_OUT=<folder> to keep the screenshot for a look.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.ops.conftest import EXPORT_DATE, ROOT, SCENARIO, query
from verfak import alerts, report

WIB = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture(scope="module")
def chromium() -> str:
    result = subprocess.run([str(ROOT / "scripts" / "ensure_chromium.sh")], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"no Chromium for the report test:\n{result.stderr}")
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def written(ops_run):
    # An alert since the previous report, with a NIK-like number in it: the report shows it masked.
    alerts.raise_alert(
        alerts.Alert(
            kind="task_failed",
            dag_id="verfak_validate_load",
            run_id="scheduled__2024-07-01",
            task_id="validate_and_load",
            map_index=1,
            try_number=3,
            error_type="RuntimeError",
            message=alerts.scrub("RuntimeError: NIK 3216015708900001 loaded twice"),
        )
    )
    deadline = dt.datetime(2024, 7, 1, 6, 0, tzinfo=WIB)
    result = report.write_report(
        EXPORT_DATE, dag_run_id="scheduled__2024-06-30T19:00:00+00:00", deadline_at=deadline
    )
    yield result
    query(ops_run["uri"], "DELETE FROM ops.alert RETURNING 1")


def browse(chromium: str, page: Path, out: Path, *mode: str) -> subprocess.CompletedProcess:
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={out / 'chromium-profile'}",
        "--window-size=1280,2000",
        "--virtual-time-budget=5000",
        *mode,
        page.as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


class Tables(HTMLParser):
    """Rows per table id, and the ids and classes of elements, from the DOM Chromium dumped."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, list[list[str]]] = {}
        self.classes: list[str] = []
        self.ids: set[str] = set()
        self._table: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.classes.extend((attrs.get("class") or "").split())
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "table":
            self._table.append(attrs.get("id") or "?")
        elif tag == "tr" and self._table:
            self.rows.setdefault(self._table[-1], []).append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self._table:
            self._table.pop()
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[self._table[-1]][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_report_pages_are_written_and_recorded(ops_run, written):
    reports = ops_run["root"] / "reports"
    day_page = reports / "runs" / "2024-07-01" / "index.html"
    latest = reports / "latest" / "index.html"
    assert written["report"] == str(day_page)
    assert day_page.is_file()
    assert latest.is_file()
    assert not list(reports.rglob(".*.tmp"))  # written aside and renamed: no leftovers
    # both pages load the same chart script, relative to where they are
    for page, prefix in ((day_page, "../../"), (latest, "../")):
        src = re.search(r'<script src="([^"]+plotly[^"]+)"', page.read_text()).group(1)
        assert src.startswith(prefix)
        assert (page.parent / src).resolve().is_file()
    ((period, cutoff, numbers),) = query(
        ops_run["uri"],
        "SELECT periode, cutoff_day, numbers FROM ops.report_run WHERE run_date = '2024-07-01'",
    )
    assert (period, cutoff) == ("2024-06", 17)
    assert {k: numbers[k] for k in ("expected", "received", "on_time", "late", "missing")} == {
        "expected": 187,
        "received": 183,
        "on_time": 180,
        "late": 3,
        "missing": 4,
    }
    assert numbers["layak"] == written["layak"]
    assert numbers["alerts"] == 1


def test_report_has_no_personal_data(ops_run, written):
    html = Path(written["report"]).read_text()
    niks = {n for (n,) in query(ops_run["uri"], "SELECT nik FROM core.verifikasi")}
    names = {n for (n,) in query(ops_run["uri"], "SELECT nama FROM core.verifikasi")}
    assert not re.search(r"(?<![\d.])\d{16}(?![\d.])", html)  # no 16-digit ID (decimals of the chart aside)
    assert not any(nik in html for nik in niks)
    assert not any(f">{name}<" in html for name in names)
    assert "3216************" in html  # the alert's number, masked


def test_report_in_headless_chromium(ops_run, written, chromium, tmp_path):
    page = Path(written["latest"])
    shot = tmp_path / "report.png"
    result = browse(chromium, page, tmp_path, f"--screenshot={shot}")
    assert shot.is_file(), result.stderr[-2000:]
    assert shot.stat().st_size > 50_000, result.stderr[-2000:]
    if os.environ.get("VERFAK_SCREENSHOT_OUT"):
        shutil.copy(shot, Path(os.environ["VERFAK_SCREENSHOT_OUT"]) / "report.png")

    dom = browse(chromium, page, tmp_path, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    tables = Tables()
    tables.feed(dom.stdout)
    # The chart was drawn by plotly.js in the browser (the page itself has only a <div> and data).
    assert {"trend-chart", "completeness-chart"} <= tables.ids
    assert tables.classes.count("main-svg") >= 4  # two charts, two SVG layers each
    assert tables.classes.count("scatter") >= 23  # one line per kecamatan
    # The completeness table: a header, 23 kecamatan and the regency, with the scenario's numbers.
    completeness = tables.rows["completeness-table"]
    assert len(completeness) == 1 + 23 + 1
    assert completeness[-1][:6] == ["Kabupaten Bekasi", "187", "183", "180", "3", "4"]
    babelan = next(r for r in completeness if r[0].startswith("Babelan"))
    assert babelan[1:6] == ["9", "9", "7", "2", "0"]
    village_codes = {row[2].split()[-1]: row[0] for row in tables.rows["villages-table"][1:]}
    for kode_desa in SCENARIO["2024-06"]["missing"]:
        assert village_codes[kode_desa] == "missing"
    assert village_codes["32.16.02.2004"] == "rejected only"
    # Quality rules, exports, alerts, and the run's deadline.
    rules = tables.rows["rules-table"]
    assert len(rules) > 1
    assert all(int(r[3]) > 0 for r in rules[1:])
    assert {r[0] for r in tables.rows["exports-table"][1:]} == {"bantuan_tunai", "pelatihan", "permodalan"}
    assert "verfak_validate_load.validate_and_load" in tables.rows["alerts-table"][1][2]
    assert "deadline was 2024-07-01 06:00 WIB" in " ".join(dom.stdout.split())
    # The periods table shows both periods' regency numbers.
    assert [r[0] for r in tables.rows["periods-table"][1:]] == ["2024-05", "2024-06"]


def test_report_links_reach_data_docs_and_exports(ops_run, written):
    html = Path(written["latest"]).read_text()
    hrefs = re.findall(r'href="([^"#]+)"', html)
    docs = [h for h in hrefs if "data_docs" in h]
    assert docs
    assert all((Path(written["latest"]).parent / h).resolve().is_file() for h in docs)
    exports = [h for h in hrefs if h.startswith("file://") and "/exports/" in h]
    assert len(exports) >= 3


def test_report_of_an_empty_warehouse_renders(tmp_path):
    """The first night, before any village has submitted: no period, no marts, no exports."""
    info = {
        "period": None,
        "cutoff_day": 17,
        "by_period": [],
        "regency": None,
        "kecamatan": [],
        "villages": [],
        "numbers": {},
        "rules": [],
        "rejected_files": [],
        "trend": [],
        "verified": {"layak": None, "previous_period": None, "previous_layak": None, "change": None},
        "exports": [],
        "alerts": [],
        "alerts_since": dt.datetime(2024, 7, 1, tzinfo=WIB),
        "last_report": None,
        "generated_at": dt.datetime(2024, 7, 1, tzinfo=WIB),
    }
    run = {
        "run_date": EXPORT_DATE,
        "dag_run_id": None,
        "finished_at": dt.datetime(2024, 7, 1, 2, 5, tzinfo=WIB),
        "deadline_at": None,
        "on_time": None,
    }
    html = report.render(info, tmp_path, "../", run, {"trend": None, "completeness": None}, None)
    assert "Period <strong>none yet</strong>" in html
    assert "No export yet." in html
    assert "This run had no deadline" in html
    assert "<script src=" not in html

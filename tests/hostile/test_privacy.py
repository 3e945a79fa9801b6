"""Issue #12, items 10-13: personal data only where it belongs, files not readable by every account.

The crafted files of ``craft_privacy`` (IDs the gate rejects, IDs and phone numbers written with
separators) go through ingest, validate-and-load, publish and the nightly report against the real
PostgreSQL, under the usual umask 022. Then:

- no NIK, KK or phone number of those files is in any file under the reports folder (validation
  results, Data Docs, the nightly report) or in any log line of the run, while the validation
  results still name every failing row by file and row number (item 10);
- every file and folder the run wrote under the export and report folders is 0640 / 0750 (item 12).

The report page's path checks (item 11) and the alert scrubber and warehouse errors (item 13) are
tested here too, on small inputs.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
from pathlib import Path

import psycopg2
import pytest

from tests.conftest import isolated_run
from tests.helpers import EXPORT_DATE, run_ingest, run_publish, run_validate_load
from tests.hostile import craft_privacy, make_hostile
from tests.hostile.craft_privacy import PERIOD, PRIVACY_FILES, VILLAGE_A, VILLAGE_B

FILES = Path(__file__).resolve().parent / "files"
SECRETS = sorted(craft_privacy.secret_values(), key=len, reverse=True)

#: (village, spreadsheet row) -> the rules that must fail there (the gate still finds every row).
EXPECTED_FAILURES = {
    (VILLAGE_A, 2): {"nik_ganda_antar_desa"},
    (VILLAGE_A, 3): {"nik_16_digit"},
    (VILLAGE_A, 4): {"no_kk_16_digit"},
    (VILLAGE_A, 5): {"nik_tanggal_valid"},
    (VILLAGE_A, 6): {"nik_nomor_urut"},
    (VILLAGE_A, 7): {"nik_16_digit"},
    (VILLAGE_A, 8): {"nik_16_digit"},
    (VILLAGE_A, 10): {"nik_ganda_dalam_file", "nik_kk_berbeda"},
    (VILLAGE_B, 2): {"nik_ganda_antar_desa"},
}


def test_crafted_files_are_reproducible(tmp_path):
    """make_hostile.build writes the committed privacy files byte for byte."""
    make_hostile.build(tmp_path)
    for name in PRIVACY_FILES:
        assert (tmp_path / name).read_bytes() == (FILES / name).read_bytes(), name


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture(scope="module")
def privacy_run(warehouse_uri, tmp_path_factory):
    from verfak import report

    root = tmp_path_factory.mktemp("privacy")
    with isolated_run(warehouse_uri, root):
        landing = root / "landing"
        for name, (kode_desa, _rows) in PRIVACY_FILES.items():
            target = landing / PERIOD / kode_desa / name
            target.parent.mkdir(parents=True)
            shutil.copyfile(FILES / name, target)
        capture = _Lines()
        capture.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        logger = logging.getLogger()
        old_level, old_umask = (
            logger.level,
            os.umask(0o022),
        )  # the usual umask: the pipeline must not rely on it
        logger.addHandler(capture)
        logger.setLevel(logging.INFO)
        try:
            ingested = run_ingest(landing)
            loaded = run_validate_load()
            published = run_publish()
            nightly = report.write_report(EXPORT_DATE, dag_run_id="manual__privacy")
        finally:
            logger.removeHandler(capture)
            logger.setLevel(old_level)
            os.umask(old_umask)
        yield {
            "root": root,
            "ingested": ingested,
            "loaded": loaded,
            "published": published,
            "report": nightly,
            "log": capture.lines,
        }


def _failures(uri: str) -> dict[tuple[str, int], set[str]]:
    with psycopg2.connect(uri) as conn, conn.cursor() as cur:
        cur.execute(
            """SELECT f.kode_desa, i.source_row, i.rule_id FROM quality.row_issue i
                 JOIN raw.submission_file f USING (file_id)"""
        )
        rows = cur.fetchall()
    conn.close()
    found: dict[tuple[str, int], set[str]] = {}
    for kode_desa, source_row, rule_id in rows:
        found.setdefault((kode_desa, source_row), set()).add(rule_id)
    return found


def test_the_gate_still_finds_every_failing_row(privacy_run, warehouse_uri):
    (outcome,) = privacy_run["loaded"]
    found = _failures(warehouse_uri)
    for place, rules in EXPECTED_FAILURES.items():
        assert rules <= found.get(place, set()), place
    # the valid rows and the warnings-only rows reach core
    assert outcome["rows_validated"] == 12
    assert outcome["rows_loaded"] > 0


def _report_files(root: Path) -> list[Path]:
    files = [p for p in (root / "reports").rglob("*") if p.is_file()]
    assert files
    return files


def test_reports_folder_holds_row_ids_not_values(privacy_run):
    """No NIK, KK or phone number of the files anywhere under the reports folder (JSON, HTML, JS)."""
    reports = privacy_run["root"] / "reports"
    leaks = []
    for path in _report_files(privacy_run["root"]):
        text = path.read_bytes().decode("utf-8", errors="replace")
        leaks += [f"{path.relative_to(reports)}: {secret}" for secret in SECRETS if secret in text]
    assert not leaks, leaks[:20]
    # ... and the validation results still name every failing row by its place and count them
    results = list((reports / "gx" / "uncommitted" / "validations" / "verfak_verifikasi").rglob("*.json"))
    assert results
    places: dict[str, set[int]] = {}
    for path in results:
        for result in json.loads(path.read_text())["results"]:
            details = result.get("result") or {}
            rule = result["expectation_config"]["meta"]["rule_id"]
            if details.get("unexpected_count"):
                rows = set()
                for item in details["unexpected_index_list"]:
                    rows |= (
                        set(item["source_row"])
                        if isinstance(item["source_row"], list)
                        else {item["source_row"]}
                    )
                assert len(rows) <= details["unexpected_count"], rule
                places.setdefault(rule, set()).update(rows)
    assert {3, 7, 8} <= places["nik_16_digit"]
    assert 4 in places["no_kk_16_digit"]
    assert 2 in places["nik_ganda_antar_desa"]
    docs = reports / "data_docs" / "index.html"
    assert docs.exists()


def test_logs_hold_no_personal_data(privacy_run):
    log = "\n".join(privacy_run["log"])
    assert "period 2024-06" in log  # the run did log
    assert not [s for s in SECRETS if s in log]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_written_files_are_not_world_readable(privacy_run):
    """Exports (with manifest and LATEST), feedback, the report and the Data Docs: files 0640, folders 0750."""
    wrong = []
    seen = {"export": 0, "manifest.json": 0, "LATEST": 0, "feedback": 0, "data_docs": 0, "gx": 0, "latest": 0}
    for top in ("exports", "reports"):
        for path in (privacy_run["root"] / top).rglob("*"):
            expected = 0o750 if path.is_dir() else 0o640
            if _mode(path) != expected:
                wrong.append(f"{path.relative_to(privacy_run['root'])}: {oct(_mode(path))}")
            for key in seen:
                seen[key] += key in path.parts or (key == "export" and path.name == "referrals.xlsx")
    assert not wrong, wrong[:20]
    assert all(seen.values()), seen


# --- item 11: the report page serves nothing outside its folders ---------------------------------


@pytest.fixture
def report_client(tmp_path, monkeypatch):
    import verfak_ui_plugin
    from fastapi.testclient import TestClient

    reports = tmp_path / "reports"
    for relative in (
        "latest/index.html",
        "runs/2024-07-01/index.html",
        "assets/plotly.min.js",
        "data_docs/index.html",
        "gx/uncommitted/validations/verifikasi/run/result.json",
    ):
        (reports / relative).parent.mkdir(parents=True, exist_ok=True)
        (reports / relative).write_text(f"<p>{relative}</p>")
    (tmp_path / "secret.txt").write_text("outside")
    (reports / "latest" / "docs.html").symlink_to(reports / "data_docs" / "index.html")
    (reports / "latest" / "out").symlink_to(tmp_path)
    monkeypatch.setenv("VERFAK_REPORT_DIR", str(reports))
    verfak_ui_plugin.app.dependency_overrides[verfak_ui_plugin.require_airflow_login] = lambda: None
    yield TestClient(verfak_ui_plugin.app)
    verfak_ui_plugin.app.dependency_overrides.clear()


def test_report_page_serves_only_its_folders(report_client, tmp_path):
    for path in (
        "/reports/latest/",
        "/reports/latest/index.html",
        "/reports/runs/2024-07-01/",
        "/reports/assets/plotly.min.js",
    ):
        assert report_client.get(path).status_code == 200, path
    for path in (
        "/reports/latest/%2e%2e/data_docs/index.html",
        "/reports/latest/%2e%2e/gx/uncommitted/validations/verifikasi/run/result.json",
        "/reports/latest/..%2fdata_docs/index.html",
        "/reports/latest/..%2f..%2fsecret.txt",
        "/reports/runs/%2e%2e/%2e%2e/secret.txt",
        "/reports/latest/docs.html",  # a symlink inside the folder pointing out of it
        "/reports/latest/out/secret.txt",  # a symlinked folder pointing out
        f"/reports/latest/{tmp_path}/secret.txt",
        f"/reports/{tmp_path}/secret.txt",  # an absolute path
        f"/reports/%2F{str(tmp_path).lstrip('/')}/secret.txt",
        "/reports/data_docs/index.html",
    ):
        response = report_client.get(path)
        assert response.status_code == 404, (path, response.status_code)


# --- item 10: retention of the validation results and Data Docs ------------------------------------


def test_old_validation_results_are_removed_by_the_nightly_report(privacy_run, monkeypatch):
    """The nightly report deletes validation results and Data Docs pages older than
    VERFAK_REPORT_RETENTION_DAYS (default 30) and rebuilds the Data Docs index without them."""
    from verfak import quality, report

    reports = privacy_run["root"] / "reports"
    days_before = {40: "20240521T020000.000000Z", 20: "20240610T020000.000000Z"}  # before 2024-07-01
    current = []
    for relative in quality.RESULT_FOLDERS:
        for run_folder in sorted((reports / relative).glob("*/*/*")):
            current.append(run_folder)
            for name in days_before.values():
                shutil.copytree(run_folder, run_folder.with_name(name))
    assert len(current) == 4  # two suites, as JSON and as HTML
    context, _ = quality._context(reports)
    context.build_data_docs(site_names=["verfak"])
    index = reports / "data_docs" / "index.html"
    assert all(name in index.read_text() for name in days_before.values())

    monkeypatch.delenv("VERFAK_REPORT_RETENTION_DAYS", raising=False)
    report.write_report(EXPORT_DATE, dag_run_id="manual__retention")
    for run_folder in current:
        assert run_folder.exists()
        assert not run_folder.with_name(days_before[40]).exists()
        assert run_folder.with_name(days_before[20]).exists()
    assert days_before[40] not in index.read_text()
    assert days_before[20] in index.read_text()

    monkeypatch.setenv("VERFAK_REPORT_RETENTION_DAYS", "10")
    report.write_report(EXPORT_DATE, dag_run_id="manual__retention")
    assert all(
        run_folder.exists() and not run_folder.with_name(days_before[20]).exists() for run_folder in current
    )
    assert days_before[20] not in index.read_text()
    # the rebuilt Data Docs are still private and hold no personal data
    test_written_files_are_not_world_readable(privacy_run)
    test_reports_folder_holds_row_ids_not_values(privacy_run)


# --- item 13: masking IDs with separators; warehouse errors without row values ----------------------

NIK_SPACED, NIK_DOTTED, PHONE_DASHED = "3216 0112 3456 7890", "3216.0112.3456.7890", "0812-3456-7890"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"NIK {NIK_SPACED} ditolak", "NIK 3216 **** **** **** ditolak"),
        (f"NIK {NIK_DOTTED}.", "NIK 3216.****.****.****."),
        (f"HP {PHONE_DASHED}", "HP 0812-****-****"),
        ("HP +62 812 3456 7890", "HP +62 81* **** ****"),
        ("NIK 32.16.01.540380.0101", "NIK 32.16.**.******.****"),
        ("NIK 3216011234567890 KK 3216010101000101", "NIK 3216************ KK 3216************"),
        ("Key (nik)=(3216-0112-3456-7890) already exists", "Key (nik)=(3216-****-****-****) already exists"),
    ],
)
def test_scrub_masks_ids_with_separators(text, masked):
    from verfak import alerts

    assert alerts.scrub(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "period 2024-06, 1,144 people, row 12 of file 3",
        "deadline 2024-07-01 06:00 WIB (run manual__2024-07-01T02:00:00+07:00)",
        "tanggal 05-06-2024 dan 05/06/2024, periode 2024-05 2024-06",
        "desa 32.16.01.2001, kecamatan 32.16.01",  # village and kecamatan codes
        "Rp 500.000, total 1.234.567 rupiah, 12 345 baris",
        "NIK 3216 01 (8 digits at most in groups)",
    ],
)
def test_scrub_keeps_dates_counts_and_codes(text):
    from verfak import alerts

    assert alerts.scrub(text) == text


def _chain(error: BaseException) -> list[BaseException]:
    seen = []
    while error is not None and error not in seen:
        seen.append(error)
        error = error.__cause__ or error.__context__
    return seen


def _assert_clean(error: BaseException, *secrets: str) -> None:
    import traceback

    from verfak import alerts

    texts = [str(e) for e in _chain(error)] + [repr(e) for e in _chain(error)]
    texts.append("".join(traceback.format_exception(error)))
    texts.append(alerts.task_failure_alert({"exception": error, "run_id": "manual__x"}).message)
    for text in texts:
        assert "DETAIL" not in text, text
        assert "Failing row" not in text, text
        for secret in secrets:
            assert secret not in text, text
            assert secret.replace(" ", "") not in text, text


def test_unique_violation_leaves_no_nik(warehouse):
    from verfak import db

    nik = "3216011234567890"
    with pytest.raises(db.WarehouseError) as raised, db.transaction() as cur:
        cur.execute(
            "CREATE TEMP TABLE t_person (nik text PRIMARY KEY); INSERT INTO t_person VALUES (%s), (%s)",
            (nik, nik),
        )
    assert raised.value.sqlstate == "23505"
    assert "unique constraint" in str(raised.value)
    _assert_clean(raised.value, nik)


def test_check_violation_leaves_no_row(warehouse):
    from verfak import db

    with pytest.raises(db.WarehouseError) as raised, db.transaction() as cur:
        cur.execute(
            """INSERT INTO ref.desa (kode_desa, kode_desa_plain, kode_kecamatan, nama_desa, jenis)
                   VALUES (%s, %s, %s, %s, %s)""",
            (NIK_SPACED, NIK_SPACED.replace(" ", ""), "32.16.01", "Desa Rahasia", "desa"),
        )
    assert raised.value.sqlstate == "23514"
    assert "check constraint" in str(raised.value)
    _assert_clean(raised.value, NIK_SPACED, "Desa Rahasia")


def test_sql_file_error_names_the_file_not_the_value(warehouse):
    from verfak import db

    with pytest.raises(db.WarehouseError) as raised, db.transaction() as cur:
        db.run_sql_file(
            cur,
            "ops/upsert_report_run.sql",
            {
                "run_date": "3216011234567890",
                "dag_run_id": None,
                "periode": None,
                "cutoff_day": 17,
                "report_path": "x",
                "numbers": "{}",
            },
        )
    error = raised.value
    assert error.sqlstate == "22008" or error.sqlstate.startswith("22"), error.sqlstate
    assert error.statement == "ops/upsert_report_run.sql"
    assert "ops/upsert_report_run.sql" in str(error)
    assert error.__context__ is None
    assert error.__cause__ is None
    _assert_clean(error, "3216011234567890")

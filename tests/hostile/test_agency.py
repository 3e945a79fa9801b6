"""Issue #12, items 8 and 9: agencies keep the login their administrator gave them, and their
queries can't see past their view, nor stall the nightly publish by holding it open.

Against the real PostgreSQL, logged in as the agency roles for real (passwords set with
``python -m verfak agency-password``), on the crafted file of ``craft_agency.py``.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg2
import psycopg2.extras
import pytest
from psycopg2 import errors

from tests.conftest import isolated_run
from tests.helpers import run_all, run_publish
from tests.hostile import craft_agency
from verfak import migrate
from verfak.programs import load_programs

HERE = Path(__file__).resolve().parent
CRAFTED = HERE / "files" / "agency"
ROOT = HERE.parents[1]
# Test-only secrets, made up here; a real one comes from the administrator's stdin or file.
PASSWORDS = {"pelatihan": "pelatihan-Test-Pw-7f3a9", "bantuan_tunai": "bantuan-Test-Pw-2c81e"}
PUBLISH_BOUND_S = 60


@pytest.fixture(scope="module")
def loaded(warehouse_uri, tmp_path_factory):
    """The crafted village file through ingest, validate-and-load and publish."""
    root = tmp_path_factory.mktemp("hostile_agency")
    with isolated_run(warehouse_uri, root) as mp:
        for name in list(os.environ):
            if name.startswith("VERFAK_AGENCY_PASSWORD_"):
                mp.delenv(name)
        shutil.copytree(CRAFTED, root / "landing", dirs_exist_ok=True)
        run_all(root / "landing")
        yield warehouse_uri


def env_without_agency_passwords(uri: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VERFAK_AGENCY_PASSWORD_")}
    env["AIRFLOW_CONN_VERFAK_WAREHOUSE"] = uri
    return env


def set_password_with_command(uri: str, program: str, password: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "verfak", "agency-password", program],
        input=password + "\n",
        capture_output=True,
        text=True,
        env=env_without_agency_passwords(uri),
        cwd=ROOT,
        timeout=120,
    )


def agency_connect(uri: str, program: str, password: str | None = None):
    dsn = psycopg2.extensions.parse_dsn(uri)
    dsn.update(user=f"agency_{program}", password=password or PASSWORDS[program])
    return psycopg2.connect(**dsn)


def set_password(program: str, password: str | None, conn) -> str:
    from verfak.agency import set_password as set_agency_password  # imported late: item 8's new API

    return set_agency_password(program, password, conn)


def test_crafted_file_is_rebuilt_byte_for_byte(tmp_path):
    for path in craft_agency.build(tmp_path):
        committed = HERE / "files" / path.relative_to(tmp_path)
        assert committed.read_bytes() == path.read_bytes(), committed


# --------------------------------------------------------------------------- item 8: logins kept


def test_password_set_by_the_command_survives_publish_and_migrate(loaded, caplog):
    uri = loaded
    for program, password in PASSWORDS.items():
        done = set_password_with_command(uri, program, password)
        assert done.returncode == 0, done.stderr
        assert f"agency_{program}" in done.stdout
        assert password not in done.stdout + done.stderr
    # Publish and migrate run without any agency password in the environment (as the scheduler's
    # tasks and the init container do), and once with a stale one: neither changes a login.
    caplog.set_level(logging.DEBUG)
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("VERFAK_AGENCY_PASSWORD_"):
                mp.delenv(name)
        run_publish()
        migrate.migrate()
        mp.setenv("VERFAK_AGENCY_PASSWORD_PELATIHAN", "stale-value-from-an-old-env")
        migrate.migrate()
    assert "VERFAK_AGENCY_PASSWORD_PELATIHAN set in the environment but no longer read" in caplog.text
    assert "stale-value-from-an-old-env" not in caplog.text
    for program, password in PASSWORDS.items():
        assert password not in caplog.text
        agency = agency_connect(uri, program)
        with agency, agency.cursor() as cur:
            cur.execute(f"SELECT nik FROM publish.{program}")
            people = {nik for (nik,) in cur.fetchall()}
        agency.close()
        assert people
        assert craft_agency.target_nik() not in people
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        agency_connect(uri, "pelatihan", "stale-value-from-an-old-env")


def test_only_a_scram_verifier_reaches_the_server(loaded, tmp_path):
    """Every statement the command sends, as psycopg2 sends it: no clear password."""
    statements = tmp_path / "statements.log"
    password = "rotated-Test-Pw-91b0d"
    with statements.open("w") as fh:
        conn = psycopg2.connect(loaded, connection_factory=psycopg2.extras.LoggingConnection)
        conn.initialize(fh)
        set_password("pelatihan", password, conn)
        conn.close()
    sent = statements.read_text()
    assert password not in sent
    assert "LOGIN PASSWORD 'SCRAM-SHA-256$4096:" in sent
    agency = agency_connect(loaded, "pelatihan", password)
    agency.close()
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        agency_connect(loaded, "pelatihan")  # the old one no longer works
    set_password("pelatihan", PASSWORDS["pelatihan"], psycopg2.connect(loaded))


def test_password_file_and_withdrawing_a_login(loaded, tmp_path):
    secret = tmp_path / "pw"
    secret.write_text(PASSWORDS["bantuan_tunai"] + "\n")
    secret.chmod(0o600)
    env = env_without_agency_passwords(loaded)
    run = [sys.executable, "-m", "verfak", "agency-password", "bantuan_tunai"]
    done = subprocess.run(
        [*run, "--password-file", str(secret)], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    agency_connect(loaded, "bantuan_tunai").close()
    short = subprocess.run(run, input="short\n", capture_output=True, text=True, env=env, cwd=ROOT)
    assert short.returncode == 1
    assert "at least 12 characters" in short.stderr
    assert "short" not in short.stdout
    agency_connect(loaded, "bantuan_tunai").close()  # a refused password changes nothing
    done = subprocess.run([*run, "--no-login"], capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    run_publish()  # and a run does not give the login back
    with pytest.raises(
        psycopg2.OperationalError, match=r"password authentication failed|not permitted to log in"
    ):
        agency_connect(loaded, "bantuan_tunai")
    with psycopg2.connect(loaded) as conn, conn.cursor() as cur:
        cur.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'agency_bantuan_tunai'")
        assert cur.fetchone() == (False,)
    conn.close()
    assert set_password_with_command(loaded, "bantuan_tunai", PASSWORDS["bantuan_tunai"]).returncode == 0


# --------------------------------------------------------------------------- item 9: the barrier

PROBES = {
    # A cast that fails on the chosen row, with the row's value in the error message.
    "cast": "SELECT count(*) FROM publish.pelatihan WHERE CASE WHEN nik = %s THEN nama::int ELSE 0 END = 0",
    # A division by zero on the chosen row (not constant, so not folded at plan time).
    "division": "SELECT count(*) FROM publish.pelatihan WHERE CASE WHEN nik = %s THEN 1 / (length(nik) - 16) "
    "ELSE 1 END = 1",
    # The same, guessing the first letter of the name.
    "guess": "SELECT count(*) FROM publish.pelatihan WHERE CASE WHEN nik = %s AND nama LIKE 'D%%' "
    "THEN 1 / (length(nik) - 16) ELSE 1 END = 1",
}


def probe_runs_on_core_rows(plan: str) -> bool:
    """Whether the plan applies the agency's CASE to the scan of core.verifikasi (every person)."""
    lines = plan.splitlines()
    for i, line in enumerate(lines):
        if " on verifikasi " in line:
            scan_lines = lines[i + 1 : i + 4]
            return any("Filter:" in s and "CASE WHEN" in s for s in scan_lines if "->" not in s)
    raise AssertionError(f"no scan of core.verifikasi in the plan:\n{plan}")


@pytest.mark.parametrize("probe", sorted(PROBES))
def test_an_agency_query_learns_nothing_about_people_outside_its_list(loaded, probe):
    set_password("pelatihan", PASSWORDS["pelatihan"], psycopg2.connect(loaded))
    agency = agency_connect(loaded, "pelatihan")
    agency.autocommit = True
    try:
        answers, plans = probe_as_agency(agency, PROBES[probe])
    finally:
        agency.close()
    # The target is in core (tidak_layak), a made-up NIK is nowhere: the agency must get the same
    # answer for both, and no error (an error, or its message, is the leak).
    on_list = len(craft_agency.TRAINEES)
    assert answers == {"count": on_list, "target": on_list, "nobody": on_list}, answers
    # The agency's condition stays above the view (a Subquery Scan), never on the scan of
    # core.verifikasi where every person is.
    for plan in plans:
        assert "Subquery Scan" in plan, plan
        assert not probe_runs_on_core_rows(plan), plan


def probe_as_agency(agency, probe: str) -> tuple[dict, list[str]]:
    answers, plans = {}, []
    with agency.cursor() as cur:
        cur.execute("SELECT count(*) FROM publish.pelatihan")
        answers["count"] = cur.fetchone()[0]
        for label, nik in (("target", craft_agency.target_nik()), ("nobody", "3216019999990001")):
            try:
                cur.execute(probe, (nik,))
                answers[label] = cur.fetchone()[0]
            except psycopg2.Error as exc:
                answers[label] = f"error: {exc.pgerror}"
            cur.execute(f"EXPLAIN {probe}", (nik,))
            plans.append("\n".join(line for (line,) in cur.fetchall()))
    return answers, plans


def test_without_the_barrier_the_probe_leaks(loaded):
    """The control: the same view without security_barrier lets the probe through to core's rows
    (shown on a copy the owner makes in its own session, so the published view is untouched)."""
    program = load_programs()["pelatihan"]
    from verfak.agency import program_select

    conn = psycopg2.connect(loaded)
    with conn.cursor() as cur:
        cur.execute(psycopg2.sql.SQL("CREATE TEMP VIEW plain AS {}").format(program_select(program)))
        # With a nested loop the executor may stop scanning core after the last trainee's match
        # (inner-unique join) and never reach the target's row; a hash join reads all of core, so
        # the control shows the leak whatever the table statistics are when the test runs.
        cur.execute("SET enable_nestloop = off; SET enable_mergejoin = off")
        probe = PROBES["cast"].replace("publish.pelatihan", "pg_temp.plain")
        cur.execute(f"EXPLAIN {probe}", (craft_agency.target_nik(),))
        plan = "\n".join(line for (line,) in cur.fetchall())
        assert "Subquery Scan" not in plan, plan
        assert probe_runs_on_core_rows(plan), plan
        with pytest.raises(errors.InvalidTextRepresentation, match=craft_agency.TARGET_NAME):
            cur.execute(probe, (craft_agency.target_nik(),))
    conn.close()


# --------------------------------------------------------------------------- item 9: no stall


def publish_in_thread(bound: float) -> tuple[bool, list, threading.Thread]:
    outcome: list = []

    def work():
        try:
            outcome.append(run_publish())
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(bound)
    return not thread.is_alive(), outcome, thread


def test_an_idle_agency_session_cannot_stall_the_publish(loaded, tmp_path, monkeypatch, caplog):
    set_password("pelatihan", PASSWORDS["pelatihan"], psycopg2.connect(loaded))
    monkeypatch.setenv("VERFAK_AGENCY_VIEW_LOCK_TIMEOUT", "1")
    # The agency opens a transaction, reads its view and leaves the session idle.
    agency = agency_connect(loaded, "pelatihan")
    cur = agency.cursor()
    cur.execute("SELECT 1 FROM publish.pelatihan LIMIT 1")
    try:
        # 1. Nothing changed: the view is left alone, no lock asked.
        started = time.monotonic()
        finished, outcome, thread = publish_in_thread(PUBLISH_BOUND_S)
        assert finished, "publish stalled behind the agency's idle session"
        assert not isinstance(outcome[0], Exception), outcome
        assert "not refreshed" not in caplog.text
        # 2. The program gains a column: the view must be replaced, the agency still holds it.
        programs = (ROOT / "include" / "programs.yaml").read_text()
        changed = tmp_path / "programs.yaml"
        changed.write_text(
            programs.replace("nama_kecamatan, nama_desa]", "nama_kecamatan, nama_desa, desil]", 1)
        )
        monkeypatch.setenv("VERFAK_PROGRAMS_FILE", str(changed))
        assert load_programs()["pelatihan"].columns[-1] == "desil"
        caplog.set_level(logging.WARNING)
        finished, outcome, thread = publish_in_thread(PUBLISH_BOUND_S)
        assert finished, "publish stalled behind the agency's idle session"
        assert not isinstance(outcome[0], Exception), outcome
        assert outcome[0]["pelatihan"]["rows"] == len(craft_agency.TRAINEES)
        assert "view publish.pelatihan not refreshed: an agency session held it" in caplog.text
        assert time.monotonic() - started < PUBLISH_BOUND_S
        # The export already has the new column; the agency's transaction was not disturbed.
        header = (Path(outcome[0]["pelatihan"]["folder"]) / "referrals.csv").read_text().splitlines()[0]
        assert header.endswith(",desil"), header
        cur.execute("SELECT count(*) FROM publish.pelatihan")
        assert cur.fetchone()[0] == len(craft_agency.TRAINEES)
    finally:
        agency.close()  # releases the lock (and unblocks an old publish, so the test ends)
        if "thread" in locals():
            thread.join(PUBLISH_BOUND_S)
    # 3. The next run, with nobody holding the view, refreshes it in place: grants kept.
    caplog.clear()
    run_publish()
    assert "not refreshed" not in caplog.text
    agency = agency_connect(loaded, "pelatihan")
    with agency, agency.cursor() as cur:
        cur.execute("SELECT desil FROM publish.pelatihan")
        assert len(cur.fetchall()) == len(craft_agency.TRAINEES)
    agency.close()

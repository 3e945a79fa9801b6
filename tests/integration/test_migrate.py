"""Migrate: the versioned migrations once each, the repeatable views and functions
(include/sql/views/) re-created only when their file changed or they are missing, never an
agency's view dropped. Each test migrates a database of its own from nothing."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import psycopg2
import pytest

from tests.conftest import _with_database
from verfak import migrate
from verfak.programs import load_programs

CONN_ID = "verfak_migrate_test"


@pytest.fixture
def fresh(warehouse_uri, monkeypatch):
    """A new, empty database and the connection id that points at it; dropped afterwards."""
    name = f"verfak_migrate_{os.getpid()}"
    admin = psycopg2.connect(_with_database(warehouse_uri, "postgres"))
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {name}")
    uri = _with_database(warehouse_uri, name)
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", uri)
    yield uri
    with admin.cursor() as cur:
        # A session of another role (an agency's, closing) can't be terminated by the pipeline's
        # non-superuser role: wait for it to end rather than fail the teardown.
        for attempt in range(20):
            try:
                cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                break
            except psycopg2.errors.InsufficientPrivilege:
                cur.execute(
                    "SELECT usename, backend_type, state FROM pg_stat_activity WHERE datname = %s", (name,)
                )
                others = cur.fetchall()
                if attempt == 19:
                    raise AssertionError(f"sessions left in {name}: {others}") from None
                time.sleep(0.5)
    admin.close()


def _query(uri: str, statement: str, params=None) -> list[tuple]:
    with psycopg2.connect(uri) as conn, conn.cursor() as cur:
        cur.execute(statement, params)
        rows = cur.fetchall() if cur.description else []
    conn.close()
    return rows


def _objects(uri: str) -> dict[str, int]:
    """oid of every repeatable object (a re-created one gets a new oid)."""
    rows = _query(
        uri,
        """SELECT n.nspname || '.' || c.relname, c.oid::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('v', 'm')
           UNION ALL
           SELECT n.nspname || '.' || p.proname, p.oid::bigint FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname IN ('mart', 'publish', 'raw')""",
    )
    return dict(rows)


def _apply(uri: str, directory: Path) -> list[str]:
    """The repeatable pass alone, from ``directory``, as migrate runs it."""
    with psycopg2.connect(uri) as conn, conn.cursor() as cur:
        cur.execute("SELECT name, sha256 FROM public.verfak_migration")
        done = migrate.apply_repeatable(cur, dict(cur.fetchall()), migrate.repeatables(directory))
    conn.close()
    return done


@pytest.fixture
def views_copy(tmp_path) -> Path:
    copy = tmp_path / "views"
    shutil.copytree(migrate.VIEWS_DIR, copy)
    return copy


def _edit(directory: Path, name: str, old: str, new: str) -> None:
    (path,) = directory.glob(f"*_{name}.sql")
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_fresh_migrate_creates_every_repeatable_object_and_a_second_one_touches_nothing(fresh):
    items = migrate.repeatables()
    applied = migrate.migrate(CONN_ID)
    assert [name for name in applied if not name.startswith(migrate.REPEATABLE_PREFIX)] == sorted(
        p.name for p in migrate.MIGRATIONS_DIR.glob("*.sql")
    )
    assert [name for name in applied if name.startswith(migrate.REPEATABLE_PREFIX)] == [i.key for i in items]
    recorded = dict(
        _query(fresh, "SELECT name, sha256 FROM public.verfak_migration WHERE name LIKE 'views/%'")
    )
    assert recorded == {i.key: i.digest for i in items}
    before = _objects(fresh)
    assert {i.name for i in items} <= set(before)
    # the agencies' views exist too, on publish.referral_candidate
    programs = set(load_programs())
    assert programs <= {name.split(".")[1] for name in before if name.startswith("publish.")}

    assert migrate.migrate(CONN_ID) == []
    assert _objects(fresh) == before


def test_a_changed_view_file_is_re_created_with_what_reads_it(fresh, views_copy):
    migrate.migrate(CONN_ID)
    _query(fresh, "REFRESH MATERIALIZED VIEW mart.verified_count")
    before = _objects(fresh)
    # a materialized view: dropped and created again, with the view on it; refreshed as it held data
    _edit(views_copy, "mart.verified_count", "AS verified,", "AS verified, 1 AS version,")
    assert _apply(fresh, views_copy) == ["views/mart.verified_count", "views/mart.verified_count_kecamatan"]
    after = _objects(fresh)
    changed = {name for name in before if after.get(name) != before[name]}
    assert changed == {"mart.verified_count", "mart.verified_count_kecamatan"}
    assert _query(
        fresh,
        "SELECT relispopulated FROM pg_class WHERE oid = 'mart.verified_count'::regclass",
    ) == [(True,)]
    assert _query(
        fresh,
        "SELECT count(*) FROM pg_attribute WHERE attrelid = 'mart.verified_count'::regclass AND attname = 'version'",
    ) == [(1,)]
    assert _apply(fresh, views_copy) == []  # recorded: not again

    # a plain view changed compatibly: replaced in place (same oid, the agency views on it stay)
    _edit(
        views_copy,
        "publish.referral_candidate",
        "v.tanggal_verifikasi\n",
        "v.tanggal_verifikasi, 2 AS version\n",
    )
    assert _apply(fresh, views_copy) == ["views/publish.referral_candidate"]
    assert _objects(fresh) == after


def test_a_view_that_must_be_dropped_under_an_agency_view_is_an_error_and_changes_nothing(fresh, views_copy):
    migrate.migrate(CONN_ID)
    before = _objects(fresh)
    # a column removed from the middle: CREATE OR REPLACE refuses, and the agency views read it
    _edit(views_copy, "publish.referral_candidate", "v.hubungan_keluarga, ", "")
    with pytest.raises(
        migrate.MigrationError, match=r"publish\.referral_candidate must be dropped.*publish\."
    ):
        _apply(fresh, views_copy)
    assert _objects(fresh) == before


def test_a_view_dropped_by_a_migration_is_created_again(fresh):
    migrate.migrate(CONN_ID)
    _query(fresh, "DROP VIEW mart.completeness_kabupaten")
    assert migrate.migrate(CONN_ID) == ["views/mart.completeness_kabupaten"]
    assert _query(fresh, "SELECT to_regclass('mart.completeness_kabupaten') IS NOT NULL") == [(True,)]


def test_a_changed_function_with_a_new_result_is_dropped_and_created_with_the_views_on_it(fresh, views_copy):
    migrate.migrate(CONN_ID)
    before = _objects(fresh)
    _edit(
        views_copy,
        "mart.completeness_desa_at",
        "    rows_error         integer",
        "    rows_error         bigint",
    )
    _edit(
        views_copy,
        "mart.completeness_desa_at",
        "coalesce(r.rows_error, 0)",
        "coalesce(r.rows_error, 0)::bigint",
    )
    done = _apply(fresh, views_copy)
    assert done == [
        "views/mart.completeness_desa_at",
        "views/mart.completeness_desa",
        "views/mart.completeness_kecamatan",
        "views/mart.completeness_kabupaten",
    ]
    after = _objects(fresh)
    assert {name for name in before if after.get(name) != before[name]} == {
        "mart.completeness_desa_at",
        "mart.completeness_desa",
        "mart.completeness_kecamatan",
        "mart.completeness_kabupaten",
    }


def test_a_changed_migration_is_still_an_error(fresh, tmp_path, monkeypatch):
    migrate.migrate(CONN_ID)
    copy = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, copy)
    path = copy / "0007_mart.sql"
    path.write_text(path.read_text(encoding="utf-8") + "\n-- edited\n", encoding="utf-8")
    monkeypatch.setattr(migrate, "MIGRATIONS_DIR", copy)
    with pytest.raises(migrate.MigrationError, match=r"0007_mart\.sql changed after it was applied"):
        migrate.migrate(CONN_ID)


def test_every_view_file_is_named_after_its_object_and_numbered_after_what_it_reads(fresh):
    """The declared order holds: every repeatable object that another one reads (pg_depend) has
    a lower number."""
    migrate.migrate(CONN_ID)
    items = migrate.repeatables()
    position = {item.name: index for index, item in enumerate(items)}
    pairs = _query(
        fresh,
        """SELECT DISTINCT rn.nspname || '.' || rc.relname, vn.nspname || '.' || v.relname
             FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
             JOIN pg_class v ON v.oid = r.ev_class JOIN pg_namespace vn ON vn.oid = v.relnamespace
             JOIN pg_class rc ON rc.oid = d.refobjid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
            WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass AND rc.oid <> v.oid
            UNION
           SELECT DISTINCT pn.nspname || '.' || p.proname, vn.nspname || '.' || v.relname
             FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
             JOIN pg_class v ON v.oid = r.ev_class JOIN pg_namespace vn ON vn.oid = v.relnamespace
             JOIN pg_proc p ON p.oid = d.refobjid JOIN pg_namespace pn ON pn.oid = p.pronamespace
            WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_proc'::regclass""",
    )
    checked = [(read, reader) for read, reader in pairs if read in position and reader in position]
    assert ("mart.completeness_desa_at", "mart.completeness_desa") in checked
    for read, reader in checked:
        assert position[read] < position[reader], (read, reader)


def test_period_is_a_date_and_periode_the_text(warehouse_uri):
    """docs/glossary.md: ``period`` is a date (the first day of the month), ``periode`` the ``YYYY-MM``
    text, with no exception (migration 0041 renamed the last text columns named ``period``)."""
    rows = _query(
        warehouse_uri,
        """SELECT c.table_schema || '.' || c.table_name, c.column_name, c.data_type
             FROM information_schema.columns c
            WHERE c.column_name IN ('period', 'periode')
              AND c.table_schema IN ('raw', 'staging', 'quality', 'core', 'mart', 'publish', 'ops', 'ref')""",
    )
    assert {column for _, column, _ in rows} == {"period", "periode"}, "no period or periode columns found"
    wrong = sorted(
        (table, column, kind)
        for table, column, kind in rows
        if (column == "periode" and kind != "text") or (column == "period" and kind != "date")
    )
    assert wrong == []
    renamed = {table for table, column, _ in rows if column == "periode"}
    assert {
        "ops.report_run",
        "quality.rule_count_desa",
        "quality.validation_run",
        "quality.village_flag",
        "raw.current_submission_file",
        "raw.return_file",
        "raw.submission_file",
    } <= renamed


def test_current_submission_file_is_the_accepted_file_not_superseded(warehouse):
    village = warehouse.scalar("SELECT min(kode_desa) FROM ref.desa")

    def register(sha: str, status: str) -> int:
        return warehouse.scalar(
            """INSERT INTO raw.submission_file (sha256, path, file_name, periode, kode_desa, file_format, size_bytes,
                   modified_at, status, reject_code)
               VALUES (%s, %s, %s, '2024-06', %s, 'csv', 1, now(), %s, %s) RETURNING file_id""",
            (
                sha,
                f"2024-06/{sha}.csv",
                f"{sha}.csv",
                village,
                status,
                None if status == "accepted" else "kosong",
            ),
        )

    old, new = register("a", "accepted"), register("b", "accepted")
    register("c", "rejected")
    warehouse.query(
        "UPDATE raw.submission_file SET superseded_by = %s WHERE file_id = %s RETURNING 1", (new, old)
    )
    assert warehouse.query("SELECT file_id FROM raw.current_submission_file") == [(new,)]

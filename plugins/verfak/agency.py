"""Least privilege for agencies: one PostgreSQL role and one view per program.

``publish.<program>`` shows the program's latest referrals with only the program's columns.
Role ``agency_<program>`` may connect to the warehouse, use schema ``publish`` and read that one
view: not ``raw``, ``staging``, ``core``, ``quality``, ``mart``, the referral tables, nor another
agency's view. The view runs with its owner's rights, so the role needs nothing else. It is a
``security_barrier`` view: the agency's own conditions (a cast or a division that fails on chosen
rows) are applied only to rows the view lets through, so they can't probe the people behind it.

The one thing an agency may write is an outcome of one of its own referrals, through the function
``publish.catat_tindak_lanjut`` (``SECURITY DEFINER``, checked like a return file); it has no
write grant on any table. What each program accepts back (its statuses, the final ones,
``response_days``) is copied here into ``publish.program_outcome`` for the SQL checks (written
only when it changed).

``sync_agencies`` (run by ``python -m verfak migrate`` and by every publish run) creates a missing
role *without a login*, keeps the views and grants in line with ``include/programs.yaml``, and
never changes an existing role's login or password. The warehouse administrator gives a role its
password, or rotates or withdraws it, with ``python -m verfak agency-password <program>``
(``set_password``): read from stdin or a file, turned into a SCRAM-SHA-256 verifier on the client,
so the clear password never reaches the server, its statement log or ours.

A view is replaced in place (``CREATE OR REPLACE VIEW``, so its grants stay) and only when its
definition changed, under ``lock_timeout`` (``VERFAK_AGENCY_VIEW_LOCK_TIMEOUT`` seconds, default 5):
an agency session that holds the view open can't stall the nightly publish. Then the view keeps
its previous definition until the next run, with a warning in the log; the exports don't depend
on it (``program_select`` is what they read).
"""

from __future__ import annotations

import logging
import os
import time

import psycopg2.extensions
from psycopg2 import errors, sql

from verfak import config, db
from verfak.programs import Program, load_programs

log = logging.getLogger(__name__)

#: The old way of giving a role its password; no longer read (see ``set_password``).
LEGACY_PASSWORD_PREFIX = "VERFAK_AGENCY_PASSWORD_"
MIN_PASSWORD_LENGTH = 12
#: The agencies' one write: an outcome of their own referral (include/sql/views/420_publish.catat_tindak_lanjut.sql).
CATAT_FUNCTION = "publish.catat_tindak_lanjut(text, text, date, bigint, text, text)"


def lock_timeout_seconds() -> float:
    return config.settings().agency_view_lock_timeout


def program_select(program: Program) -> sql.Composed:
    """The rows and columns a program's agency may see (the body of its view, and what its export reads)."""
    columns: list[sql.Composable] = [
        sql.SQL("r.referral_id"),
        sql.SQL("r.status_rujukan"),
        sql.SQL("to_char(r.period, 'YYYY-MM') AS periode"),
        sql.SQL("r.urutan"),
        sql.SQL("s.status AS status_tindak_lanjut"),
    ]
    columns += [sql.SQL("c.{}").format(sql.Identifier(c)) for c in program.columns]
    # The current outcome: the latest event of each referral (the order of publish.referral_status),
    # taken from the event table alone so the join stays small (few referrals have an answer).
    return sql.SQL(
        """SELECT {columns}
             FROM publish.referral r
             JOIN publish.referral_candidate c ON c.period = r.period AND c.nik = r.nik
             LEFT JOIN (SELECT DISTINCT ON (o.referral_id) o.referral_id, o.status
                          FROM publish.referral_outcome o
                         ORDER BY o.referral_id, o.tanggal DESC, o.reported_at DESC, o.source_row DESC,
                                  o.outcome_id DESC) s ON s.referral_id = r.referral_id
            WHERE r.program = {name}
              AND r.period = (SELECT period FROM publish.program_period WHERE program = {name})"""
    ).format(columns=sql.SQL(", ").join(columns), name=sql.Literal(program.name))


def program_view(
    program: Program, replace: bool = False, schema: str = "publish", name: str | None = None
) -> sql.Composed:
    return sql.SQL("CREATE {}VIEW {} WITH (security_barrier) AS {}").format(
        sql.SQL("OR REPLACE " if replace else ""),
        sql.Identifier(schema, name or program.name),
        program_select(program),
    )


def _role_ddl(cur, statement, params=None, attempts: int = 5) -> None:
    """Run a role statement, retrying when another database of the cluster changes the role at the
    same moment (roles are cluster-wide, the advisory lock above only covers this database)."""
    for attempt in range(attempts):
        cur.execute("SAVEPOINT role_ddl")
        try:
            cur.execute(statement, params)
        except errors.DuplicateObject:  # created by the other database meanwhile: done
            cur.execute("ROLLBACK TO SAVEPOINT role_ddl")
            return
        except errors.InternalError_:  # "tuple concurrently updated"
            cur.execute("ROLLBACK TO SAVEPOINT role_ddl")
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
        else:
            cur.execute("RELEASE SAVEPOINT role_ddl")
            return


def _view_is_current(cur, program: Program) -> bool | None:
    """True when ``publish.<program>`` already has the wanted definition and options, False when it
    differs, None when it does not exist. Compared on PostgreSQL's own rendering of both."""
    cur.execute("SELECT to_regclass(%s)", (f"publish.{program.name}",))
    if db.one(cur)[0] is None:
        return None
    probe = "verfak_wanted_view"
    cur.execute(sql.SQL("DROP VIEW IF EXISTS pg_temp.{}").format(sql.Identifier(probe)))
    cur.execute(program_view(program, schema="pg_temp", name=probe))
    cur.execute(
        db.sql_file("publish/agency_view_matches.sql"),
        (f"pg_temp.{probe}", f"publish.{program.name}"),
    )
    same = db.one(cur)[0]
    cur.execute(sql.SQL("DROP VIEW pg_temp.{}").format(sql.Identifier(probe)))
    return bool(same)


def _refresh_view(cur, program: Program) -> bool:
    """Create or replace the program's view if its definition changed; False when an agency
    session held the view for longer than the lock timeout (the view then stays as it was)."""
    current = _view_is_current(cur, program)
    if current:
        return True
    cur.execute("SHOW lock_timeout")
    before = db.one(cur)[0]
    cur.execute("SAVEPOINT agency_view")
    try:
        cur.execute(
            "SELECT set_config('lock_timeout', %s, true)", (f"{int(lock_timeout_seconds() * 1000)}ms",)
        )
        try:
            cur.execute("SAVEPOINT agency_view_replace")
            cur.execute(program_view(program, replace=True))
            cur.execute("RELEASE SAVEPOINT agency_view_replace")
        except (errors.InvalidTableDefinition, errors.DatatypeMismatch):
            # A column removed, renamed or retyped: CREATE OR REPLACE can't, so drop and create
            # (under the same lock timeout; the grant is given again below).
            cur.execute("ROLLBACK TO SAVEPOINT agency_view_replace")
            cur.execute(sql.SQL("DROP VIEW publish.{}").format(sql.Identifier(program.name)))
            cur.execute(program_view(program))
        cur.execute("RELEASE SAVEPOINT agency_view")
        return True
    except errors.LockNotAvailable:
        cur.execute("ROLLBACK TO SAVEPOINT agency_view")
        log.warning(
            "view publish.%s not refreshed: an agency session held it for more than %ss; it keeps its "
            "previous definition until the next run (the export is written from the current one)",
            program.name,
            lock_timeout_seconds(),
        )
        return False
    finally:
        cur.execute("SELECT set_config('lock_timeout', %s, true)", (before,))


def _grant(cur, check: str, params: tuple, statement: sql.Composed) -> None:
    """Grant only what is not granted yet (no catalog write, no lock, when nothing changes)."""
    cur.execute(check, params)
    if not db.one(cur)[0]:
        cur.execute(statement)


def sync_agencies(cur, programs: dict[str, Program] | None = None) -> None:
    """Create missing roles (without a login), refresh views and grants (idempotent). Never
    changes an existing role's login or password."""
    programs = programs or load_programs()
    # GRANT/REVOKE on one object from two sessions at once fails ("tuple concurrently updated").
    cur.execute("SELECT pg_advisory_xact_lock(hashtext('verfak.agency'))")
    cur.execute("SELECT current_database()")
    database = db.one(cur)[0]
    _grant(
        cur,
        "SELECT NOT has_database_privilege('public', %s, 'CONNECT') AND NOT has_database_privilege('public', %s, 'TEMPORARY')",
        (database, database),
        sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)),
    )
    created = []
    for program in programs.values():
        role = sql.Identifier(program.role)
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (program.role,))
        if cur.fetchone() is None:
            _role_ddl(cur, sql.SQL("CREATE ROLE {} NOLOGIN").format(role))
            created.append(program)
        _refresh_view(cur, program)
        _grant(
            cur,
            "SELECT has_database_privilege(%s, %s, 'CONNECT')",
            (program.role, database),
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), role),
        )
        _grant(
            cur,
            "SELECT has_schema_privilege(%s, 'publish', 'USAGE')",
            (program.role,),
            sql.SQL("GRANT USAGE ON SCHEMA publish TO {}").format(role),
        )
        _grant(
            cur,
            "SELECT has_table_privilege(%s, %s, 'SELECT')",
            (program.role, f"publish.{program.name}"),
            sql.SQL("GRANT SELECT ON publish.{} TO {}").format(sql.Identifier(program.name), role),
        )
        _grant(
            cur,
            "SELECT has_function_privilege(%s, %s, 'EXECUTE')",
            (program.role, CATAT_FUNCTION),
            sql.SQL("GRANT EXECUTE ON FUNCTION {} TO {}").format(sql.SQL(CATAT_FUNCTION), role),
        )
        cur.execute(
            db.sql_file("publish/upsert_program_outcome.sql"),
            (
                program.name,
                program.agency,
                list(program.statuses),
                list(program.final),
                program.response_days,
            ),
        )
    log.info("agency views and roles in sync: %s", ", ".join(p.role for p in programs.values()))
    for program in created:
        log.info(
            "role %s created without a login: give it one with `python -m verfak agency-password %s` "
            "(password on stdin or --password-file)",
            program.role,
            program.name,
        )
    legacy = sorted(k for k in os.environ if k.startswith(LEGACY_PASSWORD_PREFIX))
    if legacy:
        log.warning(
            "%s set in the environment but no longer read: agency passwords are set with "
            "`python -m verfak agency-password <program>`; remove the variable(s)",
            ", ".join(legacy),
        )


def set_password(name: str, password: str | None, conn: psycopg2.extensions.connection) -> str:
    """Give program ``name``'s agency role a login with ``password`` (None: take the login away).

    The password is hashed here (SCRAM-SHA-256, salted) and only the verifier is sent. Returns the
    role name. The role, view and grants are created first if missing.
    """
    program = load_programs()[name]
    if password is not None:
        check_password(password)
    with conn, conn.cursor() as cur:
        sync_agencies(cur, {name: program})
        role = sql.Identifier(program.role)
        if password is None:
            cur.execute(sql.SQL("ALTER ROLE {} NOLOGIN PASSWORD NULL").format(role))
        else:
            verifier = psycopg2.extensions.encrypt_password(
                password, program.role, scope=conn, algorithm="scram-sha-256"
            )
            cur.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(role, sql.Literal(verifier)))
    return program.role


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters long")
    if password != password.strip() or any(ord(ch) < 32 for ch in password):
        raise ValueError("the password must not start or end with a space or hold control characters")

"""Least privilege for agencies: one PostgreSQL role and one view per program.

``publish.<program>`` shows the program's latest referrals with only the program's columns.
Role ``agency_<program>`` may connect to the warehouse, use schema ``publish`` and read that one
view: not ``raw``, ``staging``, ``core``, ``quality``, ``mart``, the referral tables, nor another
agency's view. The view runs with its owner's rights, so the role needs nothing else. The one
thing an agency may write is an outcome of one of its own referrals, through the function
``publish.catat_tindak_lanjut`` (``SECURITY DEFINER``, checked like a return file); it has no
write grant on any table. What each program accepts back (its statuses, the final ones,
``response_days``) is copied here into ``publish.program_outcome`` for the SQL checks.

Passwords come from the environment (``VERFAK_AGENCY_PASSWORD_<PROGRAM>``, e.g.
``VERFAK_AGENCY_PASSWORD_BANTUAN_TUNAI``), never from the repository. Without one the role exists
but can't log in. Run by ``python -m verfak migrate`` and by every publish run, so a new program
or a rotated password takes effect without further steps.
"""

from __future__ import annotations

import logging
import os
import time

from psycopg2 import errors, sql

from verfak.programs import Program, load_programs

log = logging.getLogger(__name__)


def password_variable(program: Program) -> str:
    return f"VERFAK_AGENCY_PASSWORD_{program.name.upper()}"


def program_view(program: Program) -> sql.Composed:
    columns = [sql.SQL("r.referral_id"), sql.SQL("r.status_rujukan"),
               sql.SQL("to_char(r.period, 'YYYY-MM') AS periode"), sql.SQL("r.urutan")]  # fmt: skip
    columns += [sql.SQL("c.{}").format(sql.Identifier(c)) for c in program.columns]
    return sql.SQL(
        """CREATE VIEW publish.{view} AS
           SELECT {columns}
             FROM publish.referral r
             JOIN publish.referral_candidate c ON c.period = r.period AND c.nik = r.nik
            WHERE r.program = {name}
              AND r.period = (SELECT period FROM publish.program_period WHERE program = {name})"""
    ).format(view=sql.Identifier(program.name), columns=sql.SQL(", ").join(columns), name=sql.Literal(program.name))


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


def sync_agencies(cur, programs: dict[str, Program] | None = None) -> None:
    """Create or update every program's view, role and grants (idempotent)."""
    programs = programs or load_programs()
    # GRANT/REVOKE on one object from two sessions at once fails ("tuple concurrently updated").
    cur.execute("SELECT pg_advisory_xact_lock(hashtext('verfak.agency'))")
    cur.execute("SELECT current_database()")
    database = cur.fetchone()[0]
    cur.execute(sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)))
    without_password = []
    for program in programs.values():
        role = sql.Identifier(program.role)
        cur.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (program.role,))
        found = cur.fetchone()
        if found is None:
            _role_ddl(cur, sql.SQL("CREATE ROLE {} NOLOGIN").format(role))
        password = os.environ.get(password_variable(program))
        if password:
            _role_ddl(cur, sql.SQL("ALTER ROLE {} LOGIN PASSWORD %s").format(role), (password,))
        else:
            if found is None or found[0]:
                _role_ddl(cur, sql.SQL("ALTER ROLE {} NOLOGIN").format(role))
            without_password.append(password_variable(program))
        cur.execute(sql.SQL("DROP VIEW IF EXISTS publish.{}").format(sql.Identifier(program.name)))
        cur.execute(program_view(program))
        cur.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), role))
        cur.execute(sql.SQL("GRANT USAGE ON SCHEMA publish TO {}").format(role))
        cur.execute(sql.SQL("GRANT SELECT ON publish.{} TO {}").format(sql.Identifier(program.name), role))
        cur.execute(sql.SQL("GRANT EXECUTE ON FUNCTION publish.catat_tindak_lanjut(text, text, date, bigint, text, "
                            "text) TO {}").format(role))  # fmt: skip
        cur.execute(
            """INSERT INTO publish.program_outcome (program, agency, statuses, final, response_days)
               VALUES (%s, %s, %s, %s, %s)
               ON CONFLICT (program) DO UPDATE SET agency = EXCLUDED.agency, statuses = EXCLUDED.statuses,
                   final = EXCLUDED.final, response_days = EXCLUDED.response_days
               WHERE (publish.program_outcome.agency, publish.program_outcome.statuses, publish.program_outcome.final,
                      publish.program_outcome.response_days)
                     IS DISTINCT FROM (EXCLUDED.agency, EXCLUDED.statuses, EXCLUDED.final, EXCLUDED.response_days)""",
            (program.name, program.agency, list(program.statuses), list(program.final), program.response_days),
        )
    log.info("agency views and roles in sync: %s", ", ".join(p.role for p in programs.values()))
    if without_password:
        log.info("agency roles stay unable to log in until these are set: %s", ", ".join(without_password))

"""Warehouse migrations: versioned SQL files applied once each, in order, then the repeatable
views and functions, the reference data and the agencies' views and roles (``verfak.agency``).

``include/sql/migrations/NNNN_<what>.sql`` (tables, indexes, constraints: the data's shape) are
applied in name order, under an advisory lock (two setups at once can't race). A file already
applied is skipped; one whose text changed after it was applied is an error, because the
warehouse would no longer match the code: add a new migration instead.

``include/sql/views/NNN_<schema>.<name>.sql`` (views, materialized views and functions, which hold
no data of their own) are *repeatable*, like Flyway's repeatable migrations or dbt models: one
file per object, the number declaring the dependency order (an object after everything it reads).
Each migrate re-creates those whose text changed since they were last applied (their sha256 is
kept in ``public.verfak_migration`` under ``views/<schema>.<name>``) or that are missing; an
unchanged one is not touched. See ``apply_repeatable``.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from psycopg2 import errors, sql

from verfak import db
from verfak.config import REFERENCE_DIR, SQL_DIR

log = logging.getLogger(__name__)

MIGRATIONS_DIR = SQL_DIR / "migrations"
VIEWS_DIR = SQL_DIR / "views"
#: the bookkeeping name of a repeatable object: ``views/<schema>.<name>``
REPEATABLE_PREFIX = "views/"
_LOCK_KEY = 3216_0001  # advisory lock id for migrations


class MigrationError(RuntimeError):
    pass


def migrate(conn_id: str = db.WAREHOUSE_CONN_ID) -> list[str]:
    """Apply the pending migrations, re-create the changed repeatable objects and refresh the reference
    data; return the names applied (``NNNN_<what>.sql``, ``views/<schema>.<name>``)."""
    applied_now: list[str] = []
    conn = db.connect(conn_id)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            cur.execute(db.sql_file("migrate/create_bookkeeping.sql"))
            cur.execute("SELECT name, sha256 FROM public.verfak_migration")
            applied = dict(cur.fetchall())
            for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
                text = path.read_text(encoding="utf-8")
                digest = hashlib.sha256(text.encode()).hexdigest()
                if path.name in applied:
                    if applied[path.name] != digest:
                        raise MigrationError(
                            f"{path.name} changed after it was applied; add a new migration instead"
                        )
                    continue
                log.info("applying migration %s", path.name)
                cur.execute(text)
                cur.execute(
                    "INSERT INTO public.verfak_migration (name, sha256) VALUES (%s, %s)",
                    (path.name, digest),
                )
                applied_now.append(path.name)
            applied_now += apply_repeatable(cur, applied, tables_changed=bool(applied_now))
            load_reference(cur)
            load_outcome_reference(cur)
            from verfak.agency import sync_agencies

            sync_agencies(cur)
    finally:
        conn.close()
    return applied_now


_DEFINES = re.compile(
    r"^CREATE\s+(?:OR\s+REPLACE\s+)?(MATERIALIZED\s+VIEW|VIEW|FUNCTION)\s+([a-z_]+\.[a-z_]+)\b",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True)
class Repeatable:
    """One file of include/sql/views/: the object it defines and its text."""

    path: Path
    name: str  # schema.name
    kind: str  # "view", "materialized view" or "function"
    text: str

    @property
    def key(self) -> str:
        return REPEATABLE_PREFIX + self.name

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def repeatables(directory: Path = VIEWS_DIR) -> list[Repeatable]:
    """The repeatable objects in dependency order (the files' name order). A file must be named
    ``NNN_<schema>.<name>.sql`` after the object its first ``CREATE`` defines."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        match = _DEFINES.search(text)
        if match is None:
            raise MigrationError(f"{path.name} defines no view, materialized view or function")
        kind, name = " ".join(match.group(1).lower().split()), match.group(2).lower()
        if (
            path.name != f"{path.name.split('_', 1)[0]}_{name}.sql"
            or not path.name.split("_", 1)[0].isdigit()
        ):
            raise MigrationError(f"{path.name} defines {name}: name it NNN_{name}.sql")
        found.append(Repeatable(path, name, kind, text))
    names = [r.name for r in found]
    if len(set(names)) != len(names):
        raise MigrationError("two repeatable files define the same object")
    return found


def _oids(cur, item: Repeatable) -> list[int]:
    """The object's oid (every overload of a function); empty when it does not exist."""
    schema, name = item.name.split(".")
    if item.kind == "function":
        cur.execute(
            "SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = %s AND p.proname = %s",
            (schema, name),
        )
    else:
        cur.execute(
            "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = %s AND c.relkind = %s",
            (schema, name, "m" if item.kind == "materialized view" else "v"),
        )
    return [oid for (oid,) in cur.fetchall()]


def _dependents(cur, oids: list[int]) -> list[tuple[str, bool]]:
    """The views and materialized views that read the objects, directly or through one another:
    (schema.name, a materialized view holding data)."""
    cur.execute(
        db.sql_file("migrate/dependents.sql"),
        {"oids": oids},
    )
    return [(name, populated) for name, populated in cur.fetchall()]


def apply_repeatable(
    cur, applied: dict[str, str], items: list[Repeatable] | None = None, tables_changed: bool = False
) -> list[str]:
    """Re-create, in order, the repeatable objects whose file changed or that are missing; record
    their sha256; return their bookkeeping names.

    A view or function is first replaced in place (``CREATE OR REPLACE``): what reads it, its
    grants and the agencies' views on it stay. When that is refused (a column removed, renamed or
    retyped, a function's result changed) and for a materialized view, it is dropped with the
    views that read it, then created again and those after it in the order; a materialized view
    that held data is refreshed, so a reader never finds it empty. Only repeatable objects are
    dropped: if anything else reads it (an agency's ``security_barrier`` view made by
    ``verfak.agency``, say), that is an error; write a migration that drops it first
    (``sync_agencies`` then makes the agency's view again). Everything runs in the migrate's
    transaction: a failure leaves the warehouse as it was.

    ``tables_changed`` (a migration was applied in this run): the plain views and functions are
    replaced in place even when their file did not change, so that a view's ``*`` takes a column a
    migration added (a materialized view is only re-created when its file changes: that costs a
    refresh).
    """
    items = repeatables() if items is None else items
    position = {item.name: index for index, item in enumerate(items)}
    to_create = {
        item.name
        for item in items
        if applied.get(item.key) != item.digest or (tables_changed and item.kind != "materialized view")
    }
    refresh: set[str] = set()
    done: list[str] = []
    for index, item in enumerate(items):
        oids = _oids(cur, item)
        if not oids:
            to_create.add(item.name)
        if item.name not in to_create:
            continue
        if oids and item.kind != "materialized view":
            cur.execute("SAVEPOINT repeatable")
            try:
                cur.execute(item.text)
            except (errors.InvalidTableDefinition, errors.InvalidFunctionDefinition, errors.DatatypeMismatch):
                cur.execute("ROLLBACK TO SAVEPOINT repeatable")
            else:
                cur.execute("RELEASE SAVEPOINT repeatable")
                oids = []  # replaced in place
                _record(cur, item, done, "replaced")
                continue
        if oids:
            dependents = _dependents(cur, oids)
            foreign = sorted(name for name, _ in dependents if name not in position)
            if foreign:
                raise MigrationError(
                    f"{item.name} must be dropped and created again, but {', '.join(foreign)} (not in "
                    f"{VIEWS_DIR.name}/) read it: drop them in a migration first"
                )
            early = sorted(name for name, _ in dependents if position[name] < index)
            if early:
                raise MigrationError(f"{', '.join(early)} read {item.name}: number their files after it")
            if item.kind == "materialized view":
                cur.execute("SELECT relispopulated FROM pg_class WHERE oid = %s", (oids[0],))
                if db.one(cur)[0]:
                    refresh.add(item.name)
            refresh.update(name for name, populated in dependents if populated and name in position)
            to_create.update(name for name, _ in dependents)
            for oid in oids:
                if item.kind == "function":
                    cur.execute("SELECT %s::regprocedure::text", (oid,))
                    cur.execute(f"DROP FUNCTION {db.one(cur)[0]} CASCADE")
                else:
                    cur.execute(
                        sql.SQL("DROP {} {} CASCADE").format(
                            sql.SQL(item.kind.upper()), sql.Identifier(*item.name.split("."))
                        )
                    )
        cur.execute(item.text)
        if item.name in refresh:
            cur.execute(sql.SQL("REFRESH MATERIALIZED VIEW {}").format(sql.Identifier(*item.name.split("."))))
        _record(cur, item, done, "created")
    cur.execute(
        "DELETE FROM public.verfak_migration WHERE name LIKE %s AND NOT name = ANY(%s)",
        (REPEATABLE_PREFIX + "%", [item.key for item in items]),
    )
    return done


def _record(cur, item: Repeatable, done: list[str], how: str) -> None:
    log.info("repeatable %s %s %s", item.kind, item.name, how)
    cur.execute(
        """INSERT INTO public.verfak_migration (name, sha256) VALUES (%s, %s)
           ON CONFLICT (name) DO UPDATE SET sha256 = EXCLUDED.sha256, applied_at = now()""",
        (item.key, item.digest),
    )
    done.append(item.key)


def load_outcome_reference(cur) -> None:
    """Upsert the outcome statuses (``verfak.outcomes``) and the rule registry (``quality.rule``: every
    rule and code of ``verfak.rules``; the SQL checks and the agencies' function read the outcome rules'
    messages there)."""
    from verfak.outcomes import FIRST, STATUSES
    from verfak.rules import upsert_rules

    cur.executemany(
        db.sql_file("ref/upsert_outcome_status.sql"),
        [
            (
                s.status,
                s.label,
                FIRST in s.allowed_after,
                [a for a in s.allowed_after if a is not FIRST],
                s.money,
                s.category,
            )
            for s in STATUSES
        ],
    )
    upsert_rules(cur)  # the whole registry: row rules, village checks, outcome rules, intake and file codes


def load_reference(cur) -> None:
    """Upsert the 23 kecamatan and 187 villages from include/reference/."""
    bps = {}
    with (REFERENCE_DIR / "wilayah_bekasi_bps_crosswalk.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            bps[row["kode_desa_kemendagri"]] = row["kode_desa_bps"]
    with (REFERENCE_DIR / "wilayah_bekasi.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    kecamatan = sorted({(r["kode_kecamatan"], r["nama_kecamatan"]) for r in rows})
    cur.executemany(
        db.sql_file("ref/upsert_kecamatan.sql"),
        kecamatan,
    )
    cur.executemany(
        db.sql_file("ref/upsert_desa.sql"),
        [
            (
                r["kode_desa"],
                r["kode_desa"].replace(".", ""),
                r["kode_kecamatan"],
                r["nama_desa"],
                r["jenis"],
                bps.get(r["kode_desa"]),
            )
            for r in rows
        ],
    )

"""Connections to the warehouse and the few helpers every stage uses (run a SQL file, COPY).

Inside Airflow tasks the warehouse is the Airflow connection ``verfak_warehouse``; the same
connection is read from ``AIRFLOW_CONN_VERFAK_WAREHOUSE`` by the command line tools, so there is
one place that says where the warehouse is.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import psycopg2
import psycopg2.extensions

from verfak.config import SQL_DIR, WAREHOUSE_CONN_ID


def warehouse_dsn(conn_id: str = WAREHOUSE_CONN_ID) -> str:
    """The libpq URI of the warehouse connection."""
    uri = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    if uri:
        # Airflow accepts postgres:// and postgresql://; libpq wants postgresql:// or postgres://.
        return uri
    # Not in the environment: ask Airflow (a connection kept in its metadata DB or a secrets backend).
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    return PostgresHook(postgres_conn_id=conn_id).get_uri()


class WarehouseError(RuntimeError):
    """A warehouse error as a task may log it: SQLSTATE, PostgreSQL's primary message and the SQL
    file, never the row values PostgreSQL quotes in DETAIL, CONTEXT or the statement (a NIK in a
    unique violation, a row in a check violation, a COPY line).

    Raised ``from None`` in place of the ``psycopg2.Error``; the original's text is replaced by the
    same clean text too, so no traceback of the chain can show it (issue #12, item 13).
    """

    def __init__(self, message: str, sqlstate: str | None = None, statement: str | None = None):
        super().__init__(message)
        self.sqlstate = sqlstate
        self.statement = statement


def _quoted_values(text: str) -> str:
    import re

    return re.sub(r'"[^"]*"', '"…"', text)


def warehouse_error(error: psycopg2.Error, statement: str | None = None) -> WarehouseError:
    """The clean ``WarehouseError`` of a psycopg2 error (and the original's text made as clean)."""
    from verfak.alerts import mask_ids

    sqlstate = getattr(error, "pgcode", None)
    diag = getattr(error, "diag", None)
    primary = getattr(diag, "message_primary", None) if sqlstate else None
    if not primary:  # not from the server (connection, client side): its first line
        primary = (str(error).strip().splitlines() or [type(error).__name__])[0]
    if sqlstate and sqlstate.startswith("22"):
        # data exceptions quote the value itself ('invalid input syntax for type date: "31/02/1980"')
        primary = _quoted_values(primary)
    where = f" in {statement}" if statement else ""
    message = mask_ids(f"warehouse error{where}: {sqlstate or type(error).__name__}: {primary}")
    error.args = (message,)  # the original may still be printed as the context of the new one
    return WarehouseError(message, sqlstate, statement)


@contextmanager
def clean_errors(statement: str | None = None) -> Iterator[None]:
    """Turn a ``psycopg2.Error`` raised inside into a ``WarehouseError`` without row values."""
    try:
        yield
    except psycopg2.Error as error:
        clean = warehouse_error(error, statement)
        clean.__suppress_context__ = True
        raise clean from None


def connect(conn_id: str = WAREHOUSE_CONN_ID) -> psycopg2.extensions.connection:
    with clean_errors():
        return psycopg2.connect(warehouse_dsn(conn_id), application_name="verfak")


@contextmanager
def transaction(conn_id: str = WAREHOUSE_CONN_ID) -> Iterator[psycopg2.extensions.cursor]:
    """A cursor in one transaction: committed on success, rolled back on any error; a warehouse
    error leaves as a ``WarehouseError`` (no row values)."""
    conn = connect(conn_id)
    try:
        # commits or rolls back, then the error is cleaned
        with clean_errors(), conn, conn.cursor() as cur:
            yield cur
    finally:
        conn.close()


def one(cur: psycopg2.extensions.cursor) -> tuple[Any, ...]:
    """The row of a query that always returns one (an aggregate, ``RETURNING``, a catalog lookup)."""
    row = cur.fetchone()
    if row is None:
        raise RuntimeError("the query returned no row")
    return row


def sql_file(relative: str) -> str:
    """The text of ``include/sql/<relative>``."""
    return (SQL_DIR / relative).read_text(encoding="utf-8")


def run_sql_file(cur, relative: str, params: dict | None = None) -> None:
    """Execute one SQL file (it may hold several statements), with named parameters if given.

    Without parameters the text is sent as it is; with them, a literal ``%`` must be written ``%%``.
    An error is raised as a ``WarehouseError`` naming the file, without row values.
    """
    error = None
    try:
        if params is None:
            cur.execute(sql_file(relative))
        else:
            cur.execute(sql_file(relative), params)
    except psycopg2.Error as raised:
        error = warehouse_error(raised, relative)
    if error is not None:
        raise error from None  # outside the except block: no context with the row values


def copy_rows(cur, table: str, columns: list[str], rows_csv: io.StringIO | io.BytesIO) -> None:
    """Bulk-load CSV text (no header) into ``table`` with COPY."""
    from psycopg2 import sql

    rows_csv.seek(0)
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.Identifier(*table.split(".")), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    cur.copy_expert(statement.as_string(cur), rows_csv)


def copy_query_to_csv(cur, query: str, out: IO[str] | IO[bytes], params: dict | None = None) -> None:
    """Stream a query's result as CSV with a header (COPY ... TO STDOUT) into a text or binary
    stream (an open file or a buffer)."""
    if params:
        query = cur.mogrify(query, params).decode()
    statement = f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)"
    cur.copy_expert(statement, out)

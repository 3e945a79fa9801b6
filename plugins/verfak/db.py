"""Connections to the warehouse and the few helpers every stage uses (run a SQL file, COPY).

Inside Airflow tasks the warehouse is the Airflow connection ``verfak_warehouse``; the same
connection is read from ``AIRFLOW_CONN_VERFAK_WAREHOUSE`` by the command line tools, so there is
one place that says where the warehouse is.
"""

from __future__ import annotations

import io
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

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


def connect(conn_id: str = WAREHOUSE_CONN_ID) -> psycopg2.extensions.connection:
    conn = psycopg2.connect(warehouse_dsn(conn_id), application_name="verfak")
    return conn


@contextmanager
def transaction(conn_id: str = WAREHOUSE_CONN_ID) -> Iterator[psycopg2.extensions.cursor]:
    """A cursor in one transaction: committed on success, rolled back on any error."""
    conn = connect(conn_id)
    try:
        with conn:  # commits or rolls back
            with conn.cursor() as cur:
                yield cur
    finally:
        conn.close()


def sql_file(relative: str) -> str:
    """The text of ``include/sql/<relative>``."""
    return (SQL_DIR / relative).read_text(encoding="utf-8")


def run_sql_file(cur, relative: str, params: dict | None = None) -> None:
    """Execute one SQL file (it may hold several statements), with named parameters if given.

    Without parameters the text is sent as it is; with them, a literal ``%`` must be written ``%%``.
    """
    if params is None:
        cur.execute(sql_file(relative))
    else:
        cur.execute(sql_file(relative), params)


def copy_rows(cur, table: str, columns: list[str], rows_csv: io.StringIO | io.BytesIO) -> None:
    """Bulk-load CSV text (no header) into ``table`` with COPY."""
    from psycopg2 import sql

    rows_csv.seek(0)
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.Identifier(*table.split(".")), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    cur.copy_expert(statement.as_string(cur), rows_csv)


def copy_query_to_csv(cur, query: str, out: io.StringIO | Path, params: dict | None = None) -> None:
    """Stream a query's result as CSV with a header (COPY ... TO STDOUT)."""
    if params:
        query = cur.mogrify(query, params).decode()
    statement = f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER true)"
    if isinstance(out, Path):
        with out.open("w", encoding="utf-8", newline="") as fh:
            cur.copy_expert(statement, fh)
    else:
        cur.copy_expert(statement, out)

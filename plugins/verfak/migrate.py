"""Warehouse migrations: versioned SQL files applied once each, in order, then the reference data
and the agencies' views and roles (``verfak.agency``).

``include/sql/migrations/NNNN_<what>.sql`` files are applied in name order inside one transaction
each, under an advisory lock (two setups at once can't race). A file already applied is skipped;
one whose text changed after it was applied is an error, because the warehouse would no longer
match the code: add a new migration instead.
"""

from __future__ import annotations

import csv
import hashlib
import logging

from verfak import db
from verfak.config import REFERENCE_DIR, SQL_DIR

log = logging.getLogger(__name__)

MIGRATIONS_DIR = SQL_DIR / "migrations"
_LOCK_KEY = 3216_0001  # advisory lock id for migrations


class MigrationError(RuntimeError):
    pass


def migrate(conn_id: str = db.WAREHOUSE_CONN_ID) -> list[str]:
    """Apply the pending migrations and refresh the reference data; return the names applied."""
    applied_now: list[str] = []
    conn = db.connect(conn_id)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            cur.execute(
                """CREATE TABLE IF NOT EXISTS public.verfak_migration (
                       name text PRIMARY KEY, sha256 text NOT NULL,
                       applied_at timestamptz NOT NULL DEFAULT now())"""
            )
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
            load_reference(cur)
            load_outcome_reference(cur)
            from verfak.agency import sync_agencies

            sync_agencies(cur)
    finally:
        conn.close()
    return applied_now


def load_outcome_reference(cur) -> None:
    """Upsert the outcome statuses (``verfak.outcomes``) and the rule registry (``quality.rule``: every
    rule and code of ``verfak.rules``; the SQL checks and the agencies' function read the outcome rules'
    messages there)."""
    from verfak.outcomes import FIRST, STATUSES
    from verfak.rules import upsert_rules

    cur.executemany(
        """INSERT INTO ref.outcome_status (status, label, allowed_first, allowed_after, money, category)
           VALUES (%s, %s, %s, %s, %s, %s)
           ON CONFLICT (status) DO UPDATE SET label = EXCLUDED.label, allowed_first = EXCLUDED.allowed_first,
               allowed_after = EXCLUDED.allowed_after, money = EXCLUDED.money, category = EXCLUDED.category""",
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
        """INSERT INTO ref.kecamatan (kode_kecamatan, nama_kecamatan) VALUES (%s, %s)
           ON CONFLICT (kode_kecamatan) DO UPDATE SET nama_kecamatan = EXCLUDED.nama_kecamatan
           WHERE ref.kecamatan.nama_kecamatan IS DISTINCT FROM EXCLUDED.nama_kecamatan""",
        kecamatan,
    )
    cur.executemany(
        """INSERT INTO ref.desa (kode_desa, kode_desa_plain, kode_kecamatan, nama_desa, jenis, kode_desa_bps)
           VALUES (%s, %s, %s, %s, %s, %s)
           ON CONFLICT (kode_desa) DO UPDATE SET
               kode_kecamatan = EXCLUDED.kode_kecamatan, nama_desa = EXCLUDED.nama_desa,
               jenis = EXCLUDED.jenis, kode_desa_bps = EXCLUDED.kode_desa_bps
           WHERE (ref.desa.kode_kecamatan, ref.desa.nama_desa, ref.desa.jenis, ref.desa.kode_desa_bps)
                 IS DISTINCT FROM
                 (EXCLUDED.kode_kecamatan, EXCLUDED.nama_desa, EXCLUDED.jenis, EXCLUDED.kode_desa_bps)""",
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

"""Referral programs as configuration (``include/programs.yaml``) and the SQL each one selects.

A program names its agency, its eligibility rule (status, age band, interests, business, decile),
its priority order, an optional quota and the columns the agency may see. ``referral_query``
turns that into one parameterised query over ``publish/referral_candidates.sql``: values are
always bound parameters and names are checked against the known columns, so the configuration
can't inject SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from psycopg2 import sql

from verfak import db
from verfak.config import INCLUDE_DIR

PROGRAMS_FILE = INCLUDE_DIR / "programs.yaml"

#: Columns an agency may receive, with their export type.
COLUMN_TYPES: dict[str, str] = {
    "nik": "text", "no_kk": "text", "nama": "text", "jenis_kelamin": "text", "tanggal_lahir": "date",
    "umur": "integer", "hubungan_keluarga": "text", "alamat": "text", "rt": "text", "rw": "text",
    "no_hp": "text", "kode_kecamatan": "text", "nama_kecamatan": "text", "kode_desa": "text",
    "nama_desa": "text", "desil": "integer", "pekerjaan": "text", "pendidikan": "text",
    "pendapatan_bulanan": "integer", "minat_pelatihan": "text", "memiliki_usaha": "text",
    "minat_usaha": "text", "tanggal_verifikasi": "date",
}  # fmt: skip
_RULE_KEYS = {"status", "age_min", "age_max", "minat_pelatihan_any", "memiliki_usaha", "minat_usaha_or_usaha",
              "desil_max"}  # fmt: skip


class ProgramConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Program:
    name: str
    agency: str
    description: str
    rule: dict
    priority: tuple[str, ...]
    columns: tuple[str, ...]
    quota: int | None = None
    extra: dict = field(default_factory=dict)


def load_programs(path: Path = PROGRAMS_FILE) -> dict[str, Program]:
    """Read and check the program configuration; a mistake is reported with the program's name."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    programs = {}
    for name, spec in (document.get("programs") or {}).items():
        where = f"{path.name}: program '{name}'"
        if not isinstance(spec, dict) or not spec.get("agency") or not spec.get("columns"):
            raise ProgramConfigError(f"{where} needs at least 'agency' and 'columns'")
        unknown = [c for c in spec["columns"] if c not in COLUMN_TYPES]
        if unknown:
            raise ProgramConfigError(f"{where}: unknown column(s) {unknown}; known: {sorted(COLUMN_TYPES)}")
        rule = spec.get("rule") or {}
        if set(rule) - _RULE_KEYS:
            raise ProgramConfigError(f"{where}: unknown rule field(s) {sorted(set(rule) - _RULE_KEYS)}")
        priority = tuple(spec.get("priority") or ["nik asc"])
        for item in priority:
            column, _, direction = item.partition(" ")
            if column not in COLUMN_TYPES or direction.strip().lower() not in ("", "asc", "desc"):
                raise ProgramConfigError(f"{where}: priority '{item}' must be '<column> asc|desc'")
        quota = spec.get("quota")
        if quota is not None and (not isinstance(quota, int) or quota < 0):
            raise ProgramConfigError(f"{where}: quota must be a whole number or null")
        programs[name] = Program(
            name, spec["agency"], spec.get("description", ""), rule, priority, tuple(spec["columns"]), quota
        )
    if not programs:
        raise ProgramConfigError(f"{path} defines no programs")
    return programs


def referral_query(program: Program, period) -> tuple[sql.Composed, dict]:
    """The query of a program's referrals for a period: its columns, in priority order, up to its quota."""
    rule = program.rule
    conditions = [sql.SQL("status_verifikasi = ANY(%(status)s)")]
    params: dict = {"period": period, "status": list(rule.get("status") or ["layak"])}
    if "age_min" in rule:
        conditions.append(sql.SQL("umur >= %(age_min)s"))
        params["age_min"] = rule["age_min"]
    if "age_max" in rule:
        conditions.append(sql.SQL("umur <= %(age_max)s"))
        params["age_max"] = rule["age_max"]
    if rule.get("minat_pelatihan_any"):
        conditions.append(sql.SQL("minat_pelatihan_list && %(minat)s::text[]"))
        params["minat"] = list(rule["minat_pelatihan_any"])
    if "memiliki_usaha" in rule:
        conditions.append(sql.SQL("memiliki_usaha = %(usaha)s"))
        params["usaha"] = "ya" if rule["memiliki_usaha"] else "tidak"
    if rule.get("minat_usaha_or_usaha"):
        conditions.append(sql.SQL("(memiliki_usaha = 'ya' OR minat_usaha IS NOT NULL)"))
    if "desil_max" in rule:
        conditions.append(sql.SQL("(desil IS NULL OR desil <= %(desil_max)s)"))
        params["desil_max"] = rule["desil_max"]
    order = []
    for item in program.priority:
        column, _, direction = item.partition(" ")
        order.append(sql.SQL("{} {} NULLS LAST").format(
            sql.Identifier(column), sql.SQL("DESC" if direction.strip().lower() == "desc" else "ASC")))  # fmt: skip
    query = sql.SQL("SELECT {columns} FROM ({candidates}) c WHERE {conditions} ORDER BY {order}").format(
        columns=sql.SQL(", ").join(map(sql.Identifier, program.columns)),
        candidates=sql.SQL(db.sql_file("publish/referral_candidates.sql")),
        conditions=sql.SQL(" AND ").join(conditions),
        order=sql.SQL(", ").join(order),
    )
    if program.quota is not None:
        query = query + sql.SQL(" LIMIT %(quota)s")
        params["quota"] = program.quota
    return query, params

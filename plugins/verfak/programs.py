"""Referral programs as configuration (``include/programs.yaml``) and the SQL each one selects.

A program names its agency, its eligibility rule (status, age band, interests, business, decile),
its priority order, an optional quota and the columns the agency may see. ``referral_query``
turns that into one parameterised query over ``publish/referral_candidates.sql``: values are
always bound parameters and names are checked against the known columns, so the configuration
can't inject SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from psycopg2 import sql

from verfak import config

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
              "desil_max", "repeat"}  # fmt: skip
#: Columns every export starts with (from publish.referral).
REFERRAL_COLUMNS: dict[str, str] = {"referral_id": "text", "status_rujukan": "text", "periode": "text"}
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
_RESERVED = {"referral", "referral_candidate", "referral_seq", "export_run"}


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
    id_prefix: str = ""

    @property
    def repeat(self) -> bool:
        """Refer the same person again every period (cash aid) or only once (training, capital)."""
        return bool(self.rule.get("repeat", False))

    @property
    def role(self) -> str:
        """The agency's PostgreSQL role."""
        return f"agency_{self.name}"

    @property
    def export_columns(self) -> dict[str, str]:
        return {**REFERRAL_COLUMNS, **{c: COLUMN_TYPES[c] for c in self.columns}}


def load_programs(path: Path | None = None) -> dict[str, Program]:
    """Read and check the program configuration; a mistake is reported with the program's name."""
    path = path or config.programs_file()
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    programs = {}
    for name, spec in (document.get("programs") or {}).items():
        where = f"{path.name}: program '{name}'"
        if not _NAME.match(str(name)) or name in _RESERVED:
            raise ProgramConfigError(f"{where}: a name is lower case letters, digits and _, not {sorted(_RESERVED)}")
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
        prefix = spec.get("id_prefix") or "".join(part[0] for part in name.split("_")).upper()
        programs[name] = Program(
            name, spec["agency"], spec.get("description", ""), rule, priority, tuple(spec["columns"]), quota, prefix
        )
    if not programs:
        raise ProgramConfigError(f"{path} defines no programs")
    return programs


def referral_query(program: Program, period) -> tuple[sql.Composed, dict]:
    """The query of a program's referrals for a period: ``nik`` and ``urutan`` (rank), best first.

    The rule's conditions, the priority order and the quota are applied here; people already
    referred to the program for an earlier period are left out unless the rule says ``repeat``.
    """
    rule = program.rule
    conditions = [sql.SQL("period = %(period)s"), sql.SQL("status_verifikasi = ANY(%(status)s)")]
    params: dict = {"period": period, "status": list(rule.get("status") or ["layak"]), "program": program.name}
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
    if not program.repeat:
        conditions.append(sql.SQL(
            "NOT EXISTS (SELECT 1 FROM publish.referral r WHERE r.program = %(program)s AND r.nik = c.nik "
            "AND r.period < %(period)s)"))  # fmt: skip
    order = []
    for item in program.priority:
        column, _, direction = item.partition(" ")
        order.append(sql.SQL("{} {} NULLS LAST").format(
            sql.Identifier(column), sql.SQL("DESC" if direction.strip().lower() == "desc" else "ASC")))  # fmt: skip
    order.append(sql.SQL("nik"))  # a total order: the same data always gives the same ranks
    query = sql.SQL(
        "SELECT nik, row_number() OVER (ORDER BY {order})::integer AS urutan "
        "FROM publish.referral_candidate c WHERE {conditions} ORDER BY urutan"
    ).format(order=sql.SQL(", ").join(order), conditions=sql.SQL(" AND ").join(conditions))
    if program.quota is not None:
        query = query + sql.SQL(" LIMIT %(quota)s")
        params["quota"] = program.quota
    return query, params

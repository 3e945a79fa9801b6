"""Referral programs as configuration (``include/programs.yaml``) and the SQL each one selects.

A program names its agency, its eligibility rule (status, age band, interests, business, decile,
outcomes in other programs), its priority order, an optional quota, the columns the agency may
see and what it reports back (``tindak_lanjut``: the outcome statuses it accepts, which of them
are final, and ``response_days``, the days it has to answer a referral). ``referral_query``
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
from verfak.outcomes import MONEY_STATUSES, STATUS_VALUES

#: Columns an agency may receive, with their export type.
COLUMN_TYPES: dict[str, str] = {
    "nik": "text",
    "no_kk": "text",
    "nama": "text",
    "jenis_kelamin": "text",
    "tanggal_lahir": "date",
    "umur": "integer",
    "hubungan_keluarga": "text",
    "alamat": "text",
    "rt": "text",
    "rw": "text",
    "no_hp": "text",
    "kode_kecamatan": "text",
    "nama_kecamatan": "text",
    "kode_desa": "text",
    "nama_desa": "text",
    "desil": "integer",
    "pekerjaan": "text",
    "pendidikan": "text",
    "pendapatan_bulanan": "integer",
    "minat_pelatihan": "text",
    "memiliki_usaha": "text",
    "minat_usaha": "text",
    "tanggal_verifikasi": "date",
}
_RULE_KEYS = {
    "status",
    "age_min",
    "age_max",
    "minat_pelatihan_any",
    "memiliki_usaha",
    "minat_usaha_or_usaha",
    "desil_max",
    "repeat",
    "requires_outcome",
    "exclude_outcome",
}
_OUTCOME_KEYS = {"statuses", "final", "response_days"}
DEFAULT_RESPONSE_DAYS = 30
#: Columns every export starts with (from publish.referral).
REFERRAL_COLUMNS: dict[str, str] = {"referral_id": "text", "status_rujukan": "text", "periode": "text"}
#: The column after those: the referral's current outcome (publish.referral_status),
#: empty while the agency has not answered (issue 13).
OUTCOME_COLUMNS: dict[str, str] = {"status_tindak_lanjut": "text"}
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
    statuses: tuple[str, ...] = ()  # outcome statuses the agency may report (tindak_lanjut.statuses)
    final: tuple[str, ...] = ()  # ... after which only a correction may follow
    response_days: int = DEFAULT_RESPONSE_DAYS  # days to answer a referral before it counts as unanswered

    @property
    def money_statuses(self) -> tuple[str, ...]:
        """The program's statuses that carry an amount (``nilai``): it pays money when there is one."""
        return tuple(s for s in self.statuses if s in MONEY_STATUSES)

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
        # status_tindak_lanjut before the program's columns: a column added to a program is appended
        # to the agency's view, which is then replaced in place (verfak.agency)
        return {**REFERRAL_COLUMNS, **OUTCOME_COLUMNS, **{c: COLUMN_TYPES[c] for c in self.columns}}


def load_programs(path: Path | None = None) -> dict[str, Program]:
    """Read and check the program configuration; a mistake is reported with the program's name."""
    path = path or config.programs_file()
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    programs = {}
    for name, spec in (document.get("programs") or {}).items():
        where = f"{path.name}: program '{name}'"
        if not _NAME.match(str(name)) or name in _RESERVED:
            raise ProgramConfigError(
                f"{where}: a name is lower case letters, digits and _, not {sorted(_RESERVED)}"
            )
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
            if isinstance(item, dict):  # {outcome: {program, status}}: checked once every program is read
                if set(item) != {"outcome"}:
                    raise ProgramConfigError(
                        f"{where}: a priority item is '<column> asc|desc' or {{outcome: ...}}"
                    )
                continue
            column, _, direction = str(item).partition(" ")
            if column not in COLUMN_TYPES or direction.strip().lower() not in ("", "asc", "desc"):
                raise ProgramConfigError(f"{where}: priority '{item}' must be '<column> asc|desc'")
        quota = spec.get("quota")
        if quota is not None and (not isinstance(quota, int) or quota < 0):
            raise ProgramConfigError(f"{where}: quota must be a whole number or null")
        prefix = spec.get("id_prefix") or "".join(part[0] for part in name.split("_")).upper()
        statuses, final, response_days = _outcome_config(where, spec.get("tindak_lanjut"))
        programs[name] = Program(
            name,
            spec["agency"],
            spec.get("description", ""),
            rule,
            priority,
            tuple(spec["columns"]),
            quota,
            prefix,
            statuses,
            final,
            response_days,
        )
    if not programs:
        raise ProgramConfigError(f"{path} defines no programs")
    for program in programs.values():
        _check_outcome_rules(program, programs, f"{path.name}: program '{program.name}'")
    return programs


def _statuses(where: str, field: str, value, allowed) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProgramConfigError(f"{where}: {field} must be a list of outcome statuses")
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise ProgramConfigError(f"{where}: {field}: unknown status(es) {unknown}; known: {list(allowed)}")
    return tuple(value)


def _outcome_config(where: str, spec) -> tuple[tuple[str, ...], tuple[str, ...], int]:
    """(statuses, final statuses, response_days) of a program's ``tindak_lanjut`` section."""
    if spec is None:
        return (), (), DEFAULT_RESPONSE_DAYS
    if not isinstance(spec, dict) or set(spec) - _OUTCOME_KEYS:
        raise ProgramConfigError(f"{where}: tindak_lanjut takes {sorted(_OUTCOME_KEYS)}")
    statuses = _statuses(where, "tindak_lanjut.statuses", spec.get("statuses") or [], STATUS_VALUES)
    final = _statuses(where, "tindak_lanjut.final", spec.get("final") or [], statuses)
    days = spec.get("response_days", DEFAULT_RESPONSE_DAYS)
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise ProgramConfigError(f"{where}: tindak_lanjut.response_days must be a whole number of days >= 1")
    return statuses, final, days


def _outcome_reference(where: str, field: str, value, programs: dict) -> dict:
    """``{program: <name>, status: [..]}`` checked against the named program's statuses."""
    if not isinstance(value, dict) or set(value) != {"program", "status"}:
        raise ProgramConfigError(f"{where}: {field} must be {{program: <name>, status: [<status>, ...]}}")
    other = programs.get(value["program"])
    if other is None:
        raise ProgramConfigError(f"{where}: {field}: unknown program '{value['program']}'")
    return {
        "program": other.name,
        "status": list(_statuses(where, f"{field}.status", value["status"], other.statuses)),
    }


def _check_outcome_rules(program: Program, programs: dict, where: str) -> None:
    """Rule fields and priority keys that read outcomes name real programs and statuses."""
    if "requires_outcome" in program.rule:
        program.rule["requires_outcome"] = _outcome_reference(
            where, "rule.requires_outcome", program.rule["requires_outcome"], programs
        )
    if "exclude_outcome" in program.rule:
        program.rule["exclude_outcome"] = list(
            _statuses(where, "rule.exclude_outcome", program.rule["exclude_outcome"], program.statuses)
        )
    for item in program.priority:
        if isinstance(item, dict):
            _outcome_reference(where, "priority outcome", item.get("outcome"), programs)


def outcome_priority(item) -> dict | None:
    """The outcome of a priority item ``{outcome: {program, status}}`` (people with it first), or None."""
    return item["outcome"] if isinstance(item, dict) else None


#: The candidate ``c`` was referred to ``%(program)s`` for a period before ``%(period)s``: a rule
#: without ``repeat`` leaves such people out, and ``status_rujukan`` is 'lanjutan' for them ('baru'
#: otherwise; ``publish.record_referrals``).
REFERRED_BEFORE = sql.SQL(
    "EXISTS (SELECT 1 FROM publish.referral r WHERE r.program = %(program)s AND r.nik = c.nik "
    "AND r.period < %(period)s)"
)


def referral_query(program: Program, period) -> tuple[sql.Composed, dict]:
    """The query of a program's referrals for a period: ``nik`` and ``urutan`` (rank), best first.

    The rule's conditions, the priority order and the quota are applied here; people already
    referred to the program for an earlier period are left out unless the rule says ``repeat``.
    """
    rule = program.rule
    conditions: list[sql.Composable] = [
        sql.SQL("period = %(period)s"),
        sql.SQL("status_verifikasi = ANY(%(status)s)"),
    ]
    params: dict = {
        "period": period,
        "status": list(rule.get("status") or ["layak"]),
        "program": program.name,
    }
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
        conditions.append(sql.SQL("NOT {}").format(REFERRED_BEFORE))
    if rule.get("requires_outcome"):
        conditions.append(_has_outcome("required"))
        params["required_program"] = rule["requires_outcome"]["program"]
        params["required_status"] = list(rule["requires_outcome"]["status"])
    if rule.get("exclude_outcome"):
        # an outcome on a referral of an earlier period: this period's own referrals keep their place
        conditions.append(
            sql.SQL(
                "NOT EXISTS (SELECT 1 FROM publish.referral_status s WHERE s.program = %(program)s AND s.nik = c.nik "
                "AND s.period < %(period)s AND s.status = ANY(%(excluded_status)s))"
            )
        )
        params["excluded_status"] = list(rule["exclude_outcome"])
    order: list[sql.Composable] = []
    for index, item in enumerate(program.priority):
        outcome = outcome_priority(item)
        if outcome is not None:  # people with that outcome first
            key = f"priority_{index}"
            order.append(sql.SQL("({}) DESC").format(_has_outcome(key)))
            params[f"{key}_program"], params[f"{key}_status"] = outcome["program"], list(outcome["status"])
            continue
        column, _, direction = item.partition(" ")
        order.append(
            sql.SQL("{} {} NULLS LAST").format(
                sql.Identifier(column), sql.SQL("DESC" if direction.strip().lower() == "desc" else "ASC")
            )
        )
    order.append(sql.SQL("nik"))  # a total order: the same data always gives the same ranks
    query = sql.SQL(
        "SELECT nik, row_number() OVER (ORDER BY {order})::integer AS urutan "
        "FROM publish.referral_candidate c WHERE {conditions} ORDER BY urutan"
    ).format(order=sql.SQL(", ").join(order), conditions=sql.SQL(" AND ").join(conditions))
    if program.quota is not None:
        query = query + sql.SQL(" LIMIT %(quota)s")
        params["quota"] = program.quota
    return query, params


def _has_outcome(key: str) -> sql.Composed:
    """EXISTS: a referral of the candidate to ``%(<key>_program)s`` whose current status (corrections
    included) is one of ``%(<key>_status)s``."""
    return sql.SQL(
        "EXISTS (SELECT 1 FROM publish.referral_status s "
        "WHERE s.program = {program} AND s.nik = c.nik AND s.status = ANY({status}))"
    ).format(program=sql.Placeholder(f"{key}_program"), status=sql.Placeholder(f"{key}_status"))

"""The submission contract and the rule registry are declared once (issue #14, point 1): what is
built from them agrees with them, every code the reader can give is in the registry, and the docs'
table of codes is the generated one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from verfak import columns, staging, template
from verfak.columns import CONTRACT, canonical_column
from verfak.intake import VILLAGE
from verfak.rules import (
    FILE_CODES,
    FILE_REJECTIONS,
    INTAKE_RULES,
    REJECTION_DOC,
    RULES_BY_ID,
    registry,
    rejection_table,
    with_rejection_table,
)

PACKAGE = Path(columns.__file__).resolve().parent


def test_every_header_the_contract_writes_maps_back_to_its_column():
    for column in CONTRACT:
        for header in (column.name, column.header, column.office_header, *column.aliases):
            assert canonical_column(header) == column.name, header


def test_the_lists_built_from_the_declaration():
    assert columns.ID_COLUMNS == ("nik", "no_kk", "rt", "rw", "kode_desa", "no_hp")
    assert columns.MUST_BE_TEXT == ("nik", "no_kk")
    assert VILLAGE.must_be_text == columns.MUST_BE_TEXT
    assert columns.DATE_COLUMNS == ("tanggal_lahir", "tanggal_verifikasi")
    assert columns.LAYAK == "layak"
    assert staging.STATUS_VALUES is columns.STATUS_VALUES
    assert staging.STAGING_COLUMNS[4:-2] == tuple(c.staged_as for c in CONTRACT)
    assert {c.name: c.header for c in CONTRACT} == template.HEADERS


def test_rule_messages_name_the_declared_values():
    statuses = ", ".join(columns.STATUS_VALUES)
    assert statuses in RULES_BY_ID["status_verifikasi_valid"].message
    assert statuses in RULES_BY_ID["status_verifikasi_wajib"].message
    assert RULES_BY_ID["status_verifikasi_valid"].kwargs["value_set"] == list(columns.STATUS_VALUES)
    assert RULES_BY_ID["jenis_kelamin_valid"].kwargs["value_set"] == list(columns.SEX_VALUES)
    assert RULES_BY_ID["memiliki_usaha_valid"].kwargs["value_set"] == list(columns.YES_NO_VALUES)
    for column, limit in columns.MAX_LENGTHS.items():
        assert f"paling banyak {limit} karakter" in RULES_BY_ID[f"{column}_terlalu_panjang"].message


# A code given where a file or a row is read: ``reject("code", ...)``, ``OverLimit("code", ...)``,
# ``RowIssue(source_row, "code", ...)``, and the (code, message) pairs handed to ``reject(*...)``.
_CODE_PATTERNS = (
    re.compile(r"\breject\(\s*\"([a-z_]+)\""),
    re.compile(r"\bOverLimit\(\s*\"([a-z_]+)\""),
    re.compile(r"\bRowIssue\(\s*source_row,\s*\"([a-z_]+)\""),
    re.compile(r"\(\"([a-z_]+)\", MSG_[A-Z_]+\)"),
)


def _codes_in_source() -> set[str]:
    found = set()
    for path in PACKAGE.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in _CODE_PATTERNS:
            found.update(pattern.findall(text))
    return found


def test_every_code_the_reader_gives_is_in_the_registry_and_every_registered_one_is_given():
    in_source = _codes_in_source()
    registered = FILE_CODES | {rule.rule_id for rule in INTAKE_RULES}
    assert in_source - registered == set(), "codes given by the code but missing from verfak.rules"
    assert registered - in_source == set(), "codes in verfak.rules that no code gives"


def test_the_registry_has_one_description_per_code():
    ids = [rule.rule_id for rule in registry()]
    assert len(ids) == len(set(ids))
    assert all(rule.description and rule.message for rule in registry())
    assert all(rule.severity in ("error", "warning") for rule in registry())


def test_the_docs_table_of_codes_is_the_generated_one():
    """Fails when docs/submissions.md and verfak.rules.FILE_REJECTIONS drift apart: run
    ``python -m verfak rules-doc --write``."""
    text = REJECTION_DOC.read_text(encoding="utf-8")
    assert rejection_table() in text
    assert with_rejection_table(text) == text


def test_the_generated_table_follows_the_registry():
    table = rejection_table()
    for entry in FILE_REJECTIONS:
        for code in entry.codes:
            assert (f"`{code}`" in table) == entry.village, code


def test_a_docs_page_without_the_markers_is_refused():
    with pytest.raises(ValueError, match="section"):
        with_rejection_table("| kode | artinya |\n")


def test_the_gate_reads_every_contract_column_of_raw_rows():
    """include/sql/staging/select_period_rows.sql names the raw columns one by one: in the contract's order."""
    sql = (PACKAGE.parents[1] / "include" / "sql" / "staging" / "select_period_rows.sql").read_text(
        encoding="utf-8"
    )
    select_list = sql[sql.index("AS kode_desa_folder,") : sql.index("EXISTS")]
    assert tuple(re.findall(r"\br\.([a-z_]+)", select_list)) == columns.COLUMNS

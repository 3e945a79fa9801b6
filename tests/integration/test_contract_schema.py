"""The warehouse's tables agree with the declared submission contract (``verfak.columns``), and
``quality.rule`` holds the whole rule registry after a migrate (issue #14, point 1)."""

from __future__ import annotations

from verfak.columns import RAW_TABLE_COLUMNS, STAGING_TABLE_COLUMNS
from verfak.rules import registry

_COLUMNS = """SELECT column_name, data_type FROM information_schema.columns
               WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position"""


def test_raw_submission_row_is_the_contract_as_text(warehouse):
    assert warehouse.query(_COLUMNS, ("raw", "submission_row")) == list(RAW_TABLE_COLUMNS)


def test_staging_verifikasi_is_the_contract_typed(warehouse):
    assert warehouse.query(_COLUMNS, ("staging", "verifikasi")) == list(STAGING_TABLE_COLUMNS)


def test_quality_rule_lists_every_code_with_its_description(warehouse):
    from verfak.migrate import migrate

    migrate()  # the warehouse fixture empties quality.rule; a migrate writes the registry back
    held = dict(warehouse.query("SELECT rule_id, description FROM quality.rule"))
    assert held == {rule.rule_id: rule.description for rule in registry()}
    assert {"id_diketik_angka", "arsip_mencurigakan", "sheet_terlalu_luas", "nik_16_digit"} <= set(held)

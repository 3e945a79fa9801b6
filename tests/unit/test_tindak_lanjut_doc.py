"""The agencies' guide (docs/tindak_lanjut.md) names every outcome rule with its message, every
status with the programs that accept it, and every return-file column, as the code declares them."""

from __future__ import annotations

from pathlib import Path

from verfak.outcomes import RETURN_LABELS, STATUSES
from verfak.programs import load_programs
from verfak.rules import OUTCOME_RULES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "tindak_lanjut.md").read_text(encoding="utf-8")


def table_row(first_cell: str) -> str:
    return next(line for line in DOC.splitlines() if line.startswith(f"| `{first_cell}` |"))


def test_every_rule_is_in_the_guide_with_its_message():
    for rule in OUTCOME_RULES:
        assert table_row(rule.rule_id) == f"| `{rule.rule_id}` | `{rule.column}` | {rule.message} |"


def test_every_status_is_in_the_guide_with_the_programs_that_accept_it():
    programs = load_programs()
    for status in STATUSES:
        row = table_row(status.status)
        assert status.label in row
        for name, program in programs.items():
            assert (f"`{name}`" in row.split("|")[4]) == (status.status in program.statuses), (
                status.status,
                name,
            )


def test_every_return_column_is_in_the_guide():
    for column, label in RETURN_LABELS.items():
        assert table_row(column).startswith(f"| `{column}` | {label} |")

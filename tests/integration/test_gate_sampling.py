"""The quality gate applies every rule to every row with ``verfak.rules.evaluate`` and checks it
against Great Expectations, on every row or, for large periods, on a sample (``VERFAK_GX_MAX_ROWS``).

Real Great Expectations runs on typed rows built from the same row defects as the rule tests
(``test_quality_rules.CASES``), no database needed.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tests.helpers import ROOT, village_row
from tests.integration.test_quality_rules import CASES
from verfak import quality
from verfak.columns import COLUMNS
from verfak.rules import RULES_BY_ID
from verfak.staging import type_rows

PERIOD = "2024-06"
BIRTH = dt.date(1980, 3, 14)


@pytest.fixture(scope="module")
def villages() -> list[str]:
    return pd.read_csv(ROOT / "include" / "reference" / "wilayah_bekasi.csv", dtype="str")[
        "kode_desa"
    ].tolist()


@pytest.fixture(scope="module")
def typed(villages) -> pd.DataFrame:
    """One file (village) per rule with the simple defects: a valid row 2 and a failing row 3,
    plus 40 valid rows so that a small sample leaves most rows out."""
    rows = []
    simple = [r for r in sorted(CASES) if isinstance(CASES[r], dict) or callable(CASES[r])]
    for file_id, rule_id in enumerate(simple, start=1):
        village = villages[file_id]
        good = village_row(PERIOD, village, file_id * 10 + 1, BIRTH, "P")
        bad = village_row(PERIOD, village, file_id * 10 + 2, BIRTH, "P")
        change = CASES[rule_id]
        bad = change(bad) if callable(change) else {**bad, **change}
        for source_row, row in ((2, good), (3, bad)):
            rows.append({"file_id": file_id, "source_row": source_row, "kode_desa_folder": village, **row})
    for serial in range(40):
        rows.append(
            {
                "file_id": 999,
                "source_row": serial + 2,
                "kode_desa_folder": villages[0],
                **village_row(PERIOD, villages[0], 900 + serial, BIRTH, "L"),
            }
        )
    raw = pd.DataFrame(rows, columns=["file_id", "source_row", "kode_desa_folder", *COLUMNS]).astype("str")
    raw = raw.replace("", None)
    return type_rows(raw, PERIOD)


def _issues(gate) -> set[tuple]:
    return set(gate.failures[["file_id", "source_row", "rule_id"]].itertuples(index=False, name=None))


@pytest.fixture(scope="module")
def full_gate(typed, villages, tmp_path_factory):
    return quality.run_gate(typed, PERIOD, villages, report_dir=tmp_path_factory.mktemp("gx_full"))


def test_every_defect_is_found_on_its_row(full_gate, typed):
    issues = _issues(full_gate)
    simple = [r for r in sorted(CASES) if isinstance(CASES[r], dict) or callable(CASES[r])]
    for file_id, rule_id in enumerate(simple, start=1):
        assert (file_id, 3, rule_id) in issues, rule_id
        assert not any(f == file_id and row == 2 for f, row, _ in issues), f"{rule_id}: the valid row passes"
    assert not any(f == 999 for f, _, _ in issues)
    counts = {rule_id: (evaluated, failed) for rule_id, evaluated, failed in full_gate.rule_counts}
    assert set(counts) == set(RULES_BY_ID)
    assert counts["nama_wajib"] == (len(typed), 1)
    assert full_gate.success is False


def test_a_sample_for_great_expectations_changes_nothing_in_the_results(
    full_gate, typed, villages, tmp_path, monkeypatch
):
    monkeypatch.setenv("VERFAK_GX_MAX_ROWS", "20")
    sampled = quality.run_gate(typed, PERIOD, villages, report_dir=tmp_path)
    assert _issues(sampled) == _issues(full_gate)
    assert sampled.rule_counts == full_gate.rule_counts
    assert sampled.failures.equals(full_gate.failures)
    # The Data Docs name the run as a sample of 20 of the period's rows.
    runs = "".join(p.read_text() for p in (tmp_path / "data_docs").rglob("*.html"))
    assert f"sampel-20-dari-{len(typed)}" in runs


def test_the_sample_keeps_flagged_rows_and_is_seeded(typed, villages):
    from verfak.rules import RULES, evaluate

    evaluated = evaluate(typed.reset_index(drop=True), RULES, villages)
    flagged = set()
    for _, failed in evaluated.values():
        flagged |= set(failed[failed].index)
    positions = quality._gx_rows(evaluated, len(typed), 2 * len(flagged) + 10)
    assert flagged <= set(positions)
    assert len(positions) == 2 * len(flagged) + 10
    assert list(positions) == sorted(positions)
    assert list(quality._gx_rows(evaluated, len(typed), 2 * len(flagged) + 10)) == list(positions)
    # Fewer places than flagged rows: half of the sample is flagged rows, the rest drawn from the others.
    small = quality._gx_rows(evaluated, len(typed), 10)
    assert len(small) == 10
    assert len(set(small) & flagged) == 5
    # Nearly every row flagged: the sample is still full, of flagged rows.
    everything = {rule_id: (c, f | True) for rule_id, (c, f) in evaluated.items()}
    assert len(quality._gx_rows(everything, len(typed), 10)) == 10


def test_a_disagreement_with_great_expectations_stops_the_gate(full_gate, typed, villages, tmp_path):
    from verfak.rules import RULES, evaluate

    frame = typed.reset_index(drop=True)
    evaluated = evaluate(frame, RULES, villages)
    considered, failed = evaluated["desil_valid"]
    failed = failed.copy()
    failed.iloc[0] = True  # the evaluator would now fail a row Great Expectations passes
    evaluated["desil_valid"] = (considered, failed)
    gx_failures = full_gate.failures
    with pytest.raises(
        RuntimeError, match=r"rule desil_valid: Great Expectations and verfak\.rules\.evaluate disagree"
    ):
        quality._check_agreement(frame, evaluated, gx_failures, full_gate.rule_counts)


def test_gx_max_rows_must_be_sensible(monkeypatch):
    monkeypatch.setenv("VERFAK_GX_MAX_ROWS", "1")
    with pytest.raises(ValueError, match="VERFAK_GX_MAX_ROWS"):
        quality.gx_max_rows()

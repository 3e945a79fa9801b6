"""Great Expectations checks a batch in a thread while PostgreSQL loads it (verfak.load): its verdict
still decides the commit. A disagreement between Great Expectations and the masks, found while the
core load runs, leaves the warehouse exactly as it was before the batch."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import run_ingest, run_validate_load, village_row, write_submission_csv
from verfak import load

PERIOD = "2024-06"
DESA = "32.16.01.2001"
BIRTH = dt.date(1980, 3, 14)

TABLES = (
    "staging.verifikasi",
    "core.verifikasi",
    "core.person_version",
    "core.household",
    "quality.validation_run",
    "quality.row_issue",
    "quality.rule_count_desa",
    "quality.village_flag",
)


def _state(warehouse) -> dict:
    state = {
        t: warehouse.query(f"SELECT md5(string_agg(x::text, ',' ORDER BY x::text)) FROM {t} x")[0][0]
        for t in TABLES
    }
    state["unloaded files"] = warehouse.scalar(
        "SELECT count(*) FROM raw.submission_file WHERE loaded_at IS NULL"
    )
    return state


def test_a_gate_disagreement_found_during_the_core_load_rolls_the_batch_back(warehouse, monkeypatch):
    rows = [village_row(PERIOD, DESA, serial, BIRTH, "P") for serial in range(1, 6)]
    write_submission_csv(warehouse.landing, PERIOD, DESA, rows)
    run_ingest(warehouse.landing)
    run_validate_load()
    assert warehouse.scalar("SELECT count(*) FROM core.verifikasi") == 5

    # The village corrects an address; the evaluator is made to disagree with Great Expectations
    # on one row of the new batch (it calls a valid desil invalid).
    rows[0] = {**rows[0], "alamat": "Kp. Baru RT 2"}
    write_submission_csv(warehouse.landing, PERIOD, DESA, rows, name="verfak_revisi.csv")
    run_ingest(warehouse.landing)
    before = _state(warehouse)
    assert before["unloaded files"] == 1

    real_check_rows = load.check_rows

    def disagreeing(typed, known):
        evaluated, failed, counts = real_check_rows(typed, known)
        considered, bad = evaluated["desil_valid"]
        bad = bad.copy()
        bad.iloc[0] = True
        evaluated["desil_valid"] = (considered, bad)
        return evaluated, failed, counts

    monkeypatch.setattr(load, "check_rows", disagreeing)
    with pytest.raises(
        RuntimeError, match=r"desil_valid: Great Expectations and verfak\.rules\.evaluate disagree"
    ):
        load.validate_and_load_period(PERIOD)
    assert _state(warehouse) == before
    assert warehouse.scalar("SELECT alamat FROM core.verifikasi WHERE source_row = 2") != "Kp. Baru RT 2"

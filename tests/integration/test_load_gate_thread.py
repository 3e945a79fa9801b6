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


def test_a_chunk_that_fails_to_reach_staging_in_the_background_stops_the_batch(warehouse, monkeypatch):
    """Each chunk is written to staging in a thread while the next one is typed: a COPY that fails
    there (the server refusing a row, a lost connection) stops the batch with its error and nothing
    of the batch is kept, whichever chunk it was."""
    villages = ["32.16.01.2001", "32.16.01.2002", "32.16.01.2003"]
    for number, village in enumerate(villages):
        rows = [village_row(PERIOD, village, number * 100 + serial, BIRTH, "P") for serial in range(1, 4)]
        write_submission_csv(warehouse.landing, PERIOD, village, rows)
    run_ingest(warehouse.landing)
    monkeypatch.setenv("VERFAK_LOAD_CHUNK_ROWS", "3")  # one village a chunk: three chunks
    before = _state(warehouse)

    real_copy = load._copy_frame
    staged = []

    def second_chunk_refused(cur, table, frame, columns):
        if table == "staging.verifikasi":
            staged.append(len(frame))
            if len(staged) == 2:
                raise OSError("injected: the server went away during the second chunk's COPY")
        real_copy(cur, table, frame, columns)

    monkeypatch.setattr(load, "_copy_frame", second_chunk_refused)
    with pytest.raises(OSError, match="second chunk's COPY"):
        load.validate_and_load_period(PERIOD)
    assert staged == [3, 3]  # the third chunk was never sent
    assert _state(warehouse) == before

    monkeypatch.setattr(load, "_copy_frame", real_copy)
    assert load.validate_and_load_period(PERIOD).rows_loaded == 9

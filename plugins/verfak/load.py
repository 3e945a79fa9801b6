"""Stage 2, validate and load: per period, the villages whose file changed, typed, checked, loaded.

The unit of work is a **batch**: the villages of one period whose current file validate-and-load
has not taken yet (a new file, or a newer file that superseded the one loaded), plus the villages
whose rows share a NIK with the batch's new rows or with the rows it replaces: the rules that look
across villages (``nik_ganda_antar_desa``: a NIK sent by two villages holds out both rows;
``nik_kk_berbeda``: a NIK with several family cards) can change their answer, so they are
validated and loaded again with it. A first load of a period is a batch of all its villages; a
village's corrected file is a batch of that village (and its neighbours by NIK, if any).

Only the batch's rows are typed and checked, in chunks of villages of at most
``VERFAK_LOAD_CHUNK_ROWS`` rows (a village is never split), so memory is bounded by the chunk (or
the largest village file), not by the period: per chunk the rows are read, typed, given the period's
cross-village counts (computed set-based in PostgreSQL against what is already in staging for the
other villages: include/sql/staging/cross_village.sql), checked with every rule as vectorised masks,
and written to staging with their failures; Great Expectations validates the batch (or a bounded
sample of it, gathered chunk by chunk) once and must agree with the masks row by row. Then the
issues, core facts and history (for the people of the batch's villages), households, village flags
(batch villages and villages without a file) and rule counts are replaced in the same transaction
under a PostgreSQL advisory lock: a run killed halfway leaves the period as it was, and the next run
completes it. The batch villages' feedback files are rewritten after the commit.

Two threads keep both cores busy. The chunks' reads and writes go through one (``_ChunkPipe``: the
connection still serves one statement at a time, in order): a chunk's rows go to staging, and the
chunk two ahead is read, while the next chunk is typed and checked. Great Expectations (imported at
the start, in the other thread) checks the batch while PostgreSQL loads core; its verdict is taken
before the village checks and the commit, so a disagreement still loads nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from verfak import config, db
from verfak.feedback import write_feedback
from verfak.quality import (
    FAILURE_COLUMNS,
    GateSample,
    check_rows,
    import_great_expectations,
    run_village_checks,
)
from verfak.rules import RULES, evaluate, upsert_rules, village_rules
from verfak.safe_text import shorten_sql_params
from verfak.staging import STAGING_COLUMNS, period_bounds, type_rows, typed_keys, with_period_counts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodOutcome:
    """Counts of one period's batch (no personal data: safe for logs and XCom).

    ``rows_validated``, ``rows_quarantined`` and ``rows_with_warning`` are the batch's rows;
    ``rows_loaded`` and ``layak`` the period's core after the batch."""

    period: str
    rows_validated: int
    rows_loaded: int
    rows_quarantined: int
    rows_with_warning: int
    layak: int
    villages_with_feedback: int
    village_flags: int
    data_docs_index: str | None
    villages_changed: int = 0
    villages_touched: int = 0
    chunks: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def pending_periods(conn_id: str = db.WAREHOUSE_CONN_ID) -> list[str]:
    with db.transaction(conn_id) as cur:
        cur.execute(db.sql_file("staging/pending_periods.sql"))
        periods = [row[0] for row in cur.fetchall()]
    log.info("periods waiting for validate-and-load: %s", ", ".join(periods) or "none")
    return periods


def _codes(villages: list[str], at_most: int = 12) -> str:
    """Village codes for a log line (codes are not personal data), shortened for a whole period."""
    shown = ", ".join(villages[:at_most])
    return shown + (f", ... ({len(villages) - at_most} more)" if len(villages) > at_most else "")


def _read_csv(cur, query_file: str, params: dict) -> pd.DataFrame:
    # bytes, not text: psycopg2 then writes COPY's rows as they come, and the parser reads them
    # without re-encoding a decoded text (45,000 rows parsed in 0.04 s instead of 0.08 s)
    buffer = io.BytesIO()
    db.copy_query_to_csv(cur, db.sql_file(query_file), buffer, params)
    buffer.seek(0)
    # the pyarrow parser reads a million rows in 0.6 s instead of 3.9 s (benchmark, proposal R1)
    frame = pd.read_csv(buffer, dtype="str", keep_default_na=False, na_values=[""], engine="pyarrow")
    buffer.close()
    return frame


def _read_raw(cur, file_ids: list[int]) -> pd.DataFrame:
    """The raw rows of these files that go to the gate, with the period's cross-village counts."""
    return _read_csv(cur, "staging/select_period_rows.sql", {"file_ids": list(file_ids)})


def _copy_frame(cur, table: str, frame: pd.DataFrame, columns: list[str]) -> None:
    """COPY the columns of a frame into a table, as CSV written by pyarrow (5x ``DataFrame.to_csv``);
    timestamps go as dates (every date column of staging is a date)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    data = pa.Table.from_pandas(frame[columns], preserve_index=False)
    for i, field in enumerate(data.schema):
        if pa.types.is_timestamp(field.type):
            data = data.set_column(i, field.name, data.column(i).cast(pa.date32()))
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(data, sink, pa_csv.WriteOptions(include_header=False))
    db.copy_rows(cur, table, columns, pa.BufferReader(sink.getvalue()))


def _copy_chunk(cur, typed: pd.DataFrame, failed: pd.DataFrame) -> None:
    """Write one chunk's typed rows to staging and its rule failures to ``tmp_gate_failure``."""
    _copy_frame(cur, "staging.verifikasi", typed, list(STAGING_COLUMNS))
    _copy_frame(cur, "tmp_gate_failure", failed, FAILURE_COLUMNS)


def chunks_of(files: list[tuple[str, int, int]], max_rows: int) -> list[list[tuple[str, int, int]]]:
    """Villages' files ``(kode_desa, file_id, rows)`` in groups of at most ``max_rows`` rows, in
    order; a village larger than that is a group of its own (a file is never split)."""
    groups: list[list[tuple[str, int, int]]] = []
    size = 0
    for item in files:
        if not groups or size + item[2] > max_rows:
            groups.append([])
            size = 0
        groups[-1].append(item)
        size += item[2]
    return groups


class _ChunkPipe:
    """The connection's reads and writes of a batch's chunks, in a thread of their own, so that
    Python types and checks one chunk while PostgreSQL sends the next and takes the previous one
    (COPY in both directions waits on the server; pyarrow's CSV reader releases the GIL).

    The statements run one at a time, in the order given: the first two chunks are read at once,
    then each chunk's write is followed by the read of the chunk two ahead, so at most two chunks
    wait in memory besides the one being typed and the one being written. A chunk's write waits for
    the previous write and raises its error, before anything else is sent (a failed statement
    aborts the transaction, so what was queued after it fails too, with a less useful error);
    ``close`` waits for every statement, so nothing runs on the connection once the batch ends.
    """

    def __init__(self, executor: ThreadPoolExecutor, cur, groups: list, read) -> None:
        self.executor, self.cur, self.groups, self.read = executor, cur, groups, read
        self.reads: dict[int, Future] = {}
        self.last_write: Future | None = None
        for index in range(min(2, len(groups))):
            self._read_ahead(index)

    def _read_ahead(self, index: int) -> None:
        if index < len(self.groups):
            self.reads[index] = self.executor.submit(
                self.read, self.cur, [f for _, f, _ in self.groups[index]]
            )

    def rows(self, index: int) -> pd.DataFrame:
        """Chunk ``index``'s rows as read (waits for them; raises a failed write's error first)."""
        future = self.reads.pop(index)
        wait([future])
        if self.last_write is not None and self.last_write.done():
            self.last_write.result()
        return future.result()

    def write(self, index: int, function, *args) -> None:
        """Write chunk ``index`` with ``function(cur, *args)`` once the previous write is done, then
        read the chunk two ahead."""
        self.finish()
        self.last_write = self.executor.submit(function, self.cur, *args)
        self._read_ahead(index + 2)

    def finish(self) -> None:
        """Wait for the last write; raise its error."""
        if self.last_write is not None:
            self.last_write.result()

    def close(self) -> None:
        wait([*self.reads.values(), *([self.last_write] if self.last_write else [])])


def _read_keys(cur, file_ids: list[int]) -> pd.DataFrame:
    return _read_csv(cur, "staging/select_row_keys.sql", {"file_ids": list(file_ids)})


def _copy_keys(cur, keys: pd.DataFrame) -> None:
    _copy_frame(cur, "tmp_batch_key", keys, list(keys.columns))


def _stage_keys(cur, files: list[tuple[str, int, int]], max_rows: int, executor: ThreadPoolExecutor) -> int:
    """Type the NIK and family card of these files' rows (chunk by chunk) into ``tmp_batch_key``."""
    rows = 0
    groups = chunks_of(files, max_rows)
    pipe = _ChunkPipe(executor, cur, groups, _read_keys)
    try:
        for index in range(len(groups)):
            keys = typed_keys(pipe.rows(index))
            pipe.write(index, _copy_keys, keys)
            rows += len(keys)
        pipe.finish()
    finally:
        pipe.close()
    return rows


def _village_counts(frame: pd.DataFrame, evaluated: dict, totals: dict) -> None:
    """Add each rule's rows looked at and failed per village of ``frame`` to ``totals``."""
    codes, villages = pd.factorize(frame["kode_desa"])
    for rule_id, (considered, failed) in evaluated.items():
        looked = np.bincount(codes, weights=considered.to_numpy(dtype=bool), minlength=len(villages))
        bad = np.bincount(codes, weights=failed.to_numpy(dtype=bool), minlength=len(villages))
        for i, village in enumerate(villages):
            entry = totals.setdefault((village, rule_id), [0, 0])
            entry[0] += int(looked[i])
            entry[1] += int(bad[i])


def _replace_counts(cur, period: str, villages: list[str], rules, totals: dict) -> None:
    """Replace the per-village rule counts of these villages and rules (quality.rule_count_desa)."""
    from psycopg2.extras import execute_values

    cur.execute(
        "DELETE FROM quality.rule_count_desa WHERE periode = %s AND kode_desa = ANY(%s) AND rule_id = ANY(%s)",
        (period, list(villages), [r.rule_id for r in rules]),
    )
    execute_values(
        cur,
        "INSERT INTO quality.rule_count_desa (periode, kode_desa, rule_id, evaluated, failed) VALUES %s",
        [
            (period, village, rule_id, looked, bad)
            for (village, rule_id), (looked, bad) in sorted(totals.items())
        ],
        page_size=5000,
    )


def _check_villages(cur, period: str, period_start, run_id: int, villages: list[str]) -> int:
    """Run the village-level rules on these villages' figures, replace their flags and counts;
    return how many flags the period has."""
    cur.execute(
        db.sql_file("quality/village_figures.sql"),
        {"period": period_start, "periode": period, "villages": list(villages)},
    )
    columns = [d.name for d in cur.description]
    figures = pd.DataFrame(cur.fetchall(), columns=columns)
    for column in (
        "bagian_baris_ditolak",
        "rata_rata_layak_sebelumnya",
        "perubahan_relatif",
        "selisih_mutlak",
    ):
        figures[column] = pd.to_numeric(figures[column]).astype("float64")
    rules = village_rules()
    checks = run_village_checks(figures, period, rules=rules)
    # The same rules as masks, per village (kept per village so a run can give the period's totals);
    # they must name the villages Great Expectations flagged.
    evaluated = evaluate(figures, rules)
    ours = {
        (v, rule_id) for rule_id, (_, failed) in evaluated.items() for v in figures.loc[failed, "kode_desa"]
    }
    theirs = set(zip(checks.failures["kode_desa"], checks.failures["rule_id"]))
    if ours != theirs:
        raise RuntimeError(
            f"village rules: Great Expectations and verfak.rules.evaluate disagree on "
            f"{len(ours ^ theirs)} village flag(s); fix the evaluator before loading"
        )
    totals: dict = {}
    _village_counts(figures, evaluated, totals)
    _replace_counts(cur, period, villages, rules, totals)
    cur.execute(
        "DELETE FROM quality.village_flag WHERE periode = %s AND kode_desa = ANY(%s)",
        (period, list(villages)),
    )
    by_village = figures.set_index("kode_desa")
    cur.executemany(
        """INSERT INTO quality.village_flag (periode, kode_desa, rule_id, severity, message, figures, run_id)
           VALUES (%s, %s, %s, %s, %s, %s, %s)""",
        [
            (
                period,
                f.kode_desa,
                f.rule_id,
                f.severity,
                f.message,
                by_village.loc[str(f.kode_desa)].to_json(),
                run_id,
            )
            for f in checks.failures.itertuples()
        ],
    )
    cur.execute("SELECT count(*) FROM quality.village_flag WHERE periode = %s", (period,))
    return db.one(cur)[0]


def _period_totals(cur, period_start) -> tuple[int, int]:
    cur.execute(
        "SELECT count(*), count(*) FILTER (WHERE status_verifikasi = 'layak') FROM core.verifikasi WHERE period = %s",
        (period_start,),
    )
    return cur.fetchone()


def validate_and_load_period(
    period: str, dag_run_id: str | None = None, conn_id: str = db.WAREHOUSE_CONN_ID
) -> PeriodOutcome:
    """Validate the changed villages of one period (and those sharing a NIK with them) and load
    what passes into core: one batch, one transaction."""
    started = dt.datetime.now(dt.UTC)
    period_start, _ = period_bounds(period)
    max_rows = config.settings().load_chunk_rows
    conn = db.connect(conn_id)
    copier = ThreadPoolExecutor(max_workers=1, thread_name_prefix="verfak-copy")
    gx_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="verfak-gx")
    gx_thread.submit(import_great_expectations)  # first in the thread's queue: before the gate runs
    try:
        with db.clean_errors(), conn, conn.cursor() as cur:
            # One core load at a time (periods share people's histories); a second run waits for it.
            cur.execute("SELECT pg_advisory_xact_lock(hashtext('verfak.core_load'))")
            cur.execute(db.sql_file("staging/select_current_files.sql"), {"periode": period})
            current = {
                kode_desa: (file_id, rows, changed) for kode_desa, file_id, rows, changed in cur.fetchall()
            }
            changed = sorted(v for v, (_, _, is_new) in current.items() if is_new)
            if not changed:
                loaded, layak = _period_totals(cur, period_start)
                log.info("period %s: no village has a file waiting (another run took it)", period)
                return PeriodOutcome(period, 0, loaded, 0, 0, layak, 0, 0, None)
            cur.execute("SELECT kode_desa FROM ref.desa ORDER BY kode_desa")
            known = [row[0] for row in cur.fetchall()]

            # 1. The batch: the changed villages and the villages sharing a NIK with them.
            cur.execute(
                """CREATE TEMP TABLE tmp_batch_key (file_id bigint, source_row integer, kode_desa text, nik text,
                       no_kk text) ON COMMIT DROP"""
            )
            files = lambda villages: [(v, current[v][0], current[v][1]) for v in villages]
            _stage_keys(cur, files(changed), max_rows, copier)
            cur.execute(
                db.sql_file("staging/neighbour_villages.sql"), {"period": period_start, "villages": changed}
            )
            neighbours = [row[0] for row in cur.fetchall()]
            _stage_keys(cur, files(neighbours), max_rows, copier)
            batch = sorted(changed + neighbours)
            db.run_sql_file(cur, "staging/cross_village.sql", {"period": period_start, "villages": batch})
            groups = chunks_of(files(batch), max_rows)
            total_rows = sum(rows for _, _, rows in files(batch))
            log.info(
                "period %s: batch of %d village(s) with a new file (%s) and %d sharing a NIK with them (%s); "
                "about %d row(s) in %d chunk(s) of at most %d row(s) (VERFAK_LOAD_CHUNK_ROWS)",
                period,
                len(changed),
                _codes(changed),
                len(neighbours),
                _codes(neighbours) or "none",
                total_rows,
                len(groups),
                max_rows,
            )

            # 2. Type, check and stage the batch, chunk by chunk.
            cur.execute(
                "DELETE FROM staging.verifikasi WHERE period = %s AND kode_desa = ANY(%s)",
                (period_start, batch),
            )
            cur.execute(
                """CREATE TEMP TABLE tmp_gate_failure (file_id bigint, source_row integer, rule_id text,
                       severity text, column_name text, message text) ON COMMIT DROP"""
            )
            sample = GateSample(total_rows)
            counts: dict = {}
            validated = failed_rows = warned_rows = failures = 0
            pipe = _ChunkPipe(copier, cur, groups, _read_raw)
            try:
                for index in range(len(groups)):
                    raw = pipe.rows(index)
                    typed = with_period_counts(type_rows(raw, period), raw)
                    evaluated, failed, _ = check_rows(typed, known)
                    errors = failed[failed["severity"] == "error"].set_index(["file_id", "source_row"]).index
                    warnings = (
                        failed[failed["severity"] == "warning"].set_index(["file_id", "source_row"]).index
                    )
                    row_keys = pd.MultiIndex.from_frame(typed[["file_id", "source_row"]])
                    typed["has_error"] = row_keys.isin(errors)
                    typed["has_warning"] = row_keys.isin(warnings) | (raw["intake_warning"] == "t").to_numpy()
                    del raw
                    pipe.write(index, _copy_chunk, typed, failed)
                    _village_counts(typed, evaluated, counts)
                    validated += len(typed)
                    failed_rows += int(typed["has_error"].sum())
                    warned_rows += int(typed["has_warning"].sum())
                    failures += len(failed)
                    sample.add(typed, evaluated)
                    del typed, evaluated, failed
                pipe.finish()
            finally:
                pipe.close()
            log.info(
                "period %s: %d row(s) of %d village(s) checked against %d rules: %d failure(s), %d row(s) held out, "
                "%d with warnings",
                period,
                validated,
                len(batch),
                len(RULES),
                failures,
                failed_rows,
                warned_rows,
            )
            # Great Expectations checks the batch (or its sample) in a thread while PostgreSQL writes
            # the issues and loads core below (the load waits on the server, so the two use both
            # cores). Its verdict is taken before the village checks and before the commit: a
            # disagreement with the masks still rolls the whole batch back.
            label = "" if set(batch) == set(current) else f"-{len(batch)}-desa"
            gate = gx_thread.submit(sample.validate, period, known, label=label)

            # 3. Issues, core, village rules, counts: the batch's villages only.
            upsert_rules(cur)  # the whole registry (a rule changed since the last migrate is current)
            cur.execute(
                db.sql_file("quality/insert_validation_run.sql"),
                (
                    period,
                    dag_run_id,
                    started,
                    validated,
                    validated - failed_rows,
                    failed_rows,
                    failures == 0,
                    None,  # the Data Docs index, set once Great Expectations is done
                ),
            )
            run_id = db.one(cur)[0]
            db.run_sql_file(
                cur,
                "quality/record_gate_issues.sql",
                {"periode": period, "villages": batch, "run_id": run_id, **shorten_sql_params()},
            )
            _replace_counts(cur, period, batch, RULES, counts)
            db.run_sql_file(
                cur,
                "core/load_period.sql",
                {
                    "period": period_start,
                    "villages": batch,
                    "loaded_files": [current[v][0] for v in changed],
                },
            )
            gx_rows, docs_index = gate.result()  # raises what the gate raised: nothing is committed
            if docs_index:
                cur.execute(
                    "UPDATE quality.validation_run SET data_docs_index = %s WHERE run_id = %s",
                    (str(docs_index), run_id),
                )
            # Village rules: the batch's villages and those with no current file (a vanished submission).
            checked = sorted(set(batch) | (set(known) - set(current)))
            flags = _check_villages(cur, period, period_start, run_id, checked)
            cur.execute(
                db.sql_file("quality/insert_rule_result.sql"),
                (run_id, period),
            )  # the period's totals after this batch
            loaded, layak = _period_totals(cur, period_start)
    finally:
        copier.shutdown(wait=True)
        gx_thread.shutdown(wait=True)  # a failed load waits for the gate's files to be written
        conn.close()

    # Feedback: the batch's villages and those with no current file (told of a rejected file).
    villages_told = write_feedback(period, sorted(set(batch) | (set(known) - set(current))), conn_id=conn_id)
    outcome = PeriodOutcome(
        period,
        validated,
        loaded,
        failed_rows,
        warned_rows,
        layak,
        villages_told,
        flags,
        str(docs_index) if docs_index else None,
        len(changed),
        len(batch),
        len(groups),
    )
    log.info(
        "period %s loaded: batch of %d village(s) (%d with a new file): %d validated (Great Expectations on %d), "
        "%d quarantined, %d with warnings; the period now has %d in core (%d layak); feedback rewritten for the "
        "batch, %d village(s) of it with a file",
        period,
        len(batch),
        len(changed),
        validated,
        gx_rows,
        failed_rows,
        warned_rows,
        loaded,
        layak,
        villages_told,
    )
    return outcome

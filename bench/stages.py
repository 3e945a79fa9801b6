"""One benchmark stage in a process of its own: ``python -m bench.stages <stage> <result.json>``.

Run by ``bench.run`` (a fresh interpreter per stage, so each stage's peak memory is its own and
nothing is imported or cached by an earlier stage, like an Airflow task). The stage runs the DAG's
steps through ``verfak.pipeline`` (where the order is written, for the DAGs and ``tests/helpers.py``
too); the mapped steps (one per file in ingest, one per program in publish, with the marts refresh
as one more job beside them) run in a pool of ``--workers`` processes, like Airflow's
LocalExecutor running task instances side by side. Timings of the main steps inside a stage are
taken by wrapping the package's functions here (the package is not changed).

The stage's result (times, counts, rusage) is written as JSON to the given path.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import json
import os
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

EXPORT_DATE = dt.date(2024, 7, 1)
TIMINGS: dict[str, float] = defaultdict(float)
CALLS: dict[str, int] = defaultdict(int)


def _timed(owner, name: str, key: str | None = None, by_first_arg: bool = False) -> None:
    """Replace ``owner.name`` by a wrapper adding its wall time to ``TIMINGS[key]``.

    The package's internals change: a function that is no longer there is simply not timed.
    """
    original = getattr(owner, name, None)
    if not callable(original):
        print(f"bench: {getattr(owner, '__name__', owner)}.{name} not found: step not timed", file=sys.stderr)
        return
    key = key or name

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        label = f"{key}:{args[1] if name == 'run_sql_file' else args[0]}" if by_first_arg else key
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            TIMINGS[label] += time.perf_counter() - start
            CALLS[label] += 1

    setattr(owner, name, wrapper)


def _taken() -> dict[str, float]:
    taken = {k: round(v, 4) for k, v in TIMINGS.items()}
    TIMINGS.clear()
    return taken


def _map(function, items: list, workers: int, chunksize: int = 1) -> list:
    """``function`` over ``items`` in a pool of ``workers`` processes (forked, as LocalExecutor runs
    mapped task instances side by side), or in this process for one worker."""
    import multiprocessing

    if workers <= 1:
        return [function(item) for item in items]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return pool.map(function, items, chunksize=chunksize)


def _with_taken(function, item) -> tuple:
    """``function(item)`` and the step times it took in this process (a pool worker's)."""
    return function(item), _taken()


def _pool_mapper(workers: int, per_item: list[dict]):
    """The ``mapper`` of a verfak.pipeline run: a mapped step in the pool of ``workers``; each
    item's step times are appended to ``per_item``."""

    def mapper(function, items: list) -> list:
        results = _map(functools.partial(_with_taken, function), list(items), workers)
        per_item.extend(taken for _, taken in results)
        return [result for result, _ in results]

    return mapper


def _step_timer(steps: dict[str, float], labels: dict[str, str]):
    """The ``timer`` of a verfak.pipeline run: the wall time of each step named in ``labels``
    under its label in ``steps``; at the end of every step, what the wrappers timed in this
    process is moved into ``steps`` too (before a pool forks: its processes inherit TIMINGS)."""

    @contextlib.contextmanager
    def timer(step: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            if step in labels:
                steps[labels[step]] = steps.get(labels[step], 0.0) + time.perf_counter() - start
            steps.update(_taken())

    return timer


def _mib(kib: int) -> float:
    return round(kib / 1024, 1)


# --------------------------------------------------------------------------------------- ingest


def stage_ingest(workers: int) -> dict:
    from verfak import db, files, ingest
    from verfak.pipeline import Ingest

    _timed(files, "read_fd", "read once + sha256 (files.read_fd)")  # one read: hashed and parsed (issue #12)
    _timed(ingest, "read_submission", "read_submission (intake.py)")
    _timed(ingest, "_copy_rows", "copy_rows: CSV buffer + COPY raw rows")
    _timed(db, "copy_rows", "  of which COPY")

    steps: dict[str, float] = {}
    per_item: list[dict] = []
    start = time.perf_counter()
    _, totals = Ingest.run(
        mapper=_pool_mapper(workers, per_item),
        dag_run_id="bench",
        timer=_step_timer(
            steps,
            {
                "find_new_files": "discover",
                "ingest_file": "ingest_file (mapped, wall)",
                "finish": "finish (resolve_superseded, rejected files' feedback)",
            },
        ),
    )
    end = time.perf_counter()

    worker_seconds: dict[str, float] = defaultdict(float)
    per_file = []
    for taken in per_item:
        for key, seconds in taken.items():
            worker_seconds[key] += seconds
        per_file.append(sum(v for k, v in taken.items() if not k.startswith(" ")))
    counts = dict(totals)
    changed = counts.pop("superseded_changes")
    return {
        "seconds": end - start,
        "rows": counts["rows_read"],
        "steps": steps,
        "worker_seconds": {k: round(v, 3) for k, v in sorted(worker_seconds.items())},
        "workers": workers,
        "result": {
            **counts,
            "superseded_changed": changed,
            "slowest_file_seconds": round(max(per_file, default=0), 3),
        },
    }


# -------------------------------------------------------------------------------- validate_load


def _time_validate_load_steps() -> None:
    from verfak import db, load, quality

    _timed(load, "_stage_keys", "type the batch's NIK/KK keys (pass 1)")
    _timed(load, "_read_raw", "read raw rows (COPY TO + read_csv)")
    _timed(load, "type_rows", "type_rows (staging.py)")
    _timed(load, "check_rows", "rules as masks (rules.evaluate)")
    _timed(quality.GateSample, "validate", "Great Expectations on the batch or its sample")
    _timed(quality, "_context", "  of which GX context setup")
    _timed(load, "_copy_frame", "copy frames (staging + gate failures + keys)")
    _timed(db, "run_sql_file", "sql", by_first_arg=True)
    _timed(load, "_check_villages", "village rules (figures + Great Expectations)")
    _timed(load, "import_great_expectations", GX_IMPORT)
    _timed(load, "write_feedback", "write_feedback")


GX_IMPORT = "import great_expectations (in the gate's thread, beside the batch's queries)"


def stage_validate_load(workers: int) -> dict:
    from verfak.pipeline import ValidateLoad

    _time_validate_load_steps()

    start = time.perf_counter()
    # Great Expectations is imported by the task itself, in the gate's thread (counted in the stage)
    outcomes = ValidateLoad.run(dag_run_id="bench")
    end = time.perf_counter()
    steps = _taken()
    return {
        "seconds": end - start,
        "rows": sum(o["rows_validated"] for o in outcomes),
        "steps": steps,
        "result": {"periods": outcomes},
    }


# ----------------------------------------------------------------------------------- resubmit

RESUBMIT_TARGET_ROWS = 5000
RESUBMIT_MARK = " Blok R"


def _resubmission(cur, landing: Path, changed_rows: int) -> dict:
    """Write a village's corrected file: the comma CSV (contract header) of the latest period
    closest to ``RESUBMIT_TARGET_ROWS`` rows (the largest at small sizes), with the address of
    ``changed_rows`` rows spread over the file changed. Returns where and what (no personal data)."""
    import csv

    from verfak.columns import COLUMNS

    cur.execute(
        """SELECT kode_desa, file_id, path, rows_read FROM raw.current_submission_file
            WHERE periode = (SELECT max(periode) FROM raw.submission_file WHERE status = 'accepted')"""
    )
    candidates = []
    header = (",".join(COLUMNS) + "\n").encode()
    for kode_desa, file_id, path, rows in cur.fetchall():
        with open(landing / path, "rb") as fh:
            if path.endswith(".csv") and fh.readline().replace(b"\r\n", b"\n") == header:
                candidates.append((kode_desa, file_id, path, rows))
    kode_desa, file_id, path, rows = min(candidates, key=lambda c: (abs(c[3] - RESUBMIT_TARGET_ROWS), c[0]))
    source = landing / path
    with source.open(encoding="utf-8", newline="") as fh:
        records = list(csv.DictReader(fh))
    step = max(1, len(records) // changed_rows)
    changed = list(range(0, len(records), step))[:changed_rows]
    for i in changed:
        records[i]["alamat"] = (records[i]["alamat"] or "") + RESUBMIT_MARK
    target = source.with_name(source.stem + "_perbaikan.csv")
    with target.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(records)
    mtime = source.stat().st_mtime + 3600
    os.utime(target, (mtime, mtime))
    # rows of the old file that were in core among those changed: the new facts to expect
    cur.execute(
        "SELECT count(*) FROM core.verifikasi WHERE file_id = %s AND source_row = ANY(%s)",
        (file_id, [i + 2 for i in changed]),
    )
    expected = cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM core.verifikasi")
    return {
        "kode_desa": kode_desa,
        "rows": len(records),
        "rows_changed": len(changed),
        "relative": target.relative_to(landing).as_posix(),
        "expected_changed_in_core": expected,
        "core_rows_before": cur.fetchone()[0],
    }


def stage_resubmit(workers: int, changed_rows: int = 50) -> dict:
    """After the large load: one ~5,000-row village (the largest at small sizes) sends a corrected
    file with ``changed_rows`` rows changed. Timed from the start of its ingest, in this fresh
    process (imports included, as a task pays them), to its facts in core (the load's commit, when
    the feedback starts) and to its feedback file; verfak_ingest's then verfak_validate_load's
    steps (verfak.pipeline), as the two DAG runs would."""
    from verfak import config, db, load
    from verfak.pipeline import Ingest, ValidateLoad

    landing = config.landing_dir()
    with db.transaction() as cur:
        scenario = _resubmission(cur, landing, changed_rows)
    _time_validate_load_steps()
    committed: list[float] = []
    timed_feedback = load.write_feedback

    def feedback_after_commit(*args, **kwargs):
        committed.append(time.perf_counter())  # core is committed before the feedback is written
        return timed_feedback(*args, **kwargs)

    load.write_feedback = feedback_after_commit
    start = time.perf_counter()
    ingested_files, _ = Ingest.run(dag_run_id="bench")
    ingested = time.perf_counter()
    outcomes = ValidateLoad.run(dag_run_id="bench")
    end = time.perf_counter()
    # the corrected file is the one new file of the landing zone
    (outcome,) = [o for o in ingested_files if o["path"] == scenario["relative"]]
    assert len(ingested_files) == 1, f"{len(ingested_files)} new files, not 1"
    feedback = (
        config.export_dir() / "feedback" / scenario["relative"].split("/")[0] / f"{scenario['kode_desa']}.csv"
    )
    with db.transaction() as cur:
        cur.execute("SELECT count(*) FROM core.verifikasi")
        core_rows = cur.fetchone()[0]
        cur.execute(
            """SELECT count(*) FROM core.verifikasi v JOIN raw.submission_file f USING (file_id)
                WHERE f.path = %s AND v.alamat LIKE %s""",
            (scenario["relative"], "%" + RESUBMIT_MARK),
        )
        changed_in_core = cur.fetchone()[0]
    steps = {
        "ingest (find_new_files + ingest_file + finish)": ingested - start,
        **_taken(),
    }
    return {
        "seconds": end - start,
        "rows": scenario["rows"],
        "steps": steps,
        "result": {
            **{k: v for k, v in scenario.items() if k != "relative"},
            "ingest_status": outcome["status"],
            "seconds_to_core": round((committed[0] if committed else end) - start, 3),
            "seconds_to_feedback": round(end - start, 3),
            # the import runs in the gate's thread, beside the batch's first queries: what it
            # still adds is the wait for it (at most its own time)
            "seconds_to_feedback_without_imports": round(end - start - steps.get(GX_IMPORT, 0.0), 3),
            "feedback_file_written": feedback.exists(),
            "core_rows_after": core_rows,
            "changed_in_core": changed_in_core,
            "batches": outcomes,
        },
    }


# -------------------------------------------------------------------------------------- publish


#: The program whose export takes longest (cash aid: ~25 s at 1,000,000 rows, the two others ~3 s
#: each): the marts refresh is submitted to the pool right after it, so that with 2 workers the
#: marts run beside it, as the DAG's refresh_marts beside its mapped programs.
LONGEST_PROGRAM = "bantuan_tunai"


def stage_publish(workers: int) -> dict:
    """verfak_publish's steps (verfak.pipeline.Publish) through the exports (``finish``): the
    analyse step, then the marts refresh as one more job in the pool of the programs' exports; the
    alerts on unanswered referrals and the nightly report are not part of the benchmark."""
    from verfak import db, exports, publish
    from verfak.pipeline import Publish

    _timed(publish, "analyse_core_if_stale", "analyse core.verifikasi if stale")
    _timed(publish, "refresh_marts", "refresh_marts")
    _timed(db, "copy_query_to_csv", "select referrals (COPY TO)")
    _timed(exports, "_write_xlsx", "write referrals.xlsx")
    _timed(exports, "read_csv_table", "read the COPY CSV into Arrow")
    _timed(publish, "select_referrals", "select and record referrals (SQL)")
    _timed(publish, "write_export", "write_export (csv+parquet+xlsx+manifest)")

    steps: dict[str, float] = {}
    per_item: list[dict] = []
    start = time.perf_counter()
    done = Publish.run(
        EXPORT_DATE,
        mapper=_pool_mapper(workers, per_item),
        dag_run_id="bench",
        timer=_step_timer(
            steps,
            {
                "analyse_core": "analyse_core",
                "refresh_marts + publish_program": "refresh_marts + publish_program (mapped, wall)",
            },
        ),
        through="finish",
        longest=LONGEST_PROGRAM,
    )
    end = time.perf_counter()
    with db.transaction() as cur:
        cur.execute(
            "SELECT count(*) FROM core.verifikasi WHERE period = (SELECT max(period) FROM core.verifikasi)"
        )
        rows_in = cur.fetchone()[0]
    worker_seconds: dict[str, float] = defaultdict(float)
    for taken in per_item:
        for key, seconds in taken.items():
            worker_seconds[key] += seconds
    results = done["publish_program"]
    return {
        "seconds": end - start,
        "rows": rows_in,
        "steps": steps,
        "worker_seconds": {k: round(v, 3) for k, v in sorted(worker_seconds.items())},
        "workers": workers,
        "result": {
            "programs": {r["program"]: r.get("rows") for r in results},
            "rows_exported": sum(r.get("rows") or 0 for r in results),
        },
    }


# ------------------------------------------------------------------------------------- baseline


BASELINE_TABLE = "public.bench_copy_baseline"


def stage_baseline(workers: int, csv_path: Path, repeats: int) -> dict:
    """COPY of the same rows, as one CSV, into an UNLOGGED all-text table: the limit."""
    import psycopg2

    from verfak import db
    from verfak.columns import COLUMNS

    columns = ", ".join(f"{c} text" for c in COLUMNS)
    runs = []
    conn = psycopg2.connect(db.warehouse_dsn(), application_name="verfak-bench")
    try:
        for _ in range(repeats):
            with conn.cursor() as cur:
                cur.execute(f"DROP TABLE IF EXISTS {BASELINE_TABLE}")
                cur.execute(f"CREATE UNLOGGED TABLE {BASELINE_TABLE} ({columns})")
            conn.commit()
            start = time.perf_counter()
            with conn.cursor() as cur, open(csv_path, "rb") as fh:
                cur.copy_expert(
                    f"COPY {BASELINE_TABLE} FROM STDIN WITH (FORMAT csv, HEADER true)", fh, size=1 << 20
                )
                rows = cur.rowcount
            conn.commit()
            runs.append(time.perf_counter() - start)
        copy_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with conn.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {BASELINE_TABLE}")
        conn.commit()
    finally:
        conn.close()

    import pandas as pd

    start = time.perf_counter()
    frame = pd.read_csv(csv_path, dtype="str", keep_default_na=False)
    read_csv = time.perf_counter() - start
    del frame
    start = time.perf_counter()
    frame = pd.read_csv(csv_path, dtype="str", keep_default_na=False, engine="pyarrow")
    read_csv_pyarrow = time.perf_counter() - start
    del frame
    return {
        "seconds": min(runs),
        "rows": rows,
        "copy_runs": [round(r, 3) for r in runs],
        "csv_bytes": csv_path.stat().st_size,
        "copy_peak_rss_mib": _mib(copy_peak),  # the process's peak below includes pandas' read_csv
        "pandas_read_csv_seconds": round(read_csv, 3),
        "pandas_read_csv_pyarrow_seconds": round(read_csv_pyarrow, 3),
    }


# ------------------------------------------------------------------------------------- generate


def stage_generate(
    workers: int, rows: int, periods: int, bad_share: float, seed: int, csv_path: Path
) -> dict:
    from devdata.bench_data import BenchPlan, generate_bench_landing
    from verfak import config

    start = time.perf_counter()
    summary = generate_bench_landing(
        config.landing_dir(),
        BenchPlan(rows, periods, bad_share=bad_share, seed=seed),
        baseline_csv=csv_path,
        workers=workers,
    )
    return {"seconds": time.perf_counter() - start, "rows": summary.rows, "result": summary.as_dict()}


# ------------------------------------------------------------------------------------ dag parse


_PARSE_PROBE = """
import json, os, sys, tempfile, time
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
import importlib
from airflow.dag_processing.dagbag import DagBag
from airflow.utils.file import iter_airflow_imports
path, preload_taskflow = sys.argv[1], sys.argv[2] == "1"
with tempfile.TemporaryDirectory() as empty:
    DagBag(dag_folder=empty)  # the DagBag machinery itself is loaded in the dag-processor
for module in iter_airflow_imports(path):  # what the dag-processor pre-imports before forking a parser
    importlib.import_module(module)
taskflow = 0.0
if preload_taskflow:
    start = time.perf_counter()
    from airflow.sdk import dag, task  # Airflow's lazily loaded TaskFlow decorators
    taskflow = time.perf_counter() - start
start = time.perf_counter()
bag = DagBag(dag_folder=path)
seconds = time.perf_counter() - start
start = time.perf_counter()
DagBag(dag_folder=path)
warm = time.perf_counter() - start
heavy = [m for m in ("pandas", "great_expectations", "pyarrow", "openpyxl", "python_calamine") if m in sys.modules]
print(json.dumps({"seconds": seconds, "taskflow": taskflow, "warm": warm, "dags": sorted(bag.dag_ids),
                  "import_errors": sorted(bag.import_errors), "heavy": heavy}))
"""


def stage_dag_parse(workers: int, dag_folder: Path, repeats: int = 3) -> dict:
    """Each DAG file parsed by Airflow's DagBag in a fresh process, as a dag-processor child parses it.

    The process first loads what the dag-processor has loaded before it forks a parser: the DagBag
    machinery and the ``airflow.*`` modules the file imports (Airflow's ``parsing_pre_import_modules``).
    ``seconds`` (best of ``repeats``) is then the parse. It includes Airflow's lazy import of the
    TaskFlow decorators (``from airflow.sdk import dag, task``), which every TaskFlow DAG file pays;
    ``own_seconds`` is the parse with those already loaded (the DAG file and ``verfak.dag_support``),
    ``taskflow_seconds`` the decorators' import alone, ``warm_seconds`` a second parse in the same process.
    """
    import subprocess

    def probe(path: Path, preload: bool) -> dict:
        out = subprocess.run(
            [sys.executable, "-c", _PARSE_PROBE, str(path), "1" if preload else "0"],
            capture_output=True,
            text=True,
            check=True,
            env=os.environ,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    files = {}
    heavy: set[str] = set()
    for path in sorted(dag_folder.glob("*.py")):
        plain = [probe(path, False) for _ in range(repeats)]
        preloaded = [probe(path, True) for _ in range(repeats)]
        best = min(plain, key=lambda r: r["seconds"])
        own = min(preloaded, key=lambda r: r["seconds"])
        heavy.update(best["heavy"])
        files[path.name] = {
            "seconds": round(best["seconds"], 4),
            "runs": [round(r["seconds"], 4) for r in plain],
            "own_seconds": round(own["seconds"], 4),
            "taskflow_seconds": round(min(r["taskflow"] for r in preloaded), 4),
            "warm_seconds": round(best["warm"], 4),
            "dags": best["dags"],
            "import_errors": best["import_errors"],
        }
    seconds = max((f["seconds"] for f in files.values()), default=0.0)
    return {"seconds": seconds, "rows": 0, "files": files, "heavy_modules_imported": sorted(heavy)}


# ---------------------------------------------------------------------------------------- floor


FLOOR_RAW_TABLE = "public.bench_floor_raw"
FLOOR_CORE_TABLE = "public.bench_floor_core"


def _read_fastest(path_text: str) -> tuple[int, float]:
    """One submission file read once by the fastest reader for it, all cells as text: pyarrow's
    CSV reader (delimiter from the header line), python-calamine for a workbook. (rows, seconds)."""
    path = Path(path_text)
    start = time.perf_counter()
    if path.suffix.lower() == ".xlsx":
        import python_calamine

        workbook = python_calamine.CalamineWorkbook.from_path(path_text)
        rows = sum(len(workbook.get_sheet_by_name(name).to_python()) for name in workbook.sheet_names)
        workbook.close()
    else:
        import pyarrow as pa
        import pyarrow.csv as pa_csv

        with open(path, "rb") as fh:
            header = fh.readline().decode("utf-8-sig")
        delimiter = ";" if header.count(";") > header.count(",") else ","
        names = [n.strip() for n in header.rstrip("\r\n").split(delimiter)]
        table = pa_csv.read_csv(
            path,
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())),
        )
        rows = table.num_rows
    return rows, time.perf_counter() - start


def _copy_in(conn, table: str, path: Path, header: bool) -> float:
    start = time.perf_counter()
    with conn.cursor() as cur, open(path, "rb") as fh:
        cur.copy_expert(
            f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER {str(header).lower()})", fh, size=1 << 20
        )
    conn.commit()
    return time.perf_counter() - start


def stage_floor(workers: int, csv_path: Path) -> dict:
    """The same outputs as the cycle, each written once with nothing else (issue #15's floor):
    every landing file read once by the fastest reader (in the pool, like ingest), the raw rows
    COPYed into a plain table, the rows the cycle loaded into core COPYed into a table with core's
    primary key, and each program's exported rows written once as CSV, Parquet and XLSX (the
    XLSX by the export's own writer). Only those steps are timed; reading back what the cycle
    produced, to have the same rows, is not."""
    import json as json_module
    import tempfile

    import psycopg2
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    from verfak import config, db, exports
    from verfak.columns import COLUMNS

    landing = config.landing_dir()
    files = sorted(
        str(p) for p in landing.rglob("*") if p.is_file() and p.suffix.lower() in (".csv", ".xlsx")
    )
    start = time.perf_counter()
    reads = _map(_read_fastest, files, workers, chunksize=4)
    read_seconds = time.perf_counter() - start
    steps = {"read every file once (pyarrow CSV / calamine, pool)": read_seconds}

    conn = psycopg2.connect(db.warehouse_dsn(), application_name="verfak-bench")
    scratch = Path(tempfile.mkdtemp(prefix="floor-", dir=csv_path.parent))
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {FLOOR_RAW_TABLE}, {FLOOR_CORE_TABLE}")
            cur.execute(f"CREATE TABLE {FLOOR_RAW_TABLE} ({', '.join(f'{c} text' for c in COLUMNS)})")
            cur.execute(f"CREATE TABLE {FLOOR_CORE_TABLE} (LIKE core.verifikasi)")
            cur.execute(
                """SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord)
                     FROM pg_index i CROSS JOIN unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                    WHERE i.indrelid = 'core.verifikasi'::regclass AND i.indisprimary"""
            )
            (key,) = cur.fetchone()
            cur.execute(f"ALTER TABLE {FLOOR_CORE_TABLE} ADD PRIMARY KEY ({key})")
            core_csv = scratch / "core.csv"
            with open(core_csv, "wb") as fh:
                cur.copy_expert("COPY core.verifikasi TO STDOUT WITH (FORMAT csv)", fh)
        conn.commit()
        steps["COPY the raw rows"] = _copy_in(conn, FLOOR_RAW_TABLE, csv_path, header=True)
        steps["COPY the loaded rows (core's primary key)"] = _copy_in(
            conn, FLOOR_CORE_TABLE, core_csv, header=False
        )
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM " + FLOOR_CORE_TABLE)
            (core_rows,) = cur.fetchone()
            cur.execute(f"DROP TABLE {FLOOR_RAW_TABLE}, {FLOOR_CORE_TABLE}")
        conn.commit()

        arrow_types = {"text": pa.string(), "date": pa.date32(), "integer": pa.int64()}
        programs = {}
        for latest in sorted(config.export_dir().glob("*/LATEST")):
            folder = latest.parent / latest.read_text().strip()
            manifest = json_module.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            types = {c["name"]: c["type"] for c in manifest["columns"]}
            table = pa_csv.read_csv(
                folder / "referrals.csv",
                convert_options=pa_csv.ConvertOptions(
                    column_types={c: arrow_types[t] for c, t in types.items()},
                    null_values=[""],
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=False,
                ),
            )
            out = scratch / manifest["program"]
            out.mkdir()
            t0 = time.perf_counter()
            pa_csv.write_csv(table, out / "referrals.csv")
            t1 = time.perf_counter()
            pq.write_table(table, out / "referrals.parquet")
            t2 = time.perf_counter()
            exports._write_xlsx(table, types, out / "referrals.xlsx", manifest["program"])
            t3 = time.perf_counter()
            programs[manifest["program"]] = {
                "rows": table.num_rows,
                "csv": round(t1 - t0, 4),
                "parquet": round(t2 - t1, 4),
                "xlsx": round(t3 - t2, 4),
            }
    finally:
        conn.close()
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)
    for kind in ("csv", "parquet", "xlsx"):
        steps[f"write each program's {kind} once"] = sum(p[kind] for p in programs.values())
    return {
        "seconds": sum(steps.values()),
        "rows": sum(rows for rows, _ in reads),
        "files": len(files),
        "steps": steps,
        "workers": workers,
        "result": {
            "core_rows": core_rows,
            "programs": programs,
            "read_worker_seconds": round(sum(s for _, s in reads), 3),
        },
    }


STAGES = {
    "generate": stage_generate,
    "baseline": stage_baseline,
    "ingest": stage_ingest,
    "validate_load": stage_validate_load,
    "publish": stage_publish,
    "resubmit": stage_resubmit,
    "dag_parse": stage_dag_parse,
    "floor": stage_floor,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("stage", choices=sorted(STAGES))
    parser.add_argument("result", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rows", type=int)
    parser.add_argument("--periods", type=int, default=1)
    parser.add_argument("--bad-share", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--csv", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dag-folder", type=Path)
    parser.add_argument("--changed-rows", type=int, default=50)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the stage's main process here")
    args = parser.parse_args(argv)

    kwargs = {"workers": args.workers}
    if args.stage == "generate":
        kwargs.update(
            rows=args.rows, periods=args.periods, bad_share=args.bad_share, seed=args.seed, csv_path=args.csv
        )
    elif args.stage == "floor":
        kwargs.update(csv_path=args.csv)
    elif args.stage == "baseline":
        kwargs.update(csv_path=args.csv, repeats=args.repeats)
    elif args.stage == "resubmit":
        kwargs.update(changed_rows=args.changed_rows)
    elif args.stage == "dag_parse":
        kwargs.update(dag_folder=args.dag_folder, repeats=args.repeats)

    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        result = profiler.runcall(STAGES[args.stage], **kwargs)
        profiler.dump_stats(args.profile)
    else:
        result = STAGES[args.stage](**kwargs)
    result = {k: v for k, v in result.items() if not k.startswith("_")}
    result["seconds"] = round(result["seconds"], 4)
    result["steps"] = {k: round(v, 4) for k, v in result.get("steps", {}).items()}
    result["peak_rss_mib"] = _mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    result["peak_rss_children_mib"] = _mib(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    args.result.write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()

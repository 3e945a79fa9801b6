"""
### verfak_validate_load: the quality gate and the warehouse load

Runs when **verfak_ingest** registers new submissions (Asset `verfak_raw_submissions`). For each
period with a new current submission (one mapped task per period, one at a time), one **batch**:
the villages whose current file is new (a first file or a corrected one) and the villages whose
rows share a NIK with them. Only the batch's rows are typed into `staging.verifikasi`, in chunks
of villages (`VERFAK_LOAD_CHUNK_ROWS`), checked with the Great Expectations suite
(`plugins/verfak/rules.py`: every rule once, with its id, severity and Indonesian message; the
rules across villages against what staging holds for the others), each failed rule recorded per
row in `quality.row_issue`, the rows without errors loaded into `core` (facts, the history of the
batch's people, households) in the same transaction, and the batch villages' feedback files
rewritten (`$VERFAK_EXPORT_DIR/feedback/<YYYY-MM>/<kode_desa>.csv`). A failed rule never fails
the run; an error in the pipeline does. Updates `verfak_core_verifikasi`, which starts
**verfak_publish**.

*Owner*: Dinsos data team. *Rerun*: clear the run; a batch is one transaction and its files are
marked loaded by its commit, so a rerun loads the same batch and leaves the warehouse as it was. Data Docs: `$VERFAK_REPORT_DIR/data_docs/index.html`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task
from airflow.sdk.exceptions import AirflowSkipException

from verfak.dag_support import CORE_VERIFIKASI, DEFAULT_ARGS, RAW_SUBMISSIONS


@dag(
    dag_id="verfak_validate_load",
    schedule=[RAW_SUBMISSIONS],
    start_date=pendulum.datetime(2024, 5, 1, tz="Asia/Jakarta"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["verfak", "quality", "load"],
)
def verfak_validate_load():
    # What each task calls, in this order: verfak.pipeline.ValidateLoad.
    @task
    def find_pending_periods() -> list[str]:
        from verfak.pipeline import ValidateLoad

        return ValidateLoad.find_pending_periods()

    @task(map_index_template="{{ period }}", max_active_tis_per_dagrun=1)
    def validate_and_load(period: str, run_id: str | None = None) -> list[dict]:
        from verfak.pipeline import ValidateLoad

        return ValidateLoad.validate_and_load(period, dag_run_id=run_id)

    @task(trigger_rule="none_failed", outlets=[CORE_VERIFIKASI])
    def finish(outcomes) -> list[dict]:
        from verfak.pipeline import ValidateLoad

        outcomes = ValidateLoad.finish(outcomes)  # each period's outcome logged
        if not outcomes:
            raise AirflowSkipException("no period to load")
        return outcomes

    finish(validate_and_load.expand(period=find_pending_periods()))


verfak_validate_load()

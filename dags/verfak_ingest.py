"""
### verfak_ingest: village submissions from the landing zone into `raw`

Every 30 minutes, finds files in `$VERFAK_LANDING_DIR/<YYYY-MM>/<kode_desa>/` that are new or
changed, and for **each file** (one mapped task per file, named by its path):
registers it by SHA-256 (the same bytes again are skipped), reads it leniently (CSV or Excel),
keeps every row as sent in `raw.submission_row` with its spreadsheet row number, and records
rows that can't be taken (an ID typed as a number) in `quality.row_issue`. A file that can't be
read at all is **kept and registered as rejected** with the reason; the run goes on.
`finish` marks files superseded by a later file of the same village and period, tells villages
whose file was rejected (feedback file), and updates the `verfak_raw_submissions` Asset, which
starts **verfak_validate_load**.

*Owner*: Dinsos data team. *Rerun*: clear the run (safe: files are registered by checksum).
Code: `plugins/verfak/pipeline.py` (the steps), `plugins/verfak/ingest.py`, `plugins/verfak/intake.py`. Docs: `docs/submissions.md`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task
from airflow.sdk.exceptions import AirflowSkipException

from verfak.dag_support import DEFAULT_ARGS, RAW_SUBMISSIONS


@dag(
    dag_id="verfak_ingest",
    schedule="*/30 * * * *",
    start_date=pendulum.datetime(2024, 5, 1, tz="Asia/Jakarta"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["verfak", "ingest"],
)
def verfak_ingest():
    # What each task calls, in this order: verfak.pipeline.Ingest.
    @task
    def find_new_files() -> list[str]:
        from verfak.pipeline import Ingest

        return Ingest.find_new_files()

    @task(map_index_template="{{ relative }}")
    def ingest_file(relative: str, run_id: str | None = None) -> dict:
        from verfak.pipeline import Ingest

        return Ingest.ingest_file(relative, dag_run_id=run_id)

    @task(trigger_rule="all_done", outlets=[RAW_SUBMISSIONS])
    def finish(outcomes) -> dict:
        from verfak.pipeline import Ingest

        totals = Ingest.finish(outcomes)
        if totals["accepted"] == 0 and totals["superseded_changes"] == 0:
            raise AirflowSkipException("no new submission: nothing for validate-and-load")
        return totals

    finish(ingest_file.expand(relative=find_new_files()))


verfak_ingest()

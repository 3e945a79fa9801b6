"""
### verfak_tindak_lanjut: what the agencies report back about their referrals

Every 30 minutes, finds return files in `$VERFAK_LANDING_DIR/tindak_lanjut/<program>/<YYYY-MM>/`
(the filled `tindak_lanjut.xlsx` of an export, or any CSV/XLSX with its columns; one or many per
month) that are new or changed, and for **each file** (one mapped task per file): registers it by
SHA-256, reads it with the same lenient reader as village files, keeps every row as sent in
`raw.return_row`; a file that can't be read is **kept and registered as rejected**.
`check_outcomes` then checks, per program, the rows of the changed months and of every later
month (`verfak.rules.OUTCOME_RULES` in Great Expectations and as masks: referral known and of
this program, NIK, status, legal move, date, amount), records the rows that pass as dated events
in `publish.referral_outcome`, and writes the agency's feedback
`$VERFAK_EXPORT_DIR/tindak_lanjut_umpan_balik/<program>/<YYYY-MM>.csv|.xlsx`. It updates the
`verfak_referral_outcomes` Asset, which starts **verfak_publish** (exports show the status,
program rules use it).

A DAG of its own rather than a branch of verfak_ingest: other senders (the agencies, not the
villages), another registry and other rules; a broken return file never holds up the villages'
load, and each side is rerun on its own.

*Owner*: Dinsos data team. *Rerun*: clear the run (safe: files are registered by checksum and a
program's months are checked again as a whole). Agencies' guide: `docs/tindak_lanjut.md`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task
from airflow.sdk.exceptions import AirflowSkipException

from verfak.dag_support import DEFAULT_ARGS, REFERRAL_OUTCOMES


@dag(
    dag_id="verfak_tindak_lanjut",
    schedule="*/30 * * * *",
    start_date=pendulum.datetime(2024, 5, 1, tz="Asia/Jakarta"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["verfak", "tindak_lanjut"],
)
def verfak_tindak_lanjut():
    # What each task calls, in this order: verfak.pipeline.TindakLanjut.
    @task
    def find_return_files() -> list[str]:
        from verfak.pipeline import TindakLanjut

        return TindakLanjut.find_return_files()

    @task(map_index_template="{{ relative }}")
    def ingest_return_file(relative: str, run_id: str | None = None) -> dict:
        from verfak.pipeline import TindakLanjut

        return TindakLanjut.ingest_return_file(relative, dag_run_id=run_id)

    @task(trigger_rule="all_done")
    def register(outcomes) -> dict:
        from verfak.pipeline import TindakLanjut

        return TindakLanjut.register(outcomes)

    @task(outlets=[REFERRAL_OUTCOMES])
    def check_outcomes(totals: dict) -> list[dict]:
        from verfak.pipeline import TindakLanjut

        checked = TindakLanjut.check_outcomes()
        if not checked:
            raise AirflowSkipException("no new return file: nothing to check")
        return checked

    check_outcomes(register(ingest_return_file.expand(relative=find_return_files())))


verfak_tindak_lanjut()

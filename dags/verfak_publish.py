"""
### verfak_publish: marts and the nightly referral exports for the agencies

Runs every night at 02:00 WIB, whenever **verfak_validate_load** loads a period (Asset
`verfak_core_verifikasi`) and whenever **verfak_tindak_lanjut** records agencies' outcomes
(Asset `verfak_referral_outcomes`: the exports show each referral's `status_tindak_lanjut`
and the program rules rank by outcomes). First `analyse_core` brings the planner statistics of
`core.verifikasi` up to date if the load left them stale and names the programs; then, side by
side (neither reads what the other writes), `refresh_marts` refreshes the marts (verified people
per period, kecamatan and desa; people's transitions) and, for **each program** in
`include/programs.yaml` (one mapped task per program), `publish_program` selects the
referrals of the latest verified period by the program's rule, and writes
`$VERFAK_EXPORT_DIR/<program>/<YYYY-MM-DD>/` (`referrals.csv`, `.parquet`, `.xlsx`,
`manifest.json`, and `tindak_lanjut.xlsx`: the return file the agency fills in), published
atomically, then `LATEST`. Old exports are removed after
`VERFAK_EXPORT_RETENTION_DAYS` (default 30). Last, after both the marts and the programs
(`finish`), the **nightly report**
(`$VERFAK_REPORT_DIR/runs/<date>/index.html` and `latest/index.html`): the period's numbers, the
verified trend per kecamatan, the villages' completeness (cut-off day `VERFAK_CUTOFF_DAY`,
default 17), the rules that failed most, the referral outcomes (funnel per program, referrals
unanswered past `response_days` per agency and village), the exports and the alerts. Before it,
`alert_unanswered` raises **one alert per agency per night** with referrals unanswered past its
program's `response_days` (kind `referral_unanswered`; a rerun the same night raises none).

*Deadline*: the nightly run must finish by 06:00 WIB (`VERFAK_PUBLISH_DEADLINE`); if not, an
alert (`ops.alert`, log, e-mail/webhook when configured). See docs/operations.md.

*Owner*: Dinsos data team. *Rerun*: clear the run; the same day's export is replaced as a whole.
Check an export: `python -m verfak verify-export <folder>`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, dag, task

from verfak.dag_support import (
    CORE_VERIFIKASI,
    DEFAULT_ARGS,
    REFERRAL_EXPORTS,
    REFERRAL_OUTCOMES,
    publish_deadline,
    run_date,
    run_deadline,
)


@dag(
    dag_id="verfak_publish",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 2 * * *", timezone="Asia/Jakarta"),
        assets=(CORE_VERIFIKASI | REFERRAL_OUTCOMES),
    ),
    deadline=publish_deadline(starts_at="02:00"),  # the cron's time: finish by 06:00 WIB
    start_date=pendulum.datetime(2024, 5, 1, tz="Asia/Jakarta"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    doc_md=__doc__,
    tags=["verfak", "publish", "exports"],
)
def verfak_publish():
    # What each task calls, and what it waits for: verfak.pipeline.Publish (STEPS, AFTER).
    @task
    def analyse_core() -> list[str]:
        from verfak.pipeline import Publish

        return Publish.analyse_core()

    @task
    def refresh_marts() -> None:
        from verfak.pipeline import Publish

        Publish.refresh_marts()

    @task(map_index_template="{{ program }}")
    def publish_program(program: str, run_id: str | None = None) -> dict:
        from airflow.sdk import get_current_context

        from verfak.pipeline import Publish

        return Publish.publish_program(program, run_date(get_current_context()), dag_run_id=run_id)

    @task(outlets=[REFERRAL_EXPORTS])
    def finish(results) -> list[dict]:
        from verfak.pipeline import Publish

        return Publish.finish(results)

    @task
    def nightly_report(exports: list[dict], run_id: str | None = None) -> dict:
        from airflow.sdk import get_current_context

        from verfak.pipeline import Publish

        context = get_current_context()
        return Publish.nightly_report(run_date(context), dag_run_id=run_id, deadline_at=run_deadline(context))

    @task
    def alert_unanswered(exports: list[dict], run_id: str | None = None) -> list[dict]:
        """One alert per agency per night with referrals unanswered past response_days (counts only)."""
        from airflow.sdk import get_current_context

        from verfak.pipeline import Publish

        return Publish.alert_unanswered(run_date(get_current_context()), dag_run_id=run_id)

    programs = analyse_core()
    marts = refresh_marts()
    programs >> marts  # beside the programs: no program reads a mart
    alerts = alert_unanswered(finish(publish_program.expand(program=programs)))
    marts >> alerts  # the alerts and the report read the marts
    nightly_report(alerts)


verfak_publish()

"""The pipeline's order, written once: per DAG, the package functions its tasks call, in which
order and with which arguments.

One class per DAG. ``STEPS`` are the DAG's task ids in the order they run; each step is a static
method of the same name, and is what that task calls. ``run`` runs the steps in that order in
this process, as one DAG run would; it is what the tests (``tests/helpers.py``) and the benchmark
(``bench/stages.py``) use. The DAG files (``dags/*.py``) keep what only Airflow does: schedules,
Assets, the mapping of a step over files, periods or programs, trigger rules, skips, retries and
the run's date and deadline. tests/dags/test_dag_integrity.py checks that each DAG's tasks are
its class's ``STEPS`` in the same order.

``run`` takes:

- ``mapper``: how a mapped step (one per file, per program) runs over its items: in this process by
  default; the benchmark passes a pool of processes, as Airflow runs mapped task instances side
  by side. validate-and-load's periods always run one after the other (the DAG maps them with
  ``max_active_tis_per_dagrun=1``).
- ``timer``: a context manager factory called with each step's name around the step (the
  benchmark's wall times); none by default.
- ``dag_run_id``: what the DAG passes as its run id (recorded with the files, runs and alerts).
- ``landing`` (ingest, tindak lanjut): the landing zone; ``VERFAK_LANDING_DIR`` when not given,
  as in the DAGs.

Kept light: the package modules are imported inside the steps, so importing this module (a DAG
task does, at run time) costs nothing.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import datetime as dt
    from pathlib import Path

Mapper = Callable[[Callable[[Any], Any], list], list]
Timer = Callable[[str], contextlib.AbstractContextManager]


def in_process(function: Callable[[Any], Any], items: Iterable) -> list:
    """A mapped step over its items, one after the other in this process."""
    return [function(item) for item in items]


def untimed(_step: str) -> contextlib.AbstractContextManager:
    return contextlib.nullcontext()


def _present(results) -> list:
    """The results of a mapped step's instances that ran (a failed or skipped one gives None)."""
    return [r for r in (results or []) if r]


class Ingest:
    """verfak_ingest: village files from the landing zone into ``raw`` (one mapped task per file)."""

    DAG_ID: ClassVar[str] = "verfak_ingest"
    STEPS: ClassVar[tuple[str, ...]] = ("find_new_files", "ingest_file", "finish")

    @staticmethod
    def find_new_files(landing: Path | None = None) -> list[str]:
        from verfak import config, ingest

        return ingest.discover(landing or config.landing_dir())

    @staticmethod
    def ingest_file(relative: str, dag_run_id: str | None = None, landing: Path | None = None) -> dict:
        from verfak import config, ingest

        return ingest.ingest_file(relative, landing or config.landing_dir(), dag_run_id=dag_run_id).as_dict()

    @staticmethod
    def finish(outcomes) -> dict:
        """Supersession, feedback for rejected files, the run's totals (``superseded_changes`` too)."""
        from verfak import ingest

        return ingest.finish(_present(outcomes))

    @classmethod
    def run(
        cls,
        mapper: Mapper = in_process,
        dag_run_id: str | None = None,
        timer: Timer = untimed,
        landing: Path | None = None,
    ) -> tuple[list[dict], dict]:
        """(each file's outcome, the run's totals)."""
        with timer("find_new_files"):
            files = cls.find_new_files(landing)
        with timer("ingest_file"):
            outcomes = mapper(
                functools.partial(cls.ingest_file, dag_run_id=dag_run_id, landing=landing), files
            )
        with timer("finish"):
            totals = cls.finish(outcomes)
        return outcomes, totals


class ValidateLoad:
    """verfak_validate_load: per period with a new current file, one batch validated and loaded."""

    DAG_ID: ClassVar[str] = "verfak_validate_load"
    STEPS: ClassVar[tuple[str, ...]] = ("find_pending_periods", "validate_and_load", "finish")

    @staticmethod
    def find_pending_periods() -> list[str]:
        from verfak import load

        return load.pending_periods()

    @staticmethod
    def validate_and_load(period: str, dag_run_id: str | None = None) -> list[dict]:
        """Load ``period``, after every earlier period still pending, oldest first: a period's
        village checks (the layak jump) compare it with the earlier periods in core, and Airflow
        does not promise to run the mapped periods in order (``airflow dags test`` ran 2024-06
        before 2024-05, and 2024-06's jump checks found no history). The outcome of each period
        this call loaded; the task of an earlier period then finds it loaded (nothing to do)."""
        from verfak import load

        periods = [p for p in load.pending_periods() if p < period] + [period]
        return [load.validate_and_load_period(p, dag_run_id=dag_run_id).as_dict() for p in periods]

    @staticmethod
    def finish(outcomes) -> list[dict]:
        """Each period's outcome, oldest first, logged (counts only). A period loaded by the task of
        a later one appears twice (its own task found nothing to do): the outcome with work counts."""
        by_period: dict[str, dict] = {}
        for result in _present(outcomes):
            for o in result if isinstance(result, list) else [result]:
                kept = by_period.get(o["period"])
                if kept is None or o["rows_validated"] > kept["rows_validated"]:
                    by_period[o["period"]] = o
        outcomes = [by_period[p] for p in sorted(by_period)]
        for o in outcomes:
            logging.getLogger("verfak.load").info(
                "period %(period)s: batch of %(villages_touched)d village(s) (%(villages_changed)d with a new file), "
                "%(rows_validated)d row(s) checked, %(rows_quarantined)d quarantined; the period has %(rows_loaded)d "
                "in core (%(layak)d layak)",
                o,
            )
        return outcomes

    @classmethod
    def run(cls, dag_run_id: str | None = None, timer: Timer = untimed) -> list[dict]:
        """Each period's outcome. The periods run one after the other (they share people's histories)."""
        with timer("find_pending_periods"):
            periods = cls.find_pending_periods()
        with timer("validate_and_load"):
            outcomes = [cls.validate_and_load(p, dag_run_id=dag_run_id) for p in periods]
        with timer("finish"):
            return cls.finish(outcomes)


class Publish:
    """verfak_publish: marts, each program's export (one mapped task per program), the alerts on
    unanswered referrals, the nightly report."""

    DAG_ID: ClassVar[str] = "verfak_publish"
    STEPS: ClassVar[tuple[str, ...]] = (
        "refresh_marts",
        "publish_program",
        "finish",
        "alert_unanswered",
        "nightly_report",
    )

    @staticmethod
    def refresh_marts() -> list[str]:
        """Refresh the marts; the programs to publish, by name."""
        from verfak import publish
        from verfak.programs import load_programs

        publish.refresh_marts()
        return sorted(load_programs())

    @staticmethod
    def publish_program(program: str, run_date: dt.date, dag_run_id: str | None = None) -> dict:
        from verfak import publish

        return publish.publish_program(program, run_date, dag_run_id=dag_run_id)

    @staticmethod
    def finish(results) -> list[dict]:
        return _present(results)

    @staticmethod
    def alert_unanswered(run_date: dt.date, dag_run_id: str | None = None) -> list[dict]:
        """One alert per agency per night with referrals unanswered past response_days (counts only)."""
        from verfak import outcome_report

        return outcome_report.alert_unanswered(run_date, run_id=dag_run_id)

    @staticmethod
    def nightly_report(
        run_date: dt.date, dag_run_id: str | None = None, deadline_at: dt.datetime | None = None
    ) -> dict:
        from verfak import report

        return report.write_report(run_date, dag_run_id=dag_run_id, deadline_at=deadline_at)

    @classmethod
    def run(
        cls,
        run_date: dt.date,
        mapper: Mapper = in_process,
        dag_run_id: str | None = None,
        timer: Timer = untimed,
        through: str = "nightly_report",
    ) -> dict[str, Any]:
        """The results of the steps run, by step name (``publish_program``: each program's,
        ``finish``: the exports). ``through`` names the last step to run: the tests and the
        benchmark stop at ``finish`` (the exports), as they check or time the report on their own."""
        last = cls.STEPS.index(through)
        done: dict[str, Any] = {}
        with timer("refresh_marts"):
            done["refresh_marts"] = programs = cls.refresh_marts()
        if last >= 1:
            with timer("publish_program"):
                done["publish_program"] = mapper(
                    functools.partial(cls.publish_program, run_date=run_date, dag_run_id=dag_run_id),
                    programs,
                )
        if last >= 2:
            with timer("finish"):
                done["finish"] = cls.finish(done["publish_program"])
        if last >= 3:
            with timer("alert_unanswered"):
                done["alert_unanswered"] = cls.alert_unanswered(run_date, dag_run_id=dag_run_id)
        if last >= 4:
            with timer("nightly_report"):
                done["nightly_report"] = cls.nightly_report(run_date, dag_run_id=dag_run_id)
        return done


class TindakLanjut:
    """verfak_tindak_lanjut: the agencies' return files into ``raw`` (one mapped task per file),
    then their rows checked and recorded as outcomes."""

    DAG_ID: ClassVar[str] = "verfak_tindak_lanjut"
    STEPS: ClassVar[tuple[str, ...]] = (
        "find_return_files",
        "ingest_return_file",
        "register",
        "check_outcomes",
    )

    @staticmethod
    def find_return_files(landing: Path | None = None) -> list[str]:
        from verfak import config, tindak_lanjut

        return tindak_lanjut.discover(landing or config.landing_dir())

    @staticmethod
    def ingest_return_file(relative: str, dag_run_id: str | None = None, landing: Path | None = None) -> dict:
        from verfak import config, tindak_lanjut

        return tindak_lanjut.ingest_file(
            relative, landing or config.landing_dir(), dag_run_id=dag_run_id
        ).as_dict()

    @staticmethod
    def register(outcomes) -> dict:
        from verfak import tindak_lanjut

        return tindak_lanjut.finish(_present(outcomes))

    @staticmethod
    def check_outcomes(today: dt.date | None = None) -> list[dict]:
        """The programs with a new or replaced return file checked (as of ``today``: the DAG's
        is the day it runs)."""
        from verfak import tindak_lanjut

        return tindak_lanjut.check_pending(today=today)

    @classmethod
    def run(
        cls,
        mapper: Mapper = in_process,
        dag_run_id: str | None = None,
        timer: Timer = untimed,
        landing: Path | None = None,
        today: dt.date | None = None,
    ) -> tuple[list[dict], dict, list[dict]]:
        """(each file's outcome, the run's totals, the programs' checked months)."""
        with timer("find_return_files"):
            files = cls.find_return_files(landing)
        with timer("ingest_return_file"):
            outcomes = mapper(
                functools.partial(cls.ingest_return_file, dag_run_id=dag_run_id, landing=landing), files
            )
        with timer("register"):
            totals = cls.register(outcomes)
        with timer("check_outcomes"):
            checked = cls.check_outcomes(today)
        return outcomes, totals, checked


#: Every DAG's pipeline, by DAG id.
PIPELINES: dict[str, type] = {p.DAG_ID: p for p in (Ingest, ValidateLoad, Publish, TindakLanjut)}

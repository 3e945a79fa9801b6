"""The pipeline's order, written once: per DAG, the package functions its tasks call, in which
order and with which arguments.

One class per DAG. ``STEPS`` are the DAG's task ids in the order they run; each step is a static
method of the same name, and is what that task calls. ``run`` runs the steps in that order in
this process, as one DAG run would; it is what the tests (``tests/helpers.py``) and the benchmark
(``bench/stages.py``) use. The DAG files (``dags/*.py``) keep what only Airflow does: schedules,
Assets, the mapping of a step over files, periods or programs, trigger rules, skips, retries and
the run's date and deadline. Each step follows the step before it, unless the class says otherwise
in ``AFTER`` (each step's upstream steps; ``upstream`` gives them for every class):
verfak_publish runs its marts refresh beside the programs. tests/dags/test_dag_integrity.py
checks that each DAG's tasks are its class's ``STEPS`` with exactly these dependencies.

``run`` takes:

- ``mapper``: how a mapped step (one per file, per program) runs over its items: in this process by
  default; the benchmark passes a pool of processes, as Airflow runs mapped task instances side
  by side (publish: the marts refresh is one more item beside the programs). validate-and-load's
  periods always run one after the other (the DAG maps them with ``max_active_tis_per_dagrun=1``).
- ``timer``: a context manager factory called with each step's name around the step (the
  benchmark's wall times; steps run side by side are timed together, their names joined by
  `` + ``); none by default.
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
    """verfak_publish: core's statistics, then the marts beside each program's export (one mapped
    task per program), the alerts on unanswered referrals, the nightly report."""

    DAG_ID: ClassVar[str] = "verfak_publish"
    STEPS: ClassVar[tuple[str, ...]] = (
        "analyse_core",
        "refresh_marts",
        "publish_program",
        "finish",
        "alert_unanswered",
        "nightly_report",
    )
    #: The steps each step waits for (its upstream tasks in the DAG), as it is not a chain: the marts
    #: refresh and the programs both need core's statistics and nothing of each other (no program's
    #: selection or export reads a mart), so they run side by side (the marts take 4.2 s at 1,000,000
    #: rows, cash aid ~25 s, the two other programs ~3 s each); the alerts and the report read the
    #: marts and the referrals, so they wait for both.
    AFTER: ClassVar[dict[str, tuple[str, ...]]] = {
        "analyse_core": (),
        "refresh_marts": ("analyse_core",),
        "publish_program": ("analyse_core",),
        "finish": ("publish_program",),
        "alert_unanswered": ("refresh_marts", "finish"),
        "nightly_report": ("alert_unanswered",),
    }

    @staticmethod
    def analyse_core() -> list[str]:
        """ANALYZE ``core.verifikasi`` if its statistics are stale (the marts and every program's
        selection read it: this one step analyses, before both); the programs to publish, by name."""
        from verfak import publish
        from verfak.programs import load_programs

        publish.analyse_core_if_stale()
        return sorted(load_programs())

    @staticmethod
    def refresh_marts() -> None:
        from verfak import publish

        publish.refresh_marts()

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
    def _beside(cls, job: tuple[str, str | None], run_date: dt.date, dag_run_id: str | None):
        """One item of the steps that run side by side: the marts refresh or one program's export."""
        _step, program = job
        if program is None:
            return cls.refresh_marts()
        return cls.publish_program(program, run_date, dag_run_id=dag_run_id)

    @classmethod
    def run(
        cls,
        run_date: dt.date,
        mapper: Mapper = in_process,
        dag_run_id: str | None = None,
        timer: Timer = untimed,
        through: str = "nightly_report",
        longest: str | None = None,
    ) -> dict[str, Any]:
        """The results of the steps run, by step name (``publish_program``: each program's,
        ``finish``: the exports). ``through`` names the last step to run: the tests and the
        benchmark stop at ``finish`` (the exports), as they check or time the report on their own.

        ``refresh_marts`` and ``publish_program`` run side by side, as in the DAG: the marts
        refresh is one more item of the mapped step (timed together, as ``refresh_marts +
        publish_program``), right after the program named ``longest`` (the first when not given
        or not a program), so that in a pool of two processes it runs beside that program."""
        last = cls.STEPS.index(through)
        done: dict[str, Any] = {}
        with timer("analyse_core"):
            done["analyse_core"] = programs = cls.analyse_core()
        if last < cls.STEPS.index("refresh_marts"):
            return done
        beside = [step for step in ("refresh_marts", "publish_program") if cls.STEPS.index(step) <= last]
        jobs: list[tuple[str, str | None]] = [("refresh_marts", None)]
        if "publish_program" in beside:
            first = [longest] if longest in programs else programs[:1]
            jobs = [
                *(("publish_program", p) for p in first),
                *jobs,
                *(("publish_program", p) for p in programs if p not in first),
            ]
        with timer(" + ".join(beside)):
            results = mapper(functools.partial(cls._beside, run_date=run_date, dag_run_id=dag_run_id), jobs)
        done["refresh_marts"] = None
        if "publish_program" in beside:
            done["publish_program"] = [r for (step, _), r in zip(jobs, results) if step == "publish_program"]
        if last >= cls.STEPS.index("finish"):
            with timer("finish"):
                done["finish"] = cls.finish(done["publish_program"])
        if last >= cls.STEPS.index("alert_unanswered"):
            with timer("alert_unanswered"):
                done["alert_unanswered"] = cls.alert_unanswered(run_date, dag_run_id=dag_run_id)
        if last >= cls.STEPS.index("nightly_report"):
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


def upstream(pipeline: Any) -> dict[str, set[str]]:
    """The steps each step of ``pipeline`` waits for: its ``AFTER`` when it has one, else the step
    before it in ``STEPS`` (a chain)."""
    after = getattr(pipeline, "AFTER", None)
    if after is not None:
        return {step: set(after[step]) for step in pipeline.STEPS}
    return {step: set(pipeline.STEPS[i - 1 : i]) for i, step in enumerate(pipeline.STEPS)}


#: Every DAG's pipeline, by DAG id.
PIPELINES: dict[str, type] = {p.DAG_ID: p for p in (Ingest, ValidateLoad, Publish, TindakLanjut)}

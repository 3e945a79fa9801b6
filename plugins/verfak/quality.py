"""Stage 2b, the quality gate: run the suite of ``verfak.rules`` on a period's typed rows.

Every rule is applied to every row by ``verfak.rules.evaluate`` (the rules' own declarations as
pandas masks: under a second for a million rows) and the same suite runs in Great Expectations on
the same rows, through a file-backed context in ``<reports>/gx`` so every validation result is kept
and the Data Docs site (``<reports>/data_docs/index.html``) shows the suite and the history of runs.
The two must agree row for row (which rows each rule looked at, which failed); if they ever don't,
the gate stops with the rule's name rather than load anything.

A batch larger than ``VERFAK_GX_MAX_ROWS`` (default 100,000; Great Expectations takes ~21 s per
million rows for this suite) is validated in Great Expectations on a sample of about that size,
gathered chunk by chunk (``GateSample``: each chunk's flagged rows, up to half of its share, and a
seeded draw of the others); the run's name in the Data Docs says so. The failures written to
``quality.row_issue`` always cover every row.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from verfak import config
from verfak.files import private_files, tighten
from verfak.gx_imports import defer_unused_imports
from verfak.rules import (
    RULES,
    RULES_BY_ID,
    SUITE_NAME,
    Rule,
    build_suite,
    build_village_suite,
    evaluate,
    village_rules,
)

log = logging.getLogger(__name__)
defer_unused_imports()  # before Great Expectations is imported: scipy.stats and altair on first use

INDEX_COLUMNS = ["file_id", "source_row"]
FAILURE_COLUMNS = [*INDEX_COLUMNS, "rule_id", "severity", "column_name", "message"]
SAMPLE_SEED = 20240601


def import_great_expectations() -> None:
    """Import what the gate's checkpoints use (2-3 s, most of a one-village batch's own work):
    ``verfak.load`` calls it in its Great Expectations thread at the start of a batch, so the import
    runs while PostgreSQL computes the batch and its cross-village counts."""
    import great_expectations
    import great_expectations.expectations  # noqa: F401


def gx_max_rows() -> int:
    """Rows Great Expectations validates in one period at most (``VERFAK_GX_MAX_ROWS``)."""
    return config.settings().gx_max_rows


@dataclass
class GateResult:
    failures: pd.DataFrame  # file_id, source_row, rule_id, severity, column_name, message
    rule_counts: list[tuple[str, int, int]]  # rule_id, evaluated, failed
    success: bool
    data_docs_index: Path | None


def _context(report_dir: Path):
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    context = gx.get_context(mode="file", project_root_dir=str(report_dir))
    docs_dir = report_dir / "data_docs"
    sites = context.config.data_docs_sites or {}
    if "verfak" not in sites:
        context.add_data_docs_site(
            site_name="verfak",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    # Progress bars would fill the task logs with noise.
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.variables.save()
    return context, docs_dir


def result_format(index_columns: list[str]) -> dict:
    """Great Expectations' result format for the gate: every failing row's ids, never its values.

    ``COMPLETE`` with ``unexpected_index_column_names`` gives the ids of *every* failing row (the
    gate compares them with ``verfak.rules.evaluate``); ``exclude_unexpected_values`` leaves the
    failing values out of ``unexpected_list``, ``partial_unexpected_counts`` and the index list
    (which becomes ``[{"file_id": [...], "source_row": [...]}]``); ``partial_unexpected_count: 0``
    and ``include_unexpected_rows: False`` keep samples and whole rows out. So the validation
    results and the Data Docs rendered from them hold counts, rules and row places, no NIK, KK,
    birth date or phone number (issue #12, item 10).
    """
    return {
        "result_format": "COMPLETE",
        "unexpected_index_column_names": index_columns,
        "exclude_unexpected_values": True,
        "partial_unexpected_count": 0,
        "include_unexpected_rows": False,
        "return_unexpected_index_query": False,
    }


def _fingerprint(suite, index_columns: list[str]) -> str:
    """What the stored suite and checkpoint of an asset were made from (expectations, result format)."""
    import hashlib
    import json

    expectations = [e.configuration.to_json_dict() for e in suite.expectations]
    text = json.dumps([suite.name, expectations, result_format(index_columns)], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _fingerprint_file(report_dir: Path, asset_name: str) -> Path:
    return report_dir / "gx" / f".verfak_{asset_name}.fingerprint"


def _stored_checkpoint(context, report_dir: Path, fingerprint: str, asset_name: str):
    """The stored checkpoint of an asset when it was made from the same suite: storing the suite,
    validation definition and checkpoint again compares every expectation with the stored ones
    (about 0.5 s a run, a tenth of a one-village batch). None when anything differs or is missing."""
    marker = _fingerprint_file(report_dir, asset_name)
    try:
        if marker.read_text() != fingerprint:
            return None
        return context.checkpoints.get(f"verfak_{asset_name}")
    except Exception:  # no marker, no stored checkpoint, a store GX can't read: store them again
        return None


@private_files()
def _validate(
    suite,
    frame: pd.DataFrame,
    index_columns: list[str],
    asset_name: str,
    run_name: str,
    report_dir: Path | None = None,
):
    """Run one suite on a DataFrame through a checkpoint that also updates the Data Docs."""
    import great_expectations as gx

    report_dir = report_dir or config.report_dir()
    report_dir.mkdir(parents=True, exist_ok=True)
    context, docs_dir = _context(report_dir)
    source = context.data_sources.add_or_update_pandas("verfak")
    asset = next((a for a in source.assets if a.name == asset_name), None) or source.add_dataframe_asset(
        asset_name
    )
    batch = next((b for b in asset.batch_definitions if b.name == "period"), None) or (
        asset.add_batch_definition_whole_dataframe("period")
    )
    fingerprint = _fingerprint(suite, index_columns)  # of the suite as built, before GX stores it
    checkpoint = _stored_checkpoint(context, report_dir, fingerprint, asset_name)
    if checkpoint is None:
        suite = context.suites.add_or_update(suite)
        validation = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=f"{asset_name}_per_periode", data=batch, suite=suite)
        )
        checkpoint = context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=f"verfak_{asset_name}",
                validation_definitions=[validation],
                actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=["verfak"])],
                result_format=result_format(index_columns),
            )
        )
        _fingerprint_file(report_dir, asset_name).write_text(fingerprint)
    run = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=gx.RunIdentifier(run_name=run_name))
    index = docs_dir / "index.html"
    for folder in (docs_dir, report_dir / "gx"):  # the Data Docs' static assets are copied with their mode
        tighten(folder)
    return run, (index if index.exists() else None)


def _failures(run, rules_by_id: dict, index_columns: list[str], rows: int):
    """(failures per row, counts per rule) from a checkpoint's results."""
    failures: list[tuple] = []
    counts: list[tuple[str, int, int]] = []
    for validation_result in run.run_results.values():
        for result in validation_result.results:
            rule = rules_by_id[result.expectation_config.meta["rule_id"]]
            if result.exception_info and result.exception_info.get("raised_exception"):
                # A rule that could not be evaluated is a pipeline error, not a data problem.
                raise RuntimeError(
                    f"rule {rule.rule_id} could not run: {result.exception_info.get('exception_message')}"
                )
            details = result.result or {}
            keys = _unexpected_keys(details.get("unexpected_index_list") or [], index_columns)
            counts.append((rule.rule_id, int(details.get("element_count", rows)), len(keys)))
            failures.extend((*key, rule.rule_id, rule.severity, rule.column, rule.message) for key in keys)
    columns = [*index_columns, "rule_id", "severity", "column_name", "message"]
    return pd.DataFrame(failures, columns=columns), counts


def _unexpected_keys(unexpected: list[dict], index_columns: list[str]) -> list[tuple]:
    """The failing rows' ids from an ``unexpected_index_list``: one dict per row (values included),
    or, with ``exclude_unexpected_values``, dicts of id lists (``{"file_id": [...], "source_row": [...]}``)."""
    keys: list[tuple] = []
    for item in unexpected:
        columns = [item[c] for c in index_columns]
        if columns and isinstance(columns[0], list):
            keys.extend(zip(*columns))
        else:
            keys.append(tuple(columns))
    return keys


def _evaluated_failures(
    frame: pd.DataFrame, evaluated: dict
) -> tuple[pd.DataFrame, list[tuple[str, int, int]]]:
    """(failures per row, counts per rule) from ``verfak.rules.evaluate``, rule by rule in frame order."""
    file_ids, source_rows = frame["file_id"].to_numpy(), frame["source_row"].to_numpy()
    parts, counts = [], []
    for rule in RULES:
        considered, failed = evaluated[rule.rule_id]
        rows = np.flatnonzero(failed.to_numpy())
        counts.append((rule.rule_id, int(considered.sum()), len(rows)))
        if len(rows):
            parts.append(
                pd.DataFrame(
                    {
                        "file_id": file_ids[rows],
                        "source_row": source_rows[rows],
                        "rule_id": rule.rule_id,
                        "severity": rule.severity,
                        "column_name": rule.column,
                        "message": rule.message,
                    }
                )
            )
    failures = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=FAILURE_COLUMNS)
    return failures.astype({"file_id": "int64", "source_row": "int64"}), counts


def _gx_rows(evaluated: dict, rows: int, max_rows: int) -> np.ndarray:
    """Positions of the rows Great Expectations validates: all of them, or a sample of ``max_rows``
    holding the flagged rows (at most half of it) and a seeded draw of the others, in frame order."""
    if rows <= max_rows:
        return np.arange(rows)
    flagged = np.zeros(rows, dtype=bool)
    for _, failed in evaluated.values():
        flagged |= failed.to_numpy()
    rng = np.random.default_rng(SAMPLE_SEED)
    bad, good = np.flatnonzero(flagged), np.flatnonzero(~flagged)
    # half the places for flagged rows, more when there are not enough unflagged rows to fill the rest
    bad = rng.choice(bad, size=min(len(bad), max(max_rows // 2, max_rows - len(good))), replace=False)
    good = rng.choice(good, size=min(len(good), max_rows - len(bad)), replace=False)
    return np.sort(np.concatenate([bad, good]))


def _check_agreement(
    frame: pd.DataFrame, evaluated: dict, gx_failures: pd.DataFrame, gx_counts: list[tuple[str, int, int]]
) -> None:
    """Raise unless Great Expectations and ``verfak.rules.evaluate`` agree on every rule for ``frame``."""
    keys = pd.MultiIndex.from_frame(frame[INDEX_COLUMNS])
    gx_evaluated = {rule_id: evaluated_rows for rule_id, evaluated_rows, _ in gx_counts}
    by_rule = dict(tuple(gx_failures.groupby("rule_id")[INDEX_COLUMNS])) if len(gx_failures) else {}
    for rule_id, (considered, failed) in evaluated.items():
        ours = set(keys[failed.to_numpy()])
        theirs = set(map(tuple, by_rule[rule_id].to_numpy())) if rule_id in by_rule else set()
        if ours != theirs or gx_evaluated.get(rule_id) != int(considered.sum()):
            raise RuntimeError(
                f"rule {rule_id}: Great Expectations and verfak.rules.evaluate disagree on {len(frame)} row(s) "
                f"(looked at {gx_evaluated.get(rule_id)} vs {int(considered.sum())}, failed {len(theirs)} vs "
                f"{len(ours)}, {len(ours ^ theirs)} row(s) differ); fix the evaluator before loading"
            )


def check_rows(
    frame: pd.DataFrame, known_villages: list[str]
) -> tuple[dict, pd.DataFrame, list[tuple[str, int, int]]]:
    """Every rule on every row of ``frame`` (index 0..n-1): (masks per rule, failures per row, counts per rule)."""
    evaluated = evaluate(frame, RULES, known_villages)
    failed, counts = _evaluated_failures(frame, evaluated)
    return evaluated, failed, counts


class GateSample:
    """The rows Great Expectations validates for one batch, gathered chunk by chunk, bounded.

    ``total_rows`` is the batch's size. A batch of at most ``max_rows`` rows (``VERFAK_GX_MAX_ROWS``)
    is validated whole; a larger one on a sample of about ``max_rows`` rows, each chunk giving its
    share (its flagged rows first, up to half of its share, and a seeded draw of the others), so
    memory is bounded by ``max_rows`` whatever the period's size. Each kept row keeps its masks
    from ``verfak.rules.evaluate``, so the agreement check is the same as on a whole frame.
    """

    def __init__(self, total_rows: int, max_rows: int | None = None):
        self.total_rows = total_rows
        self.max_rows = max_rows or gx_max_rows()
        self.frames: list[pd.DataFrame] = []
        self.masks: list[dict] = []
        self.rows_seen = 0

    @property
    def sampled(self) -> bool:
        return self.total_rows > self.max_rows

    def add(self, frame: pd.DataFrame, evaluated: dict) -> None:
        """Keep this chunk's share of the sample (``frame`` indexed 0..n-1, ``evaluated`` its masks)."""
        self.rows_seen += len(frame)
        if not len(frame):
            return
        if not self.sampled:
            positions = np.arange(len(frame))
        else:
            share = max(2, self.max_rows * len(frame) // max(self.total_rows, 1))
            positions = _gx_rows(evaluated, len(frame), share)
        take = len(positions) < len(frame)
        self.frames.append(frame.take(positions).reset_index(drop=True) if take else frame)
        self.masks.append(
            {
                rule_id: (c.take(positions).reset_index(drop=True), f.take(positions).reset_index(drop=True))
                for rule_id, (c, f) in evaluated.items()
            }
            if take
            else evaluated
        )

    def validate(
        self, period: str, known_villages: list[str], report_dir: Path | None = None, label: str = ""
    ) -> tuple[int, Path | None]:
        """Run the suite in Great Expectations on the kept rows and check it agrees with the masks
        row by row; return (rows validated, Data Docs index). Raises on any disagreement."""
        if not self.rows_seen:  # a batch whose rows were all rejected at intake: nothing to validate
            return 0, None
        frame = (
            pd.concat(self.frames, ignore_index=True)
            if len(self.frames) > 1
            else (self.frames[0] if self.frames else pd.DataFrame(columns=INDEX_COLUMNS))
        )
        self.frames = []
        evaluated = (
            {
                rule_id: (
                    pd.concat([m[rule_id][0] for m in self.masks], ignore_index=True),
                    pd.concat([m[rule_id][1] for m in self.masks], ignore_index=True),
                )
                for rule_id in self.masks[0]
            }
            if self.masks
            else {}
        )
        self.masks = []
        sampled = len(frame) < self.rows_seen
        run_name = f"periode-{period}{label}" + (
            f"-sampel-{len(frame)}-dari-{self.rows_seen}" if sampled else ""
        )
        run, index = _validate(
            build_suite(known_villages), frame, INDEX_COLUMNS, "verifikasi", run_name, report_dir
        )
        gx_failed, gx_counts = _failures(run, RULES_BY_ID, INDEX_COLUMNS, len(frame))
        if evaluated:
            _check_agreement(frame, evaluated, gx_failed, gx_counts)
        log.info(
            "period %s: Great Expectations validated %s and agrees rule by rule; Data Docs: %s",
            period,
            f"a sample of {len(frame)} of {self.rows_seen} row(s) (flagged rows first)"
            if sampled
            else f"every row ({len(frame)})",
            index,
        )
        return len(frame), index


def run_gate(
    typed: pd.DataFrame, period: str, known_villages: list[str], report_dir: Path | None = None
) -> GateResult:
    """Validate the typed rows of one period (one frame) and return every failed rule per row."""
    frame = typed.reset_index(drop=True)
    evaluated, failed, counts = check_rows(frame, known_villages)
    sample = GateSample(len(frame))
    sample.add(frame, evaluated)
    _, index = sample.validate(period, known_villages, report_dir)
    log.info(
        "period %s: %d row(s) checked against %d rules, %d failure(s)",
        period,
        len(frame),
        len(RULES),
        len(failed),
    )
    return GateResult(failed, counts, len(failed) == 0, index)


def run_village_checks(
    villages: pd.DataFrame,
    period: str,
    report_dir: Path | None = None,
    rules: tuple[Rule, ...] | None = None,
) -> GateResult:
    """Validate the per-village figures of a period (``verfak.rules.village_rules()`` unless
    ``rules``): table-level warnings."""
    rules = rules or village_rules()
    frame = villages.reset_index(drop=True)
    run, index = _validate(
        build_village_suite(rules), frame, ["kode_desa"], "desa", f"periode-{period}", report_dir
    )
    failed, counts = _failures(run, {r.rule_id: r for r in rules}, ["kode_desa"], len(frame))
    log.info(
        "period %s: %d village(s) checked, %d flag(s) for the data engineers", period, len(frame), len(failed)
    )
    return GateResult(failed, counts, bool(run.success), index)


# --- retention ----------------------------------------------------------------------------------

#: Where the file-backed context keeps validation results, and where the Data Docs render them:
#: ``<folder>/<suite>/<run name>/<run time>/<batch>.json|.html``.
RESULT_FOLDERS = (Path("gx") / "uncommitted" / "validations", Path("data_docs") / "validations")
_RUN_TIME_FORMAT = "%Y%m%dT%H%M%S.%fZ"


def report_retention_days() -> int:
    """Days the validation results and their Data Docs pages are kept (``VERFAK_REPORT_RETENTION_DAYS``)."""
    return config.settings().report_retention_days


def _run_day(folder: Path) -> dt.date:
    """The UTC day of a run folder (``20240701T020000.123456Z``); its modification day if unnamed."""
    try:
        return dt.datetime.strptime(folder.name, _RUN_TIME_FORMAT).date()
    except ValueError:
        return dt.datetime.fromtimestamp(folder.stat().st_mtime, dt.UTC).date()


@private_files()
def remove_old_results(report_dir: Path, keep_days: int, today: dt.date) -> list[Path]:
    """Delete the validation results and Data Docs pages of runs older than ``keep_days`` (like the
    exports' ``VERFAK_EXPORT_RETENTION_DAYS``), then rebuild the Data Docs index so it lists only
    what is left. Returns the run folders removed."""
    removed: list[Path] = []
    for relative in RESULT_FOLDERS:
        base = report_dir / relative
        if not base.is_dir():
            continue
        for run_folder in sorted(base.glob("*/*/*")):
            if (
                run_folder.is_dir()
                and not run_folder.is_symlink()
                and (today - _run_day(run_folder)).days > keep_days
            ):
                shutil.rmtree(run_folder)
                removed.append(run_folder)
        for run_name in base.glob("*/*"):
            if run_name.is_dir() and not any(run_name.iterdir()):
                run_name.rmdir()
    if removed and (report_dir / "data_docs" / "index.html").exists():
        from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

        context, _ = _context(report_dir)
        # only the suite's page and the index are rendered again (the index lists what is left)
        context.build_data_docs(
            site_names=["verfak"], resource_identifiers=[ExpectationSuiteIdentifier(SUITE_NAME)]
        )
        tighten(report_dir / "data_docs")
    if removed:
        log.info("reports: removed %d validation run folder(s) older than %d days", len(removed), keep_days)
    return removed

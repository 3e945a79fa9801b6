"""Stage 2b, the quality gate: run the suite of ``verfak.rules`` on a period's typed rows.

Great Expectations runs through a file-backed context in ``<reports>/gx`` so every validation
result is kept and the Data Docs site (``<reports>/data_docs/index.html``) shows the suite and the
history of runs. The failed rows come straight out of the validation results
(``unexpected_index_list`` keyed by ``file_id``/``source_row``), so what the quality tables and the
village feedback say is exactly what Great Expectations found.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from verfak import config
from verfak.rules import RULES, RULES_BY_ID, VILLAGE_RULES_BY_ID, build_suite, build_village_suite

log = logging.getLogger(__name__)

INDEX_COLUMNS = ["file_id", "source_row"]


@dataclass
class GateResult:
    failures: pd.DataFrame  # file_id, source_row, rule_id, severity, column_name, message
    rule_counts: list[tuple[str, int, int]]  # rule_id, evaluated, failed
    success: bool
    data_docs_index: Path | None


def _context(report_dir: Path):
    import great_expectations as gx

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    context = gx.get_context(mode="file", project_root_dir=str(report_dir))
    docs_dir = report_dir / "data_docs"
    sites = context.get_config().data_docs_sites or {}
    if "verfak" not in sites:
        context.add_data_docs_site(
            site_name="verfak",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    # Progress bars would fill the task logs with noise.
    context.variables.progress_bars = {"globally": False}
    context.variables.save()
    return context, docs_dir


def _validate(suite, frame: pd.DataFrame, index_columns: list[str], asset_name: str, run_name: str,
              report_dir: Path | None = None):  # fmt: skip
    """Run one suite on a DataFrame through a checkpoint that also updates the Data Docs."""
    import great_expectations as gx

    report_dir = report_dir or config.report_dir()
    report_dir.mkdir(parents=True, exist_ok=True)
    context, docs_dir = _context(report_dir)
    source = context.data_sources.add_or_update_pandas("verfak")
    asset = next((a for a in source.assets if a.name == asset_name), None) or source.add_dataframe_asset(asset_name)
    batch = next((b for b in asset.batch_definitions if b.name == "period"), None) or (
        asset.add_batch_definition_whole_dataframe("period")
    )
    suite = context.suites.add_or_update(suite)
    validation = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"{asset_name}_per_periode", data=batch, suite=suite)
    )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=f"verfak_{asset_name}",
            validation_definitions=[validation],
            actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=["verfak"])],
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": index_columns},
        )
    )
    run = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=gx.RunIdentifier(run_name=run_name))
    index = docs_dir / "index.html"
    return run, (index if index.exists() else None)


def _failures(run, rules_by_id: dict, index_columns: list[str], rows: int):
    """(failures per row, counts per rule) from a checkpoint's results."""
    failures, counts = [], []
    for validation_result in run.run_results.values():
        for result in validation_result.results:
            rule = rules_by_id[result.expectation_config.meta["rule_id"]]
            if result.exception_info and result.exception_info.get("raised_exception"):
                # A rule that could not be evaluated is a pipeline error, not a data problem.
                raise RuntimeError(f"rule {rule.rule_id} could not run: {result.exception_info.get('exception_message')}")
            details = result.result or {}
            unexpected = details.get("unexpected_index_list") or []
            counts.append((rule.rule_id, int(details.get("element_count", rows)), len(unexpected)))
            for item in unexpected:
                key = tuple(item[c] for c in index_columns)
                failures.append((*key, rule.rule_id, rule.severity, rule.column, rule.message))
    columns = [*index_columns, "rule_id", "severity", "column_name", "message"]
    return pd.DataFrame(failures, columns=columns), counts


def run_gate(typed: pd.DataFrame, period: str, known_villages: list[str],
             report_dir: Path | None = None) -> GateResult:  # fmt: skip
    """Validate the typed rows of one period and return every failed rule per row."""
    frame = typed.reset_index(drop=True)
    run, index = _validate(build_suite(known_villages), frame, INDEX_COLUMNS, "verifikasi", f"periode-{period}",
                           report_dir)  # fmt: skip
    failed, counts = _failures(run, RULES_BY_ID, INDEX_COLUMNS, len(frame))
    failed = failed.astype({"file_id": "int64", "source_row": "int64"})
    log.info(
        "period %s: %d row(s) validated against %d rules, %d failure(s); Data Docs: %s",
        period, len(frame), len(RULES), len(failed), index,
    )  # fmt: skip
    return GateResult(failed, counts, bool(run.success), index)


def run_village_checks(villages: pd.DataFrame, period: str, report_dir: Path | None = None) -> GateResult:
    """Validate the per-village figures of a period (``verfak.rules.VILLAGE_RULES``): table-level warnings."""
    frame = villages.reset_index(drop=True)
    run, index = _validate(build_village_suite(), frame, ["kode_desa"], "desa", f"periode-{period}", report_dir)
    failed, counts = _failures(run, VILLAGE_RULES_BY_ID, ["kode_desa"], len(frame))
    log.info("period %s: %d village(s) checked, %d flag(s) for the data engineers", period, len(frame), len(failed))
    return GateResult(failed, counts, bool(run.success), index)

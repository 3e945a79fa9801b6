"""Issue #15: validate-and-load by village batch gives the same answers as a load of the whole period.

Three landing zones are loaded two ways into the same (emptied) warehouse and compared table by
table, row for row, on natural keys:

* **whole**: every file (originals and resubmissions) dropped at once, one ingest, one
  validate-and-load (a batch of every village of each period), publish;
* **incremental**: the villages' files dropped in a seeded random order, a few villages at a time
  (from one to a hundred), with an ingest and a validate-and-load after each drop, then the
  resubmissions one by one, then publish.

The landing zones: (a) the built-in sample (two periods, 187 villages, CSV and XLSX, bad rows),
(b) the messy files of tests/fixtures/ (rejected files, intake errors and warnings, a corrected
file superseding its first version), (c) a 20,000-row period of ``devdata.bench_data`` (loaded in chunks of
2,500 rows, Great Expectations on a 4,000-row sample).
Each of (a) and (c) gets resubmissions in its last period: a village that changes statuses and
addresses, a village that adds a NIK another village already sent (both rows must be held out: the
other village's row leaves core), and a village whose first file shared a NIK with another village
and whose resubmission drops it (the other village's row is released into core).

Compared: staging.verifikasi, quality.row_issue, quality.village_flag, quality.rule_count_desa, the
period totals of quality.rule_result (the latest run of each period), core.verifikasi (with the
version valid_from of each fact), core.person_version (by NIK and validity, not id),
core.household, the marts (verified_count, person_transition, transition_count, person_timeline)
and every village feedback file. Files are named by (period, village, file name, checksum), not
file_id; run ids and person_version ids are left out.
"""

from __future__ import annotations

import csv
import os
import random
import shutil
from pathlib import Path

import pytest

from tests.conftest import isolated_run
from tests.fixtures.make_fixtures import FOLDER
from tests.helpers import run_ingest, run_publish, run_validate_load
from verfak.columns import COLUMNS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SEED = 15
GROUP_SIZES = (1, 3, 10, 40, 100)

FILE_KEY = "f.periode, f.kode_desa, f.file_name, f.sha256"
SNAPSHOT = {
    "staging.verifikasi": f"""SELECT {FILE_KEY}, (to_jsonb(s) - 'file_id')::text
                                FROM staging.verifikasi s JOIN raw.submission_file f USING (file_id)""",
    "quality.row_issue": f"""SELECT {FILE_KEY}, (to_jsonb(i) - 'file_id' - 'run_id')::text
                               FROM quality.row_issue i JOIN raw.submission_file f USING (file_id)""",
    "quality.village_flag": "SELECT (to_jsonb(v) - 'run_id')::text FROM quality.village_flag v",
    "quality.rule_count_desa": "SELECT to_jsonb(c)::text FROM quality.rule_count_desa c",
    "quality.rule_result (period totals)": """
        SELECT DISTINCT ON (r.periode, rr.rule_id) r.periode, rr.rule_id, rr.evaluated, rr.failed
          FROM quality.rule_result rr JOIN quality.validation_run r USING (run_id)
         ORDER BY r.periode, rr.rule_id, r.run_id DESC""",
    "core.verifikasi": f"""SELECT {FILE_KEY}, p.valid_from, (to_jsonb(v) - 'file_id' - 'person_version_id')::text
                             FROM core.verifikasi v JOIN raw.submission_file f USING (file_id)
                             LEFT JOIN core.person_version p USING (person_version_id)""",
    "core.person_version": "SELECT (to_jsonb(p) - 'person_version_id')::text FROM core.person_version p",
    "core.household": "SELECT to_jsonb(h)::text FROM core.household h",
    "mart.verified_count": "SELECT to_jsonb(m)::text FROM mart.verified_count m",
    "mart.person_transition": "SELECT to_jsonb(m)::text FROM mart.person_transition m",
    "mart.transition_count": "SELECT to_jsonb(m)::text FROM mart.transition_count m",
    "mart.person_timeline": "SELECT (to_jsonb(m) - 'person_version_id')::text FROM mart.person_timeline m",
}


def snapshot(warehouse_uri: str, exports: Path) -> dict[str, list]:
    import psycopg2

    out = {}
    with psycopg2.connect(warehouse_uri) as conn, conn.cursor() as cur:
        for name, sql in SNAPSHOT.items():
            cur.execute(sql)
            out[name] = sorted(map(str, cur.fetchall()))
    conn.close()
    out["feedback files"] = sorted(
        (str(p.relative_to(exports)), p.read_bytes()) for p in (exports / "feedback").rglob("*.csv")
    )
    return out


# --- the landing zones ---------------------------------------------------------------------------


class Drop:
    """A file to put into the landing zone: its place (``<period>/<village>/<name>``), its bytes'
    source and its modification time."""

    def __init__(self, relative: str, source: Path, mtime: float):
        self.relative, self.source, self.mtime = relative, source, mtime
        parts = relative.split("/")
        self.period, self.village = parts[0], parts[1] if len(parts) > 2 else ""

    def put(self, landing: Path) -> None:
        target = landing / self.relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.source, target)
        os.utime(target, (self.mtime, self.mtime))


def _drops_of(folder: Path) -> list[Drop]:
    return [
        Drop(p.relative_to(folder).as_posix(), p, p.stat().st_mtime)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    ]


def _read_canonical(path: Path) -> list[dict] | None:
    """The rows of a comma CSV with the contract's own header (None for any other file)."""
    if path.suffix != ".csv":
        return None
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != list(COLUMNS):
            return None
        return list(reader)


def _write_canonical(path: Path, rows: list[dict], mtime: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    os.utime(path, (mtime, mtime))


def with_resubmissions(source: Path, work: Path, rng: random.Random) -> tuple[list[Drop], list[Drop]]:
    """The first files of ``source`` (one village's changed to share a NIK with another village)
    and three resubmissions in the last period (see the module's docstring)."""
    first = work / "first"
    shutil.copytree(source, first)
    drops = _drops_of(first)
    period = max(d.period for d in drops)
    canonical = {
        d.village: (d, rows)
        for d in drops
        if d.period == period and (rows := _read_canonical(first / d.relative)) and len(rows) >= 4
    }
    changer, adder, taker, remover, holder = rng.sample(sorted(canonical), 5)

    def copied_row(from_village: str, to_village: str) -> dict:
        row = dict(canonical[from_village][1][1])  # its second row: a NIK the other village sends
        row["kode_desa"] = to_village
        return row

    # The remover's first file also sends the holder's person: both rows are held out until...
    drop, rows = canonical[remover]
    _write_canonical(first / drop.relative, [*rows, copied_row(holder, remover)], drop.mtime)

    later = work / "later"
    resubmitted = []

    def resubmit(village: str, rows: list[dict]) -> None:
        drop = canonical[village][0]
        relative = f"{drop.period}/{village}/perbaikan_{village.replace('.', '')}.csv"
        _write_canonical(later / relative, rows, drop.mtime + 3600)
        resubmitted.append(Drop(relative, later / relative, drop.mtime + 3600))

    changed = [dict(r) for r in canonical[changer][1]]
    changed[0].update(status_verifikasi="tidak_layak", alasan="Sudah bekerja tetap")
    changed[1].update(alamat=changed[1]["alamat"] + " Blok B")
    changed[2].update(status_verifikasi="pindah", alasan="Pindah ke Karawang", alamat="Kp. Baru")
    resubmit(changer, changed)
    resubmit(adder, [*canonical[adder][1], copied_row(taker, adder)])  # ...the taker's row leaves core
    resubmit(remover, canonical[remover][1])  # ...the remover takes it back: the holder's row is released
    return drops, resubmitted


def load_whole(landing: Path, drops: list[Drop]) -> None:
    for drop in drops:
        drop.put(landing)
    run_ingest(landing)
    run_validate_load()
    run_publish()


def load_incremental(
    landing: Path, drops: list[Drop], resubmitted: list[Drop], rng: random.Random, sizes=GROUP_SIZES
) -> int:
    """Villages a few at a time in a random order, period after period, then each resubmission."""
    runs = 0
    for period in sorted({d.period for d in drops}):
        pending = [d for d in drops if d.period == period]
        rng.shuffle(pending)
        while pending:
            size = rng.choice(sizes)
            group, pending = pending[:size], pending[size:]
            for drop in group:
                drop.put(landing)
            run_ingest(landing)
            run_validate_load()
            runs += 1
    for drop in resubmitted:
        drop.put(landing)
        run_ingest(landing)
        run_validate_load()
        runs += 1
    run_publish()
    return runs


def both_ways(
    warehouse_uri: str, root: Path, drops: list[Drop], resubmitted: list[Drop], sizes=GROUP_SIZES
) -> tuple[dict, dict]:
    for way in ("whole", "incremental"):
        (root / way).mkdir(parents=True)
    with isolated_run(warehouse_uri, root / "whole"):
        load_whole(root / "whole" / "landing", [*drops, *resubmitted])
        whole = snapshot(warehouse_uri, root / "whole" / "exports")
    with isolated_run(warehouse_uri, root / "incremental"):
        load_incremental(root / "incremental" / "landing", drops, resubmitted, random.Random(SEED), sizes)
        incremental = snapshot(warehouse_uri, root / "incremental" / "exports")
    return whole, incremental


def assert_same(whole: dict, incremental: dict) -> None:
    for table in whole:
        a, b = whole[table], incremental[table]
        only_whole, only_incremental = sorted(set(a) - set(b)), sorted(set(b) - set(a))
        assert a == b, (
            f"{table}: {len(a)} row(s) loaded whole vs {len(b)} village by village; only whole: "
            f"{only_whole[:3]}; only village by village: {only_incremental[:3]}"
        )


def _cross_village_rows(snap: dict) -> int:
    return sum("nik_ganda_antar_desa" in row for row in snap["quality.row_issue"])


# --- the tests -----------------------------------------------------------------------------------


def test_the_sample_village_by_village_with_resubmissions_equals_a_whole_load(
    warehouse_uri, sample_landing, tmp_path
):
    drops, resubmitted = with_resubmissions(sample_landing[0], tmp_path / "src", random.Random(SEED))
    whole, incremental = both_ways(warehouse_uri, tmp_path, drops, resubmitted)
    assert_same(whole, incremental)
    # The case is what it says: after the resubmissions one NIK is held out in two villages (the
    # adder and the taker), the remover's and the holder's are not.
    assert _cross_village_rows(whole) >= 2
    assert len(whole["core.verifikasi"]) > 2000


def test_the_messy_fixtures_file_by_file_equal_a_whole_load(warehouse_uri, tmp_path):
    t0 = 1718874000.0  # 2024-06-20 09:00 UTC
    drops = []
    for path in sorted(FIXTURES.iterdir()):
        if path.is_file() and path.stem in FOLDER and path.suffix in (".csv", ".xlsx", ".xls", ".txt"):
            later = (
                3600 if path.stem.endswith("_perbaikan") else 0
            )  # the corrected workbook supersedes the first
            drops.append(Drop(f"2024-06/{FOLDER[path.stem]}/{path.name}", path, t0 + later))
    whole, incremental = both_ways(warehouse_uri, tmp_path, drops, [])
    assert_same(whole, incremental)
    assert whole["core.verifikasi"]
    assert whole["quality.row_issue"]


def test_a_bench_period_village_by_village_with_resubmissions_equals_a_whole_load(
    warehouse_uri, tmp_path, monkeypatch
):
    from devdata.bench_data import BenchPlan, generate_bench_landing

    # Small chunks and a small Great Expectations sample, so that the whole load is typed in chunks
    # of villages and validated on a sample gathered across them.
    monkeypatch.setenv("VERFAK_LOAD_CHUNK_ROWS", "2500")
    monkeypatch.setenv("VERFAK_GX_MAX_ROWS", "4000")
    source = tmp_path / "bench"
    generate_bench_landing(source, BenchPlan(rows=20_000, periods=1), workers=1)
    drops, resubmitted = with_resubmissions(source, tmp_path / "src", random.Random(SEED))
    whole, incremental = both_ways(warehouse_uri, tmp_path, drops, resubmitted, sizes=(10, 40, 100))
    assert_same(whole, incremental)
    assert _cross_village_rows(whole) >= 2
    assert len(whole["core.verifikasi"]) > 19_000


@pytest.fixture(autouse=True)
def _quiet_great_expectations(monkeypatch):
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "False")

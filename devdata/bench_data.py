"""A large synthetic landing zone, fast: the benchmark's data (``bench/run.py``, issue #7).

``generate_bench_landing(landing_dir, BenchPlan(rows=1_000_000))`` writes what the 187 villages
of Kabupaten Bekasi would send if the whole regency's registry were verified in one month (or in
``periods`` consecutive months, the same people each month), in the landing-zone layout and the
file formats of ``devdata.sample_data``::

    <landing_dir>/<YYYY-MM>/<kode_desa dotted>/verfak_<YYYY-MM>_<kode_desa plain>.csv|.xlsx

What is the same as the sample data (and reused from ``devdata.sample_data``): the columns, the
village reference and the weights that put more poor people in the rural north, each village's
file format (``file_formats``: ~60% comma CSV with canonical headers and ISO dates, ~20%
semicolon CSV with a BOM, office labels and ``DD/MM/YYYY`` dates, a quarter of them writing
``Laki-laki``/``Perempuan``, ~20% XLSX, half of them with a title block above the header), the
people's make-up (households of 1-5 with head, wife and children, ages, occupations, training and
business interests, phones, income), NIKs and family-card numbers that agree with birth date and
sex and are unique, a few NIKs issued outside the regency (warnings), and the nine kinds of
defective rows of ``devdata.defects`` (``DEFECT_RULES``, made by the same ``make_defect``),
each breaking exactly one error rule.

What is different, for speed: no Faker per row (name, street and officer pools are drawn once,
then combined with numpy), no story across periods beyond each person's status being drawn
again every month and ~1% of households moving, and defects are ``bad_share`` (default 1%) of
the rows, spread over every village, each replacing a valid row (so a file has exactly the rows
planned). XLSX files are written with XlsxWriter in constant-memory mode (ID columns as text
cells, dates as date cells, numbers as numbers, like the sample's XLSX; openpyxl's write-only mode
when XlsxWriter is not installed).

Village by village, so memory is bounded by the largest village, not by the registry (the
in-memory version reached 7 GiB at 3,600,000 rows before writing a file). Only what must be
decided for the whole registry is drawn first, from the plan's seed and in the same order as
before, and kept as small numeric arrays: the household sizes and their villages (so every file
has the same rows as before), each file's share of the defects (largest remainder) and their kinds
(each kind as often as the others, within one). A pool of processes then builds and writes one
village at a time (all its periods), each from a random generator of its own (seed, village), so
the result does not depend on the number of processes; NIK and family-card serials come from a
range of the village's own (1-9999 split over the villages), so identifiers are unique across
villages without a registry-wide set. The baseline CSV is written in parts per village and joined
in period and village order.

``BenchSummary`` says what a correct pipeline must find: rows per period, rows per format, the
defective rows (all quarantined by the gate), the rows that load and how many of them are layak.
A 1,000,000-row landing zone takes about a minute on two cores.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import random
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from devdata.defects import DEFECT_RULES, make_defect
from devdata.sample_data import (
    BULAN,
    BUSINESS_INTERESTS,
    COASTAL_KECAMATAN,
    COLUMNS,
    CSV_SEMICOLON,
    DEFAULT_SEED,
    KAMPUNG_SUFFIXES,
    KAMPUNG_WORDS,
    OFFICE_LABELS,
    OUTSIDE_NIK_REGIONS,
    PHONE_PREFIXES,
    REASONS,
    TEXT_ID_COLUMNS,
    TRAINING,
    XLSX_PLAIN,
    XLSX_TITLED,
    Village,
    file_formats,
    load_villages,
    village_weight,
)
from verfak.columns import STATUS_VALUES

__all__ = ["BenchPlan", "BenchSummary", "build_bench_rows", "generate_bench_landing", "write_baseline_csv"]

LAYAK, *_LEAVING = STATUS_VALUES
LEAVING = tuple(_LEAVING)
LEAVING_SHARES = (45, 22, 20, 13)  # as in the sample's leavers
LAYAK_SHARE = 0.97
DEFECT_KINDS = tuple(DEFECT_RULES)
XLSX_FORMATS = (XLSX_PLAIN, XLSX_TITLED)
# The columns make_defect changes, besides a duplicate's copy of a whole row.
_DEFECT_COLUMNS = ("nik", "nama", "jenis_kelamin", "tanggal_lahir", "status_verifikasi", "alasan")
_TRAINING_CHOICES = tuple(sorted({";".join(sorted({a, b})) for a in TRAINING for b in TRAINING}))


@dataclass(frozen=True)
class BenchPlan:
    """How big the landing zone is. ``rows`` are split over ``periods`` months ending ``last_period``."""

    rows: int = 1_000_000
    periods: int = 1
    last_period: str = "2024-06"
    bad_share: float = 0.01
    seed: int = DEFAULT_SEED

    def period_names(self) -> list[str]:
        end = pd.Period(self.last_period, freq="M")
        return [str(end - i) for i in range(self.periods - 1, -1, -1)]


@dataclass
class BenchSummary:
    """What was written and what a correct pipeline must make of it (JSON-able)."""

    rows: int
    files: int
    bytes: int
    periods: list[str]
    rows_by_period: dict[str, int]
    files_by_format: dict[str, int]
    rows_by_format: dict[str, int]
    defects_by_kind: dict[str, int]
    expected_quarantined_by_period: dict[str, int]
    expected_loaded_by_period: dict[str, int]
    expected_layak_by_period: dict[str, int]
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------------------- pools


def _name_pools(seed: int) -> dict[str, np.ndarray]:
    """First and last names by sex, street names: drawn once from Faker's Indonesian provider."""
    from faker import Faker

    fake = Faker("id_ID")
    fake.seed_instance(seed)
    draw = lambda method, n: np.array(sorted({method() for _ in range(n)}), dtype=object)
    return {
        "first_L": draw(fake.first_name_male, 3000),
        "first_P": draw(fake.first_name_female, 3000),
        "last_L": draw(fake.last_name_male, 1500),
        "last_P": draw(fake.last_name_female, 1500),
        "street": np.array(sorted({fake.street_name()[:40] for _ in range(1500)}), dtype=object),
    }


def _pick(rng: np.random.Generator, values, size: int, p=None) -> np.ndarray:
    values = np.asarray(values, dtype=object)
    return values[rng.choice(len(values), size=size, p=p)]


def _digits(rng: np.random.Generator, low: int, high: int, size: int, width: int) -> pd.Series:
    """Zero-padded random integers in [low, high] as text."""
    return pd.Series(rng.integers(low, high + 1, size=size)).astype(str).str.zfill(width)


def _unique_ids(prefix: pd.Series, rng: np.random.Generator, low: int, high: int, width: int) -> pd.Series:
    """``prefix`` + a random serial, redrawn where two rows got the same number."""
    ids = prefix + _digits(rng, low, high, len(prefix), width)
    for _ in range(100):
        clash = ids.duplicated()
        if not clash.any():
            return ids
        ids[clash] = prefix[clash].to_numpy() + _digits(rng, low, high, int(clash.sum()), width).to_numpy()
    raise RuntimeError("could not draw unique identifiers: the plan is too large for the serial space")


def _ddmmyy(dates: pd.Series, plus40: np.ndarray | None = None) -> pd.Series:
    day = dates.dt.day.to_numpy() + (40 * plus40 if plus40 is not None else 0)
    return pd.Series(day).astype(str).str.zfill(2) + dates.dt.strftime("%m%y").reset_index(drop=True)


# ------------------------------------------------------------------------------------ skeleton


@dataclass(frozen=True)
class _Context:
    """What every village's job shares: small (name pools, the plan, where to write)."""

    plan: BenchPlan
    periods: tuple[str, ...]
    pools: dict[str, np.ndarray]
    kecamatan_names: tuple[str, ...]
    serial_slots: int  # NIK and no_kk serials per village: its own range, so no two villages clash
    landing_dir: Path | None = None
    baseline_parts: Path | None = None


@dataclass(frozen=True)
class _VillageJob:
    index: int
    village: Village
    sizes: np.ndarray  # its households' sizes, in the registry's order
    rows_by_period: tuple[int, ...]  # its first n people are on each period's list
    kinds_by_period: tuple[tuple[str, ...], ...]  # the defects each period's file gets
    file_format: str
    gender_words: bool


def _village_jobs(plan: BenchPlan, villages: list[Village]) -> list[_VillageJob]:
    """Decide, for the whole registry, only what cannot be decided village by village (small, numeric).

    The household sizes and their villages are drawn as the in-memory generator drew them (same
    seed, same order), so every file has the rows it had; then each file's share of the defects
    (largest remainder of ``bad_share`` of all rows) and which kinds (each kind as often as the
    others, within one). Everything else is drawn per village from a generator of its own.
    """
    rng = np.random.default_rng(plan.seed)
    per_period = [
        plan.rows // plan.periods + (1 if i < plan.rows % plan.periods else 0) for i in range(plan.periods)
    ]
    people = max(per_period)
    sizes = rng.choice([1, 2, 3, 4, 5], size=people // 2 + 10, p=np.array([20, 20, 25, 20, 15]) / 100)
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), people) + 1]
    sizes[-1] -= sizes.sum() - people
    weights = np.array([village_weight(v) for v in villages])
    h_village = rng.choice(len(villages), size=len(sizes), p=weights / weights.sum())

    # Rows of each (village, period) file: a period lists the registry's first n people.
    person_village = np.repeat(h_village, sizes)
    counts = np.stack(
        [np.bincount(person_village[:n], minlength=len(villages)) for n in per_period], axis=1
    )  # villages x periods
    del person_village
    wanted = round(plan.rows * plan.bad_share)
    kinds = [DEFECT_KINDS[i % len(DEFECT_KINDS)] for i in rng.permutation(wanted)]
    quota = counts.ravel() * wanted / max(plan.rows, 1)
    share = np.floor(quota).astype(int)
    rest = np.argsort(-(quota - share), kind="stable")[: wanted - int(share.sum())]
    share[rest] += 1
    share = share.reshape(counts.shape)

    formats = file_formats(villages, random.Random(plan.seed))
    jobs, taken = [], 0
    for index, village in enumerate(villages):
        by_period = []
        for period_index in range(plan.periods):
            by_period.append(tuple(kinds[taken : taken + share[index, period_index]]))
            taken += share[index, period_index]
        file_format, gender_words = formats[village.kode_desa]
        jobs.append(
            _VillageJob(
                index,
                village,
                sizes[h_village == index],
                tuple(int(c) for c in counts[index]),
                tuple(by_period),
                file_format,
                gender_words,
            )
        )
    return jobs


# -------------------------------------------------------------------------------------- people


def _village_people(
    job: _VillageJob, ctx: _Context, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray]:
    """The village's people (everyone on any of its lists) in the registry's order, and each
    household's first address."""
    village, sizes, pools = job.village, job.sizes, ctx.pools
    n_households, people = len(sizes), int(sizes.sum())
    low, high = 1 + job.index * ctx.serial_slots, (job.index + 1) * ctx.serial_slots
    reference = pd.Timestamp(ctx.periods[0] + "-01") - pd.Timedelta(days=1)

    # Households: address, family card, desil, who heads them.
    kampung = (
        "Kp. "
        + pd.Series(_pick(rng, KAMPUNG_WORDS, n_households))
        + " "
        + pd.Series(_pick(rng, KAMPUNG_SUFFIXES, n_households))
    )
    h_alamat = kampung.where(
        rng.random(n_households) < 0.65, pd.Series(_pick(rng, pools["street"], n_households))
    )
    h_rt = _digits(rng, 1, 12, n_households, 3)
    h_rw = _digits(rng, 1, 8, n_households, 3)
    h_desil = np.where(rng.random(n_households) < 0.85, "1", "2")
    issued = pd.Series(
        pd.Timestamp("2005-01-01") + pd.to_timedelta(rng.integers(0, 6900, n_households), unit="D")
    )
    region_kk = "3216" + village.kecamatan_number
    h_no_kk = _unique_ids(region_kk + issued.dt.strftime("%d%m%y"), rng, low, high, 4)
    alone = sizes == 1
    h_female_head = np.where(alone, rng.random(n_households) < 0.6, rng.random(n_households) < 0.2)
    h_head_age = np.where(alone, rng.integers(55, 90, n_households), rng.integers(25, 81, n_households))
    h_mother_age = np.where(
        h_female_head, h_head_age, np.clip(h_head_age + rng.integers(-10, 3, n_households), 20, 89)
    )

    # People: position in the household decides relation, sex and age.
    hh = np.repeat(np.arange(n_households), sizes)
    start = np.repeat(np.cumsum(sizes) - sizes, sizes)
    pos = np.arange(people) - start
    head, wife = pos == 0, (pos == 1) & ~h_female_head[hh]
    other_kin = ~head & ~wife & (rng.random(people) < 0.15)
    relation = np.select([head, wife, other_kin], ["Kepala Keluarga", "Istri", "Famili Lain"], "Anak")
    sex = np.where(
        head,
        np.where(h_female_head[hh], "P", "L"),
        np.where(wife, "P", np.where(rng.random(people) < 0.5, "L", "P")),
    )
    oldest_child = np.clip(h_mother_age[hh] - 18, 0, 35)
    age = np.select(
        [head, wife, other_kin],
        [h_head_age[hh], h_mother_age[hh], rng.integers(5, 90, people)],
        np.floor(rng.random(people) * (oldest_child + 1)).astype(int),
    )
    birth_year_day = pd.to_datetime(
        pd.DataFrame({"year": reference.year - age, "month": reference.month, "day": min(reference.day, 28)})
    )
    birth = birth_year_day - pd.to_timedelta(rng.integers(0, 365, people), unit="D")
    female = sex == "P"
    adult = age >= 18

    # NIK: PPKKCC of issue (mostly the village's kecamatan, some elsewhere in the regency, a few
    # outside it: warnings) + birth date (+40 for women) + a serial from the village's range.
    region = pd.Series(np.full(people, region_kk, dtype=object))
    elsewhere = (age >= 20) & (rng.random(people) < 0.1)
    region[elsewhere] = "3216" + _digits(rng, 1, 23, int(elsewhere.sum()), 2).to_numpy()
    outside = (age >= 20) & (rng.random(people) < 0.005)
    region[outside] = (
        pd.Series(_pick(rng, OUTSIDE_NIK_REGIONS, int(outside.sum())))
        + _digits(rng, 1, 12, int(outside.sum()), 2)
    ).to_numpy()
    nik = _unique_ids(region + _ddmmyy(birth, female), rng, low, high, 4)

    first = np.where(female, _pick(rng, pools["first_P"], people), _pick(rng, pools["first_L"], people))
    last = np.where(female, _pick(rng, pools["last_P"], people), _pick(rng, pools["last_L"], people))
    nama = pd.Series(first) + " " + pd.Series(last)

    # Work, schooling, income, interests, phone (the sample's distributions, vectorized).
    r = rng.random(people)
    local = "Nelayan" if village.nama_kecamatan in COASTAL_KECAMATAN else "Buruh Tani"
    pekerjaan = np.select(
        [age < 6, age < 18, age >= 65, female],
        [
            np.full(people, "Tidak Bekerja"),
            np.where(r < 0.85, "Pelajar", "Tidak Bekerja"),
            np.select([r < 0.70, r < 0.85], ["Tidak Bekerja", "Buruh Harian Lepas"], "Pedagang"),
            np.select(
                [r < 0.55, r < 0.75, r < 0.90],
                ["Mengurus Rumah Tangga", "Buruh Harian Lepas", "Pedagang"],
                "Tidak Bekerja",
            ),
        ],
        np.select([r < 0.45, r < 0.60, r < 0.85], ["Buruh Harian Lepas", "Pedagang", local], "Tidak Bekerja"),
    )
    r = rng.random(people)
    pendidikan = np.select(
        [age < 7, age <= 12, age <= 15, age <= 18, age >= 60],
        [
            "Tidak Sekolah",
            "SD",
            "SMP",
            "SMA",
            np.select([r < 0.45, r < 0.80, r < 0.92], ["SD", "Tidak Sekolah", "SMP"], "SMA"),
        ],
        np.select([r < 0.45, r < 0.60, r < 0.85], ["SD", "Tidak Sekolah", "SMP"], "SMA"),
    )
    earns = ~np.isin(pekerjaan, ["Tidak Bekerja", "Pelajar", "Mengurus Rumah Tangga"])
    pendapatan = np.where(earns, rng.integers(6, 31, people) * 50_000, 0).astype(str)
    minat_pelatihan = np.where(
        adult & (age < 60) & (rng.random(people) < 0.4), _pick(rng, _TRAINING_CHOICES, people), ""
    )
    memiliki_usaha = np.where(pekerjaan == "Pedagang", "ya", "tidak")
    minat_usaha = np.where(adult & (rng.random(people) < 0.2), _pick(rng, BUSINESS_INTERESTS, people), "")
    has_phone = adult & (rng.random(people) < np.where(head, 0.75, 0.35))
    phone = pd.Series(_pick(rng, PHONE_PREFIXES, people)) + _digits(rng, 0, 10**8 - 1, people, 8)
    no_hp = phone.where(has_phone, "")

    # Officers: one or two for the village, each household visited by one.
    officer_names = (
        pd.Series(_pick(rng, pools["first_L"], 2)) + " " + pd.Series(_pick(rng, pools["last_L"], 2))
    )
    h_officer = (rng.random(n_households) * rng.integers(1, 3)).astype(int)

    return pd.DataFrame(
        {
            "household": hh,
            "position": pos,
            "village": job.index,
            "nik": nik.to_numpy(),
            "no_kk": h_no_kk.to_numpy()[hh],
            "nama": nama.to_numpy(),
            "jenis_kelamin": sex,
            "tanggal_lahir": birth.dt.strftime("%Y-%m-%d").to_numpy(),
            "hubungan_keluarga": relation,
            "rt": h_rt.to_numpy()[hh],
            "rw": h_rw.to_numpy()[hh],
            "kode_desa": village.kode_desa,
            "desil": h_desil[hh],
            "pekerjaan": pekerjaan,
            "pendidikan": pendidikan,
            "pendapatan_bulanan": pendapatan,
            "minat_pelatihan": minat_pelatihan,
            "memiliki_usaha": memiliki_usaha,
            "minat_usaha": minat_usaha,
            "no_hp": no_hp.to_numpy(),
            "petugas": officer_names.to_numpy()[h_officer[hh]],
        }
    ), h_alamat.to_numpy(dtype=object, copy=True)


def _village_files(job: _VillageJob, ctx: _Context):
    """Yield ``(period, rows)`` for each of the village's files: every column as text (dates ISO),
    in walk order, with ``period``, ``village`` and ``defect`` besides the contract's ``COLUMNS``."""
    rng = np.random.default_rng([ctx.plan.seed, job.index])
    person, alamat = _village_people(job, ctx, rng)
    n_households = len(job.sizes)
    for index, (period, n_rows) in enumerate(zip(ctx.periods, job.rows_by_period)):
        if index:  # about 1% of households are found at another address from one month to the next
            moved = rng.random(n_households) < 0.01
            alamat[moved] = _pick(rng, ctx.pools["street"], int(moved.sum()))
        frame = person.iloc[:n_rows].copy()
        household = frame["household"].to_numpy()
        frame["period"] = period
        frame["alamat"] = alamat[household]
        start_of_month = pd.Timestamp(period + "-01")
        visit = start_of_month + pd.to_timedelta(rng.integers(1, 15, n_households), unit="D")
        frame["tanggal_verifikasi"] = visit.strftime("%Y-%m-%d").to_numpy()[household]
        leaving = rng.random(n_rows) >= LAYAK_SHARE
        status = np.where(leaving, _pick(rng, LEAVING, n_rows, p=np.array(LEAVING_SHARES) / 100), LAYAK)
        frame["status_verifikasi"] = status
        frame["alasan"] = _reasons(status, rng, start_of_month, ctx.kecamatan_names)
        # The order a verifier walks: RW, RT, family, head first.
        frame = frame.sort_values(["rw", "rt", "household", "position"], kind="stable", ignore_index=True)
        _add_defects(frame, job.kinds_by_period[index], rng)
        if n_rows:
            yield period, frame[["period", "village", *COLUMNS, "defect"]]


def build_bench_rows(plan: BenchPlan, villages: list[Village] | None = None) -> pd.DataFrame:
    """Every row of every file in one frame, sorted by period, village and walk order: for small plans
    and tests (``generate_bench_landing`` never holds more than a village).

    Besides the contract's ``COLUMNS``: ``period``, ``village`` (index into ``villages``),
    ``defect`` (the ``DEFECT_RULES`` kind, or empty).
    """
    villages = sorted(villages if villages is not None else load_villages(), key=lambda v: v.kode_desa)
    ctx = _context(plan, villages)
    frames = [rows for job in _village_jobs(plan, villages) for _, rows in _village_files(job, ctx)]
    return pd.concat(frames, ignore_index=True).sort_values(
        ["period", "village"], kind="stable", ignore_index=True
    )


def _context(plan: BenchPlan, villages: list[Village], **where) -> _Context:
    return _Context(
        plan=plan,
        periods=tuple(plan.period_names()),
        pools=_name_pools(plan.seed),
        kecamatan_names=tuple(sorted({v.nama_kecamatan for v in villages})),
        serial_slots=9999 // len(villages),
        **where,
    )


def _reasons(
    status: np.ndarray, rng: np.random.Generator, month_start: pd.Timestamp, kecamatan_names
) -> np.ndarray:
    alasan = np.full(len(status), "", dtype=object)
    for kind in LEAVING:
        where = np.flatnonzero(status == kind)
        if not len(where):
            continue
        if kind == "meninggal":
            died = month_start - pd.to_timedelta(rng.integers(1, 30, len(where)), unit="D")
            alasan[where] = ("Meninggal dunia " + pd.Series(died.strftime("%d/%m/%Y"))).to_numpy()
        else:
            texts = pd.Series(_pick(rng, REASONS[kind], len(where)))
            other = pd.Series(_pick(rng, kecamatan_names, len(where)))
            alasan[where] = [t.format(kecamatan=k) for t, k in zip(texts, other)]
    return alasan


def _add_defects(rows: pd.DataFrame, kinds: tuple[str, ...], rng: np.random.Generator) -> None:
    """Turn rows of one file into ``kinds`` of defects (``devdata.defects.make_defect``), each breaking
    exactly one error rule.

    A defect replaces a valid row at a random place (the row count stays as planned) and is made
    ``layak`` where the rule allows, so the expected layak count is that of the untouched rows.
    ``baris_ganda`` copies the row above it (a layak, untouched row): the later copy is the bad one.
    """
    n = len(rows)
    defect = np.full(n, "", dtype=object)
    if kinds and n:
        candidates = rng.permutation(n)
        taken = np.zeros(n, dtype=bool)  # a defect, or the original of a duplicate
        # Only the columns a defect changes: all of them for a duplicate, these for the others.
        needed = COLUMNS if "baris_ganda" in kinds else _DEFECT_COLUMNS
        cols = {c: rows[c].to_numpy(dtype=object, copy=True) for c in needed}
        cursor = 0
        for kind in kinds:
            while cursor < n:
                i = int(candidates[cursor])
                cursor += 1
                if taken[i]:
                    continue
                if kind == "baris_ganda":
                    if i == 0 or taken[i - 1] or cols["status_verifikasi"][i - 1] != LAYAK:
                        continue
                    taken[i - 1] = True
                break
            else:
                break  # the file has fewer fitting rows than defects asked for: a tiny plan
            taken[i] = True
            defect[i] = kind
            source = i - 1 if kind == "baris_ganda" else i
            broken = make_defect(kind, {c: values[source] for c, values in cols.items()})
            for column, values in cols.items():
                values[i] = broken[column]
        for column, values in cols.items():
            rows[column] = values
    rows["defect"] = defect


# ------------------------------------------------------------------------------------- writers


def _file_name(period: str, village: Village, file_format: str) -> str:
    suffix = ".xlsx" if file_format in XLSX_FORMATS else ".csv"
    return f"verfak_{period}_{village.plain_code}{suffix}"


def _day_first(iso: pd.Series) -> pd.Series:
    """``'1980-02-31'`` -> ``'31/02/1980'`` (works for impossible dates too: text slicing)."""
    return iso.str.slice(8, 10) + "/" + iso.str.slice(5, 7) + "/" + iso.str.slice(0, 4)


def _write_csv(path: Path, rows: pd.DataFrame, file_format: str, gender_words: bool) -> None:
    semicolon = file_format == CSV_SEMICOLON
    values = {c: rows[c] for c in COLUMNS}
    if semicolon:
        for column in ("tanggal_lahir", "tanggal_verifikasi"):
            values[column] = _day_first(rows[column])
        if gender_words:
            values["jenis_kelamin"] = rows["jenis_kelamin"].replace({"L": "Laki-laki", "P": "Perempuan"})
    header = [OFFICE_LABELS[c] for c in COLUMNS] if semicolon else list(COLUMNS)
    with open(path, "w", newline="", encoding="utf-8-sig" if semicolon else "utf-8") as handle:
        writer = csv.writer(handle, delimiter=";" if semicolon else ",")
        writer.writerow(header)
        writer.writerows(zip(*(values[c].tolist() for c in COLUMNS)))


def _xlsx_cells(rows: pd.DataFrame) -> list[list]:
    """Column lists of cell values: dates as dates (an impossible one stays text), numbers as ints."""
    cells = []
    for column in COLUMNS:
        series = rows[column]
        if column in ("tanggal_lahir", "tanggal_verifikasi"):
            parsed = pd.to_datetime(series, format="%Y-%m-%d", errors="coerce")
            dates = pd.Series(parsed.dt.date, index=series.index, dtype=object)
            cells.append(dates.where(parsed.notna(), _day_first(series)).tolist())
        elif column in ("desil", "pendapatan_bulanan"):
            cells.append([int(v) if v else None for v in series.tolist()])
        else:
            cells.append([v if v else None for v in series.tolist()])
    return cells


def _title(village: Village, period: str) -> str:
    year, month = period.split("-")
    kind = "Kelurahan" if village.jenis == "kelurahan" else "Desa"
    return f"{kind} {village.nama_desa}, Kecamatan {village.nama_kecamatan}, periode {BULAN[month]} {year}"


def _write_xlsx(path: Path, rows: pd.DataFrame, file_format: str, village: Village, period: str) -> None:
    try:
        import xlsxwriter
    except ImportError:  # not in requirements.txt: openpyxl's write-only mode gives the same cells, slower
        _write_xlsx_openpyxl(path, rows, file_format, village, period)
        return

    titled = file_format == XLSX_TITLED
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "default_date_format": "dd/mm/yyyy"})
    workbook.set_properties(
        {"author": "Dinas Sosial Kabupaten Bekasi", "created": dt.datetime(2024, 7, 1, 8)}
    )
    sheet = workbook.add_worksheet("Verfak" if titled else "Sheet1")
    bold = workbook.add_format({"bold": True})
    text = workbook.add_format({"num_format": "@"})
    for index, column in enumerate(COLUMNS):
        if column in TEXT_ID_COLUMNS:
            sheet.set_column(index, index, 20, text)  # Excel never turns a NIK into 3.21601E+15
    line = 0
    if titled:
        big = workbook.add_format({"bold": True, "font_size": 14})
        sheet.write_string(0, 0, "VERIFIKASI FAKTUAL DATA KEMISKINAN EKSTREM", big)
        sheet.write_string(1, 0, _title(village, period))
        line = 3
    sheet.write_row(line, 0, [OFFICE_LABELS[c] if titled else c for c in COLUMNS], bold)
    for offset, values in enumerate(zip(*_xlsx_cells(rows)), start=line + 1):
        sheet.write_row(offset, 0, values)
    workbook.close()


def _write_xlsx_openpyxl(
    path: Path, rows: pd.DataFrame, file_format: str, village: Village, period: str
) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    titled = file_format == XLSX_TITLED
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Verfak" if titled else "Sheet1")
    if titled:
        title = WriteOnlyCell(sheet, "VERIFIKASI FAKTUAL DATA KEMISKINAN EKSTREM")
        title.font = Font(bold=True, size=14)
        sheet.append([title])
        sheet.append([_title(village, period)])
        sheet.append([])
    header = []
    for column in COLUMNS:
        cell = WriteOnlyCell(sheet, OFFICE_LABELS[column] if titled else column)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    text_columns = [c in TEXT_ID_COLUMNS for c in COLUMNS]
    for values in zip(*_xlsx_cells(rows)):
        line = []
        for value, is_text in zip(values, text_columns):
            if value is None:
                line.append(None)
                continue
            cell = WriteOnlyCell(sheet, value)
            if is_text:
                cell.number_format = "@"
            elif isinstance(value, dt.date):
                cell.number_format = "DD/MM/YYYY"
            line.append(cell)
        sheet.append(line)
    workbook.save(path)


def _write_one(task: tuple) -> tuple[str, int]:
    path, rows, file_format, gender_words, village, period = task
    path.parent.mkdir(parents=True, exist_ok=True)
    if file_format in XLSX_FORMATS:
        _write_xlsx(path, rows, file_format, village, period)
    else:
        _write_csv(path, rows, file_format, gender_words)
    return str(path), path.stat().st_size


def _write_village(job_and_context: tuple[_VillageJob, _Context]) -> list[dict]:
    """Build one village's files and write them (and its rows' part of the baseline CSV): what a
    process of the pool does, holding one village at a time."""
    job, ctx = job_and_context
    written = []
    for period, rows in _village_files(job, ctx):
        village = job.village
        path = ctx.landing_dir / period / village.kode_desa / _file_name(period, village, job.file_format)
        _, size = _write_one((path, rows, job.file_format, job.gender_words, village, period))
        if ctx.baseline_parts is not None:
            part = ctx.baseline_parts / f"{period}_{job.index:04d}.csv"
            rows[list(COLUMNS)].to_csv(part, index=False, header=False, encoding="utf-8")
        clean = rows["defect"].to_numpy() == ""
        written.append(
            {
                "period": period,
                "format": job.file_format,
                "rows": len(rows),
                "bytes": size,
                "defects": Counter(rows["defect"].to_numpy()[~clean].tolist()),
                "loaded": int(clean.sum()),
                "layak": int((clean & (rows["status_verifikasi"].to_numpy() == LAYAK)).sum()),
            }
        )
    return written


def write_baseline_csv(rows: pd.DataFrame, path: Path) -> int:
    """All rows as one plain CSV (the contract's columns, header, ISO dates): the COPY baseline's input."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows[list(COLUMNS)].to_csv(path, index=False, encoding="utf-8")
    return path.stat().st_size


def generate_bench_landing(
    landing_dir: Path,
    plan: BenchPlan = BenchPlan(),
    baseline_csv: Path | None = None,
    workers: int = 2,
    villages: list[Village] | None = None,
) -> BenchSummary:
    """Write the plan's landing zone (and, if asked, the same rows as one CSV); return what to expect.

    Village by village: a process builds one village's people and writes its files, so memory is
    bounded by the largest village (plus the registry's household sizes); the baseline CSV is
    written in parts per village and joined in period and village order.
    """
    import shutil
    import time

    landing_dir = Path(landing_dir)
    villages = sorted(villages if villages is not None else load_villages(), key=lambda v: v.kode_desa)
    timer = time.perf_counter()
    jobs = _village_jobs(plan, villages)
    parts = None
    if baseline_csv is not None:
        baseline_csv = Path(baseline_csv)
        parts = baseline_csv.parent / f"{baseline_csv.name}.parts"
        shutil.rmtree(parts, ignore_errors=True)
        parts.mkdir(parents=True)
    ctx = _context(plan, villages, landing_dir=landing_dir, baseline_parts=parts)
    seconds = {"plan": time.perf_counter() - timer}

    # Slowest first (XLSX costs about four times a CSV row), so the pool ends together.
    order = sorted(jobs, key=lambda j: -sum(j.rows_by_period) * (4 if j.file_format in XLSX_FORMATS else 1))
    timer = time.perf_counter()
    tasks = ((job, ctx) for job in order)
    if workers > 1 and plan.rows > 20_000:
        with ProcessPoolExecutor(workers) as pool:
            written = [f for files in pool.map(_write_village, tasks, chunksize=1) for f in files]
    else:
        written = [f for task in tasks for f in _write_village(task)]
    seconds["build_and_write_files"] = time.perf_counter() - timer
    if baseline_csv is not None:
        timer = time.perf_counter()
        with open(baseline_csv, "w", encoding="utf-8", newline="") as target:
            target.write(",".join(COLUMNS) + "\n")
            for period in ctx.periods:
                for job in jobs:
                    part = parts / f"{period}_{job.index:04d}.csv"
                    if part.exists():
                        with open(part, encoding="utf-8", newline="") as source:
                            shutil.copyfileobj(source, target, 1 << 20)
        shutil.rmtree(parts)
        seconds["write_baseline_csv"] = time.perf_counter() - timer

    periods = list(ctx.periods)
    total = lambda key, period: sum(f[key] for f in written if f["period"] == period)
    defects = sum((f["defects"] for f in written), Counter())
    rows_by_format = Counter()
    for f in written:
        rows_by_format[f["format"]] += f["rows"]
    return BenchSummary(
        rows=sum(f["rows"] for f in written),
        files=len(written),
        bytes=sum(f["bytes"] for f in written),
        periods=periods,
        rows_by_period={p: total("rows", p) for p in periods},
        files_by_format=dict(sorted(Counter(f["format"] for f in written).items())),
        rows_by_format=dict(sorted(rows_by_format.items())),
        defects_by_kind=dict(sorted(defects.items())),
        expected_quarantined_by_period={p: total("rows", p) - total("loaded", p) for p in periods},
        expected_loaded_by_period={p: total("loaded", p) for p in periods},
        expected_layak_by_period={p: total("layak", p) for p in periods},
        seconds={k: round(v, 3) for k, v in seconds.items()},
    )


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Write a synthetic landing zone for the benchmark.")
    parser.add_argument("landing", type=Path)
    parser.add_argument("--rows", type=int, default=BenchPlan.rows)
    parser.add_argument("--periods", type=int, default=BenchPlan.periods)
    parser.add_argument("--last-period", default=BenchPlan.last_period)
    parser.add_argument("--bad-share", type=float, default=BenchPlan.bad_share)
    parser.add_argument("--seed", type=int, default=BenchPlan.seed)
    parser.add_argument("--baseline-csv", type=Path)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--summary", type=Path, help="write the summary as JSON here")
    args = parser.parse_args(argv)
    plan = BenchPlan(args.rows, args.periods, args.last_period, args.bad_share, args.seed)
    summary = generate_bench_landing(args.landing, plan, args.baseline_csv, args.workers)
    text = json.dumps(summary.as_dict(), indent=2)
    if args.summary:
        args.summary.write_text(text)
    print(text)


if __name__ == "__main__":
    main()

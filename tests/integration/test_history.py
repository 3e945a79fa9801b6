"""Issue #5: the warehouse remembers each person: versions, facts, transitions, reruns, backfill.

Three periods of two villages, written as village CSV files, with people who improve, die, move,
disappear, re-enter and change address. Every expectation below is worked out by hand.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path

import pytest

from tests.helpers import run_ingest, run_publish, run_validate_load
from verfak.columns import COLUMNS

DESA_A = "32.16.01.2001"  # Sagara Makmur, Tarumajaya
DESA_B = "32.16.12.2003"


def nik(kecamatan: str, birth: dt.date, sex: str, serial: int) -> str:
    day = birth.day + (40 if sex == "P" else 0)
    return f"3216{kecamatan}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


PEOPLE = {
    # key: (kecamatan, birth, sex, serial, name, no_kk serial, village)
    "ani": ("01", dt.date(1980, 3, 14), "P", 1, "Ani Suryani", 1, DESA_A),
    "budi": ("01", dt.date(1975, 7, 2), "L", 2, "Budi Santoso", 2, DESA_A),
    "cecep": ("01", dt.date(1940, 1, 30), "L", 3, "Cecep Hidayat", 3, DESA_A),
    "dewi": ("12", dt.date(1990, 12, 1), "P", 4, "Dewi Lestari", 4, DESA_B),
    "euis": ("12", dt.date(1985, 5, 20), "P", 5, "Euis Komariah", 5, DESA_B),
    "fajar": ("12", dt.date(2001, 2, 28), "L", 6, "Fajar Nugraha", 6, DESA_B),
    "gita": ("01", dt.date(1995, 9, 9), "P", 7, "Gita Permata", 7, DESA_A),
}

# period -> {person: (status, alasan, alamat)}; a person missing from a period was not reported.
TIMELINE = {
    "2024-05": {
        "ani": ("layak", "", "Kp. Bulak RT 1"),
        "budi": ("layak", "", "Kp. Sawah"),
        "cecep": ("layak", "", "Kp. Tengah"),
        "dewi": ("layak", "", "Jl. Mawar 2"),
        "euis": ("layak", "", "Kp. Rawa"),
        "gita": ("layak", "", "Kp. Pulo"),
    },
    "2024-06": {
        "ani": ("layak", "", "Kp. Bulak Baru RT 3"),  # moved house: a new version
        "budi": ("tidak_layak", "Sudah bekerja tetap", "Kp. Sawah"),
        "cecep": ("meninggal", "Meninggal dunia 3 Juni 2024", "Kp. Tengah"),
        "dewi": ("pindah", "Pindah ke Karawang", "Jl. Mawar 2"),
        # euis not reported in June
        "fajar": ("layak", "", "Kp. Baru"),
        "gita": ("tidak_ditemukan", "Tidak ditemukan di alamat", "Kp. Pulo"),
    },
    "2024-07": {
        "ani": ("layak", "", "Kp. Bulak Baru RT 3"),
        "euis": ("layak", "", "Kp. Rawa"),
        "fajar": ("layak", "", "Kp. Baru"),
        "gita": ("layak", "", "Kp. Pulo"),
    },
}


def person_row(key: str, period: str, status: str, alasan: str, alamat: str) -> dict:
    kec, birth, sex, serial, name, kk, village = PEOPLE[key]
    return {
        "nik": nik(kec, birth, sex, serial),
        "no_kk": f"3216{kec}0101{kk:06d}",
        "nama": name,
        "jenis_kelamin": sex,
        "tanggal_lahir": birth.isoformat(),
        "hubungan_keluarga": "Kepala Keluarga",
        "alamat": alamat,
        "rt": "001",
        "rw": "002",
        "kode_desa": village,
        "status_verifikasi": status,
        "alasan": alasan,
        "desil": "1",
        "pekerjaan": "Buruh Harian Lepas",
        "pendidikan": "SD",
        "pendapatan_bulanan": "500000",
        "minat_pelatihan": "",
        "memiliki_usaha": "tidak",
        "minat_usaha": "",
        "no_hp": "081234567890",
        "tanggal_verifikasi": f"{period}-05",
        "petugas": "Petugas Desa",
    }


def write_period(
    landing: Path, period: str, timeline: dict | None = None, suffix: str = "", mtime: float | None = None
):
    entries = (timeline or TIMELINE)[period]
    by_village: dict[str, list[dict]] = {DESA_A: [], DESA_B: []}
    for key, (status, alasan, alamat) in sorted(entries.items()):
        by_village[PEOPLE[key][6]].append(person_row(key, period, status, alasan, alamat))
    for village, rows in by_village.items():
        folder = landing / period / village
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"verfak{suffix}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        if mtime:
            os.utime(path, (mtime, mtime))


def load(landing: Path) -> None:
    run_ingest(landing)
    run_validate_load()
    run_publish()


def N(key: str) -> str:
    kec, birth, sex, serial, *_ = PEOPLE[key]
    return nik(kec, birth, sex, serial)


def versions(warehouse) -> list[tuple]:
    return warehouse.query(
        "SELECT nik, alamat, valid_from::text, valid_to::text FROM core.person_version ORDER BY nik, valid_from"
    )


def facts(warehouse) -> list[tuple]:
    return warehouse.query(
        """SELECT f.period::text, f.nik, f.status_verifikasi, v.alamat, v.valid_from::text
             FROM core.verifikasi f JOIN core.person_version v USING (person_version_id) ORDER BY 1, 2"""
    )


def transitions(warehouse) -> dict[tuple[str, str], str]:
    rows = warehouse.query("SELECT periode, nik, transisi FROM mart.person_transition")
    return {(p, n): t for p, n, t in rows}


EXPECTED_TRANSITIONS = {
    ("2024-05", "ani"): "baru",
    ("2024-05", "budi"): "baru",
    ("2024-05", "cecep"): "baru",
    ("2024-05", "dewi"): "baru",
    ("2024-05", "euis"): "baru",
    ("2024-05", "gita"): "baru",
    ("2024-06", "ani"): "lanjut",
    ("2024-06", "budi"): "keluar_tidak_layak",
    ("2024-06", "cecep"): "keluar_meninggal",
    ("2024-06", "dewi"): "keluar_pindah",
    ("2024-06", "euis"): "keluar_tidak_dilaporkan",
    ("2024-06", "fajar"): "baru",
    ("2024-06", "gita"): "keluar_tidak_ditemukan",
    ("2024-07", "ani"): "lanjut",
    ("2024-07", "euis"): "masuk_kembali",
    ("2024-07", "fajar"): "lanjut",
    ("2024-07", "gita"): "masuk_kembali",
}


def test_three_periods_give_exact_versions_facts_transitions_and_counts(warehouse):
    for period in TIMELINE:
        write_period(warehouse.landing, period)
    load(warehouse.landing)

    assert versions(warehouse) == sorted(
        [  # by NIK, then valid_from
            (N("ani"), "Kp. Bulak RT 1", "2024-05-01", "2024-06-01"),
            (N("ani"), "Kp. Bulak Baru RT 3", "2024-06-01", None),
            (N("budi"), "Kp. Sawah", "2024-05-01", None),
            (N("cecep"), "Kp. Tengah", "2024-05-01", None),
            (N("dewi"), "Jl. Mawar 2", "2024-05-01", None),
            (N("euis"), "Kp. Rawa", "2024-05-01", None),
            (N("fajar"), "Kp. Baru", "2024-06-01", None),
            (N("gita"), "Kp. Pulo", "2024-05-01", None),
        ],
        key=lambda v: (v[0], v[2]),
    )
    # Each fact points at the version valid in its period.
    ani = [(p, a, vf) for p, n, s, a, vf in facts(warehouse) if n == N("ani")]
    assert ani == [
        ("2024-05-01", "Kp. Bulak RT 1", "2024-05-01"),
        ("2024-06-01", "Kp. Bulak Baru RT 3", "2024-06-01"),
        ("2024-07-01", "Kp. Bulak Baru RT 3", "2024-06-01"),
    ]
    assert len(facts(warehouse)) == 6 + 6 + 4

    expected = {(p, N(k)): t for (p, k), t in EXPECTED_TRANSITIONS.items()}
    assert transitions(warehouse) == expected
    layak = dict(warehouse.query("SELECT periode, sum(layak) FROM mart.verified_count GROUP BY 1"))
    assert layak == {"2024-05": 6, "2024-06": 2, "2024-07": 4}
    counts = dict(
        warehouse.query(
            "SELECT transisi, sum(orang) FROM mart.transition_count WHERE periode = '2024-06' GROUP BY 1"
        )
    )
    assert counts == {
        "lanjut": 1,
        "baru": 1,
        "keluar_tidak_layak": 1,
        "keluar_meninggal": 1,
        "keluar_pindah": 1,
        "keluar_tidak_dilaporkan": 1,
        "keluar_tidak_ditemukan": 1,
    }

    # Who was on the list on a date: the latest period started by then.
    on_list = {n for (n,) in warehouse.query("SELECT nik FROM mart.on_list_as_of('2024-06-20')")}
    assert on_list == {N("ani"), N("fajar")}
    assert warehouse.query("SELECT count(*) FROM mart.on_list_as_of('2024-04-30')") == [(0,)]
    timeline = warehouse.query(
        "SELECT periode, status_verifikasi, transisi FROM mart.person_timeline WHERE nik = %s ORDER BY period",
        (N("gita"),),
    )
    assert timeline == [
        ("2024-05", "layak", "baru"),
        ("2024-06", "tidak_ditemukan", "keluar_tidak_ditemukan"),
        ("2024-07", "layak", "masuk_kembali"),
    ]


def test_a_late_period_lands_in_the_right_place_in_history(warehouse, tmp_path):
    """Loading May, July, then June late gives exactly the history of loading them in order."""
    write_period(warehouse.landing, "2024-05")
    write_period(warehouse.landing, "2024-07")
    load(warehouse.landing)
    write_period(warehouse.landing, "2024-06")
    load(warehouse.landing)
    late = (versions(warehouse), facts(warehouse), transitions(warehouse))

    from tests.conftest import DATA_TABLES

    warehouse.query(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE; SELECT 1")
    in_order = tmp_path / "in_order"
    for period in TIMELINE:
        write_period(in_order, period)
    load(in_order)
    assert (versions(warehouse), facts(warehouse), transitions(warehouse)) == late


def test_rerun_and_late_correction_replace_only_that_village_and_period(warehouse):
    for period in TIMELINE:
        write_period(warehouse.landing, period)
    load(warehouse.landing)
    snapshot = {
        t: warehouse.query(f"SELECT * FROM {t} ORDER BY 1, 2")
        for t in ("core.verifikasi", "core.person_version", "core.household", "mart.person_transition")
    }

    # Rerun every period's load: the warehouse is identical, row for row (ids included).
    warehouse.query("UPDATE raw.submission_file SET loaded_at = NULL; SELECT 1")
    run_validate_load()
    run_publish()
    for table, rows in snapshot.items():
        assert warehouse.query(f"SELECT * FROM {table} ORDER BY 1, 2") == rows, table

    # Village A corrects June late: Ani did not move after all, Budi is still layak.
    corrected = {p: dict(v) for p, v in TIMELINE.items()}
    corrected["2024-06"]["ani"] = ("layak", "", "Kp. Bulak RT 1")
    corrected["2024-06"]["budi"] = ("layak", "", "Kp. Sawah")
    june_a = warehouse.landing / "2024-06" / DESA_A / "verfak.csv"
    write_period(
        warehouse.landing, "2024-06", corrected, suffix="_perbaikan", mtime=june_a.stat().st_mtime + 3600
    )
    (warehouse.landing / "2024-06" / DESA_B / "verfak_perbaikan.csv").unlink()  # only village A resubmits
    load(warehouse.landing)

    assert [v for v in versions(warehouse) if v[0] == N("ani")] == [
        (N("ani"), "Kp. Bulak RT 1", "2024-05-01", "2024-07-01"),
        (N("ani"), "Kp. Bulak Baru RT 3", "2024-07-01", None),
    ]
    layak = dict(warehouse.query("SELECT periode, sum(layak) FROM mart.verified_count GROUP BY 1"))
    assert layak == {"2024-05": 6, "2024-06": 3, "2024-07": 4}
    # Village B's June facts and every other period are untouched.
    for table in ("core.verifikasi",):
        before = [r for r in snapshot[table] if not (str(r[0]) == "2024-06-01" and r[11] == DESA_A)]
        after = [
            r
            for r in warehouse.query(f"SELECT * FROM {table} ORDER BY 1, 2")
            if not (str(r[0]) == "2024-06-01" and r[11] == DESA_A)
        ]
        strip = lambda rows: [r[:2] + r[3:] for r in rows]  # person_version_id may move with Ani's history
        assert strip(after) == strip(before)
    assert transitions(warehouse)[("2024-06", N("budi"))] == "lanjut"


def test_a_load_killed_halfway_leaves_no_partial_period_and_the_next_run_finishes_it(warehouse, monkeypatch):
    write_period(warehouse.landing, "2024-05")
    load(warehouse.landing)
    before = {
        t: warehouse.query(f"SELECT * FROM {t} ORDER BY 1, 2")
        for t in ("core.verifikasi", "core.person_version", "staging.verifikasi", "quality.row_issue")
    }
    write_period(warehouse.landing, "2024-06")
    run_ingest(warehouse.landing)

    from verfak import db

    real = db.run_sql_file

    def dies_after_core_statements(cur, relative, params=None):
        real(cur, relative, params)
        if relative == "core/load_period.sql":
            raise RuntimeError("injected failure: worker killed between statements")

    monkeypatch.setattr(db, "run_sql_file", dies_after_core_statements)
    with pytest.raises(RuntimeError, match="injected failure"):
        run_validate_load()
    for table, rows in before.items():
        assert warehouse.query(f"SELECT * FROM {table} ORDER BY 1, 2") == rows, table
    assert (
        warehouse.scalar(
            "SELECT count(*) FROM raw.submission_file WHERE periode = '2024-06' AND loaded_at IS NULL"
        )
        == 2
    )

    monkeypatch.setattr(db, "run_sql_file", real)
    outcomes = run_validate_load()
    assert [o["period"] for o in outcomes] == ["2024-06"]
    assert outcomes[0]["layak"] == 2


def test_the_load_refuses_a_fact_whose_file_is_not_registered(warehouse, monkeypatch):
    """Core has no foreign-key triggers (migration 0013): the load checks its own references.
    A fact that got past the gate pointing at a file raw does not know (a gate bug, injected here)
    stops the whole batch."""
    write_period(warehouse.landing, "2024-05")
    run_ingest(warehouse.landing)

    from verfak import load

    real = load._copy_frame

    def gate_bug(cur, table, frame, columns):
        if table == "staging.verifikasi":
            frame = frame.copy()
            frame.loc[frame.index[0], "file_id"] = 999_999_999
        real(cur, table, frame, columns)

    monkeypatch.setattr(load, "_copy_frame", gate_bug)
    with pytest.raises(
        Exception,
        match=r"integrity check failed \(unknown villages of the facts: 0, unknown files of the "
        r"facts: 1, unknown villages of the versions: 0, facts of the batch without a version: 0, "
        r"facts of other periods without a version: 0\)",
    ):
        run_validate_load()
    for table in ("core.verifikasi", "core.person_version", "staging.verifikasi"):
        assert warehouse.scalar(f"SELECT count(*) FROM {table}") == 0, table

    monkeypatch.setattr(load, "_copy_frame", real)
    assert [o["period"] for o in run_validate_load()] == ["2024-05"]
    assert warehouse.scalar("SELECT count(*) FROM core.verifikasi") == len(TIMELINE["2024-05"])

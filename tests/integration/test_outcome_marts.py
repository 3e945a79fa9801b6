"""Issue 13, slice 5: a return file through to the funnel, and capital ranked by training outcomes."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from tests.helpers import run_publish
from tests.integration.test_return_files import (  # noqa: F401
    EXPORT_DAY,
    nik,
    referred,
    run_returns,
    write_return,
)


def capital_list(warehouse, day):
    frame = pd.read_csv(warehouse.exports / "permodalan" / day.isoformat() / "referrals.csv", dtype="str")
    return list(frame["nik"])


def test_training_graduates_come_first_for_capital_and_the_funnel_counts_them(referred):  # noqa: F811
    warehouse, ids = referred
    # Capital, by income only: person 4 (50,000), 2 (200,000), 1 (300,000).
    assert capital_list(warehouse, EXPORT_DAY) == [nik(4), nik(2), nik(1)]
    pl1, pl3 = ids[("pelatihan", nik(1))], ids[("pelatihan", nik(3))]
    write_return(
        warehouse.landing,
        "pelatihan",
        "2024-08",
        [
            {"referral_id": pl1, "nik": nik(1), "status_tindak_lanjut": "diterima", "tanggal": "03/07/2024"},
            {"referral_id": pl1, "nik": nik(1), "status_tindak_lanjut": "selesai", "tanggal": "20/08/2024"},
            {
                "referral_id": pl3,
                "nik": nik(3),
                "status_tindak_lanjut": "tidak_dapat_dihubungi",
                "tanggal": "05/07/2024",
            },
        ],
    )
    run_returns(warehouse.landing)
    day = dt.date(2024, 9, 1)
    run_publish(day)
    # The graduate (person 1) now comes first; nobody is dropped (ranking, not a filter).
    assert capital_list(warehouse, day) == [nik(1), nik(4), nik(2)]

    funnel = warehouse.query(
        """SELECT program, sum(dirujuk)::int, sum(dijawab)::int, sum(diterima)::int, sum(selesai)::int,
                  sum(tidak_dapat_dihubungi)::int, sum(belum_dijawab)::int, max(median_hari_selesai)
             FROM mart.outcome_funnel WHERE periode = '2024-06' GROUP BY program ORDER BY program"""
    )
    assert funnel[1] == ("pelatihan", 3, 2, 1, 1, 1, 1, 50.0)  # 2024-07-01 -> 2024-08-20
    assert warehouse.scalar("SELECT jalur FROM mart.person_program WHERE nik = %s", (nik(1),)) == (
        "bantuan_tunai:belum_dijawab > pelatihan:selesai > permodalan:belum_dijawab"
    )


def test_capital_already_disbursed_is_not_referred_again(referred, monkeypatch, tmp_path):  # noqa: F811
    """exclude_outcome: with a repeating capital program, a person whose earlier referral stands at
    dana_cair is left out of the next period's list."""
    warehouse, ids = referred
    pm1 = ids[("permodalan", nik(1))]
    write_return(
        warehouse.landing,
        "permodalan",
        "2024-09",
        [
            {"referral_id": pm1, "nik": nik(1), "status_tindak_lanjut": "diterima", "tanggal": "02/07/2024"},
            {
                "referral_id": pm1,
                "nik": nik(1),
                "status_tindak_lanjut": "dana_cair",
                "tanggal": "01/09/2024",
                "nilai": "2500000",
            },
        ],
    )
    run_returns(warehouse.landing)
    config = tmp_path / "programs.yaml"
    from verfak.config import programs_file

    text = (
        programs_file()
        .read_text()
        .replace("minat_usaha_or_usaha: true\n", "minat_usaha_or_usaha: true\n      repeat: true\n")
    )
    config.write_text(text)
    monkeypatch.setenv("VERFAK_PROGRAMS_FILE", str(config))
    # Pretend the list is chosen for a later period: the June referral is an earlier one then.
    warehouse.query(
        "UPDATE publish.referral SET period = '2024-05-01' WHERE referral_id = %s RETURNING 1", (pm1,)
    )
    run_publish(dt.date(2024, 9, 2))
    assert nik(1) not in capital_list(warehouse, dt.date(2024, 9, 2))
    assert capital_list(warehouse, dt.date(2024, 9, 2)) == [nik(4), nik(2)]

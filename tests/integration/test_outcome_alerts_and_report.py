"""Issue 13, slice 7: unanswered referrals raise one alert per agency per night, and the nightly
report and the run summary show the funnel and the unanswered counts, never a person."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from tests.integration.test_return_files import (  # noqa: F401
    nik,
    referred,
    run_returns,
    write_return,
)
from verfak import outcome_report, report, summary


def alerts(warehouse):
    return warehouse.query(
        "SELECT subject, night, message FROM ops.alert WHERE kind = 'referral_unanswered' ORDER BY alert_id"
    )


def answer_training(warehouse, ids):
    pl1 = ids[("pelatihan", nik(1))]
    write_return(
        warehouse.landing,
        "pelatihan",
        "2024-07",
        [{"referral_id": pl1, "nik": nik(1), "status_tindak_lanjut": "diterima", "tanggal": "03/07/2024"}],
    )
    run_returns(warehouse.landing)


def test_one_alert_per_agency_per_night_and_none_within_response_days(referred, monkeypatch, caplog):  # noqa: F811
    warehouse, ids = referred
    monkeypatch.delenv("AIRFLOW_CONN_VERFAK_ALERT_WEBHOOK", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_VERFAK_ALERT_SMTP", raising=False)
    caplog.set_level(logging.INFO)
    answer_training(warehouse, ids)
    # Exported 2024-07-01, response_days 30: on 2024-07-31 nothing is overdue yet.
    assert outcome_report.alert_unanswered(dt.date(2024, 7, 31)) == []
    assert alerts(warehouse) == []

    night = dt.date(2024, 8, 5)
    raised = outcome_report.alert_unanswered(night, run_id="manual__1")
    # 4 cash-aid and 2 of 3 training referrals (person 1 answered) are past 30 days; capital has 45.
    assert sorted((r["agency"], r["unanswered"]) for r in raised) == [
        ("Dinas Sosial Kabupaten Bekasi", 4),
        ("Dinas Tenaga Kerja Kabupaten Bekasi", 2),
    ]
    rows = alerts(warehouse)
    assert len(rows) == 2
    assert {r[1] for r in rows} == {night}
    assert "pelatihan 2 (batas 30 hari)" in next(m for s, _, m in rows if s.startswith("Dinas Tenaga"))
    # Idempotent within the night (a rerun, a second publish): nothing more, nothing sent again.
    assert outcome_report.alert_unanswered(night, run_id="manual__2") == []
    assert len(alerts(warehouse)) == 2
    # Later nights: once each, the capital agency too once its 45 days are over.
    assert len(outcome_report.alert_unanswered(night + dt.timedelta(days=1))) == 2
    assert len(outcome_report.alert_unanswered(dt.date(2024, 8, 20))) == 3
    assert len(alerts(warehouse)) == 7
    # No personal data in the alerts or the log.
    people = [nik(s) for s in (1, 2, 3, 4)] + [f"Warga {s}" for s in (1, 2, 3, 4)]
    text = caplog.text + " ".join(m for _, _, m in alerts(warehouse))
    assert not [p for p in people if p in text]
    assert "ALERT referral_unanswered: dag=verfak_publish run=manual__1" in caplog.text


def test_report_and_summary_show_the_funnel_and_unanswered_counts(referred, capsys):  # noqa: F811
    warehouse, ids = referred
    answer_training(warehouse, ids)
    from tests.helpers import run_publish

    run_publish(dt.date(2024, 8, 15))
    written = report.write_report(dt.date(2024, 8, 15))
    page = Path(written["report"]).read_text(encoding="utf-8")
    assert 'id="funnel-chart"' in page
    assert 'id="funnel-table"' in page
    assert 'id="unanswered-villages"' in page
    assert "Dinas Tenaga Kerja Kabupaten Bekasi" in page
    assert not [p for p in [nik(s) for s in (1, 2, 3, 4)] + ["Warga 1", "Warga 2"] if p in page]
    info = report.collect(run_date=dt.date(2024, 8, 15))
    funnel = {f["program"]: f for f in info["funnel"]}
    assert (
        funnel["pelatihan"]["dirujuk"],
        funnel["pelatihan"]["diterima"],
        funnel["pelatihan"]["belum_dijawab"],
    ) == (3, 1, 2)
    assert {(u["program"], u["belum_dijawab"]) for u in info["unanswered"]} == {
        ("bantuan_tunai", 4),
        ("pelatihan", 2),
    }  # capital: 45 days, not yet
    # Within response_days the report lists none.
    assert report.collect(run_date=dt.date(2024, 7, 20))["unanswered"] == []

    summary.print_summary()
    out = capsys.readouterr().out
    assert "Referral outcomes (tindak lanjut), per program and status:" in out
    assert "  pelatihan (2024-06): 3 referred, 1 answered" in out
    assert "    belum_dijawab 2, diterima 1 (every period)" in out

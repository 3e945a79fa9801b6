"""Completeness and timeliness per village, kecamatan and regency on the sample with gaps and delays."""

from __future__ import annotations

import psycopg2
import pytest

from tests.ops.conftest import SCENARIO, expected_completeness, query
from verfak import completeness

COUNTS = ("expected", "received", "on_time", "late", "missing", "rejected_only")


@pytest.mark.parametrize("period", sorted(SCENARIO))
def test_every_kecamatan_and_the_regency_match_the_scenario(ops_run, period):
    expected = expected_completeness(period)
    actual = {
        row["kode_kecamatan"]: {k: row[k] for k in COUNTS}
        for row in completeness.completeness(period)["kecamatan"]
    }
    assert len(actual) == 23
    assert actual == {k: v for k, v in expected.items() if k != "kabupaten"}
    regency = completeness.completeness(period)["regency"]
    assert {k: regency[k] for k in COUNTS} == expected["kabupaten"]


def test_the_numbers_themselves(ops_run):
    """The same expectations written out, so a wrong helper can't hide a wrong view."""
    june = completeness.completeness("2024-06")
    assert june["cutoff_day"] == 17
    r = june["regency"]
    assert (r["expected"], r["received"], r["on_time"], r["late"], r["missing"], r["rejected_only"]) == (
        187,
        183,
        180,
        3,
        4,
        1,
    )
    assert float(r["reporting_rate"]) == 97.9
    assert float(r["reporting_rate_on_time"]) == 96.3
    by_name = {k["nama_kecamatan"]: k for k in june["kecamatan"]}
    assert [by_name["Tarumajaya"][k] for k in COUNTS] == [8, 5, 5, 0, 3, 0]
    assert [by_name["Babelan"][k] for k in COUNTS] == [9, 9, 7, 2, 0, 1]
    assert [by_name["Sukawangi"][k] for k in COUNTS] == [7, 6, 5, 1, 1, 0]
    may = completeness.completeness("2024-05")["regency"]
    assert (may["expected"], may["received"], may["on_time"], may["late"], may["missing"]) == (
        187,
        186,
        184,
        2,
        1,
    )
    # every period is closed (its cut-off is in the past) and both are listed, oldest first
    assert [(p["periode"], p["period_closed"]) for p in june["by_period"]] == [
        ("2024-05", True),
        ("2024-06", True),
    ]


def test_villages_to_follow_up_name_each_problem(ops_run):
    villages = {v["kode_desa"]: v for v in completeness.completeness("2024-06")["villages"]}
    plan = SCENARIO["2024-06"]
    for kode_desa in plan["missing"]:
        assert villages[kode_desa]["problem"] == "missing"
        assert villages[kode_desa]["files"] == 0
    for kode_desa in plan["late"]:
        assert villages[kode_desa]["problem"] == "late"
        assert villages[kode_desa]["late"]
        assert not villages[kode_desa]["on_time"]
    scan = villages["32.16.02.2004"]
    assert scan["problem"] == "rejected_only"
    assert scan["on_time"]
    assert not scan["accepted"]
    assert (scan["files"], scan["files_rejected"], scan["rows_read"]) == (1, 1, 0)
    # the last second of the cut-off day is on time; the village is listed only if it has errors
    edge = query(
        ops_run["uri"],
        "SELECT on_time, late FROM mart.completeness_desa "
        "WHERE periode = '2024-06' AND kode_desa = '32.16.02.2003'",
    )
    assert edge == [(True, False)]


def test_a_late_correction_keeps_the_village_on_time(ops_run):
    row = query(
        ops_run["uri"],
        """SELECT on_time, late, files, accepted, rows_read FROM mart.completeness_desa
                                    WHERE periode = '2024-06' AND kode_desa = %s""",
        (ops_run["corrected"],),
    )
    ((on_time, late, files, accepted, rows_read),) = row
    assert (on_time, late, files, accepted) == (True, False, 2, True)
    assert rows_read > 0


def test_rows_with_errors_are_the_sample_defects_of_the_villages_that_sent(ops_run):
    """Each of the sample's bad rows counts once, in the village that sent it (unless it sent nothing readable)."""
    for period, plan in SCENARIO.items():
        unreadable = set(plan["missing"]) | set(plan.get("rejected_only", {}))
        bad = {
            (b.kode_desa, b.source_row)
            for b in ops_run["summary"].bad_rows
            if b.period == period and b.kode_desa not in unreadable
        }
        regency = completeness.completeness(period)["regency"]
        assert regency["rows_error"] == len(bad) > 0
        flagged = {v["kode_desa"]: v["rows_error"] for v in completeness.completeness(period)["villages"]}
        for kode_desa in {d for d, _ in bad}:
            assert flagged[kode_desa] == sum(1 for d, _ in bad if d == kode_desa)


def test_cutoff_day_comes_from_the_environment(ops_run, monkeypatch):
    monkeypatch.setenv("VERFAK_CUTOFF_DAY", "25")
    june = completeness.completeness("2024-06")
    assert june["cutoff_day"] == 25
    # 18 June 00:00 and 25 June 10:00 are now on time; 2 July is still late
    assert (june["regency"]["on_time"], june["regency"]["late"]) == (182, 1)
    monkeypatch.setenv("VERFAK_CUTOFF_DAY", "40")
    with pytest.raises(ValueError, match="VERFAK_CUTOFF_DAY"):
        completeness.completeness("2024-06")


def test_sql_users_get_the_default_or_their_setting(ops_run):
    """The views read the cut-off from the setting verfak.cutoff_day (default 17); a day past the
    month's end means its last day."""
    assert query(
        ops_run["uri"], "SELECT on_time FROM mart.completeness_kabupaten WHERE periode = '2024-06'"
    ) == [(180,)]
    with psycopg2.connect(ops_run["uri"]) as conn, conn.cursor() as cur:
        cur.execute("SET verfak.cutoff_day = 31")
        cur.execute("""SELECT cutoff_at AT TIME ZONE 'Asia/Jakarta', on_time FROM mart.completeness_kabupaten
                        WHERE periode = '2024-06'""")
        cutoff, on_time = cur.fetchone()
    conn.close()
    assert str(cutoff) == "2024-07-01 00:00:00"  # June has 30 days: the cut-off is the end of 30 June
    assert on_time == 182

"""Issue 13, slice 1: the outcome tables, the statuses copied from Python, the current-status view."""

from __future__ import annotations

import datetime as dt

from verfak.outcomes import STATUSES


def test_statuses_in_the_warehouse_are_the_python_declaration(warehouse):
    rows = warehouse.query("SELECT status, money, allowed_first FROM ref.outcome_status ORDER BY status")
    assert rows == sorted((s.status, s.money, None in s.allowed_after) for s in STATUSES)


def test_current_status_is_derived_from_dated_events_never_overwritten(warehouse):
    warehouse.query("""INSERT INTO publish.referral (referral_id, program, period, nik, urutan, status_rujukan,
                           first_export) VALUES ('PL-202406-0000001', 'pelatihan', '2024-06-01', '3216010101900001',
                           1, 'baru', '2024-07-01') RETURNING 1""")
    for status, day in (("selesai", "2024-08-20"), ("diterima", "2024-07-03")):  # reported out of order
        warehouse.query(
            """INSERT INTO publish.referral_outcome (referral_id, status, tanggal, source, reported_at)
                           VALUES ('PL-202406-0000001', %s, %s, 'database', now()) RETURNING 1""",
            (status, day),
        )
    assert warehouse.query("SELECT status, tanggal FROM publish.referral_status") == [
        ("selesai", dt.date(2024, 8, 20))
    ]
    assert warehouse.scalar("SELECT count(*) FROM publish.referral_outcome") == 2

"""Issue 13, slice 4: an agency records outcomes through publish.catat_tindak_lanjut, for its own
program's referrals only, logged in as its own role; it can't write any table directly."""

from __future__ import annotations

import datetime as dt

import psycopg2
import pytest
from psycopg2 import errors

from tests.integration.test_return_files import (
    nik,
    referred,  # noqa: F401  (fixture)
)
from verfak.agency import set_password, sync_agencies

PASSWORDS = {"pelatihan": "pw-pl-route-0001", "permodalan": "pw-pm-route-0001"}


def login(uri, program):
    dsn = psycopg2.extensions.parse_dsn(uri)
    dsn.update(user=f"agency_{program}", password=PASSWORDS[program])
    conn = psycopg2.connect(**dsn)
    conn.autocommit = True
    return conn


def record(conn, *args):
    with conn.cursor() as cur:
        cur.execute("SELECT publish.catat_tindak_lanjut(%s, %s, %s, %s, %s, %s)", args)
        return cur.fetchone()[0]


def test_each_agency_records_its_own_outcomes_and_nothing_else(referred):  # noqa: F811
    warehouse, ids = referred
    with psycopg2.connect(warehouse.uri) as conn, conn.cursor() as cur:
        sync_agencies(cur)
        from verfak.migrate import load_outcome_reference

        load_outcome_reference(cur)
    conn.close()
    for program, password in PASSWORDS.items():  # the administrator's command (runs never set logins)
        admin = psycopg2.connect(warehouse.uri)
        try:
            set_password(program, password, admin)
        finally:
            admin.close()
    training, capital = ids[("pelatihan", nik(1))], ids[("permodalan", nik(1))]
    labour, coop = login(warehouse.uri, "pelatihan"), login(warehouse.uri, "permodalan")
    try:
        first = record(labour, training, "diterima", dt.date(2024, 7, 3), None, None, None)
        assert record(labour, training, "selesai", dt.date(2024, 8, 20), None, "Menjahit 1", None) > first
        assert (
            record(labour, training, "diterima", dt.date(2024, 7, 3), None, None, None) == first
        )  # same fact
        record(coop, capital, "diterima", dt.date(2024, 9, 1), None, None, None)
        record(coop, capital, "dana_cair", dt.date(2024, 9, 5), 2500000, "Tahap 1", None)

        # The fence: another program's referral is refused, both ways, and looks like an unknown one.
        with pytest.raises(errors.InsufficientPrivilege, match="tl_referral_dikenal"):
            record(labour, capital, "diterima", dt.date(2024, 9, 1), None, None, None)
        with pytest.raises(errors.InsufficientPrivilege, match="tl_referral_dikenal"):
            record(coop, training, "tidak_selesai", dt.date(2024, 8, 21), None, None, "koreksi: salah")
        # The same rules as a return file, with their messages.
        with pytest.raises(errors.CheckViolation, match="tl_perpindahan_sah: Urutan status tidak sah"):
            record(labour, training, "tidak_selesai", dt.date(2024, 8, 25), None, None, None)  # after final
        with pytest.raises(errors.CheckViolation, match="tl_status_program"):
            record(labour, training, "dana_cair", dt.date(2024, 8, 25), 1000, None, None)
        record(coop, ids[("permodalan", nik(2))], "diterima", dt.date(2024, 9, 1), None, None, None)
        with pytest.raises(errors.CheckViolation, match="tl_nilai_wajib"):
            record(coop, ids[("permodalan", nik(2))], "dana_cair", dt.date(2024, 9, 5), None, None, None)
        with pytest.raises(errors.CheckViolation, match="tl_tanggal_tidak_di_masa_depan"):
            record(coop, ids[("permodalan", nik(4))], "diterima", dt.date(2099, 1, 1), None, None, None)
        with pytest.raises(errors.CheckViolation, match="tl_tanggal_setelah_rujukan"):
            record(coop, ids[("permodalan", nik(4))], "diterima", dt.date(2024, 6, 1), None, None, None)
        # A correction may follow a final status.
        record(labour, training, "tidak_selesai", dt.date(2024, 8, 25), None, None, "Koreksi: belum lulus")

        # No direct writes, and no reading the event table either.
        for conn in (labour, coop):
            with conn.cursor() as cur:
                for statement in (
                    "INSERT INTO publish.referral_outcome (referral_id, status, tanggal, source, reported_at) "
                    f"VALUES ('{training}', 'selesai', '2024-08-30', 'database', now())",
                    "UPDATE publish.referral_outcome SET status = 'selesai'",
                    "DELETE FROM publish.referral_outcome",
                    "SELECT * FROM publish.referral_outcome",
                ):
                    with pytest.raises(errors.InsufficientPrivilege):
                        cur.execute(statement)
    finally:
        labour.close()
        coop.close()
        for program in PASSWORDS:  # roles are cluster-wide: take the test logins away again
            admin = psycopg2.connect(warehouse.uri)
            try:
                set_password(program, None, admin)
            finally:
                admin.close()
    rows = warehouse.query(
        "SELECT referral_id, status, recorded_by, source FROM publish.referral_outcome "
        "ORDER BY tanggal, outcome_id"
    )
    assert rows == [
        (training, "diterima", "agency_pelatihan", "database"),
        (training, "selesai", "agency_pelatihan", "database"),
        (training, "tidak_selesai", "agency_pelatihan", "database"),
        (capital, "diterima", "agency_permodalan", "database"),
        (ids[("permodalan", nik(2))], "diterima", "agency_permodalan", "database"),
        (capital, "dana_cair", "agency_permodalan", "database"),
    ]
    assert dict(warehouse.query("SELECT referral_id, status FROM publish.referral_status")) == {
        training: "tidak_selesai",
        capital: "dana_cair",
        ids[("permodalan", nik(2))]: "diterima",
    }

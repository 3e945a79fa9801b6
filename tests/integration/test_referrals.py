"""Issue #6: referrals by program rule, referral history, exports, agency least privilege."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import psycopg2
import pyarrow.parquet as pq
import pytest
from psycopg2 import errors

from tests.helpers import (
    make_nik,
    run_all,
    run_ingest,
    run_publish,
    run_validate_load,
    village_row,
    write_submission_csv,
)
from verfak import exports, publish
from verfak.agency import set_password, sync_agencies
from verfak.exports import verify_export
from verfak.programs import load_programs

DESA = "32.16.01.2001"
JUNE_DAY = dt.date(2024, 7, 1)


def person(serial, age, sex="P", **values):
    birth = dt.date(2024 - age, 3, 1)
    return serial, birth, sex, values


# serial, age, sex, overrides: who qualifies for what is worked out by hand below.
MAY = [
    person(1, 30, minat_pelatihan="menjahit", pendapatan_bulanan="300000", memiliki_usaha="ya"),
    person(2, 60, minat_pelatihan="menjahit", pendapatan_bulanan="200000", minat_usaha="warung"),
    person(3, 16, "L", minat_pelatihan="salon", pendapatan_bulanan="0", pendidikan="SMP"),
    person(
        4,
        30,
        "L",
        status_verifikasi="tidak_layak",
        alasan="Sudah bekerja tetap",
        minat_pelatihan="las",
        memiliki_usaha="ya",
    ),
    person(5, 40, "L", pendapatan_bulanan="450000"),
    person(6, 25, minat_pelatihan="tata_boga", pendapatan_bulanan="100000"),
]
JUNE = MAY[:3] + MAY[4:] + [person(7, 35, minat_pelatihan="menjahit;salon", pendapatan_bulanan="50000")]


def rows(period, people):
    return [village_row(period, DESA, serial, birth, sex, **values) for serial, birth, sex, values in people]


def nik_of(serial: int) -> str:
    serial_, birth, sex, _ = next(p for p in MAY + JUNE if p[0] == serial)
    return make_nik("01", birth, sex, serial_)


def export_frame(warehouse, program, day=JUNE_DAY):
    return pd.read_csv(warehouse.exports / program / day.isoformat() / "referrals.csv", dtype="str")


@pytest.fixture
def two_periods(warehouse):
    write_submission_csv(warehouse.landing, "2024-05", DESA, rows("2024-05", MAY))
    run_all(warehouse.landing, export_date=dt.date(2024, 6, 1))
    may = {p: export_frame(warehouse, p, dt.date(2024, 6, 1)) for p in load_programs()}
    write_submission_csv(warehouse.landing, "2024-06", DESA, rows("2024-06", JUNE))
    run_all(warehouse.landing, export_date=JUNE_DAY)
    return warehouse, may


def test_each_program_selects_by_its_rule_in_priority_order(two_periods):
    _warehouse, may = two_periods
    # May: training = layak, 18-55, a training interest; cheapest income first.
    assert list(may["pelatihan"]["nik"]) == [nik_of(6), nik_of(1)]
    # Business capital = layak, 18-60, a business or a business interest; lowest income first.
    assert list(may["permodalan"]["nik"]) == [nik_of(2), nik_of(1)]
    # Cash aid: every layak person (4 is tidak_layak).
    assert set(may["bantuan_tunai"]["nik"]) == {nik_of(s) for s in (1, 2, 3, 5, 6)}
    assert set(may["bantuan_tunai"]["status_rujukan"]) == {"baru"}
    # An agency gets its columns only.
    assert list(may["pelatihan"].columns) == [
        "referral_id",
        "status_rujukan",
        "periode",
        "status_tindak_lanjut",
        *load_programs()["pelatihan"].columns,
    ]
    assert "no_kk" not in may["pelatihan"].columns
    assert "alamat" not in may["permodalan"].columns


def test_the_first_publish_leaves_the_referral_statistics_current(warehouse):
    """Issue 15: a publish into a warehouse whose ``publish.referral`` statistics know fewer rows than
    the program's period holds (never analysed: the first publish) analyses the table before the
    export's query, which otherwise joined every referral by index loops (1,000,000 rows: 6.0 s
    instead of 3.4 s). Programs publish one after another here; the largest list comes first."""
    write_submission_csv(warehouse.landing, "2024-05", DESA, rows("2024-05", MAY))
    run_all(warehouse.landing, export_date=dt.date(2024, 6, 1))
    with psycopg2.connect(warehouse.uri) as conn, conn.cursor() as cur:
        cur.execute("SELECT reltuples FROM pg_class WHERE oid = 'publish.referral'::regclass")
        (reltuples,) = cur.fetchone()
        cur.execute("SELECT max(n) FROM (SELECT count(*) AS n FROM publish.referral GROUP BY program) p")
        (largest,) = cur.fetchone()
    conn.close()
    assert largest > 0
    assert reltuples >= largest


def test_publish_analyses_core_when_its_statistics_are_out_of_date(warehouse):
    """Issue 15: a period's load changes more than a tenth of core.verifikasi; the publish that
    follows analyses it before reading it (planned without statistics, the cash-aid selection of
    1,000,000 rows took 19.6 s instead of 7.0 s), and a rerun with nothing changed does not."""
    import time

    def core_statistics():
        with psycopg2.connect(warehouse.uri) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT n_mod_since_analyze, last_analyze, now() FROM pg_stat_user_tables "
                "WHERE relid = 'core.verifikasi'::regclass"
            )
            row = cur.fetchone()
        conn.close()
        return row

    write_submission_csv(warehouse.landing, "2024-05", DESA, rows("2024-05", MAY))
    run_ingest(warehouse.landing)
    run_validate_load()
    for _ in range(50):  # the loading sessions report their row counts as they close
        changed, _, before = core_statistics()
        if changed:
            break
        time.sleep(0.1)
    run_publish(dt.date(2024, 6, 1))
    changed, analysed, _ = core_statistics()
    assert analysed is not None
    assert analysed > before
    assert changed == 0
    assert publish.analyse_core_if_stale() is False


def test_referral_history_no_second_training_and_new_cash_aid_people_marked(two_periods):
    warehouse, _may = two_periods
    june = {p: export_frame(warehouse, p) for p in load_programs()}
    # Already trained / funded people are not referred again; 7 is new and the only one.
    assert list(june["pelatihan"]["nik"]) == [nik_of(7)]
    assert list(june["permodalan"]["nik"]) == []
    cash = june["bantuan_tunai"].set_index("nik")
    assert cash.loc[nik_of(7), "status_rujukan"] == "baru"
    assert set(cash.drop(index=nik_of(7))["status_rujukan"]) == {"lanjutan"}
    # Ids are stable: the same person keeps a different id per period, and a rerun keeps them all.
    before = warehouse.query("SELECT referral_id, program, period, nik FROM publish.referral ORDER BY 1")
    run_publish(JUNE_DAY)
    assert (
        warehouse.query("SELECT referral_id, program, period, nik FROM publish.referral ORDER BY 1") == before
    )
    assert (
        pd.read_csv(
            warehouse.exports / "bantuan_tunai" / JUNE_DAY.isoformat() / "referrals.csv", dtype="str"
        )["referral_id"].tolist()
        == june["bantuan_tunai"]["referral_id"].tolist()
    )
    assert june["bantuan_tunai"]["referral_id"].str.fullmatch(r"BT-202406-\d{7}").all()


def test_quota_keeps_the_first_in_priority(two_periods, tmp_path, monkeypatch):
    warehouse, _ = two_periods
    config = tmp_path / "programs.yaml"
    config.write_text(
        "programs:\n  bantuan_tunai:\n    agency: Dinsos\n    rule: {status: [layak], repeat: true}\n"
        "    priority: [pendapatan_bulanan asc]\n    quota: 2\n    columns: [nik, nama, pendapatan_bulanan]\n"
    )
    monkeypatch.setenv("VERFAK_PROGRAMS_FILE", str(config))
    result = publish.publish_program("bantuan_tunai", dt.date(2024, 7, 2))
    assert result["rows"] == 2
    frame = export_frame(warehouse, "bantuan_tunai", dt.date(2024, 7, 2))
    assert list(frame["nik"]) == [nik_of(3), nik_of(7)]  # incomes 0 and 50,000
    assert list(frame["pendapatan_bulanan"]) == ["0", "50000"]


def test_exports_open_without_harm_in_every_format(two_periods):
    warehouse, _ = two_periods
    folder = warehouse.exports / "bantuan_tunai" / JUNE_DAY.isoformat()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["row_count"] == 6
    assert manifest["period"] == "2024-06"
    assert manifest["new_referrals"] == 1
    assert {c["name"]: c["type"] for c in manifest["columns"]}["tanggal_lahir"] == "date"
    assert verify_export(folder) == []
    text = (folder / "referrals.csv").read_text(encoding="utf-8")
    assert "E+" not in text
    assert nik_of(1) in text
    table = pq.read_table(folder / "referrals.parquet")
    assert str(table.schema.field("nik").type) == "string"
    assert str(table.schema.field("no_hp").type) == "string"
    assert table.column("no_hp").to_pylist()[0] == "081234567890"  # leading zero kept
    sheet = openpyxl.load_workbook(folder / "referrals.xlsx").active
    header = [c.value for c in sheet[1]]
    for column in ("nik", "no_kk", "no_hp"):
        cells = [row[header.index(column)] for row in sheet.iter_rows(min_row=2)]
        assert all(c.data_type == "s" and c.number_format == "@" for c in cells), column
    birth = sheet.cell(row=2, column=header.index("tanggal_lahir") + 1)
    assert isinstance(birth.value, dt.datetime)
    assert birth.number_format == "DD/MM/YYYY"
    # Tampering is caught.
    (folder / "referrals.csv").write_text(text.replace(nik_of(1), nik_of(1)[:-1] + "9"), encoding="utf-8")
    assert verify_export(folder) == ["referrals.csv: SHA-256 does not match the manifest"]


def test_an_interrupted_publish_leaves_the_previous_export_in_place(two_periods, monkeypatch):
    warehouse, _ = two_periods
    program_dir = warehouse.exports / "bantuan_tunai"
    assert (program_dir / "LATEST").read_text().strip() == JUNE_DAY.isoformat()

    def killed(work, final):
        raise KeyboardInterrupt("worker killed between writing and renaming")

    monkeypatch.setattr(exports, "_swap_into_place", killed)
    with pytest.raises(KeyboardInterrupt):
        publish.publish_program("bantuan_tunai", dt.date(2024, 7, 2))
    assert (program_dir / "LATEST").read_text().strip() == JUNE_DAY.isoformat()
    assert sorted(p.name for p in program_dir.iterdir()) == ["2024-06-01", "2024-07-01", "LATEST"]
    assert verify_export(program_dir / JUNE_DAY.isoformat()) == []


def test_the_export_csv_is_written_to_a_file_and_never_left_behind(two_periods, monkeypatch):
    """The COPY output goes to a private file beside the exports that becomes referrals.csv (the
    rows are not held in memory twice); a publish that fails before the export takes it leaves no
    such file behind, and the previous export stays the latest."""
    warehouse, _ = two_periods
    program_dir = warehouse.exports / "bantuan_tunai"
    seen: list[Path] = []
    real_read = publish.read_csv_table

    def read_then_fail(csv, types, *args, **kwargs):
        seen.append(csv)
        assert csv.stat().st_mode & 0o007 == 0  # not readable by others
        real_read(csv, types, *args, **kwargs)
        raise OSError("injected: the disk filled up while reading the rows back")

    monkeypatch.setattr(publish, "read_csv_table", read_then_fail)
    with pytest.raises(OSError, match="disk filled up"):
        publish.publish_program("bantuan_tunai", dt.date(2024, 7, 2))
    assert len(seen) == 1
    assert seen[0].parent == program_dir
    assert not seen[0].exists()
    assert [p.name for p in program_dir.iterdir() if p.name.startswith(".")] == []
    assert (program_dir / "LATEST").read_text().strip() == JUNE_DAY.isoformat()


def test_old_exports_are_removed_but_never_the_latest(two_periods, monkeypatch):
    warehouse, _ = two_periods
    monkeypatch.setenv("VERFAK_EXPORT_RETENTION_DAYS", "30")
    publish.publish_program("pelatihan", dt.date(2024, 7, 25))
    remaining = sorted(p.name for p in (warehouse.exports / "pelatihan").iterdir())
    assert remaining == [
        "2024-07-01",
        "2024-07-25",
        "LATEST",
    ]  # 2024-06-01 is 54 days old, 2024-07-01 only 24


AGENCY_PASSWORDS = {
    "bantuan_tunai": "pw-bt-test-0001",
    "pelatihan": "pw-pl-test-0001",
    "permodalan": "pw-pm-test-0001",
}


def test_each_agency_reads_its_own_view_and_nothing_else(two_periods):
    warehouse, _ = two_periods
    for program, password in AGENCY_PASSWORDS.items():
        set_password(program, password, psycopg2.connect(warehouse.uri))
    forbidden = [
        "raw.submission_row",
        "raw.submission_file",
        "staging.verifikasi",
        "core.verifikasi",
        "core.person_version",
        "quality.row_issue",
        "mart.verified_count",
        "publish.referral",
        "publish.referral_candidate",
        "publish.export_run",
    ]
    programs = load_programs()
    for program, password in AGENCY_PASSWORDS.items():
        dsn = psycopg2.extensions.parse_dsn(warehouse.uri)
        dsn.update(user=f"agency_{program}", password=password)
        agency = psycopg2.connect(**dsn)
        agency.autocommit = True
        with agency.cursor() as cur:
            cur.execute(f"SELECT * FROM publish.{program}")
            columns = [d.name for d in cur.description]
            assert columns == [
                "referral_id",
                "status_rujukan",
                "periode",
                "urutan",
                "status_tindak_lanjut",
                *programs[program].columns,
            ]
            assert len(cur.fetchall()) == len(export_frame(warehouse, program))
            others = [f"publish.{p}" for p in AGENCY_PASSWORDS if p != program]
            for table in forbidden + others:
                with pytest.raises(errors.InsufficientPrivilege):
                    cur.execute(f"SELECT 1 FROM {table} LIMIT 1")
            # Nowhere to put objects of its own (no temporary tables or functions, no CREATE).
            for statement in (
                "CREATE TEMP TABLE t (x int)",
                "CREATE TABLE publish.t (x int)",
                "CREATE TABLE public.t (x int)",
            ):
                with pytest.raises(errors.InsufficientPrivilege):
                    cur.execute(statement)
        agency.close()
    # A role whose login was taken away can't log in, and a sync does not give it back.
    set_password("permodalan", None, psycopg2.connect(warehouse.uri))
    with psycopg2.connect(warehouse.uri) as conn, conn.cursor() as cur:
        sync_agencies(cur)
    conn.close()
    dsn = psycopg2.extensions.parse_dsn(warehouse.uri)
    dsn.update(user="agency_permodalan", password=AGENCY_PASSWORDS["permodalan"])
    with pytest.raises(
        psycopg2.OperationalError, match=r"password authentication failed|not permitted to log in"
    ):
        psycopg2.connect(**dsn)


def test_a_list_longer_than_an_excel_sheet_goes_on_further_sheets(two_periods, monkeypatch):
    """Excel holds 1,048,575 data rows a sheet; a longer list (a whole registry's cash aid) is split
    over sheets with the header each. Shown here with four rows a sheet."""
    warehouse, _ = two_periods
    monkeypatch.setattr(exports, "XLSX_ROWS_PER_SHEET", 4)
    day = dt.date(2024, 7, 3)
    result = publish.publish_program("bantuan_tunai", day)
    assert result["rows"] == 6
    folder = warehouse.exports / "bantuan_tunai" / day.isoformat()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["xlsx_sheets"] == ["bantuan_tunai", "bantuan_tunai_2"]
    workbook = openpyxl.load_workbook(folder / "referrals.xlsx")
    assert workbook.sheetnames == ["bantuan_tunai", "bantuan_tunai_2"]
    csv_rows = pd.read_csv(folder / "referrals.csv", dtype="str")
    niks = []
    for sheet in workbook.worksheets:
        header = [c.value for c in sheet[1]]
        assert header == list(csv_rows.columns)
        assert sheet.freeze_panes == "A2"
        cells = [row[header.index("nik")] for row in sheet.iter_rows(min_row=2)]
        assert all(c.data_type == "s" and c.number_format == "@" for c in cells)
        niks += [c.value for c in cells]
    assert [len(niks[:4]), len(niks[4:])] == [4, 2]
    assert niks == csv_rows["nik"].tolist()  # the same rows, in the same order, nothing lost
    assert verify_export(folder) == []


def test_referral_ids_past_the_ten_millionth_keep_every_digit(warehouse):
    """One sequence numbers the referrals of every program and period (about 1.1 million a month at
    Bekasi's scale). Its numbers are padded to 7 digits; from 10,000,000 on they must grow to 8, not
    lose their last digit (``lpad`` cuts a longer text), which made ids collide."""
    with psycopg2.connect(warehouse.uri) as conn, conn.cursor() as cur:
        cur.execute("SELECT last_value, is_called FROM publish.referral_seq")
        last_value, is_called = cur.fetchone()
        cur.execute("SELECT setval('publish.referral_seq', 9999998, false)")
    conn.close()
    try:
        write_submission_csv(warehouse.landing, "2024-05", DESA, rows("2024-05", MAY))
        run_all(warehouse.landing, export_date=dt.date(2024, 6, 1))
        ids = [row[0] for row in warehouse.query("SELECT referral_id FROM publish.referral")]
    finally:
        with psycopg2.connect(warehouse.uri) as conn, conn.cursor() as cur:
            cur.execute("SELECT setval('publish.referral_seq', %s, %s)", (last_value, is_called))
        conn.close()
    assert len(ids) > 2
    numbers = sorted(int(i.rsplit("-", 1)[1]) for i in ids)
    assert numbers == list(range(9_999_998, 9_999_998 + len(ids)))
    assert all(re.fullmatch(r"[A-Z]+-202405-\d{7,}", i) for i in ids)

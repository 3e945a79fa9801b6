"""Issue 13, slice 6: every export folder holds tindak_lanjut.xlsx (pre-filled, a drop-down of the
program's statuses), each export has status_tindak_lanjut, and the filled workbook comes back."""

from __future__ import annotations

import datetime as dt
import json
import stat

import pandas as pd
import pyarrow.parquet as pq
from openpyxl import load_workbook

from tests.helpers import run_publish
from tests.integration.test_return_files import (  # noqa: F401
    EXPORT_DAY,
    nik,
    referred,
    run_returns,
)
from verfak.exports import verify_export
from verfak.files import sha256_file
from verfak.programs import load_programs


def export_folder(warehouse, program, day=EXPORT_DAY):
    return warehouse.exports / program / day.isoformat()


def test_every_export_has_a_prefilled_return_workbook_with_the_programs_statuses(referred):  # noqa: F811
    warehouse, _ids = referred
    programs = load_programs()
    for name, program in programs.items():
        folder = export_folder(warehouse, name)
        path = folder / "tindak_lanjut.xlsx"
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["files"]["tindak_lanjut.xlsx"]["sha256"] == sha256_file(path)
        assert verify_export(folder) == []
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
        referrals = pd.read_csv(folder / "referrals.csv", dtype="str", keep_default_na=False)
        workbook = load_workbook(path)
        sheet = workbook[name]
        header = [c.value for c in sheet[1]]
        money = bool(program.money_statuses)
        assert header == [
            "ID Rujukan",
            "NIK",
            "Nama",
            "Desa",
            "Status Tindak Lanjut",
            "Tanggal",
            *(["Nilai (Rp)"] if money else []),
            "Kegiatan",
            "Keterangan",
        ]
        rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
        assert [r[:4] for r in rows] == referrals[["referral_id", "nik", "nama", "nama_desa"]].values.tolist()
        assert all(v is None for r in rows for v in r[4:])  # the agency's columns are empty
        assert all(
            sheet.cell(row=i, column=2).data_type == "s" for i in range(2, len(rows) + 2)
        )  # NIK as text
        assert sheet.cell(row=2, column=6).number_format == "dd/mm/yyyy"
        # The drop-down: a list validation on the status column naming the program's statuses.
        lists = [v for v in sheet.data_validations.dataValidation if v.type == "list"]
        assert len(lists) == 1
        assert str(lists[0].sqref) == f"E2:E{len(rows) + 1}"
        source = lists[0].formula1.replace("$", "").split("!")
        assert source[0] == "Petunjuk"
        first, last = source[1].split(":")
        guide = workbook["Petunjuk"]
        listed = [guide[f"A{i}"].value for i in range(int(first[1:]), int(last[1:]) + 1)]
        assert listed == list(program.statuses)
        assert ("dibayar" in listed or "dana_cair" in listed) == money


def test_exports_show_the_current_status_and_the_filled_workbook_comes_back(referred):  # noqa: F811
    warehouse, _ids = referred
    folder = export_folder(warehouse, "pelatihan")
    referrals = pd.read_csv(folder / "referrals.csv", dtype="str", keep_default_na=False)
    assert set(referrals["status_tindak_lanjut"]) == {""}  # no answer yet: empty
    # The agency fills the very workbook it got: two rows answered, one event added below, one wrong.
    workbook = load_workbook(folder / "tindak_lanjut.xlsx")
    sheet = workbook["pelatihan"]
    by_nik = {sheet.cell(row=i, column=2).value: i for i in range(2, sheet.max_row + 1)}
    r1, r3, r4 = by_nik[nik(1)], by_nik[nik(3)], by_nik[nik(4)]
    sheet.cell(row=r1, column=5, value="diterima")
    sheet.cell(row=r1, column=6, value=dt.datetime(2024, 7, 3))
    sheet.cell(row=r1, column=7, value="Menjahit angkatan 1")
    sheet.cell(row=r3, column=5, value="tidak_dapat_dihubungi")
    sheet.cell(row=r3, column=6, value=dt.datetime(2024, 7, 5))
    sheet.cell(row=r4, column=5, value="dana_cair")  # not a status of the training program
    sheet.cell(row=r4, column=6, value=dt.datetime(2024, 7, 5))
    extra = sheet.max_row + 1
    for col in range(1, 5):
        sheet.cell(row=extra, column=col, value=sheet.cell(row=r1, column=col).value)
    sheet.cell(row=extra, column=5, value="selesai")
    sheet.cell(row=extra, column=6, value=dt.datetime(2024, 8, 20))
    target = warehouse.landing / "tindak_lanjut" / "pelatihan" / "2024-08"
    target.mkdir(parents=True)
    workbook.save(target / "tindak_lanjut.xlsx")

    outcomes, checked = run_returns(warehouse.landing)
    assert [(o["status"], o["rows_read"]) for o in outcomes] == [("accepted", 4)]
    assert checked[0]["events"] == 3
    assert checked[0]["rows_failed"] == 1
    feedback = pd.read_csv(
        warehouse.exports / "tindak_lanjut_umpan_balik" / "pelatihan" / "2024-08.csv", sep=";", dtype="str"
    )
    # dana_cair is not the training program's, and it carries no amount either
    assert sorted(feedback["kode_aturan"]) == ["tl_nilai_wajib", "tl_status_program"]
    assert set(feedback["baris"]) == {str(r4)}

    day = dt.date(2024, 9, 1)
    run_publish(day)
    funnel = warehouse.query("""SELECT sum(dirujuk)::int, sum(selesai)::int, sum(tidak_dapat_dihubungi)::int,
                                       sum(belum_dijawab)::int
                                  FROM mart.outcome_funnel WHERE program = 'pelatihan' AND periode = '2024-06'""")
    assert funnel == [(3, 1, 1, 1)]
    # The next export carries the current status, the same in all three formats.
    folder = export_folder(warehouse, "pelatihan", day)
    csv_status = dict(
        pd.read_csv(folder / "referrals.csv", dtype="str", keep_default_na=False)[
            ["nik", "status_tindak_lanjut"]
        ].values.tolist()
    )
    assert csv_status == {nik(1): "selesai", nik(3): "tidak_dapat_dihubungi", nik(4): ""}
    parquet = pq.read_table(folder / "referrals.parquet").to_pydict()
    assert dict(zip(parquet["nik"], parquet["status_tindak_lanjut"])) == {
        nik(1): "selesai",
        nik(3): "tidak_dapat_dihubungi",
        nik(4): None,
    }
    xlsx = load_workbook(folder / "referrals.xlsx")["pelatihan"]
    header = [c.value for c in xlsx[1]]
    values = {
        r[header.index("nik")]: r[header.index("status_tindak_lanjut")]
        for r in xlsx.iter_rows(min_row=2, values_only=True)
    }
    assert values == {nik(1): "selesai", nik(3): "tidak_dapat_dihubungi", nik(4): None}


def test_rows_the_agency_left_empty_are_no_answer_not_a_mistake(referred):  # noqa: F811
    warehouse, _ids = referred
    workbook = load_workbook(export_folder(warehouse, "pelatihan") / "tindak_lanjut.xlsx")
    sheet = workbook["pelatihan"]
    sheet.cell(row=2, column=5, value="diterima")
    sheet.cell(row=2, column=6, value=dt.datetime(2024, 7, 3))
    target = warehouse.landing / "tindak_lanjut" / "pelatihan" / "2024-07"
    target.mkdir(parents=True)
    workbook.save(target / "tindak_lanjut.xlsx")
    outcomes, checked = run_returns(warehouse.landing)
    assert outcomes[0]["rows_read"] == 3  # every row kept as sent
    assert (checked[0]["rows"], checked[0]["events"], checked[0]["rows_failed"]) == (1, 1, 0)
    assert warehouse.scalar("SELECT count(*) FROM quality.return_issue") == 0
    assert not (warehouse.exports / "tindak_lanjut_umpan_balik" / "pelatihan" / "2024-07.csv").exists()

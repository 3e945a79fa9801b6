"""Issue #4: every quality rule, failing and passing, end to end from a village file to
quality.row_issue and the village's feedback file (rule id and message), against PostgreSQL.

One village per rule sends a file with a valid row (the passing case, row 2) and a row that
breaks exactly that rule (row 3). The whole period goes through ingest and validate-and-load once.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import psycopg2
import pytest

from tests.conftest import isolated_run
from tests.helpers import run_all, run_ingest, run_validate_load, village_row, write_submission_csv
from verfak.columns import MAX_LENGTHS
from verfak.rules import RULES_BY_ID, village_rules_by_id

PERIOD = "2024-06"
BIRTH = dt.date(1980, 3, 14)

# rule id -> what to change in the failing row (a callable gets the valid row and returns it changed)
CASES = {
    "nik_wajib": {"nik": ""},
    "no_kk_wajib": {"no_kk": ""},
    "nama_wajib": {"nama": ""},
    "jenis_kelamin_wajib": {"jenis_kelamin": ""},
    "tanggal_lahir_wajib": {"tanggal_lahir": ""},
    "alamat_wajib": {"alamat": ""},
    "kode_desa_wajib": {"kode_desa": ""},
    "status_verifikasi_wajib": {"status_verifikasi": ""},
    "tanggal_verifikasi_wajib": {"tanggal_verifikasi": ""},
    "petugas_wajib": {"petugas": ""},
    "nik_16_digit": lambda r: {**r, "nik": r["nik"][:15]},
    "nik_tanggal_valid": lambda r: {**r, "nik": r["nik"][:6] + "35" + r["nik"][8:]},
    "nik_nomor_urut": lambda r: {**r, "nik": r["nik"][:12] + "0000"},
    "nik_tanggal_lahir_berbeda": {"tanggal_lahir": "1981-03-14"},
    "nik_jenis_kelamin_berbeda": {"jenis_kelamin": "L"},
    "nik_luar_bekasi": lambda r: {**r, "nik": "3275" + r["nik"][4:]},
    "no_kk_16_digit": lambda r: {**r, "no_kk": r["no_kk"] + "1"},
    "nik_ganda_dalam_file": "duplicate",
    "nik_ganda_antar_desa": "other_village",
    "nik_kk_berbeda": "duplicate_other_kk",
    "jenis_kelamin_valid": {"jenis_kelamin": "X"},
    "tanggal_lahir_valid": {"tanggal_lahir": "31/02/1980"},
    "tanggal_lahir_wajar": {"tanggal_lahir": "14/03/1880"},
    "status_verifikasi_valid": {"status_verifikasi": "lyak"},
    "alasan_wajib": {"status_verifikasi": "tidak_layak", "alasan": ""},
    "tanggal_verifikasi_valid": {"tanggal_verifikasi": "45/13/2024"},
    "tanggal_verifikasi_periode": {"tanggal_verifikasi": "2024-01-02"},
    "desil_valid": {"desil": "11"},
    "desil_angka": {"desil": "satu"},
    "pendapatan_angka": {"pendapatan_bulanan": "sejuta"},
    "pendapatan_tidak_negatif": {"pendapatan_bulanan": "-5000"},
    "memiliki_usaha_valid": {"memiliki_usaha": "mungkin"},
    "kode_desa_dikenal": {"kode_desa": "32.16.99.9999"},
    "kode_desa_sekecamatan": "other_kecamatan",
    "kode_desa_sesuai_folder": "other_village_same_kecamatan",
    # one character over each column's limit
    **{f"{column}_terlalu_panjang": {column: "1" * (limit + 1)} for column, limit in MAX_LENGTHS.items()},
}


def test_every_rule_has_a_case():
    assert set(CASES) == set(RULES_BY_ID)


@pytest.fixture(scope="module")
def villages(warehouse_uri):
    with psycopg2.connect(warehouse_uri) as conn, conn.cursor() as cur:
        cur.execute("SELECT kode_desa FROM ref.desa ORDER BY kode_desa")
        codes = [r[0] for r in cur.fetchall()]
    conn.close()
    return codes


@pytest.fixture(scope="module")
def rules_run(warehouse_uri, villages, tmp_path_factory):
    root = tmp_path_factory.mktemp("rules")
    with isolated_run(warehouse_uri, root):
        # Villages of kecamatan 01..: one per rule; the cross-village partner is the last one.
        assigned = {rule: villages[i] for i, rule in enumerate(sorted(CASES))}
        partner = villages[-1]
        for serial, (rule, village) in enumerate(sorted(assigned.items()), start=1):
            good = village_row(PERIOD, village, serial * 10 + 1, BIRTH, "P")
            bad = village_row(PERIOD, village, serial * 10 + 2, BIRTH, "P")
            change = CASES[rule]
            rows = [good]
            if change == "duplicate":
                rows += [bad, dict(bad)]
            elif change == "duplicate_other_kk":
                rows += [bad, {**bad, "no_kk": bad["no_kk"][:-1] + "9"}]
            elif change == "other_village":
                rows.append(bad)
                write_submission_csv(root / "landing", PERIOD, partner, [{**bad, "kode_desa": partner}])
            elif change == "other_village_same_kecamatan":
                other = next(v for v in villages if v[:8] == village[:8] and v != village)
                rows.append({**bad, "kode_desa": other})
            elif change == "other_kecamatan":
                other = next(v for v in villages if v[:8] != village[:8])
                rows.append({**bad, "kode_desa": other})
            elif callable(change):
                rows.append(change(bad))
            else:
                rows.append({**bad, **change})
            write_submission_csv(root / "landing", PERIOD, village, rows)
        run_ingest(root / "landing")
        outcome = run_validate_load()
        with psycopg2.connect(warehouse_uri) as conn, conn.cursor() as cur:
            cur.execute(
                """SELECT f.kode_desa, i.source_row, i.rule_id, i.severity, i.column_name, i.message
                     FROM quality.row_issue i JOIN raw.submission_file f USING (file_id)"""
            )
            issues = cur.fetchall()
            cur.execute("SELECT kode_desa, source_row FROM core.verifikasi")
            in_core = set(cur.fetchall())
        conn.close()
        yield {
            "root": root,
            "assigned": assigned,
            "partner": partner,
            "issues": issues,
            "in_core": in_core,
            "outcome": outcome,
        }


def failing_row(rule_id: str) -> int:
    return 4 if CASES[rule_id] in ("duplicate", "duplicate_other_kk") else 3


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fails_the_bad_row_and_passes_the_good_one(rules_run, rule_id):
    rule = RULES_BY_ID[rule_id]
    village = rules_run["assigned"][rule_id]
    hits = {
        (row, sev, col, msg)
        for desa, row, rid, sev, col, msg in rules_run["issues"]
        if desa == village and rid == rule_id
    }
    bad_row = failing_row(rule_id)
    assert (bad_row, rule.severity, rule.column, rule.message) in hits
    assert not any(row == 2 for row, *_ in hits), "the valid row must pass"
    # Errors keep the row out of core; warnings let it in (a NIK with two KKs in one period is
    # necessarily also a duplicate NIK, an error, so that row stays out).
    expected_in_core = rule.severity == "warning" and rule_id != "nik_kk_berbeda"
    assert ((village, bad_row) in rules_run["in_core"]) == expected_in_core
    assert (village, 2) in rules_run["in_core"]
    # The village is told, with the rule id and the message.
    feedback = pd.read_csv(
        rules_run["root"] / "exports" / "feedback" / PERIOD / f"{village}.csv",
        sep=";",
        dtype="str",
        encoding="utf-8-sig",
    )
    lines = feedback[(feedback["kode_aturan"] == rule_id) & (feedback["baris"] == str(bad_row))]
    assert len(lines) == 1
    assert lines.iloc[0]["pesan"] == rule.message
    assert lines.iloc[0]["tingkat"] == ("ditolak" if rule.severity == "error" else "peringatan")


def test_a_nik_sent_by_two_villages_is_held_out_in_both_and_both_are_told(rules_run):
    village, partner = rules_run["assigned"]["nik_ganda_antar_desa"], rules_run["partner"]
    hits = {(d, r) for d, r, rid, *_ in rules_run["issues"] if rid == "nik_ganda_antar_desa"}
    assert hits == {(village, 3), (partner, 2)}
    assert (village, 3) not in rules_run["in_core"]
    assert (partner, 2) not in rules_run["in_core"]
    for desa in (village, partner):
        assert (rules_run["root"] / "exports" / "feedback" / PERIOD / f"{desa}.csv").exists()


def test_data_docs_are_built_and_list_both_suites(rules_run):
    outcome = rules_run["outcome"][0]
    index = rules_run["root"] / "reports" / "data_docs" / "index.html"
    assert outcome["data_docs_index"] == str(index)
    assert index.exists()
    html = index.read_text()
    assert "verfak_verifikasi" in html
    assert "verfak_desa" in html


def test_village_level_rules_flag_outliers_vanished_and_failing_submissions(warehouse, villages):
    stable, jumping, vanishing, failing = villages[0], villages[1], villages[2], villages[3]

    def people(village, count, period, first_serial):
        return [village_row(period, village, first_serial + i, BIRTH, "P") for i in range(count)]

    for period in ("2024-04", "2024-05"):
        write_submission_csv(warehouse.landing, period, stable, people(stable, 5, period, 100))
        write_submission_csv(warehouse.landing, period, jumping, people(jumping, 10, period, 200))
        write_submission_csv(warehouse.landing, period, vanishing, people(vanishing, 4, period, 300))
        write_submission_csv(warehouse.landing, period, failing, people(failing, 5, period, 400))
    write_submission_csv(warehouse.landing, "2024-06", stable, people(stable, 6, "2024-06", 100))
    write_submission_csv(warehouse.landing, "2024-06", jumping, people(jumping, 2, "2024-06", 200))
    # 2 of 6 rows fail (33% > 20%), and the 4 good ones keep the count near its average of 5.
    bad = [{**r, "jenis_kelamin": "X"} for r in people(failing, 2, "2024-06", 400)]
    write_submission_csv(warehouse.landing, "2024-06", failing, bad + people(failing, 4, "2024-06", 402))
    run_all(warehouse.landing)

    flags = warehouse.query(
        "SELECT kode_desa, rule_id, message FROM quality.village_flag WHERE periode = '2024-06'"
    )
    found = {(d, r) for d, r, _ in flags if d in (stable, jumping, vanishing, failing)}
    assert found == {
        (jumping, "jumlah_layak_melonjak"),
        (vanishing, "kiriman_desa_hilang"),
        (failing, "desa_perlu_perhatian"),
    }
    assert all(m == village_rules_by_id()[r].message for _, r, m in flags)
    figures = warehouse.scalar("SELECT figures FROM quality.village_flag WHERE kode_desa = %s", (jumping,))
    assert figures["layak"] == 2
    assert figures["rata_rata_layak_sebelumnya"] == 10.0
    # No village is flagged in a period with nothing to compare with... except that it did not fail.
    assert warehouse.scalar("SELECT count(*) FROM quality.village_flag WHERE periode = '2024-04'") == 0

"""Issue 13, slice 7d: the sample's return files close the loop on the 2024-06 exports without
changing the village figures, and the next capital list puts the training graduates first."""

from __future__ import annotations

import pandas as pd
import pytest

from devdata.sample_returns import write_sample_returns
from tests.conftest import isolated_run
from tests.helpers import EXPORT_DATE, copy_landing, run_all, run_publish
from tests.integration.test_return_files import run_returns


@pytest.fixture(scope="module")
def sample_loop(warehouse_uri, sample_landing, tmp_path_factory):
    landing_src, _ = sample_landing
    root = tmp_path_factory.mktemp("loop")
    with isolated_run(warehouse_uri, root):
        copy_landing(landing_src, root / "landing")
        run_all(root / "landing")
        before = pd.read_csv(
            root / "exports" / "permodalan" / EXPORT_DATE.isoformat() / "referrals.csv", dtype="str"
        )
        written = write_sample_returns(root / "landing", root / "exports")
        assert write_sample_returns(root / "landing", root / "exports") == {}  # once
        outcomes, checked = run_returns(root / "landing")
        run_publish(EXPORT_DATE)
        yield {
            "root": root,
            "written": written,
            "outcomes": outcomes,
            "checked": checked,
            "capital_before": before,
        }


def q(uri, sql):
    import psycopg2

    with psycopg2.connect(uri) as conn, conn.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall()
    conn.close()
    return rows


def test_the_loop_closes_and_the_figures_stay(sample_loop, warehouse_uri):
    assert sorted(sample_loop["written"]) == ["bantuan_tunai", "pelatihan", "permodalan"]
    assert {o["status"] for o in sample_loop["outcomes"]} == {"accepted"}
    layak = dict(q(warehouse_uri, "SELECT periode, sum(layak)::int FROM mart.verified_count GROUP BY 1"))
    assert layak == {"2024-05": 1144, "2024-06": 1121}
    sizes = dict(q(warehouse_uri, "SELECT program, row_count FROM publish.export_run"))
    assert sizes == {"bantuan_tunai": 1121, "pelatihan": 217, "permodalan": 194}
    funnel = {
        r[0]: r[1:]
        for r in q(
            warehouse_uri,
            """
        SELECT program, sum(dirujuk)::int, sum(diterima)::int, sum(selesai)::int, sum(dana)::int,
               sum(ditolak)::int, sum(tidak_dapat_dihubungi)::int, sum(belum_dijawab)::int
          FROM mart.outcome_funnel WHERE periode = '2024-06' GROUP BY program""",
        )
    }
    assert funnel["pelatihan"] == (217, 29, 18, 0, 6, 6, 176)
    assert funnel["permodalan"] == (194, 8, 4, 4, 0, 4, 182)
    assert funnel["bantuan_tunai"] == (1121, 1061, 1061, 1061, 0, 12, 48)
    # The bad rows went back to the agencies, by rule.
    issues = dict(
        q(
            warehouse_uri,
            """SELECT f.program, array_agg(DISTINCT i.rule_id ORDER BY i.rule_id)
                                        FROM quality.return_issue i JOIN raw.return_file f USING (file_id)
                                       GROUP BY 1""",
        )
    )
    assert set(issues["pelatihan"]) >= {
        "tl_referral_dikenal",
        "tl_nik_sesuai",
        "tl_status_program",
        "tl_tanggal_tidak_di_masa_depan",
    }
    assert issues["permodalan"] == ["tl_nilai_wajib"]
    assert "bantuan_tunai" not in issues
    feedback = sample_loop["root"] / "exports" / "tindak_lanjut_umpan_balik" / "pelatihan"
    assert len(list(feedback.glob("*.csv"))) == 1


def test_the_next_capital_list_puts_training_graduates_first(sample_loop, warehouse_uri):
    folder = sample_loop["root"] / "exports" / "permodalan" / EXPORT_DATE.isoformat()
    after = pd.read_csv(folder / "referrals.csv", dtype="str", keep_default_na=False)
    graduates = {
        n
        for (n,) in q(
            warehouse_uri,
            "SELECT nik FROM publish.referral_status WHERE program = 'pelatihan' AND status = 'selesai'",
        )
    }
    on_list = [n for n in after["nik"] if n in graduates]
    assert len(on_list) == 12
    assert set(after["nik"].head(12)) == set(on_list)  # first, whatever their income
    assert list(sample_loop["capital_before"]["nik"].head(12)) != list(after["nik"].head(12))
    assert set(after["nik"]) == set(sample_loop["capital_before"]["nik"])  # reordered, nobody dropped
    assert set(after.loc[after["nik"].isin(on_list), "status_tindak_lanjut"]) == {"dana_cair", "diterima", ""}

"""Issue 13, slice 1: outcome statuses declared once, and each program's outcome configuration."""

from __future__ import annotations

import pytest

from verfak.outcomes import FIRST, MONEY_STATUSES, STATUS_BY_NAME, STATUS_VALUES, is_correction, return_column
from verfak.programs import ProgramConfigError, load_programs

BASE = """programs:
  pelatihan:
    agency: Disnaker
    columns: [nik, nama]
    tindak_lanjut: {statuses: [diterima, selesai], final: [selesai], response_days: 30}
  permodalan:
    agency: Diskop
    columns: [nik, nama]
"""


def write(tmp_path, text):
    path = tmp_path / "programs.yaml"
    path.write_text(text)
    return path


def test_the_issue_statuses_are_declared_once_with_their_moves():
    assert STATUS_VALUES == (
        "diterima",
        "ditolak",
        "tidak_dapat_dihubungi",
        "tidak_memenuhi_syarat",
        "mengikuti",
        "selesai",
        "tidak_selesai",
        "dana_cair",
        "dibayar",
    )
    assert set(MONEY_STATUSES) == {"dana_cair", "dibayar"}
    assert FIRST not in STATUS_BY_NAME["selesai"].allowed_after  # selesai only after diterima or mengikuti
    assert set(STATUS_BY_NAME["selesai"].allowed_after) == {"diterima", "mengikuti"}
    assert is_correction("Koreksi : salah ketik")
    assert is_correction("  koreksi: x")
    assert not is_correction("ok")
    assert return_column("ID Rujukan") == "referral_id"
    assert return_column("Nilai (Rp)") == "nilai"


def test_the_shipped_programs_configure_their_outcomes():
    programs = load_programs()
    assert programs["permodalan"].money_statuses == ("dana_cair",)
    assert programs["pelatihan"].money_statuses == ()
    assert "selesai" in programs["pelatihan"].final
    assert programs["permodalan"].response_days == 45
    assert programs["permodalan"].rule["exclude_outcome"] == ["dana_cair"]
    assert {"outcome": {"program": "pelatihan", "status": ["selesai"]}} in programs["permodalan"].priority
    for program in programs.values():
        assert set(program.final) <= set(program.statuses)
        assert program.statuses


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ("statuses: [diterima, lulus]", "unknown status"),
        ("statuses: [diterima], final: [selesai]", "final: unknown status"),
        ("statuses: [diterima], response_days: 0", "response_days"),
        ("statuses: [diterima], deadline: 3", "tindak_lanjut takes"),
    ],
)
def test_a_wrong_outcome_configuration_names_the_program(tmp_path, change, error):
    text = BASE.replace("statuses: [diterima, selesai], final: [selesai], response_days: 30", change)
    with pytest.raises(ProgramConfigError, match=rf"program 'pelatihan'.*{error}"):
        load_programs(write(tmp_path, text))


@pytest.mark.parametrize(
    ("rule", "error"),
    [
        ("requires_outcome: {program: pelatihan, status: [lulus]}", "unknown status"),
        ("requires_outcome: {program: magang, status: [selesai]}", "unknown program 'magang'"),
        ("exclude_outcome: [dana_cair]", "exclude_outcome: unknown status"),
    ],
)
def test_outcome_rule_fields_name_real_programs_and_statuses(tmp_path, rule, error):
    text = BASE + f"    rule: {{{rule}}}\n"
    with pytest.raises(ProgramConfigError, match=rf"program 'permodalan'.*{error}"):
        load_programs(write(tmp_path, text))
    ok = BASE + "    rule: {requires_outcome: {program: pelatihan, status: [selesai]}}\n"
    assert load_programs(write(tmp_path, ok))["permodalan"].rule["requires_outcome"]["status"] == ["selesai"]

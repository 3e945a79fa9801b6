"""The nine kinds of defective rows both generators plant, each breaking exactly one error rule.

``DEFECT_RULES`` maps each kind (the rule it breaks) to the column it breaks; ``make_defect``
turns a valid row into one that breaks that rule and nothing else. The sample
(``devdata.sample_data``) adds nine such rows per period on top of the valid ones; the benchmark
(``devdata.bench_data``) turns a share of its rows into them. Either way a pipeline that lets one
through gets the layak count wrong.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["DEFECT_RULES", "make_defect"]

LAYAK, TIDAK_LAYAK = "layak", "tidak_layak"

# The defects, one row each per period in the sample: rule -> column it breaks.
DEFECT_RULES = {
    "nik_15_digit": "nik",
    "nik_serial_0000": "nik",
    "nik_tanggal_mustahil": "nik",
    "nama_kosong": "nama",
    "jenis_kelamin_tidak_dikenal": "jenis_kelamin",
    "tanggal_lahir_mustahil": "tanggal_lahir",
    "status_tidak_dikenal": "status_verifikasi",
    "alasan_kosong": "alasan",
    "baris_ganda": "nik",
}


def make_defect(rule: str, row: Mapping[str, object]) -> dict[str, object]:
    """A copy of ``row`` that breaks exactly ``rule``.

    ``row`` holds a valid person (values as the generators keep them: IDs as text, dates as
    ``datetime.date`` or ISO text). The copy is ``layak`` with no ``alasan`` where the rule allows,
    so a correct pipeline's layak count is that of the untouched rows. For ``baris_ganda``, ``row``
    is the valid layak row being duplicated and the copy goes after it in the same file: the later
    copy is the bad one.
    """
    if rule == "baris_ganda":
        return dict(row)
    broken = dict(row, status_verifikasi=LAYAK, alasan="")
    nik = str(broken["nik"])
    match rule:
        case "nik_15_digit":
            broken["nik"] = nik[:15]
        case "nik_serial_0000":
            broken["nik"] = nik[:12] + "0000"
        case "nik_tanggal_mustahil":
            broken["nik"] = nik[:6] + "35" + nik[8:]
        case "nama_kosong":
            broken["nama"] = ""
        case "jenis_kelamin_tidak_dikenal":
            broken["jenis_kelamin"] = "X"
        case "tanggal_lahir_mustahil":
            # The NIK keeps the real birth date; the birth column says 31 February of that year.
            year = str(broken["tanggal_lahir"])[:4]
            broken["tanggal_lahir"] = f"{year}-02-31"
        case "status_tidak_dikenal":
            broken["status_verifikasi"] = "lyak"
        case "alasan_kosong":
            broken["status_verifikasi"] = TIDAK_LAYAK
        case _:
            raise ValueError(f"unknown defect rule {rule!r}")
    return broken

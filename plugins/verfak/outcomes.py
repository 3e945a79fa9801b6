"""Referral outcomes (*tindak lanjut*): what an agency reports back about each referral, declared once.

An outcome is a dated event on one referral: ``diterima`` on 2024-07-03, ``selesai`` on
2024-08-20, ... A referral's current status is the latest event (by date, then by the order it
was recorded), derived by the view ``publish.referral_status``; no event is ever overwritten.

This module is the one place that says which statuses exist, what each means (the labels of the
agencies' guide ``docs/tindak_lanjut.md`` and of the return file's drop-down), which status may
follow which (``ALLOWED_AFTER``: a legal move), which statuses carry an amount of money, and
which columns a return file has. ``verfak.migrate`` copies the statuses into ``ref.outcome_status``
so the SQL checks (the return-file gate and the agencies' function ``publish.catat_tindak_lanjut``)
read the same table. Which statuses a program accepts, and which of them are final, is program
configuration (``include/programs.yaml``, ``verfak.programs``).

Kept light (standard library only): the programs module and the DAG-side code import it.
"""

from __future__ import annotations

from dataclasses import dataclass

#: No earlier status: the first answer about a referral.
FIRST = None


@dataclass(frozen=True)
class OutcomeStatus:
    status: str
    label: str  # Indonesian, for the agencies' guide and the drop-down's help
    allowed_after: tuple[str | None, ...]  # statuses it may follow (FIRST = may be the first answer)
    money: bool = False  # an amount (nilai, rupiah) is required
    category: str = ""  # the funnel column it counts in (see FUNNEL)


STATUSES: tuple[OutcomeStatus, ...] = (
    OutcomeStatus(
        "diterima", "diterima/terdaftar di program", (FIRST, "tidak_dapat_dihubungi"), category="diterima"
    ),
    OutcomeStatus(
        "ditolak",
        "menolak atau ditolak (tulis alasannya di keterangan)",
        (FIRST, "tidak_dapat_dihubungi", "diterima"),
        category="ditolak",
    ),
    OutcomeStatus(
        "tidak_dapat_dihubungi",
        "tidak dapat dihubungi/ditemui",
        (FIRST, "tidak_dapat_dihubungi"),
        category="tidak_dapat_dihubungi",
    ),
    OutcomeStatus(
        "tidak_memenuhi_syarat",
        "tidak memenuhi syarat program",
        (FIRST, "tidak_dapat_dihubungi", "diterima"),
        category="ditolak",
    ),
    OutcomeStatus("mengikuti", "sedang mengikuti pelatihan", ("diterima", "mengikuti"), category="diterima"),
    OutcomeStatus("selesai", "selesai/lulus pelatihan", ("diterima", "mengikuti"), category="selesai"),
    OutcomeStatus(
        "tidak_selesai",
        "berhenti/tidak menyelesaikan pelatihan",
        ("diterima", "mengikuti"),
        category="ditolak",
    ),
    OutcomeStatus("dana_cair", "bantuan modal sudah dicairkan", ("diterima",), money=True, category="dana"),
    OutcomeStatus(
        "dibayar",
        "bantuan tunai sudah dibayarkan",
        (FIRST, "diterima", "tidak_dapat_dihubungi"),
        money=True,
        category="dana",
    ),
)

STATUS_BY_NAME = {s.status: s for s in STATUSES}
STATUS_VALUES: tuple[str, ...] = tuple(s.status for s in STATUSES)
MONEY_STATUSES: tuple[str, ...] = tuple(s.status for s in STATUSES if s.money)
assert len(STATUS_BY_NAME) == len(STATUSES), "outcome statuses must be unique"
assert all(a is FIRST or a in STATUS_BY_NAME for s in STATUSES for a in s.allowed_after)

#: The funnel's answer columns (mart.outcome_funnel), in the order a referral moves through them.
FUNNEL = (
    "dirujuk",
    "dijawab",
    "diterima",
    "selesai",
    "dana",
    "ditolak",
    "tidak_dapat_dihubungi",
    "belum_dijawab",
)

#: A row whose ``keterangan`` starts with this (any case, spaces allowed) corrects an earlier
#: answer: it may follow any status, even a final one (the legal-move rule is not applied).
CORRECTION_PREFIX = "koreksi:"

# --- the return file (tindak_lanjut.xlsx and whatever the agency sends back) ------------------

#: The landing-zone folder of return files: ``<landing>/tindak_lanjut/<program>/<YYYY-MM>/``
#: (the village ingest leaves it alone).
RETURN_FOLDER = "tindak_lanjut"

#: Columns of a return file, in order: pre-filled by us, then filled by the agency.
RETURN_COLUMNS: tuple[str, ...] = (
    "referral_id",
    "nik",
    "nama",
    "nama_desa",
    "status_tindak_lanjut",
    "tanggal",
    "nilai",
    "kegiatan",
    "keterangan",
)
#: A file without one of these is rejected as a whole.
RETURN_REQUIRED: tuple[str, ...] = ("referral_id", "nik", "status_tindak_lanjut", "tanggal")
#: The columns the agency fills in.
AGENCY_COLUMNS: tuple[str, ...] = ("status_tindak_lanjut", "tanggal", "nilai", "kegiatan", "keterangan")

RETURN_LABELS: dict[str, str] = {
    "referral_id": "ID Rujukan",
    "nik": "NIK",
    "nama": "Nama",
    "nama_desa": "Desa",
    "status_tindak_lanjut": "Status Tindak Lanjut",
    "tanggal": "Tanggal",
    "nilai": "Nilai (Rp)",
    "kegiatan": "Kegiatan",
    "keterangan": "Keterangan",
}

_RETURN_VARIANTS: dict[str, tuple[str, ...]] = {
    "referral_id": ("id rujukan", "referral id", "no rujukan", "nomor rujukan", "kode rujukan"),
    "nik": ("nik", "no nik", "nomor nik", "nomor induk kependudukan", "no ktp"),
    "nama": ("nama", "nama lengkap", "nama penerima"),
    "nama_desa": ("desa", "nama desa", "desa kelurahan", "kelurahan"),
    "status_tindak_lanjut": (
        "status tindak lanjut",
        "status",
        "tindak lanjut",
        "hasil tindak lanjut",
        "status tl",
    ),
    "tanggal": ("tanggal", "tgl", "tanggal tindak lanjut", "tgl tindak lanjut", "tanggal kejadian"),
    "nilai": ("nilai", "nilai rp", "jumlah", "jumlah rp", "nominal", "besaran", "jumlah dana"),
    "kegiatan": ("kegiatan", "angkatan", "gelombang", "batch", "tahap"),
    "keterangan": ("keterangan", "ket", "catatan", "alasan"),
}


def _normalise(cell: object) -> str:
    import re

    return re.sub(r"[^0-9a-z]+", " ", str(cell).strip().lower()).strip()


RETURN_ALIASES: dict[str, str] = {
    _normalise(v): column for column, variants in _RETURN_VARIANTS.items() for v in (*variants, column)
}


def return_column(cell: object) -> str | None:
    """The return-file column a header cell names (``ID Rujukan``, ``Nilai (Rp)``, ...), or None."""
    import re

    column = RETURN_ALIASES.get(_normalise(cell))
    if column is None:
        column = RETURN_ALIASES.get(_normalise(re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", str(cell))))
    return column


#: The same test in SQL (``include/sql/outcome/``, ``publish.catat_tindak_lanjut``): PostgreSQL regex.
CORRECTION_SQL_REGEX = r"^\s*koreksi\s*:"


def is_correction(keterangan: str | None) -> bool:
    """True when ``keterangan`` marks the row as a correction (``koreksi: ...``, any case)."""
    import re

    return bool(keterangan and re.match(CORRECTION_SQL_REGEX, keterangan, re.IGNORECASE))

"""The submission contract, declared once: every column a village file has, and what it means.

Each column is one ``Column``: its name (as in ``raw.submission_row``), the Indonesian label used
in messages to villages, the header the template writes, the header variants villages use (the
header matcher), the type it is staged as (``staging.verifikasi``), whether it is required, the
longest value the gate lets into core, whether it is an identifier kept as text, and the values it
may take. Everything else is built from ``CONTRACT``: the template (``verfak.template``), the header
matcher (``canonical_column``), the staging types and ``verfak.staging.STAGING_COLUMNS``, the rule
messages that name values (``verfak.rules``), the sample and fixture generators; a test compares
the columns of ``raw.submission_row`` and ``staging.verifikasi`` in the database with it.

A header cell is normalised (lower case, anything but letters and digits becomes one space) and
looked up here, so ``No. KK``, ``NO KK``, ``no_kk`` and `` No  KK `` all mean ``no_kk``; a note in
brackets (``Jenis Kelamin (L/P)``) and the words *wajib*/*opsional* are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One column of the submission contract."""

    name: str  # as in raw.submission_row (the canonical header)
    label: str  # Indonesian, in messages to villages
    header: str  # the template's header cell (a note in brackets says what to type)
    office_header: str  # how village offices' own forms head it (the sample and fixture generators)
    aliases: tuple[str, ...]  # header variants seen on village forms (normalised spelling)
    hint: str  # the template's "Cara mengisi"
    example: str  # the template's "Contoh"
    type: str = "text"  # its type in staging.verifikasi: text, date, integer, bigint
    required: bool = False  # a file without this column is rejected as a whole
    max_length: int | None = None  # longest value (characters, trimmed) the gate lets into core
    id_text: bool = False  # an identifier kept as text (leading zeros, every digit): Text in the template
    digits: int | None = None  # a fixed number of digits: over 15, a cell typed as a number lost some
    values: tuple[str, ...] = ()  # the values it may take (after staging's tidying)
    staging_name: str | None = None  # its name in staging.verifikasi when not ``name``

    @property
    def staged_as(self) -> str:
        return self.staging_name or self.name


# Header variants (``aliases``) must never be something a data cell could hold, and never a combined
# column (``Tempat/Tgl Lahir``, ``RT/RW``): those are not mapped and land in ``extra``.
#: Longest values (``max_length``): well above any honest value, far below what a spreadsheet cell
#: can hold (Excel: 32,767), so one pasted essay can't stop an export. A longer value is an error
#: for its row (rule ``<column>_terlalu_panjang`` in ``verfak.rules``). The other columns are
#: bounded by their own rules (16 digits, a date, a value from a list, a number, the folder's
#: village code).
_STATUSES = ("layak", "tidak_layak", "meninggal", "pindah", "tidak_ditemukan")  # layak first: see LAYAK

CONTRACT: tuple[Column, ...] = (
    Column(
        "nik",
        "NIK",
        "NIK",
        "NIK",
        (
            "nik",
            "no nik",
            "nomor nik",
            "nomor induk kependudukan",
            "no induk kependudukan",
            "no ktp",
            "nomor ktp",
            "nik ktp",
        ),
        "16 digit NIK sesuai KTP/KK, sebagai teks",
        "3216xxxxxxxxxxxx",  # no real-looking NIK in a form
        required=True,
        id_text=True,
        digits=16,
    ),
    Column(
        "no_kk",
        "No. KK",
        "No. KK",
        "No. KK",
        (
            "no kk",
            "nomor kk",
            "kk",
            "no kartu keluarga",
            "nomor kartu keluarga",
            "nkk",
            "no kk kartu keluarga",
        ),
        "16 digit nomor Kartu Keluarga, sebagai teks",
        "3216xxxxxxxxxxxx",
        required=True,
        id_text=True,
        digits=16,
    ),
    Column(
        "nama",
        "Nama",
        "Nama Lengkap",
        "Nama Lengkap",
        (
            "nama",
            "nama lengkap",
            "nama anggota keluarga",
            "nama penerima",
            "nama art",
            "nama lengkap sesuai ktp",
            "nama sesuai ktp",
            "nama penduduk",
        ),
        "nama lengkap sesuai KTP/KK",
        "Siti Aminah",
        required=True,
        max_length=150,
    ),
    Column(
        "jenis_kelamin",
        "Jenis Kelamin",
        "Jenis Kelamin (L/P)",
        "L/P",
        ("jenis kelamin", "l p", "jk", "kelamin", "sex", "jns kelamin", "jenis kel"),
        "L atau P",
        "P",
        required=True,
        values=("L", "P"),
    ),
    Column(
        "tanggal_lahir",
        "Tanggal Lahir",
        "Tanggal Lahir (DD/MM/YYYY)",
        "Tgl Lahir",
        (
            "tanggal lahir",
            "tgl lahir",
            "tgl lhr",
            "tanggal lhr",
            "tgl lahir dd mm yyyy",
            "tanggal lahir dd mm yyyy",
        ),
        "DD/MM/YYYY",
        "17/08/1975",
        type="date",
        required=True,
    ),
    Column(
        "hubungan_keluarga",
        "Hubungan Keluarga",
        "Hubungan Keluarga",
        "Hubungan Keluarga",
        (
            "hubungan keluarga",
            "hubungan dengan kepala keluarga",
            "shdk",
            "hubungan",
            "hub keluarga",
            "hub dengan kk",
            "hubungan dengan kk",
            "status dalam keluarga",
        ),
        "hubungan dengan kepala keluarga",
        "Istri",
        max_length=50,
    ),
    Column(
        "alamat",
        "Alamat",
        "Alamat",
        "Alamat",
        ("alamat", "alamat lengkap", "alamat domisili", "alamat rumah"),
        "kampung/jalan",
        "Kp. Bulak Rawa",
        required=True,
        max_length=300,
    ),
    Column("rt", "RT", "RT", "RT", ("rt",), "nomor RT", "003", max_length=20, id_text=True),
    Column("rw", "RW", "RW", "RW", ("rw",), "nomor RW", "005", max_length=20, id_text=True),
    Column(
        "kode_desa",
        "Kode Desa",
        "Kode Desa",
        "Kode Desa",
        (
            "kode desa",
            "kode desa kelurahan",
            "kode kelurahan",
            "kode wilayah",
            "kode kemendagri",
            "kode desa kel",
            "kode kel",
            "kode desa kemendagri",
        ),
        "kode Kemendagri desa/kelurahan",
        "32.16.12.2003",
        required=True,
        id_text=True,
        staging_name="kode_desa_baris",  # staging's kode_desa is the folder's village
    ),
    Column(
        "status_verifikasi",
        "Status Verifikasi",
        "Status Verifikasi",
        "Status Verifikasi",
        (
            "status verifikasi",
            "status",
            "hasil verifikasi",
            "status verfak",
            "status kelayakan",
            "hasil verfak",
        ),
        ", ".join(_STATUSES),
        "layak",
        required=True,
        values=_STATUSES,
    ),
    Column(
        "alasan",
        "Alasan",
        "Alasan",
        "Alasan",
        ("alasan", "keterangan", "alasan status", "ket", "alasan tidak layak"),
        "wajib bila status bukan layak",
        "Pindah domisili ke Kota Bekasi",
        max_length=500,
    ),
    Column(
        "desil",
        "Desil",
        "Desil (1-10)",
        "Desil",
        ("desil", "desil dtsen", "peringkat desil", "desil kesejahteraan"),
        "angka 1 sampai 10 (DTSEN)",
        "1",
        type="integer",
    ),
    Column(
        "pekerjaan",
        "Pekerjaan",
        "Pekerjaan",
        "Pekerjaan",
        ("pekerjaan", "pekerjaan utama", "pekerjaan kk"),
        "pekerjaan utama",
        "Buruh harian lepas",
        max_length=100,
    ),
    Column(
        "pendidikan",
        "Pendidikan",
        "Pendidikan",
        "Pendidikan",
        ("pendidikan", "pendidikan terakhir", "pendidikan tertinggi"),
        "pendidikan terakhir",
        "SD",
        max_length=100,
    ),
    Column(
        "pendapatan_bulanan",
        "Pendapatan Bulanan",
        "Pendapatan Bulanan (Rp)",
        "Pendapatan Bulanan",
        (
            "pendapatan bulanan",
            "pendapatan",
            "penghasilan",
            "penghasilan per bulan",
            "pendapatan per bulan",
            "penghasilan bulanan",
            "penghasilan perbulan",
            "pendapatan perbulan",
        ),
        "rupiah per bulan, angka tanpa desimal",
        "750000",
        type="bigint",
    ),
    Column(
        "minat_pelatihan",
        "Minat Pelatihan",
        "Minat Pelatihan",
        "Minat Pelatihan",
        ("minat pelatihan", "pelatihan yang diminati", "minat pelatihan kerja"),
        "pisahkan dengan titik koma",
        "menjahit;tata_boga",
        max_length=300,
    ),
    Column(
        "memiliki_usaha",
        "Memiliki Usaha",
        "Memiliki Usaha (ya/tidak)",
        "Memiliki Usaha",
        ("memiliki usaha", "punya usaha", "mempunyai usaha"),
        "ya atau tidak",
        "tidak",
        values=("ya", "tidak"),
    ),
    Column(
        "minat_usaha",
        "Minat Usaha",
        "Minat Usaha",
        "Minat Usaha",
        ("minat usaha", "usaha yang diminati", "jenis usaha"),
        "jenis usaha yang diminati",
        "warung",
        max_length=200,
    ),
    Column(
        "no_hp",
        "No. HP",
        "No. HP",
        "No HP",
        (
            "no hp",
            "nomor hp",
            "no telp",
            "no telepon",
            "nomor telepon",
            "hp",
            "no wa",
            "nomor hp wa",
            "no hp wa",
            "no wa hp",
            "no whatsapp",
            "nomor whatsapp",
            "no tlp",
            "no hp telp",
        ),
        "nomor HP/WA, sebagai teks",
        "081234567890",
        max_length=30,
        id_text=True,
    ),
    Column(
        "tanggal_verifikasi",
        "Tanggal Verifikasi",
        "Tanggal Verifikasi (DD/MM/YYYY)",
        "Tanggal Verifikasi",
        (
            "tanggal verifikasi",
            "tgl verifikasi",
            "tanggal kunjungan",
            "tgl kunjungan",
            "tanggal verfak",
            "tgl verfak",
            "tanggal pendataan",
            "tgl pendataan",
        ),
        "tanggal kunjungan lapangan, DD/MM/YYYY",
        "10/06/2024",
        type="date",
        required=True,
    ),
    Column(
        "petugas",
        "Petugas",
        "Petugas",
        "Petugas",
        (
            "petugas",
            "nama petugas",
            "petugas verifikasi",
            "verifikator",
            "nama verifikator",
            "nama petugas verifikasi",
            "enumerator",
            "nama enumerator",
            "petugas pendata",
        ),
        "nama petugas verifikasi",
        "Ujang Sutisna",
        required=True,
        max_length=150,
    ),
)

BY_NAME: dict[str, Column] = {c.name: c for c in CONTRACT}

#: Canonical columns in the order of the contract (and of raw.submission_row).
COLUMNS: tuple[str, ...] = tuple(c.name for c in CONTRACT)

#: Columns a submission must have (a file without one of them is rejected as a whole).
REQUIRED: tuple[str, ...] = tuple(c.name for c in CONTRACT if c.required)

#: Identifiers kept as text, never read as numbers (formatted as Text in the template).
ID_COLUMNS: tuple[str, ...] = tuple(c.name for c in CONTRACT if c.id_text)

#: Identifiers longer than the 15 digits Excel keeps in a number: a cell that went through a number
#: has lost digits, so the row is rejected at intake (``id_diketik_angka``, ``id_notasi_ilmiah``).
MUST_BE_TEXT: tuple[str, ...] = tuple(c.name for c in CONTRACT if c.digits and c.digits > 15)

#: The phone number: typed as a number it lost its leading 0, a warning only (it is optional).
PHONE = "no_hp"

#: Columns that hold dates.
DATE_COLUMNS: tuple[str, ...] = tuple(c.name for c in CONTRACT if c.type == "date")

#: Longest value of each free-text column that the gate lets into core (see ``Column.max_length``).
MAX_LENGTHS: dict[str, int] = {c.name: c.max_length for c in CONTRACT if c.max_length is not None}

#: Indonesian labels for messages to villages.
LABELS: dict[str, str] = {c.name: c.label for c in CONTRACT}

#: The values of the columns that take one from a list.
STATUS_VALUES: tuple[str, ...] = BY_NAME["status_verifikasi"].values
SEX_VALUES: tuple[str, ...] = BY_NAME["jenis_kelamin"].values
YES_NO_VALUES: tuple[str, ...] = BY_NAME["memiliki_usaha"].values
#: The status that keeps a person on the list (every other one needs a reason).
LAYAK = STATUS_VALUES[0]

#: The columns of raw.submission_row: the row's identity, every contract column as text, the rest.
RAW_TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("file_id", "bigint"),
    ("source_row", "integer"),
    *((c.name, "text") for c in CONTRACT),
    ("extra", "jsonb"),
    ("source_sheet", "text"),
    ("sheet_row", "integer"),
)

#: The columns of staging.verifikasi: the row's identity, the period and the folder's village, every
#: contract column typed, the gate's verdict.
STAGING_TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("file_id", "bigint"),
    ("source_row", "integer"),
    ("period", "date"),
    ("kode_desa", "text"),
    *((c.staged_as, c.type) for c in CONTRACT),
    ("has_error", "boolean"),
    ("has_warning", "boolean"),
)


def one_of(values: tuple[str, ...]) -> str:
    """``('a', 'b', 'c')`` -> ``'a, b, c'`` (how messages to villages list allowed values)."""
    return ", ".join(values)


_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise_header(cell: object) -> str:
    """``' No. KK '`` -> ``'no kk'``."""
    return _NON_ALNUM.sub(" ", str(cell).strip().lower()).strip()


HEADER_ALIASES: dict[str, str] = {
    normalise_header(variant): c.name for c in CONTRACT for variant in (*c.aliases, c.name)
}


_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_MARKERS = re.compile(r"\b(wajib|opsional|tidak wajib)\b")


def canonical_column(cell: object) -> str | None:
    """The contract column a header cell names, or None.

    A note in brackets (``Jenis Kelamin (L/P)``, ``Tanggal Lahir (DD/MM/YYYY)``,
    ``Penghasilan per Bulan (Rp)``) and the words *wajib*/*opsional* don't change the column.
    """
    column = HEADER_ALIASES.get(normalise_header(cell))
    if column is None:
        bare = _MARKERS.sub(" ", normalise_header(_BRACKETED.sub(" ", str(cell))))
        column = HEADER_ALIASES.get(" ".join(bare.split()))
    return column

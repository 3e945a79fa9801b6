"""The submission contract's columns and every header name villages use for them (one place).

A header cell is normalised (lower case, anything but letters and digits becomes one space) and
looked up here, so ``No. KK``, ``NO KK``, ``no_kk`` and `` No  KK `` all mean ``no_kk``; a note in
brackets (``Jenis Kelamin (L/P)``) and the words *wajib*/*opsional* are ignored.
"""

from __future__ import annotations

import re

#: Canonical columns in the order of the contract (and of raw.submission_row).
COLUMNS: tuple[str, ...] = (
    "nik",
    "no_kk",
    "nama",
    "jenis_kelamin",
    "tanggal_lahir",
    "hubungan_keluarga",
    "alamat",
    "rt",
    "rw",
    "kode_desa",
    "status_verifikasi",
    "alasan",
    "desil",
    "pekerjaan",
    "pendidikan",
    "pendapatan_bulanan",
    "minat_pelatihan",
    "memiliki_usaha",
    "minat_usaha",
    "no_hp",
    "tanggal_verifikasi",
    "petugas",
)

#: Columns a submission must have (a file without one of them is rejected as a whole).
REQUIRED: tuple[str, ...] = (
    "nik",
    "no_kk",
    "nama",
    "jenis_kelamin",
    "tanggal_lahir",
    "alamat",
    "kode_desa",
    "status_verifikasi",
    "tanggal_verifikasi",
    "petugas",
)

#: Columns that hold identifiers: never to be read as numbers.
ID_COLUMNS: tuple[str, ...] = ("nik", "no_kk", "no_hp")

#: Columns that hold dates.
DATE_COLUMNS: tuple[str, ...] = ("tanggal_lahir", "tanggal_verifikasi")

#: Longest value (characters, after trimming) of each free-text column that the gate lets into core:
#: well above any honest value, far below what a spreadsheet cell can hold (Excel: 32,767), so one
#: pasted essay can't stop an export. A longer value is an error for its row (rule
#: ``<column>_terlalu_panjang`` in ``verfak.rules``). The other columns are bounded by their own
#: rules (16 digits, a date, a value from a list, a number, the folder's village code).
MAX_LENGTHS: dict[str, int] = {
    "nama": 150,
    "hubungan_keluarga": 50,
    "alamat": 300,
    "rt": 20,
    "rw": 20,
    "alasan": 500,
    "pekerjaan": 100,
    "pendidikan": 100,
    "minat_pelatihan": 300,
    "minat_usaha": 200,
    "no_hp": 30,
    "petugas": 150,
}

#: Indonesian labels for messages to villages.
LABELS: dict[str, str] = {
    "nik": "NIK",
    "no_kk": "No. KK",
    "nama": "Nama",
    "jenis_kelamin": "Jenis Kelamin",
    "tanggal_lahir": "Tanggal Lahir",
    "hubungan_keluarga": "Hubungan Keluarga",
    "alamat": "Alamat",
    "rt": "RT",
    "rw": "RW",
    "kode_desa": "Kode Desa",
    "status_verifikasi": "Status Verifikasi",
    "alasan": "Alasan",
    "desil": "Desil",
    "pekerjaan": "Pekerjaan",
    "pendidikan": "Pendidikan",
    "pendapatan_bulanan": "Pendapatan Bulanan",
    "minat_pelatihan": "Minat Pelatihan",
    "memiliki_usaha": "Memiliki Usaha",
    "minat_usaha": "Minat Usaha",
    "no_hp": "No. HP",
    "tanggal_verifikasi": "Tanggal Verifikasi",
    "petugas": "Petugas",
}

# Header variants seen on village forms, by canonical column (normalised spelling). A variant must
# never be something a data cell could hold, and never a combined column (``Tempat/Tgl Lahir``,
# ``RT/RW``): those are not mapped and land in ``extra``.
_VARIANTS: dict[str, tuple[str, ...]] = {
    "nik": (
        "nik",
        "no nik",
        "nomor nik",
        "nomor induk kependudukan",
        "no induk kependudukan",
        "no ktp",
        "nomor ktp",
        "nik ktp",
    ),
    "no_kk": (
        "no kk",
        "nomor kk",
        "kk",
        "no kartu keluarga",
        "nomor kartu keluarga",
        "nkk",
        "no kk kartu keluarga",
    ),
    "nama": (
        "nama",
        "nama lengkap",
        "nama anggota keluarga",
        "nama penerima",
        "nama art",
        "nama lengkap sesuai ktp",
        "nama sesuai ktp",
        "nama penduduk",
    ),
    "jenis_kelamin": ("jenis kelamin", "l p", "jk", "kelamin", "sex", "jns kelamin", "jenis kel"),
    "tanggal_lahir": (
        "tanggal lahir",
        "tgl lahir",
        "tgl lhr",
        "tanggal lhr",
        "tgl lahir dd mm yyyy",
        "tanggal lahir dd mm yyyy",
    ),
    "hubungan_keluarga": (
        "hubungan keluarga",
        "hubungan dengan kepala keluarga",
        "shdk",
        "hubungan",
        "hub keluarga",
        "hub dengan kk",
        "hubungan dengan kk",
        "status dalam keluarga",
    ),
    "alamat": ("alamat", "alamat lengkap", "alamat domisili", "alamat rumah"),
    "rt": ("rt",),
    "rw": ("rw",),
    "kode_desa": (
        "kode desa",
        "kode desa kelurahan",
        "kode kelurahan",
        "kode wilayah",
        "kode kemendagri",
        "kode desa kel",
        "kode kel",
        "kode desa kemendagri",
    ),
    "status_verifikasi": (
        "status verifikasi",
        "status",
        "hasil verifikasi",
        "status verfak",
        "status kelayakan",
        "hasil verfak",
    ),
    "alasan": ("alasan", "keterangan", "alasan status", "ket", "alasan tidak layak"),
    "desil": ("desil", "desil dtsen", "peringkat desil", "desil kesejahteraan"),
    "pekerjaan": ("pekerjaan", "pekerjaan utama", "pekerjaan kk"),
    "pendidikan": ("pendidikan", "pendidikan terakhir", "pendidikan tertinggi"),
    "pendapatan_bulanan": (
        "pendapatan bulanan",
        "pendapatan",
        "penghasilan",
        "penghasilan per bulan",
        "pendapatan per bulan",
        "penghasilan bulanan",
        "penghasilan perbulan",
        "pendapatan perbulan",
    ),
    "minat_pelatihan": ("minat pelatihan", "pelatihan yang diminati", "minat pelatihan kerja"),
    "memiliki_usaha": ("memiliki usaha", "punya usaha", "mempunyai usaha"),
    "minat_usaha": ("minat usaha", "usaha yang diminati", "jenis usaha"),
    "no_hp": (
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
    "tanggal_verifikasi": (
        "tanggal verifikasi",
        "tgl verifikasi",
        "tanggal kunjungan",
        "tgl kunjungan",
        "tanggal verfak",
        "tgl verfak",
        "tanggal pendataan",
        "tgl pendataan",
    ),
    "petugas": (
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
}

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise_header(cell: object) -> str:
    """``' No. KK '`` -> ``'no kk'``."""
    return _NON_ALNUM.sub(" ", str(cell).strip().lower()).strip()


HEADER_ALIASES: dict[str, str] = {
    normalise_header(variant): column
    for column, variants in _VARIANTS.items()
    for variant in (*variants, column)
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

"""Every quality rule of a verification row, written once, as a Great Expectations expectation.

Each rule has an id, a severity and the Indonesian message the village gets. ``error`` keeps the
row out of core; ``warning`` lets it in with the flag kept (``has_warning``). The failed rows in
``quality.row_issue`` and the village feedback files come from the validation results of this
suite (``verfak.quality``), never from a second copy of the rules.

The rules read the typed staging columns and the derived ones that ``verfak.staging`` adds
(``*_terbaca``: a value was sent but could not be read; ``nik_*``: the parts of the NIK;
``nik_urutan_dalam_file`` / ``nik_jumlah_desa`` / ``nik_jumlah_kk``: duplicates). Great
Expectations itself is imported only when the suite is built (it takes seconds to import).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from verfak import config, db
from verfak.columns import (
    BY_NAME,
    LABELS,
    LAYAK,
    MAX_LENGTHS,
    MUST_BE_TEXT,
    PHONE,
    SEX_VALUES,
    STATUS_VALUES,
    YES_NO_VALUES,
    one_of,
)
from verfak.config import Settings

SUITE_NAME = "verfak_verifikasi"
VILLAGE_SUITE_NAME = "verfak_desa"


@dataclass(frozen=True)
class Rule:
    rule_id: str
    severity: str  # error | warning
    column: str | None  # the submission column the village must look at (None: the whole file)
    message: str  # Indonesian, what to fix
    expectation: str  # Great Expectations expectation class
    kwargs: dict = field(default_factory=dict)
    description: str = ""


def _required(column: str, example: str = "", typed_column: str | None = None) -> Rule:
    return Rule(
        f"{column}_wajib",
        "error",
        column,
        f"{LABELS[column]} wajib diisi.{(' ' + example) if example else ''}",
        "ExpectColumnValuesToNotBeNull",
        {"column": typed_column or column},
        f"{column} is required",
    )


def _max_length(column: str) -> Rule:
    """At most ``MAX_LENGTHS[column]`` characters (the typed value: trimmed, as core would hold it)."""
    limit = MAX_LENGTHS[column]
    return Rule(
        f"{column}_terlalu_panjang",
        "error",
        column,
        f"{LABELS[column]} terlalu panjang: paling banyak {limit} karakter. Periksa isi sel ini "
        "(mungkin tertempel teks lain) dan tulis singkat.",
        "ExpectColumnValueLengthsToBeBetween",
        {"column": column, "max_value": limit},
        f"{column} at most {limit} characters",
    )


_NIK_DIGITS = BY_NAME["nik"].digits
_KK_DIGITS = BY_NAME["no_kk"].digits


def _if(column: str, operator: str, value) -> dict:
    """Apply the rule only to rows where ``column <operator> value`` (``==``, ``>=`` or ``in``)."""
    return {"row_condition": (column, operator, value)}


RULES: tuple[Rule, ...] = (
    # --- required values ---------------------------------------------------------------------
    _required("nik", f"Tulis {_NIK_DIGITS} digit NIK sesuai KTP/KK."),
    _required("no_kk", f"Tulis {_KK_DIGITS} digit nomor Kartu Keluarga."),
    _required("nama"),
    _required("jenis_kelamin", f"Isi {' atau '.join(SEX_VALUES)}."),
    _required(
        "tanggal_lahir",
        "Tulis sebagai DD/MM/YYYY, misalnya 17/08/1975.",
        "tanggal_lahir_terbaca",
    ),
    _required("alamat"),
    _required(
        "kode_desa",
        "Tulis kode desa Kemendagri, misalnya 32.16.12.2003.",
        BY_NAME["kode_desa"].staged_as,
    ),
    _required("status_verifikasi", f"Isi salah satu: {one_of(STATUS_VALUES)}."),
    _required(
        "tanggal_verifikasi",
        "Tulis tanggal kunjungan lapangan, DD/MM/YYYY.",
        "tanggal_verifikasi_terbaca",
    ),
    _required("petugas", "Tulis nama petugas verifikasi."),
    # --- NIK and KK ----------------------------------------------------------------------------
    Rule(
        "nik_16_digit",
        "error",
        "nik",
        f"NIK harus {_NIK_DIGITS} digit angka. Periksa kembali dengan KTP/KK (jangan ada huruf atau digit yang "
        "hilang).",
        "ExpectColumnValuesToMatchRegex",
        {"column": "nik", "regex": f"^[0-9]{{{_NIK_DIGITS}}}$"},
        f"NIK is {_NIK_DIGITS} digits",
    ),
    Rule(
        "nik_tanggal_valid",
        "error",
        "nik",
        "Bagian tanggal lahir di NIK (digit 7-12) bukan tanggal yang mungkin (untuk perempuan tanggal ditambah 40). "
        "Periksa kembali NIK dengan KTP/KK.",
        "ExpectColumnValuesToNotBeNull",
        {"column": "nik_tanggal_lahir", **_if("nik_format_ok", "==", True)},
        "the NIK's date part is a real date (women: day + 40)",
    ),
    Rule(
        "nik_nomor_urut",
        "error",
        "nik",
        "Nomor urut NIK (4 digit terakhir) tidak boleh 0000. Periksa kembali NIK dengan KTP/KK.",
        "ExpectColumnValuesToBeInSet",
        {"column": "nik_serial_ok", "value_set": [True], **_if("nik_format_ok", "==", True)},
        "the NIK's serial is not 0000",
    ),
    Rule(
        "nik_tanggal_lahir_berbeda",
        "warning",
        "tanggal_lahir",
        "Tanggal lahir tidak sama dengan tanggal lahir di NIK. NIK tidak dapat diubah: periksa Tanggal Lahir.",
        "ExpectColumnPairValuesToBeEqual",
        {
            "column_A": "nik_ddmmyy",
            "column_B": "tanggal_lahir_ddmmyy",
            "ignore_row_if": "either_value_is_missing",
        },
        "birth date agrees with the NIK",
    ),
    Rule(
        "nik_jenis_kelamin_berbeda",
        "warning",
        "jenis_kelamin",
        "Jenis kelamin tidak sama dengan NIK (tanggal di NIK ditambah 40 untuk perempuan). Periksa Jenis Kelamin.",
        "ExpectColumnPairValuesToBeEqual",
        {
            "column_A": "nik_jenis_kelamin",
            "column_B": "jenis_kelamin",
            "ignore_row_if": "either_value_is_missing",
            **_if("jenis_kelamin", "in", list(SEX_VALUES)),
        },
        "sex agrees with the NIK",
    ),
    Rule(
        "nik_luar_bekasi",
        "warning",
        "nik",
        "NIK diterbitkan di luar Kabupaten Bekasi (bukan 3216...). Pastikan penduduk ini memang tinggal di desa ini.",
        "ExpectColumnValuesToBeInSet",
        {"column": "nik_dalam_bekasi", "value_set": [True], **_if("nik_format_ok", "==", True)},
        "NIK first issued in Kabupaten Bekasi (people move in: warning)",
    ),
    Rule(
        "no_kk_16_digit",
        "error",
        "no_kk",
        f"No. KK harus {_KK_DIGITS} digit angka. Periksa kembali dengan Kartu Keluarga.",
        "ExpectColumnValuesToMatchRegex",
        {"column": "no_kk", "regex": f"^[0-9]{{{_KK_DIGITS}}}$"},
        f"KK number is {_KK_DIGITS} digits",
    ),
    # --- duplicates ----------------------------------------------------------------------------
    Rule(
        "nik_ganda_dalam_file",
        "error",
        "nik",
        "NIK ini sudah ada di baris sebelumnya dalam file yang sama. Hapus baris ganda.",
        "ExpectColumnValuesToBeInSet",
        {"column": "nik_urutan_dalam_file", "value_set": [1]},
        "one row per NIK in a file (later rows fail)",
    ),
    Rule(
        "nik_ganda_antar_desa",
        "error",
        "nik",
        "NIK ini juga dikirim oleh desa lain pada periode yang sama. Data ditahan sampai dipastikan di desa mana "
        "penduduk ini tinggal; hubungi Dinas Sosial.",
        "ExpectColumnValuesToBeInSet",
        {"column": "nik_jumlah_desa", "value_set": [1]},
        "a NIK is sent by one village per period (both held out)",
    ),
    Rule(
        "nik_kk_berbeda",
        "warning",
        "no_kk",
        "NIK ini tercatat dengan lebih dari satu No. KK pada periode ini. Periksa No. KK.",
        "ExpectColumnValuesToBeInSet",
        {"column": "nik_jumlah_kk", "value_set": [1]},
        "one KK per NIK in a period",
    ),
    # --- values --------------------------------------------------------------------------------
    Rule(
        "jenis_kelamin_valid",
        "error",
        "jenis_kelamin",
        "Jenis Kelamin harus L (Laki-laki) atau P (Perempuan).",
        "ExpectColumnValuesToBeInSet",
        {"column": "jenis_kelamin", "value_set": list(SEX_VALUES)},
        "sex is L or P",
    ),
    Rule(
        "tanggal_lahir_valid",
        "error",
        "tanggal_lahir",
        "Tanggal Lahir bukan tanggal yang benar. Tulis sebagai DD/MM/YYYY, misalnya 17/08/1975.",
        "ExpectColumnValuesToBeInSet",
        {"column": "tanggal_lahir_terbaca", "value_set": [True]},
        "birth date is a real date",
    ),
    Rule(
        "tanggal_lahir_wajar",
        "error",
        "tanggal_lahir",
        "Tanggal Lahir tidak wajar (di masa depan atau umur lebih dari 120 tahun). Periksa kembali.",
        "ExpectColumnValuesToBeBetween",
        {"column": "umur", "min_value": 0, "max_value": 120},
        "not in the future, age 0-120",
    ),
    Rule(
        "status_verifikasi_valid",
        "error",
        "status_verifikasi",
        f"Status Verifikasi harus salah satu dari: {one_of(STATUS_VALUES)}.",
        "ExpectColumnValuesToBeInSet",
        {"column": "status_verifikasi", "value_set": list(STATUS_VALUES)},
        "status in its set",
    ),
    Rule(
        "alasan_wajib",
        "error",
        "alasan",
        f"Alasan wajib diisi bila status bukan '{LAYAK}' (misalnya: sudah bekerja tetap, meninggal dunia tanggal ..., "
        "pindah ke ...).",
        "ExpectColumnValuesToNotBeNull",
        {"column": "alasan", **_if("perlu_alasan", "==", True)},
        f"a reason when the status is not {LAYAK}",
    ),
    Rule(
        "tanggal_verifikasi_valid",
        "error",
        "tanggal_verifikasi",
        "Tanggal Verifikasi bukan tanggal yang benar. Tulis sebagai DD/MM/YYYY.",
        "ExpectColumnValuesToBeInSet",
        {"column": "tanggal_verifikasi_terbaca", "value_set": [True]},
        "verification date is a real date",
    ),
    Rule(
        "tanggal_verifikasi_periode",
        "error",
        "tanggal_verifikasi",
        "Tanggal Verifikasi harus di dalam periode laporan (atau paling lama 31 hari sebelum awal periode).",
        "ExpectColumnValuesToBeBetween",
        {"column": "hari_verifikasi_sebelum_akhir_periode", "min_value": 0, "max_value": 61},
        "verification date within the period or just before it",
    ),
    Rule(
        "desil_valid",
        "error",
        "desil",
        "Desil harus angka bulat 1 sampai 10 (atau dikosongkan).",
        "ExpectColumnValuesToBeBetween",
        {"column": "desil", "min_value": 1, "max_value": 10},
        "decile 1-10 when given",
    ),
    Rule(
        "desil_angka",
        "error",
        "desil",
        "Desil harus angka bulat 1 sampai 10 (atau dikosongkan).",
        "ExpectColumnValuesToBeInSet",
        {"column": "desil_terbaca", "value_set": [True]},
        "decile is a number",
    ),
    Rule(
        "pendapatan_angka",
        "error",
        "pendapatan_bulanan",
        "Pendapatan Bulanan harus angka rupiah tanpa desimal, misalnya 750000 (atau dikosongkan).",
        "ExpectColumnValuesToBeInSet",
        {"column": "pendapatan_bulanan_terbaca", "value_set": [True]},
        "income is an integer",
    ),
    Rule(
        "pendapatan_tidak_negatif",
        "error",
        "pendapatan_bulanan",
        "Pendapatan Bulanan tidak boleh negatif.",
        "ExpectColumnValuesToBeBetween",
        {"column": "pendapatan_bulanan", "min_value": 0},
        "income >= 0",
    ),
    Rule(
        "memiliki_usaha_valid",
        "warning",
        "memiliki_usaha",
        f"Memiliki Usaha diisi {' atau '.join(repr(v) for v in YES_NO_VALUES)}. Nilai lain diabaikan.",
        "ExpectColumnValuesToBeInSet",
        {"column": "memiliki_usaha", "value_set": list(YES_NO_VALUES)},
        f"has a business is {'/'.join(YES_NO_VALUES)}",
    ),
    # --- region --------------------------------------------------------------------------------
    Rule(
        "kode_desa_dikenal",
        "error",
        "kode_desa",
        "Kode Desa tidak dikenal: gunakan kode desa/kelurahan Kemendagri Kabupaten Bekasi, misalnya 32.16.12.2003.",
        "ExpectColumnValuesToBeInSet",
        {"column": "kode_desa_baris", "value_set": []},  # filled from ref.desa
        "kode_desa in the reference",
    ),
    Rule(
        "kode_desa_sekecamatan",
        "error",
        "kode_desa",
        "Kode Desa di baris ini berada di kecamatan lain dari folder pengiriman. Periksa Kode Desa.",
        "ExpectColumnPairValuesToBeEqual",
        {
            "column_A": "kode_kecamatan_baris",
            "column_B": "kode_kecamatan_folder",
            "ignore_row_if": "either_value_is_missing",
        },
        "kode_desa in the folder's kecamatan",
    ),
    # A file speaks only for its folder's village: a row naming another village of the same
    # kecamatan is an error (one of another kecamatan fails kode_desa_sekecamatan instead).
    Rule(
        "kode_desa_sesuai_folder",
        "error",
        "kode_desa",
        "Kode Desa di baris ini adalah desa/kelurahan lain, bukan desa folder pengiriman. File sebuah desa "
        "hanya boleh berisi warga desa itu: perbaiki Kode Desa, atau kirim warga desa lain lewat folder desanya.",
        "ExpectColumnPairValuesToBeEqual",
        {
            "column_A": "kode_desa_baris",
            "column_B": "kode_desa",
            "ignore_row_if": "either_value_is_missing",
            **_if("kecamatan_sama_dengan_folder", "==", True),
        },
        "kode_desa is the folder's village (rows of the folder's kecamatan)",
    ),
    # --- lengths: every free text that reaches core fits any export ----------------------------
    *(_max_length(column) for column in MAX_LENGTHS),
)

RULES_BY_ID = {rule.rule_id: rule for rule in RULES}
assert len(RULES_BY_ID) == len(RULES), "rule ids must be unique"


def village_rules(settings: Settings | None = None) -> tuple[Rule, ...]:
    """Per-village, per-period checks for the data engineers (table level: all warnings).

    They read the figures that verfak.load computes per village
    (include/sql/quality/village_figures.sql). Their thresholds are settings
    (``VERFAK_ATTENTION_SHARE``, ``VERFAK_OUTLIER_RATIO``, ``VERFAK_OUTLIER_MIN_CHANGE``, see
    ``verfak.config``), read when the rules are asked for (``settings``: those of the environment now).
    """
    settings = settings or config.settings()
    return (
        Rule(
            "desa_perlu_perhatian",
            "warning",
            "kode_desa",
            f"Lebih dari {settings.attention_share:.0%} baris kiriman desa ini ditolak: periksa dan bantu desa memperbaiki.",
            "ExpectColumnValuesToBeBetween",
            {"column": "bagian_baris_ditolak", "min_value": 0, "max_value": settings.attention_share},
            "share of a village's rows with an error at most VERFAK_ATTENTION_SHARE",
        ),
        Rule(
            "jumlah_layak_melonjak",
            "warning",
            "kode_desa",
            f"Jumlah warga layak desa ini berubah lebih dari {settings.outlier_ratio:.0%} dibanding rata-rata periode "
            "sebelumnya: pastikan bukan salah kirim.",
            "ExpectColumnValuesToBeBetween",
            {
                "column": "perubahan_relatif",
                "min_value": -settings.outlier_ratio,
                "max_value": settings.outlier_ratio,
                **_if("selisih_mutlak", ">=", settings.outlier_min_change),
            },
            "layak count within the ratio of its average of up to 6 earlier periods (DHIS2-style outlier)",
        ),
        Rule(
            "kiriman_desa_hilang",
            "warning",
            "kode_desa",
            "Desa ini mengirim pada periode sebelumnya tetapi belum mengirim pada periode ini.",
            "ExpectColumnValuesToBeInSet",
            {"column": "mengirim", "value_set": [True], **_if("pernah_mengirim", "==", True)},
            "a village that submitted before submits again",
        ),
    )


def village_rules_by_id(settings: Settings | None = None) -> dict[str, Rule]:
    return {rule.rule_id: rule for rule in village_rules(settings)}


# --- referral outcomes reported back by the agencies (docs/tindak_lanjut.md) -----------------
# Each rule reads one column of the same name computed by the SQL function publish.outcome_checks
# (include/sql/views/410_publish.outcome_checks.sql): true = passes, false = fails, empty = the
# rule does not apply to the row. The return-file gate (verfak.tindak_lanjut) computes them for
# every row and runs this suite in Great Expectations and as masks; the agencies' database
# function publish.catat_tindak_lanjut raises with the same id and message.
OUTCOME_SUITE_NAME = "verfak_tindak_lanjut"


def _passes(rule_id: str, column: str, message: str, description: str) -> Rule:
    return Rule(
        rule_id,
        "error",
        column,
        message,
        "ExpectColumnValuesToBeInSet",
        {"column": rule_id, "value_set": [True]},
        description,
    )


OUTCOME_RULES: tuple[Rule, ...] = (
    _passes(
        "tl_referral_dikenal",
        "referral_id",
        "ID Rujukan tidak dikenal. Salin ID Rujukan persis dari file tindak_lanjut.xlsx (misalnya PL-202406-0000123).",
        "the referral id exists",
    ),
    _passes(
        "tl_referral_program",
        "referral_id",
        "ID Rujukan ini milik program lain. Laporkan hanya rujukan program Anda, di folder program Anda.",
        "the referral belongs to the folder's program",
    ),
    _passes(
        "tl_nik_sesuai",
        "nik",
        "NIK tidak sama dengan NIK pada rujukan ini. Periksa apakah baris ini tertukar dengan orang lain; "
        "jangan ubah kolom NIK dan ID Rujukan dari file tindak_lanjut.xlsx.",
        "the NIK is the referral's",
    ),
    _passes(
        "tl_status_program",
        "status_tindak_lanjut",
        "Status Tindak Lanjut kosong atau tidak dipakai program ini. Pilih dari daftar pilihan di file "
        "tindak_lanjut.xlsx (lihat panduan docs/tindak_lanjut.md).",
        "the status is one the program accepts",
    ),
    _passes(
        "tl_perpindahan_sah",
        "status_tindak_lanjut",
        "Urutan status tidak sah: status ini tidak bisa menyusul status sebelumnya (misalnya 'selesai' harus "
        "didahului 'diterima' atau 'mengikuti', dan setelah status akhir tidak boleh ada status lain). "
        "Untuk membetulkan laporan sebelumnya, tulis di Keterangan: 'koreksi: <alasan>'.",
        "a legal move from the referral's previous status (a correction may follow anything)",
    ),
    _passes(
        "tl_tanggal_wajib",
        "tanggal",
        "Tanggal wajib diisi dengan tanggal yang benar, DD/MM/YYYY, misalnya 03/07/2024.",
        "the date is given and is a date",
    ),
    _passes(
        "tl_tanggal_setelah_rujukan",
        "tanggal",
        "Tanggal lebih awal dari tanggal rujukan dikirim. Periksa kembali tanggal kejadiannya.",
        "the date is not before the referral",
    ),
    _passes(
        "tl_tanggal_tidak_di_masa_depan",
        "tanggal",
        "Tanggal berada di masa depan. Laporkan hanya yang sudah terjadi.",
        "the date is not in the future",
    ),
    _passes(
        "tl_nilai_wajib",
        "nilai",
        "Nilai (Rp) wajib diisi untuk status dana_cair dan dibayar, berupa angka rupiah tanpa desimal, "
        "misalnya 2500000.",
        "an amount for money statuses",
    ),
    _passes("tl_nilai_positif", "nilai", "Nilai (Rp) harus lebih dari 0.", "the amount is positive"),
)
OUTCOME_RULES_BY_ID = {rule.rule_id: rule for rule in OUTCOME_RULES}
assert len(OUTCOME_RULES_BY_ID) == len(OUTCOME_RULES), "outcome rule ids must be unique"


# --- reading a file: row issues found at intake and whole-file rejections ----------------------
# Not Great Expectations rules (they are found while a file is read, by ``verfak.intake``,
# ``verfak.ingest`` and ``verfak.bounds``), but in the same registry so that ``quality.rule`` lists
# every code a village or an engineer can see. The message a village gets is written where the
# problem is found (it names the cell, the sheet, the limit); ``message`` here says what the code
# means, in Indonesian, and is the docs' table of codes (``python -m verfak rules-doc``).
INTAKE = "intake"  # the ``expectation`` of a row issue found while reading
FILE = "file"  # the ``expectation`` of a whole-file rejection

INTAKE_RULES: tuple[Rule, ...] = (
    Rule(
        "id_diketik_angka",
        "error",
        ", ".join(MUST_BE_TEXT),
        "NIK/No. KK diketik sebagai angka di Excel (sel angka, atau berakhiran .0): digit terakhir bisa hilang, "
        "baris ditolak.",
        INTAKE,
        {},
        "a NIK or No. KK that went through a number in Excel (a numeric cell, or a .0 tail): the row is rejected",
    ),
    Rule(
        "id_notasi_ilmiah",
        "error",
        ", ".join(MUST_BE_TEXT),
        "NIK/No. KK tertulis dalam notasi ilmiah (3.21601E+15): digitnya sudah hilang, baris ditolak.",
        INTAKE,
        {},
        "a NIK or No. KK in scientific notation: digits lost, the row is rejected",
    ),
    Rule(
        "no_hp_diketik_angka",
        "warning",
        PHONE,
        "No. HP diketik sebagai angka di Excel sehingga angka 0 di depan hilang.",
        INTAKE,
        {},
        "a phone number typed as a number (leading 0 lost): warning, the row passes",
    ),
    Rule(
        "no_hp_notasi_ilmiah",
        "warning",
        PHONE,
        "No. HP tertulis dalam notasi ilmiah sehingga digitnya hilang; nomor tidak dipakai.",
        INTAKE,
        {},
        "a phone number in scientific notation: warning, the number is not used",
    ),
)


@dataclass(frozen=True)
class FileRejection:
    """Codes of a whole file rejected, sharing one meaning (one line of the docs' table)."""

    codes: tuple[str, ...]
    meaning: str  # Indonesian, for the village: the docs' table and quality.rule.message
    description: str  # English, for the engineers: quality.rule.description
    village: bool = True  # a village submission's code (False: the agencies' return files only)


FILE_REJECTIONS: tuple[FileRejection, ...] = (
    FileRejection(("file_kosong",), "file 0 byte atau tanpa isi", "empty file"),
    FileRejection(("tanpa_data",), "hanya baris judul kolom, tanpa baris data", "a header and no data row"),
    FileRejection(
        ("header_tidak_ditemukan",),
        "tidak ada baris judul kolom di 30 baris pertama",
        "no header row in the first 30 rows",
    ),
    FileRejection(
        ("kolom_wajib_tidak_ada",),
        "ada kolom wajib yang tidak ditemukan (disebutkan namanya)",
        "a required column is missing",
    ),
    FileRejection(
        ("file_pdf",),
        "file PDF (hasil cetak/pindaian) yang diberi nama `.xlsx`/`.csv`",
        "a PDF named .xlsx/.csv",
    ),
    FileRejection(("excel_berpassword",), "file Excel dengan kata sandi", "a password-protected workbook"),
    FileRejection(
        ("excel_tidak_terbaca",),
        "file rusak, atau file lain yang diganti namanya",
        "a broken workbook, or another file renamed",
    ),
    FileRejection(("bukan_csv",), "file bernama `.csv` yang isinya bukan teks", "a .csv that is not text"),
    FileRejection(
        ("csv_rusak",), "CSV dengan tanda kutip yang tidak ditutup", "a CSV with a quote never closed"
    ),
    FileRejection(
        ("format_tidak_didukung",),
        "jenis file lain (`.pdf`, `.docx`, `.ods`, ...)",
        "a file type that is not read",
    ),
    FileRejection(
        ("desa_tidak_dikenal",),
        "nama folder bukan kode desa/kelurahan Kabupaten Bekasi",
        "the folder is not a Bekasi village code",
    ),
    FileRejection(
        ("kode_desa_tidak_sesuai_folder",),
        "kolom Kode Desa berisi desa lain dari folder tempat file diletakkan",
        "the Kode Desa column names only other villages than the folder's",
    ),
    FileRejection(
        ("periode_tidak_dikenal", "lokasi_tidak_sesuai"),
        "folder periode bukan `YYYY-MM`, atau file tidak di `<periode>/<kode desa>/` (umpan balik tetap dikirim ke "
        "desa yang kodenya terbaca dari nama folder, misalnya `2024-6/32.16.12.2003/` atau "
        "`2024-06/3216122003/lain/`)",
        "the period folder is not YYYY-MM, or the file is not in <period>/<village>/",
    ),
    FileRejection(
        ("file_terlalu_besar",),
        "file lebih besar dari batas (bawaan 50 MB)",
        "over VERFAK_MAX_FILE_MB",
    ),
    FileRejection(
        ("arsip_mencurigakan",),
        "file Excel yang isinya tidak wajar: terlalu banyak bagian, membengkak lebih dari 256 MB atau lebih dari 100 "
        "kali saat dibuka (*zip bomb*)",
        "a workbook that unpacks too much, too many members or at too high a ratio (zip bomb)",
    ),
    FileRejection(
        ("sheet_terlalu_luas",),
        "sheet terpakai (atau mengaku terpakai) lebih dari 100.000 baris, 256 kolom atau 5.000.000 sel, misalnya "
        "karena satu sel terisi jauh di `XFD1048576`; pesannya menyebut sheet dan sel terjauh",
        "a sheet's declared or real extent over VERFAK_MAX_ROWS/COLUMNS/CELLS",
    ),
    FileRejection(
        ("terlalu_banyak_baris", "terlalu_banyak_kolom"),
        "CSV dengan lebih dari 100.000 baris atau lebih dari 256 kolom dalam satu baris",
        "a CSV over VERFAK_MAX_ROWS rows or VERFAK_MAX_COLUMNS columns in a record",
    ),
    FileRejection(
        ("sel_terlalu_panjang",),
        "satu sel berisi lebih dari 100.000 karakter (Excel sendiri hanya 32.767); sel yang panjang tetapi di bawah "
        "batas ini diperiksa per baris di pemeriksaan kualitas",
        "a cell over VERFAK_MAX_CELL_CHARS characters",
    ),
    FileRejection(
        ("file_gagal_diproses",),
        "kesalahan di sistem Dinas Sosial saat membaca file (bukan kesalahan desa); petugas data menanganinya",
        "reading failed with an unexpected error (a bug, not the village's fault)",
    ),
    FileRejection(
        ("program_tidak_dikenal",),
        "folder program bukan nama program yang dikenal",
        "an agency's return file in a folder that is not a program",
        village=False,
    ),
)

FILE_RULES: tuple[Rule, ...] = tuple(
    Rule(code, "error", None, entry.meaning, FILE, {}, entry.description)
    for entry in FILE_REJECTIONS
    for code in entry.codes
)
FILE_CODES = frozenset(rule.rule_id for rule in FILE_RULES)


def registry(settings: Settings | None = None) -> tuple[Rule, ...]:
    """Every rule and code of the pipeline: what ``quality.rule`` holds (``upsert_rules``); the
    village checks carry the thresholds of ``settings`` (the environment's unless given)."""
    rules = (*RULES, *village_rules(settings), *OUTCOME_RULES, *INTAKE_RULES, *FILE_RULES)
    assert len({rule.rule_id for rule in rules}) == len(rules), "rule ids must be unique across the registry"
    return rules


def upsert_rules(cur, rules: tuple[Rule, ...] | None = None) -> None:
    """Write ``rules`` (default: the whole registry, ``registry()``) into ``quality.rule``."""
    cur.executemany(
        db.sql_file("quality/upsert_rule.sql"),
        [
            (r.rule_id, r.severity, r.column, r.expectation, r.message, r.description)
            for r in rules or registry()
        ],
    )


def rejection_table() -> str:
    """The docs' table of the codes of a village file rejected as a whole (docs/submissions.md)."""
    lines = ["| kode | artinya |", "| --- | --- |"]
    for entry in FILE_REJECTIONS:
        if entry.village:
            lines.append(f"| {', '.join(f'`{code}`' for code in entry.codes)} | {entry.meaning} |")
    return "\n".join(lines) + "\n"


#: Where the table is in the docs, between these two lines.
REJECTION_DOC = Path(__file__).resolve().parents[2] / "docs" / "submissions.md"
DOC_BEGIN = (
    "<!-- generated by `python -m verfak rules-doc --write` from verfak.rules.FILE_REJECTIONS: edit there -->"
)
DOC_END = "<!-- end of the generated table -->"


def with_rejection_table(text: str) -> str:
    """``text`` (the docs page) with the table between ``DOC_BEGIN`` and ``DOC_END`` regenerated."""
    before, found, rest = text.partition(DOC_BEGIN + "\n")
    if not found or DOC_END not in rest:
        raise ValueError(f"the docs page has no {DOC_BEGIN!r} ... {DOC_END!r} section")
    return before + DOC_BEGIN + "\n" + rejection_table() + rest[rest.index(DOC_END) :]


def _rule_kwargs(rule: Rule, known_villages=()) -> dict:
    """The rule's expectation arguments for this run (the village list comes from ``ref.desa``)."""
    kwargs = dict(rule.kwargs)
    if rule.rule_id == "kode_desa_dikenal":
        kwargs["value_set"] = sorted(known_villages)
    return kwargs


def _expectations(rules, known_villages: Iterable[str] = ()) -> list:
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    expectations = []
    for rule in rules:
        kwargs = _rule_kwargs(rule, known_villages)
        if "row_condition" in kwargs:
            column, operator, value = kwargs["row_condition"]
            kwargs["row_condition"] = {
                "==": Column(column).__eq__,
                ">=": Column(column).__ge__,
                "in": Column(column).is_in,
            }[operator](value)
        expectation_class = getattr(gxe, rule.expectation)
        expectations.append(
            expectation_class(
                **kwargs, meta={"rule_id": rule.rule_id, "severity": rule.severity, "message": rule.message}
            )
        )
    return expectations


def build_suite(known_villages: list[str]):
    """The Great Expectations suite of the row rules (imports GX: call inside a task)."""
    import great_expectations as gx

    return gx.ExpectationSuite(name=SUITE_NAME, expectations=_expectations(RULES, known_villages))


def build_outcome_suite():
    """The Great Expectations suite of the referral-outcome rules."""
    import great_expectations as gx

    return gx.ExpectationSuite(name=OUTCOME_SUITE_NAME, expectations=_expectations(OUTCOME_RULES))


def build_village_suite(rules: tuple[Rule, ...] | None = None):
    """The Great Expectations suite of the per-village checks (``village_rules()`` unless given)."""
    import great_expectations as gx

    return gx.ExpectationSuite(name=VILLAGE_SUITE_NAME, expectations=_expectations(rules or village_rules()))


# --- the same rules, evaluated on every row without Great Expectations ------------------------
# Great Expectations 1.24 takes ~21 s for this suite on a million rows (plus seconds to import);
# the same declarations evaluated as pandas masks take under a second. ``verfak.quality`` applies
# the rules to every row with ``evaluate`` and runs Great Expectations on the whole frame (or, for
# very large periods, on a sample holding every failed row) and checks that both agree, so the
# semantics stay Great Expectations' own.


def _condition_mask(frame, condition) -> pd.Series:
    column, operator, value = condition
    values = frame[column]
    if operator == "==":
        mask = values == value
    elif operator == ">=":
        mask = values >= value
    else:  # "in"
        mask = values.isin(list(value))
    return mask.fillna(False).astype(bool)


def _unexpected_mask(frame, rule: Rule, kwargs: dict) -> tuple[pd.Series, pd.Series]:
    """(rows the rule looks at, rows that fail it) as boolean Series, GX semantics:
    a row_condition filters first; map expectations other than NotBeNull skip missing values;
    a pair expectation with ``either_value_is_missing`` skips rows missing either value."""
    considered = pd.Series(True, index=frame.index)
    if "row_condition" in kwargs:
        considered &= _condition_mask(frame, kwargs["row_condition"])
    if rule.expectation == "ExpectColumnPairValuesToBeEqual":
        a, b = frame[kwargs["column_A"]], frame[kwargs["column_B"]]
        present = (a.notna() & b.notna()).astype(bool)
        failed = present & (a.astype("object") != b.astype("object"))
        return considered, (considered & failed).astype(bool)
    values = frame[kwargs["column"]]
    missing = values.isna().astype(bool)
    if rule.expectation == "ExpectColumnValuesToNotBeNull":
        return considered, considered & missing
    if rule.expectation == "ExpectColumnValuesToMatchRegex":
        ok = values.astype("str").str.contains(kwargs["regex"], regex=True, na=False)
    elif rule.expectation == "ExpectColumnValuesToBeInSet":
        ok = values.astype("object").isin(list(kwargs["value_set"]))
    elif rule.expectation == "ExpectColumnValueLengthsToBeBetween":
        lengths = values.astype("str").str.len()
        ok = pd.Series(True, index=frame.index)
        if kwargs.get("min_value") is not None:
            ok &= (lengths >= kwargs["min_value"]).fillna(True).astype(bool)
        if kwargs.get("max_value") is not None:
            ok &= (lengths <= kwargs["max_value"]).fillna(True).astype(bool)
    elif rule.expectation == "ExpectColumnValuesToBeBetween":
        ok = pd.Series(True, index=frame.index)
        if kwargs.get("min_value") is not None:
            ok &= (values >= kwargs["min_value"]).fillna(True).astype(bool)
        if kwargs.get("max_value") is not None:
            ok &= (values <= kwargs["max_value"]).fillna(True).astype(bool)
    else:  # a rule written with an expectation this evaluator does not know
        raise NotImplementedError(f"rule {rule.rule_id}: no vectorised evaluation for {rule.expectation}")
    return considered, considered & ~missing & ~ok.astype(bool)


def evaluate(frame, rules=RULES, known_villages=()) -> dict[str, tuple[pd.Series, pd.Series]]:
    """Every rule on every row of ``frame``: {rule_id: (rows considered, rows failed)}."""
    return {rule.rule_id: _unexpected_mask(frame, rule, _rule_kwargs(rule, known_villages)) for rule in rules}

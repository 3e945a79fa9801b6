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

import os
from dataclasses import dataclass, field

import pandas as pd

from verfak.columns import LABELS, MAX_LENGTHS
from verfak.staging import STATUS_VALUES

SUITE_NAME = "verfak_verifikasi"
VILLAGE_SUITE_NAME = "verfak_desa"


@dataclass(frozen=True)
class Rule:
    rule_id: str
    severity: str  # error | warning
    column: str  # the submission column the village must look at
    message: str  # Indonesian, what to fix
    expectation: str  # Great Expectations expectation class
    kwargs: dict = field(default_factory=dict)
    description: str = ""


def _required(column: str, label: str, example: str = "", typed_column: str | None = None) -> Rule:
    return Rule(
        f"{column}_wajib",
        "error",
        column,
        f"{label} wajib diisi.{(' ' + example) if example else ''}",
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


def _if(column: str, operator: str, value) -> dict:
    """Apply the rule only to rows where ``column <operator> value`` (``==``, ``>=`` or ``in``)."""
    return {"row_condition": (column, operator, value)}


RULES: tuple[Rule, ...] = (
    # --- required values ---------------------------------------------------------------------
    _required("nik", "NIK", "Tulis 16 digit NIK sesuai KTP/KK."),
    _required("no_kk", "No. KK", "Tulis 16 digit nomor Kartu Keluarga."),
    _required("nama", "Nama"),
    _required("jenis_kelamin", "Jenis Kelamin", "Isi L atau P."),
    _required(
        "tanggal_lahir",
        "Tanggal Lahir",
        "Tulis sebagai DD/MM/YYYY, misalnya 17/08/1975.",
        "tanggal_lahir_terbaca",
    ),
    _required("alamat", "Alamat"),
    _required(
        "kode_desa", "Kode Desa", "Tulis kode desa Kemendagri, misalnya 32.16.12.2003.", "kode_desa_baris"
    ),
    _required(
        "status_verifikasi",
        "Status Verifikasi",
        "Isi salah satu: layak, tidak_layak, meninggal, pindah, tidak_ditemukan.",
    ),
    _required(
        "tanggal_verifikasi",
        "Tanggal Verifikasi",
        "Tulis tanggal kunjungan lapangan, DD/MM/YYYY.",
        "tanggal_verifikasi_terbaca",
    ),
    _required("petugas", "Petugas", "Tulis nama petugas verifikasi."),
    # --- NIK and KK ----------------------------------------------------------------------------
    Rule(
        "nik_16_digit",
        "error",
        "nik",
        "NIK harus 16 digit angka. Periksa kembali dengan KTP/KK (jangan ada huruf atau digit yang hilang).",
        "ExpectColumnValuesToMatchRegex",
        {"column": "nik", "regex": r"^[0-9]{16}$"},
        "NIK is 16 digits",
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
            **_if("jenis_kelamin", "in", ["L", "P"]),
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
        "No. KK harus 16 digit angka. Periksa kembali dengan Kartu Keluarga.",
        "ExpectColumnValuesToMatchRegex",
        {"column": "no_kk", "regex": r"^[0-9]{16}$"},
        "KK number is 16 digits",
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
        {"column": "jenis_kelamin", "value_set": ["L", "P"]},
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
        "Status Verifikasi harus salah satu dari: layak, tidak_layak, meninggal, pindah, tidak_ditemukan.",
        "ExpectColumnValuesToBeInSet",
        {"column": "status_verifikasi", "value_set": list(STATUS_VALUES)},
        "status in its set",
    ),
    Rule(
        "alasan_wajib",
        "error",
        "alasan",
        "Alasan wajib diisi bila status bukan 'layak' (misalnya: sudah bekerja tetap, meninggal dunia tanggal ..., "
        "pindah ke ...).",
        "ExpectColumnValuesToNotBeNull",
        {"column": "alasan", **_if("perlu_alasan", "==", True)},
        "a reason when the status is not layak",
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
        "Memiliki Usaha diisi 'ya' atau 'tidak'. Nilai lain diabaikan.",
        "ExpectColumnValuesToBeInSet",
        {"column": "memiliki_usaha", "value_set": ["ya", "tidak"]},
        "has a business is ya/tidak",
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


def _threshold(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


#: Share of a village's rows failing an error rule above which its submission needs attention.
ATTENTION_SHARE = _threshold("VERFAK_ATTENTION_SHARE", 0.2)
#: Relative change of a village's layak count against its own recent average that is an outlier...
OUTLIER_RATIO = _threshold("VERFAK_OUTLIER_RATIO", 0.5)
#: ... when it is also at least this many people (small villages move by one or two people).
OUTLIER_MIN_CHANGE = int(_threshold("VERFAK_OUTLIER_MIN_CHANGE", 3))

# Per-village, per-period checks for the data engineers (table level: all warnings). They read the
# figures that verfak.load computes per village (include/sql/quality/village_figures.sql).
VILLAGE_RULES: tuple[Rule, ...] = (
    Rule(
        "desa_perlu_perhatian",
        "warning",
        "kode_desa",
        f"Lebih dari {ATTENTION_SHARE:.0%} baris kiriman desa ini ditolak: periksa dan bantu desa memperbaiki.",
        "ExpectColumnValuesToBeBetween",
        {"column": "bagian_baris_ditolak", "min_value": 0, "max_value": ATTENTION_SHARE},
        "share of a village's rows with an error at most VERFAK_ATTENTION_SHARE",
    ),
    Rule(
        "jumlah_layak_melonjak",
        "warning",
        "kode_desa",
        f"Jumlah warga layak desa ini berubah lebih dari {OUTLIER_RATIO:.0%} dibanding rata-rata periode "
        "sebelumnya: pastikan bukan salah kirim.",
        "ExpectColumnValuesToBeBetween",
        {
            "column": "perubahan_relatif",
            "min_value": -OUTLIER_RATIO,
            "max_value": OUTLIER_RATIO,
            **_if("selisih_mutlak", ">=", OUTLIER_MIN_CHANGE),
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
VILLAGE_RULES_BY_ID = {rule.rule_id: rule for rule in VILLAGE_RULES}

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


def _rule_kwargs(rule: Rule, known_villages=()) -> dict:
    """The rule's expectation arguments for this run (the village list comes from ``ref.desa``)."""
    kwargs = dict(rule.kwargs)
    if rule.rule_id == "kode_desa_dikenal":
        kwargs["value_set"] = sorted(known_villages)
    return kwargs


def _expectations(rules, known_villages: list[str] = ()) -> list:
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


def build_village_suite():
    """The Great Expectations suite of the per-village checks."""
    import great_expectations as gx

    return gx.ExpectationSuite(name=VILLAGE_SUITE_NAME, expectations=_expectations(VILLAGE_RULES))


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

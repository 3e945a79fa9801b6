"""The built-in sample submissions, checked by reading the written files back.

The files are read with the csv module and openpyxl and judged by the rules of the submission
contract written out again here, not by the generator's own data: a mistake in the generator
should not be able to hide itself.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from devdata.sample_data import generate_sample_landing

SEED = 20240601
PERIODS = ("2024-05", "2024-06")
LAYAK_EXPECTED = {"2024-05": 1144, "2024-06": 1121}

COLUMNS = (
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
HEADER_VARIANTS = {
    "nik": "nik",
    "no. kk": "no_kk",
    "nama lengkap": "nama",
    "l/p": "jenis_kelamin",
    "tgl lahir": "tanggal_lahir",
    "no hp": "no_hp",
}
STATUSES = {"layak", "tidak_layak", "meninggal", "pindah", "tidak_ditemukan"}
SEXES = {"L": "L", "P": "P", "Laki-laki": "L", "Perempuan": "P"}
REFERENCE = Path(__file__).resolve().parents[2] / "include" / "reference" / "wilayah_bekasi.csv"


# ------------------------------------------------------------------------------ reading back


def _column_name(label: object) -> str:
    text = str(label).strip().lower()
    return HEADER_VARIANTS.get(text, text.replace(" ", "_"))


def _text(value: object) -> str:
    return "" if value is None else str(value)


def read_csv(path: Path) -> list[tuple[int, dict]]:
    """(record number with the header as 1, row) for every data record."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        first_line = handle.readline()
        handle.seek(0)
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
        records = list(csv.reader(handle, delimiter=delimiter))
    header = [_column_name(label) for label in records[0]]
    assert tuple(header) == COLUMNS, path
    return [(number, dict(zip(header, record))) for number, record in enumerate(records[1:], start=2)]


def read_xlsx(path: Path) -> tuple[list[tuple[int, dict]], list[tuple[int, dict]]]:
    """(row number, values) and (row number, cells) for every data row below the header."""
    sheet = openpyxl.load_workbook(path).worksheets[0]
    header_row = next(r for r in range(1, 10) if _column_name(sheet.cell(r, 1).value) == "nik")
    header = [_column_name(c.value) for c in sheet[header_row]]
    assert tuple(header) == COLUMNS, path
    values, cells = [], []
    for row in sheet.iter_rows(min_row=header_row + 1):
        if all(c.value is None for c in row):
            continue
        values.append((row[0].row, {k: c.value for k, c in zip(header, row)}))
        cells.append((row[0].row, dict(zip(header, row))))
    return values, cells


def read_landing(landing: Path) -> dict[Path, list[tuple[int, dict]]]:
    files = {}
    for path in sorted(landing.rglob("*")):
        if path.suffix == ".csv":
            files[path] = read_csv(path)
        elif path.suffix == ".xlsx":
            files[path] = read_xlsx(path)[0]
    return files


# -------------------------------------------------------------------------- the rules, again


def parse_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    text = _text(value)
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            pass
    return None


def nik_birth(nik: str) -> tuple[date, str] | None:
    """Birth date and sex the NIK encodes, None if its date part is impossible (ages 0-90 here)."""
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    sex = "L" if 1 <= day <= 31 else "P" if 41 <= day <= 71 else None
    if sex is None:
        return None
    try:
        return date(2000 + yy if yy <= 24 else 1900 + yy, month, day - (40 if sex == "P" else 0)), sex
    except ValueError:
        return None


def broken_rules(row: dict, earlier_rows: list[dict]) -> list[str]:
    nik = _text(row["nik"])
    rules = []
    if not re.fullmatch(r"[0-9]{16}", nik):
        rules.append("nik_15_digit" if re.fullmatch(r"[0-9]{15}", nik) else "nik_format")
    else:
        if nik[12:] == "0000":
            rules.append("nik_serial_0000")
        if nik_birth(nik) is None:
            rules.append("nik_tanggal_mustahil")
    if not _text(row["nama"]).strip():
        rules.append("nama_kosong")
    if _text(row["jenis_kelamin"]) not in SEXES:
        rules.append("jenis_kelamin_tidak_dikenal")
    if parse_date(row["tanggal_lahir"]) is None:
        rules.append("tanggal_lahir_mustahil")
    status = _text(row["status_verifikasi"])
    if status not in STATUSES:
        rules.append("status_tidak_dikenal")
    elif status != "layak" and not _text(row["alasan"]).strip():
        rules.append("alasan_kosong")
    if row in earlier_rows:
        rules.append("baris_ganda")
    return rules


def judge(files: dict[Path, list[tuple[int, dict]]]) -> tuple[dict, dict]:
    """Valid rows per period (with their file) and the broken rules found per (file, row)."""
    valid = defaultdict(list)
    broken = {}
    for path, rows in files.items():
        period = path.parts[-3]
        seen: list[dict] = []
        for number, row in rows:
            rules = broken_rules(row, seen)
            seen.append(row)
            if rules:
                broken[(path.name, number)] = rules
            else:
                valid[period].append((path, row))
    return valid, broken


# ---------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    root = tmp_path_factory.mktemp("landing")
    summary = generate_sample_landing(root, seed=SEED)
    return root, summary


@pytest.fixture(scope="module")
def judged(landing):
    root, _ = landing
    files = read_landing(root)
    return files, *judge(files)


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# ------------------------------------------------------------------------------------- tests


def test_one_file_per_village_and_period(landing):
    root, summary = landing
    with open(REFERENCE, newline="", encoding="utf-8") as handle:
        villages = {row["kode_desa"] for row in csv.DictReader(handle)}
    assert len(villages) == 187
    for period in PERIODS:
        folders = {p.name for p in (root / period).iterdir() if p.is_dir()}
        assert folders == villages
        for village in villages:
            files = list((root / period / village).iterdir())
            plain = village.replace(".", "")
            assert [f.name for f in files] in (
                [f"verfak_{period}_{plain}.csv"],
                [f"verfak_{period}_{plain}.xlsx"],
            )
    assert sorted(summary.files) == sorted(p for p in root.rglob("*") if p.is_file())
    assert summary.periods == PERIODS


def test_layak_counts_of_valid_rows(landing, judged):
    _, summary = landing
    files, valid, _ = judged
    for period in PERIODS:
        layak = sum(1 for _, row in valid[period] if row["status_verifikasi"] == "layak")
        assert layak == LAYAK_EXPECTED[period]
        rows = sum(len(rows) for path, rows in files.items() if path.parts[-3] == period)
        assert summary.rows_by_period[period] == rows
    assert summary.layak_by_period == LAYAK_EXPECTED


def test_bad_rows_are_exactly_the_rows_breaking_a_rule(landing, judged):
    _, summary = landing
    _, _, broken = judged
    reported = {(b.file_name, b.source_row): b.rule for b in summary.bad_rows}
    # Each defective row breaks exactly one rule, the one the summary names.
    assert broken == {key: [rule] for key, rule in reported.items()}
    for period in PERIODS:
        in_period = [b for b in summary.bad_rows if b.period == period]
        assert len({b.kode_desa for b in in_period}) == len(in_period) >= 8
        assert sorted(b.rule for b in in_period) == sorted({b.rule for b in summary.bad_rows})
    for bad in summary.bad_rows:
        assert bad.file_name.startswith(f"verfak_{bad.period}_{bad.kode_desa.replace('.', '')}")


def test_defective_rows_would_inflate_the_count_if_accepted(judged):
    files, _, broken = judged
    rows = {(path.name, number): row for path, numbered in files.items() for number, row in numbered}
    layak_looking = [
        key
        for key, rules in broken.items()
        if rules != ["status_tidak_dikenal"] and rules != ["alasan_kosong"]
    ]
    assert all(rows[key]["status_verifikasi"] == "layak" for key in layak_looking)


def test_valid_rows_follow_the_contract(judged):
    _, valid, _ = judged
    outside_bekasi = set()
    for period in PERIODS:
        year, month = map(int, period.split("-"))
        per_village = Counter()
        for path, row in valid[period]:
            nik = row["nik"]
            born, sex = nik_birth(nik)
            assert born == parse_date(row["tanggal_lahir"]), nik
            assert sex == SEXES[row["jenis_kelamin"]], nik
            if not nik.startswith("3216"):
                outside_bekasi.add(nik)
            assert re.fullmatch(r"3216[0-9]{12}", row["no_kk"])
            assert row["kode_desa"] == path.parts[-2]
            if nik.startswith("3216"):
                assert nik[4:6] in {f"{n:02d}" for n in range(1, 24)}
            visited = parse_date(row["tanggal_verifikasi"])
            assert (visited.year, visited.month) == (year, month)
            assert 2 <= visited.day <= 15
            age = visited.year - born.year - ((visited.month, visited.day) < (born.month, born.day))
            assert 0 <= age <= 90
            assert 0 <= int(row["pendapatan_bulanan"]) <= 1_500_000
            assert int(row["desil"]) in (1, 2)
            assert row["memiliki_usaha"] in ("ya", "tidak")
            phone = _text(row["no_hp"])
            assert phone == "" or re.fullmatch(r"08[0-9]{10}", phone)
            assert not _text(row["minat_pelatihan"]) or set(row["minat_pelatihan"].split(";")) <= {
                "menjahit",
                "tata_boga",
                "perbengkelan",
                "salon",
                "las",
            }
            assert _text(row["nama"])
            assert _text(row["alamat"])
            assert _text(row["petugas"])
            per_village[path.parts[-2]] += 1
        assert len(per_village) == 187
        assert min(per_village.values()) >= 2
    assert 3 <= len(outside_bekasi) <= 10


def test_niks_and_family_cards_are_unique(judged):
    _, valid, _ = judged
    for period in PERIODS:
        niks = Counter(row["nik"] for _, row in valid[period])
        assert max(niks.values()) == 1
        village_of_card = defaultdict(set)
        for path, row in valid[period]:
            village_of_card[row["no_kk"]].add(path.parts[-2])
        assert all(len(v) == 1 for v in village_of_card.values())
    family_sizes = Counter(Counter(row["no_kk"] for _, row in valid["2024-05"]).values())
    assert set(family_sizes) == {1, 2, 3, 4, 5}


def test_june_follows_may(judged):
    _, valid, _ = judged
    may = {row["nik"]: row for _, row in valid["2024-05"]}
    june = {row["nik"]: row for _, row in valid["2024-06"]}
    may_layak = {nik for nik, row in may.items() if row["status_verifikasi"] == "layak"}
    may_left = set(may) - may_layak
    assert 20 <= len(may_left) <= 30
    assert all(may[nik]["alasan"] for nik in may_left)
    assert may_layak <= set(june)
    assert not may_left & set(june)
    newcomers = set(june) - set(may)
    assert len(newcomers) == 17
    assert all(june[n]["status_verifikasi"] == "layak" for n in newcomers)
    june_left = {nik for nik in may_layak if june[nik]["status_verifikasi"] != "layak"}
    assert len(june_left) == 40
    assert {june[nik]["status_verifikasi"] for nik in june_left} == STATUSES - {"layak"}
    moved = {
        nik
        for nik in may_layak
        if (may[nik]["alamat"], may[nik]["rt"], may[nik]["rw"])
        != (june[nik]["alamat"], june[nik]["rt"], june[nik]["rw"])
    }
    assert moved
    assert all(may[nik]["no_kk"] == june[nik]["no_kk"] for nik in may_layak)


def test_file_formats(landing, judged):
    _, summary = landing
    files, valid, _ = judged
    kinds = Counter()
    for path in files:
        head = path.read_bytes()[:200]
        if path.suffix == ".xlsx":
            kinds["xlsx"] += 1
        elif head.startswith(b"\xef\xbb\xbfNIK;"):
            kinds["semicolon_bom"] += 1
        else:
            assert head.startswith(b"nik,no_kk,")
            kinds["comma"] += 1
    total = sum(kinds.values())
    assert total == 374
    assert 0.5 < kinds["comma"] / total < 0.7
    assert 0.1 < kinds["semicolon_bom"] / total < 0.3
    assert 0.1 < kinds["xlsx"] / total < 0.3
    assert sum(summary.format_by_file.values()) == total
    # Semicolon files write dates day first and sometimes sex in words.
    with_bom = {p for p in files if p.read_bytes().startswith(b"\xef\xbb\xbf")}
    semicolon_rows = [row for path, row in valid["2024-05"] if path in with_bom]
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4}", row["tanggal_lahir"]) for row in semicolon_rows)
    assert {"Laki-laki", "Perempuan"} <= {row["jenis_kelamin"] for row in semicolon_rows}
    comma_rows = [row for path, row in valid["2024-05"] if path.suffix == ".csv" and path not in with_bom]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", row["tanggal_lahir"]) for row in comma_rows)


def test_xlsx_ids_are_text_and_dates_are_dates(judged):
    files, _, broken = judged
    workbooks = [p for p in files if p.suffix == ".xlsx"]
    titled = 0
    for path in workbooks:
        sheet = openpyxl.load_workbook(path).worksheets[0]
        if sheet.cell(1, 1).value != "nik":
            titled += 1
            assert sheet.cell(1, 1).value == "VERIFIKASI FAKTUAL DATA KEMISKINAN EKSTREM"
            assert sheet.cell(4, 1).value == "NIK"
        for number, cells in read_xlsx(path)[1]:
            for column in ("nik", "no_kk", "no_hp", "rt", "rw"):
                cell = cells[column]
                assert cell.value is None or (cell.data_type == "s" and isinstance(cell.value, str))
                assert cell.number_format == "@"
            if (path.name, number) not in broken:
                assert isinstance(cells["tanggal_lahir"].value, datetime)
                assert isinstance(cells["tanggal_verifikasi"].value, datetime)
    assert 0 < titled < len(workbooks)


def test_same_seed_same_bytes_other_seed_other_bytes(landing, tmp_path):
    root, _ = landing
    again = generate_sample_landing(tmp_path / "again", seed=SEED)
    other = generate_sample_landing(tmp_path / "other", seed=SEED + 1)
    first = _hashes(root)
    assert _hashes(tmp_path / "again") == first
    different = _hashes(tmp_path / "other")
    changed = sum(1 for name, digest in different.items() if first.get(name) != digest)
    assert changed > len(first) // 2
    assert again.bad_rows == landing[1].bad_rows
    # Another seed tells the same story with other people.
    assert other.layak_by_period == LAYAK_EXPECTED
    other_valid, other_broken = judge(read_landing(tmp_path / "other"))
    for period in PERIODS:
        layak = sum(1 for _, r in other_valid[period] if r["status_verifikasi"] == "layak")
        assert layak == LAYAK_EXPECTED[period]
    assert other_broken == {(b.file_name, b.source_row): [b.rule] for b in other.bad_rows}

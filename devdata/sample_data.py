"""Built-in, reproducible sample submissions of the monthly *verifikasi faktual*.

``generate_sample_landing(landing_dir)`` writes what the 187 villages of Kabupaten Bekasi would
send for May and June 2024, into the landing-zone layout of the submission contract::

    <landing_dir>/<YYYY-MM>/<kode_desa dotted>/verfak_<YYYY-MM>_<kode_desa plain>.csv|.xlsx

The story behind the numbers is the real one: 1,144 people verified ``layak`` (still extremely
poor) in May 2024 and 1,121 in June. In between about 40 people leave the list (better off,
died, moved, not found), 17 newcomers join (two of them newborns), and a few households move
house. People who already left in May are not listed again in June.

The files are deliberately as varied as real village submissions: comma CSV with canonical
headers, semicolon CSV with a BOM, "office" header labels and ``DD/MM/YYYY`` dates, and XLSX,
some with a title block above the header. On top of the valid rows each period carries nine
defective rows, each breaking exactly one rule (see ``DEFECT_RULES``), so a pipeline that
accepts them gets the layak count wrong. ``SampleSummary.bad_rows`` says where they are.

Each file carries the moment its village delivered it as its modification time (the landing zone
keeps it, and the completeness views count a file on time by it): most villages send within a few
days of their last field visit, between the 5th and the cut-off day (the 17th) of the period's own
month; a few per period (``LATE_VILLAGES``) send after the cut-off. No village is missing: leaving
one out would change the sample's figures (1,144 and 1,121 verified) that the tests and the README
rely on.

Everything is driven by one seed (``random.Random`` and a Faker ``id_ID`` instance, never the
global random): the same seed gives byte-identical files.

Layers, from data to files:

* ``load_villages`` reads the region reference;
* ``build_sample_submissions`` builds the people and one ``Submission`` (rows as dicts keyed by
  the canonical column names) per village and period, with the defects already in place;
  ``SamplePlan`` sets the sizes, so a benchmark can ask for a much larger population;
* ``write_submission`` writes one submission in its village's format;
* ``delivery_times`` says when each village delivered each file;
* ``generate_sample_landing`` does all of it and returns a ``SampleSummary``.
"""

from __future__ import annotations

import csv
import io
import os
import random
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from faker import Faker
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.writer.excel import ExcelWriter

from devdata.defects import DEFECT_RULES, make_defect
from verfak.columns import COLUMNS, CONTRACT, DATE_COLUMNS, ID_COLUMNS, STATUS_VALUES

__all__ = [
    "COLUMNS",
    "DEFECT_RULES",
    "OFFICE_LABELS",
    "PERIODS",
    "REFERENCE_CSV",
    "BadRow",
    "SamplePlan",
    "SampleSummary",
    "Submission",
    "Village",
    "build_sample_submissions",
    "delivery_times",
    "generate_sample_landing",
    "load_villages",
    "write_submission",
]

REFERENCE_CSV = Path(__file__).resolve().parents[1] / "include" / "reference" / "wilayah_bekasi.csv"
DEFAULT_SEED = 20240601
PERIODS = ("2024-05", "2024-06")
MAY, JUNE = PERIODS
BULAN = {
    "01": "Januari",
    "02": "Februari",
    "03": "Maret",
    "04": "April",
    "05": "Mei",
    "06": "Juni",
    "07": "Juli",
    "08": "Agustus",
    "09": "September",
    "10": "Oktober",
    "11": "November",
    "12": "Desember",
}

OFFICE_LABELS = {c.name: c.office_header for c in CONTRACT}
# kode_desa is written as a plain cell (the contract keeps it as text too; the sample's files predate that)
TEXT_ID_COLUMNS = tuple(c for c in ID_COLUMNS if c != "kode_desa")

LAYAK, TIDAK_LAYAK, MENINGGAL, PINDAH, TIDAK_DITEMUKAN = STATUS_VALUES
LEAVING_STATUSES = (TIDAK_LAYAK, MENINGGAL, PINDAH, TIDAK_DITEMUKAN)

# File formats, one per village (the same template both months, as villages do).
CSV_COMMA = "csv_comma"  # ',' UTF-8, canonical headers, ISO dates
CSV_SEMICOLON = "csv_semicolon"  # ';' UTF-8 with BOM, office labels, DD/MM/YYYY dates
XLSX_PLAIN = "xlsx"  # header on row 1, canonical headers
XLSX_TITLED = "xlsx_title_block"  # title block, header on row 4, office labels
FORMATS = (CSV_COMMA, CSV_SEMICOLON, XLSX_PLAIN, XLSX_TITLED)
XLSX_TITLE_ROWS = 3

# When the villages deliver (the files' modification times), in Bekasi's time (WIB, UTC+7).
WIB = timezone(timedelta(hours=7))
DELIVERY_CUTOFF_DAY = 17  # VERFAK_CUTOFF_DAY's default: on time up to the 17th
LATE_VILLAGES = {"2024-05": 5, "2024-06": 8}  # villages per period that deliver after the cut-off

# Fixed so that XLSX files are byte-identical from run to run.
XLSX_TIMESTAMP = datetime(2024, 7, 1, 8, 0, 0)
ZIP_TIMESTAMP = (2024, 7, 1, 8, 0, 0)

# Where extreme poverty concentrates: the rural and coastal north of the regency.
POOR_KECAMATAN = {
    "Muaragembong",
    "Cabangbungin",
    "Babelan",
    "Tarumajaya",
    "Sukawangi",
    "Pebayuran",
    "Sukakarya",
    "Sukatani",
    "Tambelang",
}
COASTAL_KECAMATAN = {"Muaragembong", "Tarumajaya", "Babelan", "Cabangbungin"}
KAMPUNG_WORDS = (
    "Bulak",
    "Pulo",
    "Rawa",
    "Babakan",
    "Pasir",
    "Tanjung",
    "Kebon",
    "Sawah",
    "Gebang",
    "Pondok",
    "Kandang",
    "Tegal",
    "Kali",
    "Buaran",
    "Kedung",
    "Jati",
    "Bojong",
    "Cabang",
    "Lio",
    "Cikarang",
    "Pangkalan",
    "Siluman",
    "Kobak",
    "Gabus",
)
KAMPUNG_SUFFIXES = (
    "Barat",
    "Timur",
    "Utara",
    "Selatan",
    "Tengah",
    "Jaya",
    "Sari",
    "Kidul",
    "Lor",
    "Indah",
    "Asem",
    "Baru",
)
OUTSIDE_NIK_REGIONS = ("3275", "3201", "3172", "3215")  # Kota Bekasi, Kab. Bogor, Jaktim, Karawang
TRAINING = ("menjahit", "tata_boga", "perbengkelan", "salon", "las")
BUSINESS_INTERESTS = ("warung", "jahit", "kuliner", "bengkel")
PHONE_PREFIXES = (
    "0812",
    "0813",
    "0821",
    "0822",
    "0852",
    "0853",
    "0857",
    "0858",
    "0877",
    "0878",
    "0881",
    "0895",
    "0896",
)

REASONS = {
    TIDAK_LAYAK: (
        "Sudah bekerja tetap, penghasilan di atas garis kemiskinan",
        "Anak sudah bekerja dan menanggung kebutuhan keluarga",
        "Usaha warung berjalan, penghasilan sudah mencukupi",
        "Diterima bekerja di pabrik kawasan industri",
        "Kondisi ekonomi membaik, rumah sudah layak huni",
    ),
    PINDAH: (
        "Pindah domisili ke Kota Bekasi",
        "Pindah ikut anak ke Kabupaten Karawang",
        "Pindah domisili ke Kabupaten Bogor",
        "Pindah ke Jakarta Timur, ikut keluarga",
        "Pindah domisili ke Kecamatan {kecamatan}",
    ),
    TIDAK_DITEMUKAN: (
        "Tidak ditemukan di alamat, menurut tetangga sudah lama pergi",
        "Rumah kosong, keberadaan tidak diketahui",
        "Alamat tidak ditemukan, ketua RT tidak mengenal",
    ),
}


# --------------------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class SamplePlan:
    """How many people the sample holds; the defaults are the real Bekasi figures of 2024."""

    may_layak: int = 1144
    may_leavers: int = 25  # listed in May with a non-layak status, gone in June
    june_leavers: int = 40  # layak in May, non-layak in June
    june_newcomers: int = 17  # new in June, layak
    june_newborns: int = 2  # of the newcomers, babies born into a listed household
    address_moves: int = 5  # households found at another address in June
    moved_in_niks: int = 5  # people whose NIK was issued outside Kabupaten Bekasi
    min_people_per_village: int = 3  # on the May list; the June list keeps at least 2

    @property
    def june_layak(self) -> int:
        return self.may_layak - self.june_leavers + self.june_newcomers


# ------------------------------------------------------------------------------------ regions


@dataclass(frozen=True)
class Village:
    kode_kecamatan: str
    nama_kecamatan: str
    kode_desa: str
    nama_desa: str
    jenis: str

    @property
    def kecamatan_number(self) -> str:
        """``'12'`` for ``32.16.12``: the CC part of NIK and no_kk."""
        return self.kode_kecamatan.split(".")[2]

    @property
    def plain_code(self) -> str:
        return self.kode_desa.replace(".", "")


def load_villages(path: Path = REFERENCE_CSV) -> list[Village]:
    """The 187 villages of the region reference, sorted by code."""
    with open(path, newline="", encoding="utf-8") as handle:
        villages = [Village(**row) for row in csv.DictReader(handle)]
    return sorted(villages, key=lambda v: v.kode_desa)


# ------------------------------------------------------------------------------------- people


@dataclass(frozen=True)
class Address:
    alamat: str
    rt: str
    rw: str


@dataclass
class Person:
    nik: str
    nama: str
    jenis_kelamin: str
    tanggal_lahir: date
    hubungan_keluarga: str
    pekerjaan: str
    pendidikan: str
    pendapatan_bulanan: int
    minat_pelatihan: str
    memiliki_usaha: str
    minat_usaha: str
    no_hp: str


@dataclass
class Household:
    no_kk: str
    village: Village
    address: Address
    desil: int
    members: list[Person] = field(default_factory=list)


@dataclass(frozen=True)
class Listing:
    """A person as the verifier found them in one period."""

    person: Person
    household: Household
    address: Address
    status: str = LAYAK
    alasan: str = ""


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


class Registry:
    """Issues NIK and no_kk numbers, never the same one twice."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.taken: set[str] = set()

    def _unique(self, make) -> str:
        while (number := make()) in self.taken:
            pass
        self.taken.add(number)
        return number

    def nik(self, region: str, birth: date, jenis_kelamin: str) -> str:
        """``region`` is the 6-digit PPKKCC where the NIK was issued."""
        day = birth.day + (40 if jenis_kelamin == "P" else 0)
        born = f"{day:02d}{birth.month:02d}{birth.year % 100:02d}"
        return self._unique(lambda: f"{region}{born}{self.rng.randint(1, 2999):04d}")

    def no_kk(self, region: str) -> str:
        """PPKKCC + the card's issue date (DDMMYY) + serial, like a real family card."""

        def make() -> str:
            issued = date(2005, 1, 1) + timedelta(days=self.rng.randrange(6900))
            return f"{region}{issued:%d%m}{issued.year % 100:02d}{self.rng.randint(1, 9999):04d}"

        return self._unique(make)


class PeopleFactory:
    """Makes households and people: Faker for the text, ``rng`` for the structure."""

    def __init__(self, rng: random.Random, fake: Faker, registry: Registry, reference_day: date):
        self.rng = rng
        self.fake = fake
        self.registry = registry
        self.reference_day = reference_day

    def name(self, jenis_kelamin: str) -> str:
        if jenis_kelamin == "L":
            return f"{self.fake.first_name_male()} {self.fake.last_name_male()}"
        return f"{self.fake.first_name_female()} {self.fake.last_name_female()}"

    def phone(self) -> str:
        return self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def address(self) -> Address:
        if self.rng.random() < 0.65:
            kampung = self.fake.random_element(KAMPUNG_WORDS)
            alamat = f"Kp. {kampung} {self.fake.random_element(KAMPUNG_SUFFIXES)}"
        else:
            alamat = self.fake.street_name()[:40]
        return Address(alamat, f"{self.rng.randint(1, 12):03d}", f"{self.rng.randint(1, 8):03d}")

    def birth_date(self, age: int) -> date:
        """A birth date giving exactly ``age`` years on the reference day."""
        latest = self.reference_day.replace(year=self.reference_day.year - age)
        return latest - timedelta(days=self.rng.randrange(365))

    def household(self, village: Village, size: int) -> Household:
        household = Household(
            no_kk=self.registry.no_kk("3216" + village.kecamatan_number),
            village=village,
            address=self.address(),
            desil=1 if self.rng.random() < 0.85 else 2,
        )
        for relation, jenis_kelamin, age in self._composition(size):
            household.members.append(self.person(village, relation, jenis_kelamin, age))
        return household

    def _composition(self, size: int) -> list[tuple[str, str, int]]:
        """(hubungan_keluarga, jenis_kelamin, age) of each member, head first."""
        rng = self.rng
        if size == 1:  # mostly elderly people living alone, often widows
            return [("Kepala Keluarga", "P" if rng.random() < 0.6 else "L", rng.randint(55, 89))]
        head_age = rng.randint(25, 80)
        female_head = rng.random() < 0.2
        members = [("Kepala Keluarga", "P" if female_head else "L", head_age)]
        mother_age = head_age
        if not female_head:
            mother_age = max(20, min(89, head_age + rng.randint(-10, 2)))
            members.append(("Istri", "P", mother_age))
        while len(members) < size:
            sex = rng.choice("LP")
            if rng.random() < 0.15:
                members.append(("Famili Lain", sex, rng.randint(5, 89)))
            else:
                oldest_child = max(0, min(35, mother_age - 18))
                members.append(("Anak", sex, rng.randint(0, oldest_child)))
        return members

    def person(
        self, village: Village, relation: str, jenis_kelamin: str, age: int, birth: date | None = None
    ) -> Person:
        rng = self.rng
        birth = birth or self.birth_date(age)
        # Some adults got their NIK in another kecamatan of the regency before moving here.
        kecamatan = village.kecamatan_number
        if age >= 20 and rng.random() < 0.1:
            kecamatan = f"{rng.randint(1, 23):02d}"
        pekerjaan = self._occupation(age, jenis_kelamin, village)
        earns = pekerjaan not in ("Tidak Bekerja", "Pelajar", "Mengurus Rumah Tangga")
        adult = age >= 18
        return Person(
            nik=self.registry.nik("3216" + kecamatan, birth, jenis_kelamin),
            nama=self.name(jenis_kelamin),
            jenis_kelamin=jenis_kelamin,
            tanggal_lahir=birth,
            hubungan_keluarga=relation,
            pekerjaan=pekerjaan,
            pendidikan=self._education(age),
            pendapatan_bulanan=rng.randrange(300_000, 1_500_001, 50_000) if earns else 0,
            minat_pelatihan=(
                ";".join(sorted(rng.sample(TRAINING, rng.randint(1, 2))))
                if adult and age < 60 and rng.random() < 0.4
                else ""
            ),
            memiliki_usaha="ya" if pekerjaan == "Pedagang" else "tidak",
            minat_usaha=rng.choice(BUSINESS_INTERESTS) if adult and rng.random() < 0.2 else "",
            no_hp=self.phone()
            if adult and rng.random() < (0.75 if relation == "Kepala Keluarga" else 0.35)
            else "",
        )

    def _occupation(self, age: int, jenis_kelamin: str, village: Village) -> str:
        rng = self.rng
        if age < 6:
            return "Tidak Bekerja"
        if age < 18:
            return "Pelajar" if rng.random() < 0.85 else "Tidak Bekerja"
        if age >= 65:
            return rng.choices(["Tidak Bekerja", "Buruh Harian Lepas", "Pedagang"], [70, 15, 15])[0]
        if jenis_kelamin == "P":
            return rng.choices(
                ["Mengurus Rumah Tangga", "Buruh Harian Lepas", "Pedagang", "Tidak Bekerja"], [55, 20, 15, 10]
            )[0]
        local = "Nelayan" if village.nama_kecamatan in COASTAL_KECAMATAN else "Buruh Tani"
        return rng.choices(["Buruh Harian Lepas", "Pedagang", local, "Tidak Bekerja"], [45, 15, 25, 15])[0]

    def _education(self, age: int) -> str:
        if age < 7:
            return "Tidak Sekolah"
        if age <= 12:
            return "SD"
        if age <= 15:
            return "SMP"
        if age <= 18:
            return "SMA"
        weights = [45, 35, 12, 8] if age >= 60 else [45, 15, 25, 15]
        return self.rng.choices(["SD", "Tidak Sekolah", "SMP", "SMA"], weights)[0]


def _household_size(rng: random.Random) -> int:
    return rng.choices([1, 2, 3, 4, 5], [20, 20, 25, 20, 15])[0]


def village_weight(village: Village) -> float:
    if village.jenis == "kelurahan":
        return 0.5
    return 2.5 if village.nama_kecamatan in POOR_KECAMATAN else 1.0


def _households_for(
    people: int, villages: list[Village], factory: PeopleFactory, minimum_per_village: int
) -> list[Household]:
    """Households holding exactly ``people`` persons, every village getting its minimum first."""
    rng = factory.rng
    households: list[Household] = []
    per_village = Counter()
    remaining = people

    def add(village: Village, size: int) -> None:
        nonlocal remaining
        size = min(size, remaining)
        households.append(factory.household(village, size))
        per_village[village.kode_desa] += size
        remaining -= size

    for village in villages:
        while per_village[village.kode_desa] < minimum_per_village and remaining > 0:
            add(village, max(2, _household_size(rng)))
    weights = [village_weight(v) for v in villages]
    while remaining > 0:
        add(rng.choices(villages, weights)[0], _household_size(rng))
    return households


# ------------------------------------------------------------------------------------ timeline


def _split(total: int, weights: tuple[int, ...]) -> list[int]:
    """``total`` split by ``weights``, the rounding remainder going to the first share."""
    shares = [total * w // sum(weights) for w in weights]
    shares[0] += total - sum(shares)
    return shares


def _reason(
    status: str,
    village: Village,
    death_window: tuple[date, date],
    rng: random.Random,
    villages: list[Village],
) -> str:
    if status == MENINGGAL:
        first, last = death_window
        died = first + timedelta(days=rng.randrange((last - first).days + 1))
        return f"Meninggal dunia {died:%d/%m/%Y}"
    reason = rng.choice(REASONS[status])
    other = rng.choice(sorted({v.nama_kecamatan for v in villages} - {village.nama_kecamatan}))
    return reason.format(kecamatan=other)


def _choose_leavers(
    listings: list[Listing],
    count: int,
    rng: random.Random,
    villages: list[Village],
    death_window: tuple[date, date],
    day: date,
    keep_per_village: int | None,
) -> dict[str, tuple[str, str]]:
    """NIK -> (status, alasan) for ``count`` people leaving the list.

    The dead are picked among the old, the better-off among working-age adults. With
    ``keep_per_village`` a village keeps at least that many people on its next list.
    """
    left_in_village = Counter(l.household.village.kode_desa for l in listings)
    chosen: dict[str, tuple[str, str]] = {}
    shares = dict(zip(LEAVING_STATUSES, _split(count, (45, 22, 20, 13))))
    fits = {
        TIDAK_LAYAK: lambda age: 18 <= age < 60,
        MENINGGAL: lambda age: age >= 60,
        PINDAH: lambda age: age >= 18,
        TIDAK_DITEMUKAN: lambda age: age >= 18,
    }
    for status in LEAVING_STATUSES:
        fitting, others = [], []
        for listing in listings:
            (fitting if fits[status](_age_on(listing.person.tanggal_lahir, day)) else others).append(listing)
        rng.shuffle(fitting)
        rng.shuffle(others)
        candidates = fitting + others  # the others only if a small plan runs out of fitting people
        wanted = shares[status]
        for listing in candidates:
            if wanted == 0:
                break
            village = listing.household.village
            if listing.person.nik in chosen:
                continue
            if keep_per_village is not None and left_in_village[village.kode_desa] <= keep_per_village:
                continue
            chosen[listing.person.nik] = (status, _reason(status, village, death_window, rng, villages))
            left_in_village[village.kode_desa] -= 1
            wanted -= 1
        if wanted:
            raise ValueError(f"sample plan too large: cannot find {shares[status]} people for {status}")
    return chosen


def _reissue_outside_niks(
    listings: list[Listing], count: int, rng: random.Random, registry: Registry, day: date
) -> None:
    """Give ``count`` adults a NIK issued outside the regency: they moved in, their NIK stays."""
    adults = [l.person for l in listings if _age_on(l.person.tanggal_lahir, day) >= 20]
    for person in rng.sample(adults, count):
        region = rng.choice(OUTSIDE_NIK_REGIONS) + f"{rng.randint(1, 12):02d}"
        registry.taken.discard(person.nik)
        person.nik = registry.nik(region, person.tanggal_lahir, person.jenis_kelamin)


def _newborns(households: list[Household], count: int, factory: PeopleFactory) -> list[Listing]:
    """Babies born in April or May 2024 into listed households with a young mother."""
    rng = factory.rng
    young_families = [
        h
        for h in households
        if any(
            m.hubungan_keluarga == "Istri" and _age_on(m.tanggal_lahir, factory.reference_day) <= 40
            for m in h.members
        )
    ]
    babies = []
    for household in rng.sample(young_families, min(count, len(young_families))):
        born = date(2024, 4, 1) + timedelta(days=rng.randrange(61))
        baby = factory.person(household.village, "Anak", rng.choice("LP"), 0, birth=born)
        household.members.append(baby)
        babies.append(Listing(baby, household, household.address))
    return babies


def _plan_listings(
    villages: list[Village], plan: SamplePlan, rng: random.Random, factory: PeopleFactory
) -> dict[str, list[Listing]]:
    """Who is on which village's list in May and June, with which status and at which address."""
    may_day, june_day = date(2024, 5, 1), date(2024, 6, 1)
    households = _households_for(
        plan.may_layak + plan.may_leavers, villages, factory, plan.min_people_per_village
    )
    may = [Listing(p, h, h.address) for h in households for p in h.members]

    may_leavers = _choose_leavers(
        may,
        plan.may_leavers,
        rng,
        villages,
        (date(2024, 4, 2), date(2024, 4, 30)),
        may_day,
        keep_per_village=2,
    )
    continuing = [l for l in may if l.person.nik not in may_leavers]
    june_leavers = _choose_leavers(
        continuing,
        plan.june_leavers,
        rng,
        villages,
        (date(2024, 5, 16), date(2024, 5, 31)),
        june_day,
        keep_per_village=None,
    )
    staying = [l for l in continuing if l.person.nik not in june_leavers]
    _reissue_outside_niks(staying, plan.moved_in_niks, rng, factory.registry, june_day)

    newcomers = _newborns(
        sorted({id(l.household): l.household for l in staying}.values(), key=lambda h: h.no_kk),
        plan.june_newborns,
        factory,
    )
    new_households = _households_for(plan.june_newcomers - len(newcomers), villages, factory, 0)
    newcomers += [Listing(p, h, h.address) for h in new_households for p in h.members]

    movers = rng.sample(sorted({l.household.no_kk for l in staying}), plan.address_moves)
    new_address = {no_kk: factory.address() for no_kk in movers}

    def in_may(listing: Listing) -> Listing:
        status, alasan = may_leavers.get(listing.person.nik, (LAYAK, ""))
        return Listing(listing.person, listing.household, listing.address, status, alasan)

    def in_june(listing: Listing) -> Listing:
        status, alasan = june_leavers.get(listing.person.nik, (LAYAK, ""))
        address = new_address.get(listing.household.no_kk, listing.address)
        return Listing(listing.person, listing.household, address, status, alasan)

    return {MAY: [in_may(l) for l in may], JUNE: [in_june(l) for l in continuing + newcomers]}


# --------------------------------------------------------------------------------- submissions


@dataclass
class Submission:
    """One village's file for one period, as data: ``rows`` are dicts keyed by ``COLUMNS``.

    Values are ``str`` (IDs always), ``int`` (desil, pendapatan_bulanan) or ``datetime.date``;
    a defective birth date is kept as its ISO-like text (``'1980-02-31'``). ``defects`` maps a
    row index to ``(column, rule)`` for the rows that break a rule.
    """

    period: str
    village: Village
    file_format: str
    gender_words: bool
    rows: list[dict[str, object]]
    defects: dict[int, tuple[str, str]] = field(default_factory=dict)

    @property
    def file_name(self) -> str:
        suffix = ".xlsx" if self.file_format in (XLSX_PLAIN, XLSX_TITLED) else ".csv"
        return f"verfak_{self.period}_{self.village.plain_code}{suffix}"

    @property
    def relative_path(self) -> Path:
        return Path(self.period) / self.village.kode_desa / self.file_name

    @property
    def first_data_row(self) -> int:
        """Row number (1-based, as a spreadsheet shows it) of the first data row."""
        return XLSX_TITLE_ROWS + 2 if self.file_format == XLSX_TITLED else 2

    def valid_layak(self) -> int:
        return sum(
            1
            for i, row in enumerate(self.rows)
            if i not in self.defects and row["status_verifikasi"] == LAYAK
        )


def file_formats(villages: list[Village], rng: random.Random) -> dict[str, tuple[str, bool]]:
    """Village code -> (file format, writes 'Laki-laki'/'Perempuan'): ~60/20/20 CSV,/CSV;/XLSX."""
    shuffled = list(villages)
    rng.shuffle(shuffled)
    n = len(shuffled)
    n_comma, n_semicolon = round(n * 0.6), round(n * 0.2)
    n_xlsx = n - n_comma - n_semicolon
    formats = (
        [CSV_COMMA] * n_comma
        + [CSV_SEMICOLON] * n_semicolon
        + [XLSX_TITLED] * (n_xlsx // 2)
        + [XLSX_PLAIN] * (n_xlsx - n_xlsx // 2)
    )
    chosen = {}
    semicolon_seen = 0
    for village, file_format in zip(shuffled, formats):
        words = file_format == CSV_SEMICOLON and semicolon_seen % 4 == 0
        semicolon_seen += file_format == CSV_SEMICOLON
        chosen[village.kode_desa] = (file_format, words)
    return chosen


def _field_visits(
    villages: list[Village], rng: random.Random, factory: PeopleFactory
) -> dict[tuple[str, str], list[tuple[date, str]]]:
    """(period, village) -> the (tanggal_verifikasi, petugas) pairs of that month's visits."""
    petugas = {
        v.kode_desa: sorted({factory.name(rng.choice("LP")) for _ in range(rng.randint(1, 2))})
        for v in villages
    }
    visits = {}
    for period in PERIODS:
        year, month = map(int, period.split("-"))
        for village in villages:
            days = sorted(rng.sample(range(2, 16), rng.randint(1, 3)))
            visits[(period, village.kode_desa)] = [
                (date(year, month, d), rng.choice(petugas[village.kode_desa])) for d in days
            ]
    return visits


def _row(listing: Listing, visit: tuple[date, str]) -> dict[str, object]:
    person, household, address = listing.person, listing.household, listing.address
    return {
        "nik": person.nik,
        "no_kk": household.no_kk,
        "nama": person.nama,
        "jenis_kelamin": person.jenis_kelamin,
        "tanggal_lahir": person.tanggal_lahir,
        "hubungan_keluarga": person.hubungan_keluarga,
        "alamat": address.alamat,
        "rt": address.rt,
        "rw": address.rw,
        "kode_desa": household.village.kode_desa,
        "status_verifikasi": listing.status,
        "alasan": listing.alasan,
        "desil": household.desil,
        "pekerjaan": person.pekerjaan,
        "pendidikan": person.pendidikan,
        "pendapatan_bulanan": person.pendapatan_bulanan,
        "minat_pelatihan": person.minat_pelatihan,
        "memiliki_usaha": person.memiliki_usaha,
        "minat_usaha": person.minat_usaha,
        "no_hp": person.no_hp,
        "tanggal_verifikasi": visit[0],
        "petugas": visit[1],
    }


def _village_rows(
    listings: list[Listing], visits: list[tuple[date, str]], rng: random.Random
) -> list[dict[str, object]]:
    """The rows of one file, in the order a verifier walks: RW, RT, family, head first."""

    def walk_order(listing: Listing) -> tuple:
        place_in_family = next(i for i, m in enumerate(listing.household.members) if m is listing.person)
        return (listing.address.rw, listing.address.rt, listing.household.no_kk, place_in_family)

    rows = []
    visit_of_household: dict[str, tuple[date, str]] = {}
    for listing in sorted(listings, key=walk_order):
        visit = visit_of_household.setdefault(listing.household.no_kk, rng.choice(visits))
        rows.append(_row(listing, visit))
    return rows


def _defective_row(rule: str, submission: Submission, factory: PeopleFactory) -> tuple[int, dict]:
    """A row breaking exactly ``rule`` and where it goes in the file; status layak when allowed."""
    rng = factory.rng
    rows = submission.rows
    if rule == "baris_ganda":
        originals = [i for i, r in enumerate(rows) if r["status_verifikasi"] == LAYAK]
        original = rng.choice(originals)
        return rng.randint(original + 1, len(rows)), make_defect(rule, rows[original])

    village = submission.village
    household = factory.household(village, 1)
    person = household.members[0]
    if rule == "tanggal_lahir_mustahil":
        # The NIK says 28/02/1980 (a real date); the operator typed 31/02 in the birth column.
        person.tanggal_lahir = date(1980, 2, 28)
        person.nik = factory.registry.nik(
            "3216" + village.kecamatan_number, person.tanggal_lahir, person.jenis_kelamin
        )
    listing = Listing(person, household, household.address)
    row = make_defect(rule, _row(listing, (rows[0]["tanggal_verifikasi"], rows[0]["petugas"])))
    return rng.randint(0, len(rows)), row


def _add_defects(submissions: list[Submission], period_index: int, factory: PeopleFactory) -> None:
    """One defective row per rule, each in another village; the rules rotate over the formats."""
    rng = factory.rng
    by_format = {f: [s for s in submissions if s.file_format == f] for f in FORMATS}
    used: set[str] = set()
    for i, (rule, column) in enumerate(DEFECT_RULES.items()):
        file_format = FORMATS[(i + period_index) % len(FORMATS)]
        candidates = [s for s in by_format[file_format] if s.village.kode_desa not in used]
        submission = rng.choice(candidates)
        used.add(submission.village.kode_desa)
        position, row = _defective_row(rule, submission, factory)
        submission.rows.insert(position, row)
        submission.defects[position] = (column, rule)


def build_sample_submissions(
    seed: int = DEFAULT_SEED, villages: list[Village] | None = None, plan: SamplePlan = SamplePlan()
) -> list[Submission]:
    """All submissions of both periods as data, sorted by period and village, defects included.

    The benchmark entry point: pass a larger ``plan`` and write the result with
    ``write_submission``.
    """
    villages = sorted(villages if villages is not None else load_villages(), key=lambda v: v.kode_desa)
    rng = random.Random(seed)
    fake = Faker("id_ID")
    fake.seed_instance(seed)
    factory = PeopleFactory(rng, fake, Registry(rng), reference_day=date(2024, 4, 30))

    listings = _plan_listings(villages, plan, rng, factory)
    formats = file_formats(villages, rng)
    visits = _field_visits(villages, rng, factory)

    submissions = []
    for period_index, period in enumerate(PERIODS):
        by_village: dict[str, list[Listing]] = {v.kode_desa: [] for v in villages}
        for listing in listings[period]:
            by_village[listing.household.village.kode_desa].append(listing)
        period_submissions = []
        for village in villages:
            file_format, gender_words = formats[village.kode_desa]
            rows = _village_rows(by_village[village.kode_desa], visits[(period, village.kode_desa)], rng)
            period_submissions.append(Submission(period, village, file_format, gender_words, rows))
        _add_defects(period_submissions, period_index, factory)
        submissions += period_submissions
    return submissions


# -------------------------------------------------------------------------------------- writers


def _date_text(value: object, day_first: bool) -> str:
    """A date as ISO or DD/MM/YYYY text; an impossible date kept as ``'YYYY-MM-DD'`` text."""
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}" if day_first else value.isoformat()
    text = str(value)
    if day_first and len(text) == 10 and text[4] == "-":
        year, month, day = text.split("-")
        return f"{day}/{month}/{year}"
    return text


def _gender_text(value: object, words: bool) -> object:
    return {"L": "Laki-laki", "P": "Perempuan"}.get(value, value) if words else value


def _write_csv(path: Path, submission: Submission) -> None:
    semicolon = submission.file_format == CSV_SEMICOLON
    header = [OFFICE_LABELS[c] for c in COLUMNS] if semicolon else list(COLUMNS)
    # Indonesian-locale Excel saves ';' with a BOM; everything else as plain UTF-8.
    with open(path, "w", newline="", encoding="utf-8-sig" if semicolon else "utf-8") as handle:
        writer = csv.writer(handle, delimiter=";" if semicolon else ",")
        writer.writerow(header)
        for row in submission.rows:
            values = dict(row)
            for column in DATE_COLUMNS:
                values[column] = _date_text(row[column], day_first=semicolon)
            values["jenis_kelamin"] = _gender_text(row["jenis_kelamin"], submission.gender_words)
            writer.writerow([values[c] for c in COLUMNS])


def _write_xlsx(path: Path, submission: Submission) -> None:
    titled = submission.file_format == XLSX_TITLED
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Verfak" if titled else "Sheet1"
    if titled:
        village = submission.village
        year, month = submission.period.split("-")
        kind = "Kelurahan" if village.jenis == "kelurahan" else "Desa"
        sheet.append(["VERIFIKASI FAKTUAL DATA KEMISKINAN EKSTREM"])
        sheet.append(
            [f"{kind} {village.nama_desa}, Kecamatan {village.nama_kecamatan}, periode {BULAN[month]} {year}"]
        )
        sheet.append([])
        sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([OFFICE_LABELS[c] if titled else c for c in COLUMNS])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)

    for row in submission.rows:
        sheet.append([None if row[c] == "" else row[c] for c in COLUMNS])
        for column_index, column in enumerate(COLUMNS):
            cell = sheet.cell(sheet.max_row, column_index + 1)
            if column in TEXT_ID_COLUMNS:
                cell.number_format = "@"  # text, so Excel never turns a NIK into 3.21601E+15
            elif column in DATE_COLUMNS and isinstance(cell.value, date):
                cell.number_format = "DD/MM/YYYY"
            elif column in DATE_COLUMNS and cell.value is not None:
                cell.value = _date_text(cell.value, day_first=True)  # an impossible date stays text
    for letter, width in (("A", 20), ("B", 20), ("C", 28), ("G", 24), ("L", 40), ("V", 24)):
        sheet.column_dimensions[letter].width = width
    _save_workbook_reproducibly(workbook, path)


def _save_workbook_reproducibly(workbook: Workbook, path: Path) -> None:
    """Save like openpyxl does, but with fixed document and zip timestamps (byte-identical runs)."""
    workbook.properties.creator = "Dinas Sosial Kabupaten Bekasi"
    workbook.properties.created = workbook.properties.modified = XLSX_TIMESTAMP
    buffer = io.BytesIO()
    # ExcelWriter directly: openpyxl's save_workbook would stamp 'modified' with the clock.
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=ZIP_TIMESTAMP)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            target.writestr(member, source.read(info.filename))


def delivery_times(submissions: list[Submission], seed: int = DEFAULT_SEED) -> dict[Path, datetime]:
    """When each village delivered each file (``relative_path`` -> aware datetime in WIB).

    On time: 0-3 days after the village's last field visit of the month, between the 5th and the
    17th, in office hours. Late: ``LATE_VILLAGES[period]`` villages chosen at random deliver on the
    18th-27th. A generator of its own (from the seed), so the files' contents don't change.
    """
    rng = random.Random(f"{seed}:delivery")
    times: dict[Path, datetime] = {}
    for period in sorted({s.period for s in submissions}):
        of_period = [s for s in submissions if s.period == period]
        late = {
            s.village.kode_desa
            for s in rng.sample(of_period, min(LATE_VILLAGES.get(period, 0), len(of_period)))
        }
        year, month = map(int, period.split("-"))
        for submission in of_period:
            visits = [
                r["tanggal_verifikasi"] for r in submission.rows if isinstance(r["tanggal_verifikasi"], date)
            ]
            last_visit = max(visits).day if visits else 5
            if submission.village.kode_desa in late:
                day = rng.randint(DELIVERY_CUTOFF_DAY + 1, 27)
            else:
                day = min(max(last_visit + rng.randint(0, 3), 5), DELIVERY_CUTOFF_DAY)
            times[submission.relative_path] = datetime(
                year, month, day, rng.randint(8, 15), rng.randrange(60), rng.randrange(60), tzinfo=WIB
            )
    return times


def write_submission(landing_dir: Path, submission: Submission) -> Path:
    """Write one submission under ``landing_dir`` in its village's format; returns the path."""
    path = Path(landing_dir) / submission.relative_path
    path.parent.mkdir(parents=True, exist_ok=True)
    if submission.file_format in (XLSX_PLAIN, XLSX_TITLED):
        _write_xlsx(path, submission)
    else:
        _write_csv(path, submission)
    return path


# -------------------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class BadRow:
    """A defective row, located as the village operator sees it (1-based, header row included)."""

    period: str
    kode_desa: str
    file_name: str
    source_row: int
    column: str
    rule: str


@dataclass(frozen=True)
class SampleSummary:
    periods: tuple[str, ...]
    files: list[Path]
    rows_by_period: dict[str, int]
    layak_by_period: dict[str, int]
    bad_rows: list[BadRow]
    format_by_file: dict[str, int]  # file format -> number of files
    delivered_at: dict[Path, datetime] = field(default_factory=dict)  # relative path -> file's mtime


def generate_sample_landing(landing_dir: Path, seed: int = DEFAULT_SEED) -> SampleSummary:
    """Write the May and June 2024 submissions of all 187 villages into ``landing_dir``."""
    submissions = build_sample_submissions(seed)
    files = [write_submission(landing_dir, s) for s in submissions]
    delivered = delivery_times(submissions, seed)
    for submission, path in zip(submissions, files):
        moment = delivered[submission.relative_path].timestamp()
        os.utime(path, (moment, moment))
    bad_rows = [
        BadRow(s.period, s.village.kode_desa, s.file_name, s.first_data_row + index, column, rule)
        for s in submissions
        for index, (column, rule) in sorted(s.defects.items())
    ]
    return SampleSummary(
        periods=PERIODS,
        files=files,
        rows_by_period={p: sum(len(s.rows) for s in submissions if s.period == p) for p in PERIODS},
        layak_by_period={p: sum(s.valid_layak() for s in submissions if s.period == p) for p in PERIODS},
        bad_rows=bad_rows,
        format_by_file=dict(sorted(Counter(s.file_format for s in submissions).items())),
        delivered_at=delivered,
    )

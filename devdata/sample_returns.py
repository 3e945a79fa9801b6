"""Built-in sample return files (issue 13): what the three agencies send back about the 2024-06 exports.

``write_sample_returns(landing, exports)`` reads each program's latest export (it must be of
period 2024-06, as ``make run`` makes it from the sample submissions) and drops, in
``<landing>/tindak_lanjut/<program>/<YYYY-MM>/`` (the month of the export: when the agency answers):

- ``pelatihan``: the export's own ``tindak_lanjut.xlsx``, filled in: some accepted, some of them
  in training and most of those completed (people who are also on the capital list first, so the
  next capital list visibly ranks them first), a few dropped out, a few unreachable, a few
  declined, and four bad rows (an unknown referral id, a NIK of someone else, a status the
  training program does not know, a date in the future) that go back in its feedback file;
- ``permodalan``: a CSV (``;``, ``DD/MM/YYYY``): capital accepted and disbursed (``dana_cair`` with
  an amount) to a few training graduates, a few unreachable, one disbursement without an amount
  (a bad row);
- ``bantuan_tunai``: its filled ``tindak_lanjut.xlsx``: most people paid (``dibayar``, with the
  amount), a few unreachable.

Every date is the export's own date (the rules refuse an answer before the referral and one in
the future, and ``make run`` exports today). Deterministic for a seed; the verified figures and
the lists' sizes do not change (answers only reorder the capital list).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from pathlib import Path

from verfak.outcomes import RETURN_COLUMNS, RETURN_FOLDER

SAMPLE_PERIOD = "2024-06"
CASH_AMOUNT = 300_000
CAPITAL_AMOUNT = 2_500_000


def _latest(exports: Path, program: str) -> tuple[Path, dict] | None:
    latest = exports / program / "LATEST"
    if not latest.exists():
        return None
    folder = exports / program / latest.read_text().strip()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return (folder, manifest) if manifest.get("period") == SAMPLE_PERIOD else None


def _referrals(folder: Path) -> list[dict]:
    with (folder / "referrals.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _fill_workbook(source: Path, target: Path, program: str, events: list[dict]) -> None:
    """Fill the export's return workbook: a referral's first event on its pre-filled row, further
    events (and rows about unknown referrals) on new rows below, as an agency would."""
    from openpyxl import load_workbook

    workbook = load_workbook(source)
    sheet = workbook[program]
    header = [c.value for c in sheet[1]]
    col = {name: header.index(label) + 1 for name, label in _labels().items() if label in header}
    row_of = {sheet.cell(row=r, column=col["referral_id"]).value: r for r in range(2, sheet.max_row + 1)}
    used: set[int] = set()
    next_row = sheet.max_row + 1
    for event in events:
        row = row_of.get(event["referral_id"])
        if row is None or row in used:
            row, next_row = next_row, next_row + 1
            for name in ("referral_id", "nik", "nama", "nama_desa"):
                sheet.cell(row=row, column=col[name], value=event.get(name))
        used.add(row)
        for name in ("referral_id", "nik"):  # as the agency typed them (a mistake included)
            if sheet.cell(row=row, column=col[name]).value != event.get(name):
                sheet.cell(row=row, column=col[name], value=event.get(name))
        for name in ("status_tindak_lanjut", "tanggal", "nilai", "kegiatan", "keterangan"):
            if event.get(name) is not None and name in col:
                sheet.cell(row=row, column=col[name], value=event[name])
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)


def _labels() -> dict[str, str]:
    from verfak.outcomes import RETURN_LABELS

    return RETURN_LABELS


def _write_csv(target: Path, events: list[dict]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=RETURN_COLUMNS, delimiter=";")
        writer.writeheader()
        for event in events:
            row = {c: event.get(c) for c in RETURN_COLUMNS}
            if isinstance(row["tanggal"], dt.date):
                row["tanggal"] = row["tanggal"].strftime("%d/%m/%Y")
            writer.writerow(row)


def _event(referral: dict, status: str, day: dt.date, **more) -> dict:
    return {
        "referral_id": referral["referral_id"],
        "nik": referral["nik"],
        "nama": referral.get("nama"),
        "nama_desa": referral.get("nama_desa"),
        "status_tindak_lanjut": status,
        "tanggal": dt.datetime.combine(day, dt.time()),
        **more,
    }


def write_sample_returns(landing: Path, exports: Path, seed: int = 20240701) -> dict[str, Path]:
    """Write the sample return files next to the 2024-06 exports; {program: file}. Nothing is written
    when an export is missing or of another period, or when return files are already there."""
    if (landing / RETURN_FOLDER).exists():
        return {}
    found = {p: _latest(exports, p) for p in ("bantuan_tunai", "pelatihan", "permodalan")}
    if any(v is None for v in found.values()):
        return {}
    rng = random.Random(seed)
    written: dict[str, Path] = {}
    training_folder, training_manifest = found["pelatihan"]
    capital_folder, _ = found["permodalan"]
    cash_folder, cash_manifest = found["bantuan_tunai"]
    day = dt.date.fromisoformat(training_manifest["export_date"])
    month = day.strftime("%Y-%m")

    # Training: graduates first among the people who are also on the capital list.
    training = _referrals(training_folder)
    capital = _referrals(capital_folder)
    on_capital = {r["nik"] for r in capital}
    both = [r for r in training if r["nik"] in on_capital]
    others = [r for r in training if r["nik"] not in on_capital]
    rng.shuffle(both)
    rng.shuffle(others)
    graduates = both[:12] + others[:6]
    dropped = others[6:9]
    in_training = others[9:14]
    accepted_only = others[14:20]
    unreachable = others[20:26]
    declined = others[26:29]
    events = []
    for r in graduates + dropped + in_training + accepted_only:
        events.append(_event(r, "diterima", day, kegiatan="Pelatihan menjahit angkatan 1"))
    for r in graduates + dropped + in_training:
        events.append(_event(r, "mengikuti", day, kegiatan="Pelatihan menjahit angkatan 1"))
    events += [_event(r, "selesai", day, kegiatan="Pelatihan menjahit angkatan 1") for r in graduates]
    events += [_event(r, "tidak_selesai", day, keterangan="berhenti: bekerja") for r in dropped]
    events += [
        _event(r, "tidak_dapat_dihubungi", day, keterangan="nomor HP tidak aktif") for r in unreachable
    ]
    events += [_event(r, "ditolak", day, keterangan="menolak: mengurus keluarga") for r in declined]
    # Bad rows (back to the agency in its feedback file): unknown id, someone else's NIK, a capital
    # status, a date in the future.
    spare = others[29:33] if len(others) >= 33 else training[-4:]
    events.append({**_event(spare[0], "diterima", day), "referral_id": "PL-202406-9999999"})
    events.append({**_event(spare[1], "diterima", day), "nik": spare[2]["nik"]})
    events.append(_event(spare[2], "dana_cair", day, nilai=CAPITAL_AMOUNT))
    events.append(_event(spare[3], "diterima", day + dt.timedelta(days=400)))
    target = landing / RETURN_FOLDER / "pelatihan" / month / "tindak_lanjut_pelatihan.xlsx"
    _fill_workbook(training_folder / "tindak_lanjut.xlsx", target, "pelatihan", events)
    written["pelatihan"] = target

    # Capital: disbursed to a few training graduates, accepted for a few more, a few unreachable.
    graduate_niks = [r["nik"] for r in both[:12]]
    capital_by_nik = {r["nik"]: r for r in capital}
    funded = [capital_by_nik[n] for n in graduate_niks[:4]]
    waiting = [capital_by_nik[n] for n in graduate_niks[4:7]]
    rest = [r for r in capital if r["nik"] not in set(graduate_niks)]
    events = []
    for r in funded + waiting:
        events.append(_event(r, "diterima", day))
    events += [
        _event(r, "dana_cair", day, nilai=CAPITAL_AMOUNT, kegiatan="Bantuan modal tahap 1") for r in funded
    ]
    events += [_event(r, "tidak_dapat_dihubungi", day) for r in rest[-4:]]
    events.append(_event(rest[0], "diterima", day))
    events.append(_event(rest[0], "dana_cair", day, kegiatan="Bantuan modal tahap 1"))  # no amount: sent back
    target = landing / RETURN_FOLDER / "permodalan" / month / "laporan_permodalan.csv"
    _write_csv(target, events)
    written["permodalan"] = target

    # Cash aid: most paid, a few unreachable (the others: no answer yet).
    cash = _referrals(cash_folder)
    paid, unreachable = cash[: len(cash) - 60], cash[len(cash) - 60 : len(cash) - 48]
    events = [_event(r, "dibayar", day, nilai=CASH_AMOUNT, kegiatan="Penyaluran tahap Juni") for r in paid]
    events += [_event(r, "tidak_dapat_dihubungi", day, keterangan="rumah kosong") for r in unreachable]
    target = (
        landing / RETURN_FOLDER / "bantuan_tunai" / cash_manifest["export_date"][:7] / "tindak_lanjut.xlsx"
    )
    _fill_workbook(cash_folder / "tindak_lanjut.xlsx", target, "bantuan_tunai", events)
    written["bantuan_tunai"] = target
    return written

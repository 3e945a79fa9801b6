"""An interrupted publish (a killed worker) can leave its work folder and its COPY output beside a
program's exports: personal data that is not an export. The nightly clean-up of old exports
(``exports.remove_old_exports``) removes such leftovers once they are a day old, never what a
publish running now is writing, never an export."""

from __future__ import annotations

import datetime as dt
import os
import time

from verfak.exports import remove_old_exports


def _age(path, days: float) -> None:
    then = time.time() - days * 86400
    os.utime(path, (then, then), follow_symlinks=False)


def test_leftovers_of_an_interrupted_publish_go_after_a_day(tmp_path):
    today = dt.date.today()
    program = tmp_path / "bantuan_tunai"
    export = program / today.isoformat()
    export.mkdir(parents=True)
    (export / "referrals.csv").write_text("nik\n")
    (program / "LATEST").write_text(today.isoformat() + "\n")
    old_work = program / f".{today.isoformat()}.0a1b.tmp"
    old_work.mkdir()
    (old_work / "referrals.csv").write_text("nik\n")
    old_csv = program / f".{today.isoformat()}.2c3d.csv.tmp"
    old_csv.write_text("nik\n")
    running_csv = program / f".{today.isoformat()}.4e5f.csv.tmp"  # a publish writing now
    running_csv.write_text("nik\n")
    for path in (old_work / "referrals.csv", old_work, old_csv):
        _age(path, 3)
    _age(export, 3)  # an export is never a leftover, whatever its age

    removed = remove_old_exports(tmp_path, "bantuan_tunai", keep_days=30, today=today)

    assert sorted(p.name for p in removed) == sorted([old_work.name, old_csv.name])
    assert sorted(p.name for p in program.iterdir()) == sorted(
        [today.isoformat(), "LATEST", running_csv.name]
    )
    assert (export / "referrals.csv").exists()

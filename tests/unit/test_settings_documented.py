"""Every ``VERFAK_*`` setting is declared once (``verfak.config.Settings``), read only there, and
documented in the README's configuration table.

The settings the package reads are the fields of ``verfak.config.Settings`` (``config.variables()``);
the shell scripts' are what they read as ``${VERFAK_...}``. The tests fail when a setting is added
without its line in the table, when a line names one nothing reads, and when a module other than
``verfak/config.py`` reads a ``VERFAK_*`` variable from the environment itself.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

from verfak import config

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"(?<![A-Z0-9_])VERFAK_[A-Z0-9_]*[A-Z0-9]")  # not inside AIRFLOW_CONN_VERFAK_...
CONFIG = ROOT / "plugins" / "verfak" / "config.py"


def _configuration_table(readme: str | None = None) -> str:
    readme = readme if readme is not None else (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]


def settings_read() -> set[str]:
    names = set(config.variables())
    for path in (ROOT / "scripts").glob("*.sh"):
        names.update(re.findall(r"\$\{(VERFAK_[A-Z0-9_]+)", path.read_text(encoding="utf-8")))
    return names


def undocumented(table: str, read: set[str]) -> list[str]:
    return sorted(read - set(NAME.findall(table)))


def test_every_setting_read_is_documented():
    missing = undocumented(_configuration_table(), settings_read())
    assert not missing, f"read by the code but not in the README's configuration table: {missing}"


def test_an_undocumented_setting_is_found():
    """The check itself: a setting whose line is taken out of the table is reported."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = _configuration_table(readme)
    line = next(x for x in table.splitlines() if "`VERFAK_MAX_CELL_CHARS`" in x)
    assert undocumented(table.replace(line, ""), settings_read()) == ["VERFAK_MAX_CELL_CHARS"]
    assert undocumented(table, settings_read() | {"VERFAK_NEW_SETTING"}) == ["VERFAK_NEW_SETTING"]


def test_the_table_names_no_setting_the_code_does_not_read():
    table = _configuration_table()
    # VERFAK_AGENCY_PASSWORD_<PROGRAM> is named only to say it is no longer read.
    documented = {n for n in NAME.findall(table) if not n.startswith("VERFAK_AGENCY_PASSWORD")}
    stale = sorted(documented - settings_read())
    assert not stale, f"in the README's configuration table but read nowhere: {stale}"


def _python_files():
    """The package and the DAGs (bench/run.py names settings to set them for its stages)."""
    for folder in ("plugins", "dags"):
        yield from (ROOT / folder).rglob("*.py")


def test_only_config_reads_verfak_settings():
    """No ``VERFAK_*`` name in a string of the Python code outside config.py, except in docstrings
    and messages that name a setting (a string that is exactly the name is a read)."""
    readers = []
    for path in _python_files():
        if path == CONFIG:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and NAME.fullmatch(node.value):
                readers.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value}")
    assert not readers, f"VERFAK_* settings read outside verfak.config.Settings: {readers}"


def test_every_setting_is_declared_once():
    names = config.variables()
    assert len(names) == len(set(names))
    assert all(NAME.fullmatch(n) for n in names)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("VERFAK_MAX_ROWS", "lots"),
        ("VERFAK_MAX_FILE_MB", "0"),
        ("VERFAK_GX_MAX_ROWS", "1"),
        ("VERFAK_CUTOFF_DAY", "40"),
        ("VERFAK_PUBLISH_DEADLINE", "25:00"),
        ("VERFAK_ATTENTION_SHARE", "a fifth"),
        ("VERFAK_EXPORT_RETENTION_DAYS", "-1"),
    ],
)
def test_a_bad_value_names_its_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(config.SettingError, match=variable):
        config.settings()


def test_settings_are_read_when_asked(monkeypatch, tmp_path):
    monkeypatch.setenv("VERFAK_MAX_ROWS", "1_000")
    monkeypatch.setenv("VERFAK_LANDING_DIR", str(tmp_path))
    monkeypatch.setenv("VERFAK_PUBLISH_DEADLINE", "off")
    monkeypatch.setenv("VERFAK_ALERT_EMAIL_TO", " a@example.org, ,b@example.org")
    first = config.settings()
    assert (first.max_rows, first.landing_dir, config.landing_dir()) == (1000, tmp_path, tmp_path)
    assert first.publish_deadline is None
    assert first.alert_email_to == ("a@example.org", "b@example.org")
    monkeypatch.setenv("VERFAK_MAX_ROWS", "")  # empty = the default
    assert config.settings().max_rows == 100_000
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.max_rows = 5  # type: ignore[misc]


def test_the_sql_fallback_cut_off_day_is_the_settings_default():
    """The completeness views need a cut-off day of their own for a psql user who sets none; it must
    be the default of ``Settings.cutoff_day`` (the one place the number is decided)."""
    default = next(f.default for f in dataclasses.fields(config.Settings) if f.name == "cutoff_day")
    found: list[tuple[str, int]] = []
    for path in sorted((config.SQL_DIR / "views").glob("*completeness*.sql")):
        text = path.read_text(encoding="utf-8")
        found += [(path.name, int(n)) for n in re.findall(r"cutoff_day integer DEFAULT (\d+)", text)]
        found += [
            (path.name, int(n))
            for n in re.findall(r"'verfak\.cutoff_day', true\), ''\)::integer, (\d+)\)", text)
        ]
    assert found, "no fallback cut-off day found in the completeness views"
    assert {n for _, n in found} == {default}, found

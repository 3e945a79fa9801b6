"""Every ``VERFAK_*`` setting the code reads is in the README's configuration table.

A setting is what the Python code names as a string ``VERFAK_...`` (``os.environ.get``, the config
helpers) or a shell script reads as ``${VERFAK_...}``. The test fails when a new one is added
without its line in the table (or a line still names one the code no longer reads).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"(?<![A-Z0-9_])VERFAK_[A-Z0-9_]*[A-Z0-9]")  # not inside AIRFLOW_CONN_VERFAK_...


def _configuration_table() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]


def settings_read() -> set[str]:
    names = set()
    for folder in ("plugins", "dags", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and NAME.fullmatch(node.value)
                ):
                    names.add(node.value)
    for path in (ROOT / "scripts").glob("*.sh"):
        names.update(re.findall(r"\$\{(VERFAK_[A-Z0-9_]+)", path.read_text(encoding="utf-8")))
    return names


def test_every_setting_read_is_documented():
    table = _configuration_table()
    documented = set(NAME.findall(table))
    missing = sorted(settings_read() - documented)
    assert not missing, f"read by the code but not in the README's configuration table: {missing}"


def test_the_table_names_no_setting_the_code_does_not_read():
    table = _configuration_table()
    # VERFAK_AGENCY_PASSWORD_<PROGRAM> is named only to say it is no longer read.
    documented = {n for n in NAME.findall(table) if not n.startswith("VERFAK_AGENCY_PASSWORD")}
    stale = sorted(documented - settings_read())
    assert not stale, f"in the README's configuration table but read nowhere: {stale}"

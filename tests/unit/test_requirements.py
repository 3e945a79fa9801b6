"""Every package the code imports is declared, and a fresh clone installs the versions tested here.

requirements.txt (runtime) and requirements-dev.txt (tests, lint, benchmark) name what the code
imports, pinned; the product (``plugins``, ``dags``) imports only what requirements.txt declares,
so development tooling (Faker for ``devdata/``) stays out of the runtime; constraints.txt pins every package of the virtualenv (``make lock``) and
scripts/setup.sh installs under it. These tests fail when an import has no declared package, or
a pin in the requirements and the lock disagree.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = ("plugins", "devdata", "dags", "bench", "tests", "scripts")
PRODUCT = ("plugins", "dags")  # what the image runs: requirements.txt only
FIRST_PARTY = {"verfak", "verfak_ui_plugin", "devdata", "tests", "bench", "plugins"}
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s#]+)")


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", requirement.split("[")[0]).lower()


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            pins[_name(match.group(1))] = match.group(2)
    return pins


def _imported_modules(folders: tuple[str, ...] = CODE) -> set[str]:
    modules = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules.add(node.module.split(".")[0])
    return modules - FIRST_PARTY - set(sys.stdlib_module_names) - {"__future__"}


def test_every_imported_package_is_declared():
    declared = _pins(ROOT / "requirements.txt") | _pins(ROOT / "requirements-dev.txt")
    distributions = packages_distributions()
    undeclared = {}
    for module in sorted(_imported_modules()):
        names = {_name(d) for d in distributions.get(module, [])}
        assert names, f"{module} is imported but no installed package provides it"
        if not names & set(declared):
            undeclared[module] = sorted(names)
    assert not undeclared, f"imported but not in requirements*.txt: {undeclared}"


def test_the_product_imports_only_runtime_requirements():
    """plugins/ and dags/ run in the image, which installs requirements.txt alone."""
    runtime = set(_pins(ROOT / "requirements.txt"))
    distributions = packages_distributions()
    dev_only = {}
    for module in sorted(_imported_modules(PRODUCT)):
        names = {_name(d) for d in distributions.get(module, [])}
        if not names & runtime:
            dev_only[module] = sorted(names)
    assert not dev_only, f"the product imports packages that are not in requirements.txt: {dev_only}"


def test_the_generators_are_not_in_the_product():
    """The sample and benchmark generators live in devdata/; the product never imports it by name
    (the CLI's sample-data and sample-returns load it lazily, at the command)."""
    assert not list((ROOT / "plugins" / "verfak").glob("*_data.py"))
    importers = []
    for folder in PRODUCT:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                if any(n.split(".")[0] == "devdata" for n in names):
                    importers.append(str(path.relative_to(ROOT)))
    assert not importers, f"the product imports devdata: {importers}"


def test_requirements_and_the_lock_agree():
    lock = _pins(ROOT / "constraints.txt")
    for path in ("requirements.txt", "requirements-dev.txt"):
        for name, version in _pins(ROOT / path).items():
            assert lock.get(name) == version, (
                f"{path} pins {name}=={version}, constraints.txt {lock.get(name)}"
            )

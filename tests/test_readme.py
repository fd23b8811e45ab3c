"""The README's module tables describe the package as it is: every module has a row, and every
module a row names exists."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"mechanics": ROOT / "mechanics", "mechanics/site": ROOT / "mechanics" / "site"}


def table_modules():
    """The `*.py` names in the first column of the README's tables."""
    rows = [line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([\w]+\.py)`", row.split("|")[1])}


def package_modules():
    return {path.name for folder in PACKAGES.values() for path in folder.glob("*.py") if path.name != "__init__.py"}


def test_every_module_has_a_row():
    assert package_modules() - table_modules() == set()


def test_every_row_names_a_module_that_exists():
    assert table_modules() - package_modules() == set()

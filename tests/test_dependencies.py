"""pyproject declares what the code imports, and nothing that no one needs: a walk over the AST of
bot/, handlers/ and storage/ against [project].dependencies and the installed distributions."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "storage")
#: Declared, yet imported by no module of ours, each for a reason.
NOT_IMPORTED = {
    "aiosqlite": "SQLAlchemy's driver for sqlite:// URLs",
    "psycopg": "SQLAlchemy's driver for postgresql:// URLs",
    "sniffio": "httpcore asks it on every lock it sets up; without it each ask is a failed import (bench/sniffio.py)",
}


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def imported_top_level() -> set[str]:
    found: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - set(PACKAGES) - {"__future__"}


def test_every_imported_distribution_is_declared_and_every_declared_one_is_needed() -> None:
    declared = {_name(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    owners = packages_distributions()
    used: set[str] = set()
    undeclared = []
    for module in sorted(imported_top_level()):
        distributions = {_name(d) for d in owners.get(module, [])}
        assert distributions, f"{module} is imported but no installed distribution provides it"
        used |= distributions
        if not distributions & declared:
            undeclared.append(f"{module} ({', '.join(sorted(distributions))})")
    assert undeclared == [], "imported but only present through another package: " + "; ".join(undeclared)
    assert declared - used == set(NOT_IMPORTED), "declared but imported by nothing: " + ", ".join(sorted(declared - used))

"""The layering of docs/architecture.md, held: every module of a package imports only the packages its row lists
(at any depth, imports inside functions included), and nothing but app/ and dashboard.py imports streamlit."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = ROOT / "docs" / "architecture.md"


def _table() -> dict[str, set[str] | None]:
    """package → the packages it may import (None: any except the one named), from the Layering table."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text[text.index("## Layering"):text.index("Packages never import streamlit")]
    allowed: dict[str, set[str] | None] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not cells[0].startswith("`"):
            continue
        names = [n.removesuffix(".py") for n in re.findall(r"`([^`]+)`", cells[0])]
        targets = set(re.findall(r"`([^`]+)`", cells[1]))
        for name in names:
            allowed[name] = None if cells[1].startswith("any package") else targets
    return allowed


TABLE = _table()
PACKAGES = {name for name in TABLE if (ROOT / name).is_dir()}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
    return names


def _files(name: str) -> list[Path]:
    return sorted((ROOT / name).rglob("*.py")) if (ROOT / name).is_dir() else [ROOT / f"{name}.py"]


def test_the_table_names_every_package_of_the_product():
    shipped = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "sample_reports", "contracts"}
    assert shipped <= set(TABLE), shipped - set(TABLE)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_a_package_imports_only_what_its_row_allows(name):
    allowed = TABLE[name]
    project = set(TABLE) | {"cli", "dashboard", "commands", "app"}
    wrong = {}
    for path in _files(name):
        used = (_imports(path) & project) - {name}
        if allowed is None:  # "any package except app" / "except commands"
            used &= {"app"} if name in ("commands", "cli") else {"commands"}
        else:
            used -= allowed
        if used:
            wrong[str(path.relative_to(ROOT))] = sorted(used)
    assert wrong == {}


@pytest.mark.parametrize("name", sorted(PACKAGES - {"app"}))
def test_no_package_but_the_pages_imports_streamlit(name):
    assert {str(p.relative_to(ROOT)) for p in _files(name) if "streamlit" in _imports(p)} == set()

"""Meta-tests that keep the catalog honest (style.md): ids of checks.md, documented, clauses registered, SQL parses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from checks.catalog import CHECKS, Severity
from checks.contract import load_profile

CHECKS_MD = Path(__file__).resolve().parents[2] / "shared" / "design" / "checks.md"


def documented() -> dict[str, tuple[str, str]]:
    """check id → (severity word, default clause) from the tables of checks.md."""
    out = {}
    for line in CHECKS_MD.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        m = re.fullmatch(r"`([a-z_]+\.[a-z_]+)`", cells[0]) if len(cells) == 5 else None
        if m:
            out[m.group(1)] = (cells[1].split()[0], cells[4])
    return out


def test_catalog_ids_are_exactly_those_of_checks_md_in_order():
    assert [c.id for c in CHECKS] == list(documented())


def test_severity_and_default_clause_follow_checks_md():
    for check in CHECKS:
        severity, clause = documented()[check.id]
        assert check.severity == Severity(severity), check.id
        assert clause.startswith(check.clause), (check.id, clause)


def test_every_check_is_documented_and_its_clause_is_in_the_default_register():
    register = load_profile("default").clauses
    for check in CHECKS:
        assert check.title and check.description.endswith(".") and check.basis, check.id
        assert check.clause in register, check.id


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
def test_every_sql_expression_parses(check):
    con = duckdb.connect()
    for part in (check.applies, check.offends, check.details, check.severity_sql or "1"):
        tree = json.loads(con.execute("SELECT json_serialize_sql(?)", [f"SELECT {part} FROM t"]).fetchall()[0][0])
        assert not tree["error"], (check.id, part, tree.get("error_message"))

"""Meta-tests that keep the catalog and its documentation honest: docs/checks.md lists every check of the catalog,
in order, with its severity, source, basis and default clause; every check is described; every SQL parses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from checks.catalog import CHECKS, Severity
from checks.contract import load_profile

CHECKS_MD = Path(__file__).resolve().parents[1] / "docs" / "checks.md"


def documented() -> dict[str, dict[str, str]]:
    """check id → the cells of its row in the catalog table of docs/checks.md."""
    out = {}
    for line in CHECKS_MD.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        m = re.fullmatch(r"`([a-z_]+\.[a-z_]+)`", cells[0]) if len(cells) == 6 else None
        if m:
            assert m.group(1) not in out, f"{m.group(1)} is documented twice"
            out[m.group(1)] = dict(zip(("severity", "source", "basis", "clause", "rule"), cells[1:], strict=True))
    return out


def test_the_documented_table_lists_every_check():
    assert len(documented()) == len(CHECKS)


def test_catalog_ids_are_exactly_those_of_the_documentation_in_order():
    assert [c.id for c in CHECKS] == list(documented())


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.id)
def test_severity_source_basis_and_default_clause_are_as_documented(check):
    row = documented()[check.id]
    # The first word is the severity; repeat.same_request documents its row-dependent severity after it.
    assert check.severity == Severity(row["severity"].split()[0])
    assert (check.source.value, check.basis, check.clause) == (row["source"], row["basis"], row["clause"])
    assert (check.severity_sql is not None) == ("(" in row["severity"]), "a row-dependent severity is documented"


def test_every_check_is_described_and_its_clause_is_in_the_default_register():
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

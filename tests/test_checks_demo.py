"""The demo reports: every check finds what sample_reports/README.md says was planted, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from checks.catalog import BY_ID, CHECKS
from tests.checkkit import run
from tests.conftest import copy_demo

README = Path(__file__).resolve().parents[1] / "sample_reports" / "README.md"
CASE_ID = r"(?:BC|APS)-\d{6}-\d+"
BULK = ("training.not_current", "training.agent_unknown")  # listed as "every p.renard case": checked by count
# Checks that only a contract setting the default profile leaves off can make fire: the demo is held to the default
# profile (required_fields = []), so tests/test_rules_reports.py shows them on a profile that sets it.
PROFILE_ONLY = {"report.field_missing"}


def planted() -> list[tuple[str, str, list[str] | None, list[str]]]:
    """Rows of the planted-problems table: (check id, processor word, periods or None for all, case ids)."""
    out, check = [], None
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or not line.startswith("|") or cells[1] in ("processor", "---"):
            continue
        named = re.fullmatch(r"`([a-z_]+\.[a-z_]+)`", cells[0])
        if named:
            check = named.group(1)
        elif cells[0]:
            continue
        periods = None if cells[2] == "all" else [f"2026-{m}" for m in re.findall(r"(?:2026-)?(\d\d)\b", cells[2])]
        out.append((check, cells[1], periods, re.findall(CASE_ID, cells[3])))
    return out


@pytest.fixture(scope="module")
def demo_run(demo_files, tmp_path_factory):
    """The checks run once (by checkkit's compliance officer) on a module copy of the loaded demo."""
    from store.db import connect
    con = connect(copy_demo(demo_files, tmp_path_factory.mktemp("demo") / "demo.duckdb"))
    found = run(con)
    yield found
    con.close()


def test_the_planted_table_names_every_check():
    assert {row[0] for row in planted()} == set(BY_ID) - PROFILE_ONLY


def test_every_check_finds_at_least_one_exception_in_the_demo(demo_run):
    assert {c.id for c in CHECKS} - PROFILE_ONLY - {r["check_id"] for r in demo_run.rows} == set()


def test_every_planted_problem_is_found(demo_run):
    # report.missing is recorded on the report that follows the gap; the month it names is in its details
    found = {(r["check_id"], r["processor"].split()[0], r["details"].get("missing_period", r["period"]),
              r["case_id"]) for r in demo_run.rows}
    missed = []
    for check, processor, periods, ids in planted():
        if BY_ID[check].report_level:
            missed += [(check, processor, p) for p in periods or []
                       if not any(f[:3] == (check, processor, p) for f in found)]
            continue
        # the first request of a repeat chain is the original, not a repeat
        for case_id in (sorted(ids)[1:] if check == "repeat.same_request" else ids):
            hits = [f for f in found if (f[0], f[1], f[3]) == (check, processor, case_id)]
            if not hits or (periods and len(periods) > 1 and check != "repeat.same_request"
                            and {f[2] for f in hits} != set(periods)):
                missed.append((check, processor, case_id, periods))
    assert missed == []


def test_nothing_is_flagged_that_the_table_does_not_plant(demo_run):
    listed = {(check, case_id) for check, _, _, ids in planted() for case_id in ids}
    unexpected = sorted((r["check_id"], r["case_id"]) for r in demo_run.rows
                        if r["case_id"] and r["check_id"] not in BULK and r["check_id"] != "report.rows_quarantined"
                        and (r["check_id"], r["case_id"]) not in listed)
    assert unexpected == []


def test_training_counts_match_the_table(demo_run):
    # One exception per agent and report, listing the agent's cases: p.renard's 11 / 17 / 9 and y.benali's 20.
    stale = {r["period"]: r["details"] for r in demo_run.of("training.not_current")}
    assert {d["agent_id"] for d in stale.values()} == {"p.renard"}
    assert sorted(len(d["cases"]) for d in stale.values()) == sorted([11, 17, 9])
    assert "APS-260714-001" in stale["2026-07"]["cases"]
    [unknown] = demo_run.of("training.agent_unknown")
    assert unknown["details"]["agent_id"] == "y.benali" and len(unknown["details"]["cases"]) == 20
    assert "APS-261019-001" in unknown["details"]["cases"]

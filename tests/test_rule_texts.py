"""No placeholders (issue 12 §8): every rule text a person reads has its parameters filled with the processor's
profile values — the Checks page, the Contract page, `oversight profile show`, findings (and so the CLI, the pack
and the letter)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from checks.catalog import BY_ID, CHECKS
from checks.profiles import list_profiles, load_profile
from checks.runner import run_checks
from checks.wording import fill
from exports.letter import open_findings
from exports.scope import Scope
from findings.raising import raise_from_checks
from store.identity import ROLES, User
from tests.conftest import AppEnv, open_dashboard_page, run_cli
from vocab.parameters import PARAMETERS

NAMES = re.compile(r"\b(" + "|".join(p.name for p in PARAMETERS) + r")\b")
OFFICER = User("olivia", ROLES)
BELCALL = "Belcall Antwerpen BV"


def test_values_are_worded_as_a_sentence_needs_them():
    default = load_profile("default").parameters
    assert fill(BY_ID["sla.forwarding_late"].description, default).endswith(
        "not forwarded within 2 working days of receipt.")
    assert "after day 10 of the month after its period" in fill(BY_ID["report.late"].description, default)
    assert "after day 15 of the month" in fill(BY_ID["report.late"].description, load_profile("fr").parameters)
    assert "within the profile's 7 days after" in fill(BY_ID["deadline.due_soon"].description, default)
    assert fill("at most `quarantine_major_share` of rows", {"quarantine_major_share": 0.05}) == "at most 5 % of rows"
    assert fill("the types (verify_identity_types)", {"verify_identity_types": ("access", "marketing_opt_out")}) \
        == "the types (access, marketing opt out)"


@pytest.mark.parametrize("profile", list_profiles())
def test_no_rule_or_clause_summary_keeps_a_parameter_name(profile):
    loaded = load_profile(profile)
    for check in CHECKS:
        assert not NAMES.search(fill(check.description, loaded.parameters)), check.id
    for clause in loaded.clauses.values():
        assert not NAMES.search(fill(clause.summary, loaded.parameters)), clause.ref


def test_the_checks_page_shows_rules_with_the_profiles_values(app_env: AppEnv, checked_demo_db: Path):
    at = open_dashboard_page("app/checks.py", processor=BELCALL, period="2026-10")
    rules = next(d.value for d in at.dataframe if "rule" in d.value.columns)["rule"]
    assert not [r for r in rules if NAMES.search(str(r))]
    assert any("within 2 working days of receipt" in str(r) for r in rules)


def test_findings_and_the_letter_read_with_values(checked_demo):
    raise_from_checks(checked_demo, OFFICER, processor=BELCALL, period="2026-10", today=date(2026, 11, 20))
    stored = [d for (d,) in checked_demo.execute("SELECT description FROM findings").fetchall()]
    assert stored and not [d for d in stored if NAMES.search(d)]
    # A finding stored by an earlier version, with the raw name, reads with the value in the letter too.
    checked_demo.execute("UPDATE findings SET description = 'Not forwarded within forward_working_days working days.' "
                         "WHERE finding_id = (SELECT min(finding_id) FROM findings)")
    rows = open_findings(checked_demo, Scope(BELCALL, "default"), date(2026, 11, 20))
    assert "Not forwarded within 2 working days." in [r[5] for r in rows]


def test_profile_show_fills_the_clause_summaries(cli_env):
    code, out, _ = run_cli("profile", "show", "fr")
    assert code == 0 and not NAMES.search(out.split("clause register")[1])
    assert "by day 15 of the next month" in out


def test_a_new_run_changes_nothing_in_the_words(checked_demo):
    # The SQL still reads the parameter by name: only the text shown to people is filled.
    assert run_checks(checked_demo, OFFICER, processor=BELCALL, period="2026-10").errors == 0

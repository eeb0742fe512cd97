"""The default clause register holds every clause of the EU standard clauses of Implementing Decision (EU) 2021/915
(Annex to the decision, OJ L 199, 7.6.2021, p. 18), Annexes I-IV and the call-centre service-level annex."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from checks.contract import load_profile

REGISTER = load_profile("default").clauses
# Every clause, numbered part, lettered point and annex of the decision, in its order, with the Official Journal's
# headings (the file's header comment says more).
DECISION_CSV = Path(__file__).resolve().parent / "reference" / "scc_2021_915_clauses.csv"
# The call-centre service-level annex is the project's own (contracts/README.md), not part of the decision.
SERVICE_LEVELS = [f"SL {n}" for n in range(1, 7)]


def decision() -> dict[str, str]:
    """ref → official heading, in the decision's order."""
    with DECISION_CSV.open(encoding="utf-8", newline="") as f:
        return {row["ref"]: row["title"] for row in csv.DictReader(line for line in f if not line.startswith("#"))}


def test_the_reference_lists_the_68_parts_of_the_decision():
    refs = decision()
    assert len(refs) == 68 and list(refs)[:2] == ["SCC 1", "SCC 1(a)"] and list(refs)[-1] == "Annex IV"


def test_every_part_of_the_decision_is_in_the_register():
    assert [ref for ref in decision() if ref not in REGISTER] == []


def test_the_register_holds_the_decision_in_its_order_then_the_service_levels_and_nothing_else():
    assert list(REGISTER) == [*decision(), *SERVICE_LEVELS]
    assert len(REGISTER) == 74


def test_titles_are_the_official_headings():
    assert {ref: REGISTER[ref].title for ref in decision()} == decision()


def test_a_lettered_point_carries_the_title_of_its_clause():
    for ref, clause in REGISTER.items():
        parent = re.sub(r"\([a-f]\)$", "", ref)
        if parent != ref:
            assert clause.title == REGISTER[parent].title, ref


def test_every_clause_has_a_one_line_summary_of_its_own():
    summaries = [c.summary for c in REGISTER.values()]
    assert all(c.title.strip() and c.summary.strip() and "\n" not in c.summary for c in REGISTER.values())
    assert all(len(s) <= 200 for s in summaries)
    assert len(set(summaries)) == len(summaries)


def test_parts_follow_the_reference():
    for ref, clause in REGISTER.items():
        expected = "SCC" if ref.startswith("SCC ") else "Annex" if ref.startswith("Annex ") else "Service levels"
        assert clause.part == expected, ref


def test_key_summaries_say_what_the_checks_rely_on():
    assert "never answer" in REGISTER["SCC 8(a)"].summary and "request" in REGISTER["SCC 8(a)"].summary
    assert "audit" in REGISTER["SCC 7.6(c)"].summary
    assert "confidentiality" in REGISTER["SCC 7.4(b)"].summary
    assert "one month" in REGISTER["SCC 10(b)"].summary
    assert "data-subject requests" in REGISTER["Annex III"].summary
    assert "report_due_day" in REGISTER["SL 1"].summary and "forward_working_days" in REGISTER["SL 2"].summary

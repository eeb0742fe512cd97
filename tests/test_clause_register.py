"""The default clause register holds every clause of the EU standard clauses of Implementing Decision (EU) 2021/915
(Annex to the decision, OJ L 199, 7.6.2021, p. 18), Annexes I-IV and the call-centre service-level annex."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from checks.contract import load_profile

REGISTER = load_profile("default").clauses
DOMAIN = Path(__file__).resolve().parents[2] / "shared" / "design" / "domain.md"

# The decision's numbered clauses and their numbered parts (Clause 7 has 7.1-7.8, Clause 9 has 9.1-9.2).
NUMBERED = [f"SCC {n}" for n in range(1, 11)] + [f"SCC 7.{n}" for n in range(1, 9)] + ["SCC 9.1", "SCC 9.2"]
# The lettered points, exactly as many as the decision has under each clause.
LETTERED = {"SCC 1": "abcdef", "SCC 2": "ab", "SCC 3": "abc", "SCC 5": "abc", "SCC 7.1": "ab", "SCC 7.4": "ab",
            "SCC 7.6": "abcde", "SCC 7.7": "abcde", "SCC 7.8": "ab", "SCC 8": "abcd", "SCC 9.1": "abc",
            "SCC 9.2": "abc", "SCC 10": "abcd"}
ANNEXES = ["Annex I", "Annex II", "Annex III", "Annex IV"]
SERVICE_LEVELS = [f"SL {n}" for n in range(1, 7)]

# Headings as published in the Official Journal.
OFFICIAL_TITLES = {
    "SCC 1": "Purpose and scope",
    "SCC 2": "Invariability of the Clauses",
    "SCC 3": "Interpretation",
    "SCC 4": "Hierarchy",
    "SCC 5": "Docking clause",
    "SCC 6": "Description of processing(s)",
    "SCC 7": "Obligations of the Parties",
    "SCC 7.1": "Instructions",
    "SCC 7.2": "Purpose limitation",
    "SCC 7.3": "Duration of the processing of personal data",
    "SCC 7.4": "Security of processing",
    "SCC 7.5": "Sensitive data",
    "SCC 7.6": "Documentation and compliance",
    "SCC 7.7": "Use of sub-processors",
    "SCC 7.8": "International transfers",
    "SCC 8": "Assistance to the controller",
    "SCC 9": "Notification of personal data breach",
    "SCC 9.1": "Data breach concerning data processed by the controller",
    "SCC 9.2": "Data breach concerning data processed by the processor",
    "SCC 10": "Non-compliance with the Clauses and termination",
    "Annex I": "List of parties",
    "Annex II": "Description of the processing",
    "Annex III": "Technical and organisational measures including technical and organisational measures to ensure "
                 "the security of the data",
    "Annex IV": "List of sub-processors",
}


def test_every_numbered_clause_annex_and_service_level_is_in_the_register():
    expected = NUMBERED + ANNEXES + SERVICE_LEVELS
    assert [ref for ref in expected if ref not in REGISTER] == []


def test_every_lettered_point_of_the_decision_is_in_the_register_and_no_other():
    lettered = {ref for ref in REGISTER if ref.endswith(")")}
    expected = {f"{clause}({letter})" for clause, letters in LETTERED.items() for letter in letters}
    assert lettered == expected


def test_the_register_holds_nothing_else():
    expected = set(NUMBERED) | set(ANNEXES) | set(SERVICE_LEVELS) | {
        f"{clause}({letter})" for clause, letters in LETTERED.items() for letter in letters}
    assert set(REGISTER) == expected and len(REGISTER) == 74


@pytest.mark.parametrize(("ref", "title"), OFFICIAL_TITLES.items())
def test_titles_are_the_official_headings(ref, title):
    assert REGISTER[ref].title == title


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


def test_the_register_is_in_the_order_of_the_decision():
    refs = list(REGISTER)
    assert refs[:3] == ["SCC 1", "SCC 1(a)", "SCC 1(b)"]
    assert refs.index("SCC 7.6") < refs.index("SCC 7.6(e)") < refs.index("SCC 7.7") < refs.index("SCC 8")
    assert refs.index("SCC 10(d)") < refs.index("Annex I") < refs.index("SL 1")
    assert refs[-1] == "SL 6"


def test_key_summaries_say_what_the_checks_rely_on():
    assert "never answer" in REGISTER["SCC 8(a)"].summary and "request" in REGISTER["SCC 8(a)"].summary
    assert "audit" in REGISTER["SCC 7.6(c)"].summary
    assert "confidentiality" in REGISTER["SCC 7.4(b)"].summary
    assert "one month" in REGISTER["SCC 10(b)"].summary
    assert "data-subject requests" in REGISTER["Annex III"].summary
    assert "report_due_day" in REGISTER["SL 1"].summary and "forward_working_days" in REGISTER["SL 2"].summary


@pytest.mark.skipif(not DOMAIN.exists(), reason="shared/design is not beside the checkout")
def test_the_clauses_domain_md_relies_on_are_registered():
    text = DOMAIN.read_text(encoding="utf-8").split("| ref | title |")[1].split("\n\n")[0]
    refs = [line.strip("|").split("|")[0].strip() for line in text.splitlines()[2:]]
    assert len(refs) == 10
    # domain.md writes "7.6" for the clause and abbreviates titles; the refs must all resolve.
    assert [r for r in refs if (r if r.startswith("Annex") else f"SCC {r}") not in REGISTER] == []

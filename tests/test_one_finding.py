"""One problem, one finding (issue 12 §7): a spot-check "no" and a check exception on the same case, clause and
check ↔ rubric-item pairing belong to one finding (the other source recorded on it), whichever is raised first;
different rubric items stay different findings; the letter lists the problem once. On the checked demo (a real
DuckDB file): BC-260818-01 is answered late in October (deadline.late_response, SCC 8(b)), paired with `timely`."""

from __future__ import annotations

import json
from datetime import date

from checks.catalog import CHECKS, RUBRIC_ITEMS
from exports.letter import open_findings
from exports.scope import Scope
from findings.raising import raise_from_checks, raise_from_reviews
from spotchecks.review import record_reviews
from spotchecks.samples import draw_sample
from store.identity import ROLES, User
from vocab.rubric import ITEMS

BELCALL = "Belcall Antwerpen BV"
LATE = "BC-260818-01"
OFFICER = User("olivia", ROLES)
TODAY = date(2026, 11, 20)


def sample_with_no(con, item: str = "timely", comment: str = "answered on day 64") -> str:
    sample = draw_sample(con, OFFICER, processor=BELCALL, period="2026-10", size=1, key_items="major",
                         seed="one finding")
    record_reviews(con, OFFICER, sample.sample_id, LATE, {item: ("no", comment)})
    return sample.sample_id


def findings_of(con, case_id: str) -> list[tuple[str, str, str]]:
    return con.execute("SELECT f.finding_id, f.source, f.clause FROM findings f JOIN finding_cases c USING "
                       "(finding_id) WHERE c.case_id = ? ORDER BY f.finding_id", [case_id]).fetchall()


def test_every_pairing_names_a_check_and_a_rubric_item():
    assert set(RUBRIC_ITEMS) <= {c.id for c in CHECKS} and set(RUBRIC_ITEMS.values()) <= set(ITEMS)
    assert next(c for c in CHECKS if c.id == "deadline.late_response").rubric_item == "timely"


def test_a_deviation_on_a_case_a_check_finding_holds_is_recorded_on_it(checked_demo):
    raise_from_checks(checked_demo, OFFICER, processor=BELCALL, period="2026-10", today=TODAY)
    [(finding_id, source, clause)] = findings_of(checked_demo, LATE)
    assert (source, clause) == ("check:deadline.late_response", "SCC 8(b)")
    sample_id = sample_with_no(checked_demo)
    results = raise_from_reviews(checked_demo, OFFICER, sample_id, today=TODAY)
    assert [(r.finding_id, r.outcome, r.new_cases) for r in results] == [(finding_id, "merged", (LATE,))]
    assert findings_of(checked_demo, LATE) == [(finding_id, "check:deadline.late_response", "SCC 8(b)")]
    [(evidence,)] = checked_demo.execute("SELECT CAST(evidence AS VARCHAR) FROM finding_cases WHERE finding_id = ? "
                                         "AND case_id = ?", [finding_id, LATE]).fetchall()
    review = json.loads(evidence)["also"][f"spotcheck:{sample_id}:timely"]
    assert (review["answer"], review["comment"]) == ("no", "answered on day 64")
    [(finding_evidence,)] = checked_demo.execute("SELECT CAST(evidence AS VARCHAR) FROM findings WHERE finding_id = ?",
                                                 [finding_id]).fetchall()
    assert json.loads(finding_evidence)["sources"] == [f"spotcheck:{sample_id}:timely"]
    assert checked_demo.execute("SELECT action FROM finding_events WHERE finding_id = ? ORDER BY seq DESC LIMIT 1",
                                [finding_id]).fetchall() == [("source_added",)]
    again = raise_from_reviews(checked_demo, OFFICER, sample_id, today=TODAY)
    assert [r.outcome for r in again] == ["unchanged"]


def test_an_exception_on_a_case_a_review_finding_holds_is_recorded_on_it(checked_demo):
    sample_id = sample_with_no(checked_demo)
    [created] = raise_from_reviews(checked_demo, OFFICER, sample_id, today=TODAY)
    assert created.outcome == "created"
    results = raise_from_checks(checked_demo, OFFICER, processor=BELCALL, period="2026-10", today=TODAY)
    assert (created.finding_id, "merged", (LATE,)) in [(r.finding_id, r.outcome, r.new_cases) for r in results]
    assert findings_of(checked_demo, LATE) == [(created.finding_id, f"spotcheck:{sample_id}:timely", "SCC 8(b)")]
    assert not checked_demo.execute("SELECT count(*) FROM findings WHERE source = 'check:deadline.late_response'"
                                    ).fetchall()[0][0]  # its only case was the reviewed one


def test_another_rubric_item_on_the_same_clause_stays_another_finding(checked_demo):
    raise_from_checks(checked_demo, OFFICER, processor=BELCALL, period="2026-10", today=TODAY)
    sample_id = sample_with_no(checked_demo, item="substance", comment="template answer only")
    [result] = raise_from_reviews(checked_demo, OFFICER, sample_id, today=TODAY)
    assert result.outcome == "created"
    assert [s for _, s, _ in findings_of(checked_demo, LATE)] == ["check:deadline.late_response",
                                                                  f"spotcheck:{sample_id}:substance"]


def test_the_letter_lists_the_problem_once(checked_demo):
    raise_from_checks(checked_demo, OFFICER, processor=BELCALL, period="2026-10", today=TODAY)
    raise_from_reviews(checked_demo, OFFICER, sample_with_no(checked_demo), today=TODAY)
    rows = open_findings(checked_demo, Scope(BELCALL, "default"), TODAY)
    assert sum(LATE in str(row[-1]) or LATE in " ".join(map(str, row)) for row in rows) == 1

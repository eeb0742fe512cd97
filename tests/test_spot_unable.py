"""A case that cannot be tested is a deviation (ISA 530 ¶11; issue 14, item 4): `unable` per item, "case file not
supplied" for every item that applies, a finding under the audit clause; replacement only for cases not in the
population (ISA 530 ¶10)."""

from __future__ import annotations

import pytest

from findings.raising import raise_from_reviews
from spotchecks.conclusions import NOT_RELIED_ON
from spotchecks.errors import InvalidReview
from spotchecks.evaluate import evaluate_sample
from spotchecks.review import CASE_FILE_NOT_SUPPLIED, items_for, record_review, record_unable
from spotchecks.samples import NotInPopulation, draw_sample
from tests.conftest import run_cli
from tests.spot_demo import BELCALL, answer_all, user

AUDITOR = user("auditor")


@pytest.fixture
def reviewed(demo):
    sample = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", confidence="0.95", tolerable="0.05",
                         seed=12345)
    for pick in sample.random_part[1:]:
        answer_all(demo, AUDITOR, sample.sample_id, pick.case_id)
    return sample


def test_unable_counts_as_a_deviation_for_the_item(demo, reviewed) -> None:
    case = reviewed.random_part[0].case_id
    answer_all(demo, AUDITOR, reviewed.sample_id, case, timely=("unable", "the case file has no dates"))
    timely = evaluate_sample(demo, reviewed.sample_id).item("timely")
    assert (timely.deviations, timely.deviation_case_ids, timely.conclusion) == (1, (case,), NOT_RELIED_ON)


def test_case_file_not_supplied_makes_every_applicable_item_unable(demo, reviewed) -> None:
    case = reviewed.random_part[0].case_id
    recorded = record_unable(demo, AUDITOR, reviewed.sample_id, case)
    assert [r.item_id for r in recorded] == items_for(demo, reviewed.sample_id, case)
    assert {(r.answer.value, r.comment) for r in recorded} == {("unable", CASE_FILE_NOT_SUPPLIED)}
    evaluation = evaluate_sample(demo, reviewed.sample_id)
    for item_id in items_for(demo, reviewed.sample_id, case):
        assert case in evaluation.item(item_id).deviation_case_ids
    assert evaluation.verdict == NOT_RELIED_ON


def test_unable_needs_a_reason(demo, reviewed) -> None:
    with pytest.raises(InvalidReview, match="needs a comment saying why the case could not be tested"):
        record_review(demo, AUDITOR, reviewed.sample_id, reviewed.random_part[0].case_id, "timely", "unable")


def test_unable_cases_raise_one_finding_under_the_case_records_clause(demo, reviewed) -> None:
    case = reviewed.random_part[0].case_id
    record_unable(demo, AUDITOR, reviewed.sample_id, case)
    raised = raise_from_reviews(demo, user("compliance_officer"), reviewed.sample_id)
    [(clause, source, title)] = demo.execute("SELECT clause, source, title FROM findings").fetchall()
    # The default profile's case-records item: SL 6 "Spot checks", which implements SCC 7.6(c) (issue 13, item 14).
    assert (clause, source) == ("SL 6", f"spotcheck:{reviewed.sample_id}:unable")
    assert "not made available" in title and raised[0].new_cases == (case,)


def test_only_not_in_population_reasons_replace_a_case() -> None:
    assert [r.value for r in NotInPopulation] == ["duplicate entry", "not a data-subject request",
                                                  "outside the period"]
    assert NotInPopulation("duplicate_entry") is NotInPopulation("Duplicate entry") is NotInPopulation.duplicate_entry


def test_the_cli_records_a_case_file_not_supplied(cli_env, demo_db) -> None:
    import json

    code, out, _ = run_cli("sample", "draw", "--processor", BELCALL, "--period", "2026-10", "--size", "3",
                           "--seed", "u", "--format", "json")
    doc = json.loads(out)
    case = doc["case_ids"][0]
    code, out, _ = run_cli("sample", "review", doc["sample_id"], case, "--unable", "case file not supplied")
    assert code == 0 and "unable for" in out and "each a deviation" in out
    code, _, err = run_cli("sample", "review", doc["sample_id"], case)
    assert code == 2 and "--unable" in err

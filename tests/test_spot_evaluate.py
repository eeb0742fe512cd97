"""Evaluation per rubric item: n, k, rate, upper limit and conclusion (spotchecks.md §4); key items as a census."""

from __future__ import annotations

import json

import pytest

from spotchecks.bounds import hypergeometric_upper
from spotchecks.evaluate import DO_NOT_RELY, NOT_REVIEWED, RELY, evaluate_sample, record_evaluation
from spotchecks.review import RUBRIC, record_review, record_reviews
from spotchecks.samples import draw_sample, replace_case
from store.audit import list_events
from store.errors import PermissionDenied
from tests.spot_demo import BELCALL, user

AUDITOR = user("auditor")
ALL_YES = {item.id: ("yes", None) for item in RUBRIC}


def review_all(con, sample_id: str, case_ids, answers=ALL_YES) -> None:
    for case_id in case_ids:
        record_reviews(con, AUDITOR, sample_id, case_id, answers)


def item(evaluation, item_id: str):
    return next(r for r in evaluation.items if r.item_id == item_id)


@pytest.fixture
def reviewed_59(demo):
    sample = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", confidence="0.95", tolerable="0.05",
                         seed="evaluate")
    assert len(sample.random_part) == 59
    review_all(demo, sample.sample_id, [p.case_id for p in sample.random_part])
    return sample


def test_59_cases_without_deviation_can_be_relied_on(demo, reviewed_59) -> None:
    evaluation = evaluate_sample(demo, reviewed_59.sample_id)
    timely = item(evaluation, "timely")
    assert (timely.n, timely.k, timely.rate, timely.conclusion) == (59, 0, 0.0, RELY)
    assert timely.upper_limit == pytest.approx(0.0495, abs=5e-5)
    assert evaluation.relied_on and evaluation.cases_reviewed == 59 and not evaluation.notes
    assert "can be relied on" in evaluation.conclusion


def test_one_deviation_in_59_cannot_be_relied_on_for_that_item(demo, reviewed_59) -> None:
    case = reviewed_59.random_part[7].case_id
    record_review(demo, AUDITOR, reviewed_59.sample_id, case, "timely", "no", "answered on day 45, no extension")
    evaluation = evaluate_sample(demo, reviewed_59.sample_id)
    timely = item(evaluation, "timely")
    assert (timely.n, timely.k, timely.conclusion, timely.deviations) == (59, 1, DO_NOT_RELY, (case,))
    assert timely.upper_limit == pytest.approx(0.078, abs=5e-4)
    assert "cannot be relied on" in timely.text and timely.clause == "SCC 8(b)"
    assert item(evaluation, "identity").conclusion == RELY
    assert not evaluation.relied_on and "cannot be relied on for: timely" in evaluation.conclusion


def test_not_applicable_answers_are_outside_the_items_population(demo, reviewed_59) -> None:
    for p in reviewed_59.random_part[:40]:
        record_review(demo, AUDITOR, reviewed_59.sample_id, p.case_id, "refusal_notice", "na")
    refusal = item(evaluate_sample(demo, reviewed_59.sample_id), "refusal_notice")
    assert (refusal.n, refusal.not_applicable, refusal.k) == (19, 40, 0)
    assert refusal.conclusion == DO_NOT_RELY  # 19 cases cannot show a rate below 5 %


def test_a_partly_reviewed_sample_is_provisional(demo) -> None:
    sample = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", size=10, seed="partial")
    review_all(demo, sample.sample_id, [p.case_id for p in sample.random_part[:4]])
    record_review(demo, AUDITOR, sample.sample_id, sample.random_part[5].case_id, "timely", "yes")
    evaluation = evaluate_sample(demo, sample.sample_id)
    assert evaluation.cases_reviewed == 4 and item(evaluation, "timely").n == 5
    assert "4 of 10 sampled cases are fully reviewed" in evaluation.notes[0]
    untouched = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", size=10, seed="other")
    fresh = evaluate_sample(demo, untouched.sample_id)
    assert {r.conclusion for r in fresh.items} == {NOT_REVIEWED} and "no conclusion" in fresh.conclusion


def test_key_items_are_a_census_apart_from_the_random_part(demo) -> None:
    sample = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", size=59, seed="keys",
                         key_items="refusals")
    review_all(demo, sample.sample_id, [p.case_id for p in sample.random_part])
    review_all(demo, sample.sample_id, sample.key_item_ids)
    bad = sample.key_item_ids[0]
    record_review(demo, AUDITOR, sample.sample_id, bad, "refusal_notice", "no", "no complaint-right notice")
    evaluation = evaluate_sample(demo, sample.sample_id)
    census = next(c for c in evaluation.key_items if c.item_id == "refusal_notice")
    assert (census.n, census.k, census.deviations) == (len(sample.key_item_ids), 1, (bad,))
    assert item(evaluation, "refusal_notice").k == 0 and evaluation.relied_on  # no projection from key items
    assert evaluation.population_size == 332 - len(sample.key_item_ids)
    assert "Key items: 1 deviation(s)" in evaluation.conclusion


def test_hypergeometric_samples_are_evaluated_exactly_with_their_population(demo) -> None:
    sample = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", confidence="0.95", tolerable="0.05",
                         model="hypergeometric", seed="finite")
    assert sample.plan.n < 59 and sample.plan.population == 332
    review_all(demo, sample.sample_id, [p.case_id for p in sample.random_part])
    timely = item(evaluate_sample(demo, sample.sample_id), "timely")
    assert timely.upper_limit == hypergeometric_upper(sample.plan.n, 0, 332, 0.95) <= 0.05
    assert timely.conclusion == RELY


def test_answers_on_a_replaced_case_no_longer_count(demo) -> None:
    sample = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", size=10, seed="swap")
    out = sample.random_part[0].case_id
    record_review(demo, AUDITOR, sample.sample_id, out, "timely", "no", "file shows no answer")
    replace_case(demo, AUDITOR, sample.sample_id, out, "case file unavailable")
    evaluation = evaluate_sample(demo, sample.sample_id)
    assert item(evaluation, "timely").n == 0 and evaluation.replacements == 1 and evaluation.sample_size == 10


def test_signing_off_stores_the_evaluation_and_audits_it(demo, reviewed_59) -> None:
    evaluation = record_evaluation(demo, AUDITOR, reviewed_59.sample_id)
    [(stored,)] = demo.execute("SELECT result FROM sample_evaluations WHERE sample_id = ?",
                               [reviewed_59.sample_id]).fetchall()
    doc = json.loads(stored)
    assert doc["relied_on"] is True and doc["items"][2]["item_id"] == "timely"
    assert doc == evaluation.as_dict()
    [event] = list_events(demo, action="sample.evaluated")
    assert event["details"]["items"]["timely"]["conclusion"] == RELY
    with pytest.raises(PermissionDenied, match="may not evaluate a sample"):
        record_evaluation(demo, user("viewer"), reviewed_59.sample_id)

"""Evaluation per rubric item over the cases it applies to (docs/sampling.md §4; issue 14, item 2): applicable,
reviewed, deviations, upper limit, conclusion relied_on / not_relied_on / insufficient with the cases more needed;
key items as a census; top-ups complete an item; the demo case of the issue."""

from __future__ import annotations

import json

import pytest

from spotchecks.bounds import binomial_upper, hypergeometric_upper
from spotchecks.conclusions import INSUFFICIENT, NOT_RELIED_ON, RELIED_ON
from spotchecks.evaluate import evaluate_sample
from spotchecks.review import record_review
from spotchecks.samples import draw_sample, replace_case
from spotchecks.signoff import SignOffRefused, sign_off, status
from spotchecks.topup import top_up
from spotchecks.verify import verify_sample
from store.audit import list_events
from store.errors import PermissionDenied
from tests.spot_demo import BELCALL, answer_all, user

AUDITOR = user("auditor")


def review_all(con, sample_id: str, case_ids) -> None:
    for case_id in case_ids:
        answer_all(con, AUDITOR, sample_id, case_id)


@pytest.fixture
def demo_case(demo):
    """The issue's demo: S-2026-0001, Belcall 2026-10, seed 12345, 95 % / 5 %, refusals as key items, all yes."""
    sample = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", confidence="0.95", tolerable="0.05",
                         key_items="refusals", seed=12345)
    review_all(demo, sample.sample_id, [p.case_id for p in sample.random_part] + list(sample.key_item_ids))
    return sample


def test_the_demo_case_concludes_relied_on_where_enough_cases_apply_and_insufficient_with_the_number_needed(
        demo, demo_case) -> None:
    assert demo_case.sample_id == "S-2026-0001" and len(demo_case.random_part) == 59
    evaluation = evaluate_sample(demo, demo_case.sample_id)
    by_item = {i.item: i for i in evaluation.items}
    for item in ("recognised", "timely", "minimisation"):
        assert by_item[item].conclusion == RELIED_ON and by_item[item].deviations == 0
        assert by_item[item].upper_limit <= by_item[item].tolerable
        assert by_item[item].more_needed is None
    extension = by_item["extension_notice"]
    assert extension.conclusion == INSUFFICIENT and extension.more_needed >= 1
    assert extension.applicable < extension.needed
    assert extension.more_needed == extension.needed - extension.applicable + extension.key_population
    for item in evaluation.items:
        if item.conclusion == INSUFFICIENT:
            assert item.more_needed and item.more_needed > 0, item
    assert evaluation.verdict == INSUFFICIENT
    assert "extension_notice" in evaluation.deciding_items and "timely" not in evaluation.deciding_items
    assert f"extension_notice ({extension.more_needed} more case(s))" in evaluation.conclusion


def test_key_items_reviewed_in_full_are_a_census_for_their_item(demo, demo_case) -> None:
    refusal = evaluate_sample(demo, demo_case.sample_id).item("refusal_notice")
    assert refusal.key_population == len(demo_case.key_item_ids)
    if refusal.population == refusal.key_population:  # every case it applies to is a key item
        assert (refusal.census, refusal.upper_limit, refusal.conclusion) == (True, 0.0, RELIED_ON)
    else:
        assert refusal.population - refusal.key_population < refusal.population


def test_a_top_up_draw_completes_an_insufficient_item_and_verifies(demo, demo_case) -> None:
    sample_id = demo_case.sample_id
    before = evaluate_sample(demo, sample_id).item("extension_notice")
    done = top_up(demo, AUDITOR, sample_id, "extension_notice")
    assert len(done.case_ids) == before.more_needed
    assert not set(done.case_ids) & {p.case_id for p in demo_case.random_part}
    review_all(demo, sample_id, done.case_ids)
    after = evaluate_sample(demo, sample_id).item("extension_notice")
    assert after.conclusion == RELIED_ON and after.reviewed == before.reviewed + len(done.case_ids)
    assert verify_sample(demo, sample_id).matches
    [event] = list_events(demo, action="sample.topped_up")
    assert event["details"]["item_id"] == "extension_notice" and event["details"]["added"] == list(done.case_ids)


def test_top_up_cases_count_only_for_the_item_they_were_drawn_for(demo, demo_case) -> None:
    done = top_up(demo, AUDITOR, demo_case.sample_id, "identity")
    from spotchecks.review import items_for

    assert all(items_for(demo, demo_case.sample_id, c) == ["identity"] for c in done.case_ids)
    timely_before = evaluate_sample(demo, demo_case.sample_id).item("timely")
    review_all(demo, demo_case.sample_id, done.case_ids)
    assert evaluate_sample(demo, demo_case.sample_id).item("timely").reviewed == timely_before.reviewed


def test_top_ups_are_nested_and_reproducible(demo, demo_case) -> None:
    first = top_up(demo, AUDITOR, demo_case.sample_id, "identity", 5)
    second = top_up(demo, AUDITOR, demo_case.sample_id, "identity", 5)
    assert max(first.ranks) < min(second.ranks)  # the next cases in rank order
    again = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", confidence="0.95", tolerable="0.05",
                        key_items="refusals", seed=12345)
    both = top_up(demo, AUDITOR, again.sample_id, "identity", 10)
    assert both.case_ids == first.case_ids + second.case_ids
    demo.execute("UPDATE sample_top_ups SET case_id = 'BC-000000-00' WHERE sample_id = ? AND position = 3",
                 [again.sample_id])
    check = verify_sample(demo, again.sample_id)
    assert not check.matches and any("top-up for identity" in p for p in check.problems)


def test_one_deviation_in_59_is_not_relied_on_for_that_item(demo, demo_case) -> None:
    case = demo_case.random_part[7].case_id
    record_review(demo, AUDITOR, demo_case.sample_id, case, "timely", "no", "answered on day 45, no extension")
    evaluation = evaluate_sample(demo, demo_case.sample_id)
    timely = evaluation.item("timely")
    assert (timely.deviations, timely.deviation_case_ids, timely.conclusion) == (1, (case,), NOT_RELIED_ON)
    assert evaluation.verdict == NOT_RELIED_ON and evaluation.deciding_items == ("timely",)


def test_the_upper_limit_projects_the_random_part_onto_the_items_cases_outside_the_key_items(demo,
                                                                                           demo_case) -> None:
    timely = evaluate_sample(demo, demo_case.sample_id).item("timely")
    outside = timely.population - timely.key_population
    random_cases = timely.reviewed - timely.key_population
    assert timely.upper_limit == pytest.approx(binomial_upper(random_cases, 0, 0.95) * outside / timely.population)


def test_not_applicable_answers_are_reported_and_leave_the_items_evidence(demo, demo_case) -> None:
    case = demo_case.random_part[0].case_id
    record_review(demo, AUDITOR, demo_case.sample_id, case, "minimisation", "na", "notes not supplied in the file")
    evaluation = evaluate_sample(demo, demo_case.sample_id)
    assert evaluation.item("minimisation").not_applicable_case_ids == (case,)
    assert any("not applicable" in n for n in evaluation.notes)


def test_a_partly_reviewed_sample_is_provisional_and_insufficient(demo) -> None:
    sample = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", size=10, seed="partial")
    review_all(demo, sample.sample_id, [p.case_id for p in sample.random_part[:4]])
    evaluation = evaluate_sample(demo, sample.sample_id)
    assert evaluation.cases_reviewed == 4 and "4 of 10 sampled cases are fully reviewed" in evaluation.notes[0]
    assert evaluation.verdict == INSUFFICIENT


def test_hypergeometric_samples_are_evaluated_exactly_with_the_items_population(demo) -> None:
    sample = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", confidence="0.95", tolerable="0.05",
                         model="hypergeometric", seed="finite")
    review_all(demo, sample.sample_id, [p.case_id for p in sample.random_part])
    recognised = evaluate_sample(demo, sample.sample_id).item("recognised")
    assert recognised.upper_limit == hypergeometric_upper(sample.plan.n, 0, 332, 0.95) <= 0.05
    assert recognised.conclusion == RELIED_ON


def test_answers_on_a_replaced_case_no_longer_count(demo) -> None:
    sample = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", size=10, seed="swap")
    out = sample.random_part[0].case_id
    record_review(demo, AUDITOR, sample.sample_id, out, "recognised", "no", "recorded as a complaint")
    replace_case(demo, AUDITOR, sample.sample_id, out, "duplicate_entry")
    evaluation = evaluate_sample(demo, sample.sample_id)
    assert evaluation.item("recognised").deviations == 0 and evaluation.replacements == 1


def test_the_json_gives_the_issues_fields_per_item(demo, demo_case) -> None:
    doc = evaluate_sample(demo, demo_case.sample_id).as_dict()
    assert doc["sample_id"] == demo_case.sample_id and doc["verdict"] == INSUFFICIENT
    for item in doc["items"]:
        assert {"item", "applicable", "reviewed", "deviations", "deviation_case_ids", "upper_limit", "tolerable",
                "conclusion", "more_needed"} <= set(item)
        assert isinstance(item["deviations"], int)


def test_evaluating_only_reads_and_signing_off_records_a_snapshot(demo, demo_case) -> None:
    evaluate_sample(demo, demo_case.sample_id)
    assert demo.execute("SELECT count(*) FROM sample_evaluations").fetchall() == [(0,)]
    evaluation = sign_off(demo, AUDITOR, demo_case.sample_id, users={})
    [(stored,)] = demo.execute("SELECT result FROM sample_evaluations WHERE sample_id = ?",
                               [demo_case.sample_id]).fetchall()
    assert json.loads(stored) == evaluation.as_dict()
    [event] = list_events(demo, action="sample.evaluated")
    assert event["details"]["verdict"] == INSUFFICIENT
    assert event["details"]["items"]["timely"]["conclusion"] == RELIED_ON
    assert not status(demo, demo_case.sample_id).superseded
    record_review(demo, AUDITOR, demo_case.sample_id, demo_case.random_part[0].case_id, "timely", "no", "day 40")
    later = status(demo, demo_case.sample_id)
    assert later.superseded and "1 review answer(s)" in later.superseded_by
    with pytest.raises(PermissionDenied, match="may not evaluate a sample"):
        sign_off(demo, user("viewer"), demo_case.sample_id, users={})


def test_sign_off_is_refused_while_cases_are_unreviewed(demo) -> None:
    sample = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", size=3, seed="early")
    answer_all(demo, AUDITOR, sample.sample_id, sample.random_part[0].case_id)
    with pytest.raises(SignOffRefused, match="2 case\\(s\\) still have items to answer"):
        sign_off(demo, AUDITOR, sample.sample_id, users={})

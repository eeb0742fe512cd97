"""identity_not_confirmed is a refusal for key items, as the checks count it (issue 14, item 9); a sample drawn
before keeps the outcomes of its draw and still verifies."""

from __future__ import annotations

from spotchecks.evaluate import evaluate_sample
from spotchecks.samples import draw_sample
from spotchecks.verify import verify_sample
from tests.spot_demo import BELCALL, answer_all, user

AUDITOR = user("auditor")


def outcomes(con, case_ids) -> dict[str, str]:
    return dict(con.execute("SELECT case_id, outcome FROM report_cases WHERE processor = ? AND period = '2026-10' "
                            "AND list_contains(?, case_id)", [BELCALL, list(case_ids)]).fetchall())


def test_refusal_key_items_include_identity_not_confirmed(demo) -> None:
    sample = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", size=59, seed=12345,
                         key_items="refusals")
    found = outcomes(demo, sample.key_item_ids)
    assert set(found.values()) == {"refused", "partially_fulfilled", "identity_not_confirmed"}
    [(expected,)] = demo.execute(
        "SELECT count(*) FROM report_cases WHERE processor = ? AND period = '2026-10' AND outcome IN "
        "('refused', 'partially_fulfilled', 'identity_not_confirmed')", [BELCALL]).fetchall()
    assert len(sample.key_item_ids) == expected
    assert "identity_not_confirmed" not in outcomes(demo, [p.case_id for p in sample.random_part]).values()
    assert verify_sample(demo, sample.sample_id).matches


def test_with_every_refusal_a_key_item_refusal_notice_is_a_census(demo) -> None:
    sample = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", confidence="0.95", tolerable="0.05",
                         seed=12345, key_items="refusals")
    for case in [p.case_id for p in sample.random_part] + list(sample.key_item_ids):
        answer_all(demo, AUDITOR, sample.sample_id, case)
    refusal = evaluate_sample(demo, sample.sample_id).item("refusal_notice")
    assert refusal.population == refusal.key_population == len(sample.key_item_ids)
    assert (refusal.census, refusal.upper_limit, refusal.conclusion) == (True, 0.0, "relied_on")


def test_a_sample_drawn_with_the_earlier_refusal_outcomes_still_verifies(demo) -> None:
    sample = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", size=20, seed="older",
                         key_items="refusals")
    # As a sample drawn before identity_not_confirmed counted: its key items were refused and partly fulfilled
    # cases only, and it stored no outcomes.
    older = [c for c, o in outcomes(demo, sample.key_item_ids).items() if o == "identity_not_confirmed"]
    demo.execute("DELETE FROM sample_items WHERE sample_id = ? AND list_contains(?, case_id)",
                 [sample.sample_id, older])
    demo.execute("UPDATE samples SET key_item_outcomes = NULL WHERE sample_id = ?", [sample.sample_id])
    check = verify_sample(demo, sample.sample_id)
    assert check.key_items_match

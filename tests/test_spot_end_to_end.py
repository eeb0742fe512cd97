"""The whole spot-check flow on the demo reports with the real checks engine: checks → plan → draw (non-conformities
as key items) → review → evaluate → findings from the "no" answers → verify."""

from __future__ import annotations

from checks.runner import run_checks
from findings.raising import raise_from_reviews
from spotchecks.conclusions import NOT_RELIED_ON
from spotchecks.evaluate import evaluate_sample
from spotchecks.plan import plan_sample
from spotchecks.review import record_reviews
from spotchecks.samples import draw_sample
from spotchecks.verify import verify_sample
from store.audit import verify_chain
from tests.spot_demo import BELCALL, answer_all, user

AUDITOR = user("auditor")


def test_checks_plan_draw_review_evaluate_raise_verify(demo) -> None:
    run_checks(demo, user("compliance_officer"), processor=BELCALL, period="2026-10")
    non_conformities = {r[0] for r in demo.execute(
        "SELECT DISTINCT case_id FROM latest_exceptions WHERE processor = ? AND period = '2026-10' "
        "AND severity IN ('critical', 'major') AND case_id IS NOT NULL", [BELCALL]).fetchall()}
    assert non_conformities, "the demo report has planted non-conformities"
    plan = plan_sample("0.95", "0.05")
    sample = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", confidence="0.95", tolerable="0.05",
                         key_items="major", seed="end-to-end")
    assert set(sample.key_item_ids) == non_conformities and len(sample.random_part) == plan.n
    for pick in sample.random_part:
        answer_all(demo, AUDITOR, sample.sample_id, pick.case_id)
    late = sample.random_part[0].case_id
    record_reviews(demo, AUDITOR, sample.sample_id, late, {"timely": ("no", "answered after the deadline")})
    evaluation = evaluate_sample(demo, sample.sample_id)
    assert evaluation.item("timely").conclusion == NOT_RELIED_ON and evaluation.verdict == NOT_RELIED_ON
    assert evaluation.key_items_total == len(non_conformities) and evaluation.key_items_reviewed == 0
    raised = raise_from_reviews(demo, user("compliance_officer"), sample.sample_id)
    assert len(raised) == 1
    [(clause, source)] = demo.execute("SELECT clause, source FROM findings").fetchall()
    assert (clause, source) == ("SCC 8(b)", f"spotcheck:{sample.sample_id}:timely")
    assert verify_sample(demo, sample.sample_id).matches
    assert evaluate_sample(demo, sample.sample_id) == evaluation
    assert verify_chain(demo).intact

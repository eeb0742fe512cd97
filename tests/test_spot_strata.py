"""Strata evaluated as strata (issue 14, item 3; ISA 530 A.1 ¶4): each stratum projected by its own size, a combined
upper limit that is sound (Bonferroni over the strata), and no overall reliance where no sound bound exists.

The projection is the stratified estimator of a total, Σ N_h × k_h / n_h (Cochran, Sampling Techniques, 3rd ed.,
1977, ch. 5, stratified random sampling). The published worked example is Derks et al. (2022), Table 1: three strata
of N = 8, 11 and 11 items with 2 of 6, 1 of 7 and 0 of 7 sampled items in error, as jfa transcribes it
(tests/testthat/test-evaluation.R, "Test frequentist binomial stratification with summary statistics (Derks et al.,
2022, Table 1)": no pooling, mle = (k / n) · N / ΣN; complete pooling, mle = Σk / Σn)."""

from __future__ import annotations

import pytest

from spotchecks.bounds import binomial_upper
from spotchecks.conclusions import (
    INSUFFICIENT,
    RELIED_ON,
    StratumEvidence,
    conclude_stratified,
    projected_deviations,
    stratified_upper,
)
from spotchecks.evaluate import evaluate_sample
from spotchecks.plan import Model
from spotchecks.review import record_review
from spotchecks.samples import draw_sample
from tests.spot_demo import BELCALL, answer_all, user

AUDITOR = user("auditor")


def stratum(name: str, size: int, reviewed: int, deviations: int) -> StratumEvidence:
    answers = {f"{name}-{i}": ("no" if i < deviations else "yes") for i in range(reviewed)}
    return StratumEvidence(name, size, answers)


def test_the_projection_matches_the_published_example_of_derks_et_al_2022_table_1() -> None:
    strata = [stratum("1", 8, 6, 2), stratum("2", 11, 7, 1), stratum("3", 11, 7, 0)]
    # No pooling (projected by stratum size): (8 × 2/6 + 11 × 1/7 + 11 × 0/7) / 30 = 0.14127; pooled: 3/20 = 0.15.
    assert projected_deviations(strata) / 30 == pytest.approx((2 / 6 * 8 + 1 / 7 * 11 + 0 / 7 * 11) / 30)
    assert projected_deviations(strata) / 30 == pytest.approx(0.141270, abs=5e-7)
    assert sum(s.deviations for s in strata) / sum(s.reviewed for s in strata) == 0.15
    item = conclude_stratified("timely", "SCC 8(b)", strata=strata, key={}, n_key=0, tolerable=0.03,
                               confidence=0.95)
    assert "projected by stratum size 14.13%" in item.text and item.conclusion == "not_relied_on"


def test_equal_allocation_is_projected_by_stratum_size_not_pooled() -> None:
    # 900 cases in A, 100 in B; 20 reviewed in each; 4 deviations, all in B.
    # Pooled as one random sample: 4 / 40 = 10 %. Projected: 900 × 0/20 + 100 × 4/20 = 20 deviations = 2 %.
    strata = [stratum("A", 900, 20, 0), stratum("B", 100, 20, 4)]
    assert projected_deviations(strata) == pytest.approx(20.0)
    # Proportional allocation gives the pooled rate: 500 × 1/50 + 300 × 3/30 + 200 × 0/20 = 40 of 1000 = 4/100.
    proportional = [stratum("A", 500, 50, 1), stratum("B", 300, 30, 3), stratum("C", 200, 20, 0)]
    assert projected_deviations(proportional) / 1000 == pytest.approx(4 / 100)


def test_the_combined_upper_limit_adds_each_strata_limit_at_the_bonferroni_confidence() -> None:
    strata = [stratum("A", 900, 20, 0), stratum("B", 100, 20, 4)]
    # Two strata sampled: each at 1 − 0.05 / 2 = 97.5 %.
    expected = 900 * binomial_upper(20, 0, 0.975) + 100 * binomial_upper(20, 4, 0.975)
    assert stratified_upper(strata, 0.95, Model.binomial) == pytest.approx(expected)
    # A stratum reviewed in full counts exactly (no sampling risk) and is not counted among the sampled ones.
    census = [stratum("A", 900, 20, 0), stratum("B", 20, 20, 1)]
    assert stratified_upper(census, 0.95, Model.binomial) == pytest.approx(900 * binomial_upper(20, 0, 0.95) + 1)


def test_without_a_reviewed_case_in_a_stratum_no_overall_reliance_and_it_says_why() -> None:
    strata = [stratum("A", 900, 300, 0), stratum("B", 5, 0, 0)]
    assert stratified_upper(strata, 0.95, Model.binomial) is None
    item = conclude_stratified("timely", "SCC 8(b)", strata=strata, key={}, n_key=0, tolerable=0.05,
                               confidence=0.95)
    assert (item.conclusion, item.upper_limit, item.more_needed) == (INSUFFICIENT, None, 1)
    assert "No sound combined bound" in item.text and "B" in item.text


def test_a_clean_stratified_sample_can_be_relied_on() -> None:
    strata = [stratum("A", 900, 150, 0), stratum("B", 100, 60, 0)]
    item = conclude_stratified("timely", "SCC 8(b)", strata=strata, key={}, n_key=0, tolerable=0.05,
                               confidence=0.95)
    assert item.conclusion == RELIED_ON and item.upper_limit <= 0.05


def test_a_stratified_sample_is_evaluated_per_stratum(demo) -> None:
    sample = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", size=40, method="stratified",
                         by="request_type", allocation="equal", seed=12345)
    for pick in sample.random_part:
        answer_all(demo, AUDITOR, sample.sample_id, pick.case_id)
    small = min(sample.random_part, key=lambda p: sum(q.stratum == p.stratum for q in sample.random_part))
    record_review(demo, AUDITOR, sample.sample_id, small.case_id, "recognised", "no", "recorded as a complaint",
                  "training")
    evaluation = evaluate_sample(demo, sample.sample_id)
    recognised = evaluation.item("recognised")
    assert "projected by stratum size" in recognised.text
    sizes = dict(demo.execute("SELECT request_type, count(*) FROM report_cases WHERE processor = ? AND period = "
                              "'2026-10' GROUP BY ALL", [BELCALL]).fetchall())
    in_stratum = sum(p.stratum == small.stratum for p in sample.random_part)
    # One deviation in a stratum of N_h cases with n_h reviewed projects to N_h / n_h deviations of 332.
    assert f"projected by stratum size {sizes[small.stratum] / in_stratum / 332:.2%}" in recognised.text
    assert any("evaluated per stratum" in n for n in evaluation.notes)

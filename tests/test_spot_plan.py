"""Planning beyond the published tables: the hypergeometric model, fixed sizes, refusals that name the argument."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import hypergeom

from spotchecks.bounds import hypergeometric_upper
from spotchecks.errors import InvalidArgument
from spotchecks.plan import Model, plan_sample


@pytest.mark.parametrize("population", [60, 100, 200, 332, 500])
def test_hypergeometric_needs_fewer_cases_than_binomial_for_a_small_population(population: int) -> None:
    binomial = plan_sample(0.95, 0.05).n
    exact = plan_sample(0.95, 0.05, population=population, model="hypergeometric")
    assert exact.model is Model.hypergeometric
    assert exact.n < binomial == 59
    assert exact.n <= population


def test_hypergeometric_approaches_binomial_for_a_large_population() -> None:
    assert plan_sample(0.95, 0.05, population=1_000_000, model="hypergeometric").n in (58, 59)


@settings(max_examples=25, deadline=None)
@given(population=st.integers(40, 3000), tolerable=st.sampled_from(["0.03", "0.05", "0.1"]),
       expected=st.sampled_from(["0", "0.005", "0.01"]))
def test_hypergeometric_size_is_the_smallest_that_meets_the_risk(population: int, tolerable: str,
                                                                 expected: str) -> None:
    try:
        plan = plan_sample(0.95, tolerable, expected, population=population, model="hypergeometric")
    except InvalidArgument:
        return  # population too small for these rates: refused with a message (tested below)
    tolerated = math.ceil(Fraction(tolerable) * population)
    k = plan.expected_deviations
    assert hypergeom.cdf(k, population, tolerated, plan.n) <= 0.05
    if plan.n > 1:
        previous_k = math.ceil(Fraction(expected) * (plan.n - 1))
        assert hypergeom.cdf(previous_k, population, tolerated, plan.n - 1) > 0.05
    # the plan's own promise: with the expected deviations the exact upper limit is within the tolerable rate
    assert hypergeometric_upper(plan.n, k, population, 0.95) <= float(tolerable)


def test_fixed_size_reports_what_it_can_conclude() -> None:
    small = plan_sample(0.95, 0.05, size=30)
    assert small.fixed and small.n == 30 and small.max_deviations == -1
    assert "cannot show reliance" in small.notes[0] and "9.5%" in small.notes[0]
    enough = plan_sample(0.95, 0.05, size=93)
    assert enough.max_deviations == 1 and "at most 1 case(s) deviate" in enough.notes[0]


def test_binomial_size_above_the_population_becomes_a_census_and_says_so() -> None:
    plan = plan_sample(0.95, 0.05, population=40)
    assert plan.n == 40
    assert "larger than the population (40)" in plan.notes[0]


def test_rates_are_read_as_decimals_or_percentages() -> None:
    assert plan_sample("95%", "5%", "1%").n == plan_sample(0.95, 0.05, 0.01).n == 93


@pytest.mark.parametrize(("kwargs", "named"), [
    ({"confidence": 1.2, "tolerable": 0.05}, "'confidence'"),
    ({"confidence": 0.95, "tolerable": 0}, "'tolerable'"),
    ({"confidence": 0.95, "tolerable": "five"}, "'tolerable'"),
    ({"confidence": 0.95, "tolerable": 0.05, "expected": -0.01}, "'expected'"),
    ({"confidence": 0.95, "tolerable": 0.05, "expected": 0.05}, "'expected'"),
    ({"confidence": 0.95, "tolerable": 0.05, "model": "poisson"}, "'model'"),
    ({"confidence": 0.95, "tolerable": 0.05, "model": "hypergeometric"}, "'population'"),
    ({"confidence": 0.95, "tolerable": 0.05, "size": 0}, "'size'"),
    ({"confidence": 0.95, "tolerable": 0.05, "population": 0}, "'population'"),
])
def test_invalid_arguments_are_refused_naming_the_argument(kwargs: dict[str, object], named: str) -> None:
    with pytest.raises(InvalidArgument, match=named):
        plan_sample(**kwargs)  # type: ignore[arg-type]


def test_population_too_small_for_the_expected_rate_is_refused_with_what_to_do() -> None:
    with pytest.raises(InvalidArgument, match="review every case"):
        plan_sample(0.95, 0.05, 0.04, population=10, model="hypergeometric")

"""Plan: how many cases to review (attribute sampling, ISA 530; AICPA Audit Guide "Audit Sampling", Appendix A).

The sample size is the smallest n for which, were the true deviation rate the tolerable rate, seeing at most the
expected number of deviations would have probability ≤ the risk (1 − confidence) (docs/sampling.md).

Rounding rule for the expected deviations: k = ⌈n × expected⌉, computed exactly on the decimal rates (never in
floating point, where 200 × 0.035 = 7.000000000000001 would round up to 8). This reproduces AICPA Tables A-1 and
A-2, e.g. tolerable 5 % / expected 1 % → n = 93 with k = ⌈0.93⌉ = 1.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction

import numpy as np

from spotchecks.bounds import upper_limit
from spotchecks.errors import InvalidArgument

MAX_SIZE = 1_000_000  # no attribute plan asks for more; a census is cheaper long before
_CHUNK = 2_000


class Model(StrEnum):
    """The sampling distribution: binomial (AICPA tables, large populations) or exact hypergeometric (finite N)."""

    binomial = "binomial"
    hypergeometric = "hypergeometric"


@dataclass(frozen=True)
class Plan:
    """A sample size and how it was made; `max_deviations` is the most deviations in n that still let one rely."""

    n: int
    model: Model
    confidence: float
    tolerable: float
    expected: float
    population: int | None
    expected_deviations: int
    max_deviations: int  # −1: even a sample without deviations cannot conclude reliance
    upper_limit_at_zero: float
    fixed: bool
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        """The JSON interface of `oversight sample plan` (docs/architecture.md: {"n", "model", ...})."""
        doc = asdict(self)
        doc["model"] = str(self.model)
        doc["notes"] = list(self.notes)
        return doc


def parse_rate(value: object, name: str, *, allow_zero: bool = False) -> Decimal:
    """Read a rate as an exact decimal: 0.05, "0.05" or "5%"; refuse what is not between 0 and 1."""
    text = str(value).strip()
    try:
        rate = Decimal(text[:-1].strip()) / 100 if text.endswith("%") else Decimal(text)
    except InvalidOperation:
        raise InvalidArgument(f"'{name}' must be a rate such as 0.05 or 5%, not '{value}'.") from None
    low_ok = rate >= 0 if allow_zero else rate > 0
    if not (low_ok and rate < 1) or not rate.is_finite():
        bound = "0 ≤" if allow_zero else "0 <"
        raise InvalidArgument(f"'{name}' must be a rate with {bound} {name} < 1 (e.g. 0.05 or 5%), not '{value}'.")
    return rate


def _model(value: object) -> Model:
    try:
        return Model(str(value))
    except ValueError:
        raise InvalidArgument(f"'model' must be one of {', '.join(m.value for m in Model)}, not '{value}'.") from None


def _ceil_times(n: np.ndarray, rate: Fraction) -> np.ndarray:
    """⌈n × rate⌉ in exact integer arithmetic."""
    return (n * rate.numerator + rate.denominator - 1) // rate.denominator


def _binomial_size(tolerable: Decimal, expected: Fraction, alpha: float) -> tuple[int, int]:
    from scipy.stats import binom  # on use: see spotchecks/bounds.py

    for start in range(1, MAX_SIZE + 1, _CHUNK):
        n = np.arange(start, min(start + _CHUNK, MAX_SIZE + 1), dtype=np.int64)
        k = _ceil_times(n, expected)
        found = np.flatnonzero(binom.cdf(k, n, float(tolerable)) <= alpha)
        if found.size:
            return int(n[found[0]]), int(k[found[0]])
    raise InvalidArgument(f"No sample of up to {MAX_SIZE:,} cases reaches that plan: the expected rate is too close "
                          "to the tolerable rate. Lower 'expected' or raise 'tolerable'.")


def _hypergeometric_size(tolerable: Decimal, expected: Fraction, alpha: float, population: int) -> tuple[int, int]:
    from scipy.stats import hypergeom  # on use: see spotchecks/bounds.py

    # jfa and AICPA: the tolerable number of deviations in the population is ⌈tolerable × N⌉.
    tolerated = math.ceil(Fraction(tolerable) * population)
    for start in range(1, population + 1, _CHUNK):
        n = np.arange(start, min(start + _CHUNK, population + 1), dtype=np.int64)
        k = _ceil_times(n, expected)
        found = np.flatnonzero(hypergeom.cdf(k, population, tolerated, n) <= alpha)
        if found.size:
            return int(n[found[0]]), int(k[found[0]])
    raise InvalidArgument(
        f"With a population of {population} cases the expected deviations reach the tolerable number "
        f"({tolerated}) before any sample can conclude. Lower 'expected', raise 'tolerable', or review every case."
    )


def max_deviations(n: int, tolerable: float, confidence: float, population: int | None = None) -> int:
    """Return the most deviations in n whose upper limit stays ≤ tolerable (−1 when even zero is too many)."""
    k = -1
    while k + 1 <= n and upper_limit(n, k + 1, confidence, population) <= tolerable:
        k += 1
    return k


def plan_sample(confidence: object, tolerable: object, expected: object = 0, *, population: int | None = None,
                model: object = Model.binomial, size: int | None = None) -> Plan:
    """Return the sample size for the objectives, or, with `size`, what that fixed size can conclude."""
    conf = parse_rate(confidence, "confidence")
    tol = parse_rate(tolerable, "tolerable")
    exp = parse_rate(expected, "expected", allow_zero=True)
    chosen = _model(model)
    if exp >= tol:
        raise InvalidArgument(f"'expected' ({exp}) must be below 'tolerable' ({tol}): a sample cannot show that the "
                              "deviation rate is below a rate one already expects to exceed.")
    if population is not None and (isinstance(population, bool) or not isinstance(population, int)
                                   or population < 1):
        raise InvalidArgument(f"'population' must be a whole number of cases ≥ 1, not '{population}'.")
    if chosen is Model.hypergeometric and population is None:
        raise InvalidArgument("The hypergeometric model needs 'population' (the number of cases N); "
                              "give --population N or use the binomial model.")
    notes: list[str] = []
    hyper_n = population if chosen is Model.hypergeometric else None
    alpha = float(1 - conf)
    if size is not None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise InvalidArgument(f"'size' must be a single integer > 0, not '{size}'.")
        if population is not None and size > population:
            if chosen is Model.hypergeometric:
                raise InvalidArgument(f"'size' ({size}) is larger than the population ({population}); "
                                      "a sample without replacement can hold at most every case.")
            notes.append(f"The size {size} is larger than the population ({population}): review all "
                         f"{population} cases (a census).")
            size = population
        n, k, fixed = size, int(_ceil_times(np.array([size]), Fraction(exp))[0]), True
    elif chosen is Model.hypergeometric:
        n, k = _hypergeometric_size(tol, Fraction(exp), alpha, population)  # type: ignore[arg-type]
        fixed = False
    else:
        n, k = _binomial_size(tol, Fraction(exp), alpha)
        fixed = False
        if population is not None and n > population:
            notes.append(f"The binomial size {n} is larger than the population ({population}): review all "
                         f"{population} cases (a census), or plan with the hypergeometric model.")
            n = population
    most = max_deviations(n, float(tol), float(conf), hyper_n)
    at_zero = upper_limit(n, 0, float(conf), hyper_n)
    if fixed:
        notes.append(_fixed_note(n, most, at_zero, tol, conf))
    return Plan(n=n, model=chosen, confidence=float(conf), tolerable=float(tol), expected=float(exp),
                population=population, expected_deviations=k, max_deviations=most, upper_limit_at_zero=at_zero,
                fixed=fixed, notes=tuple(notes))


def _fixed_note(n: int, most: int, at_zero: float, tolerable: Decimal, confidence: Decimal) -> str:
    where = f"at {tolerable:%} tolerable and {confidence:%} confidence"
    if most < 0:
        return (f"{n} cases cannot show reliance {where}: even with no deviation the upper limit is {at_zero:.1%}. "
                "Plan a larger sample.")
    allowed = "no case deviates" if most == 0 else f"at most {most} case(s) deviate"
    return f"{n} cases let the processor's handling be relied on {where} if {allowed}."

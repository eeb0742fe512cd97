"""Upper deviation limits for attribute samples: one-sided Clopper-Pearson, and exact hypergeometric.

AICPA Audit Guide "Audit Sampling" (2017), Appendix A, Tables A-3/A-4 are the binomial limits; ISA 530 A-13
for the idea: the upper limit at the confidence level is compared with the tolerable rate.
"""

from __future__ import annotations

# SciPy is imported where it is used: it takes ~0.6 s to import, and most commands and pages never need it.


def binomial_upper(n: int, k: int, confidence: float) -> float:
    """Return the one-sided Clopper-Pearson upper limit of the deviation rate after k deviations in n."""
    _check(n, k, confidence)
    if k >= n:
        return 1.0
    # The p at which seeing k or fewer deviations has probability exactly 1 − confidence.
    from scipy.stats import beta

    return float(beta.ppf(confidence, k + 1, n - k))


def hypergeometric_upper(n: int, k: int, population: int, confidence: float) -> float:
    """Return the exact upper limit for a finite population: the largest D/N not rejected at the confidence.

    D deviations in N are rejected when P(X ≤ k | N, D, n) ≤ 1 − confidence; that probability falls as D grows,
    so the limit is found by bisection between k (D can be no smaller) and N − (n − k) (no larger).
    """
    _check(n, k, confidence)
    if n > population:
        raise ValueError(f"the sample ({n}) is larger than the population ({population})")
    from scipy.stats import hypergeom

    alpha = 1 - confidence
    low, high = k, population - (n - k)
    while low < high:
        middle = (low + high + 1) // 2
        if hypergeom.cdf(k, population, middle, n) > alpha:
            low = middle
        else:
            high = middle - 1
    return low / population


def upper_limit(n: int, k: int, confidence: float, population: int | None = None) -> float:
    """Binomial limit without a population, exact hypergeometric with one."""
    return binomial_upper(n, k, confidence) if population is None else hypergeometric_upper(n, k, population,
                                                                                             confidence)


def _check(n: int, k: int, confidence: float) -> None:
    if n < 1 or k < 0 or k > n:
        raise ValueError(f"need 0 ≤ k ≤ n and n ≥ 1, got n={n}, k={k}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")

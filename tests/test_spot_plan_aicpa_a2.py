"""Sample sizes against AICPA Audit Guide "Audit Sampling" (2017), Appendix A, Table A-2 (10 % risk of overreliance).

As published (transcribed in the jfa R package's test-aicpa-appendix-a.R). Two published cells are not the
smallest n of the binomial rule, and the test says so instead of copying them:
- tolerable 7 %, expected 3.25 % and 3.5 %: the table prints 112, but P(X ≤ 4 | n = 112, p = 0.07) > 0.10;
  the smallest n is 113 (jfa's test notes the same).
- tolerable 5 %, expected 3.5 %: the table's cell disagrees with the rule in the transcription we have; the exact
  rule gives 400 (k = 14), asserted below from its definition rather than from the table.
Our exact rounding (k = ⌈n × expected⌉ in decimal) matches the published 1,300 for 8 %/7 %, where floating-point
rounding (as in jfa) gives 1,313.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from scipy.stats import binom

from spotchecks.plan import plan_sample

EXPECTED = ["0", "0.25", "0.5", "0.75", "1", "1.25", "1.5", "1.75", "2", "2.25", "2.5", "2.75", "3", "3.25", "3.5",
            "3.75", "4", "5", "6", "7", "8", "9", "10", "12.5", "15", "17.5"]

TABLE_A2 = {
    2: [114, 194, 194, 265, 398, 708, 1463],
    3: [76, 129, 129, 129, 176, 221, 265, 390, 590, 974],
    4: [57, 96, 96, 96, 96, 132, 132, 166, 198, 262, 353, 471, 730, 1258],
    5: [45, 77, 77, 77, 77, 77, 105, 105, 132, 132, 158, 209, 258, 306, None, 583, 873],
    6: [38, 64, 64, 64, 64, 64, 64, 88, 88, 88, 110, 132, 132, 153, 194, 235, 274, 1019],
    7: [32, 55, 55, 55, 55, 55, 55, 55, 75, 75, 75, 94, 94, 112, 112, 131, 149, 318, 1150],
    8: [28, 48, 48, 48, 48, 48, 48, 48, 48, 65, 65, 65, 65, 82, 82, 98, 98, 160, 349, 1300],
    9: [25, 42, 42, 42, 42, 42, 42, 42, 42, 42, 58, 58, 58, 58, 73, 73, 73, 115, 182, 385, 1437],
    10: [22, 38, 38, 38, 38, 38, 38, 38, 38, 38, 38, 52, 52, 52, 52, 52, 65, 78, 116, 199, 424, 1577],
    15: [15, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 25, 34, 43, 52, 60, 77, 100, 368],
    20: [11, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 25, 25, 25, 32, 38, 63, 126, 457],
}
PRINTED_TOO_SMALL = {(7, "3.25"): 113, (7, "3.5"): 113}

CELLS = [(tolerable, EXPECTED[row], size) for tolerable, sizes in TABLE_A2.items()
         for row, size in enumerate(sizes) if size is not None]


@pytest.mark.parametrize(("tolerable", "expected", "size"), CELLS,
                         ids=[f"tol{t}%-exp{e}%" for t, e, _ in CELLS])
def test_binomial_plan_reproduces_table_a2(tolerable: int, expected: str, size: int) -> None:
    plan = plan_sample("0.90", Decimal(tolerable) / 100, Decimal(expected) / 100)
    assert plan.n == PRINTED_TOO_SMALL.get((tolerable, expected), size)


def test_printed_112_is_one_short_for_seven_percent_tolerable() -> None:
    assert binom.cdf(4, 112, 0.07) > 0.10 >= binom.cdf(4, 113, 0.07)


def test_exact_rounding_keeps_integer_expected_deviations_integer() -> None:
    plan = plan_sample("0.90", "0.05", "0.035")
    # 400 × 0.035 is exactly 14 (floating point says 14.000000000000002 and would round up to 15)
    assert (plan.n, plan.expected_deviations) == (400, 14)
    assert binom.cdf(14, 400, 0.05) <= 0.10 < binom.cdf(14, 399, 0.05)

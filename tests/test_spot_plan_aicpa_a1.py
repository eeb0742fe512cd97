"""Sample sizes against AICPA Audit Guide "Audit Sampling" (2017), Appendix A, Table A-1 (5 % risk of overreliance).

The whole table, as published (transcribed in the jfa R package's test-aicpa-appendix-a.R, whose binomial
planning reproduces it); docs/sampling.md quotes its first row and 5 %/1 % → 93. Rows: expected deviation rate;
columns: tolerable deviation rate. Cells the table leaves empty ("sample size too large") are not listed.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from spotchecks.plan import plan_sample

EXPECTED = ["0", "0.25", "0.5", "0.75", "1", "1.25", "1.5", "1.75", "2", "2.25", "2.5", "2.75", "3", "3.25", "3.5",
            "3.75", "4", "5", "6", "7", "8", "9", "10", "12.5", "15", "17.5"]

# tolerable % → sizes for the expected rates above, in order, as far as the table gives them.
TABLE_A1 = {
    2: [149, 236, 313, 386, 590, 1030],
    3: [99, 157, 157, 208, 257, 303, 392, 562, 846, 1466],
    4: [74, 117, 117, 117, 156, 156, 192, 227, 294, 390, 513, 722, 1098, 1936],
    5: [59, 93, 93, 93, 93, 124, 124, 153, 181, 208, 234, 286, 361, 458, 624, 877, 1348],
    6: [49, 78, 78, 78, 78, 78, 103, 103, 127, 127, 150, 173, 195, 238, 280, 341, 421, 1580],
    7: [42, 66, 66, 66, 66, 66, 66, 88, 88, 88, 109, 109, 129, 148, 167, 185, 221, 478, 1832],
    8: [36, 58, 58, 58, 58, 58, 58, 77, 77, 77, 77, 95, 95, 112, 112, 129, 146, 240, 532],
    9: [32, 51, 51, 51, 51, 51, 51, 51, 68, 68, 68, 68, 84, 84, 84, 100, 100, 158, 266, 585],
    10: [29, 46, 46, 46, 46, 46, 46, 46, 46, 61, 61, 61, 61, 61, 76, 76, 89, 116, 179, 298, 649],
    15: [19, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 40, 40, 40, 40, 50, 68, 85, 110, 150, 576],
    20: [14, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 22, 30, 30, 37, 37, 44, 50, 88, 193, 720],
}

CELLS = [(tolerable, EXPECTED[row], size) for tolerable, sizes in TABLE_A1.items() for row, size in enumerate(sizes)]


@pytest.mark.parametrize(("tolerable", "expected", "size"), CELLS,
                         ids=[f"tol{t}%-exp{e}%" for t, e, _ in CELLS])
def test_binomial_plan_reproduces_table_a1(tolerable: int, expected: str, size: int) -> None:
    plan = plan_sample("0.95", Decimal(tolerable) / 100, Decimal(expected) / 100)
    assert plan.n == size


def test_zero_expected_row_of_spotchecks_md() -> None:
    quoted = {"2%": 149, "3%": 99, "4%": 74, "5%": 59, "6%": 49, "7%": 42, "8%": 36, "9%": 32, "10%": 29,
              "15%": 19, "20%": 14}
    assert {t: plan_sample("95%", t).n for t in quoted} == quoted


def test_five_percent_tolerable_one_percent_expected_needs_93_with_one_expected_deviation() -> None:
    plan = plan_sample(0.95, 0.05, 0.01)
    assert (plan.n, plan.expected_deviations, plan.model) == (93, 1, "binomial")
    # at 93 with one deviation the upper limit is just under 5 %: the plan's promise holds
    assert plan.max_deviations == 1

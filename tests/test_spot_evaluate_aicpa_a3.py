"""Upper deviation limits against AICPA Audit Guide "Audit Sampling" (2017), Appendix A, Table A-3.

Table A-3: statistical sample results evaluation table for tests of controls, upper limits at 5 % risk of
overreliance (95 % confidence), in percent rounded up to a tenth (transcribed in the jfa R package's
test-aicpa-appendix-a.R). The limit is the one-sided Clopper-Pearson bound of docs/sampling.md, Evaluate.
"""

from __future__ import annotations

import math

import pytest

from spotchecks.bounds import binomial_upper

SIZES = [20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 90, 100, 125, 150, 200, 300, 400, 500]

# sample size → upper limit (%) for 0, 1, ..., 10 deviations
TABLE_A3 = [
    [14.0, 21.7, 28.3, 34.4, 40.2, 45.6, 50.8, 55.9, 60.7, 65.4, 69.9],
    [11.3, 17.7, 23.2, 28.2, 33.0, 37.6, 42.0, 46.3, 50.4, 54.4, 58.4],
    [9.6, 14.9, 19.6, 23.9, 28.0, 31.9, 35.8, 39.4, 43.0, 46.6, 50.0],
    [8.3, 12.9, 17.0, 20.7, 24.3, 27.8, 31.1, 34.4, 37.5, 40.6, 43.7],
    [7.3, 11.4, 15.0, 18.3, 21.5, 24.6, 27.5, 30.4, 33.3, 36.0, 38.8],
    [6.5, 10.2, 13.4, 16.4, 19.2, 22.0, 24.7, 27.3, 29.8, 32.4, 34.8],
    [5.9, 9.2, 12.1, 14.8, 17.4, 19.9, 22.4, 24.7, 27.1, 29.4, 31.6],
    [5.4, 8.4, 11.1, 13.5, 15.9, 18.2, 20.5, 22.6, 24.8, 26.9, 28.9],
    [4.9, 7.7, 10.2, 12.5, 14.7, 16.8, 18.8, 20.8, 22.8, 24.8, 26.7],
    [4.6, 7.1, 9.4, 11.5, 13.6, 15.5, 17.5, 19.3, 21.2, 23.0, 24.7],
    [4.2, 6.6, 8.8, 10.8, 12.7, 14.5, 16.3, 18.0, 19.7, 21.4, 23.1],
    [4.0, 6.2, 8.2, 10.1, 11.8, 13.6, 15.2, 16.9, 18.5, 20.1, 21.6],
    [3.7, 5.8, 7.7, 9.5, 11.1, 12.7, 14.3, 15.9, 17.4, 18.9, 20.3],
    [3.3, 5.2, 6.9, 8.4, 9.9, 11.4, 12.8, 14.2, 15.5, 16.9, 18.2],
    [3.0, 4.7, 6.2, 7.6, 9.0, 10.3, 11.5, 12.8, 14.0, 15.2, 16.4],
    [2.4, 3.8, 5.0, 6.1, 7.2, 8.3, 9.3, 10.3, 11.3, 12.3, 13.2],
    [2.0, 3.2, 4.2, 5.1, 6.0, 6.9, 7.8, 8.6, 9.5, 10.3, 11.1],
    [1.5, 2.4, 3.2, 3.9, 4.6, 5.2, 5.9, 6.5, 7.2, 7.8, 8.4],
    [1.0, 1.6, 2.1, 2.6, 3.1, 3.5, 4.0, 4.4, 4.8, 5.2, 5.6],
    [0.8, 1.2, 1.6, 2.0, 2.3, 2.7, 3.0, 3.3, 3.6, 3.9, 4.3],
    [0.6, 1.0, 1.3, 1.6, 1.9, 2.1, 2.4, 2.7, 2.9, 3.2, 3.4],
]

CELLS = [(n, k, TABLE_A3[row][k]) for row, n in enumerate(SIZES) for k in range(11)]


@pytest.mark.parametrize(("n", "k", "percent"), CELLS, ids=[f"n{n}-k{k}" for n, k, _ in CELLS])
def test_clopper_pearson_upper_limit_reproduces_table_a3(n: int, k: int, percent: float) -> None:
    assert math.ceil(binomial_upper(n, k, 0.95) * 1000) / 10 == pytest.approx(percent)


def test_spotchecks_md_reference_59_cases() -> None:
    assert binomial_upper(59, 0, 0.95) == pytest.approx(0.0495, abs=5e-5)  # < 5 %: rely
    assert binomial_upper(59, 1, 0.95) == pytest.approx(0.078, abs=5e-4)  # > 5 %: do not rely

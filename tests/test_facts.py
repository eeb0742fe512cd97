"""Report-level facts: period parsing and the order of sources (argument, summary, title row, file name)."""

from __future__ import annotations

from datetime import date

import pytest

from ingest.dates import parse_date_text
from ingest.errors import MissingFact
from ingest.facts import parse_count, parse_period
from tests.conftest import HEADER_NL, nl_row


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("2026-10", "2026-10"),
        ("202610", "2026-10"),
        ("10/2026", "2026-10"),
        ("oktober 2026", "2026-10"),
        ("Période : octobre 2026", "2026-10"),
        ("Periode: februari 2026", "2026-02"),
        ("2026-10-01 00:00:00", "2026-10"),
        ("belcall_2026-09_v2", "2026-09"),
        ("August 2026", "2026-08"),
        ("rapport", None),
        ("2026-13", None),
    ],
)
def test_period_is_read_in_three_languages(text, period):
    assert parse_period(text) == period


def test_dates_parse_like_the_sql():
    assert parse_date_text("05/10/2026") == date(2026, 10, 5)
    assert parse_date_text("05/10/2026", "mdy") == date(2026, 5, 10)
    assert parse_date_text("45658") == date(2025, 1, 1)  # Excel DATE(2025,1,1) = 45658
    assert parse_date_text("31/02/2026") is None
    assert parse_count("Totaal: 412") == 412 and parse_count("412.0") == 412


def test_period_comes_from_the_argument_before_the_title_and_the_file_name(ingest, write_csv):
    path = write_csv(
        "belcall_2026-09.csv", ["Periode: oktober 2026;;", HEADER_NL, nl_row("BC-1", received="05-08-2026")]
    )
    assert ingest(path, period="2026-08").period == "2026-08"
    path = write_csv("b_2026-09.csv", ["Periode: oktober 2026;;", HEADER_NL, nl_row("BC-1")])
    assert ingest(path, processor="Other").period == "2026-10"
    path = write_csv("c_2026-09.csv", [HEADER_NL, nl_row("BC-1", received="05-09-2026")])
    assert ingest(path, processor="Third").period == "2026-09"


def test_a_report_without_a_period_is_refused_with_what_to_do(ingest, write_csv):
    with pytest.raises(MissingFact, match="--period YYYY-MM"):
        ingest(write_csv("report.csv", [HEADER_NL, nl_row("BC-1")]))
    with pytest.raises(MissingFact, match="not a month"):
        ingest(write_csv("report.csv", [HEADER_NL, nl_row("BC-1")]), period="2026-13")


def test_submission_date_defaults_to_the_day_of_ingest_and_says_so(ingest, write_csv):
    result = ingest(write_csv("r_2026-10.csv", [HEADER_NL, nl_row("BC-1")]), submitted_on=None, today=date(2026, 11, 7))
    assert result.submitted_on == "2026-11-07"
    assert any("day of ingest" in n for n in result.notes)

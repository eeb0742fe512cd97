"""checks/calendar.py: Reg. 1182/71 month counting, the worked examples of tests/reference/deadline_examples.csv,
holidays, properties."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.calendar import WorkingCalendar, add_months, due_date, identity_pause, response_deadlines

# Worked examples from EDPB Guidelines 01/2022, Reg. 1182/71 and the national holiday laws, each row citing its source
# (docs/deadlines.md explains them). Computed by hand, never by the code under test.
EXAMPLES = Path(__file__).resolve().parent / "reference" / "deadline_examples.csv"
BE = WorkingCalendar.of("BE")


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def reference_examples() -> list[dict[str, str]]:
    """The rows of deadline_examples.csv."""
    with EXAMPLES.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def calendar_of(row: dict[str, str]) -> WorkingCalendar:
    country, _, subdivision = row["calendar"].partition("-")
    return WorkingCalendar.of(country, subdivision or None,
                              [date.fromisoformat(d) for d in row["extra_dates"].split()])


def worked_examples() -> list[tuple[date, date, date]]:
    """The plain examples (Belgian calendar, no identity request, no extension): received, due, extended due."""
    return [(_date(r["received_on"]), _date(r["due_on"]), _date(r["extended_due_on"])) for r in reference_examples()
            if r["calendar"] == "BE" and not (r["extra_dates"] or r["id_requested_on"] or r["extension_notified_on"])]


def test_every_reference_example_cites_its_source_and_the_plain_ones_are_there():
    rows = reference_examples()
    assert len(rows) >= 10 and all(len(r["source"]) > 20 for r in rows)
    assert (date(2025, 8, 31), date(2025, 9, 30), date(2025, 12, 1)) in worked_examples()
    assert len(worked_examples()) == 4


@pytest.mark.parametrize("row", reference_examples(), ids=lambda r: f"{r['received_on']}-{r['calendar']}")
def test_reference_examples(row):
    result = response_deadlines(_date(row["received_on"]), calendar_of(row),
                                extension_notified_on=_date(row["extension_notified_on"]),
                                id_requested_on=_date(row["id_requested_on"]),
                                id_received_on=_date(row["id_received_on"]))
    assert (result.due_on, result.extended_due_on, result.effective_due_on) == (
        _date(row["due_on"]), _date(row["extended_due_on"]), _date(row["effective_due_on"])), row["source"]


def test_month_end_clamp_and_same_date():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 3, 31), 1) == date(2026, 4, 30)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 5, 15), 1) == date(2026, 6, 15)


def test_extended_date_is_receipt_plus_three_months_not_the_rolled_date_plus_two():
    # 31 Jan 2026: one month rolls to Mon 2 Mar; + 2 months would wrongly give 4 May.
    assert due_date(date(2026, 1, 31), 3, BE) == date(2026, 4, 30)


def test_belgian_calendar_uses_public_holidays_only():
    assert not BE.is_working_day(date(2026, 4, 6))   # Easter Monday
    assert not BE.is_working_day(date(2026, 7, 21))  # National Day
    assert BE.is_working_day(date(2026, 4, 3))       # Good Friday is not a Belgian public holiday


def test_alsace_moselle_adds_good_friday_and_26_december():
    fr, moselle = WorkingCalendar.of("FR"), WorkingCalendar.of("FR", "57")
    for day in (date(2026, 4, 3), date(2025, 12, 26)):  # Good Friday; a Friday 26 December
        assert fr.is_working_day(day) and not moselle.is_working_day(day)


def test_extra_dates_from_the_profile_are_holidays():
    # Algemene termijnenwet: 5 May counts every year; the holidays package has it only every fifth year.
    nl = WorkingCalendar.of("NL")
    nl_atw = WorkingCalendar.of("NL", extra_dates=[date(2026, 5, 5)])
    assert nl.is_working_day(date(2026, 5, 5)) and not nl_atw.is_working_day(date(2026, 5, 5))
    # received Sun 5 Apr 2026 → raw Tue 5 May: a working day for the package, not under the Atw
    assert due_date(date(2026, 4, 5), 1, nl) == date(2026, 5, 5)
    assert due_date(date(2026, 4, 5), 1, nl_atw) == date(2026, 5, 6)
    assert nl_atw.label == "NL + 1 extra dates"


def test_identity_pause_counts_calendar_days_only_when_asked_in_time():
    received = date(2026, 3, 5)
    assert identity_pause(received, date(2026, 3, 10), date(2026, 3, 20), 5) == 10
    assert identity_pause(received, date(2026, 3, 11), date(2026, 3, 20), 5) == 0
    assert identity_pause(received, None, None, 5) == 0


def test_extension_valid_on_the_due_date_and_invalid_the_day_after():
    valid = response_deadlines(date(2026, 1, 31), BE, extension_notified_on=date(2026, 3, 2))
    late = response_deadlines(date(2026, 1, 31), BE, extension_notified_on=date(2026, 3, 3))
    assert (valid.extension_valid, valid.effective_due_on) == (True, date(2026, 4, 30))
    assert (late.extension_valid, late.effective_due_on) == (False, date(2026, 3, 2))


def test_nth_working_day_after_skips_weekends_and_holidays():
    assert BE.nth_working_day_after(date(2026, 4, 2), 2) == date(2026, 4, 7)
    assert BE.nth_working_day_after(date(2026, 4, 4), 1) == date(2026, 4, 7)
    assert BE.nth_working_day_after(date(2026, 4, 2), 0) == date(2026, 4, 2)


CALENDARS = st.sampled_from([BE, WorkingCalendar.of("NL", extra_dates=[date(2026, 5, 5), date(2027, 5, 5)]),
                             WorkingCalendar.of("FR", "57")])
RECEIPTS = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))


@settings(max_examples=400, deadline=None)
@given(received=RECEIPTS, cal=CALENDARS, paused=st.integers(0, 60))
def test_due_date_is_a_working_day_at_least_28_days_after_receipt(received, cal, paused):
    due = due_date(received, 1, cal, paused)
    assert cal.is_working_day(due)
    assert due >= received + timedelta(days=28 + paused)
    # rolled no further than needed: every day between the raw date and the due date is not a working day
    raw = add_months(received, 1) + timedelta(days=paused)
    assert all(not cal.is_working_day(raw + timedelta(days=i)) for i in range((due - raw).days))


@settings(max_examples=300, deadline=None)
@given(received=RECEIPTS, cal=CALENDARS)
def test_extended_date_is_never_before_the_one_month_date(received, cal):
    result = response_deadlines(received, cal)
    assert result.extended_due_on >= result.due_on
    assert cal.is_working_day(result.extended_due_on)

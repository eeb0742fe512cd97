"""checks/calendar.py: Reg. 1182/71 month counting, the worked examples of domain.md, holidays, properties."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.calendar import WorkingCalendar, add_months, due_date, identity_pause, response_deadlines

DOMAIN = Path(__file__).resolve().parents[2] / "shared" / "design" / "domain.md"
MONTHS = {m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                                      "Dec"], start=1)}
BE = WorkingCalendar.of("BE")


def _first_full_date(cell: str) -> date:
    day, month, year = re.search(r"(\d{1,2}) ([A-Z][a-z]{2}) (\d{4})", cell).groups()
    return date(int(year), MONTHS[month], int(day))


def worked_examples() -> list[tuple[date, date, date]]:
    """The table of domain.md §1 (EDPB Examples 32-33 and computed cases): received, due, extended due."""
    rows = []
    for line in DOMAIN.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.match(r"[A-Z][a-z]{2} \d", cells[0]):
            rows.append((_first_full_date(cells[0]), _first_full_date(cells[2]), _first_full_date(cells[3])))
    return rows


def test_domain_md_has_the_three_worked_examples():
    assert len(worked_examples()) == 3


@pytest.mark.parametrize(("received", "due", "extended"), worked_examples())
def test_worked_examples_of_domain_md(received, due, extended):
    result = response_deadlines(received, BE)
    assert (result.due_on, result.extended_due_on) == (due, extended)


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

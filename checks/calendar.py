"""Deadline arithmetic (Reg. 1182/71 as the EDPB applies it) and working-day calendars. Pure functions only.

This is the reference: the runner computes the same dates in SQL (checks/sources.py) and a property test holds the
two to the same answers.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

import holidays


def add_months(day: date, months: int) -> date:
    """Return the same date `months` later, or that month's last day if it has no such date.

    Reg. 1182/71 Art. 3(2)(c): a period in months ends on the same date of the later month; if that month has no
    such date, on its last day. (31 January + 1 month = 28 February; never "30 days".)
    """
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, _stdlib_calendar.monthrange(year, month)[1]))


@cache
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    # docs/deadlines.md: the public category only (Belgium: not `bank`).
    found = holidays.country_holidays(country, subdiv=subdivision, years=year, categories=(holidays.PUBLIC,))
    return frozenset(found)


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days of one Member State (Reg. 1182/71 Art. 2(1)): Monday-Friday minus its public holidays.

    `extra_dates` are days the contract profile adds (e.g. the Netherlands' Algemene termijnenwet days that the
    `holidays` package lacks).
    """

    country: str = "BE"
    subdivision: str | None = None
    extra_dates: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def of(cls, country: str, subdivision: str | None = None, extra_dates: Iterable[date] = ()) -> WorkingCalendar:
        return cls(country.upper(), subdivision or None, frozenset(extra_dates))

    @classmethod
    def from_spec(cls, spec: object) -> WorkingCalendar:
        """Build from a contract profile's calendar (anything with country, subdivision and extra_dates)."""
        return cls.of(spec.country, getattr(spec, "subdivision", None),  # type: ignore[attr-defined]
                      getattr(spec, "extra_dates", ()))

    @property
    def label(self) -> str:
        """e.g. 'BE', 'FR-57', 'NL + 7 extra dates' — stored with every check run."""
        name = self.country + (f"-{self.subdivision}" if self.subdivision else "")
        return name + (f" + {len(self.extra_dates)} extra dates" if self.extra_dates else "")

    @property
    def key(self) -> str:
        """A stable identity of the calendar including its extra dates (labels may collide, keys may not)."""
        extra = ",".join(d.isoformat() for d in sorted(self.extra_dates))
        return f"{self.country}|{self.subdivision or ''}|{extra}"

    def supported(self) -> bool:
        """Whether the `holidays` package knows this country and subdivision."""
        try:
            _public_holidays(self.country, self.subdivision, 2026)
        except NotImplementedError:
            return False
        return True

    def is_holiday(self, day: date) -> bool:
        return day in self.extra_dates or day in _public_holidays(self.country, self.subdivision, day.year)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and not self.is_holiday(day)

    def roll_forward(self, day: date) -> date:
        """The day itself if it is a working day, else the next working day (Reg. 1182/71 Art. 3(4))."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def nth_working_day_after(self, day: date, n: int) -> date:
        """The n-th working day after `day` (the day itself does not count, Art. 3(1)); n = 0 gives `day`."""
        for _ in range(n):
            day = self.roll_forward(day + timedelta(days=1))
        return day


def due_date(received_on: date, months: int, cal: WorkingCalendar, paused_days: int = 0) -> date:
    """The deadline `months` after receipt: same date or month end, plus any identity pause, then rolled forward.

    Art. 3(1): the day of receipt does not count; Art. 3(2)(c): same date next month or month end; docs/deadlines.md:
    paused calendar days are added to the raw date before rolling; Art. 3(4): roll to the next working day.
    The extended (3-month) date is receipt + 3 months, not the rolled 1-month date + 2 months.
    """
    return cal.roll_forward(add_months(received_on, months) + timedelta(days=paused_days))


def identity_pause(received_on: date, id_requested_on: date | None, pause_ended_on: date | None,
                   within_days: int) -> int:
    """Calendar days the clock is paused for an identity check; 0 when none or when asked too late.

    EDPB Guidelines 01/2022 §159: the period may be suspended while waiting for the information, provided it was
    asked without undue delay (the profile's `id_request_within_days`); receiving it does not restart the month.
    `pause_ended_on` is the day the information arrived (for a case still waiting: the answer date or the as-of date).
    """
    if id_requested_on is None or pause_ended_on is None:
        return 0
    if not 0 <= (id_requested_on - received_on).days <= within_days:
        return 0
    return max(0, (pause_ended_on - id_requested_on).days)


@dataclass(frozen=True)
class Deadlines:
    """The response deadlines of one request (the `oversight deadline` JSON is built from this)."""

    received_on: date
    due_on: date            # one month (identity pause applied when valid)
    extended_due_on: date   # three months (pause applied the same way)
    paused_days: int
    pause_valid: bool | None  # None: no identity request; False: asked too late, so no pause
    extension_notified_on: date | None
    extension_valid: bool | None  # None: no extension notified
    calendar: str

    @property
    def effective_due_on(self) -> date:
        """The date that applies: the extended one only with an extension notified within the first month."""
        return self.extended_due_on if self.extension_valid else self.due_on


def response_deadlines(received_on: date, cal: WorkingCalendar, *, extension_notified_on: date | None = None,
                       id_requested_on: date | None = None, id_received_on: date | None = None,
                       id_request_within_days: int = 5, extension_reason: str | None = None,
                       extension_requires_reason: bool = False) -> Deadlines:
    """Compute the one- and three-month deadlines of a request under GDPR Art. 12(3) and Reg. 1182/71.

    The extension is valid only when notified on or before the one-month due date (Art. 12(3): "within one month"),
    and, when `extension_requires_reason` (the profile's switch), only with a reason ("together with the reasons").
    """
    paused = identity_pause(received_on, id_requested_on, id_received_on, id_request_within_days)
    pause_valid = None if id_requested_on is None else 0 <= (id_requested_on - received_on).days \
        <= id_request_within_days
    due = due_date(received_on, 1, cal, paused)
    reason_ok = not extension_requires_reason or bool((extension_reason or "").strip())
    extension_valid = None if extension_notified_on is None else extension_notified_on <= due and reason_ok
    return Deadlines(received_on, due, due_date(received_on, 3, cal, paused), paused, pause_valid,
                     extension_notified_on, extension_valid, cal.label)


def working_days(cal: WorkingCalendar, start: date, end: date) -> list[tuple[date, bool]]:
    """Every day from start to end inclusive with whether it is a working day (the SQL calendar table's rows)."""
    return [(start + timedelta(days=i), cal.is_working_day(start + timedelta(days=i)))
            for i in range((end - start).days + 1)]

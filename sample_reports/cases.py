"""The case model behind the demo reports: one true life cycle per case, shown month by month.

A case is simulated once (received, forwarded, answered, ...). A monthly report is a *snapshot* of
the cases it must list, as known on the last day of its period: dates after that day are not known
yet and stay blank. Report-specific quirks (a dropped row, a rewritten date, a typo) are stored on
the case as overrides keyed by a report tag, so the truth and the planted errors stay separate.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, time, timedelta

import holidays

# Both processors are Belgian call centres: the default contract profile counts Belgian public days.
BE_HOLIDAYS = holidays.country_holidays("BE", years=range(2025, 2028))

PROCESSOR_HANDLED = frozenset({"marketing_opt_out", "consent_withdrawal", "rectification"})
ESCALATE_TYPES = frozenset({"erasure", "objection", "complaint"})
ESCALATE_OUTCOMES = frozenset({"refused", "partially_fulfilled"})
VERIFY_TYPES = frozenset({"access", "portability", "erasure", "rectification", "restriction"})
REFUSAL_OUTCOMES = frozenset({"refused", "partially_fulfilled", "identity_not_confirmed"})

DATE_FIELDS = (
    "received_on", "id_requested_on", "id_received_on", "forwarded_on", "escalated_on",
    "extension_notified_on", "responded_on", "suppressed_on",
)


@dataclass
class Case:
    case_id: str
    received_on: date
    request_type: str  # canonical value; writers translate to the processor's language
    channel: str
    subject: str
    agent: str
    language: str
    received_time: time | None = None
    identity_verified: bool | None = None
    id_requested_on: date | None = None
    id_received_on: date | None = None
    forwarded_on: date | None = None
    escalated_on: date | None = None
    escalated_to: str | None = None
    extension_notified_on: date | None = None
    extension_reason: str | None = None
    responded_on: date | None = None
    outcome: str | None = None
    refusal_reason: str | None = None
    complaint_right_notified: bool | None = None
    judicial_remedy_notified: bool | None = None
    suppressed_on: date | None = None
    summary: str = ""
    priority: str = "Normale"
    # Formatting quirks, fixed per case so a case looks the same in every month's report.
    date_style: str = "dash"  # dash | slash (Belcall); text (Appelia: dates typed as text)
    bool_style: str = "long"  # long (ja/nee) | short (J/N)
    planted: bool = False
    # Report tag -> field -> value (a date, a bool, or a raw string written as is).
    overrides: dict[str, dict[str, object]] = field(default_factory=dict)
    excluded_from: set[str] = field(default_factory=set)
    # Report tag -> extra rows (overrides on top of the snapshot; {} is an exact duplicate).
    extra_rows: dict[str, list[dict[str, object]]] = field(default_factory=dict)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in BE_HOLIDAYS


def add_working_days(day: date, n: int) -> date:
    """The n-th working day after `day` (n = 0 gives `day` itself, even on a weekend)."""
    while n > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def add_months(day: date, months: int) -> date:
    """Same date n months later, or that month's last day (Regulation 1182/71 Art. 3(2)(c))."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(received: date, months: int = 1, pause_days: int = 0) -> date:
    """Art. 12(3) deadline as docs/deadlines.md counts it: raw date + pause, rolled to a working day."""
    due = add_months(received, months) + timedelta(days=pause_days)
    while not is_working_day(due):
        due += timedelta(days=1)
    return due


def month_bounds(period: str) -> tuple[date, date]:
    year, month = (int(part) for part in period.split("-"))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def is_listed(case: Case, period: str, tags: set[str]) -> bool:
    """Received in the period, or still open at its start (a closed carried case shows once more)."""
    if case.excluded_from & tags:
        return False
    start, end = month_bounds(period)
    if case.received_on > end:
        return False
    return case.received_on >= start or case.responded_on is None or case.responded_on >= start


def snapshot(case: Case, period: str, tags: set[str]) -> list[dict[str, object]]:
    """The row(s) the report with these tags shows for the case, as known at the end of the period."""
    _, end = month_bounds(period)
    row: dict[str, object] = {name: getattr(case, name) for name in Case.__dataclass_fields__}
    for name in DATE_FIELDS:
        if row[name] is not None and row[name] > end:  # type: ignore[operator]
            row[name] = None
    if row["responded_on"] is None:
        row.update(outcome=None, refusal_reason=None, complaint_right_notified=None, judicial_remedy_notified=None)
    if row["extension_notified_on"] is None:
        row["extension_reason"] = None
    if row["escalated_on"] is None:
        row["escalated_to"] = None
    if case.id_requested_on and row["id_received_on"] is None and case.id_requested_on <= end:
        row["identity_verified"] = False  # still waiting for the ID document
    for tag in sorted(tags):
        row.update(case.overrides.get(tag, {}))
    rows = [row]
    for tag in sorted(tags):
        rows += [{**row, **extra} for extra in case.extra_rows.get(tag, [])]
    return rows

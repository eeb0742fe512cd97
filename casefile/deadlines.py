"""A case's deadlines with the calculation spelled out: received, pause, extension, due date, the days rolled over.

checks/calendar.py computes them (the reference the check SQL is tested against); this module says how: the raw
one-month date, the identity pause, each weekend day or holiday the due date rolled over, the extension and the date
that applies, and whether the answer came in time.
"""

from __future__ import annotations

from datetime import date, timedelta

from checks.calendar import WorkingCalendar, add_months, response_deadlines


def rolled_over(cal: WorkingCalendar, raw: date, due: date) -> list[dict[str, str]]:
    """The days between the raw date and the due date that are not working days, each with why (Reg. 1182/71 3(4))."""
    days, day = [], raw
    while day < due:
        days.append({"date": day.isoformat(), "why": "public holiday or contract day off" if cal.is_holiday(day)
                     else "weekend"})
        day += timedelta(days=1)
    return days


def explain(facts: dict[str, object], cal: WorkingCalendar, *, id_request_within_days: int,
            extension_requires_reason: bool) -> dict[str, object]:
    """The case's deadlines and the steps that give them, as data and as sentences."""
    received = facts["received_on"]
    assert isinstance(received, date)
    d = response_deadlines(
        received, cal, extension_notified_on=facts.get("extension_notified_on"),  # type: ignore[arg-type]
        id_requested_on=facts.get("id_requested_on"), id_received_on=facts.get("id_received_on"),  # type: ignore[arg-type]
        id_request_within_days=id_request_within_days, extension_reason=facts.get("extension_reason"),  # type: ignore[arg-type]
        extension_requires_reason=extension_requires_reason)
    one_month = add_months(received, 1)
    raw = one_month + timedelta(days=d.paused_days)
    rolled = rolled_over(cal, raw, d.due_on)
    responded = facts.get("responded_on")
    steps = [f"Received {received:%a %d %b %Y}; the day of receipt does not count (Reg. 1182/71 Art. 3(1)).",
             f"One month later: {one_month:%a %d %b %Y} (the same date next month, or that month's last day)."]
    if facts.get("id_requested_on"):
        steps.append(f"Identity asked on {facts['id_requested_on']:%d %b %Y}"  # type: ignore[str-format]
                     + (f": the clock paused {d.paused_days} day(s), to {raw:%a %d %b %Y}." if d.pause_valid
                        else f", more than {id_request_within_days} days after receipt: no pause."))
    if rolled:
        steps.append(f"{raw:%a %d %b %Y} is not a working day of calendar {d.calendar}: rolled over "
                     + ", ".join(f"{date.fromisoformat(r['date']):%a %d %b} ({r['why']})" for r in rolled)
                     + f" to {d.due_on:%a %d %b %Y}.")
    steps.append(f"Due on {d.due_on:%a %d %b %Y} (one month); with an extension {d.extended_due_on:%a %d %b %Y}.")
    if d.extension_notified_on:
        steps.append(f"Extension notified on {d.extension_notified_on:%d %b %Y}: "
                     + ("valid." if d.extension_valid else "not valid (after the one-month date, or without the "
                        "reasons the contract requires), so the one-month date stands."))
    steps.append(f"The date that applies: {d.effective_due_on:%a %d %b %Y}.")
    in_time = None
    if isinstance(responded, date):
        in_time = responded <= d.effective_due_on
        late = (responded - d.effective_due_on).days
        steps.append(f"Answered on {responded:%a %d %b %Y}: " + ("in time." if in_time else f"{late} day(s) late."))
    else:
        steps.append("No answer date in the report.")
    return {"received_on": received, "calendar": d.calendar, "one_month_on": one_month,
            "id_requested_on": facts.get("id_requested_on"), "id_received_on": facts.get("id_received_on"),
            "paused_days": d.paused_days, "pause_valid": d.pause_valid, "rolled_over": rolled, "due_on": d.due_on,
            "extended_due_on": d.extended_due_on, "extension_notified_on": d.extension_notified_on,
            "extension_valid": d.extension_valid, "effective_due_on": d.effective_due_on, "responded_on": responded,
            "answered_in_time": in_time, "steps": steps}

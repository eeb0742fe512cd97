"""Deadline, extension and refusal checks on tiny inline reports (docs/checks.md "Statutory deadlines")."""

from __future__ import annotations

from tests.checkkit import add_report, assert_offends, assert_passes, run

# Belgian calendar (default profile). 5 Apr 2026 is Easter Sunday, 6 Apr Easter Monday; 28 Feb 2026 a Saturday.
CASES = [
    {"case_id": "easter-late", "received_on": "2026-03-05", "responded_on": "2026-04-08", "outcome": "fulfilled"},
    {"case_id": "easter-on-due-day", "received_on": "2026-03-05", "responded_on": "2026-04-07", "outcome": "fulfilled"},
    {"case_id": "weekend-rolled", "received_on": "2026-01-31", "responded_on": "2026-03-02", "outcome": "fulfilled"},
    {"case_id": "weekend-rolled-late", "received_on": "2026-01-31", "responded_on": "2026-03-03",
     "outcome": "fulfilled"},
    # the 31st followed by a 30-day month: due on the 30th
    {"case_id": "month-end", "received_on": "2026-03-31", "responded_on": "2026-04-30", "outcome": "fulfilled"},
    # extension notified on the last valid day (the rolled one-month date) → three months from receipt
    {"case_id": "ext-last-valid-day", "received_on": "2026-01-31", "extension_notified_on": "2026-03-02",
     "extension_reason": "complex", "responded_on": "2026-04-30", "outcome": "fulfilled"},
    {"case_id": "ext-a-day-late", "received_on": "2026-01-31", "extension_notified_on": "2026-03-03",
     "extension_reason": "complex", "responded_on": "2026-04-30", "outcome": "fulfilled"},
    {"case_id": "ext-no-reason", "received_on": "2026-04-01", "extension_notified_on": "2026-04-20",
     "responded_on": "2026-05-20", "outcome": "fulfilled"},
    # identity: asked the next day (pause of 10 days applies) vs asked 8 days after receipt (no pause)
    {"case_id": "id-paused", "received_on": "2026-03-05", "id_requested_on": "2026-03-06",
     "id_received_on": "2026-03-16", "responded_on": "2026-04-15", "outcome": "fulfilled"},
    {"case_id": "id-asked-late", "received_on": "2026-03-05", "id_requested_on": "2026-03-13",
     "id_received_on": "2026-03-23", "responded_on": "2026-04-15", "outcome": "fulfilled"},
    # open cases, as of 2026-05-31: due 1 Jun (30 May is a Saturday) and 5 Jun
    {"case_id": "open-due-1-jun", "received_on": "2026-04-30"},
    {"case_id": "open-due-5-jun", "received_on": "2026-05-05"},
    {"case_id": "open-overdue", "received_on": "2026-04-20"},
    {"case_id": "refused-no-notice", "received_on": "2026-05-04", "responded_on": "2026-05-10", "outcome": "refused",
     "refusal_reason": "Art. 17(3)(b)", "complaint_right_notified": False},
    {"case_id": "partial-notice-unknown", "received_on": "2026-05-04", "responded_on": "2026-05-10",
     "outcome": "partially_fulfilled", "refusal_reason": "  "},
    {"case_id": "idnc-no-notice", "received_on": "2026-05-04", "responded_on": "2026-05-10",
     "outcome": "identity_not_confirmed"},
    {"case_id": "refused-properly", "received_on": "2026-05-04", "responded_on": "2026-05-10", "outcome": "refused",
     "refusal_reason": "manifestly unfounded: third request this week", "complaint_right_notified": True},
]


def _found(con, as_of: str | None = None):
    add_report(con, "2026-05", CASES)
    return run(con, as_of=as_of)


def test_answer_after_the_easter_rolled_deadline_is_late_and_on_the_day_is_not(con):
    found = _found(con)
    assert_offends(found, "deadline.late_response", "easter-late", due_on="2026-04-07", days_late=1)
    assert_passes(found, "deadline.late_response", "easter-on-due-day")


def test_deadline_falling_on_a_saturday_rolls_to_monday(con):
    found = _found(con)
    assert_passes(found, "deadline.late_response", "weekend-rolled")
    assert_offends(found, "deadline.late_response", "weekend-rolled-late", due_on="2026-03-02")


def test_the_31st_followed_by_a_30_day_month_is_due_on_the_30th(con):
    assert_passes(_found(con), "deadline.late_response", "month-end")


def test_extension_notified_on_the_last_valid_day_gives_three_months_from_receipt(con):
    found = _found(con)
    assert_passes(found, "extension.late_notice", "ext-last-valid-day")
    assert_passes(found, "deadline.late_response", "ext-last-valid-day")


def test_extension_notified_after_first_month_is_invalid_and_the_one_month_date_stands(con):
    found = _found(con)
    assert_offends(found, "extension.late_notice", "ext-a-day-late", one_month_due_on="2026-03-02")
    assert_offends(found, "deadline.late_response", "ext-a-day-late", due_on="2026-03-02", extension_valid=False)


def test_extension_without_reason_is_major_and_no_extension(con):
    found = _found(con)
    row = assert_offends(found, "extension.no_reason", "ext-no-reason", extension_valid=False)
    assert row["severity"] == "major"
    assert_passes(found, "extension.no_reason", "ext-last-valid-day")


def test_identity_pause_applies_only_when_asked_within_the_allowed_days(con):
    found = _found(con)
    assert_passes(found, "deadline.late_response", "id-paused")
    assert_offends(found, "deadline.late_response", "id-asked-late", due_on="2026-04-07", paused_days=0)
    assert_offends(found, "identity.late_request", "id-asked-late", days_after_receipt=8, allowed_days=5)
    assert_passes(found, "identity.late_request", "id-paused")


def test_open_case_is_overdue_only_after_its_due_date(con):
    add_report(con, "2026-05", CASES)
    on_due_day = run(con, as_of="2026-06-01")
    assert_passes(on_due_day, "deadline.overdue_open", "open-due-1-jun")
    day_after = run(con, as_of="2026-06-02")
    assert_offends(day_after, "deadline.overdue_open", "open-due-1-jun", due_on="2026-06-01", days_overdue=1)


def test_default_as_of_is_the_last_day_of_the_period(con):
    found = _found(con)
    assert_offends(found, "deadline.overdue_open", "open-overdue", as_of="2026-05-31", due_on="2026-05-20")
    assert_passes(found, "deadline.overdue_open", "open-due-1-jun")


def test_due_soon_lists_open_cases_due_within_seven_days(con):
    found = _found(con, as_of="2026-05-25")
    row = assert_offends(found, "deadline.due_soon", "open-due-1-jun", days_left=7)
    assert row["severity"] == "info"
    assert_passes(found, "deadline.due_soon", "open-due-5-jun")


def test_refusal_without_complaint_notice_is_major_whatever_the_reason(con):
    found = _found(con)
    for case_id in ("refused-no-notice", "partial-notice-unknown", "idnc-no-notice"):
        assert_offends(found, "refusal.no_complaint_notice", case_id)
    assert_passes(found, "refusal.no_complaint_notice", "refused-properly")


def test_refusal_without_reason_blank_counts_as_missing(con):
    found = _found(con)
    assert_offends(found, "refusal.no_reason", "partial-notice-unknown")
    assert_passes(found, "refusal.no_reason", "refused-no-notice")
    assert_passes(found, "refusal.no_reason", "idnc-no-notice")  # not a refusal: not tested


def test_counts_of_tested_and_offending_are_stored_per_check(con):
    found = _found(con)
    answered = sum(1 for c in CASES if "responded_on" in c)
    tested, offending, error = found.results[("deadline.late_response", "Testcall", "2026-05")]
    assert (tested, error) == (answered, None)
    assert offending == len(found.of("deadline.late_response"))

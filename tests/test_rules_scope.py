"""Scope rules on small real report files (issue 13, item 10): the statutory month of Art. 12(3) is for the rights
of Arts 15-22; complaints get the contract's answer time, and a consent withdrawal takes effect at once."""

from __future__ import annotations

from tests.checkkit import assert_offends, assert_passes
from tests.reportkit import check_file, write_report

HANDLED = {"forwarded_on": "2026-08-03", "escalated_on": "2026-08-03", "identity_verified": True}


def test_the_legal_month_is_for_the_rights_and_complaints_get_the_contracts_time(con, key_path, tmp_path):
    # Received Mon 3 Aug 2026: the legal month ends Thu 3 Sep; 20 working days (BE) end Mon 31 Aug.
    path = write_report(tmp_path, "testcall_2026-10.csv", [
        {"case_id": "K-1", "received_on": "2026-08-03", "request_type": "complaint", **HANDLED,
         "responded_on": "2026-09-02", "outcome": "fulfilled"},  # in the legal month, after the contract's time
        {"case_id": "K-2", "received_on": "2026-08-03", "request_type": "complaint", **HANDLED,
         "responded_on": "2026-08-28", "outcome": "fulfilled"},  # the clean neighbour
        {"case_id": "K-3", "received_on": "2026-08-03", "request_type": "other", "forwarded_on": "2026-08-03"},
        {"case_id": "A-1", "received_on": "2026-08-03", "request_type": "erasure", **HANDLED,
         "responded_on": "2026-09-02", "outcome": "fulfilled"},  # a right: the legal month applies, in time
        {"case_id": "A-2", "received_on": "2026-08-03", "request_type": "access", **HANDLED,
         "responded_on": "2026-09-04", "outcome": "fulfilled"},  # a right, late
    ])
    found = check_file(con, key_path, path, "2026-10")
    assert assert_offends(found, "sla.complaint_late", "K-1", complaint_due_on="2026-08-31")["severity"] == "major"
    assert_offends(found, "sla.complaint_late", "K-3", responded_on=None)  # still open long after
    assert_passes(found, "sla.complaint_late", "K-2")
    assert_passes(found, "sla.complaint_late", "A-2")  # a right is judged by the statutory month
    for complaint in ("K-1", "K-2", "K-3"):
        assert_passes(found, "deadline.late_response", complaint)
        assert_passes(found, "deadline.overdue_open", complaint)
    assert_passes(found, "deadline.late_response", "A-1")
    assert_offends(found, "deadline.late_response", "A-2", due_on="2026-09-03")


def test_a_consent_withdrawal_takes_effect_at_once(con, key_path, tmp_path):
    path = write_report(tmp_path, "testcall_2026-10.csv", [
        {"case_id": "W-1", "received_on": "2026-10-05", "request_type": "consent_withdrawal",
         "responded_on": "2026-10-06", "outcome": "fulfilled"},  # answered, never made effective
        {"case_id": "W-2", "received_on": "2026-10-05", "request_type": "consent_withdrawal",
         "suppressed_on": "2026-10-09", "responded_on": "2026-10-09", "outcome": "fulfilled"},  # 4 working days
        {"case_id": "W-3", "received_on": "2026-10-05", "request_type": "consent_withdrawal",
         "suppressed_on": "2026-10-05", "responded_on": "2026-10-06", "outcome": "fulfilled"},  # the same day
    ])
    found = check_file(con, key_path, path, "2026-10")
    row = assert_offends(found, "consent.withdrawal_not_effective", "W-1", suppressed_on=None)
    assert row["severity"] == "major"
    assert_offends(found, "consent.withdrawal_not_effective", "W-2", consent_due_on="2026-10-07")
    assert_passes(found, "consent.withdrawal_not_effective", "W-3")
    assert_passes(found, "deadline.late_response", "W-1")  # Art. 7(3), not the month of Art. 12(3)

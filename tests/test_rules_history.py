"""Rewritten history on small real report files (issue 13, item 5): every field a check reads is compared with the
earlier report, and deadlines run from the earliest receipt date ever reported for the case."""

from __future__ import annotations

from tests.checkkit import assert_offends, assert_passes
from tests.reportkit import check_file, write_report

ACCESS = {"request_type": "access", "identity_verified": True}
REFUSAL = {"request_type": "erasure", "identity_verified": True, "outcome": "refused", "refusal_reason": "legal hold",
           "judicial_remedy_notified": True, "escalated_on": "2026-09-02", "forwarded_on": "2026-09-02"}


def test_a_rewritten_receipt_date_moves_no_deadline_and_every_field_is_compared(con, key_path, tmp_path):
    check_file(con, key_path, write_report(tmp_path, "testcall_2026-09.csv", [
        {"case_id": "H-1", "received_on": "2026-09-01", "forwarded_on": "2026-09-01", **ACCESS},
        {"case_id": "H-2", "received_on": "2026-09-01", "forwarded_on": "2026-09-01", **ACCESS},
        {"case_id": "H-3", "received_on": "2026-09-02", **REFUSAL, "responded_on": "2026-09-20",
         "complaint_right_notified": False},
    ]), "2026-09")
    found = check_file(con, key_path, write_report(tmp_path, "testcall_2026-10.csv", [
        # the receipt (and forwarding) date moved two weeks later, which would make the answer of 10 Oct look in time
        {"case_id": "H-1", "received_on": "2026-09-15", "forwarded_on": "2026-09-15", **ACCESS,
         "responded_on": "2026-10-10", "outcome": "fulfilled"},
        # the clean neighbour: its answer appears, which is progress
        {"case_id": "H-2", "received_on": "2026-09-01", "forwarded_on": "2026-09-01", **ACCESS,
         "responded_on": "2026-09-28", "outcome": "fulfilled"},
        # a refusal whose missing complaint notice is now said to have been given
        {"case_id": "H-3", "received_on": "2026-09-02", **REFUSAL, "responded_on": "2026-09-20",
         "complaint_right_notified": True},
    ]), "2026-10")
    assert_offends(found, "report.history_changed", "H-1", changed_fields=["received_on", "forwarded_on"])
    assert_offends(found, "deadline.late_response", "H-1", received_on="2026-09-01", due_on="2026-10-01")
    assert_offends(found, "report.history_changed", "H-3", changed_fields=["complaint_right_notified"])
    assert_passes(found, "report.history_changed", "H-2")
    assert_passes(found, "deadline.late_response", "H-2")

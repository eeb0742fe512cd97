"""Identity rules on small real report files (issue 13, items 1 and 3): the identity pause ends when the ID arrives,
and identity is verified wherever data is disclosed or changed."""

from __future__ import annotations

from tests.checkkit import assert_offends, assert_passes
from tests.reportkit import check_file, write_report


def test_an_identity_pause_needs_the_date_the_id_arrived(con, key_path, tmp_path):
    # Received 2 Mar, ID asked 3 Mar: due 2 Apr plus the pause (EDPB 01/2022 §159).
    path = write_report(tmp_path, "testcall_2026-06.csv", [
        # no ID-received date, answered 30 Jun: no pause, so late, and the missing date is itself an exception
        {"case_id": "P-1", "received_on": "2026-03-02", "request_type": "access", "identity_verified": True,
         "id_requested_on": "2026-03-03", "responded_on": "2026-06-30", "outcome": "fulfilled"},
        # the clean neighbour: ID back on 10 Mar, a 7-day pause, answered 8 Apr before the paused due date 9 Apr
        {"case_id": "P-2", "received_on": "2026-03-02", "request_type": "access", "identity_verified": True,
         "id_requested_on": "2026-03-03", "id_received_on": "2026-03-10", "responded_on": "2026-04-08",
         "outcome": "fulfilled"},
        # the ID never came and the answer says so: paused until that answer, nothing to evidence
        {"case_id": "P-3", "received_on": "2026-03-02", "request_type": "access",
         "id_requested_on": "2026-03-03", "responded_on": "2026-04-20", "outcome": "identity_not_confirmed",
         "complaint_right_notified": True},
    ])
    found = check_file(con, key_path, path, "2026-06")
    assert_offends(found, "identity.pause_unevidenced", "P-1", id_requested_on="2026-03-03", id_received_on=None)
    assert_offends(found, "deadline.late_response", "P-1", due_on="2026-04-02", paused_days=0)
    assert_passes(found, "identity.pause_unevidenced", "P-2")
    assert_passes(found, "deadline.late_response", "P-2")
    assert_passes(found, "identity.pause_unevidenced", "P-3")
    assert_passes(found, "deadline.late_response", "P-3")
    assert found.of("identity.pause_unevidenced")[0]["severity"] == "major"


def test_an_open_case_waiting_for_its_id_stays_paused(con, key_path, tmp_path):
    path = write_report(tmp_path, "testcall_2026-05.csv", [
        {"case_id": "W-1", "received_on": "2026-03-02", "request_type": "access", "id_requested_on": "2026-03-03"},
        {"case_id": "W-2", "received_on": "2026-03-02", "request_type": "access"},
    ])
    found = check_file(con, key_path, path, "2026-05")
    assert_passes(found, "deadline.overdue_open", "W-1")
    assert_offends(found, "deadline.overdue_open", "W-2")

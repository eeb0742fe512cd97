"""Identity rules on small real report files (issue 13, items 1 and 3): the identity pause ends when the ID arrives,
and identity is verified wherever data is disclosed or changed."""

from __future__ import annotations

from datetime import date

from findings.raising import raise_from_checks
from tests.checkkit import assert_offends, assert_passes
from tests.reportkit import OFFICER, PROCESSOR, check_file, write_report


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


def test_identity_is_verified_wherever_data_is_disclosed_or_changed(con, key_path, tmp_path):
    path = write_report(tmp_path, "testcall_2026-10.csv", [
        # access fulfilled for an unverified caller: personal data handed over, a possible breach (Art. 4(12))
        {"case_id": "V-1", "received_on": "2026-10-01", "request_type": "access", "identity_verified": False,
         "forwarded_on": "2026-10-01", "responded_on": "2026-10-09", "outcome": "fulfilled"},
        # an address changed for an unverified caller: the account-takeover route (Recital 64)
        {"case_id": "V-2", "received_on": "2026-10-01", "request_type": "rectification",
         "responded_on": "2026-10-02", "outcome": "fulfilled"},
        # clean neighbours: the same change for a verified caller; a complaint needs no verification
        {"case_id": "V-3", "received_on": "2026-10-01", "request_type": "rectification", "identity_verified": True,
         "responded_on": "2026-10-02", "outcome": "fulfilled"},
        {"case_id": "V-4", "received_on": "2026-10-01", "request_type": "complaint", "forwarded_on": "2026-10-01",
         "escalated_on": "2026-10-01", "responded_on": "2026-10-09", "outcome": "fulfilled"},
    ])
    found = check_file(con, key_path, path, "2026-10")
    assert assert_offends(found, "identity.not_verified", "V-1", request_type="access")["severity"] == "critical"
    assert assert_offends(found, "identity.not_verified", "V-2", request_type="rectification")["severity"] == "major"
    assert_passes(found, "identity.not_verified", "V-3")
    assert_passes(found, "identity.not_verified", "V-4")
    # A critical exception raises a critical finding (the major one a high finding).
    raise_from_checks(con, OFFICER, PROCESSOR, "2026-10", today=date(2026, 11, 10))
    [(severity, cases)] = con.execute(
        "SELECT f.severity, list(c.case_id ORDER BY c.case_id) FROM findings f JOIN finding_cases c USING (finding_id) "
        "WHERE f.source = 'check:identity.not_verified' GROUP BY ALL").fetchall()
    assert (severity, cases) == ("critical", ["V-1", "V-2"])

"""Repeat rules on small real report files (issue 13, item 11): asking again is a right, not a non-conformity
(EDPB 01/2022 §185), unless what the processor reported done visibly did not hold."""

from __future__ import annotations

from tests.checkkit import assert_offends, assert_passes
from tests.reportkit import check_file, write_report


def test_a_repeat_is_information_unless_a_fix_reported_done_did_not_hold(con, key_path, tmp_path):
    done = {"responded_on": "2026-10-02", "outcome": "fulfilled", "identity_verified": True}
    path = write_report(tmp_path, "testcall_2026-10.csv", [
        # an opt-out reported done, then asked again: marketing did not stop
        {"case_id": "O-1", "received_on": "2026-10-01", "request_type": "marketing_opt_out",
         "data_subject_ref": "CUST-1", "suppressed_on": "2026-10-01", **done},
        {"case_id": "O-2", "received_on": "2026-10-20", "request_type": "marketing_opt_out",
         "data_subject_ref": "CUST-1", "suppressed_on": "2026-10-20", **done, "responded_on": "2026-10-20"},
        # access asked twice: the person's right, for information only
        {"case_id": "A-1", "received_on": "2026-10-01", "request_type": "access", "data_subject_ref": "CUST-2",
         "forwarded_on": "2026-10-01", **done},
        {"case_id": "A-2", "received_on": "2026-10-20", "request_type": "access", "data_subject_ref": "CUST-2",
         "forwarded_on": "2026-10-20", **done, "responded_on": "2026-10-22"},
        # a rectification asked again while the first was refused: not a fix that failed
        {"case_id": "R-1", "received_on": "2026-10-01", "request_type": "rectification", "data_subject_ref": "CUST-3",
         "responded_on": "2026-10-02", "outcome": "refused", "refusal_reason": "no proof of the new address",
         "complaint_right_notified": True, "judicial_remedy_notified": True, "identity_verified": True,
         "escalated_on": "2026-10-01"},
        {"case_id": "R-2", "received_on": "2026-10-20", "request_type": "rectification", "data_subject_ref": "CUST-3",
         **done, "responded_on": "2026-10-21"},
    ])
    found = check_file(con, key_path, path, "2026-10")
    row = assert_offends(found, "repeat.fix_not_held", "O-2", earlier_fulfilled_ids=["O-1"])
    assert row["severity"] == "major"
    assert_passes(found, "repeat.fix_not_held", "O-1")
    assert_passes(found, "repeat.fix_not_held", "A-2")  # access is not a fix that can fail to hold
    assert_passes(found, "repeat.fix_not_held", "R-2")
    for repeat in ("O-2", "A-2", "R-2"):
        assert assert_offends(found, "repeat.same_request", repeat)["severity"] == "info"

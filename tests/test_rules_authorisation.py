"""sla.answered_without_authorisation on a small real report file (issue 13, item 12): it applies to the request
types the profile lists as needing the controller's authorisation, not to complaints or `other`."""

from __future__ import annotations

from tests.checkkit import assert_offends, assert_passes
from tests.reportkit import check_file, write_report


def test_answering_without_authorisation_is_judged_for_the_listed_types_only(con, key_path, tmp_path):
    answered = {"received_on": "2026-10-01", "responded_on": "2026-10-02", "outcome": "fulfilled",
                "identity_verified": True}
    path = write_report(tmp_path, "testcall_2026-10.csv", [
        {"case_id": "U-1", "request_type": "access", **answered},  # a right the controller answers: never forwarded
        {"case_id": "U-2", "request_type": "access", **answered, "forwarded_on": "2026-10-01"},
        {"case_id": "U-3", "request_type": "other", **answered},  # a question the call centre may answer
        {"case_id": "U-4", "request_type": "complaint", **answered, "escalated_on": "2026-10-01"},
    ], columns=["forwarded_on"])
    found = check_file(con, key_path, path, "2026-10")
    assert assert_offends(found, "sla.answered_without_authorisation", "U-1")["severity"] == "major"
    for clean in ("U-2", "U-3", "U-4"):
        assert_passes(found, "sla.answered_without_authorisation", clean)
    # Forwarding is still due for every type the processor does not handle itself.
    assert_offends(found, "sla.forwarding_late", "U-3")

"""Identity, contract service-level, repeat and training checks on tiny inline reports (docs/checks.md)."""

from __future__ import annotations

from tests.checkkit import add_report, assert_offends, assert_passes, run

# Belgian calendar: Thu 2 Apr 2026 received; Fri 3 Apr is the 1st working day after, Mon 6 Apr (Easter Monday) is a
# holiday, so Tue 7 Apr is the 2nd and Fri 10 Apr the 5th.
CASES = [
    {"case_id": "access-unverified", "received_on": "2026-04-02", "forwarded_on": "2026-04-03",
     "responded_on": "2026-04-20", "outcome": "fulfilled", "identity_verified": False},
    {"case_id": "portability-partial-unknown", "received_on": "2026-04-02", "forwarded_on": "2026-04-03",
     "responded_on": "2026-04-20", "outcome": "partially_fulfilled", "request_type": "portability",
     "identity_verified": None},
    {"case_id": "access-no-data-unverified", "received_on": "2026-04-02", "forwarded_on": "2026-04-03",
     "responded_on": "2026-04-20", "outcome": "no_data", "identity_verified": False},
    {"case_id": "optout-id-asked", "received_on": "2026-04-02", "request_type": "marketing_opt_out",
     "id_requested_on": "2026-04-03", "suppressed_on": "2026-04-10", "responded_on": "2026-04-10",
     "outcome": "fulfilled"},
    {"case_id": "access-id-asked-day-5", "received_on": "2026-04-02", "forwarded_on": "2026-04-03",
     "id_requested_on": "2026-04-07", "id_received_on": "2026-04-08"},
    {"case_id": "erasure-fwd-2nd-wd", "received_on": "2026-04-02", "request_type": "erasure",
     "forwarded_on": "2026-04-07", "escalated_on": "2026-04-07"},
    {"case_id": "erasure-fwd-3rd-wd", "received_on": "2026-04-02", "request_type": "erasure",
     "forwarded_on": "2026-04-08", "escalated_on": "2026-04-08"},
    {"case_id": "erasure-never-fwd", "received_on": "2026-04-02", "request_type": "erasure",
     "escalated_on": "2026-04-03"},
    {"case_id": "access-answered-unforwarded", "received_on": "2026-04-02", "responded_on": "2026-04-09",
     "outcome": "fulfilled"},
    {"case_id": "rectification-by-processor", "received_on": "2026-04-02", "request_type": "rectification",
     "responded_on": "2026-04-03", "outcome": "fulfilled"},
    {"case_id": "complaint-not-escalated", "received_on": "2026-04-02", "request_type": "complaint",
     "forwarded_on": "2026-04-03", "responded_on": "2026-04-15", "outcome": "fulfilled"},
    {"case_id": "access-refused-not-escalated", "received_on": "2026-04-02", "forwarded_on": "2026-04-03",
     "responded_on": "2026-04-15", "outcome": "refused", "refusal_reason": "x", "complaint_right_notified": True},
    {"case_id": "objection-just-in", "received_on": "2026-04-29", "request_type": "objection",
     "forwarded_on": "2026-04-29"},
    {"case_id": "optout-5th-wd", "received_on": "2026-04-02", "request_type": "marketing_opt_out",
     "suppressed_on": "2026-04-10"},
    {"case_id": "optout-6th-wd", "received_on": "2026-04-02", "request_type": "marketing_opt_out",
     "suppressed_on": "2026-04-13"},
    {"case_id": "optout-answered-unsuppressed", "received_on": "2026-04-02", "request_type": "marketing_opt_out",
     "responded_on": "2026-04-03", "outcome": "fulfilled"},
    {"case_id": "optout-open-in-time", "received_on": "2026-04-28", "request_type": "marketing_opt_out"},
]


def _found(con):
    add_report(con, "2026-04", CASES)
    return run(con)


def test_disclosure_without_verified_identity_is_major(con):
    found = _found(con)
    assert_offends(found, "identity.not_verified", "access-unverified")
    assert_offends(found, "identity.not_verified", "portability-partial-unknown")
    assert_passes(found, "identity.not_verified", "access-no-data-unverified")  # nothing disclosed


def test_identification_for_an_opt_out_is_disproportionate(con):
    found = _found(con)
    assert_offends(found, "identity.disproportionate", "optout-id-asked")
    assert_passes(found, "identity.disproportionate", "access-id-asked-day-5")


def test_identification_asked_on_the_last_allowed_day_pauses_the_clock(con):
    assert_passes(_found(con), "identity.late_request", "access-id-asked-day-5")


def test_forwarding_is_late_after_the_second_working_day_skipping_easter_monday(con):
    found = _found(con)
    assert_passes(found, "sla.forwarding_late", "erasure-fwd-2nd-wd")
    assert_offends(found, "sla.forwarding_late", "erasure-fwd-3rd-wd", forward_due_on="2026-04-07")
    assert_offends(found, "sla.forwarding_late", "erasure-never-fwd", forwarded_on=None)
    assert_passes(found, "sla.forwarding_late", "optout-5th-wd")  # handled by the processor: not tested


def test_answering_a_request_it_may_not_handle_without_forwarding(con):
    found = _found(con)
    assert_offends(found, "sla.answered_without_authorisation", "access-answered-unforwarded")
    assert_passes(found, "sla.answered_without_authorisation", "rectification-by-processor")


def test_escalation_missing_for_complaints_and_refusals_once_answered_or_due(con):
    found = _found(con)
    assert_offends(found, "sla.escalation_missing", "complaint-not-escalated")
    assert_offends(found, "sla.escalation_missing", "access-refused-not-escalated")
    assert_passes(found, "sla.escalation_missing", "objection-just-in")  # received 29 Apr, escalation due 4 May


def test_escalation_after_the_second_working_day_is_late(con):
    found = _found(con)
    assert_passes(found, "sla.escalation_late", "erasure-fwd-2nd-wd")
    assert_offends(found, "sla.escalation_late", "erasure-fwd-3rd-wd", escalation_due_on="2026-04-07")


def test_opt_out_must_be_effective_by_the_fifth_working_day(con):
    found = _found(con)
    assert_passes(found, "marketing.optout_not_effective", "optout-5th-wd")
    assert_offends(found, "marketing.optout_not_effective", "optout-6th-wd", optout_due_on="2026-04-10")
    assert_offends(found, "marketing.optout_not_effective", "optout-answered-unsuppressed")
    assert_passes(found, "marketing.optout_not_effective", "optout-open-in-time")


def test_repeated_requests_within_the_window(con):
    add_report(con, "2026-01", [
        {"case_id": "s1-optout-1", "received_on": "2026-01-05", "request_type": "marketing_opt_out",
         "data_subject_ref": "S1"},
        {"case_id": "s2-access-1", "received_on": "2026-01-10", "data_subject_ref": "S2"},
        {"case_id": "s3-access-1", "received_on": "2026-01-02", "data_subject_ref": "S3"},
    ])
    add_report(con, "2026-03", [
        {"case_id": "s1-optout-2", "received_on": "2026-03-01", "request_type": "marketing_opt_out",
         "data_subject_ref": "S1"},
        {"case_id": "s2-access-2", "received_on": "2026-03-11", "data_subject_ref": "S2"},
        {"case_id": "s3-access-2", "received_on": "2026-04-03", "data_subject_ref": "S3"},  # 91 days later
        {"case_id": "s2-erasure", "received_on": "2026-03-12", "request_type": "erasure", "data_subject_ref": "S2"},
    ])
    add_report(con, "2026-04", [
        {"case_id": "s2-access-3", "received_on": "2026-04-01", "data_subject_ref": "S2"},
    ])
    found = run(con)
    assert_passes(found, "repeat.same_request", "s1-optout-1")  # the first request is not a repeat
    # Asking again is a right (EDPB 01/2022 §185): a repeat is for information, however often.
    assert assert_offends(found, "repeat.same_request", "s1-optout-2", earlier_case_ids=["s1-optout-1"])[
        "severity"] == "info"
    assert assert_offends(found, "repeat.same_request", "s2-access-2", earlier_count=1)["severity"] == "info"
    assert assert_offends(found, "repeat.same_request", "s2-access-3", earlier_count=2)["severity"] == "info"
    assert_passes(found, "repeat.fix_not_held", "s1-optout-2")  # the first opt-out was never reported done
    assert_passes(found, "repeat.same_request", "s3-access-2")
    assert_passes(found, "repeat.same_request", "s2-erasure")  # another type


def test_training_must_be_within_twelve_months_before_receipt(con):
    roster = [("agent.fresh", "2025-05-01"), ("agent.stale", "2024-01-15")]
    add_report(con, "2026-04", [
        {"case_id": "fresh-on-anniversary", "received_on": "2026-04-30", "agent_id": "agent.fresh"},
        {"case_id": "stale", "received_on": "2026-04-02", "agent_id": "agent.stale"},
        {"case_id": "newcomer", "received_on": "2026-04-02", "agent_id": "agent.new"},
    ], training=roster)
    add_report(con, "2026-05", [
        {"case_id": "fresh-expired", "received_on": "2026-05-02", "agent_id": "agent.fresh"},
    ], training=roster)
    add_report(con, "2026-04", [{"case_id": "no-roster", "received_on": "2026-04-02", "agent_id": "x"}],
               processor="Rosterless")
    found = run(con)
    # one exception per agent and report, listing the cases handled without current training
    stale = {(r["period"], r["details"]["agent_id"]): r["details"] for r in found.of("training.not_current")}
    assert stale[("2026-04", "agent.stale")]["cases"] == ["stale"]
    assert stale[("2026-04", "agent.stale")]["last_trained_on"] == "2024-01-15"
    assert stale[("2026-05", "agent.fresh")]["cases"] == ["fresh-expired"]
    assert ("2026-04", "agent.fresh") not in stale  # trained on the anniversary: still current
    [unknown] = found.of("training.agent_unknown")
    assert (unknown["details"]["agent_id"], unknown["details"]["cases"]) == ("agent.new", ["newcomer"])
    assert ("2026-04", "agent.new") not in stale  # unknown, not untrained
    assert found.results[("training.agent_unknown", "Rosterless", "2026-04")][:2] == (0, 0)

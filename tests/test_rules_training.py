"""Training rules on small real report files (issue 13, item 4): training cannot pass by silence. A report without
the roster, a case without an agent and an agent without a confidentiality undertaking are exceptions; training
exceptions are one per agent and report, listing the agent's cases."""

from __future__ import annotations

from tests.checkkit import assert_offends, assert_passes
from tests.reportkit import check_file, write_report, write_workbook

CASE = {"received_on": "2026-10-05", "request_type": "rectification", "identity_verified": True,
        "responded_on": "2026-10-06", "outcome": "fulfilled"}


def test_agents_are_checked_one_by_one_with_their_cases(con, key_path, tmp_path):
    path = write_workbook(tmp_path, "testcall_2026-10.xlsx", [
        {"case_id": "T-1", **CASE, "agent_id": "old.hand"},
        {"case_id": "T-2", **CASE, "agent_id": "old.hand"},
        {"case_id": "T-3", **CASE, "agent_id": "new.hire"},
        {"case_id": "T-4", **CASE, "agent_id": "good.one"},
        {"case_id": "T-5", **CASE, "agent_id": "good.one"},
        {"case_id": "T-6", **CASE},  # nobody named
    ], [
        {"agent_id": "old.hand", "trained_on": "2025-03-01", "confidentiality_signed_on": "2020-01-06"},
        {"agent_id": "good.one", "trained_on": "2026-02-01", "confidentiality_signed_on": "2024-05-02"},
        {"agent_id": "no.paper", "trained_on": "2026-02-01"},  # on the roster, no undertaking
    ])
    found = check_file(con, key_path, path, "2026-10")
    [stale] = found.of("training.not_current")
    assert stale["details"]["agent_id"] == "old.hand" and stale["details"]["cases"] == ["T-1", "T-2"]
    [unknown] = found.of("training.agent_unknown")
    assert (unknown["details"]["agent_id"], unknown["details"]["cases"]) == ("new.hire", ["T-3"])
    [unsigned] = found.of("confidentiality.not_signed")
    assert (unsigned["details"]["agent_id"], unsigned["severity"]) == ("no.paper", "major")
    assert assert_offends(found, "training.agent_missing", "T-6")["severity"] == "minor"
    assert_passes(found, "training.agent_missing", "T-4")
    assert not found.of("training.roster_missing")  # the workbook carried its roster


def test_a_report_without_the_roster_the_contract_requires(con, key_path, tmp_path):
    path = write_report(tmp_path, "testcall_2026-10.csv", [{"case_id": "T-1", **CASE, "agent_id": "old.hand"}])
    found = check_file(con, key_path, path, "2026-10")
    row = assert_offends(found, "training.roster_missing", None, file_name="testcall_2026-10.csv")
    assert row["severity"] == "major"
    assert not found.of("training.not_current") and not found.of("training.agent_unknown")  # nothing to check against

"""Notice rules on small real report files (issue 13, items 7 and 8): an extension and a refusal need their reasons,
and a refusal tells the person of both remedies, the supervisory authority and the courts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.checkkit import assert_offends, assert_passes
from tests.reportkit import check_file, write_report

ROOT = Path(__file__).resolve().parents[1]
EXTENDED = {"received_on": "2026-08-03", "request_type": "access", "identity_verified": True,
            "forwarded_on": "2026-08-03", "extension_notified_on": "2026-08-20", "responded_on": "2026-10-05",
            "outcome": "fulfilled"}  # one-month date Thu 3 Sep, three-month date Tue 3 Nov


def extension_report(folder: Path) -> Path:
    return write_report(folder, "testcall_2026-10.csv", [
        {"case_id": "E-1", **EXTENDED},  # no reason given
        {"case_id": "E-2", **EXTENDED, "extension_reason": "records held in three systems"},
        {"case_id": "R-1", "received_on": "2026-10-01", "request_type": "erasure", "identity_verified": True,
         "forwarded_on": "2026-10-01", "escalated_on": "2026-10-01", "responded_on": "2026-10-09",
         "outcome": "refused", "complaint_right_notified": True, "judicial_remedy_notified": True},
        {"case_id": "R-2", "received_on": "2026-10-01", "request_type": "erasure", "identity_verified": True,
         "forwarded_on": "2026-10-01", "escalated_on": "2026-10-01", "responded_on": "2026-10-09",
         "outcome": "refused", "refusal_reason": "legal hold: open claim", "complaint_right_notified": True,
         "judicial_remedy_notified": True},
    ], columns=["extension_reason", "refusal_reason"])


def test_an_extension_without_its_reasons_is_no_extension(con, key_path, tmp_path):
    found = check_file(con, key_path, extension_report(tmp_path), "2026-10")
    row = assert_offends(found, "extension.no_reason", "E-1", extension_valid=False, due_on="2026-09-03")
    assert row["severity"] == "major"
    assert_offends(found, "deadline.late_response", "E-1", due_on="2026-09-03", extension_valid=False)
    assert_passes(found, "extension.no_reason", "E-2")
    assert_passes(found, "deadline.late_response", "E-2")  # extended to 3 Nov, answered 5 Oct


def test_a_refusal_without_its_reason_is_major(con, key_path, tmp_path):
    found = check_file(con, key_path, extension_report(tmp_path), "2026-10")
    assert assert_offends(found, "refusal.no_reason", "R-1", outcome="refused")["severity"] == "major"
    assert_passes(found, "refusal.no_reason", "R-2")


@pytest.fixture
def lenient_contracts(tmp_path, monkeypatch):
    """A contracts folder whose default profile does not require an extension's reasons."""
    folder = tmp_path / "contracts"
    shutil.copytree(ROOT / "contracts", folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    default = folder / "default.toml"
    default.write_text(default.read_text(encoding="utf-8").replace(
        "extension_requires_reason = true", "extension_requires_reason = false"), encoding="utf-8")
    monkeypatch.setenv("OVERSIGHT_CONTRACTS", str(folder))


def test_a_profile_may_accept_an_extension_without_reasons_then_the_missing_reason_is_minor(
        con, key_path, tmp_path, lenient_contracts):
    found = check_file(con, key_path, extension_report(tmp_path), "2026-10")
    row = assert_offends(found, "extension.no_reason", "E-1", extension_valid=True, due_on="2026-11-03")
    assert row["severity"] == "minor"
    assert_passes(found, "deadline.late_response", "E-1")


def test_a_refusal_tells_of_the_judicial_remedy_too_and_goes_out_in_the_first_month(con, key_path, tmp_path):
    refusal = {"request_type": "erasure", "identity_verified": True, "outcome": "refused",
               "refusal_reason": "legal hold: open claim", "complaint_right_notified": True}
    october = {"received_on": "2026-10-01", "forwarded_on": "2026-10-01", "escalated_on": "2026-10-01",
               "responded_on": "2026-10-09"}
    path = write_report(tmp_path, "testcall_2026-10.csv", [
        # the complaint notice alone is half the notice of Art. 12(4)
        {"case_id": "N-1", **october, **refusal, "judicial_remedy_notified": False},
        {"case_id": "N-2", **october, **refusal, "judicial_remedy_notified": True},
        # validly extended (to 3 Nov), but the refusal went out after the one-month date (3 Sep)
        {"case_id": "N-3", **EXTENDED, **refusal, "escalated_on": "2026-08-03",
         "extension_reason": "records held in three systems", "judicial_remedy_notified": True},
    ])
    found = check_file(con, key_path, path, "2026-10")
    row = assert_offends(found, "refusal.no_remedy_notice", "N-1", judicial_remedy_notified=False)
    assert row["severity"] == "major"
    assert_passes(found, "refusal.no_remedy_notice", "N-2")
    assert_passes(found, "refusal.no_remedy_notice", "N-3")
    late = assert_offends(found, "refusal.after_one_month", "N-3", one_month_due_on="2026-09-03", extension_valid=True)
    assert late["severity"] == "minor"
    assert_passes(found, "deadline.late_response", "N-3")
    assert_passes(found, "refusal.after_one_month", "N-1")
    assert con.execute("SELECT count(*) FROM quarantine").fetchall() == [(0,)]
    stored = dict(con.execute("SELECT case_id, judicial_remedy_notified FROM cases").fetchall())
    assert stored == {"N-1": False, "N-2": True, "N-3": True}  # read from the 'Judicial remedy notified' column

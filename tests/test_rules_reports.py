"""Report rules on small real report files (issue 13, items 6 and 9): an unusable report is not a warning, and a
field the contract requires is missing once, for the report, not case by case."""

from __future__ import annotations

from tests.checkkit import assert_offends
from tests.reportkit import check_file, contracts_with, write_report


def cases(n: int, bad: int, prefix: str, month: str = "10") -> list[dict[str, object]]:
    """n answered rectifications of the month, the first `bad` with a receipt date that does not exist."""
    return [{"case_id": f"{prefix}-{i}", "received_on": "31/02/2026" if i < bad else f"2026-{month}-01",
             "request_type": "rectification", "identity_verified": True, "responded_on": f"2026-{month}-02",
             "outcome": "fulfilled"} for i in range(n)]


def test_more_than_the_share_of_rows_quarantined_is_major(con, key_path, tmp_path):
    heavy = check_file(con, key_path, write_report(tmp_path, "heavy_2026-10.csv", cases(10, 1, "H")), "2026-10",
                       processor="Heavy BV", quarantined=1)
    row = assert_offends(heavy, "report.rows_quarantined", None, rows_quarantined=1, data_rows=10, share=0.1)
    assert row["severity"] == "major"  # 10 % of the rows, above the default 5 %
    light = check_file(con, key_path, write_report(tmp_path, "light_2026-10.csv", cases(30, 1, "L")), "2026-10",
                       processor="Light BV", quarantined=1)
    assert assert_offends(light, "report.rows_quarantined", None, data_rows=30)["severity"] == "minor"
    clean = check_file(con, key_path, write_report(tmp_path, "clean_2026-10.csv", cases(5, 0, "C")), "2026-10",
                       processor="Clean BV")
    assert not clean.of("report.rows_quarantined")


def test_a_report_none_of_whose_rows_load_counts_as_missing(con, key_path, tmp_path):
    september = check_file(con, key_path, write_report(tmp_path, "void_2026-09.csv", cases(3, 0, "S", "09")), "2026-09",
                           processor="Void BV")
    assert not september.of("report.missing")
    found = check_file(con, key_path, write_report(tmp_path, "void_2026-10.csv", cases(3, 3, "O")), "2026-10",
                       processor="Void BV", quarantined=3)
    assert_offends(found, "report.missing", None, missing_period="2026-10")
    assert assert_offends(found, "report.rows_quarantined", None, rows_quarantined=3)["severity"] == "major"


def test_a_field_the_contract_requires_is_missing_once_for_the_report(con, key_path, tmp_path, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_CONTRACTS", str(contracts_with(tmp_path, {
        "required_fields = []": 'required_fields = ["identity_verified", "agent_id"]'})))
    without = [{"case_id": f"F-{i}", "received_on": "2026-10-01", "request_type": "access",
                "forwarded_on": "2026-10-01", "responded_on": "2026-10-09", "outcome": "fulfilled",
                "agent_id": "agent.one"} for i in range(3)]
    found = check_file(con, key_path, write_report(tmp_path, "nocol_2026-10.csv", without), "2026-10",
                       processor="Nocol BV")
    [row] = found.of("report.field_missing")
    assert (row["case_id"], row["severity"], row["details"]["missing_fields"]) == (None, "major", ["identity_verified"])
    # ...once, for the report: the identity check does not fail every access case for want of the column
    assert not found.of("identity.not_verified")
    complete = check_file(con, key_path, write_report(
        tmp_path, "full_2026-10.csv", [{**c, "identity_verified": True} for c in without]), "2026-10",
        processor="Full BV")
    assert not complete.of("report.field_missing")

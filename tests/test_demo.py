"""The demo data: every manifest report loads, counts add up, and the planted report-level problems are there."""

from __future__ import annotations

from ingest import queries
from ingest.demo import load_demo, manifest


def test_demo_loads_every_sample_report_and_is_idempotent(con, officer, key_path):
    entries = manifest()
    results = load_demo(con, user=officer, key_path=key_path)
    assert len(results) == len(entries) >= 7
    assert {r.processor for r in results} == {"Belcall Antwerpen BV", "Appelia Services SRL"}
    assert "resubmission" in {r.status for r in results}
    for r in results:
        assert r.rows_read == r.rows_loaded + r.rows_quarantined + r.rows_skipped
    assert sum(r.rows_quarantined for r in results) > 0  # report.rows_quarantined has something to find
    again = load_demo(con, user=officer, key_path=key_path)
    assert {r.status for r in again} == {"duplicate"}


def test_demo_reports_cover_months_formats_and_a_training_roster(con, officer, key_path):
    load_demo(con, user=officer, key_path=key_path)
    reports = queries.list_reports(con, include_superseded=False)
    assert {r["format"] for r in reports} == {"csv", "xlsx"}
    appelia = {r["period"] for r in reports if r["processor"] == "Appelia Services SRL"}
    belcall = {r["period"] for r in reports if r["processor"] == "Belcall Antwerpen BV"}
    assert len(belcall) >= 3 and "2026-09" not in appelia  # report.missing is planted for Appelia September
    assert con.execute("SELECT count(*) FROM training").fetchall()[0][0] > 0
    cases_in = {r["period"]: r["counts"]["cases"]["rows_read"] - r["counts"]["cases"]["rows_skipped"]
                for r in reports if r["processor"] == "Appelia Services SRL"}
    declared = {r["period"]: r["declared_total"] for r in reports if r["processor"] == "Appelia Services SRL"}
    assert declared["2026-07"] == cases_in["2026-07"]
    assert declared["2026-10"] != cases_in["2026-10"]  # report.totals_mismatch is planted in October

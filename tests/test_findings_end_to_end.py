"""One walk through the real flow: ingest → check run → findings → spot check → findings → closed, trail intact."""

from __future__ import annotations

from datetime import date

from checks.runner import run_checks
from findings import queries
from findings.raising import raise_from_checks, raise_from_reviews
from findings.service import move, respond
from spotchecks.review import record_review
from spotchecks.samples import draw_sample
from store.audit import verify_chain
from tests.conftest import HEADER_NL, nl_row

PROCESSOR = "Belcall Antwerpen BV"


def test_ingest_check_raise_review_raise_and_close(con, officer, write_csv, ingest):
    # BC-2 was received on 5 October and answered on 20 November: past the one-month deadline (GDPR Art. 12(3)).
    ingest(write_csv("belcall_2026-10.csv", [
        HEADER_NL, nl_row("BC-1", responded="12-10-2026", outcome="Uitgevoerd"),
        nl_row("BC-2", responded="20-11-2026", outcome="Uitgevoerd"),
        nl_row("BC-3", responded="15-10-2026", outcome="Uitgevoerd"),
    ]), submitted_on=date(2026, 11, 25))
    run_checks(con, officer, processor=PROCESSOR, period="2026-10", as_of=date(2026, 11, 30))
    raised = raise_from_checks(con, officer, PROCESSOR, "2026-10", today=date(2026, 12, 1))
    late = next(queries.get_finding(con, r.finding_id) for r in raised
                if queries.get_finding(con, r.finding_id)["source"] == "check:deadline.late_response")
    assert late["case_ids"] == ["BC-2"] and late["severity"] == "high" and late["clause"] == "SCC 8(b)"
    assert {r.outcome for r in raise_from_checks(con, officer, PROCESSOR, "2026-10")} == {"unchanged"}

    sample = draw_sample(con, officer, processor=PROCESSOR, period="2026-10", size=3, seed="42")
    record_review(con, officer, sample.sample_id, "BC-2", "timely", "no", "answered after 46 days")
    # The same problem, seen by the check and by the reviewer: one finding, the review recorded on it (issue 12 §7).
    [spot] = raise_from_reviews(con, officer, sample.sample_id, today=date(2026, 12, 1))
    assert (spot.finding_id, spot.outcome) == (late["finding_id"], "merged")
    assert queries.get_finding(con, spot.finding_id)["source"] == "check:deadline.late_response"

    respond(con, officer, spot.finding_id, "accepted", "Deadline alerts added to the CRM.")
    for status in ("notified", "remediation_planned", "remediated", "closed"):
        move(con, officer, late["finding_id"], status)
    assert queries.get_finding(con, late["finding_id"])["status"] == "closed"
    assert not any(f["finding_id"] == late["finding_id"]
                   for f in queries.list_findings(con, overdue=True, as_of=date(2027, 6, 1)))
    assert verify_chain(con).intact

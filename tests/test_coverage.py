"""Clause coverage on the demo reports checked by the real runner: what evidences each clause and what it showed.

Reference values are the planted problems of sample_reports/README.md (as of the last day of each report's period,
default profile, Belgian calendar) and the check → clause mapping of contracts/default.toml and nl.toml.
"""

from __future__ import annotations

import dataclasses

import duckdb
import pytest

from checks.contract import load_profile
from checks.coverage import Kind, Status, clause_coverage, result_text
from findings.raising import raise_from_checks
from findings.service import move
from spotchecks.review import record_reviews
from spotchecks.samples import draw_sample, replace_case
from store.identity import ROLES, User

BELCALL = "Belcall Antwerpen BV"
APPELIA = "Appelia Services SRL"
OFFICER = User("olivia", ROLES)
AUDITOR = User("aude", ("auditor",))
SERVICE_LEVELS = ("SL 1", "SL 2", "SL 3", "SL 4", "SL 5", "SL 6")


@pytest.fixture
def demo(checked_demo: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Here the demo is checked: conftest's copy of the demo reports with every report checked once."""
    return checked_demo


def evidence(coverage, ref: str) -> dict[str, tuple[int, int]]:
    return {e.id: (e.tested, e.offending) for e in coverage.by_ref(ref).evidence}


def test_a_clause_whose_checks_found_exceptions_shows_the_offending_cases(demo):
    coverage = clause_coverage(demo, BELCALL, "2026-10")
    scc8b = coverage.by_ref("SCC 8(b)")
    found = evidence(coverage, "SCC 8(b)")
    # README: BC-260818-01 answered late, BC-260908-01 overdue and open, BC-261005-01 suppressed on the 10th
    # working day; BC-261001-01 and BC-261002-01 due soon (information, not a shortfall).
    assert found["deadline.late_response"][1] == 1
    assert found["deadline.overdue_open"][1] == 1
    assert found["marketing.optout_not_effective"][1] == 1
    assert found["deadline.due_soon"][1] == 2
    assert scc8b.status is Status.EXCEPTIONS
    assert scc8b.offending == 3
    assert result_text(scc8b) == "3 offending case(s); 2 for information (e.g. due soon)"


def test_counts_come_from_the_latest_check_results(demo):
    coverage = clause_coverage(demo, APPELIA, "2026-10")
    stored = {r[0]: (r[1], r[2]) for r in demo.execute(
        "SELECT check_id, cases_tested, cases_offending FROM latest_check_results "
        "WHERE processor = ? AND period = ?", [APPELIA, "2026-10"]).fetchall()}
    shown = {e.id: (e.tested, e.offending) for c in coverage.clauses for e in c.evidence
             if e.kind is Kind.CHECK and e.via is None}
    assert shown == stored
    # README: `Nombre de dossiers` 382 against 379 rows, so report.totals_mismatch offends once: logged against SL 1
    # (Monthly reporting), and shown under SCC 7.6(c), the clause SL 1 implements (issue 13, item 14).
    assert evidence(coverage, "SL 1")["report.totals_mismatch"] == (1, 1)
    [via] = [e for e in coverage.by_ref("SCC 7.6(c)").evidence if e.id == "report.totals_mismatch"]
    assert (via.tested, via.offending, via.via) == (1, 1, "SL 1")
    assert coverage.by_ref("SCC 7.6(c)").status is Status.EXCEPTIONS


def test_every_service_level_item_of_the_default_profile_is_evidenced(demo):
    coverage = clause_coverage(demo, BELCALL, "2026-10")
    for ref in SERVICE_LEVELS:
        sl = coverage.by_ref(ref)
        assert sl.evidence and sl.status is not Status.NOT_EVIDENCED, ref
    # Belcall sends no training roster (README): training.roster_missing offends under SL 5 and SCC 7.4(b).
    assert evidence(coverage, "SL 5")["training.roster_missing"] == (1, 1)
    assert coverage.by_ref("SCC 7.4(b)").status is Status.EXCEPTIONS
    # Nothing sampled yet: the case records of SL 6 are evidenced but not tested.
    assert [e.id for e in coverage.by_ref("SL 6").evidence] == ["case_records"]
    assert coverage.by_ref("SL 6").status is Status.NOT_TESTED


def test_an_unable_case_counts_against_the_case_records_item(demo):
    drawn = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", size=2, seed="records")
    first, second = (p.case_id for p in drawn.random_part)
    record_reviews(demo, AUDITOR, drawn.sample_id, first, {"timely": ("unable", "case file not supplied")})
    record_reviews(demo, AUDITOR, drawn.sample_id, second, {"timely": ("yes", None)})
    sl6 = clause_coverage(demo, BELCALL, "2026-10").by_ref("SL 6")
    assert evidence_of(sl6, "case_records") == (2, 1)
    assert sl6.status is Status.EXCEPTIONS


def evidence_of(clause, evidence_id: str) -> tuple[int, int]:
    [found] = [(e.tested, e.offending) for e in clause.evidence if e.id == evidence_id and e.via is None]
    return found


def test_every_clause_of_the_register_is_listed_in_register_order(demo):
    profile = load_profile("default")
    coverage = clause_coverage(demo, BELCALL, "2026-10")
    assert [c.clause.ref for c in coverage.clauses] == list(profile.clauses)
    assert (coverage.profile, coverage.profile_sha256) == ("default", profile.sha256)
    mapped = [e.id for c in coverage.clauses for e in c.evidence if e.via is None]
    assert sorted(mapped) == sorted([*profile.check_clauses, *profile.rubric_clauses, "case_records"])


def test_the_evidence_follows_the_profile_given_and_says_where_the_run_logged_it(demo):
    default = load_profile("default")
    # A contract that logs forwarding against the standard clause itself, not the annex item.
    other = dataclasses.replace(default, name="other", sha256="0" * 64, check_clauses={
        **default.check_clauses, "sla.forwarding_late": "SCC 8(a)"})
    coverage = clause_coverage(demo, BELCALL, "2026-10", other)
    [forwarding] = [e for e in coverage.by_ref("SCC 8(a)").evidence if e.id == "sla.forwarding_late"]
    assert forwarding.was_tested and forwarding.logged_against == "SL 2"  # the run used the default profile
    assert forwarding.via is None
    assert "sla.forwarding_late" not in {e.id for e in coverage.by_ref("SL 2").evidence}
    assert coverage.other_profile_runs == (("default", default.sha256),)


def test_a_month_without_a_check_run_has_nothing_tested(demo):
    coverage = clause_coverage(demo, BELCALL, "2026-11")
    assert {c.status for c in coverage.clauses} == {Status.NOT_EVIDENCED, Status.NOT_TESTED}
    assert clause_coverage(demo, BELCALL, None).clauses == coverage.clauses


def test_a_check_that_failed_to_run_does_not_count_as_tested(demo):
    demo.execute("UPDATE check_results SET cases_tested = 0, cases_offending = 0, error = 'Binder Error: x' "
                 "WHERE processor = ? AND period = '2026-10' AND clause = 'SL 1'", [BELCALL])
    sl1 = clause_coverage(demo, BELCALL, "2026-10").by_ref("SL 1")
    assert sl1.status is Status.NOT_TESTED
    failed = len([c for c in load_profile("default").check_clauses.values() if c == "SL 1"])
    assert result_text(sl1) == f"not tested this month; {failed} check(s) failed to run"  # every report.* check


def test_review_answers_test_the_rubric_items_clause_and_a_no_is_a_deviation(demo):
    drawn = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", size=4, seed="coverage-test")
    first, second, third, fourth = (p.case_id for p in drawn.random_part)
    record_reviews(demo, AUDITOR, drawn.sample_id, first, {"timely": ("no", "answered on day 41"),
                                                           "minimisation": ("yes", None)})
    record_reviews(demo, AUDITOR, drawn.sample_id, second, {"timely": ("yes", None)})
    # not applicable although it applies: the reason is required
    record_reviews(demo, AUDITOR, drawn.sample_id, third, {"timely": ("na", "the case file holds no dates")})
    record_reviews(demo, AUDITOR, drawn.sample_id, fourth, {"timely": ("no", "late")})
    replace_case(demo, AUDITOR, drawn.sample_id, fourth, "not_a_request")  # a replaced case's answers do not count
    coverage = clause_coverage(demo, BELCALL, "2026-10")
    assert evidence(coverage, "SCC 8(b)")["timely"] == (2, 1)
    assert evidence(coverage, "SCC 7.4")["minimisation"] == (1, 0)
    assert evidence(coverage, "SCC 8(a)")["recognised"] == (0, 0)
    assert evidence(clause_coverage(demo, BELCALL, "2026-09"), "SCC 8(b)")["timely"] == (0, 0)  # another month


def test_a_clause_tested_only_by_a_spot_check_counts_as_tested(demo):
    demo.execute("DELETE FROM check_results WHERE processor = ? AND period = '2026-10'", [BELCALL])
    drawn = draw_sample(demo, AUDITOR, processor=BELCALL, period="2026-10", size=1, seed="only-review")
    record_reviews(demo, AUDITOR, drawn.sample_id, drawn.random_part[0].case_id, {"identity": ("no", "ID not asked")})
    scc74 = clause_coverage(demo, BELCALL, "2026-10").by_ref("SCC 7.4")
    assert scc74.status is Status.EXCEPTIONS
    assert [e.id for e in scc74.tested_by] == ["identity"]
    assert result_text(scc74) == "1 'no' in 1 review answer(s)"


def test_open_findings_are_listed_against_their_clause_until_dismissed(demo):
    raised = raise_from_checks(demo, OFFICER, BELCALL, "2026-10")
    coverage = clause_coverage(demo, BELCALL, "2026-10")
    open_ids = {f for c in coverage.clauses for f in c.open_findings}
    assert open_ids == {r.finding_id for r in raised}
    [(late,)] = demo.execute("SELECT finding_id FROM findings WHERE source = 'check:deadline.late_response'").fetchall()
    assert late in coverage.by_ref("SCC 8(b)").open_findings
    move(demo, OFFICER, late, "dismissed", reason="false positive")
    assert late not in clause_coverage(demo, BELCALL, "2026-10").by_ref("SCC 8(b)").open_findings
    assert clause_coverage(demo, BELCALL, "2026-09").by_ref("SCC 8(b)").open_findings == ()  # other month


def test_findings_against_a_clause_outside_the_register_are_reported_apart(demo):
    raise_from_checks(demo, OFFICER, BELCALL, "2026-10")
    assert clause_coverage(demo, BELCALL, "2026-10").stray_findings == {}
    demo.execute("UPDATE findings SET clause = 'SCC 99' WHERE source = 'check:deadline.late_response'")
    assert list(clause_coverage(demo, BELCALL, "2026-10").stray_findings) == ["SCC 99"]


def test_the_chart_counts_every_clause_once_per_part(demo):
    coverage = clause_coverage(demo, BELCALL, "2026-10")
    counts = coverage.counts()
    assert sum(int(c["clauses"]) for c in counts) == len(coverage.clauses) == 74
    # README (Belcall, October): a quarantined row (SL 1), the opt-out suppressed late (SL 3), no training roster
    # (SL 5); forwarding (SL 2) and escalation (SL 4) tested clean; nothing sampled for the case records (SL 6).
    assert [c for c in counts if c["part"] == "Service levels"] == [
        {"part": "Service levels", "status": "not tested", "clauses": 1},
        {"part": "Service levels", "status": "tested, no exceptions", "clauses": 2},
        {"part": "Service levels", "status": "exceptions", "clauses": 3}]
    # SCC 8(b) (deadlines, and SL 3/SL 4 implementing it), SCC 7.6(c) (via SL 1) and SCC 7.4(b) (via SL 5)
    assert {"part": "SCC", "status": "exceptions", "clauses": 3} in counts
    assert {c.clause.ref for c in coverage.clauses if c.clause.part == "SCC" and c.status is Status.EXCEPTIONS} == {
        "SCC 8(b)", "SCC 7.6(c)", "SCC 7.4(b)"}

"""The Checks page's read-side queries over a real database: the demo reports, checked by the real runner.

Reference values are the planted exceptions listed in sample_reports/README.md (evaluated as of the last day of
each report's period, default profile, Belgian calendar) and the clause titles of Implementing Decision 2021/915.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from checks.catalog import BY_ID, CHECKS
from checks.contract import load_profile
from checks.queries import (
    check_exceptions,
    check_table,
    flatten_details,
    latest_period,
    list_runs,
    non_conformities_by_month,
    open_cases_due,
    report_status,
)
from checks.runner import run_checks
from ingest.service import IngestResult
from store.db import connect, rows
from store.identity import ROLES, User
from tests.conftest import HEADER_NL, DemoFiles, copy_demo, nl_row

BELCALL = "Belcall Antwerpen BV"
APPELIA = "Appelia Services SRL"
OFFICER = User("olivia", ROLES)


# `demo` (conftest): a fresh copy of the demo database, not checked yet.


@pytest.fixture(scope="module")
def checked(checked_demo_files: DemoFiles, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[duckdb.DuckDBPyConnection]:
    """The demo reports checked once as of each report's last day (one copy for the module: read-only for the
    tests that use it)."""
    con = connect(copy_demo(checked_demo_files, tmp_path_factory.mktemp("checked") / "oversight.duckdb"))
    yield con
    con.close()


def by_id(table: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    return {str(r["check_id"]): r for r in table}


def test_check_table_lists_every_catalog_check_before_any_run(demo: duckdb.DuckDBPyConnection) -> None:
    table = check_table(demo, BELCALL, "2026-10")
    assert [r["check_id"] for r in table] == [c.id for c in CHECKS]
    assert len(table) == len(CHECKS)
    assert all(r["cases_tested"] is None and r["run_id"] is None for r in table)
    assert by_id(table)["sla.escalation_missing"]["clause"] == "Annex III"  # the catalog default without a profile
    status = report_status(demo, BELCALL, "2026-10")
    assert status["has_report"] and status["run_id"] is None and not status["stale"]


def test_period_without_a_report_says_so(demo: duckdb.DuckDBPyConnection) -> None:
    assert not report_status(demo, APPELIA, "2026-09")["has_report"]  # the missing September report
    assert latest_period(demo, APPELIA) == "2026-10"
    assert latest_period(demo, "Nobody NV") is None


def test_check_table_shows_the_latest_run_counts_and_clause_titles(checked: duckdb.DuckDBPyConnection) -> None:
    profile = load_profile("default")
    table = by_id(check_table(checked, BELCALL, "2026-10", profile.clauses, profile.check_clauses))
    stored = {r["check_id"]: r for r in rows(checked, "SELECT * FROM check_results WHERE processor = ? AND "
                                                      "period = '2026-10'", [BELCALL])}
    assert set(table) == set(stored)
    for check_id, row in table.items():
        assert (row["cases_tested"], row["cases_offending"]) == (stored[check_id]["cases_tested"],
                                                                 stored[check_id]["cases_offending"])
    assert table["deadline.due_soon"]["cases_offending"] == 2  # BC-261001-01, BC-261002-01
    assert table["deadline.overdue_open"]["cases_offending"] == 1  # BC-260908-01
    assert table["deadline.late_response"]["as_of"] == date(2026, 10, 31)
    status = report_status(checked, BELCALL, "2026-10")
    assert (status["run_id"], status["as_of"], status["checked_by"]) == (
        table["report.late"]["run_id"], date(2026, 10, 31), "olivia")
    # Implementing Decision 2021/915, Annex: Clause 8 "Assistance to the controller", Clause 7.6 "Documentation
    # and compliance".
    assert (table["deadline.late_response"]["clause"], table["deadline.late_response"]["clause_title"]) == (
        "SCC 8(b)", "Assistance to the controller")
    # The default profile logs the report checks against its service-level item SL 1 (issue 13, item 14).
    assert table["report.totals_mismatch"]["clause_title"] == "Monthly reporting"
    assert table["report.late"]["description"] == BY_ID["report.late"].description


def test_a_later_run_of_one_period_replaces_only_that_periods_results(demo: duckdb.DuckDBPyConnection) -> None:
    first = run_checks(demo, OFFICER)
    second = run_checks(demo, OFFICER, processor=BELCALL, period="2026-10", as_of=date(2026, 11, 3))
    october = by_id(check_table(demo, BELCALL, "2026-10"))
    assert {r["run_id"] for r in october.values()} == {second.run_id}
    assert october["deadline.late_response"]["as_of"] == date(2026, 11, 3)
    # As of 3 November the two cases due on Monday 2 November are overdue, no longer due soon.
    assert october["deadline.overdue_open"]["cases_offending"] == 3
    assert october["deadline.due_soon"]["cases_offending"] == 0
    assert {r["run_id"] for r in check_table(demo, BELCALL, "2026-09")} == {first.run_id}


def test_resubmission_after_a_run_makes_it_stale(ingest: Callable[..., IngestResult], write_csv: Callable[..., Path],
                                                  con: duckdb.DuckDBPyConnection) -> None:
    ingest(write_csv("r.csv", [HEADER_NL, nl_row("A-1")], "cp1252"), period="2026-10")
    run_checks(con, OFFICER)
    assert not report_status(con, BELCALL, "2026-10")["stale"]
    ingest(write_csv("r2.csv", [HEADER_NL, nl_row("A-1"), nl_row("A-2")], "cp1252"), period="2026-10")
    status = report_status(con, BELCALL, "2026-10")
    assert status["stale"] and status["run_id"] is not None


def test_exceptions_carry_the_case_facts_and_the_offending_values(checked: duckdb.DuckDBPyConnection) -> None:
    found = check_exceptions(checked, "deadline.late_response", BELCALL, "2026-10")
    assert len(found) == 1
    case = found[0]
    assert case["case_id"] == "BC-260818-01"
    assert (case["received_on"], case["request_type"], case["responded_on"], case["outcome"]) == (
        date(2026, 8, 18), "access", date(2026, 10, 6), "fulfilled")
    assert case["details"]["due_on"] == "2026-09-18"  # 18 August + one month, a Friday
    assert case["details"]["days_late"] == 18
    assert case["clause"] == "SCC 8(b)"


def test_exceptions_never_return_the_data_subject_pseudonym(checked: duckdb.DuckDBPyConnection) -> None:
    refs = {r["data_subject_ref"] for r in rows(checked, "SELECT data_subject_ref FROM cases "
                                                         "WHERE data_subject_ref IS NOT NULL")}
    for check in CHECKS:
        for period in ("2026-07", "2026-08", "2026-09", "2026-10"):
            for found in check_exceptions(checked, check.id, BELCALL, period):
                assert "data_subject_ref" not in found
                assert not refs & {str(v) for v in flatten_details(found["details"]).values()}


def test_dropped_case_shows_what_the_previous_report_said(checked: duckdb.DuckDBPyConnection) -> None:
    found = check_exceptions(checked, "report.case_dropped", BELCALL, "2026-09")
    assert [(f["case_id"], f["case_period"], f["received_on"], f["request_type"]) for f in found] == [
        ("BC-260818-01", "2026-08", date(2026, 8, 18), "access")]


def test_report_level_exception_has_no_case(checked: duckdb.DuckDBPyConnection) -> None:
    found = check_exceptions(checked, "report.missing", APPELIA, "2026-10")
    assert [(f["case_id"], f["received_on"], f["details"]["missing_period"]) for f in found] == [
        (None, None, "2026-09")]


def test_exceptions_are_capped_but_counted_in_full(checked: duckdb.DuckDBPyConnection) -> None:
    table = by_id(check_table(checked, APPELIA, "2026-10"))
    assert table["deadline.due_soon"]["cases_offending"] == 2  # APS-261005-001 and APS-261006-001
    assert len(check_exceptions(checked, "deadline.due_soon", APPELIA, "2026-10", limit=1)) == 1


def test_unknown_check_id_is_refused(checked: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(KeyError, match=r"No check 'deadline\.nope'"):
        check_exceptions(checked, "deadline.nope", BELCALL, "2026-10")


def test_details_flatten_into_columns() -> None:
    details = {"earlier_period": "2026-08", "changed_fields": ["received_on", "responded_on"],
               "before": {"received_on": "2026-08-24", "responded_on": None}, "days": 3}
    assert flatten_details(details) == {
        "earlier_period": "2026-08", "changed_fields": "received_on, responded_on",
        "before.received_on": "2026-08-24", "before.responded_on": None, "days": 3}


def test_non_conformities_per_check_per_month_count_critical_and_major_rows_only(
        checked: duckdb.DuckDBPyConnection) -> None:
    counts = {(r["period"], r["check_id"]): r["non_conformities"] for r in non_conformities_by_month(checked, BELCALL)}
    # KL-118204 opts out again in August and September after opt-outs reported done: repeat.fix_not_held.
    assert counts[("2026-09", "repeat.fix_not_held")] == 1
    assert not any(check == "repeat.same_request" for _, check in counts)  # for information only
    assert counts[("2026-10", "deadline.overdue_open")] == 1
    assert counts[("2026-09", "report.case_dropped")] == 1
    assert not any(check in ("report.history_changed", "deadline.due_soon", "training.agent_unknown")
                   for _, check in counts)  # minor and info are not non-conformities
    expected = rows(checked, "SELECT count(*) AS n FROM latest_exceptions WHERE processor = ? AND "
                             "severity IN ('critical', 'major')", [BELCALL])[0]["n"]
    assert sum(counts.values()) == expected
    assert len(non_conformities_by_month(checked)) >= len(counts)  # all processors


def test_open_cases_due_lists_the_current_overdue_and_due_soon_cases(checked: duckdb.DuckDBPyConnection) -> None:
    due = open_cases_due(checked)
    assert [(d["case_id"], d["status"], d["due_on"], d["days_left"]) for d in due] == [
        ("BC-260908-01", "overdue", date(2026, 10, 8), -23),
        # 1 November 2026 is a Sunday and All Saints' Day: rolled to Monday 2 November.
        ("BC-261001-01", "due soon", date(2026, 11, 2), 2),
        ("BC-261002-01", "due soon", date(2026, 11, 2), 2),
        ("APS-261005-001", "due soon", date(2026, 11, 5), 5),
        ("APS-261006-001", "due soon", date(2026, 11, 6), 6),
    ]
    assert all("data_subject_ref" not in d for d in due)


def test_open_cases_due_narrows_by_processor_window_and_date(checked: duckdb.DuckDBPyConnection) -> None:
    assert [d["case_id"] for d in open_cases_due(checked, APPELIA, within_days=5)] == ["APS-261005-001"]
    later = open_cases_due(checked, BELCALL, as_of=date(2026, 11, 3))
    assert [(d["case_id"], d["status"], d["days_left"]) for d in later] == [
        ("BC-260908-01", "overdue", -26), ("BC-261001-01", "overdue", -1), ("BC-261002-01", "overdue", -1)]


def test_a_case_answered_later_leaves_the_list_unless_its_period_is_asked(checked: duckdb.DuckDBPyConnection) -> None:
    # BC-260706-01 was open and overdue on 31 August, answered 15 September.
    assert "BC-260706-01" not in {d["case_id"] for d in open_cases_due(checked, BELCALL)}
    august = open_cases_due(checked, BELCALL, "2026-08")
    assert [(d["case_id"], d["status"], d["due_on"]) for d in august] == [
        ("BC-260706-01", "overdue", date(2026, 8, 6))]


def test_runs_are_listed_newest_first_and_by_processor(demo: duckdb.DuckDBPyConnection) -> None:
    everything = run_checks(demo, OFFICER)
    appelia = run_checks(demo, OFFICER, processor=APPELIA)
    assert [r["run_id"] for r in list_runs(demo)] == [appelia.run_id, everything.run_id]
    assert [r["run_id"] for r in list_runs(demo, BELCALL)] == [everything.run_id]
    newest = list_runs(demo, APPELIA)[0]
    assert (newest["processor"], newest["user_name"], newest["checks_run"]) == (APPELIA, "olivia", len(CHECKS))
    assert newest["profiles"][APPELIA]["profile"] == "default"
    assert newest["exceptions"] == appelia.exceptions

"""Raising findings: grouped from check exceptions, never duplicated on a re-raise, by hand against the register."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date

import duckdb
import pytest

from checks.catalog import BY_ID
from checks.errors import UnknownProcessor
from findings import queries
from findings.errors import InvalidValue, UnknownCases, UnknownClause
from findings.raising import raise_from_checks
from findings.service import close_matches, move, raise_finding
from ingest.load import ensure_processor
from store.audit import list_events, verify_chain
from store.db import next_id, rows, transaction
from store.identity import User
from tests.conftest import HEADER_NL, nl_row

PROCESSOR = "Belcall Antwerpen BV"
PERIOD = "2026-10"
TODAY = date(2026, 11, 20)


def ensure(con: duckdb.DuckDBPyConnection, processor: str = PROCESSOR) -> None:
    with transaction(con):
        ensure_processor(con, processor)


def raise_one(con: duckdb.DuckDBPyConnection, user: User, *, title: str = "Complaint right not mentioned",
              severity: str = "high", clause: str = "SCC 8(b)", due_on: date | None = None,
              case_ids: Iterable[str] = (), today: date = TODAY) -> str:
    """Raise a finding by hand for the test processor (created if needed)."""
    ensure(con)
    return raise_finding(con, user, processor=PROCESSOR, period=PERIOD, clause=clause, title=title, severity=severity,
                         case_ids=case_ids, due_on=due_on, today=today)


def add_run(con: duckdb.DuckDBPyConnection, exceptions: list[tuple[str, str, str | None]], *,
            processor: str = PROCESSOR, period: str = PERIOD) -> int:
    """Store a check run with these (check id, severity, case id) exceptions, as checks.runner stores them."""
    with transaction(con):
        run_id = next_id(con, "check_run_ids")
        con.execute(
            "INSERT INTO check_runs (run_id, started_at, finished_at, user_name, processor, period, as_of, profiles, "
            "checks_run, exceptions, errors) "
            "VALUES (?, now(), now(), 'olivia', ?, ?, DATE '2026-10-31', '{}', ?, ?, 0)",
            [run_id, processor, period, len({e[0] for e in exceptions}), len(exceptions)])
        for check_id in sorted({e[0] for e in exceptions}):
            check = BY_ID[check_id]
            con.execute("INSERT INTO check_results VALUES (?, ?, ?, ?, DATE '2026-10-31', 'default', 'x', ?, ?, 10, ?, "
                        "NULL)", [run_id, check_id, processor, period, check.severity.value, check.clause,
                                  sum(e[0] == check_id for e in exceptions)])
        for check_id, severity, case_id in exceptions:
            con.execute("INSERT INTO exceptions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [run_id, check_id, severity, processor, period, case_id, BY_ID[check_id].clause,
                         json.dumps({"case": case_id, "days_late": 3})])
    return run_id


def findings_by_source(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, object]]:
    return {f["source"]: f for f in queries.list_findings(con, as_of=TODAY)}


LATE = "deadline.late_response"


def test_exceptions_are_grouped_into_one_finding_per_processor_period_and_check(con, officer):
    ensure(con)
    run_id = add_run(con, [(LATE, "major", "BC-3"), (LATE, "major", "BC-1"), (LATE, "major", "BC-2"),
                           ("refusal.no_reason", "minor", "BC-1"), ("deadline.due_soon", "info", "BC-9")])
    results = raise_from_checks(con, officer, today=TODAY)
    assert sorted(r.outcome for r in results) == ["created", "created"]
    found = findings_by_source(con)
    assert set(found) == {f"check:{LATE}", "check:refusal.no_reason"}  # info never raises
    late = found[f"check:{LATE}"]
    assert late["case_ids"] == ["BC-1", "BC-2", "BC-3"]
    assert (late["processor"], late["period"], late["clause"], late["status"]) == (PROCESSOR, PERIOD, "SCC 8(b)",
                                                                                    "open")
    assert late["title"] == BY_ID[LATE].title and late["description"].startswith(BY_ID[LATE].description)
    assert late["severity"] == "high" and found["check:refusal.no_reason"]["severity"] == "medium"
    assert late["evidence"] == {"run_ids": [run_id]}
    assert late["due_on"] == date(2026, 12, 4) and found["check:refusal.no_reason"]["due_on"] == date(2026, 12, 20)
    shown = queries.get_finding(con, str(late["finding_id"]))
    assert shown["cases"][0]["evidence"] == {"run_id": run_id, "details": {"case": "BC-1", "days_late": 3}}


def test_raising_the_same_run_again_changes_nothing(con, officer):
    ensure(con)
    add_run(con, [(LATE, "major", "BC-1")])
    [first] = raise_from_checks(con, officer, today=TODAY)
    events = len(list_events(con))
    [again] = raise_from_checks(con, officer, today=TODAY)
    assert (again.finding_id, again.outcome) == (first.finding_id, "unchanged")
    assert len(queries.list_findings(con)) == 1 and len(list_events(con)) == events


def test_a_new_run_adds_its_new_cases_to_the_open_finding_and_keeps_the_history(con, officer):
    ensure(con)
    first_run = add_run(con, [(LATE, "major", "BC-1"), (LATE, "major", "BC-2")])
    [first] = raise_from_checks(con, officer, today=TODAY)
    move(con, officer, first.finding_id, "notified")
    second_run = add_run(con, [(LATE, "major", "BC-2"), (LATE, "major", "BC-4")])
    [second] = raise_from_checks(con, officer, today=TODAY)
    assert (second.finding_id, second.outcome, second.new_cases) == (first.finding_id, "updated", ("BC-4",))
    finding = queries.get_finding(con, first.finding_id)
    assert finding["case_ids"] == ["BC-1", "BC-2", "BC-4"] and finding["status"] == "notified"
    assert finding["evidence"] == {"run_ids": [first_run, second_run]}
    assert [e["action"] for e in finding["history"]] == ["raised", "notified", "evidence_added"]
    assert finding["history"][-1]["details"] == {"case_ids": ["BC-4"], "evidence": {"run_ids": [second_run]}}
    assert len(queries.list_findings(con)) == 1


def test_a_major_exception_in_a_later_run_raises_the_severity_of_a_minor_finding(con, officer):
    ensure(con)
    add_run(con, [("repeat.same_request", "minor", "BC-1")])
    [first] = raise_from_checks(con, officer, today=TODAY)
    add_run(con, [("repeat.same_request", "minor", "BC-1"), ("repeat.same_request", "major", "BC-2")])
    raise_from_checks(con, officer, today=TODAY)
    finding = queries.get_finding(con, first.finding_id)
    assert finding["severity"] == "high"
    assert finding["history"][-1]["details"]["severity"] == {"from": "medium", "to": "high"}


def test_a_closed_or_dismissed_finding_is_not_reraised_or_duplicated(con, officer):
    ensure(con)
    add_run(con, [(LATE, "major", "BC-1")])
    [first] = raise_from_checks(con, officer, today=TODAY)
    move(con, officer, first.finding_id, "dismissed", reason="false positive")
    add_run(con, [(LATE, "major", "BC-1"), (LATE, "major", "BC-7")])
    [again] = raise_from_checks(con, officer, today=TODAY)
    assert (again.finding_id, again.outcome) == (first.finding_id, "skipped")
    assert "is dismissed; reopen it" in (again.note or "")
    assert queries.get_finding(con, first.finding_id)["case_ids"] == ["BC-1"]
    assert len(queries.list_findings(con)) == 1


def test_each_period_and_processor_gets_its_own_finding_and_the_scope_filters_apply(con, officer):
    ensure(con)
    ensure(con, "Appelia SA")
    add_run(con, [(LATE, "major", "BC-1")])
    add_run(con, [(LATE, "major", "BC-8")], period="2026-11")
    add_run(con, [(LATE, "major", "AP-1")], processor="Appelia SA")
    assert [r.outcome for r in raise_from_checks(con, officer, PROCESSOR, "2026-11", today=TODAY)] == ["created"]
    assert {(f["processor"], f["period"]) for f in queries.list_findings(con)} == {(PROCESSOR, "2026-11")}
    raise_from_checks(con, officer, today=TODAY)
    assert sorted((f["processor"], f["period"], tuple(f["case_ids"])) for f in queries.list_findings(con)) == [
        ("Appelia SA", PERIOD, ("AP-1",)), (PROCESSOR, PERIOD, ("BC-1",)), (PROCESSOR, "2026-11", ("BC-8",))]


def test_a_report_level_exception_raises_a_finding_without_cases(con, officer):
    ensure(con)
    run_id = add_run(con, [("report.late", "major", None)])
    raise_from_checks(con, officer, today=TODAY)
    [finding] = queries.list_findings(con)
    assert finding["case_ids"] == [] and finding["clause"] == "SL 1"  # Monthly reporting (SCC 7.6(c))
    assert finding["evidence"] == {"run_ids": [run_id], "report": [{"case": None, "days_late": 3}]}
    assert finding["description"].endswith(f"The {PERIOD} report offends this check.")


def test_only_the_newest_run_of_each_check_is_raised(con, officer):
    ensure(con)
    add_run(con, [(LATE, "major", "BC-1")])
    add_run(con, [(LATE, "major", "BC-2")])  # the re-run no longer lists BC-1
    raise_from_checks(con, officer, today=TODAY)
    assert queries.list_findings(con)[0]["case_ids"] == ["BC-2"]


def test_ids_are_numbered_per_year(con, officer):
    assert [raise_one(con, officer, today=date(2026, 12, 30)) for _ in range(2)] == ["F-2026-0001", "F-2026-0002"]
    assert raise_one(con, officer, today=date(2027, 1, 2)) == "F-2027-0001"
    assert raise_one(con, officer, today=date(2026, 12, 31)) == "F-2026-0003"


def test_every_raise_and_change_is_in_the_audit_trail_and_the_chain_holds(con, officer):
    ensure(con)
    add_run(con, [(LATE, "major", "BC-1")])
    [raised] = raise_from_checks(con, officer, today=TODAY)
    add_run(con, [(LATE, "major", "BC-2")])
    raise_from_checks(con, officer, today=TODAY)
    move(con, officer, raised.finding_id, "notified")
    events = [e for e in reversed(list_events(con)) if e["object"] == f"finding:{raised.finding_id}"]
    assert [e["action"] for e in events] == ["finding.raised", "finding.evidence_added", "finding.notified"]
    assert {e["user_name"] for e in events} == {"olivia"} and events[0]["role"] == "compliance_officer"
    details = events[2]["details"]
    assert (json.loads(details) if isinstance(details, str) else details)["to_status"] == "notified"
    history = rows(con, "SELECT count(*) AS n FROM finding_events WHERE finding_id = ?", [raised.finding_id])
    assert history == [{"n": 3}]
    assert verify_chain(con).intact


# --- raised by hand -------------------------------------------------------------------------------------------

def test_a_finding_raised_by_hand_cites_a_register_clause_and_real_cases(con, officer, write_csv, ingest):
    ingest(write_csv("belcall_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2")]))
    finding_id = raise_one(con, officer, case_ids=["BC-2", "BC-1", "BC-2"], severity="Critical")
    finding = queries.get_finding(con, finding_id)
    assert finding["source"] == "manual" and finding["case_ids"] == ["BC-1", "BC-2"]
    assert finding["severity"] == "critical" and finding["due_on"] == date(2026, 11, 27)
    assert finding["owner"] == "olivia" and finding["created_by"] == "olivia"


def test_an_unknown_clause_is_refused_with_close_matches(con, officer):
    with pytest.raises(UnknownClause) as refused:
        raise_one(con, officer, clause="SCC 8b")
    assert str(refused.value).startswith(
        f"Clause 'SCC 8b' is not in the clause register of {PROCESSOR} (contract profile 'default'). "
        "Did you mean 'SCC 8(b)'")
    assert "A finding must cite a clause of the processor's contract." in str(refused.value)
    with pytest.raises(UnknownClause, match=r"Did you mean 'SCC 7\.4', 'SCC 7\.4\(a\)', 'SCC 7\.4\(b\)'"):
        raise_one(con, officer, clause="7.4")
    assert queries.list_findings(con) == []


def test_cases_not_in_the_processors_reports_are_refused(con, officer, write_csv, ingest):
    ingest(write_csv("belcall_2026-10.csv", [HEADER_NL, nl_row("BC-1")]))
    with pytest.raises(UnknownCases, match="No report of Belcall Antwerpen BV lists the case\\(s\\) BC-404"):
        raise_one(con, officer, case_ids=["BC-1", "BC-404"])


@pytest.mark.parametrize(("field", "value", "message"), [
    ("severity", "urgent", "'urgent' is not a severity; choose one of critical, high, medium, low."),
    ("title", "  ", "A finding needs a title"),
    ("period", "2026-13", "Period '2026-13' is not a month; write it as YYYY-MM"),
])
def test_bad_manual_input_is_refused_by_name(con, officer, field, value, message):
    ensure(con)
    kwargs = {"processor": PROCESSOR, "period": PERIOD, "clause": "SCC 8(b)", "title": "x", "severity": "high",
              field: value}
    with pytest.raises(InvalidValue, match=message.replace("(", r"\(").replace(")", r"\)")):
        raise_finding(con, officer, **kwargs)


def test_an_unknown_processor_is_refused_listing_the_known_ones(con, officer):
    ensure(con)
    with pytest.raises(UnknownProcessor, match=r"no processor named 'Belcal'\. Known processors: Belcall Antwerpen BV"):
        raise_finding(con, officer, processor="Belcal", period=PERIOD, clause="SCC 8(b)", title="x", severity="low")


def test_close_matches_put_the_nearest_reference_first():
    refs = ["SCC 7.8", "SCC 7.8(b)", "SCC 8", "SCC 8(a)", "SCC 8(b)", "SCC 18(b)", "Annex III"]
    assert close_matches("8b", refs)[0] == "SCC 8(b)"
    assert close_matches("7.8", refs)[:2] == ["SCC 7.8", "SCC 7.8(b)"]
    assert close_matches("scc 8(B)", refs)[0] == "SCC 8(b)"

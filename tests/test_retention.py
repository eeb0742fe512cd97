"""The retention purge on the real demo database (issue 17 item 2): the plan, apply removing exactly what it lists,
legal holds, the audit trail still verifying, the pack of a purged month, checks and pages on the purged file, and the
compacted file's bytes."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from checks.runner import run_checks
from exports.pack import export_pack
from store import evidence
from store.compact import compact
from store.db import connect
from store.holds import add_hold, lift_hold
from store.identity import User
from store.retention import apply, held, plan
from store.retention_periods import Retention, expired, expires_on
from tests.conftest import AppEnv, config_file, run_cli

BELCALL = "Belcall Antwerpen BV"
APPELIA = "Appelia Services SRL"
# The demo's months are 2026-07 to 2026-10: with these periods, on 2027-01-01 the case rows of 2026-07 to 2026-09
# (expiring 2026-11-01 to 2027-01-01) are past their period and 2026-10 (2027-02-01) is not.
SHORT = Retention(cases_months=3, quarantine_raw_months=1, evidence_months=3)
AS_OF = date(2027, 1, 1)
TABLES = ("cases", "training", "exceptions", "quarantine", "submissions", "reviews", "findings", "letters",
          "evidence_files", "audit_events")


def counts(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str], int]:
    """Rows per table, processor and month (the tables a purge touches), and raw values still held."""
    found: dict[tuple[str, str, str], int] = {}
    for table, sql in {
        "cases": "SELECT name, period, count(*) FROM cases JOIN submissions USING (submission_id) "
                 "JOIN processors USING (processor_id) GROUP BY ALL",
        "training": "SELECT name, period, count(*) FROM training JOIN submissions USING (submission_id) "
                    "JOIN processors USING (processor_id) GROUP BY ALL",
        "exceptions": "SELECT processor, period, count(*) FROM exceptions WHERE case_id IS NOT NULL GROUP BY ALL",
        "quarantine": "SELECT name, period, count(*) FROM quarantine JOIN submissions USING (submission_id) "
                      "JOIN processors USING (processor_id) WHERE CAST(raw AS VARCHAR) <> '{}' GROUP BY ALL",
        "quarantine_rows": "SELECT name, period, count(*) FROM quarantine JOIN submissions USING (submission_id) "
                           "JOIN processors USING (processor_id) GROUP BY ALL",
        "submissions": "SELECT name, period, count(*) FROM submissions JOIN processors USING (processor_id) "
                       "GROUP BY ALL",
    }.items():
        for processor, period, n in con.execute(sql).fetchall():
            found[(table, processor, period)] = n
    return found


def test_the_month_arithmetic() -> None:
    assert expires_on("2026-10", 24) == date(2028, 11, 1)
    assert not expired("2026-10", 24, date(2028, 10, 31)) and expired("2026-10", 24, date(2028, 11, 1))
    assert expires_on("2026-12", 3) == date(2027, 4, 1)


def test_a_purge_removes_exactly_what_the_plan_listed_and_keeps_what_a_hold_covers(
        checked_demo_db: Path, officer: User) -> None:
    con = connect(checked_demo_db)
    hold = add_hold(con, officer, processor=BELCALL, period="2026-08", reason="Dispute about August")
    before = counts(con)
    preview = plan(con, SHORT, AS_OF)
    listed = {(line.kind, line.processor, line.period): line for line in preview.lines}
    assert ("cases", BELCALL, "2026-07") in listed and ("cases", BELCALL, "2026-10") not in listed
    assert listed[("cases", BELCALL, "2026-08")].held_by == [hold.hold_id]
    assert listed[("cases", APPELIA, "2026-08")].held_by == []
    assert held(con, BELCALL, "2026-08") and not held(con, BELCALL, "2026-07") and not held(con, APPELIA, "2026-08")

    applied = apply(con, officer, SHORT, AS_OF)

    assert applied.event_seq is not None
    assert [line.as_dict() for line in applied.plan.lines] == [line.as_dict() for line in preview.lines]
    after = counts(con)
    gone = {(line.processor, line.period): line for line in preview.removed if line.kind == "cases"}
    blanked = {(line.processor, line.period): line for line in preview.removed if line.kind == "quarantine_raw"}
    for (table, processor, period), n in before.items():
        month = (processor, period)
        if table in ("cases", "training", "exceptions") and month in gone:
            assert after.get((table, processor, period), 0) == 0, (table, month)
            assert n == gone[month].tables[table]
        elif table == "quarantine" and month in blanked:
            assert after.get((table, processor, period), 0) == 0
            assert n == blanked[month].tables["quarantine"]
        else:  # untouched: what a hold keeps, what is not yet due, the submissions and the quarantined rows
            assert after.get((table, processor, period)) == n, (table, month)
    assert before[("cases", BELCALL, "2026-08")] == after[("cases", BELCALL, "2026-08")] > 0
    # The event holds counts and digests, never a removed value.
    [(details,)] = con.execute("SELECT CAST(details AS VARCHAR) FROM audit_events WHERE seq = ?",
                               [applied.event_seq]).fetchall()
    case_id = con.execute("SELECT case_id FROM cases LIMIT 1").fetchall()[0][0]
    assert '"removed"' in details and case_id not in details

    # The trail verifies: the purged objects are purged, not tampered with.
    verification = evidence.verify_trail(con, checked_demo_db)
    assert verification.ok, verification.problems
    # A hand edit after the purge is still found.
    con.execute("DELETE FROM cases WHERE submission_id = (SELECT min(submission_id) FROM cases)")
    assert not evidence.verify_trail(con, checked_demo_db).ok
    con.close()


def test_after_lifting_the_hold_the_next_purge_takes_it(checked_demo_db: Path, officer: User) -> None:
    con = connect(checked_demo_db)
    hold = add_hold(con, officer, processor=BELCALL, reason="All of Belcall")
    apply(con, officer, SHORT, AS_OF)
    assert counts(con)[("cases", BELCALL, "2026-07")] > 0
    lift_hold(con, officer, hold.hold_id, reason="Settled")
    second = apply(con, officer, SHORT, AS_OF)
    assert ("cases", BELCALL, "2026-07") in {(x.kind, x.processor, x.period) for x in second.plan.removed}
    assert ("cases", BELCALL, "2026-07") not in counts(con)
    assert evidence.verify_trail(con, checked_demo_db).ok
    assert plan(con, SHORT, AS_OF).removed == []  # nothing left to go
    con.close()


def test_the_compacted_file_no_longer_holds_a_purged_case_id(checked_demo_db: Path, officer: User) -> None:
    con = connect(checked_demo_db)
    # A case id that occurs in 2026-07 only (not carried over into a later month's report).
    [(victim,)] = con.execute(
        "SELECT case_id FROM cases JOIN submissions USING (submission_id) GROUP BY case_id "
        "HAVING max(period) = '2026-07' AND min(period) = '2026-07' ORDER BY 1 LIMIT 1").fetchall()
    con.execute("CHECKPOINT")
    assert victim.encode() in checked_demo_db.read_bytes()
    apply(con, officer, SHORT, AS_OF)
    con.close()
    compact(checked_demo_db)
    data = checked_demo_db.read_bytes()
    assert victim.encode() not in data
    con = connect(checked_demo_db)
    assert evidence.verify_trail(con, checked_demo_db).ok
    con.close()


def test_the_pack_of_a_purged_month_builds_and_says_what_was_purged(checked_demo_db: Path, officer: User,
                                                                      tmp_path: Path) -> None:
    con = connect(checked_demo_db)
    applied = apply(con, officer, SHORT, AS_OF)
    out = tmp_path / "pack.xlsx"
    export_pack(con, officer, BELCALL, "2026-07", out, as_of=AS_OF)
    cells = [str(c) for row in load_workbook(io.BytesIO(out.read_bytes()))["Summary"].iter_rows(values_only=True)
             for c in row if c is not None]
    line = next(c for c in cells if "case rows of this month" in c)
    assert "were removed on" in line and f"under the retention period (event {applied.event_seq})" in line
    assert line.startswith("328 case rows")
    # Checks run on the purged database; no error.
    run = run_checks(con, officer)
    assert con.execute("SELECT count(*) FROM check_results WHERE run_id = ? AND error IS NOT NULL",
                       [run.run_id]).fetchall()[0][0] == 0
    assert evidence.verify_trail(con, checked_demo_db).ok
    con.close()


@pytest.mark.parametrize("page", ["app/overview.py", "app/checks.py", "app/findings.py"])
def test_pages_open_on_a_purged_month(checked_demo_db: Path, officer: User, app_env: AppEnv, page: str) -> None:
    from streamlit.testing.v1 import AppTest

    con = connect(checked_demo_db)
    apply(con, officer, SHORT, AS_OF)
    con.close()
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "dashboard.py"), default_timeout=60)
    at.switch_page(page)
    at.query_params["processor"] = BELCALL
    at.query_params["period"] = "2026-07"
    at.run()
    assert not at.exception, at.exception


def test_the_cli_plans_applies_and_compacts(checked_demo_db: Path, cli_env: object, tmp_path: Path) -> None:
    config = config_file(tmp_path, '[access]\nmode = "local"\n\n[retention]\ncases_months = 1\n'
                                   'quarantine_raw_months = 1\nevidence_months = 1\n')
    shown = run_cli("--config", str(config), "retention", "plan", "--format", "json")
    assert shown.code == 0, shown.err
    assert '"cases_months": 1' in shown.out and BELCALL in shown.out
    hold = run_cli("--config", str(config), "hold", "add", "--processor", BELCALL, "--period", "2026-10",
                   "--reason", "Kept for a dispute")
    assert hold.code == 0 and "Legal hold 1 keeps" in hold.out
    done = run_cli("--config", str(config), "retention", "apply")
    assert done.code == 0, done.err
    assert "retention.applied" in done.out and "compacted" in done.out
    assert "kept by legal hold 1" in done.out
    verify = run_cli("--config", str(config), "audit", "verify")
    assert verify.code == 0, verify.out + verify.err
    bad = run_cli("--config", str(config_file(tmp_path, '[access]\nmode = "local"\n[retention]\ncases_months = '
                                                         '"two"\n')), "retention", "plan")
    assert bad.code == 2 and "whole number of months" in bad.err


def test_a_purged_month_is_not_checked_again(checked_demo_db: Path, officer: User) -> None:
    """An emptied report tested again would raise false alarms (its declared total against no rows, no roster):
    the purge marks its submissions and the checks leave them out, while the months kept are checked as before."""
    con = connect(checked_demo_db)
    applied = apply(con, officer, SHORT, AS_OF)
    purged = {(line.processor, line.period) for line in applied.plan.removed if line.kind == "cases"}
    assert (BELCALL, "2026-07") in purged
    marked = {(p, m) for p, m in con.execute(
        "SELECT name, period FROM submissions JOIN processors USING (processor_id) WHERE purged_at IS NOT NULL"
    ).fetchall()}
    assert marked == purged
    run = run_checks(con, officer)
    checked = {(p, m) for p, m in con.execute(
        "SELECT DISTINCT processor, period FROM check_results WHERE run_id = ?", [run.run_id]).fetchall()}
    assert checked and not checked & purged
    assert (BELCALL, "2026-10") in checked
    new = con.execute("SELECT processor, period, check_id FROM exceptions WHERE run_id = ?", [run.run_id]).fetchall()
    assert not [e for e in new if (e[0], e[1]) in purged]
    con.close()


def test_a_sample_of_a_purged_month_says_it_was_purged_not_changed(checked_demo_db: Path, officer: User) -> None:
    """Reviews outlive case rows (evidence_months > cases_months): verifying an older sample must say the population
    was purged, not that the evidence changed."""
    from spotchecks.samples import draw_sample
    from spotchecks.verify import verify_sample

    con = connect(checked_demo_db)
    auditor = User("ann", ("auditor",))
    old = draw_sample(con, auditor, processor=BELCALL, period="2026-07", size=3, seed="purge-verify")
    kept = draw_sample(con, auditor, processor=BELCALL, period="2026-10", size=3, seed="purge-verify-kept")
    assert verify_sample(con, old.sample_id).matches
    apply(con, officer, Retention(cases_months=3, quarantine_raw_months=1, evidence_months=84), AS_OF)
    purged = verify_sample(con, old.sample_id)
    assert not purged.matches and purged.purged_on is not None
    assert "removed on" in purged.problems[0] and "not a change to the evidence" in purged.problems[0]
    assert verify_sample(con, kept.sample_id).matches  # a month not purged verifies as before
    con.close()

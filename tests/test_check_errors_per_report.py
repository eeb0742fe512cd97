"""A check error is recorded per report, never for the whole run (issue 18, item 3): a date that overflows the
calendar, planted in one processor's report directly in the database (ingest quarantines it now), leaves the run
stored, the other processors' reports checked as before, and the failing report's checks recording the error."""

from __future__ import annotations

import duckdb

from checks.catalog import CHECKS
from checks.runner import run_checks
from store.identity import ROLES, User

OFFICER = User("olivia", ROLES)
BAD = ("Appelia Services SRL", "2026-10")


def results(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[tuple[str, str, str], tuple[int, int, str | None]]:
    found = con.execute("SELECT check_id, processor, period, cases_tested, cases_offending, error "
                        "FROM check_results WHERE run_id = ?", [run_id]).fetchall()
    return {(check, processor, period): (tested, offending, error)
            for check, processor, period, tested, offending, error in found}


def plant_year_one(con: duckdb.DuckDBPyConnection) -> None:
    """One case of Appelia's October report received on 0001-01-01, written past ingest as a bad tool might."""
    con.execute("""
        UPDATE cases SET received_on = DATE '0001-01-01' WHERE rowid = (
            SELECT min(c.rowid) FROM cases c JOIN submissions s USING (submission_id)
            JOIN processors p USING (processor_id)
            WHERE p.name = $processor AND s.period = $period AND s.status = 'current' AND s.kind = 'cases')""",
                {"processor": BAD[0], "period": BAD[1]})
    assert con.execute("SELECT count(*) FROM report_cases WHERE received_on = DATE '0001-01-01'").fetchall() == [(1,)]


def test_a_date_that_overflows_fails_only_its_own_report(checked_demo: duckdb.DuckDBPyConnection) -> None:
    [(before_id,)] = checked_demo.execute("SELECT max(run_id) FROM check_runs").fetchall()
    before = results(checked_demo, before_id)
    plant_year_one(checked_demo)

    run = run_checks(checked_demo, OFFICER)

    # the run is stored, over every report, with one error per check of the bad report
    assert run.run_id > before_id
    assert checked_demo.execute("SELECT errors FROM check_runs WHERE run_id = ?", [run.run_id]).fetchall() == [
        (len(CHECKS),)]
    after = results(checked_demo, run.run_id)
    assert after.keys() == before.keys()
    bad = {key: value for key, value in after.items() if key[1:] == BAD}
    assert len(bad) == len(CHECKS)
    for tested, offending, error in bad.values():
        assert (tested, offending) == (0, 0)
        assert error.startswith("This report could not be checked (date value out of range)")
        assert "0001-01-01" in error
    # every other report, Belcall's and Appelia's other months, gets exactly the results of the clean run
    assert {k: v for k, v in after.items() if k[1:] != BAD} == {k: v for k, v in before.items() if k[1:] != BAD}
    assert all(error is None for key, (_, _, error) in after.items() if key[1:] != BAD)
    # and their exceptions are kept; the bad report has none
    kept = dict(checked_demo.execute("SELECT processor || ' ' || period, count(*) FROM exceptions WHERE run_id = ? "
                                     "GROUP BY ALL", [run.run_id]).fetchall())
    assert kept.get("Belcall Antwerpen BV 2026-10", 0) > 0
    assert " ".join(BAD) not in kept


def test_a_run_of_only_the_bad_report_is_stored_with_its_errors(demo: duckdb.DuckDBPyConnection) -> None:
    plant_year_one(demo)
    run = run_checks(demo, OFFICER, processor=BAD[0], period=BAD[1])
    assert run.reports == [BAD] and run.errors == len(CHECKS) and run.exceptions == 0
    stored = results(demo, run.run_id)
    assert len(stored) == len(CHECKS)
    assert all(error and "date value out of range" in error for _, _, error in stored.values())

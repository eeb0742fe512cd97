"""A check that fails while counting in SQL records its error only for the report whose rows make it fail (issue
18, item 3: "a check error is recorded per report, never for the whole run"). The failure is provoked as in
tests/test_check_errors_per_report.py: a value planted in one processor's report past ingest, here a case id that a
check casts to a number; the other processor's report is counted and keeps its exceptions."""

from __future__ import annotations

from dataclasses import replace

import duckdb

from checks.catalog import BY_ID, Check
from checks.runner import run_checks
from store.identity import ROLES, User

OFFICER = User("olivia", ROLES)
BAD, GOOD = ("Appelia Services SRL", "2026-10"), ("Belcall Antwerpen BV", "2026-10")
LATE = BY_ID["deadline.late_response"]
# The late-response rule, plus a cast of whatever follows '#' in the case id: an error for a row whose id has a
# non-number there, nothing (NULL) for every other row, so the counts are the rule's own.
CASTING = replace(LATE, offends=f"({LATE.offends}) OR CAST(NULLIF(regexp_extract(case_id, '#(.*)$', 1), '') AS "
                                "INTEGER) < 0")


def plant_bad_id(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""
        UPDATE cases SET case_id = case_id || '#not-a-number' WHERE rowid = (
            SELECT min(c.rowid) FROM cases c JOIN submissions s USING (submission_id)
            JOIN processors p USING (processor_id)
            WHERE p.name = $processor AND s.period = $period AND s.status = 'current' AND s.kind = 'cases')""",
                {"processor": BAD[0], "period": BAD[1]})


def stored(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[tuple[str, str, str], tuple[int, int, str | None]]:
    found = con.execute("SELECT check_id, processor, period, cases_tested, cases_offending, error FROM check_results "
                        "WHERE run_id = ?", [run_id]).fetchall()
    return {(c, p, m): (t, o, e) for c, p, m, t, o, e in found}


def exceptions(con: duckdb.DuckDBPyConnection, run_id: int) -> dict[tuple[str, str, str], int]:
    found = con.execute("SELECT check_id, processor, period, count(*) FROM exceptions WHERE run_id = ? GROUP BY ALL",
                        [run_id]).fetchall()
    return {(c, p, m): n for c, p, m, n in found}


def other_cases_check() -> Check:
    """Another check over the same source, so that the shared pass fails and each check is counted alone."""
    return next(c for c in BY_ID.values() if c.source == LATE.source and c.id != LATE.id)


def test_a_counting_error_is_recorded_only_for_the_report_that_causes_it(demo: duckdb.DuckDBPyConnection) -> None:
    other = other_cases_check()
    clean = run_checks(demo, OFFICER, checks=[LATE, other])
    before, kept_before = stored(demo, clean.run_id), exceptions(demo, clean.run_id)
    plant_bad_id(demo)

    run = run_checks(demo, OFFICER, checks=[CASTING, other])

    after = stored(demo, run.run_id)
    assert after.keys() == before.keys()
    failing = {key: value for key, value in after.items() if value[2] is not None}
    assert set(failing) == {(LATE.id, *BAD)}  # one check, one report: not the run, not the other processor
    assert "Could not convert string 'not-a-number'" in failing[(LATE.id, *BAD)][2]
    assert run.errors == 1
    # every other (check, report) pair counts exactly as before the bad value, exceptions included
    assert {k: v for k, v in after.items() if k != (LATE.id, *BAD)} == \
        {k: v for k, v in before.items() if k != (LATE.id, *BAD)}
    kept = exceptions(demo, run.run_id)
    assert kept.get((LATE.id, *GOOD), 0) == kept_before.get((LATE.id, *GOOD), 0)
    assert (LATE.id, *BAD) not in kept
    assert {k: n for k, n in kept.items() if k[0] == other.id} == \
        {k: n for k, n in kept_before.items() if k[0] == other.id}


def test_a_single_check_failing_alone_is_isolated_too(demo: duckdb.DuckDBPyConnection) -> None:
    plant_bad_id(demo)
    run = run_checks(demo, OFFICER, checks=[CASTING])
    errors = {(r.processor, r.period) for r in run.results if r.error}
    assert errors == {BAD}
    good = next(r for r in run.results if (r.processor, r.period) == GOOD)
    assert good.error is None and good.cases_tested > 0


def test_a_source_that_cannot_be_built_for_one_report_fails_for_that_report_only(demo, monkeypatch) -> None:
    """The report-level source (`reports`) is built for the whole scope at once; when it cannot be built for one
    report, each report is built alone and only that one's report checks record the error."""
    from checks import sources

    real = sources.BUILDERS["reports"]

    def fails_for_appelia(cur: duckdb.DuckDBPyConnection) -> None:
        real(cur)
        # what a value of Appelia's report would do to the builder's SQL: an error only when it is in scope
        cur.execute("SELECT CAST(processor AS INTEGER) FROM _scope WHERE processor = $p", {"p": BAD[0]}).fetchall()

    monkeypatch.setitem(sources.BUILDERS, "reports", fails_for_appelia)
    run = run_checks(demo, OFFICER, period="2026-10")
    results = stored(demo, run.run_id)
    report_checks = [c.id for c in BY_ID.values() if c.source == "reports"]
    for check_id in report_checks:
        tested, _, error = results[(check_id, *BAD)]
        assert error and "Conversion Error" in error and tested == 0, check_id
        assert results[(check_id, *GOOD)][2] is None, check_id  # Belcall's report is checked as usual
    assert results[("report.rows_quarantined", *GOOD)][:2] == (1, 1)  # README: one quarantined row
    # _scope is whole again after the per-report builds: every other source still covers both reports
    assert all(e is None for (c, p, m), (_, _, e) in results.items() if c not in report_checks)
    assert {(p, m) for (c, p, m) in results if c == "deadline.late_response"} == {BAD, GOOD}

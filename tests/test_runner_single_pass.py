"""The runner counts all checks of a source in one pass, stores what per-check counting stored, and still records a
failing check on its own while the others run (pandera's lazy validation: one failing check never hides another).

The reference is the counting the runner did before, one aggregate query per check over its source, written out
here from the catalog's SQL; the data are the demo reports (sample_reports/), checked as of each report's last day.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pytest

from checks.catalog import BY_ID, CHECKS, Check, Source
from checks.runner import load_sources, plan, run_checks
from checks.sources import BUILDERS
from store.identity import ROLES, User
from tests.test_checks_demo import PROFILE_ONLY

OFFICER = User("olivia", ROLES)
RESULT_COLUMNS = ("check_id, processor, period, as_of, profile, profile_sha256, severity, clause, cases_tested, "
                  "cases_offending, error")


# `demo` (conftest): a connection to this test's copy of the demo reports, not checked yet.


def per_check_reference(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    """check_results rows as one count query per check computes them, in run order (check, then report)."""
    cur = con.cursor()
    try:
        profiles, scope = plan(cur, None, None, None)
        load_sources(cur, profiles, scope, CHECKS)
        built = {Source.CASES}
        out = []
        for check in CHECKS:
            if check.source not in built:
                BUILDERS[check.source](cur)
                built.add(check.source)
            counts = {(p, m): (t, o) for p, m, t, o in cur.execute(
                f"SELECT processor, period, count(*) FILTER (WHERE {check.applies}), "
                f"count(*) FILTER (WHERE ({check.applies}) AND ({check.offends})) FROM _{check.source} "
                "GROUP BY ALL").fetchall()}
            for s in scope:
                clause = cur.execute("SELECT clause FROM _clauses WHERE processor = ? AND check_id = ?",
                                     [s.processor, check.id]).fetchall()[0][0]
                out.append((check.id, s.processor, s.period, s.as_of, s.profile, s.profile_sha256,
                            check.severity.value, clause, *counts.get((s.processor, s.period), (0, 0)), None))
        return out
    finally:
        cur.close()


def stored_results(con: duckdb.DuckDBPyConnection, run_id: int) -> list[tuple[object, ...]]:
    return con.execute(f"SELECT {RESULT_COLUMNS} FROM check_results WHERE run_id = ? "
                       "ORDER BY check_id, processor, period",
                       [run_id]).fetchall()


def stored_exceptions(con: duckdb.DuckDBPyConnection, run_id: int) -> list[tuple[object, ...]]:
    return sorted(con.execute("SELECT check_id, severity, processor, period, case_id, clause, CAST(details AS VARCHAR) "
                              "FROM exceptions WHERE run_id = ?", [run_id]).fetchall(), key=repr)


def logged_count_queries(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """How many counting queries the query log shows over each source table."""
    found: dict[str, int] = {}
    for (message,) in con.execute("SELECT message FROM duckdb_logs WHERE type = 'QueryLog'").fetchall():
        if message.startswith("SELECT processor, period, count(*) FILTER"):
            table = message.split(" FROM ")[-1].split()[0]
            found[table] = found.get(table, 0) + 1
    return found


def test_stored_results_equal_one_count_query_per_check(demo):
    reference = per_check_reference(demo)
    run = run_checks(demo, OFFICER)
    # Compared by check, processor and period: a PostgreSQL table keeps no insertion order (the file does).
    assert stored_results(demo, run.run_id) == sorted(reference, key=lambda r: (r[0], r[1], r[2]))
    assert len(reference) == len(CHECKS) * len(run.reports)
    # not a comparison of zeros: every check tests and flags rows somewhere in the demo (but those only a profile
    # setting the demo's default profile leaves off can make fire)
    assert all(sum(r[9] for r in reference if r[0] == c.id) > 0 for c in CHECKS if c.id not in PROFILE_ONLY)


def test_each_source_is_counted_in_one_query(demo):
    demo.execute("CALL enable_logging('QueryLog')")
    run = run_checks(demo, OFFICER)
    assert not run.errors
    assert logged_count_queries(demo) == {f"_{source}": 1 for source in {c.source for c in CHECKS}}


def test_a_check_that_fails_alone_is_counted_alone_and_the_others_are_not(demo):
    demo.execute("CALL enable_logging('QueryLog')")
    broken = replace(BY_ID["extension.no_reason"], applies="no_such_column IS NOT NULL")
    run = run_checks(demo, OFFICER, checks=[broken if c.id == broken.id else c for c in CHECKS])
    cases_checks = sum(1 for c in CHECKS if c.source == Source.CASES)
    # the shared pass, then each cases check on its own, then the failing one report by report (its error is
    # recorded per report, issue 18 item 3); the other sources keep their one pass
    assert logged_count_queries(demo)["_cases"] == 1 + cases_checks + len(run.reports)
    assert logged_count_queries(demo)["_reports"] == 1


BREAKAGES = {
    # check id, field, SQL, a word of the error it must record
    "unknown column in applies": ("extension.no_reason", "applies", "no_such_column IS NOT NULL", "no_such_column"),
    "error while counting": ("deadline.late_response", "offends", "CAST(case_id AS INTEGER) > 0", "convert"),
    "details that cannot be built": ("refusal.no_reason", "details", "struct_pack(no_such_field)", "no_such_field"),
    "report-level check": ("report.late", "offends", "submitted_on > no_such_date", "no_such_date"),
}


@pytest.mark.parametrize("breakage", BREAKAGES, ids=list(BREAKAGES))
def test_one_failing_check_never_hides_another(demo, breakage):
    check_id, field, sql, word = BREAKAGES[breakage]
    broken: Check = replace(BY_ID[check_id], **{field: sql})
    clean = run_checks(demo, OFFICER)
    failing = run_checks(demo, OFFICER, checks=[broken if c.id == check_id else c for c in CHECKS])

    recorded = [r for r in failing.results if r.check_id == check_id]
    assert recorded and all(word in r.error.lower() for r in recorded), recorded[0].error
    assert all((r.cases_tested, r.cases_offending) == (0, 0) for r in recorded)
    assert failing.errors == len(failing.reports)

    def others(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
        return [r for r in rows if r[0] != check_id]

    assert others(stored_results(demo, failing.run_id)) == others(stored_results(demo, clean.run_id))
    assert others(stored_exceptions(demo, failing.run_id)) == others(stored_exceptions(demo, clean.run_id))
    assert not [r for r in stored_exceptions(demo, failing.run_id) if r[0] == check_id]
    assert [r for r in stored_exceptions(demo, clean.run_id) if r[0] == check_id]  # it did flag rows when whole


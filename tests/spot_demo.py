"""Helpers of the spot-check tests: processor names, users, and a check run recorded by hand.

The demo database they work on comes from conftest: `demo` (a connection to the test's copy of the loaded demo)
and `demo_files` (the session's files, to copy elsewhere).
"""

from __future__ import annotations

import duckdb

from store.db import next_id
from store.identity import User

BELCALL = "Belcall Antwerpen BV"
APPELIA = "Appelia Services SRL"

# These two names were fixtures; they moved to conftest (as `demo_files` and `demo`, built once per session). They stay
# as plain values pytest ignores, so a module that still imports them keeps working.
demo_files_fixture = demo_fixture = None


def user(*roles: str, name: str = "ann") -> User:
    return User(name, roles)


def add_check_run(con: duckdb.DuckDBPyConnection, processor: str, period: str,
                  breaches: dict[str, list[str]], warnings: dict[str, list[str]] | None = None) -> int:
    """Record a check run as the checks engine stores it: results per check, exceptions per offending case."""
    run_id = next_id(con, "check_run_ids")
    con.execute(
        "INSERT INTO check_runs (run_id, started_at, finished_at, user_name, processor, period, as_of, profiles, "
        "checks_run, "
        "exceptions, errors) VALUES (?, now(), now(), 'olivia', ?, ?, NULL, '{}', ?, 0, 0)",
        [run_id, processor, period, len(breaches) + len(warnings or {})])
    for severity, checks in (("breach", breaches), ("warning", warnings or {})):
        for check_id, case_ids in checks.items():
            con.execute("INSERT INTO check_results VALUES (?, ?, ?, ?, DATE '2026-10-31', 'default', '', ?, "
                        "'SCC 8(b)', 332, ?, NULL)", [run_id, check_id, processor, period, severity, len(case_ids)])
            for case_id in case_ids:
                con.execute("INSERT INTO exceptions VALUES (?, ?, ?, ?, ?, ?, 'SCC 8(b)', '{}')",
                            [run_id, check_id, severity, processor, period, case_id])
    return int(run_id)


def answer_all(con: duckdb.DuckDBPyConnection, user_: User, sample_id: str, case_id: str, answer: str = "yes",
               **overrides: tuple[str, str | None]) -> dict[str, tuple[str, str | None]]:
    """Answer every rubric item that applies to the case (from its facts) with `answer`; `overrides` per item."""
    from spotchecks.review import items_for, record_reviews

    given: dict[str, tuple[str, str | None]] = {i: (answer, None) for i in items_for(con, sample_id, case_id)}
    given.update(overrides)
    record_reviews(con, user_, sample_id, case_id, given)
    return given

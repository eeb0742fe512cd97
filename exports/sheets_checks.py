"""The pack's sheets about the checks: each check's latest result for the month, and its exceptions."""

from __future__ import annotations

import json

import duckdb

from checks.catalog import CHECKS
from exports.scope import Scope
from exports.xlsx import Section, Sheet
from store.db import rows

NO_RUN = "No check run for this period: run `oversight check --processor NAME --period YYYY-MM`, then export again."
CHECK_COLUMNS = ["check_id", "title", "severity", "clause", "cases_tested", "cases_offending", "result", "error",
                 "run_id", "as_of", "profile", "profile_sha256"]
RUN_COLUMNS = ["run_id", "started_at", "finished_at", "user_name", "as_of", "checks_run", "exceptions", "errors"]
EXCEPTION_COLUMNS = ["check_id", "severity", "case_id", "clause", "details", "run_id"]
_ORDER = {c.id: i for i, c in enumerate(CHECKS)}
_TITLES = {c.id: c.title for c in CHECKS}


def _order(check_id: str) -> tuple[int, str]:
    return _ORDER.get(check_id, len(_ORDER)), check_id


def _result(r: dict[str, object]) -> str:
    if r["error"]:
        return "error"
    return "offending" if r["cases_offending"] else "pass"


def without_subject_refs(value: object) -> object:
    """Drop data-subject references (pseudonyms too) from exception details: the pack names cases, not people."""
    if isinstance(value, dict):
        return {k: without_subject_refs(v) for k, v in value.items() if "data_subject" not in k}
    if isinstance(value, list):
        return [without_subject_refs(v) for v in value]
    return value


def latest_results(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict[str, object]]:
    """The newest result of each check for the processor and month, in catalog order."""
    found = rows(con, "SELECT * FROM latest_check_results WHERE processor = $processor AND period = $period",
                 {"processor": scope.processor, "period": scope.period})
    return sorted(found, key=lambda r: _order(str(r["check_id"])))


def checks_sheet(con: duckdb.DuckDBPyConnection, scope: Scope) -> Sheet:
    """Each check's latest result: what it tested, what offended, under which clause and profile."""
    results = latest_results(con, scope)
    body = [[r["check_id"], _TITLES.get(str(r["check_id"]), ""), r["severity"], r["clause"], r["cases_tested"],
             r["cases_offending"], _result(r), r["error"], r["run_id"], r["as_of"], r["profile"],
             r["profile_sha256"]] for r in results]
    runs = rows(con, "SELECT run_id, started_at, finished_at, user_name, as_of, checks_run, exceptions, errors "
                     "FROM check_runs WHERE list_contains($ids, run_id) ORDER BY run_id",
                {"ids": sorted({int(r["run_id"]) for r in results})}) if results else []
    return Sheet("Checks", f"Check results — {scope.processor}, {scope.period}", sections=[
        Section("Latest result of each check", CHECK_COLUMNS, body, empty=NO_RUN,
                note="The newest run of each check for this processor and month; earlier runs stay in the database."),
        Section("Check runs", RUN_COLUMNS, [[r[c] for c in RUN_COLUMNS] for r in runs], empty=NO_RUN),
    ])


def exceptions_sheet(con: duckdb.DuckDBPyConnection, scope: Scope) -> Sheet:
    """The offending cases of the latest results, by case id (report-level exceptions have none)."""
    found = rows(con, """SELECT check_id, severity, case_id, clause, CAST(details AS VARCHAR) AS details, run_id
                         FROM latest_exceptions WHERE processor = $processor AND period = $period""",
                 {"processor": scope.processor, "period": scope.period})
    body = [[e["check_id"], e["severity"], e["case_id"], e["clause"],
             without_subject_refs(json.loads(str(e["details"]))), e["run_id"]] for e in found]
    body.sort(key=lambda r: (_order(str(r[0])), r[2] or "", json.dumps(r[4], sort_keys=True, default=str)))
    ran = bool(latest_results(con, scope))
    return Sheet("Exceptions", f"Exceptions — {scope.processor}, {scope.period}", sections=[Section(
        "Offending cases", EXCEPTION_COLUMNS, body,
        empty="The latest check results found no exceptions." if ran else NO_RUN,
        note="Cases are named by the processor's case id; data-subject references are left out.",
    )])

"""Run the check catalog over the current reports and store the run, its results and exceptions (append-only)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import duckdb
import pandas as pd

from checks.calendar import WorkingCalendar
from checks.catalog import BY_ID, CHECKS, Check, Source
from checks.contract import Profile, profile_for_processor
from checks.errors import NothingToCheck
from checks.sources import BUILDERS, ScopeRow, build_cases, load_calendars, load_scope
from ingest.facts import period_bounds
from store import audit
from store.db import next_id, rows, transaction
from store.identity import User, require

Report = tuple[str, str]  # (processor, period)
Counts = dict[Report, tuple[int, int]]  # (processor, period) -> (rows tested, rows offending)
Errors = dict[Report, str]  # (processor, period) -> why a check could not be counted or kept for that report


@dataclass(frozen=True)
class CheckResult:
    """What one check found for one report: rows tested, rows offending, or the error that stopped it."""

    check_id: str
    processor: str
    period: str
    cases_tested: int
    cases_offending: int
    error: str | None = None


@dataclass(frozen=True)
class RunResult:
    """A stored check run."""

    run_id: int
    as_of: date | None
    reports: list[tuple[str, str]]
    results: list[CheckResult]
    exceptions: int
    errors: int
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def offending(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for r in self.results:
            totals[r.check_id] = totals.get(r.check_id, 0) + r.cases_offending
        return totals


def scope_of(con: duckdb.DuckDBPyConnection, processor: str | None, period: str | None,
             as_of: date | None) -> list[tuple[str, str, date]]:
    """The current case reports to check, each with its as-of date (given, else the last day of its period); a report
    whose case rows the retention period removed (submissions.purged_at) is not tested again."""
    found = rows(con, """
        SELECT DISTINCT p.name AS processor, s.period FROM submissions s JOIN processors p USING (processor_id)
        WHERE s.status = 'current' AND s.kind = 'cases' AND s.purged_at IS NULL
          AND ($processor IS NULL OR p.name = $processor) AND ($period IS NULL OR s.period = $period)
        ORDER BY 1, 2""", {"processor": processor, "period": period})
    if not found:
        what = " ".join(x for x in (processor, period) if x) or "any processor"
        raise NothingToCheck(
            f"There is no current report for {what} to check. Ingest the monthly report first "
            "(Reports page, or `oversight ingest FILE --processor NAME`), or pick another processor or period "
            "(`oversight reports` lists what is loaded).")
    return [(r["processor"], r["period"], as_of or period_bounds(r["period"])[1]) for r in found]


def plan(cur: duckdb.DuckDBPyConnection, processor: str | None, period: str | None,
         as_of: date | None, controller_country: str | None = None) -> tuple[dict[str, Profile], list[ScopeRow]]:
    """Return the contract profile of each processor in scope and the reports to check, with profile and calendars
    (the contract's for service levels; the controller's for statutory deadlines, docs/deadlines.md)."""
    targets = scope_of(cur, processor, period, as_of)
    profiles = {name: profile_for_processor(cur, name) for name in sorted({t[0] for t in targets})}
    scope = [ScopeRow(name, month, day, profiles[name].name, profiles[name].sha256,
                      WorkingCalendar.from_spec(profiles[name].calendar),
                      WorkingCalendar.from_spec(profiles[name].statutory_spec(controller_country)[0]))
             for name, month, day in targets]
    return profiles, scope


# What building one report's sources can raise on values the database holds: DuckDB's own errors, and Python's date
# arithmetic on a date near the calendar's ends (0001-01-01 - 31 days is an OverflowError; pandas' bounds are
# ValueErrors).
_REPORT_ERRORS = (duckdb.Error, ArithmeticError, ValueError)


def load_sources(cur: duckdb.DuckDBPyConnection, profiles: dict[str, Profile], scope: list[ScopeRow],
                 checks: Sequence[Check]) -> dict[tuple[str, str], str]:
    """Create the run's temp tables on `cur`: scope, parameters, clauses, calendars and the cases source.

    One bad report never stops the others (issue 18, item 3): if the sources cannot be built for the whole scope,
    each report is tried alone, and those that fail alone are left out of _scope and returned, by (processor,
    period), with the error. _clauses always covers every report, so their failed checks are stored too.
    """
    parameters = {n: p.parameters for n, p in profiles.items()}
    clauses = {n: {c.id: p.clause_for_check(c.id) for c in checks} for n, p in profiles.items()}
    try:
        _build_sources(cur, scope, parameters, clauses)
        return {}
    except _REPORT_ERRORS:
        pass
    failed: dict[tuple[str, str], str] = {}
    for report in scope:
        try:
            _build_sources(cur, [report], parameters, clauses)
        except _REPORT_ERRORS as exc:
            failed[(report.processor, report.period)] = _report_message(exc)
    healthy = [s for s in scope if (s.processor, s.period) not in failed]
    if healthy:
        _build_sources(cur, healthy, parameters, clauses)
    else:  # nothing to count: the clauses alone, for storing every report's errors
        load_scope(cur, scope, parameters, clauses)
    return failed


def _build_sources(cur: duckdb.DuckDBPyConnection, scope: list[ScopeRow], parameters: dict[str, object],
                   clauses: dict[str, dict[str, str]]) -> None:
    load_scope(cur, scope, parameters, clauses)
    load_calendars(cur, scope)
    build_cases(cur)


def _report_message(exc: Exception) -> str:
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return (f"This report could not be checked ({detail}): a value in it is out of range or unreadable, often a "
            "placeholder date such as 0001-01-01. Ask the processor for a corrected report and ingest it; the other "
            "reports of the run were checked.")


def run_checks(con: duckdb.DuckDBPyConnection, user: User, *, processor: str | None = None,
               period: str | None = None, as_of: date | None = None,
               checks: Sequence[Check] = CHECKS, controller_country: str | None = None) -> RunResult:
    """Run every check on each current report in scope; one failing check never hides another.

    Statutory deadlines count the holidays of `controller_country` (the configuration's ``[controller] country``)
    unless a profile overrides it; None: each profile's calendar (docs/deadlines.md, "Whose holidays").

    Each report is checked on the state it gives of its cases, as of `as_of` (default: the last day of its period).
    The checks that read one source are counted together in one pass over it; then each keeps its offending rows.
    The run, its per-check results and its exceptions are appended in one transaction, with an audit event.
    """
    role = require(user, "run the checks")
    started = datetime.now(UTC).replace(tzinfo=None)
    cur = con.cursor()  # temp tables live on this cursor only
    try:
        profiles, scope = plan(cur, processor, period, as_of, controller_country)
        seconds: dict[str, float] = {}
        tick = time.perf_counter()
        unbuilt = load_sources(cur, profiles, scope, checks)
        seconds["sources"] = time.perf_counter() - tick
        healthy = [s for s in scope if (s.processor, s.period) not in unbuilt]
        counts: dict[str, Counts] = {}
        errors: dict[str, Errors] = {}
        reports = [(s.processor, s.period) for s in healthy]
        for source in dict.fromkeys(c.source for c in checks) if healthy else ():
            tick = time.perf_counter()
            found, failed = count_source(cur, source, [c for c in checks if c.source == source], reports)
            counts |= found
            errors |= failed
            built_here = "" if source == Source.CASES else "source and "
            seconds[f"{source}: {built_here}counts"] = time.perf_counter() - tick
        cur.execute("CREATE OR REPLACE TEMP TABLE _exceptions (check_id VARCHAR, severity VARCHAR, processor VARCHAR, "
                    "period VARCHAR, case_id VARCHAR, details JSON)")
        results: list[CheckResult] = []
        for check in checks:  # exceptions are appended check by check, in the order of `checks`
            tick = time.perf_counter()
            results += _keep_offending(cur, check, scope, counts.get(check.id, {}), errors.get(check.id, {}),
                                       unbuilt)
            seconds[check.id] = time.perf_counter() - tick
        return _store(cur, user, role, started, processor, period, as_of, profiles, scope, results, seconds)
    finally:
        cur.close()


def count_source(cur: duckdb.DuckDBPyConnection, source: str, checks: Sequence[Check],
                 reports: Sequence[Report]) -> tuple[dict[str, Counts], dict[str, Errors]]:
    """Count the tested and offending rows of every check per report in one pass over `source`.

    Builds the source first unless it is the cases (load_sources built those). Returns the counts by check id and,
    by check id, the error that stopped a check for each report it stopped. If the shared pass fails, each check is
    counted on its own, so that only the failing one is recorded as failed and the others still count; a check that
    fails on its own is counted report by report, so that its error is recorded only for the reports whose rows make
    it fail (issue 18, item 3: a check error is recorded per report, never for the whole run).
    """
    unbuilt: Errors = {}
    if source != Source.CASES:
        try:
            BUILDERS[source](cur)
        except duckdb.Error:  # built for the whole scope at once: find the reports it cannot be built for
            unbuilt = _build_per_report(cur, source, reports)
            reports = [r for r in reports if r not in unbuilt]
            if not reports:
                return {}, {c.id: dict(unbuilt) for c in checks}
    counts, errors = _count_source(cur, source, checks, reports)
    if unbuilt:
        errors = {c.id: {**errors.get(c.id, {}), **unbuilt} for c in checks}
    return counts, errors


def _build_per_report(cur: duckdb.DuckDBPyConnection, source: str, reports: Sequence[Report]) -> Errors:
    """Build a source report by report (only after it failed for all of them at once): its rows for the reports it
    can be built for, as the source table, and the error of each report it cannot (issue 18, item 3)."""
    failed: Errors = {}
    parts: list[str] = []
    cur.execute("ALTER TABLE _scope RENAME TO _scope_all")
    try:
        for i, (processor, period) in enumerate(reports):
            cur.execute("CREATE OR REPLACE TEMP TABLE _scope AS SELECT * FROM _scope_all "
                        "WHERE processor = ? AND period = ?", [processor, period])
            try:
                BUILDERS[source](cur)
            except duckdb.Error as exc:
                failed[(processor, period)] = _message(exc)
                continue
            cur.execute(f"CREATE OR REPLACE TEMP TABLE _part_{i} AS SELECT * FROM _{source}")
            parts.append(f"_part_{i}")
    finally:
        cur.execute("DROP TABLE IF EXISTS _scope")
        cur.execute("ALTER TABLE _scope_all RENAME TO _scope")
    if parts:
        cur.execute(f"CREATE OR REPLACE TEMP TABLE _{source} AS "
                    + " UNION ALL BY NAME ".join(f"SELECT * FROM {part}" for part in parts))
        for part in parts:
            cur.execute(f"DROP TABLE {part}")
    return failed


def _count_source(cur: duckdb.DuckDBPyConnection, source: str, checks: Sequence[Check],
                  reports: Sequence[Report]) -> tuple[dict[str, Counts], dict[str, Errors]]:
    """Count every check over a built source: in one pass, else check by check, else report by report."""
    try:
        return _count(cur, source, checks), {}
    except duckdb.Error:
        pass
    counts: dict[str, Counts] = {}
    errors: dict[str, Errors] = {}
    for check in checks:
        if len(checks) > 1:  # alone, it was the shared pass
            try:
                counts |= _count(cur, source, [check])
                continue
            except duckdb.Error:
                pass
        counts[check.id], errors[check.id] = _count_per_report(cur, source, check, reports)
    return counts, errors


def _count_per_report(cur: duckdb.DuckDBPyConnection, source: str, check: Check,
                      reports: Sequence[Report]) -> tuple[Counts, Errors]:
    """Count one check report by report (only after it failed over all of them): the counts of the reports it can
    count, and the error of each report it cannot."""
    counts: Counts = {}
    errors: Errors = {}
    for report in reports:
        try:
            counts |= _count(cur, source, [check], report)[check.id]
        except duckdb.Error as exc:
            errors[report] = _message(exc)
    return counts, errors


def _count(cur: duckdb.DuckDBPyConnection, source: str, checks: Sequence[Check],
           report: Report | None = None) -> dict[str, Counts]:
    """Tested and offending rows per report of each check, from one aggregate query over the source (or over one
    report's rows of it)."""
    columns = ", ".join(f"count(*) FILTER (WHERE {c.applies}), count(*) FILTER (WHERE ({c.applies}) AND ({c.offends}))"
                        for c in checks)
    where, params = _only(report)
    counts: dict[str, Counts] = {c.id: {} for c in checks}
    for processor, period, *values in cur.execute(
            f"SELECT processor, period, {columns} FROM _{source} {where} GROUP BY ALL", params).fetchall():
        for i, check in enumerate(checks):
            counts[check.id][(processor, period)] = (values[2 * i], values[2 * i + 1])
    return counts


def _only(report: Report | None) -> tuple[str, dict[str, str]]:
    """A WHERE clause keeping one report's rows of a source (none: every row)."""
    if report is None:
        return "", {}
    return "WHERE processor = $only_processor AND period = $only_period", {
        "only_processor": report[0], "only_period": report[1]}


def _keep_offending(cur: duckdb.DuckDBPyConnection, check: Check, scope: list[ScopeRow], counts: Counts,
                    errors: Errors, failed: dict[Report, str] | None = None) -> list[CheckResult]:
    """Append the offending rows of a counted check to _exceptions and return its results per report.

    A check that could not be counted for a report (`errors`) or whose rows of a report cannot be kept is recorded
    with its error for that report, not raised; a report whose sources could not be built (`failed`, left out of
    _scope) is recorded with its own error. The other reports keep their rows and counts.
    """
    failed = failed or {}
    if len(failed) == len(scope):
        return [CheckResult(check.id, s.processor, s.period, 0, 0, failed[(s.processor, s.period)]) for s in scope]
    errors = dict(errors)
    counted = [(s.processor, s.period) for s in scope
               if (s.processor, s.period) not in failed and (s.processor, s.period) not in errors]
    try:
        # One pass over the source when every report counted; else (rare) only the reports that did, one by one.
        for report in [None] if not errors else counted:
            _insert_offending(cur, check, report)
    except duckdb.Error:
        cur.execute("DELETE FROM _exceptions WHERE check_id = ?", [check.id])
        for report in counted:
            try:
                _insert_offending(cur, check, report)
            except duckdb.Error as exc:
                cur.execute("DELETE FROM _exceptions WHERE check_id = ? AND processor = ? AND period = ?",
                            [check.id, *report])
                errors[report] = _message(exc)
    results = []
    for s in scope:
        report = (s.processor, s.period)
        if report in failed or report in errors:
            results.append(CheckResult(check.id, s.processor, s.period, 0, 0, failed.get(report) or errors[report]))
        else:
            results.append(CheckResult(check.id, s.processor, s.period, *counts.get(report, (0, 0))))
    return results


def _insert_offending(cur: duckdb.DuckDBPyConnection, check: Check, report: Report | None) -> None:
    """Append the check's offending rows (of one report, or of all) to _exceptions."""
    severity = check.severity_sql or "$severity"
    case_id = "NULL" if check.report_level else "case_id"
    where, params = _only(report)
    where = f"{where} AND" if where else "WHERE"
    cur.execute(f"INSERT INTO _exceptions SELECT $check_id, {severity}, processor, period, {case_id}, "
                f"to_json({check.details}) FROM _{check.source} {where} ({check.applies}) AND ({check.offends})",
                {"check_id": check.id, **params, **({} if check.severity_sql else {"severity": check.severity.value})})


def _message(exc: duckdb.Error) -> str:
    return str(exc).splitlines()[0]


def _store(cur: duckdb.DuckDBPyConnection, user: User, role: str, started: datetime, processor: str | None,
           period: str | None, as_of: date | None, profiles: dict[str, Profile], scope: list[ScopeRow],
           results: list[CheckResult], seconds: dict[str, float]) -> RunResult:
    statutory = {s.processor: s.statutory_calendar.label for s in scope}
    profile_facts = {name: {"profile": p.name, "sha256": p.sha256, "calendar": WorkingCalendar.from_spec(
        p.calendar).label, "statutory_calendar": statutory.get(name)} for name, p in profiles.items()}
    errors = sum(1 for r in results if r.error)
    by_report = {(s.processor, s.period): s for s in scope}
    with transaction(cur):
        exceptions = cur.execute("SELECT count(*) FROM _exceptions").fetchall()[0][0]
        run_id = next_id(cur, "check_run_ids")
        cur.execute(
            "INSERT INTO check_runs (run_id, started_at, finished_at, user_name, processor, period, as_of, profiles, "
            "checks_run, exceptions, errors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, started, datetime.now(UTC).replace(tzinfo=None), user.name, processor, period, as_of,
             json.dumps(profile_facts), len({r.check_id for r in results}), exceptions, errors])
        cur.register("results_frame", pd.DataFrame([{
            "check_id": r.check_id, "processor": r.processor, "period": r.period,
            "as_of": by_report[(r.processor, r.period)].as_of, "profile": by_report[(r.processor, r.period)].profile,
            "profile_sha256": by_report[(r.processor, r.period)].profile_sha256,
            "severity": BY_ID[r.check_id].severity.value, "cases_tested": r.cases_tested,
            "cases_offending": r.cases_offending, "error": r.error} for r in results]))
        cur.execute("INSERT INTO check_results SELECT ?, r.check_id, r.processor, r.period, CAST(r.as_of AS DATE), "
                    "r.profile, r.profile_sha256, r.severity, c.clause, r.cases_tested, r.cases_offending, "
                    "CAST(r.error AS VARCHAR) FROM results_frame r JOIN _clauses c USING (processor, check_id)",
                    [run_id])
        cur.unregister("results_frame")
        cur.execute("INSERT INTO exceptions SELECT ?, e.check_id, e.severity, e.processor, e.period, e.case_id, "
                    "c.clause, e.details FROM _exceptions e JOIN _clauses c USING (processor, check_id)", [run_id])
        audit.append_event(cur, user=user.name, role=role, action="checks.run", obj=f"check_run:{run_id}",
                           details={"processor": processor, "period": period,
                                    "as_of": as_of.isoformat() if as_of else None,
                                    "reports": [f"{s.processor} {s.period}" for s in scope],
                                    "exceptions": exceptions, "errors": errors, "profiles": profile_facts})
    return RunResult(run_id, as_of, [(s.processor, s.period) for s in scope], results, exceptions, errors, seconds)


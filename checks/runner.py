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
from checks.catalog import BY_ID, CHECKS, Check
from checks.contract import Profile, profile_for_processor
from checks.errors import NothingToCheck
from checks.sources import BUILDERS, ScopeRow, build_cases, load_calendars, load_scope
from ingest.facts import period_bounds
from store import audit
from store.db import rows, transaction
from store.identity import User, require


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
    """The current case reports to check, each with its as-of date (given, else the last day of its period)."""
    found = rows(con, """
        SELECT DISTINCT p.name AS processor, s.period FROM submissions s JOIN processors p USING (processor_id)
        WHERE s.status = 'current' AND s.kind = 'cases'
          AND ($processor IS NULL OR p.name = $processor) AND ($period IS NULL OR s.period = $period)
        ORDER BY 1, 2""", {"processor": processor, "period": period})
    if not found:
        what = " ".join(x for x in (processor, period) if x) or "any processor"
        raise NothingToCheck(
            f"There is no current report for {what} to check. Ingest the monthly report first "
            "(Reports page, or `oversight ingest FILE --processor NAME`), or pick another processor or period "
            "(`oversight reports` lists what is loaded).")
    return [(r["processor"], r["period"], as_of or period_bounds(r["period"])[1]) for r in found]


def run_checks(con: duckdb.DuckDBPyConnection, user: User, *, processor: str | None = None,
               period: str | None = None, as_of: date | None = None,
               checks: Sequence[Check] = CHECKS) -> RunResult:
    """Run every check on each current report in scope; one failing check never hides another.

    Each report is checked on the state it gives of its cases, as of `as_of` (default: the last day of its period).
    The run, its per-check results and its exceptions are appended in one transaction, with an audit event.
    """
    role = require(user, "run the checks")
    started = datetime.now(UTC).replace(tzinfo=None)
    cur = con.cursor()  # temp tables live on this cursor only
    try:
        targets = scope_of(cur, processor, period, as_of)
        profiles = {name: profile_for_processor(cur, name) for name in sorted({t[0] for t in targets})}
        scope = [ScopeRow(name, month, day, profiles[name].name, profiles[name].sha256,
                          WorkingCalendar.from_spec(profiles[name].calendar)) for name, month, day in targets]
        seconds: dict[str, float] = {}
        tick = time.perf_counter()
        load_scope(cur, scope, {n: p.parameters for n, p in profiles.items()},
                   {n: {c.id: p.clause_for_check(c.id) for c in checks} for n, p in profiles.items()})
        load_calendars(cur, scope)
        build_cases(cur)
        seconds["sources"] = time.perf_counter() - tick
        built = {"cases"}
        cur.execute("CREATE OR REPLACE TEMP TABLE _exceptions (check_id VARCHAR, severity VARCHAR, processor VARCHAR, "
                    "period VARCHAR, case_id VARCHAR, details JSON)")
        results: list[CheckResult] = []
        for check in checks:
            tick = time.perf_counter()
            results += _run_one(cur, check, scope, built)
            seconds[check.id] = time.perf_counter() - tick
        return _store(cur, user, role, started, processor, period, as_of, profiles, scope, results, seconds)
    finally:
        cur.close()


def _run_one(cur: duckdb.DuckDBPyConnection, check: Check, scope: list[ScopeRow], built: set[str]) -> list[CheckResult]:
    """Count tested and offending rows per report and keep the offending rows; an error is recorded, not raised."""
    try:
        if check.source not in built:
            BUILDERS[check.source](cur)
            built.add(check.source)
        table = f"_{check.source}"
        counts = {(p, m): (t, o) for p, m, t, o in cur.execute(
            f"SELECT processor, period, count(*) FILTER (WHERE {check.applies}), "
            f"count(*) FILTER (WHERE ({check.applies}) AND ({check.offends})) FROM {table} GROUP BY ALL").fetchall()}
        severity = check.severity_sql or "$severity"
        case_id = "NULL" if check.report_level else "case_id"
        cur.execute(f"INSERT INTO _exceptions SELECT $check_id, {severity}, processor, period, {case_id}, "
                    f"to_json({check.details}) FROM {table} WHERE ({check.applies}) AND ({check.offends})",
                    {"check_id": check.id, **({} if check.severity_sql else {"severity": check.severity.value})})
    except duckdb.Error as exc:
        cur.execute("DELETE FROM _exceptions WHERE check_id = ?", [check.id])
        message = str(exc).splitlines()[0]
        return [CheckResult(check.id, s.processor, s.period, 0, 0, message) for s in scope]
    return [CheckResult(check.id, s.processor, s.period, *counts.get((s.processor, s.period), (0, 0)))
            for s in scope]


def _store(cur: duckdb.DuckDBPyConnection, user: User, role: str, started: datetime, processor: str | None,
           period: str | None, as_of: date | None, profiles: dict[str, Profile], scope: list[ScopeRow],
           results: list[CheckResult], seconds: dict[str, float]) -> RunResult:
    profile_facts = {name: {"profile": p.name, "sha256": p.sha256, "calendar": WorkingCalendar.from_spec(
        p.calendar).label} for name, p in profiles.items()}
    errors = sum(1 for r in results if r.error)
    by_report = {(s.processor, s.period): s for s in scope}
    with transaction(cur):
        exceptions = cur.execute("SELECT count(*) FROM _exceptions").fetchall()[0][0]
        run_id = cur.execute(
            "INSERT INTO check_runs (started_at, finished_at, user_name, processor, period, as_of, profiles, "
            "checks_run, exceptions, errors) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING run_id",
            [started, datetime.now(UTC).replace(tzinfo=None), user.name, processor, period, as_of,
             json.dumps(profile_facts), len({r.check_id for r in results}), exceptions, errors]).fetchall()[0][0]
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


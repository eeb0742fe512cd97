"""Read-only queries over stored check runs for the dashboard and exports: results, exceptions, trends, due lists.

Everything here reads the tables the runner appends to (check_runs, check_results, exceptions) and the views
latest_check_results / latest_exceptions (newest run per processor, period and check). Nothing writes, and nothing
returns a data subject's pseudonym: an exception is shown with its case's key facts only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date

import duckdb

from checks.catalog import CHECKS, get
from checks.contract import Clause
from store.db import rows
from vocab.severity import NON_CONFORMITIES

# The two checks whose exceptions make up the operational list of open cases (docs/checks.md, statutory deadlines).
DUE_CHECKS = ("deadline.overdue_open", "deadline.due_soon")
EXCEPTION_LIMIT = 1000  # a page never needs more rows than a reviewer reads; counts come from check_results


def latest_period(con: duckdb.DuckDBPyConnection, processor: str) -> str | None:
    """Return the newest period with a current cases report of the processor (None if it has none)."""
    found = rows(con, "SELECT max(s.period) AS period FROM submissions s JOIN processors p USING (processor_id) "
                      "WHERE p.name = $processor AND s.status = 'current' AND s.kind = 'cases'",
                 {"processor": processor})
    return found[0]["period"] if found else None


def report_status(con: duckdb.DuckDBPyConnection, processor: str, period: str) -> dict[str, object]:
    """Say whether the period has a current cases report, its latest check run (as of when), and if that is stale.

    A run is stale when the current report was ingested after it started (a resubmission replaced what it read).
    """
    found = rows(con, """
        WITH report AS (
            SELECT max(s.ingested_at) AS ingested_at FROM submissions s JOIN processors p USING (processor_id)
            WHERE p.name = $processor AND s.period = $period AND s.status = 'current' AND s.kind = 'cases'),
        run AS (
            SELECT max(r.run_id) AS run_id, arg_max(r.as_of, r.run_id) AS as_of FROM latest_check_results r
            WHERE r.processor = $processor AND r.period = $period)
        SELECT report.ingested_at, run.run_id, run.as_of, c.started_at, c.finished_at, c.user_name
        FROM report, run LEFT JOIN check_runs c ON c.run_id = run.run_id""",
                 {"processor": processor, "period": period})[0]
    ingested, finished = found["ingested_at"], found["finished_at"]
    return {"has_report": ingested is not None, "ingested_at": ingested, "run_id": found["run_id"],
            "as_of": found["as_of"], "checked_at": finished,
            "checked_by": found["user_name"],
            # A report ingested once the run had started may not be what it read.
            "stale": bool(ingested and finished and ingested > found["started_at"])}


def check_table(con: duckdb.DuckDBPyConnection, processor: str, period: str,
                register: Mapping[str, Clause] | None = None,
                check_clauses: Mapping[str, str] | None = None) -> list[dict[str, object]]:
    """Return one row per check of the catalog, in catalog order, with its latest result for the processor/period.

    A check not run yet has None for the counts, run and date. The clause is the one the run logged against; before
    any run, the profile's mapping (`check_clauses`), else the catalog's default. `register` gives clause titles.
    """
    found = {r["check_id"]: r for r in rows(con, """
        SELECT r.check_id, r.run_id, r.as_of, r.clause, r.cases_tested, r.cases_offending, r.error,
               c.finished_at AS checked_at
        FROM latest_check_results r JOIN check_runs c USING (run_id)
        WHERE r.processor = $processor AND r.period = $period""", {"processor": processor, "period": period})}
    table = []
    for check in CHECKS:
        result = found.get(check.id, {})
        clause = result.get("clause") or (check_clauses or {}).get(check.id) or check.clause
        entry = (register or {}).get(str(clause))
        table.append({
            "check_id": check.id, "title": check.title, "description": check.description,
            "severity": check.severity.value, "basis": check.basis, "clause": clause,
            "clause_title": entry.title if entry else None,
            "cases_tested": result.get("cases_tested"), "cases_offending": result.get("cases_offending"),
            "error": result.get("error"), "run_id": result.get("run_id"), "as_of": result.get("as_of"),
            "checked_at": result.get("checked_at"),
        })
    return table


def check_exceptions(con: duckdb.DuckDBPyConnection, check_id: str, processor: str, period: str,
                     limit: int = EXCEPTION_LIMIT) -> list[dict[str, object]]:
    """Return the latest run's exceptions of one check for a processor/period, with each case's key facts.

    The facts come from the newest report up to the period that lists the case, so a case dropped from this
    period's report still shows what the previous one said. `details` is the dict of values that offend.
    """
    get(check_id)  # an unknown id is a KeyError naming the known ones, not an empty list
    found = rows(con, """
        WITH e AS (
            SELECT row_number() OVER (ORDER BY e.case_id NULLS FIRST, CAST(e.details AS VARCHAR)) AS n,
                   e.run_id, e.severity, e.case_id, e.clause, CAST(e.details AS VARCHAR) AS details, e.processor,
                   e.period
            FROM latest_exceptions e
            WHERE e.check_id = $check_id AND e.processor = $processor AND e.period = $period)
        SELECT e.n, e.run_id, e.severity, e.case_id, e.clause, e.details,
               rc.period AS case_period, rc.received_on, rc.request_type, rc.responded_on, rc.outcome
        FROM e LEFT JOIN report_cases rc
          ON rc.processor = e.processor AND rc.case_id = e.case_id AND rc.period <= e.period
        QUALIFY row_number() OVER (PARTITION BY e.n ORDER BY rc.period DESC NULLS LAST) = 1
        ORDER BY e.n
        LIMIT $limit""", {"check_id": check_id, "processor": processor, "period": period, "limit": limit})
    for r in found:
        del r["n"]
        r["details"] = json.loads(str(r["details"]))
    return found


def flatten_details(details: Mapping[str, object], prefix: str = "") -> dict[str, object]:
    """Flatten an exception's details into columns: nested objects as `before.received_on`, lists joined by ', '."""
    flat: dict[str, object] = {}
    for key, value in details.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_details(value, f"{name}."))
        elif isinstance(value, list):
            flat[name] = ", ".join(str(v) for v in value)
        else:
            flat[name] = value
    return flat


def non_conformities_by_month(con: duckdb.DuckDBPyConnection,
                              processor: str | None = None) -> list[dict[str, object]]:
    """Count the latest runs' non-conformities (critical and major exceptions) per check and report period (one row
    per pair with any)."""
    return rows(con, """
        SELECT period, check_id, count(*) AS non_conformities FROM latest_exceptions
        WHERE list_contains($non_conformity, severity) AND ($processor IS NULL OR processor = $processor)
        GROUP BY period, check_id ORDER BY period, check_id""",
                {"non_conformity": [s.value for s in NON_CONFORMITIES], "processor": processor})


def open_cases_due(con: duckdb.DuckDBPyConnection, processor: str | None = None, period: str | None = None, *,
                   as_of: date | None = None, within_days: int = 7) -> list[dict[str, object]]:
    """Return the open cases the latest runs found overdue or due soon, due within `within_days` of `as_of`.

    With a period, the cases as that period's report left them; without, only each case's current report counts
    (a case answered in a later report is no longer open). `as_of` defaults to the run's own as-of date. Only
    cases the run flagged can appear: the run's due-soon window (the profile's due_soon_days) bounds the list.
    """
    return rows(con, """
        WITH flagged AS (
            SELECT e.processor, e.period, e.case_id, e.check_id, e.clause,
                   CAST(json_extract_string(e.details, '$.due_on') AS DATE) AS due_on,
                   CAST(json_extract_string(e.details, '$.as_of') AS DATE) AS run_as_of
            FROM latest_exceptions e
            WHERE list_contains($checks, e.check_id)
              AND ($processor IS NULL OR e.processor = $processor) AND ($period IS NULL OR e.period = $period))
        SELECT f.processor, f.period, f.case_id, c.request_type, c.received_on, f.due_on,
               f.due_on - coalesce(CAST($as_of AS DATE), f.run_as_of) AS days_left,
               CASE WHEN f.due_on < coalesce(CAST($as_of AS DATE), f.run_as_of) THEN 'overdue' ELSE 'due soon' END
                   AS status,
               f.check_id, f.clause, c.channel, c.agent_id
        FROM flagged f
        JOIN report_cases c ON c.processor = f.processor AND c.period = f.period AND c.case_id = f.case_id
        WHERE ($period IS NOT NULL OR NOT EXISTS (
                SELECT 1 FROM report_cases later
                WHERE later.processor = f.processor AND later.case_id = f.case_id AND later.period > f.period))
          AND f.due_on - coalesce(CAST($as_of AS DATE), f.run_as_of) <= $within
        ORDER BY f.due_on, f.processor, f.case_id""",
                {"checks": list(DUE_CHECKS), "processor": processor, "period": period, "as_of": as_of,
                 "within": within_days})


def list_runs(con: duckdb.DuckDBPyConnection, processor: str | None = None,
              limit: int = 50) -> list[dict[str, object]]:
    """Return the check runs, newest first: who, when, scope, as-of, counts and the profiles used.

    With a processor, the runs that checked at least one of its reports (the run's profiles name each processor).
    """
    found = rows(con, """
        SELECT run_id, started_at, finished_at, user_name, processor, period, as_of, checks_run, exceptions, errors,
               CAST(profiles AS VARCHAR) AS profiles
        FROM check_runs
        WHERE $processor IS NULL OR list_contains(json_keys(profiles), $processor)
        ORDER BY run_id DESC LIMIT $limit""", {"processor": processor, "limit": limit})
    for r in found:
        r["profiles"] = json.loads(str(r["profiles"]))
    return found

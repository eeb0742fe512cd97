"""Read the findings log: lists with their case ids and overdue flag, one finding with cases and history, KPIs."""

from __future__ import annotations

import json
from datetime import date

import duckdb

from findings.errors import UnknownFinding
from findings.lifecycle import DONE_STATES
from store.db import rows

# The JSON interface of `findings list|show|raise` (docs/architecture.md), in this order; more fields follow.
FINDING_FIELDS = ["finding_id", "processor", "period", "clause", "title", "severity", "status", "source", "case_ids",
                  "due_on"]
MORE_FIELDS = ["overdue", "owner", "description", "response", "response_text", "status_reason", "evidence",
               "created_at", "created_by", "updated_at"]

_DONE = [s.value for s in DONE_STATES]

# Age bands of open findings for the by-age chart: (label, up to and including this many days; None = no limit).
AGE_BUCKETS: list[tuple[str, int | None]] = [("0-30 days", 30), ("31-60 days", 60), ("61-90 days", 90),
                                             ("over 90 days", None)]

# docs/findings.md: past its due date and not closed (or dismissed) = overdue; the same rule as lifecycle.is_overdue.
_OVERDUE_SQL = "(f.due_on IS NOT NULL AND f.due_on < $as_of AND NOT list_contains($done, f.status))"

_SELECT = f"""
    SELECT f.*, {_OVERDUE_SQL} AS overdue,
           coalesce((SELECT list(c.case_id ORDER BY c.case_id) FROM finding_cases c
                     WHERE c.finding_id = f.finding_id), []) AS case_ids
    FROM findings f"""


def _shape(row: dict[str, object]) -> dict[str, object]:
    row["evidence"] = json.loads(row["evidence"]) if isinstance(row["evidence"], str) else row["evidence"]
    return {k: row[k] for k in [*FINDING_FIELDS, *MORE_FIELDS]}


def list_findings(con: duckdb.DuckDBPyConnection, *, status: str | None = None, processor: str | None = None,
                  period: str | None = None, clause: str | None = None, severity: str | None = None,
                  overdue: bool = False, as_of: date | None = None) -> list[dict[str, object]]:
    """Return the findings matching the filters, newest first; `overdue` keeps only overdue ones as of `as_of`."""
    found = rows(con, f"""{_SELECT}
        WHERE ($status IS NULL OR f.status = $status) AND ($processor IS NULL OR f.processor = $processor)
          AND ($period IS NULL OR f.period = $period) AND ($clause IS NULL OR f.clause = $clause)
          AND ($severity IS NULL OR f.severity = $severity) AND (NOT $overdue OR {_OVERDUE_SQL})
        ORDER BY f.created_at DESC, f.finding_id DESC""",
                 {"status": status, "processor": processor, "period": period, "clause": clause,
                  "severity": severity, "overdue": overdue, "as_of": as_of or date.today(), "done": _DONE})
    return [_shape(r) for r in found]


def get_finding(con: duckdb.DuckDBPyConnection, finding_id: str, *, as_of: date | None = None,
                case_limit: int | None = None) -> dict[str, object]:
    """Return one finding with its cases (and their evidence; the first `case_limit` by case id when given, while
    `case_ids` always lists them all) and its full history, oldest first."""
    found = rows(con, f"{_SELECT} WHERE f.finding_id = $id", {"id": finding_id, "as_of": as_of or date.today(),
                                                              "done": _DONE})
    if not found:
        raise UnknownFinding(finding_id)
    finding = _shape(found[0])
    finding["cases"] = [{**c, "evidence": json.loads(c["evidence"])} for c in rows(
        con, "SELECT case_id, added_at, evidence FROM finding_cases WHERE finding_id = ? ORDER BY case_id LIMIT ?",
        [finding_id, case_limit])]  # LIMIT NULL: every case
    finding["history"] = [{**e, "details": json.loads(e["details"])} for e in rows(
        con, "SELECT seq, occurred_at AS at, user_name AS user, role, action, from_status, to_status, details "
             "FROM finding_events WHERE finding_id = ? ORDER BY seq", [finding_id])]
    return finding


def counts(con: duckdb.DuckDBPyConnection, *, processor: str | None = None, period: str | None = None,
           as_of: date | None = None) -> dict[str, int]:
    """Return the KPIs: findings still open (not closed or dismissed), overdue, and per status."""
    [row] = rows(con, f"""
        SELECT count(*) FILTER (WHERE NOT list_contains($done, f.status)) AS open,
               count(*) FILTER (WHERE {_OVERDUE_SQL}) AS overdue,
               count(*) AS total
        FROM findings f WHERE ($processor IS NULL OR f.processor = $processor)
          AND ($period IS NULL OR f.period = $period)""",
                 {"processor": processor, "period": period, "as_of": as_of or date.today(), "done": _DONE})
    return {k: int(v) for k, v in row.items()}


def age_bucket(days: int) -> str:
    """Name the age band of an open finding (days since it was raised) for the by-age chart."""
    for label, upto in AGE_BUCKETS:
        if upto is None or days <= upto:
            return label
    raise AssertionError("the last band has no upper bound")


def open_by_clause_and_age(con: duckdb.DuckDBPyConnection, *, processor: str | None = None,
                           period: str | None = None, as_of: date | None = None) -> list[dict[str, object]]:
    """Count open findings (not closed or dismissed) per clause and age band, aggregated in SQL for the chart."""
    band = "CASE " + " ".join(f"WHEN age <= {upto} THEN '{label}'" for label, upto in AGE_BUCKETS if upto is not None)
    band += f" ELSE '{AGE_BUCKETS[-1][0]}' END"
    return rows(con, f"""
        SELECT clause, {band} AS age, min(age) AS youngest, count(*) AS findings
        FROM (SELECT clause, date_diff('day', CAST(created_at AS DATE), $as_of) AS age FROM findings
              WHERE NOT list_contains($done, status) AND ($processor IS NULL OR processor = $processor)
                AND ($period IS NULL OR period = $period))
        GROUP BY ALL ORDER BY clause, youngest""",
                {"processor": processor, "period": period, "as_of": as_of or date.today(), "done": _DONE})


def distinct_clauses(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Return the clauses findings were raised against, for the clause filter."""
    return [str(r["clause"]) for r in rows(con, "SELECT DISTINCT clause FROM findings ORDER BY clause")]


def samples_with_deviations(con: duckdb.DuckDBPyConnection, *, processor: str | None = None,
                            period: str | None = None) -> list[dict[str, object]]:
    """Return the samples whose current reviews hold at least one "no", newest first, with the count of "no"s."""
    return rows(con, """
        SELECT s.sample_id, s.processor, s.period, count(*) AS deviations
        FROM samples s JOIN current_reviews r USING (sample_id)
        WHERE r.answer = 'no' AND ($processor IS NULL OR s.processor = $processor)
          AND ($period IS NULL OR s.period = $period)
        GROUP BY ALL ORDER BY s.sample_id DESC""", {"processor": processor, "period": period})


def finding_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Return every finding id, newest first."""
    return [str(r["finding_id"]) for r in rows(con, "SELECT finding_id FROM findings ORDER BY created_at DESC, "
                                                    "finding_id DESC")]

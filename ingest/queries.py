"""Read-side queries over what was ingested: reports (submissions), current cases, quarantine."""

from __future__ import annotations

import json

import duckdb

from ingest.vocabulary import CASE_FIELDS
from store.db import rows

CASE_COLUMNS = [f.name for f in CASE_FIELDS]


def processors(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Return the processors' names, alphabetically."""
    return [r["name"] for r in rows(con, "SELECT name FROM processors ORDER BY name")]


def periods(con: duckdb.DuckDBPyConnection, processor: str | None = None) -> list[str]:
    """Return the periods that have a current report, newest first."""
    return [r["period"] for r in rows(
        con,
        "SELECT DISTINCT s.period FROM submissions s JOIN processors p USING (processor_id) "
        "WHERE s.status = 'current' AND ($processor IS NULL OR p.name = $processor) ORDER BY s.period DESC",
        {"processor": processor},
    )]


def list_reports(con: duckdb.DuckDBPyConnection, processor: str | None = None, period: str | None = None,
                 *, include_superseded: bool = True) -> list[dict[str, object]]:
    """Return the submissions (newest first) with their counts, status and resubmission changes."""
    result = rows(
        con,
        """SELECT s.submission_id, p.name AS processor, s.period, s.kind, s.file_name, s.format, s.encoding,
                  s.delimiter, s.sheet, s.header_row, s.submitted_on, s.submitted_on_source,
                  s.declared_submitted_on, s.declared_total, s.declared_total_source, s.ingested_at, s.ingested_by,
                  s.rows_read, s.rows_loaded,
                  s.rows_quarantined, s.rows_skipped, CAST(s.counts AS VARCHAR) AS counts, s.extras, s.notes,
                  s.status, s.supersedes, s.superseded_by, CAST(s.changes AS VARCHAR) AS changes, s.sha256
           FROM submissions s JOIN processors p USING (processor_id)
           WHERE ($processor IS NULL OR p.name = $processor) AND ($period IS NULL OR s.period = $period)
             AND ($all OR s.status = 'current')
           ORDER BY s.ingested_at DESC, s.submission_id DESC""",
        {"processor": processor, "period": period, "all": include_superseded},
    )
    for r in result:
        r["counts"] = json.loads(r["counts"]) if r["counts"] else {}
        r["changes"] = json.loads(r["changes"]) if r["changes"] else None
    return result


def list_cases(con: duckdb.DuckDBPyConnection, processor: str | None = None, period: str | None = None,
               limit: int | None = None) -> list[dict[str, object]]:
    """Return cases: with a period, those in that period's current report; without, each case's current state."""
    source = "report_cases" if period else "current_cases"
    return rows(
        con,
        f"SELECT processor, period, {', '.join(CASE_COLUMNS)} FROM {source} "
        "WHERE ($processor IS NULL OR processor = $processor) AND ($period IS NULL OR period = $period) "
        "ORDER BY processor, period, case_id" + (" LIMIT $limit" if limit else ""),
        {"processor": processor, "period": period, **({"limit": limit} if limit else {})},
    )


def list_quarantine(con: duckdb.DuckDBPyConnection, processor: str | None = None, period: str | None = None,
                    submission_id: int | None = None, *, current_only: bool = True) -> list[dict[str, object]]:
    """Return quarantined rows with their reasons and raw values (references pseudonymised)."""
    result = rows(
        con,
        """SELECT q.submission_id, p.name AS processor, s.period, s.file_name, q.part, q.source_row, q.case_id,
                  q.reasons, q.messages, CAST(q.raw AS VARCHAR) AS raw
           FROM quarantine q JOIN submissions s USING (submission_id) JOIN processors p USING (processor_id)
           WHERE ($processor IS NULL OR p.name = $processor) AND ($period IS NULL OR s.period = $period)
             AND ($sid IS NULL OR q.submission_id = $sid) AND (NOT $current OR s.status = 'current')
           ORDER BY s.period, p.name, q.submission_id, q.source_row""",
        {"processor": processor, "period": period, "sid": submission_id, "current": current_only},
    )
    for r in result:
        r["raw"] = json.loads(r["raw"])
    return result


def is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    """True when no report has been ingested yet."""
    return rows(con, "SELECT count(*) AS n FROM submissions")[0]["n"] == 0

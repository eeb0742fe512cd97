"""The pack's sheets about the report itself: the submission facts and the quarantined rows."""

from __future__ import annotations

import duckdb

from exports.scope import Scope
from exports.xlsx import Section, Sheet
from ingest.queries import list_quarantine, list_reports

SUBMISSION_COLUMNS = ["submission_id", "kind", "status", "file_name", "sha256", "format", "submitted_on",
                      "submitted_on_source", "declared_total", "declared_total_source", "rows_read", "rows_loaded",
                      "rows_quarantined", "rows_skipped", "ingested_at", "ingested_by", "supersedes",
                      "superseded_by", "notes"]
QUARANTINE_COLUMNS = ["submission_id", "file_name", "part", "source_row", "case_id", "reasons", "messages"]


def submission_sheet(con: duckdb.DuckDBPyConnection, scope: Scope) -> Sheet:
    """Every file received for the month, current and superseded, with its hash and row counts."""
    reports = sorted(list_reports(con, scope.processor, scope.period), key=lambda r: r["submission_id"])
    body = [[r["submission_id"], r["kind"], r["status"], r["file_name"], r["sha256"], r["format"], r["submitted_on"],
             r["submitted_on_source"], r["declared_total"], r["declared_total_source"], r["rows_read"],
             r["rows_loaded"], r["rows_quarantined"], r["rows_skipped"], r["ingested_at"], r["ingested_by"],
             r["supersedes"], r["superseded_by"], "; ".join(r["notes"] or [])] for r in reports]
    return Sheet("Submission", f"Reports received — {scope.processor}, {scope.period}", sections=[Section(
        "Files", SUBMISSION_COLUMNS, body,
        empty="No report was received for this month (see the check report.missing on the Checks sheet).",
        note="Rows read = loaded + quarantined + skipped. A resubmission supersedes the earlier file, which stays "
             "as history. SHA-256 identifies the exact file received.",
    )])


def quarantine_sheet(con: duckdb.DuckDBPyConnection, scope: Scope) -> Sheet:
    """The rows of the month's current reports that could not be loaded, with the reasons."""
    found = list_quarantine(con, scope.processor, scope.period)
    body = [[q["submission_id"], q["file_name"], q["part"], q["source_row"], q["case_id"], ", ".join(q["reasons"]),
             " | ".join(q["messages"])] for q in found]
    return Sheet("Quarantine", f"Rows not loaded — {scope.processor}, {scope.period}", sections=[Section(
        "Quarantined rows", QUARANTINE_COLUMNS, body, empty="Every row of the current report was loaded or skipped.",
        note="The rows' raw values stay in the database (they may hold personal data): `oversight quarantine "
             "--format csv` lists them.",
    )])

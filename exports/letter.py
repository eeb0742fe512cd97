"""The findings letter to a processor (docs/findings.md, "Exports"): its open findings with clause, case ids and due
dates, as .xlsx or .csv; cases by the processor's own case id, never a data-subject reference."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from checks.contract import profile_for_processor
from exports.errors import UnsupportedFormat
from exports.output import Produced, record_export
from exports.scope import Scope, file_slug, resolve_scope
from exports.sheets_findings import list_for
from exports.xlsx import Section, Sheet, csv_bytes, workbook_bytes
from store import audit
from store.errors import OversightError
from store.identity import User, require

PERMISSION = "export a findings letter"
FORMATS = ("xlsx", "csv")
LETTER_COLUMNS = ["finding_id", "period", "clause", "clause_title", "title", "description", "severity", "status",
                  "case_ids", "due_on", "overdue", "response", "response_text"]
NOTE = ("Cases are named by your own case id. Please answer each finding by its due date: accepted, partially "
        "accepted or disputed, with your explanation and the remedy you plan.")


def letter_file_name(processor: str, fmt: str, as_of: date) -> str:
    """Return the letter's suggested file name, e.g. findings-letter_Belcall-Antwerpen-BV_2026-11-28.xlsx."""
    return f"findings-letter_{file_slug(processor)}_{as_of.isoformat()}.{fmt}"


def _clause_titles(con: duckdb.DuckDBPyConnection, processor: str) -> dict[str, str]:
    try:
        return {ref: c.title for ref, c in profile_for_processor(con, processor).clauses.items()}
    except OversightError:
        return {}  # an unreadable profile: the clause reference alone still identifies the clause


def open_findings(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date) -> list[list[object]]:
    """Return the letter's rows: the processor's findings not closed or dismissed, by id."""
    titles = _clause_titles(con, scope.processor)
    rows = []
    for f in list_for(con, scope.processor, None, as_of, open_only=True):
        values = {**f, "clause_title": titles.get(str(f["clause"]), ""), "case_ids": ", ".join(f["case_ids"])}
        rows.append([values[c] for c in LETTER_COLUMNS])
    return rows


def _format(fmt: str | None, out_path: Path | None) -> str:
    chosen = (fmt or (out_path.suffix.lstrip(".") if out_path else "xlsx")).lower()
    if chosen not in FORMATS:
        raise UnsupportedFormat(f"A findings letter is written as .xlsx or .csv, not '{chosen}'. "
                                "Give a file name ending in .xlsx or .csv.")
    return chosen


def _build(con: duckdb.DuckDBPyConnection, user: User, processor: str, fmt: str,
           as_of: date | None) -> tuple[str, Scope, bytes, list[str]]:
    role = require(user, PERMISSION)
    scope = resolve_scope(con, processor)
    as_of = as_of or datetime.now(UTC).date()
    body = open_findings(con, scope, as_of)
    ids = [str(r[0]) for r in body]
    if fmt == "csv":
        return role, scope, csv_bytes(LETTER_COLUMNS, body), ids
    sheet = Sheet("Open findings", f"Open findings — {scope.processor}",
                  lines=[["To", scope.processor], ["Date", as_of.isoformat()], ["Open findings", len(body)],
                         ["Our reference", audit.head_text(con)]],  # an anchor of our trail, held outside it
                  sections=[Section("Findings to answer", LETTER_COLUMNS, body, empty="No open findings.", note=NOTE)])
    return role, scope, workbook_bytes([sheet]), ids


def _record(con: duckdb.DuckDBPyConnection, user: User, role: str, scope: Scope, fmt: str, file_name: str,
            data: bytes, ids: list[str], out_path: Path | None) -> Produced:
    return record_export(con, user=user.name, role=role, action="export.letter", obj=f"processor:{scope.processor}",
                         file_name=file_name, data=data,
                         details={"processor": scope.processor, "format": fmt, "findings": ids}, out_path=out_path)


def export_letter(con: duckdb.DuckDBPyConnection, user: User, processor: str, out_path: Path,
                  fmt: str | None = None, *, as_of: date | None = None) -> Produced:
    """Write the processor's findings letter (format from `fmt`, else the file's suffix) and record the export."""
    out_path = Path(out_path)
    chosen = _format(fmt, out_path)
    role, scope, data, ids = _build(con, user, processor, chosen, as_of)
    return _record(con, user, role, scope, chosen, out_path.name, data, ids, out_path)


def letter_bytes(con: duckdb.DuckDBPyConnection, user: User, processor: str, fmt: str = "xlsx", *,
                 as_of: date | None = None) -> bytes:
    """Return the findings letter as bytes (for a download button), recording the export in the audit trail."""
    chosen = _format(fmt, None)
    role, scope, data, ids = _build(con, user, processor, chosen, as_of)
    day = as_of or datetime.now(UTC).date()
    _record(con, user, role, scope, chosen, letter_file_name(scope.processor, chosen, day), data, ids, None)
    return data

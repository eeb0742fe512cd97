"""The pack's Findings sheet: the month's findings with their whole history, and what is still open from before."""

from __future__ import annotations

from datetime import date

import duckdb

from exports.scope import Scope
from exports.xlsx import Section, Sheet
from findings.lifecycle import DONE_STATES
from findings.queries import list_findings
from findings.terms import worded
from store.db import rows

FINDING_COLUMNS = ["finding_id", "period", "clause", "title", "severity", "status", "source", "case_ids", "owner",
                   "due_on", "overdue", "response", "response_text", "status_reason", "description", "created_at",
                   "created_by", "updated_at"]
HISTORY_COLUMNS = ["finding_id", "seq", "occurred_at", "user_name", "role", "action", "from_status", "to_status",
                   "details"]


def list_for(con: duckdb.DuckDBPyConnection, processor: str, period: str | None, as_of: date, *,
             open_only: bool = False) -> list[dict[str, object]]:
    """Return the processor's findings (of one month, or all), by id, with case ids and overdue as of the date."""
    found = list_findings(con, processor=processor, period=period, as_of=as_of)
    for f in found:  # issue 12 §8: a finding raised before the wording was filled in reads with its values too
        f["description"] = worded(con, processor, str(f["description"]))
    if open_only:
        found = [f for f in found if f["status"] not in DONE_STATES]
    return sorted(found, key=lambda f: str(f["finding_id"]))


def _row(f: dict[str, object]) -> list[object]:
    return [", ".join(f["case_ids"]) if c == "case_ids" else f[c] for c in FINDING_COLUMNS]  # type: ignore[arg-type]


def findings_sheet(con: duckdb.DuckDBPyConnection, scope: Scope, as_of: date) -> Sheet:
    """Findings raised for the month, each move of each of them, and the processor's earlier ones still open."""
    month = list_for(con, scope.processor, scope.period, as_of)
    history = rows(con, """SELECT finding_id, seq, occurred_at, user_name, role, action, from_status, to_status,
                                  CAST(details AS VARCHAR) AS details
                           FROM finding_events WHERE list_contains($ids, finding_id) ORDER BY finding_id, seq""",
                   {"ids": [f["finding_id"] for f in month]})
    earlier = [f for f in list_for(con, scope.processor, None, as_of, open_only=True)
               if str(f["period"]) < str(scope.period)]
    return Sheet("Findings", f"Findings — {scope.processor}, {scope.period}", sections=[
        Section("Findings for this month", FINDING_COLUMNS, [_row(f) for f in month],
                empty="No finding was raised for this month.",
                note="Overdue: past the due date and not closed or dismissed on the day the pack was generated "
                     "(Summary sheet)."),
        Section("History of these findings", HISTORY_COLUMNS, [[h[c] for c in HISTORY_COLUMNS] for h in history],
                empty="No finding, so no history."),
        Section("Open findings of earlier months", FINDING_COLUMNS, [_row(f) for f in earlier],
                empty="No finding of an earlier month is still open."),
    ])

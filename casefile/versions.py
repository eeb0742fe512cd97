"""A case as each submission that listed it stated it: one flat version per submission, changed fields marked.

Superseded submissions count too: a value the processor rewrote between two files (a received date moved, a
complaint-right notice turned from "no" to "yes" after the fact) is exactly what an auditor wants to see.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb

from ingest.vocabulary import CASE_FIELDS
from store.db import rows

FIELDS = [f.name for f in CASE_FIELDS]


def versions(con: duckdb.DuckDBPyConnection, processor: str, case_id: str) -> list[dict[str, object]]:
    """Every submission of the processor that listed the case, oldest first, each flat with the case's fields."""
    columns = ", ".join(f"c.{f}" for f in FIELDS if f != "case_id")
    found = rows(
        con,
        f"""SELECT s.submission_id, s.period, s.submitted_on, s.status, s.file_name, c.case_id, {columns}
            FROM cases c JOIN submissions s USING (submission_id) JOIN processors p USING (processor_id)
            WHERE p.name = ? AND c.case_id = ? ORDER BY s.submission_id""",
        [processor, case_id])
    mark_changes(found)
    return found


def mark_changes(found: list[dict[str, object]]) -> None:
    """Give each version `changed`: the fields whose value differs from the version before it (none for the first)."""
    before: dict[str, object] | None = None
    for version in found:
        version["changed"] = [] if before is None else [f for f in FIELDS if version.get(f) != before.get(f)]
        before = version


def plain(value: object) -> object:
    """A value as text shows it: dates ISO, the rest as they are."""
    return value.isoformat() if isinstance(value, date | datetime) else value

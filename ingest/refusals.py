"""The record of a refused file: one `report.refused` audit event, never the file's content (issue 12 §1).

The event says which file (name, SHA-256, size), why (the refusal reason code) and who; nothing read from the file
is kept, not even its headers. The same file refused again by the same user within a day adds no second event, so
someone retrying a broken file does not flood the trail.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb

from ingest.load import now_utc
from store import audit
from store.db import transaction
from store.files import file_digest

ACTION = "report.refused"
QUIET_FOR = timedelta(days=1)


def record_refusal(con: duckdb.DuckDBPyConnection, path: Path, *, file_name: str, user: str, role: str,
                   reason: str, details: dict[str, object] | None = None) -> bool:
    """Append a `report.refused` event unless this user refused this file in the last day; True if appended."""
    try:
        sha256, size = file_digest(path)
    except OSError:
        sha256, size = None, None
    with transaction(con):
        seen = con.execute(
            "SELECT count(*) FROM audit_events WHERE action = ? AND user_name = ? "
            "AND json_extract_string(details, '$.sha256') IS NOT DISTINCT FROM ? AND occurred_at >= ?",
            [ACTION, user, sha256, now_utc() - QUIET_FOR]).fetchall()[0][0]
        if seen:
            return False
        audit.append_event(con, user=user, role=role, action=ACTION, obj=f"file:{file_name}",
                           details={"file": file_name, "sha256": sha256, "size": size, "reason": reason,
                                    **(details or {})})
    return True

"""The day a report was received: inbox files count from the day they were first seen there (issue 12 §2).

A transfer job may drop a report in the inbox days before anyone ingests it; the processor sent it on time even if
the file waited. So the first time the inbox is listed with a file, the day is recorded by the file's SHA-256 (a
renamed copy is the same file, a changed file is a new one), and ingest counts the report from that day.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from ingest.inbox import InboxFile
from ingest.load import now_utc
from store.db import transaction
from store.files import file_digest


def first_seen(con: duckdb.DuckDBPyConnection, items: list[InboxFile]) -> dict[Path, date]:
    """Record each inbox file the first time it is seen and return the (UTC) day each was first seen."""
    seen: dict[Path, date] = {}
    now = now_utc()
    with transaction(con):
        for item in items:
            try:
                sha256, _ = file_digest(item.path)
            except OSError:  # moved away meanwhile (another session ingested it)
                continue
            con.execute("INSERT INTO inbox_files VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
                        [sha256, item.path.name, item.processor, now])
            seen[item.path] = con.execute("SELECT CAST(first_seen_at AS DATE) FROM inbox_files WHERE sha256 = ?",
                                          [sha256]).fetchall()[0][0]
    return seen

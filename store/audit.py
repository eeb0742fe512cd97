"""The append-only, hash-chained audit trail (findings.md): every state change appends one event."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import duckdb

GENESIS = "0" * 64

# The columns an event is shown and exported with; prev_hash and hash let anyone re-walk the chain outside the tool.
EVENT_COLUMNS = ["seq", "occurred_at", "user_name", "role", "action", "object", "details", "prev_hash", "hash"]


@dataclass(frozen=True)
class ChainStatus:
    """The result of walking the chain: intact, or the first event where it breaks."""

    events: int
    intact: bool
    broken_at: int | None = None
    reason: str | None = None
    # The newest event's hash: noted down outside the database, it also reveals a trail cut short at its end,
    # which the chain alone cannot (the last event has no successor to hold its hash).
    head: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class EventFilter:
    """Which events to list: each given field narrows the selection; dates are UTC days, both inclusive."""

    action: str | None = None  # an action ("report.ingested") or its family ("report")
    user: str | None = None
    obj: str | None = None  # text the object contains, any case
    since: date | None = None
    until: date | None = None

    def params(self) -> dict[str, object]:
        return {"action": self.action or None, "user": self.user or None, "obj": self.obj or None,
                "since": self.since, "until": self.until}


_WHERE = """
    WHERE ($action IS NULL OR action = $action OR starts_with(action, $action || '.'))
      AND ($user IS NULL OR user_name = $user)
      AND ($obj IS NULL OR contains(lower(object), lower($obj)))
      AND ($since IS NULL OR occurred_at >= CAST($since AS DATE))
      AND ($until IS NULL OR occurred_at < CAST($until AS DATE) + INTERVAL 1 DAY)"""


def _event_hash(prev_hash: str, seq: int, at: str, user: str, role: str, action: str, obj: str,
                details: str) -> str:
    payload = json.dumps([prev_hash, seq, at, user, role, action, obj, details], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _canonical(details: dict[str, object]) -> str:
    return json.dumps(details, sort_keys=True, ensure_ascii=False, default=str)


def append_event(con: duckdb.DuckDBPyConnection, *, user: str, role: str, action: str, obj: str,
                 details: dict[str, object] | None = None) -> int:
    """Append one event inside the caller's transaction and return its sequence number."""
    last = con.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchall()
    seq, prev = (last[0][0] + 1, last[0][1]) if last else (1, GENESIS)
    at = datetime.now(UTC).replace(tzinfo=None)
    at_text = at.isoformat(timespec="microseconds")
    body = _canonical(details or {})
    digest = _event_hash(prev, seq, at_text, user, role, action, obj, body)
    con.execute(
        "INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [seq, at, user, role, action, obj, body, prev, digest],
    )
    return seq


def list_events(con: duckdb.DuckDBPyConnection, *, action: str | None = None, limit: int | None = 1000,
                user: str | None = None, obj: str | None = None, since: date | None = None,
                until: date | None = None, offset: int = 0) -> list[dict[str, object]]:
    """Return the newest events first (details as a dict), filtered as EventFilter says; limit None: all."""
    wanted = EventFilter(action, user, obj, since, until)
    paging = (" LIMIT $limit" if limit is not None else "") + " OFFSET $offset"
    params = {**wanted.params(), "offset": offset, **({"limit": limit} if limit is not None else {})}
    cur = con.cursor()
    try:
        result = cur.execute(
            "SELECT seq, occurred_at, user_name, role, action, object, CAST(details AS VARCHAR) AS details, "
            f"prev_hash, hash FROM audit_events {_WHERE} ORDER BY seq DESC{paging}",
            params,
        )
        names = [d[0] for d in result.description]
        events = [dict(zip(names, row, strict=True)) for row in result.fetchall()]
    finally:
        cur.close()
    for event in events:
        event["details"] = json.loads(str(event["details"]))
    return events


def count_events(con: duckdb.DuckDBPyConnection, wanted: EventFilter = EventFilter()) -> int:
    """Return how many events the filter selects (for paging)."""
    cur = con.cursor()
    try:
        return cur.execute(f"SELECT count(*) FROM audit_events {_WHERE}", wanted.params()).fetchall()[0][0]
    finally:
        cur.close()


def distinct_values(con: duckdb.DuckDBPyConnection, column: str) -> list[str]:
    """Return the actions or the users that occur in the trail, sorted (for filter choices)."""
    if column not in ("action", "user_name"):
        raise ValueError(f"column must be 'action' or 'user_name', not {column!r}")
    cur = con.cursor()
    try:
        return [r[0] for r in cur.execute(f"SELECT DISTINCT {column} FROM audit_events ORDER BY 1").fetchall()]
    finally:
        cur.close()


def verify_chain(con: duckdb.DuckDBPyConnection) -> ChainStatus:
    """Walk the chain from the first event; report the first event whose hashes do not hold."""
    cur = con.cursor()
    try:
        events = cur.execute(
            "SELECT seq, occurred_at, user_name, role, action, object, CAST(details AS VARCHAR), prev_hash, hash "
            "FROM audit_events ORDER BY seq"
        ).fetchall()
    finally:
        cur.close()
    prev = GENESIS
    for expected_seq, (seq, at, user, role, action, obj, details, prev_hash, digest) in enumerate(events, 1):
        if seq != expected_seq:
            return ChainStatus(len(events), False, seq, f"event {expected_seq} is missing (deleted)")
        if prev_hash != prev:
            return ChainStatus(len(events), False, seq, "it does not hold the hash of the event before it "
                               "(the link was changed)")
        at_text = at.isoformat(timespec="microseconds")
        if _event_hash(prev_hash, seq, at_text, user, role, action, obj, details) != digest:
            return ChainStatus(len(events), False, seq, "its content does not match its hash (edited)")
        prev = digest
    return ChainStatus(len(events), True, head=prev if events else None)

"""The append-only, hash-chained audit trail (findings.md): every state change appends one event."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

GENESIS = "0" * 64


@dataclass(frozen=True)
class ChainStatus:
    """The result of walking the chain: intact, or the first event where it breaks."""

    events: int
    intact: bool
    broken_at: int | None = None
    reason: str | None = None


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


def list_events(con: duckdb.DuckDBPyConnection, *, action: str | None = None,
                limit: int = 1000) -> list[dict[str, object]]:
    """Return the newest events first, optionally only one action."""
    cur = con.cursor()
    try:
        result = cur.execute(
            "SELECT seq, occurred_at, user_name, role, action, object, details FROM audit_events "
            "WHERE ($action IS NULL OR action = $action) ORDER BY seq DESC LIMIT $limit",
            {"action": action, "limit": limit},
        )
        names = [d[0] for d in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
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
            return ChainStatus(len(events), False, seq, f"event {expected_seq} is missing")
        if prev_hash != prev:
            return ChainStatus(len(events), False, seq, "it does not hold the hash of the event before it")
        at_text = at.isoformat(timespec="microseconds")
        if _event_hash(prev_hash, seq, at_text, user, role, action, obj, details) != digest:
            return ChainStatus(len(events), False, seq, "its content does not match its hash (edited)")
        prev = digest
    return ChainStatus(len(events), True)

"""The append-only, hash-chained audit trail (docs/findings.md): every state change appends one event.

Each event's hash is an HMAC-SHA256 keyed with the audit key, a file kept outside the database (`audit.key` beside
the pseudonymisation key, or ``[paths] audit_key_file``), so someone who can write the database but not read the key
cannot rewrite an event and recompute the chain. Keyed hashes are written ``hmac-sha256:<hex>``; events written
before the chain was keyed keep their plain SHA-256 and verify as such (docs/audit-trail.md says what each proves).
Events about a submission, a check run or a finding also carry the digest of its rows (store.digests).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from store import digests, postgres
from store.db import store_key
from store.errors import StoreError
from store.keys import create_key, read_key

GENESIS = "0" * 64
KEYED = "hmac-sha256:"
KEY_FILE = "audit.key"
# `[paths] audit_key_file` per database file (store.audit.use_key_file); otherwise the default beside the keys.
_KEY_FILES: dict[str, Path] = {}
# An in-memory database lives as long as this process: so does its key.
_MEMORY_KEY = secrets.token_bytes(32)


class AuditKeyMissing(StoreError):
    """The trail's events are keyed, but the audit key file is not there."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"The audit key {path} is missing, but this database's audit trail was keyed with it, so no "
                         "event can be added or verified. Restore the key file from its backup (or point [paths] "
                         "audit_key_file at it); a new key would not match the events already written.")

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
    # How many events at the start were written before the chain was keyed (plain SHA-256).
    unkeyed: int = field(default=0, compare=False)


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
                details: str, key: bytes | None = None) -> str:
    """The event's hash: HMAC-SHA256 with the audit key (``hmac-sha256:<hex>``), or plain SHA-256 without one (only
    events written before the chain was keyed)."""
    payload = json.dumps([prev_hash, seq, at, user, role, action, obj, details], ensure_ascii=False).encode("utf-8")
    if key is None:
        return hashlib.sha256(payload).hexdigest()
    return KEYED + hmac.new(key, payload, hashlib.sha256).hexdigest()


def database_file(con: duckdb.DuckDBPyConnection) -> Path | str | None:
    """The store of the connection: its file (None in memory), or a PostgreSQL store's URL."""
    if postgres.postgres(con):
        return con.url  # type: ignore[attr-defined]
    cur = con.cursor()
    try:
        [(path,)] = cur.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
                                ).fetchall()
    finally:
        cur.close()
    return Path(path).resolve() if path else None


def use_key_file(db_path: Path | str, key_path: Path | None) -> None:
    """Use `key_path` (``[paths] audit_key_file``) as the audit key of the store `db_path`; None: the default."""
    if key_path is None:
        _KEY_FILES.pop(store_key(db_path), None)
    else:
        _KEY_FILES[store_key(db_path)] = Path(key_path)


def configured_key(audit_key_file: Path | None, key_file: Path | None) -> Path | None:
    """The audit key a configuration names: ``[paths] audit_key_file``, else audit.key beside ``[paths] key_file``
    (the pseudonymisation key it names), else None (the default)."""
    if audit_key_file is not None:
        return audit_key_file
    return Path(key_file).parent / KEY_FILE if key_file is not None else None


def key_path_for(db_path: Path | str) -> Path:
    """The audit key of a store: as configured, else `audit.key` beside the pseudonymisation key (whose file is
    $OVERSIGHT_KEY_FILE, else oversight.key beside the database; a PostgreSQL store has nothing beside it)."""
    configured = _KEY_FILES.get(store_key(db_path))
    if configured is not None:
        return configured
    pseudonym_key = os.environ.get("OVERSIGHT_KEY_FILE")
    if pseudonym_key:
        return Path(pseudonym_key).parent / KEY_FILE
    if postgres.is_url(db_path):
        raise postgres.NothingBesideUrl(
            "audit key", "set OVERSIGHT_KEY_FILE (the audit key is audit.key beside it) or [paths] audit_key_file")
    return Path(db_path).parent / KEY_FILE


def _key(con: duckdb.DuckDBPyConnection, *, create: bool) -> bytes | None:
    """The audit key of the connection's database (created on the first keyed append); None if absent."""
    db = database_file(con)
    if db is None:
        return _MEMORY_KEY
    path = key_path_for(db)
    if create and not path.is_symlink() and not path.exists():
        create_key(path)
    if not path.is_symlink() and not path.exists():
        return None
    return read_key(path, "audit key")


def _canonical(details: dict[str, object]) -> str:
    return json.dumps(details, sort_keys=True, ensure_ascii=False, default=str)


def append_event(con: duckdb.DuckDBPyConnection, *, user: str, role: str, action: str, obj: str,
                 details: dict[str, object] | None = None) -> int:
    """Append one event inside the caller's transaction and return its sequence number."""
    last = con.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchall()
    seq, prev = (last[0][0] + 1, last[0][1]) if last else (1, GENESIS)
    # A trail already keyed never gets a new key made for it: that would break every later event.
    key = _key(con, create=not prev.startswith(KEYED))
    if key is None:
        raise AuditKeyMissing(key_path_for(database_file(con) or Path(".")))
    at = datetime.now(UTC).replace(tzinfo=None)
    at_text = at.isoformat(timespec="microseconds")
    details = dict(details or {})
    if (target := digests.split(obj)) is not None:
        details["digest"] = digests.digest(con, *target)  # the rows this event wrote, as they stand now
    body = _canonical(details)
    digest = _event_hash(prev, seq, at_text, user, role, action, obj, body, key)
    con.execute(
        "INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [seq, at, user, role, action, obj, body, prev, digest],
    )
    return seq


def head_text(con: duckdb.DuckDBPyConnection) -> str:
    """The chain's head as exports carry it: "audit trail event N, hash …" (an anchor the reader keeps)."""
    cur = con.cursor()
    try:
        last = cur.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchall()
    finally:
        cur.close()
    return f"audit trail event {last[0][0]}, hash {last[0][1]}" if last else "audit trail empty"


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
    """Walk the chain from the first event; report the first event whose hashes do not hold.

    Events before the first keyed one may be plain SHA-256 (written before the chain was keyed); after it, an
    unkeyed event is a forgery by someone without the key.
    """
    cur = con.cursor()
    try:
        events = cur.execute(
            "SELECT seq, occurred_at, user_name, role, action, object, CAST(details AS VARCHAR), prev_hash, hash "
            "FROM audit_events ORDER BY seq"
        ).fetchall()
    finally:
        cur.close()
    key = _key(con, create=False) if any(str(e[8]).startswith(KEYED) for e in events) else None
    prev, unkeyed = GENESIS, 0
    for expected_seq, (seq, at, user, role, action, obj, details, prev_hash, digest) in enumerate(events, 1):
        if seq != expected_seq:
            return ChainStatus(len(events), False, seq, f"event {expected_seq} is missing (deleted)", unkeyed=unkeyed)
        if prev_hash != prev:
            return ChainStatus(len(events), False, seq, "it does not hold the hash of the event before it "
                               "(the link was changed)", unkeyed=unkeyed)
        keyed = str(digest).startswith(KEYED)
        if not keyed and prev.startswith(KEYED):
            return ChainStatus(len(events), False, seq, "it has an unkeyed hash after the keyed chain began "
                               "(written without the audit key, not by the tool)", unkeyed=unkeyed)
        if keyed and key is None:
            return ChainStatus(len(events), False, seq, f"the audit key {key_path_for(database_file(con) or Path())} "
                               "is missing, so the keyed events cannot be checked (restore it from its backup)",
                               unkeyed=unkeyed)
        at_text = at.isoformat(timespec="microseconds")
        if _event_hash(prev_hash, seq, at_text, user, role, action, obj, details, key if keyed else None) != digest:
            return ChainStatus(len(events), False, seq, "its content does not match its hash (edited)",
                               unkeyed=unkeyed)
        unkeyed += not keyed
        prev = digest
    return ChainStatus(len(events), True, head=prev if events else None, unkeyed=unkeyed)

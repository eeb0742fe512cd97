"""Checking the audit trail against what lies outside it: anchors written outside the database, and the data tables.

The chain (store.audit.verify_chain) proves each event is the one written after its predecessor; it cannot see a
trail cut short at its end, emptied, or data edited without an event. So `oversight audit anchor` writes the chain's
head to a file or log outside the database, and `verify_trail` also checks:
- the last anchor: the trail still has the anchored event, with the anchored hash;
- the tables: every submission, check run and finding has the event that created it;
- the digests (store.digests): each object's rows still match the newest event that recorded them.
docs/audit-trail.md lists exactly what is and is not detected.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from store import audit, digests
from store.errors import StoreError

ANCHOR_FILE = "audit-anchors.jsonl"

# (table, the object of its rows' events, which events create one): rows that must each have an event.
CREATED_BY = [
    ("submissions", "'submission:' || submission_id", ("report.ingested", "report.resubmitted")),
    ("check_runs", "'check_run:' || run_id", ("checks.run",)),
    ("findings", "'finding:' || finding_id", ("finding.raised",)),
]


class AnchorUnreadable(StoreError):
    """The anchor file cannot be read or holds a line that is not an anchor."""


@dataclass(frozen=True)
class Anchor:
    """The chain's head noted outside the database: which trail, how many events, the newest hash, when."""

    database: str
    trail: str | None  # the first event's hash: the trail's identity, whatever the file is called later
    events: int
    head: str | None
    anchored_at: str


@dataclass(frozen=True)
class Problem:
    """One thing verify found: the event it concerns (None when no event exists for it), the object, what is wrong."""

    seq: int | None
    obj: str
    what: str


@dataclass(frozen=True)
class Verification:
    """The chain's status, and everything the anchor, the tables and the digests contradict."""

    chain: audit.ChainStatus
    anchor: Anchor | None
    digests_checked: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.chain.intact and not self.problems


def default_anchor_path(db_path: Path) -> Path:
    """Where `oversight audit anchor` writes by default: beside the audit key, outside the database."""
    return audit.key_path_for(db_path).parent / ANCHOR_FILE


def current_anchor(con: duckdb.DuckDBPyConnection, db_path: Path) -> Anchor:
    """The anchor of the trail as it stands (verify the chain first: an anchor of a broken chain proves nothing)."""
    cur = con.cursor()
    try:
        first = cur.execute("SELECT hash FROM audit_events ORDER BY seq LIMIT 1").fetchall()
        last = cur.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchall()
    finally:
        cur.close()
    return Anchor(str(Path(db_path).resolve()), first[0][0] if first else None, last[0][0] if last else 0,
                  last[0][1] if last else None, datetime.now(UTC).isoformat(timespec="seconds"))


def anchor_line(anchor: Anchor) -> str:
    """One anchor as the JSON line written to the anchor file or a log."""
    return json.dumps(asdict(anchor), ensure_ascii=False, sort_keys=True)


def write_anchor(path: Path, anchor: Anchor) -> None:
    """Append one anchor line to `path` (created owner-only; never rewritten, so earlier anchors stay)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(anchor_line(anchor) + "\n")
        out.flush()
        os.fsync(out.fileno())


def last_anchor(path: Path, db_path: Path, trail: str | None) -> Anchor | None:
    """The newest anchor in `path` for this trail (same first event) or, if none, for this database file."""
    if not path.exists():
        return None
    found: list[Anchor] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise AnchorUnreadable(f"The anchor file {path} could not be read ({exc}).") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            found.append(Anchor(**json.loads(line)))
        except (ValueError, TypeError):
            raise AnchorUnreadable(f"{path}, line {number}, is not an anchor written by `oversight audit anchor`. "
                                   "Restore the file from where you keep its copy.") from None
    here = str(Path(db_path).resolve())
    mine = [a for a in found if trail is not None and a.trail == trail] or [a for a in found if a.database == here]
    return mine[-1] if mine else None


def _event_hashes(con: duckdb.DuckDBPyConnection) -> dict[int, str]:
    cur = con.cursor()
    try:
        return dict(cur.execute("SELECT seq, hash FROM audit_events").fetchall())
    finally:
        cur.close()


def check_anchor(hashes: dict[int, str], anchor: Anchor) -> list[Problem]:
    """What the trail contradicts in the anchor: events gone since (cut short, emptied), or a different head."""
    if anchor.events == 0:
        return []
    if anchor.events not in hashes:
        return [Problem(anchor.events, f"anchor of {anchor.anchored_at}",
                        f"the trail was cut short: the anchor of {anchor.anchored_at} records {anchor.events} "
                        f"events, the trail now has {len(hashes)}")]
    if hashes[anchor.events] != anchor.head:
        return [Problem(anchor.events, f"anchor of {anchor.anchored_at}",
                        f"event {anchor.events} is not the one anchored on {anchor.anchored_at} (its hash differs): "
                        "the trail was rewritten")]
    return []


def check_tables(con: duckdb.DuckDBPyConnection) -> list[Problem]:
    """Rows of submissions, check runs and findings whose creating event is not in the trail."""
    problems = []
    cur = con.cursor()
    try:
        for table, obj, actions in CREATED_BY:
            placeholders = ", ".join("?" for _ in actions)
            missing = cur.execute(
                f"SELECT {obj} AS o FROM {table} WHERE {obj} NOT IN "
                f"(SELECT object FROM audit_events WHERE action IN ({placeholders})) ORDER BY 1", list(actions)
            ).fetchall()
            problems += [Problem(None, o, f"in the {table} table, but the trail has no {' or '.join(actions)} event "
                                 "for it (the trail was cut or emptied, or the row was written outside the tool)")
                         for (o,) in missing]
    finally:
        cur.close()
    return problems


def check_digests(con: duckdb.DuckDBPyConnection) -> tuple[int, list[Problem]]:
    """Recompute each object's digest and compare it with the newest event that recorded one; return how many were
    checked and what differs. An object a later event lists in ``details.removed`` (a retention purge) must have the
    rows that event's ``details.remaining`` records for it, or none: purged, not tampered with."""
    cur = con.cursor()
    try:
        recorded = cur.execute(
            "SELECT object, seq, details->>'digest' FROM audit_events WHERE (details->>'digest') IS NOT NULL "
            "QUALIFY row_number() OVER (PARTITION BY object ORDER BY seq DESC) = 1 ORDER BY seq").fetchall()
        # A purge (store.retention) lists each object it removed rows of, with the digest of what is left of it in
        # ``details.remaining`` (none: nothing is left); the newest purge of an object counts.
        removed = {o: (seq, left) for o, seq, left in cur.execute(
            "SELECT o, seq, details->'remaining'->>o FROM (SELECT unnest(json_keys(details->'removed')) AS o, seq, "
            "details FROM audit_events WHERE json_type(details->'removed') = 'OBJECT') "
            "QUALIFY row_number() OVER (PARTITION BY o ORDER BY seq DESC) = 1").fetchall()}
    finally:
        cur.close()
    current = {kind: digests.all_digests(con, kind) for kind in digests.COLUMNS}
    problems = []
    for obj, seq, digest in recorded:
        target = digests.split(obj)
        if target is None:
            continue
        kind, ident = target
        now = current[kind].get(ident, digests.EMPTY)
        purge_seq, left = removed.get(obj, (0, None))
        purged = purge_seq > seq
        expected = (left or digests.EMPTY) if purged else digest
        if now != expected:
            gone = now == digests.EMPTY
            seq_meant = purge_seq if purged else seq
            problems.append(Problem(seq_meant, obj, f"{digests.WHAT[kind]} "
                                    + ("were deleted since" if gone else "differ from what")
                                    + f" event {seq_meant} recorded"
                                    + (" after its retention purge" if purged else "")
                                    + " (changed outside the tool)"))
    return len(recorded), problems


def verify_trail(con: duckdb.DuckDBPyConnection, db_path: Path, anchors: Path | None = None) -> Verification:
    """Walk the chain, then check it against the last anchor in `anchors` (default: default_anchor_path), the tables
    and the digests. Everything found is reported, not only the first thing."""
    chain = audit.verify_chain(con)
    hashes = _event_hashes(con)
    path = anchors or default_anchor_path(db_path)
    anchor = last_anchor(path, db_path, hashes.get(1))
    problems = check_anchor(hashes, anchor) if anchor else []
    problems += check_tables(con)
    checked, differing = check_digests(con)
    return Verification(chain, anchor, checked, problems + differing)

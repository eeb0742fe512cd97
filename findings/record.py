"""Writes to the findings log inside the caller's transaction: ids, rows, cases, history and the audit trail."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

import duckdb

from findings.errors import UnknownFinding
from findings.lifecycle import Severity, Status, higher
from ingest.load import now_utc
from store import audit


def to_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


@dataclass(frozen=True)
class Candidate:
    """What a raise wants to log: one finding with its cases (case id -> evidence) and finding-level evidence."""

    processor: str
    period: str
    source: str
    clause: str
    title: str
    description: str
    severity: Severity
    cases: dict[str, dict[str, object]] = field(default_factory=dict)
    evidence: dict[str, list[object]] = field(default_factory=dict)


@dataclass(frozen=True)
class Raised:
    """What raising did to one finding: created, updated (new cases or evidence), unchanged, or skipped."""

    finding_id: str
    outcome: str
    new_cases: tuple[str, ...] = ()
    note: str | None = None


def next_id(con: duckdb.DuckDBPyConnection, year: int) -> str:
    """Return the next id of the year, F-2026-0007 style (numbering restarts each year)."""
    prefix = f"F-{year}-"
    [(last,)] = con.execute(
        "SELECT max(CAST(substr(finding_id, length($p) + 1) AS INTEGER)) FROM findings "
        "WHERE starts_with(finding_id, $p)", {"p": prefix}).fetchall()
    return f"{prefix}{(last or 0) + 1:04d}"


def load(con: duckdb.DuckDBPyConnection, finding_id: str) -> dict[str, object]:
    """Read one finding on the caller's connection (so a transaction sees its own writes)."""
    result = con.execute("SELECT * FROM findings WHERE finding_id = ?", [finding_id])
    names = [d[0] for d in result.description]
    found = result.fetchall()
    if not found:
        raise UnknownFinding(finding_id)
    return dict(zip(names, found[0], strict=True))


def log(con: duckdb.DuckDBPyConnection, *, user: str, role: str, finding_id: str, action: str,
        from_status: str | None, to_status: str | None, details: dict[str, object]) -> None:
    """Append one history entry to the finding and one event to the audit trail (docs/findings.md, "Audit trail")."""
    [(seq,)] = con.execute("SELECT coalesce(max(seq), 0) + 1 FROM finding_events WHERE finding_id = ?",
                           [finding_id]).fetchall()
    con.execute("INSERT INTO finding_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [finding_id, seq, now_utc(), user, role, action, from_status, to_status, to_json(details)])
    audit.append_event(con, user=user, role=role, action=f"finding.{action}", obj=f"finding:{finding_id}",
                       details={"from_status": from_status, "to_status": to_status, **details})


def add_cases(con: duckdb.DuckDBPyConnection, finding_id: str, cases: dict[str, dict[str, object]]) -> list[str]:
    """Attach the cases not yet attached; return their ids (sorted)."""
    have = {r[0] for r in con.execute("SELECT case_id FROM finding_cases WHERE finding_id = ?",
                                      [finding_id]).fetchall()}
    new = sorted(set(cases) - have)
    if new:  # one statement: a check with 100,000 offending cases must not mean 100,000 inserts
        con.execute("INSERT INTO finding_cases SELECT ?, u.case_id, ?, CAST(u.evidence AS JSON) "
                    "FROM (SELECT unnest(?::VARCHAR[]) AS case_id, unnest(?::VARCHAR[]) AS evidence) u",
                    [finding_id, now_utc(), new, [to_json(cases[c]) for c in new]])
    return new


def create(con: duckdb.DuckDBPyConnection, *, user: str, role: str, candidate: Candidate, owner: str | None,
           due_on: date, today: date) -> str:
    """Insert a new open finding with its cases and its first history entry; return its id."""
    finding_id = next_id(con, today.year)
    at = now_utc()
    con.execute(
        "INSERT INTO findings (finding_id, processor, period, clause, title, description, severity, source, "
        "evidence, status, owner, due_on, created_at, created_by, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [finding_id, candidate.processor, candidate.period, candidate.clause, candidate.title, candidate.description,
         candidate.severity.value, candidate.source, to_json(candidate.evidence), Status.OPEN.value, owner, due_on,
         at, user, at])
    cases = add_cases(con, finding_id, candidate.cases)
    log(con, user=user, role=role, finding_id=finding_id, action="raised", from_status=None,
        to_status=Status.OPEN.value,
        details={"processor": candidate.processor, "period": candidate.period, "clause": candidate.clause,
                 "severity": candidate.severity.value, "source": candidate.source, "owner": owner,
                 "due_on": due_on.isoformat(), "case_ids": cases, "evidence": candidate.evidence})
    return finding_id


def _merged(old: dict[str, list[object]], new: dict[str, list[object]]) -> dict[str, list[object]]:
    merged = {k: list(v) for k, v in old.items()}
    for key, values in new.items():
        merged.setdefault(key, [])
        merged[key] += [v for v in values if v not in merged[key]]
    return merged


def update(con: duckdb.DuckDBPyConnection, *, user: str, role: str, existing: dict[str, object],
           candidate: Candidate) -> Raised:
    """Add what is new in a repeated raise to an open finding: cases, evidence, a higher severity."""
    finding_id = str(existing["finding_id"])
    old_evidence = json.loads(existing["evidence"]) if isinstance(existing["evidence"], str) else existing["evidence"]
    evidence = _merged(old_evidence or {}, candidate.evidence)
    severity = higher(Severity(existing["severity"]), candidate.severity)
    new_cases = add_cases(con, finding_id, candidate.cases)
    moved = candidate.clause != existing["clause"]  # the processor's profile maps the source elsewhere now
    if not new_cases and evidence == old_evidence and severity.value == existing["severity"] and not moved:
        return Raised(finding_id, "unchanged")
    con.execute("UPDATE findings SET evidence = ?, severity = ?, clause = ?, updated_at = ? WHERE finding_id = ?",
                [to_json(evidence), severity.value, candidate.clause, now_utc(), finding_id])
    status = str(existing["status"])
    if moved:  # issue 12 §5: the old and the new clause in the finding's history
        log(con, user=user, role=role, finding_id=finding_id, action="clause_moved", from_status=status,
            to_status=status, details={"clause": {"from": existing["clause"], "to": candidate.clause},
                                       "source": candidate.source})
    added = {k: [v for v in values if v not in (old_evidence or {}).get(k, [])] for k, values in evidence.items()}
    details: dict[str, object] = {"case_ids": new_cases, "evidence": {k: v for k, v in added.items() if v}}
    if severity.value != existing["severity"]:
        details["severity"] = {"from": existing["severity"], "to": severity.value}
    if new_cases or evidence != old_evidence or severity.value != existing["severity"]:
        log(con, user=user, role=role, finding_id=finding_id, action="evidence_added", from_status=status,
            to_status=status, details=details)
    return Raised(finding_id, "updated", tuple(new_cases))


def find_same(con: duckdb.DuckDBPyConnection, candidate: Candidate) -> dict[str, object] | None:
    """Return the newest finding for the same processor, period and source (a repeated raise), if any."""
    result = con.execute("SELECT * FROM findings WHERE processor = ? AND period = ? AND source = ? "
                         "ORDER BY created_at DESC, finding_id DESC LIMIT 1",
                         [candidate.processor, candidate.period, candidate.source])
    names = [d[0] for d in result.description]
    found = result.fetchall()
    return dict(zip(names, found[0], strict=True)) if found else None

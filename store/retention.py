"""The retention purge: what is past its retention period (the plan) and removing exactly that (apply).

GDPR Art. 5(1)(e), storage limitation. The periods are the configuration's `[retention]` (store.retention_periods);
a legal hold (store.holds, GDPR Art. 17(3)(e)) keeps what it covers. What goes, per processor and month:
- `cases`: the month's case rows and training rows (every submission of the month, current or superseded) and the
  exceptions of that month that name a case, `cases_months` after the month;
- `quarantine_raw`: the raw values of the month's quarantined rows, `quarantine_raw_months` after it (the row, its
  reasons and messages stay; raw becomes `{}`);
- `reviews`: the review answers and comments (and second reviews) of samples of the month, `evidence_months` after;
- `findings`: closed or dismissed findings of the month with their cases, history and responses, `evidence_months`
  after the month and after the closing;
- `letters`: letters sent in the month, `evidence_months` after it;
- `evidence_files`: the files sent for evidence requests of the month, `evidence_months` after it (a stored file
  nothing else points at goes with them).

`retention apply` makes the plan again at that moment and removes exactly what it lists, in one transaction with one
`retention.applied` event: counts per kind, processor and month, and in ``details.removed`` the digest each object
(store.digests) had before, with ``details.remaining`` the digest of what is left of it, so `oversight audit verify`
knows the object was purged, not tampered with (store.evidence.check_digests). The caller then compacts the file
(store.compact) so the removed values do not linger in its free blocks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import duckdb

from store import audit, digests
from store.db import rows, transaction
from store.holds import Coverage, coverage
from store.holds import held as _held
from store.identity import User, require
from store.retention_periods import Retention, expired, expires_on

PERMISSION = "apply retention"
ACTION = "retention.applied"
KINDS = ("cases", "quarantine_raw", "reviews", "findings", "letters", "evidence_files")
WHY = {
    "cases": "case rows, training rows and the exceptions naming a case, {months} months after the month "
             "([retention] cases_months)",
    "quarantine_raw": "raw values of quarantined rows (the rows and reasons stay), {months} months after the month "
                      "([retention] quarantine_raw_months)",
    "reviews": "review answers and comments of the month's samples, {months} months after the month "
               "([retention] evidence_months)",
    "findings": "closed or dismissed findings with their cases, history and responses, {months} months after the "
                "month and the closing ([retention] evidence_months)",
    "letters": "letters sent in the month, {months} months after it ([retention] evidence_months)",
    "evidence_files": "files sent on evidence requests of the month, {months} months after it "
                      "([retention] evidence_months)",
}
FINAL = ("closed", "dismissed")


def held(con: duckdb.DuckDBPyConnection, processor: str, period: str | None = None) -> bool:
    """Whether an active legal hold keeps the processor's data of `period` (store.holds.held; for `subject erase`)."""
    return _held(con, processor, period)


@dataclass(frozen=True)
class Line:
    """One kind of data of one processor's month past its retention: the rows per table, and the holds keeping it
    (empty: it goes)."""

    kind: str
    processor: str
    period: str
    tables: dict[str, int]
    expired_on: date
    held_by: list[int] = field(default_factory=list)
    # findings and letters are purged one by one: their ids (a hold on a finding keeps that one only)
    ids: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "processor": self.processor, "period": self.period, "rows": self.rows,
                "tables": self.tables, "expired_on": self.expired_on, "held_by": self.held_by}


@dataclass(frozen=True)
class Plan:
    """What is past its retention on `as_of`: what goes, and what a hold keeps."""

    as_of: date
    retention: Retention
    lines: list[Line]

    @property
    def removed(self) -> list[Line]:
        return [line for line in self.lines if not line.held_by]

    @property
    def kept(self) -> list[Line]:
        return [line for line in self.lines if line.held_by]

    def why(self, kind: str) -> str:
        months = self.retention.quarantine_raw_months if kind == "quarantine_raw" else (
            self.retention.cases_months if kind == "cases" else self.retention.evidence_months)
        return WHY[kind].format(months=months)

    def as_dict(self) -> dict[str, object]:
        return {"as_of": self.as_of, "retention": self.retention.as_dict(),
                "why": {kind: self.why(kind) for kind in KINDS},
                "remove": [line.as_dict() for line in self.removed],
                "kept_by_holds": [line.as_dict() for line in self.kept]}


# --- what each kind selects: (processor, period) → rows per table; the same SQL plans and deletes ---------------

def _month_of(column: str) -> str:
    return f"strftime({column}, '%Y-%m')"


# kind → table → the WHERE clause selecting that table's rows of one processor ($p) and month ($m)
_CASES_SUBMISSIONS = ("submission_id IN (SELECT submission_id FROM submissions JOIN processors USING (processor_id) "
                      "WHERE name = $p AND period = $m)")
_SAMPLES = "sample_id IN (SELECT sample_id FROM samples WHERE processor = $p AND period = $m)"
_REQUESTS = "request_id IN (SELECT request_id FROM evidence_requests WHERE processor = $p AND period = $m)"
SELECTORS: dict[str, dict[str, str]] = {
    "cases": {"cases": _CASES_SUBMISSIONS, "training": _CASES_SUBMISSIONS,
              "exceptions": "processor = $p AND period = $m AND case_id IS NOT NULL"},
    "quarantine_raw": {"quarantine": f"{_CASES_SUBMISSIONS} AND CAST(raw AS VARCHAR) <> '{{}}'"},
    "reviews": {"reviews": _SAMPLES, "second_reviews": _SAMPLES},
    "evidence_files": {"evidence_files": _REQUESTS},
}


def _month_rows(con: duckdb.DuckDBPyConnection, kind: str) -> list[dict[str, object]]:
    """Per processor and month, how many rows of each table a month-wide kind selects (months with rows only)."""
    if kind in ("cases", "quarantine_raw"):
        months = rows(con, "SELECT DISTINCT name AS processor, period FROM submissions JOIN processors "
                           "USING (processor_id)")
        if kind == "cases":
            months += rows(con, "SELECT DISTINCT processor, period FROM exceptions WHERE case_id IS NOT NULL")
    elif kind == "reviews":
        months = rows(con, "SELECT DISTINCT processor, period FROM samples")
    else:
        months = rows(con, "SELECT DISTINCT processor, period FROM evidence_requests")
    found = []
    for month in {(str(m["processor"]), str(m["period"])) for m in months}:
        tables = {table: _count(con, table, where, *month) for table, where in SELECTORS[kind].items()}
        if any(tables.values()):
            found.append({"processor": month[0], "period": month[1], "tables": tables})
    return found


def _count(con: duckdb.DuckDBPyConnection, table: str, where: str, processor: str, period: str) -> int:
    [(n,)] = con.execute(f"SELECT count(*) FROM {table} WHERE {where}", {"p": processor, "m": period}).fetchall()
    return int(n)


def _findings(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    return rows(con, "SELECT finding_id, processor, period, " + _month_of("updated_at") + " AS closed_month, "
                     "(SELECT count(*) FROM finding_cases c WHERE c.finding_id = f.finding_id) AS cases, "
                     "(SELECT count(*) FROM finding_events e WHERE e.finding_id = f.finding_id) AS events, "
                     "(SELECT count(*) FROM finding_responses r WHERE r.finding_id = f.finding_id) AS responses "
                     f"FROM findings f WHERE status IN {FINAL}")


def _letters(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    return rows(con, f"SELECT letter_id, processor, {_month_of('created_at')} AS period, finding_ids FROM letters")


def plan_lines(month_rows: dict[str, list[dict[str, object]]], findings: list[dict[str, object]],
               letters: list[dict[str, object]], retention: Retention, as_of: date, cover: Coverage) -> list[Line]:
    """The plan's arithmetic, without the database: which months and objects are past their period on `as_of`, and
    which holds keep them."""
    months = {"cases": retention.cases_months, "quarantine_raw": retention.quarantine_raw_months,
              "reviews": retention.evidence_months, "evidence_files": retention.evidence_months}
    lines = []
    for kind, found in month_rows.items():
        for m in found:
            processor, period = str(m["processor"]), str(m["period"])
            if expired(period, months[kind], as_of):
                lines.append(Line(kind, processor, period, dict(m["tables"]),  # type: ignore[arg-type]
                                  expires_on(period, months[kind]), cover.month(processor, period)))
    by_month: dict[tuple[str, str, str], list[tuple[str, dict[str, int], list[int], date]]] = {}
    evidence = retention.evidence_months
    for f in findings:
        processor, period = str(f["processor"]), str(f["period"])
        last = max(period, str(f["closed_month"]))
        if expired(last, evidence, as_of):
            by_month.setdefault(("findings", processor, period), []).append((
                str(f["finding_id"]),
                {"findings": 1, "finding_cases": int(f["cases"]),  # type: ignore[call-overload]
                 "finding_events": int(f["events"]), "finding_responses": int(f["responses"])},  # type: ignore
                cover.finding(str(f["finding_id"]), processor, period), expires_on(last, evidence)))
    for letter in letters:
        processor, period = str(letter["processor"]), str(letter["period"])
        if expired(period, evidence, as_of):
            holds = sorted(set(cover.month(processor, period)).union(
                *(cover.findings.get(str(f), []) for f in letter["finding_ids"] or [])))  # type: ignore[union-attr]
            by_month.setdefault(("letters", processor, period), []).append(
                (str(letter["letter_id"]), {"letters": 1}, holds, expires_on(period, evidence)))
    for (kind, processor, period), objects in by_month.items():
        for kept in (False, True):
            chosen = [o for o in objects if bool(o[2]) == kept]
            if not chosen:
                continue
            tables: dict[str, int] = {}
            for _, counts, _, _ in chosen:
                for table, n in counts.items():
                    tables[table] = tables.get(table, 0) + n
            lines.append(Line(kind, processor, period, tables, max(o[3] for o in chosen),
                              sorted({h for o in chosen for h in o[2]}), sorted(o[0] for o in chosen)))
    return sorted(lines, key=lambda line: (KINDS.index(line.kind), line.processor, line.period, bool(line.held_by)))


def plan(con: duckdb.DuckDBPyConnection, retention: Retention, as_of: date | None = None) -> Plan:
    """What would go on `as_of` (default today) and why, and what legal holds keep (reads only)."""
    as_of = as_of or datetime.now(UTC).date()
    month_rows = {kind: _month_rows(con, kind) for kind in SELECTORS}
    return Plan(as_of, retention, plan_lines(month_rows, _findings(con), _letters(con), retention, as_of,
                                             coverage(con)))


# --- applying it ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Applied:
    """What `apply` removed, with the event that records it (None: nothing was past its period)."""

    plan: Plan
    event_seq: int | None

    def as_dict(self) -> dict[str, object]:
        return {**self.plan.as_dict(), "audit_event": self.event_seq}


def _objects(con: duckdb.DuckDBPyConnection, line: Line) -> list[str]:
    """The digested objects (store.digests) whose rows a line removes or changes."""
    p = {"p": line.processor, "m": line.period}
    if line.kind in ("cases", "quarantine_raw"):
        found = [f"submission:{r[0]}" for r in con.execute(
            "SELECT submission_id FROM submissions JOIN processors USING (processor_id) WHERE name = $p AND "
            "period = $m", p).fetchall()]
        if line.kind == "cases":
            found += [f"check_run:{r[0]}" for r in con.execute(
                "SELECT DISTINCT run_id FROM exceptions WHERE processor = $p AND period = $m AND case_id IS NOT NULL",
                p).fetchall()]
        return found
    if line.kind == "findings":
        return [f"finding:{f}" for f in line.ids]
    return []


def _remove(con: duckdb.DuckDBPyConnection, line: Line) -> dict[str, int]:
    """Delete (or blank) exactly the line's rows; return the rows touched per table."""
    p = {"p": line.processor, "m": line.period}
    done: dict[str, int] = {}
    if line.kind == "quarantine_raw":
        [(n,)] = con.execute(f"UPDATE quarantine SET raw = '{{}}' WHERE {SELECTORS['quarantine_raw']['quarantine']}",
                             p).fetchall()
        return {"quarantine": int(n)}
    if line.kind in SELECTORS:
        for table, where in SELECTORS[line.kind].items():
            [(n,)] = con.execute(f"DELETE FROM {table} WHERE {where}", p).fetchall()
            done[table] = int(n)
        if line.kind == "cases":
            # The submissions stay (what arrived, when); marked purged, the checks no longer test the emptied
            # report (checks.runner.scope_of).
            con.execute("UPDATE submissions SET purged_at = now()::TIMESTAMP WHERE processor_id = "
                        "(SELECT processor_id FROM processors WHERE name = $p) AND period = $m", p)
        return done
    if line.kind == "findings":
        for table in ("finding_cases", "finding_events", "finding_responses", "findings"):
            [(n,)] = con.execute(f"DELETE FROM {table} WHERE list_contains($ids, finding_id)",
                                 {"ids": line.ids}).fetchall()
            done[table] = int(n)
        return done
    [(n,)] = con.execute("DELETE FROM letters WHERE list_contains($ids, letter_id)", {"ids": line.ids}).fetchall()
    return {"letters": int(n)}


class PlanChanged(Exception):
    """The rows removed differ from the plan made in the same transaction (never expected: a safety net)."""


def _orphan_blobs(con: duckdb.DuckDBPyConnection) -> int:
    """Delete stored files nothing points at any more (evidence files, responses' attachments, pending reports)."""
    [(n,)] = con.execute(
        "DELETE FROM blobs WHERE sha256 NOT IN (SELECT sha256 FROM evidence_files) "
        "AND sha256 NOT IN (SELECT unnest(attachments) FROM finding_responses) "
        "AND sha256 NOT IN (SELECT sha256 FROM pending_submissions WHERE status = 'pending')").fetchall()
    return int(n)


def apply(con: duckdb.DuckDBPyConnection, user: User, retention: Retention, as_of: date | None = None,
          progress: Callable[[Line], None] | None = None) -> Applied:
    """Make the plan again now and remove exactly what it lists, in one transaction with one `retention.applied`
    event (counts and digests only, no value removed). Compact the file afterwards (store.compact.compact)."""
    role = require(user, PERMISSION)
    with transaction(con):
        current = plan(con, retention, as_of)
        if not current.removed:
            return Applied(current, None)
        removed: dict[str, str] = {}
        remaining: dict[str, str] = {}
        objects = sorted({o for line in current.removed for o in _objects(con, line)})
        for obj in objects:
            removed[obj] = digests.digest(con, *digests.split(obj))  # type: ignore[misc]
        for line in current.removed:
            if progress:
                progress(line)
            done = _remove(con, line)
            if done != line.tables:
                raise PlanChanged(f"{line.kind} of {line.processor}, {line.period}: planned {line.tables}, "
                                  f"removed {done}")
        blobs = _orphan_blobs(con)
        for obj in objects:
            now = digests.digest(con, *digests.split(obj))  # type: ignore[misc]
            if now != digests.EMPTY:
                remaining[obj] = now
        seq = audit.append_event(con, user=user.name, role=role, action=ACTION, obj=f"retention:{current.as_of}",
                                 details={"as_of": current.as_of.isoformat(), "retention": retention.as_dict(),
                                          "counts": [{k: v for k, v in line.as_dict().items() if k != "held_by"}
                                                     for line in current.removed],
                                          "kept_by_holds": [line.as_dict() for line in current.kept],
                                          "blobs": blobs, "removed": removed, "remaining": remaining})
    return Applied(current, seq)


def purges_of(con: duckdb.DuckDBPyConnection, processor: str, period: str) -> list[dict[str, object]]:
    """What retention purges removed of a processor's month: per event and kind, the rows, the day and the event
    (for the pack of a purged month)."""
    found = []
    for event in rows(con, "SELECT seq, occurred_at, CAST(details AS VARCHAR) AS details FROM audit_events "
                           "WHERE action = ? ORDER BY seq", [ACTION]):
        for count in json.loads(str(event["details"])).get("counts", []):
            if count.get("processor") == processor and count.get("period") == period:
                found.append({"seq": event["seq"], "on": event["occurred_at"].date(),  # type: ignore[union-attr]
                              "kind": count["kind"], "rows": count["rows"], "tables": count["tables"]})
    return found

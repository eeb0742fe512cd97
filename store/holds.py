"""Legal holds: what must be kept whatever the retention period says, until the hold is lifted (docs/privacy.md).

GDPR Art. 17(3)(e) and Art. 5(1)(e): data needed for the establishment, exercise or defence of legal claims may be
kept past its retention period. A hold names a processor, and optionally one month (YYYY-MM) or one finding; it keeps
from every purge (store.retention) and erasure what it covers:
- a processor hold: all of the processor's data;
- a month hold: the processor's data of that month (cases, quarantined rows, samples and reviews, findings, letters
  and evidence files of the month);
- a finding hold: the finding itself, its letters and the processor's month it is about (the cases it concerns and
  their reviews and evidence).
A hold is added and lifted (both audited, `hold.added`, `hold.lifted`), never deleted: the table is its history.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from store import audit
from store.db import next_id, rows, transaction
from store.errors import StoreError, UnknownProcessor
from store.identity import User, require

PERMISSION = "manage legal holds"
PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


class HoldRefused(StoreError):
    """A hold cannot be added or lifted as asked (unknown month or finding, no reason, unknown or lifted hold)."""


@dataclass(frozen=True)
class Hold:
    """One legal hold, active while `lifted_at` is None."""

    hold_id: int
    processor: str
    period: str | None
    finding_id: str | None
    reason: str
    added_at: datetime
    added_by: str
    lifted_at: datetime | None = None
    lifted_by: str | None = None
    lift_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.lifted_at is None

    @property
    def scope(self) -> str:
        """What it covers, in words: "Belcall Antwerpen BV", "…, 2026-10", "…, finding F-2026-0001"."""
        return ", ".join(p for p in (self.processor, self.period,
                                     f"finding {self.finding_id}" if self.finding_id else None) if p)

    def as_dict(self) -> dict[str, object]:
        return {"hold_id": self.hold_id, "processor": self.processor, "period": self.period,
                "finding_id": self.finding_id, "reason": self.reason, "added_at": self.added_at,
                "added_by": self.added_by, "active": self.active, "lifted_at": self.lifted_at,
                "lifted_by": self.lifted_by, "lift_reason": self.lift_reason}


@dataclass(frozen=True)
class Coverage:
    """What the active holds keep, as the purge and erasure test it: whole processors, processor months, findings
    (a finding hold also covers its processor's month)."""

    processors: dict[str, list[int]]
    months: dict[tuple[str, str], list[int]]
    findings: dict[str, list[int]]

    def month(self, processor: str, period: str | None) -> list[int]:
        """The holds that keep a processor's month (all of the processor's when `period` is None)."""
        found = list(self.processors.get(processor, []))
        if period is not None:
            found += self.months.get((processor, period), [])
        return sorted(set(found))

    def finding(self, finding_id: str, processor: str, period: str) -> list[int]:
        """The holds that keep a finding: on it, its month or its processor."""
        return sorted(set(self.findings.get(finding_id, []) + self.month(processor, period)))


def list_holds(con: duckdb.DuckDBPyConnection, *, active_only: bool = False) -> list[Hold]:
    """Every hold, newest first (only those not lifted when `active_only`)."""
    where = " WHERE lifted_at IS NULL" if active_only else ""
    return [Hold(**r) for r in rows(con, "SELECT hold_id, processor, period, finding_id, reason, added_at, added_by, "
                                         f"lifted_at, lifted_by, lift_reason FROM legal_holds{where} "
                                         "ORDER BY hold_id DESC")]


def coverage(con: duckdb.DuckDBPyConnection) -> Coverage:
    """What the active holds cover now (a finding hold: the finding and its processor's month)."""
    processors: dict[str, list[int]] = {}
    months: dict[tuple[str, str], list[int]] = {}
    findings: dict[str, list[int]] = {}
    held = rows(con, "SELECT h.hold_id, h.processor, h.period, h.finding_id, f.period AS finding_period "
                     "FROM legal_holds h LEFT JOIN findings f USING (finding_id) WHERE h.lifted_at IS NULL")
    for h in held:
        if h["finding_id"]:
            findings.setdefault(str(h["finding_id"]), []).append(int(h["hold_id"]))
            if h["finding_period"]:
                months.setdefault((str(h["processor"]), str(h["finding_period"])), []).append(int(h["hold_id"]))
        elif h["period"]:
            months.setdefault((str(h["processor"]), str(h["period"])), []).append(int(h["hold_id"]))
        else:
            processors.setdefault(str(h["processor"]), []).append(int(h["hold_id"]))
    return Coverage(processors, months, findings)


def held(con: duckdb.DuckDBPyConnection, processor: str, period: str | None = None) -> bool:
    """Whether an active hold keeps the processor's data of `period` (any of its data when None)."""
    cover = coverage(con)
    if period is None:
        return bool(cover.processors.get(processor) or any(p == processor for p, _ in cover.months))
    return bool(cover.month(processor, period))


def _processor(con: duckdb.DuckDBPyConnection, name: str) -> str:
    names = [str(r["name"]) for r in rows(con, "SELECT name FROM processors ORDER BY name")]
    if name not in names:
        raise UnknownProcessor(name, names, hint="A hold names a processor of the register.")
    return name


def add_hold(con: duckdb.DuckDBPyConnection, user: User, *, processor: str, reason: str, period: str | None = None,
             finding_id: str | None = None) -> Hold:
    """Put a legal hold on a processor, one of its months or one of its findings; audited as `hold.added`."""
    role = require(user, PERMISSION)
    reason = (reason or "").strip()
    if not reason:
        raise HoldRefused("A legal hold needs a reason (the claim, the request or the case it is kept for), e.g. "
                          "--reason \"Belcall dispute, letter of 2027-03-02\".")
    if period is not None and finding_id is not None:
        raise HoldRefused("A hold names a month or a finding, not both: a finding hold already keeps its month.")
    if period is not None and not PERIOD.fullmatch(period):
        raise HoldRefused(f"'{period}' is not a month: write it as YYYY-MM, e.g. 2026-10.")
    processor = _processor(con, processor)
    if finding_id is not None:
        found = rows(con, "SELECT processor FROM findings WHERE finding_id = ?", [finding_id])
        if not found or found[0]["processor"] != processor:
            raise HoldRefused(f"{processor} has no finding {finding_id}: `oversight findings list --processor "
                              f"\"{processor}\"` lists them.")
    now = datetime.now(UTC).replace(tzinfo=None)
    with transaction(con):
        hold_id = next_id(con, "legal_hold_ids")
        con.execute(
            "INSERT INTO legal_holds (hold_id, processor, period, finding_id, reason, added_at, added_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", [hold_id, processor, period, finding_id, reason, now, user.name])
        audit.append_event(con, user=user.name, role=role, action="hold.added", obj=f"hold:{hold_id}",
                           details={"processor": processor, "period": period, "finding_id": finding_id,
                                    "reason": reason})
    return Hold(int(hold_id), processor, period, finding_id, reason, now, user.name)


def lift_hold(con: duckdb.DuckDBPyConnection, user: User, hold_id: int, *, reason: str | None = None) -> Hold:
    """Lift an active hold (what it kept becomes subject to its retention period again); audited as `hold.lifted`."""
    role = require(user, PERMISSION)
    found = [h for h in list_holds(con) if h.hold_id == hold_id]
    if not found:
        raise HoldRefused(f"There is no legal hold {hold_id}; `oversight hold list` lists them.")
    if not found[0].active:
        raise HoldRefused(f"Legal hold {hold_id} was already lifted on {found[0].lifted_at:%Y-%m-%d} by "
                          f"{found[0].lifted_by}.")
    now = datetime.now(UTC).replace(tzinfo=None)
    reason = (reason or "").strip() or None
    with transaction(con):
        con.execute("UPDATE legal_holds SET lifted_at = ?, lifted_by = ?, lift_reason = ? WHERE hold_id = ?",
                    [now, user.name, reason, hold_id])
        audit.append_event(con, user=user.name, role=role, action="hold.lifted", obj=f"hold:{hold_id}",
                           details={"processor": found[0].processor, "period": found[0].period,
                                    "finding_id": found[0].finding_id, "reason": reason})
    return next(h for h in list_holds(con) if h.hold_id == hold_id)

"""Raise a finding by hand and move it through its lifecycle: each change one transaction, history and audit."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from datetime import date
from typing import TypeVar

import duckdb

from checks.errors import UnknownProcessor
from findings import terms
from findings.errors import (
    InvalidTransition,
    InvalidValue,
    ReasonRequired,
    UnknownCases,
    UnknownClause,
)
from findings.lifecycle import REASON_REQUIRED, Response, Severity, Status, allowed_moves, due_date, transition_action
from findings.record import Candidate, create, load, log
from ingest.facts import valid_period
from ingest.load import now_utc
from store.db import rows, transaction
from store.identity import User, may, require

E = TypeVar("E", Severity, Status, Response)


def parse_choice(kind: type[E], value: str, what: str) -> E:
    """Return the enum member for a value, or refuse naming the choices."""
    try:
        return kind(value.strip().lower())
    except ValueError:
        raise InvalidValue(f"'{value}' is not a {what}; choose one of {', '.join(m.value for m in kind)}.") from None


def _bare(ref: str) -> str:
    return re.sub(r"[^0-9a-z]", "", ref.lower())


def close_matches(text: str, known: Iterable[str]) -> list[str]:
    """Return the known clause refs nearest to what was typed: the same but for punctuation ('SCC 8b' is
    'SCC 8(b)'), then those containing it, then similar spellings."""
    known = list(known)
    bare = _bare(text)
    same = [k for k in known if bare and _bare(k) == bare]
    containing = sorted((k for k in known if bare and bare in _bare(k)), key=lambda k: len(_bare(k)))
    similar = difflib.get_close_matches(text, known, n=3, cutoff=0.5)
    return list(dict.fromkeys([*same, *containing, *similar]))[:5]


def _check_clause(con: duckdb.DuckDBPyConnection, processor: str, clause: str) -> None:
    profile, register = terms.clauses(con, processor)
    if clause not in register:
        raise UnknownClause(clause, processor, profile, close_matches(clause, register), sorted(register))


def _check_cases(con: duckdb.DuckDBPyConnection, processor: str, case_ids: list[str]) -> None:
    if not case_ids:
        return
    known = {r["case_id"] for r in rows(con, "SELECT DISTINCT case_id FROM report_cases WHERE processor = ? "
                                             "AND list_contains(?, case_id)", [processor, case_ids])}
    missing = [c for c in case_ids if c not in known]
    if missing:
        raise UnknownCases(processor, missing)


def raise_finding(con: duckdb.DuckDBPyConnection, user: User, *, processor: str, period: str, clause: str,
                  title: str, severity: str, description: str = "", case_ids: Iterable[str] = (),
                  owner: str | None = None, due_on: date | None = None, today: date | None = None) -> str:
    """Raise a finding by hand against a clause of the processor's register; return its id."""
    role = require(user, "raise a finding")
    level = parse_choice(Severity, severity, "severity")
    if not title.strip():
        raise InvalidValue("A finding needs a title: say what is wrong, in words the processor will read.")
    if not valid_period(period):
        raise InvalidValue(f"Period '{period}' is not a month; write it as YYYY-MM, e.g. 2026-10.")
    names = [r["name"] for r in rows(con, "SELECT name FROM processors ORDER BY name")]
    if processor not in names:
        raise UnknownProcessor(processor, names)
    _check_clause(con, processor, clause)
    cases = list(dict.fromkeys(c.strip() for c in case_ids if c.strip()))
    _check_cases(con, processor, cases)
    today = today or date.today()
    candidate = Candidate(processor=processor, period=period, source="manual", clause=clause, title=title.strip(),
                          description=description.strip(), severity=level,
                          cases={c: {"added": "by hand"} for c in cases})
    due = due_on or due_date(level, today, terms.due_days(con, processor))
    with transaction(con):
        return create(con, user=user.name, role=role, candidate=candidate,
                      owner=(owner or "").strip() or (user.name if may(user, "move a finding") else None),
                      due_on=due, today=today)


def move(con: duckdb.DuckDBPyConnection, user: User, finding_id: str, status: str, *,
         reason: str | None = None) -> None:
    """Move a finding to another status if the lifecycle allows it; dismissal needs a reason."""
    role = require(user, "move a finding")
    target = parse_choice(Status, status, "finding status")
    reason = (reason or "").strip() or None
    with transaction(con):
        finding = load(con, finding_id)
        current = Status(finding["status"])
        action = transition_action(current, target)
        if action is None:
            raise InvalidTransition(finding_id, current.value, target.value, [s.value for s in allowed_moves(current)])
        if target in REASON_REQUIRED and not reason:
            raise ReasonRequired(finding_id)
        con.execute("UPDATE findings SET status = ?, status_reason = ?, updated_at = ? WHERE finding_id = ?",
                    [target.value, reason, now_utc(), finding_id])
        log(con, user=user.name, role=role, finding_id=finding_id, action=action, from_status=current.value,
            to_status=target.value, details={"reason": reason})


def respond(con: duckdb.DuckDBPyConnection, user: User, finding_id: str, response: str, text: str) -> None:
    """Record the processor's response (accepted, partially_accepted, disputed) with its text."""
    role = require(user, "record a processor response")
    answer = parse_choice(Response, response, "processor response")
    if not text.strip():
        raise InvalidValue(f"Record what the processor wrote with the response, e.g. --text \"We {answer.value} the "
                           "finding and retrain the team by 15 December.\"")
    with transaction(con):
        finding = load(con, finding_id)
        con.execute("UPDATE findings SET response = ?, response_text = ?, updated_at = ? WHERE finding_id = ?",
                    [answer.value, text.strip(), now_utc(), finding_id])
        log(con, user=user.name, role=role, finding_id=finding_id, action="responded",
            from_status=str(finding["status"]), to_status=str(finding["status"]),
            details={"response": answer.value, "text": text.strip(), "previous_response": finding["response"]})


def assign(con: duckdb.DuckDBPyConnection, user: User, finding_id: str, *, owner: str,
           due_on: date | None = None) -> None:
    """Give a finding an owner who follows it up, and optionally a new due date."""
    role = require(user, "assign a finding")
    if not owner.strip():
        raise InvalidValue("Name the owner who follows the finding up, e.g. --owner vera.")
    with transaction(con):
        finding = load(con, finding_id)
        due = due_on or finding["due_on"]
        con.execute("UPDATE findings SET owner = ?, due_on = ?, updated_at = ? WHERE finding_id = ?",
                    [owner.strip(), due, now_utc(), finding_id])
        log(con, user=user.name, role=role, finding_id=finding_id, action="assigned",
            from_status=str(finding["status"]), to_status=str(finding["status"]),
            details={"owner": {"from": finding["owner"], "to": owner.strip()},
                     "due_on": {"from": finding["due_on"], "to": due}})

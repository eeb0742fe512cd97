"""The escalation ladder of a finding (issue 15 item 5): reminder, formal notice, suspension, termination.

Each step is a dated letter to the processor. A step may only follow the one before it (the first follows the
notification of the finding), so the ladder in the finding's history always reads in order. The ladder is data here;
the letters themselves are written and stored by exports/letter.py (`escalate`), which sits above this package.
Suspension and termination are the controller's remedies of Clause 10(a) and 10(b) of the standard contractual
clauses (Implementing Decision (EU) 2021/915).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from findings.errors import FindingError
from findings.lifecycle import DONE_STATES, Status
from findings.record import load, log
from store.identity import User
from store.scope import require_processor


@dataclass(frozen=True)
class Step:
    """One rung of the ladder: its name, the days the processor gets to answer (None: nothing more is asked),
    and the clause of the standard contractual clauses it rests on, if any."""

    name: str
    answer_days: int | None
    clause: str | None


STEPS: tuple[Step, ...] = (
    Step("reminder", 14, None),
    Step("formal_notice", 14, None),
    Step("suspension", 30, "SCC 10(a)"),
    Step("termination", None, "SCC 10(b)"),
)
STEP_NAMES: tuple[str, ...] = tuple(s.name for s in STEPS)
HISTORY_ACTION = "escalated"  # finding_events.action, and finding.escalated in the audit trail


class EscalationRefused(FindingError):
    """The step is unknown, out of order, or the finding cannot be escalated."""


def step_named(name: str) -> Step:
    """The step of that name; refuse an unknown one naming the steps."""
    for step in STEPS:
        if step.name == name:
            return step
    raise EscalationRefused(f"'{name}' is not a step of the escalation ladder. The steps, in order, are: "
                            f"{', '.join(STEP_NAMES)}.")


def steps_taken(con: duckdb.DuckDBPyConnection, finding_id: str) -> list[str]:
    """The steps already taken on a finding, oldest first (from its history)."""
    found = con.execute("SELECT json_extract_string(details, '$.step') FROM finding_events "
                        "WHERE finding_id = ? AND action = ? ORDER BY seq", [finding_id, HISTORY_ACTION]).fetchall()
    return [str(r[0]) for r in found]


def next_step(con: duckdb.DuckDBPyConnection, finding_id: str) -> Step | None:
    """The step that may come next, None when the ladder is at its end."""
    taken = steps_taken(con, finding_id)
    return STEPS[len(taken)] if len(taken) < len(STEPS) else None


def check_step(con: duckdb.DuckDBPyConnection, user: User, finding_id: str, name: str) -> dict[str, object]:
    """Return the finding if `name` is the step it may take now; refuse otherwise, saying which step is next.

    The finding must have been sent to the processor (notified or later) and not be closed or dismissed.
    """
    finding = load(con, finding_id)
    require_processor(user, str(finding["processor"]), "finding")
    step = step_named(name)
    status = Status(str(finding["status"]))
    if status in DONE_STATES:
        raise EscalationRefused(f"Finding {finding_id} is {status.value}; a closed or dismissed finding is not "
                                "escalated. Reopen it first if the problem is back.")
    if status is Status.OPEN:
        raise EscalationRefused(f"Finding {finding_id} has not been sent to the processor yet (it is open). Send "
                                "the findings letter and move it to notified before escalating.")
    upcoming = next_step(con, finding_id)
    if upcoming is None:
        raise EscalationRefused(f"Finding {finding_id} has been through the whole ladder (termination was sent).")
    if upcoming.name != step.name:
        raise EscalationRefused(f"Finding {finding_id} cannot go to {step.name} now: the next step is "
                                f"{upcoming.name} (the ladder is {' → '.join(STEP_NAMES)}, one step at a time).")
    return finding


def record_step(con: duckdb.DuckDBPyConnection, *, user: str, role: str, finding: dict[str, object], step: str,
                letter_id: str, sha256: str, answer_by: str | None) -> None:
    """Append the step to the finding's history and the audit trail (inside the caller's transaction)."""
    status = str(finding["status"])
    log(con, user=user, role=role, finding_id=str(finding["finding_id"]), action=HISTORY_ACTION, from_status=status,
        to_status=status, details={"step": step, "letter_id": letter_id, "sha256": sha256, "answer_by": answer_by})

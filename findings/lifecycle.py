"""The findings lifecycle as data (docs/findings.md, "Lifecycle"), severities, responses and overdue: pure functions."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

# Re-exported: the lifecycle speaks of the states and severities declared in vocab/.
from vocab.finding_states import DONE_STATES, OPEN_STATES, Status  # noqa: F401
from vocab.severity import FindingSeverity as Severity


class Response(StrEnum):
    """The processor's answer to a finding (docs/findings.md)."""

    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    DISPUTED = "disputed"


# Every allowed move: (from, to) -> the history action. Anything not listed is refused (docs/findings.md).
TRANSITIONS: dict[tuple[Status, Status], str] = {
    (Status.OPEN, Status.NOTIFIED): "notified",
    (Status.NOTIFIED, Status.REMEDIATION_PLANNED): "remediation_planned",
    (Status.REMEDIATION_PLANNED, Status.REMEDIATED): "remediated",
    (Status.REMEDIATED, Status.CLOSED): "closed",
    (Status.OPEN, Status.DISMISSED): "dismissed",
    (Status.NOTIFIED, Status.DISMISSED): "dismissed",
    (Status.REMEDIATION_PLANNED, Status.DISMISSED): "dismissed",
    (Status.REMEDIATED, Status.DISMISSED): "dismissed",
    (Status.CLOSED, Status.OPEN): "reopened",
}

# Moves that are refused without a reason: dismissal ("mandatory reason", docs/findings.md).
REASON_REQUIRED = frozenset({Status.DISMISSED})

# How a check's severity becomes a finding's severity when raised from a run: vocab.severity.FINDING_FROM_CHECK.

# A spot-check "no" is a deviation found by a person on one case; it starts at medium, like a check warning,
# and the vendor manager may raise it by hand at another severity.
SEVERITY_FROM_REVIEW = Severity.MEDIUM

# Default days the processor gets to remedy, per severity (the profile's `finding_due_days` overrides them).
DEFAULT_DUE_DAYS: dict[Severity, int] = {Severity.CRITICAL: 7, Severity.HIGH: 14, Severity.MEDIUM: 30,
                                         Severity.LOW: 60}

SEVERITY_RANK = {s: i for i, s in enumerate((Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL))}


def allowed_moves(current: Status) -> list[Status]:
    """Return the statuses a finding in `current` may move to, in lifecycle order."""
    return [to for (frm, to) in TRANSITIONS if frm is current]


def transition_action(current: Status, target: Status) -> str | None:
    """Return the history action for a move, or None when the lifecycle does not allow it."""
    return TRANSITIONS.get((current, target))


def is_overdue(status: str, due_on: date | None, as_of: date) -> bool:
    """A finding past its due date and not closed or dismissed is overdue (docs/findings.md)."""
    return due_on is not None and due_on < as_of and Status(status) not in DONE_STATES


def due_date(severity: Severity, raised_on: date, due_days: dict[str, int] | None = None) -> date:
    """Return the day the processor must remedy the finding by: raised_on + the severity's days."""
    days = dict(DEFAULT_DUE_DAYS)
    days.update({Severity(k): v for k, v in (due_days or {}).items()})
    return raised_on + timedelta(days=days[severity])


def higher(a: Severity, b: Severity) -> Severity:
    """Return the more severe of two severities."""
    return a if SEVERITY_RANK[a] >= SEVERITY_RANK[b] else b

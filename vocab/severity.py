"""Severities: of a check's exception, and of the finding raised from it, and how one becomes the other.

A check's severity is written to the database unchanged (check_results.severity, exceptions.severity). Stored runs
are evidence and are never rewritten: a reader of an older run maps the words of its time through `read`.
"""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """How serious a check's exception is."""

    BREACH = "breach"    # the law or the contract was not met
    WARNING = "warning"  # a risk or a likely gap
    INFO = "info"        # a heads-up: nothing is wrong yet


class FindingSeverity(StrEnum):
    """How serious a finding is; the contract profile gives the days to remedy each (`finding_due_days`)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


# A finding raised from a check run takes the severity its check's exceptions map to; `info` is a
# heads-up, not a shortfall against the contract, so it raises no finding by itself.
FINDING_FROM_CHECK: dict[Severity, FindingSeverity | None] = {
    Severity.BREACH: FindingSeverity.HIGH,
    Severity.WARNING: FindingSeverity.MEDIUM,
    Severity.INFO: None,
}

# Words older runs stored that this version no longer writes, and what they mean now.
OLD_WORDS: dict[str, Severity] = {}


def read(word: str) -> Severity:
    """Return the severity a stored word means today (an older run's word included)."""
    return OLD_WORDS.get(word) or Severity(word)


def finding_severity(word: str) -> FindingSeverity | None:
    """Return the severity of the finding a check exception of this severity raises (None: it raises none)."""
    return FINDING_FROM_CHECK[read(word)]

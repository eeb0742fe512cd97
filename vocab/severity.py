"""Severities: of a check's exception, and of the finding raised from it, and how one becomes the other.

A check's severity is written to the database unchanged (check_results.severity, exceptions.severity). Stored runs
are evidence and are never rewritten: a reader of an older run maps the words of its time through `read`.
"""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """How serious a check's exception is, as auditors grade a non-conformity.

    Not "breach": in the GDPR a breach is a personal data breach (Art. 4(12)), which only `critical` may be.
    """

    CRITICAL = "critical"  # personal data may have reached the wrong person: a possible personal data breach
    MAJOR = "major"        # the law or the contract was not met
    MINOR = "minor"        # a gap or a risk that does not by itself break the rule
    INFO = "info"          # a heads-up: nothing is wrong yet


class FindingSeverity(StrEnum):
    """How serious a finding is; the contract profile gives the days to remedy each (`finding_due_days`)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


# A finding raised from a check run takes the severity its check's exceptions map to; `info` is a
# heads-up, not a shortfall against the contract, so it raises no finding by itself.
FINDING_FROM_CHECK: dict[Severity, FindingSeverity | None] = {
    Severity.CRITICAL: FindingSeverity.CRITICAL,
    Severity.MAJOR: FindingSeverity.HIGH,
    Severity.MINOR: FindingSeverity.MEDIUM,
    Severity.INFO: None,
}

# What the pages, the CLI and the pack count as non-conformities (the old "breaches"): the severities that say the
# law or the contract was not met. `--key-items major` draws the cases with one of these.
NON_CONFORMITIES: tuple[Severity, ...] = (Severity.CRITICAL, Severity.MAJOR)

# Words older runs stored that this version no longer writes, and what they mean now. Stored runs are never
# rewritten: readers map them (here, and in the views of store/migrations.py, migration 6).
OLD_WORDS: dict[str, Severity] = {"breach": Severity.MAJOR, "warning": Severity.MINOR}


def read(word: str) -> Severity:
    """Return the severity a stored word means today (an older run's word included)."""
    return OLD_WORDS.get(word) or Severity(word)


def stored_words(severities: tuple[Severity, ...]) -> list[str]:
    """Return every word a stored run may hold for these severities (today's and older ones), for SQL filters."""
    return [*(s.value for s in severities), *(old for old, s in OLD_WORDS.items() if s in severities)]


def finding_severity(word: str) -> FindingSeverity | None:
    """Return the severity of the finding a check exception of this severity raises (None: it raises none)."""
    return FINDING_FROM_CHECK[read(word)]

"""The states of a finding; the moves between them are findings/lifecycle.py's."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    OPEN = "open"
    NOTIFIED = "notified"  # sent to the processor
    REMEDIATION_PLANNED = "remediation_planned"
    REMEDIATED = "remediated"  # the processor says it is fixed
    CLOSED = "closed"  # verified, e.g. by a follow-up spot check
    DISMISSED = "dismissed"  # false positive or accepted risk; needs a reason


# A finding in one of these states is still being followed up.
OPEN_STATES = (Status.OPEN, Status.NOTIFIED, Status.REMEDIATION_PLANNED, Status.REMEDIATED)
DONE_STATES = (Status.CLOSED, Status.DISMISSED)

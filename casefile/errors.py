"""Named errors of the case record."""

from __future__ import annotations

from store.errors import OversightError


class CaseNotFound(OversightError):
    """No report of this processor lists the case."""

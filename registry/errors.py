"""Named errors of the processor register."""

from __future__ import annotations

from store.errors import OversightError


class RegisterError(OversightError):
    """A processor cannot be added or changed as asked (unknown, already registered, bad name or profile)."""

"""Cells written to CSV or Excel for people: safe from spreadsheet formula injection (OWASP CSV injection)."""

from __future__ import annotations

from datetime import date, datetime

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Return the value as written to a spreadsheet: text that a spreadsheet would run is prefixed with '."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        return "'" + value
    return value

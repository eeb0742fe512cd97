"""What an export is about: a known processor, and optionally one of its months."""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from exports.errors import InvalidPeriod, UnknownPeriod, UnknownProcessor
from ingest.facts import valid_period
from store.db import rows


@dataclass(frozen=True)
class Scope:
    """A processor as the database knows it, and optionally one of its months."""

    processor: str
    profile: str
    period: str | None = None


def known_periods(con: duckdb.DuckDBPyConnection, processor: str) -> list[str]:
    """Return the months the processor has a report for, check results for, or a report flagged missing, newest
    first (report.missing logs a missing month against the next report's period, naming it in its details)."""
    return [r["period"] for r in rows(con, """
        SELECT DISTINCT period FROM (
            SELECT s.period FROM submissions s JOIN processors p USING (processor_id) WHERE p.name = $processor
            UNION SELECT period FROM check_results WHERE processor = $processor
            UNION SELECT json_extract_string(details, '$.missing_period') FROM latest_exceptions
                  WHERE processor = $processor AND check_id = 'report.missing')
        WHERE period IS NOT NULL ORDER BY period DESC""", {"processor": processor})]


def resolve_scope(con: duckdb.DuckDBPyConnection, processor: str, period: str | None = None) -> Scope:
    """Return the scope, or refuse an unknown processor, a malformed month or a month nothing is known about."""
    found = rows(con, "SELECT name, profile FROM processors WHERE name = $name", {"name": processor})
    if not found:
        known = [r["name"] for r in rows(con, "SELECT name FROM processors ORDER BY name")]
        raise UnknownProcessor(processor, known)
    if period is not None:
        if not valid_period(period):
            raise InvalidPeriod(period)
        months = known_periods(con, processor)
        if period not in months:
            raise UnknownPeriod(processor, period, sorted(months))
    return Scope(processor, str(found[0]["profile"]), period)


def file_slug(text: str) -> str:
    """Return text usable in a file name on every system: letters, digits and dashes."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "export"

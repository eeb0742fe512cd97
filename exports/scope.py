"""What an export is about: a known processor (and month), and which optional tables exist yet."""

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


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """True when the table or view exists: sheets fed by later migrations say so when it does not."""
    found = rows(con, "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = $name", {"name": name})
    return found[0]["n"] > 0


def findings_log(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the findings log exists: its table (migration 4) and the module that reads it."""
    if not table_exists(con, "findings"):
        return False
    try:
        import findings.queries  # noqa: F401  (arrives with its migration, maybe later than the table)
    except ImportError:
        return False
    return True


def known_periods(con: duckdb.DuckDBPyConnection, processor: str) -> list[str]:
    """Return the months with a report or a check result for the processor, newest first."""
    sql = ("SELECT s.period FROM submissions s JOIN processors p USING (processor_id) WHERE p.name = $processor")
    if table_exists(con, "check_results"):
        sql += " UNION SELECT period FROM check_results WHERE processor = $processor"
    return [r["period"] for r in rows(con, f"SELECT DISTINCT period FROM ({sql}) ORDER BY period DESC",
                                      {"processor": processor})]


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

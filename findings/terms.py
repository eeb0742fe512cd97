"""What the findings log takes from elsewhere: the processor's contract profile and the spot-check rubric."""

from __future__ import annotations

import duckdb

from checks.contract import Clause, Profile, profile_for_processor
from checks.wording import fill
from spotchecks.review import ITEMS, rubric_clauses
from store.errors import OversightError


def _profile(con: duckdb.DuckDBPyConnection, processor: str) -> Profile:
    return profile_for_processor(con, processor)


def clauses(con: duckdb.DuckDBPyConnection, processor: str) -> tuple[str, dict[str, Clause]]:
    """Return the processor's profile name and its clause register (ref -> clause)."""
    profile = _profile(con, processor)
    return profile.name, dict(profile.clauses)


def due_days(con: duckdb.DuckDBPyConnection, processor: str) -> dict[str, int]:
    """Return the profile's days to remedy per finding severity (`finding_due_days`)."""
    return dict(_profile(con, processor).finding_due_days)


def rubric_items(con: duckdb.DuckDBPyConnection, processor: str) -> dict[str, tuple[str, str]]:
    """Return each rubric item whose "no" is a deviation, with its question and the clause the processor's profile
    logs it against."""
    clauses = rubric_clauses(con, processor)
    return {item.id: (item.question, clauses[item.id]) for item in ITEMS.values() if item.deviation_on_no}


def records_clause(con: duckdb.DuckDBPyConnection, processor: str) -> str:
    """Return the clause a spot-checked case whose records were not made available is logged against."""
    return _profile(con, processor).records_clause


def check_clause(con: duckdb.DuckDBPyConnection, processor: str, check_id: str) -> str:
    """Return the clause the processor's current profile logs a check's exceptions against (issue 12 §5: after a
    profile change, findings follow the new profile's mapping, not the one of the run that found them)."""
    return _profile(con, processor).clause_for_check(check_id)


def worded(con: duckdb.DuckDBPyConnection, processor: str, text: str) -> str:
    """Return a rule text with the processor's profile values in place of parameter names (issue 12 §8); as it is
    when the profile cannot be read (the export still goes out; the Contract page says what is wrong)."""
    try:
        return fill(text, _profile(con, processor).parameters)
    except OversightError:
        return text

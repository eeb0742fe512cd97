"""A report's processor: registered, or onboarded with the profile a person names (issue 12 §5).

A processor no longer silently gets the default (Belgian) contract profile: the first report of a processor not in
the register needs the profile that applies (`--profile NAME` on the command line, a choice on the Reports page);
on later reports a profile, when given, must be the processor's current one (a change is made in the register).
Whether the named profile exists is for the callers to check (contract profiles live in `checks`, above ingest).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import duckdb

from ingest.errors import IngestError
from ingest.load import ensure_processor
from store import audit
from store.db import next_id, rows


class UnknownProcessor(IngestError):
    """The report's processor is not in the register and no contract profile was named for it."""

    refusal = None  # the file is not at fault: the person has a question to answer

    def __init__(self, processor: str) -> None:
        super().__init__(f"{processor} is not in the processor register yet. Say which contract profile applies to "
                         "it (--profile NAME; `oversight profile list` shows them), or add it on the Processors "
                         "page first.")
        self.processor = processor


class ProfileMismatch(IngestError):
    """The profile named for a report is not the processor's current one."""

    refusal = None


def registered_profile(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """The processor's current profile, or None when it is not in the register."""
    found = rows(con, "SELECT profile FROM processors WHERE name = ?", [name])
    return str(found[0]["profile"]) if found else None


def profile_for_report(con: duckdb.DuckDBPyConnection, name: str, profile: str | None, *, required: bool) -> None:
    """Refuse a report whose processor is unknown without a profile (when `required`), or named with another one."""
    current = registered_profile(con, name)
    if current is None and profile is None and required:
        raise UnknownProcessor(name)
    if current is not None and profile is not None and profile != current:
        raise ProfileMismatch(
            f"{name} works under contract profile '{current}', not '{profile}'. Leave --profile out, or change the "
            f"processor's profile first (Processors page, or oversight profile link \"{name}\" {profile}).")


def register(con: duckdb.DuckDBPyConnection, *, user: str, role: str, name: str, profile: str,
             country: str | None = None, language: str | None = None, contacts: Sequence[str] = (),
             audited: bool = True) -> int:
    """Add a processor to the register inside the caller's transaction and return its id; `audited` appends the
    `processor.registered` event (ingest records a first report's registration in its own event instead)."""
    listed = [c.strip() for c in contacts if c and c.strip()]
    processor_id = next_id(con, "processor_ids")
    con.execute(
        "INSERT INTO processors (processor_id, name, profile, country, language, contacts, created_at, registered_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [processor_id, name, profile, country, language, listed, datetime.now(UTC).replace(tzinfo=None), user])
    if audited:
        audit.append_event(con, user=user, role=role, action="processor.registered", obj=f"processor:{name}",
                           details={"profile": profile, "country": country, "language": language,
                                    "contacts": listed})
    return int(processor_id)


def processor_for_report(con: duckdb.DuckDBPyConnection, *, user: str, role: str, name: str,
                         profile: str | None) -> tuple[int, bool]:
    """The processor's id inside the ingest transaction, and whether this report registered it with `profile`
    (the report's own audit event then says so: one file, one event)."""
    found = rows(con, "SELECT processor_id FROM processors WHERE name = ?", [name])
    if found:
        return int(found[0]["processor_id"]), False  # type: ignore[call-overload]
    if profile is None:  # a library caller (the demo, tests): the default profile, as before the register
        return ensure_processor(con, name), False
    return register(con, user=user, role=role, name=name, profile=profile, audited=False), True

"""The processor register: add and edit processors, each with its contract profile (issue 12 §5).

The register holds who the processor is (name, country, language, contacts) and which contract profile applies;
the report due day, calendars and service levels come from the profile only. Every change is audited
(`processor.registered`, `processor.updated`; a profile change is `processor.profile_linked`, checks/contract.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from checks.contract import link_processor
from checks.profiles import list_profiles, load_profile
from ingest import onboarding
from registry.errors import RegisterError
from store import audit
from store.db import rows, transaction
from store.errors import OversightError
from store.identity import User, require

ACTION = "link a processor to a contract profile"  # store.identity: the compliance officer keeps the register


@dataclass(frozen=True)
class Processor:
    """One processor of the register."""

    name: str
    profile: str
    country: str | None
    language: str | None
    contacts: tuple[str, ...]
    created_at: datetime
    registered_by: str | None  # None: registered by a version before the register (its first report)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def list_processors(con: duckdb.DuckDBPyConnection) -> list[Processor]:
    """Every processor of the register, by name."""
    return [Processor(r["name"], r["profile"], r["country"], r["language"], _read_contacts(r),
                      r["created_at"], r["registered_by"])
            for r in rows(con, "SELECT name, profile, country, language, contacts, contacts_text, created_at, "
                               "registered_by "
                               "FROM processors ORDER BY name")]


def get_processor(con: duckdb.DuckDBPyConnection, name: str) -> Processor | None:
    """The processor of that name, if registered."""
    return next((p for p in list_processors(con) if p.name == name), None)


def check_profile(profile: str) -> str:
    """Return the profile's name if it loads; refuse it naming the profiles there are."""
    try:
        return load_profile(profile).name
    except OversightError as exc:
        raise RegisterError(f"{exc} Profiles: {', '.join(list_profiles())}.") from exc


def _read_contacts(row: dict[str, object]) -> tuple[str, ...]:
    """The contacts as last written: `contacts_text` (JSON) once set, else the list the registration wrote."""
    text = row.get("contacts_text")
    if text is not None:
        return tuple(json.loads(str(text)))
    return tuple(row.get("contacts") or ())  # type: ignore[arg-type]


def _contacts(contacts: Sequence[str]) -> list[str]:
    return [c.strip() for c in contacts if c and c.strip()]


def insert(con: duckdb.DuckDBPyConnection, *, user: str, role: str, name: str, profile: str,
           country: str | None = None, language: str | None = None, contacts: Sequence[str] = ()) -> int:
    """Insert a processor inside the caller's transaction (audited) and return its id; the profile must load."""
    name = (name or "").strip()
    if not name:
        raise RegisterError("A processor needs a name, as its contract names it (e.g. Belcall Antwerpen BV).")
    chosen = check_profile(profile)
    if con.execute("SELECT count(*) FROM processors WHERE name = ?", [name]).fetchall()[0][0]:
        raise RegisterError(f"{name} is already in the processor register; edit it instead.")
    return onboarding.register(con, user=user, role=role, name=name, profile=chosen,
                               country=(country or "").strip().upper() or None,
                               language=(language or "").strip().upper() or None, contacts=contacts)


def register_processor(con: duckdb.DuckDBPyConnection, user: User, name: str, *, profile: str,
                       country: str | None = None, language: str | None = None,
                       contacts: Sequence[str] = ()) -> Processor:
    """Add a processor to the register with the contract profile that applies to it."""
    role = require(user, ACTION)
    with transaction(con):
        insert(con, user=user.name, role=role, name=name, profile=profile, country=country, language=language,
               contacts=contacts)
    found = get_processor(con, name.strip())
    assert found is not None
    return found


def update_processor(con: duckdb.DuckDBPyConnection, user: User, name: str, *, profile: str | None = None,
                     country: str | None = None, language: str | None = None,
                     contacts: Sequence[str] | None = None) -> Processor:
    """Change who a processor is (country, language, contacts) and, through link_processor, its profile."""
    role = require(user, ACTION)
    before = get_processor(con, name)
    if before is None:
        known = ", ".join(p.name for p in list_processors(con)) or "none yet"
        raise RegisterError(f"No processor named '{name}' in the register (known: {known}). Add it first.")
    changes: dict[str, object] = {}
    new = {"country": (country or "").strip().upper() or None if country is not None else before.country,
           "language": (language or "").strip().upper() or None if language is not None else before.language,
           "contacts": _contacts(contacts) if contacts is not None else list(before.contacts)}
    for key, value in new.items():
        old = list(getattr(before, key)) if key == "contacts" else getattr(before, key)
        if value != old:
            changes[key] = {"from": old, "to": value}
    if changes:
        with transaction(con):
            # contacts_text, not the list column: DuckDB rewrites a row whose list column changes as delete and
            # insert, which the foreign keys of the processor's reports refuse (migration 18).
            con.execute("UPDATE processors SET country = ?, language = ?, contacts_text = ?, updated_at = ? "
                        "WHERE name = ?", [new["country"], new["language"], json.dumps(new["contacts"]), _now(), name])
            audit.append_event(con, user=user.name, role=role, action="processor.updated", obj=f"processor:{name}",
                               details=changes)
    if profile is not None and profile != before.profile:
        link_processor(con, user, name, check_profile(profile))
    found = get_processor(con, name)
    assert found is not None
    return found

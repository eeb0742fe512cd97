"""Contract profiles as a service: where they live, loading one by name, and linking processors to them.

The clause register, the service-level parameters and the check → clause mapping are data (contracts/*.toml); their
TOML shape and per-file validation are in checks/profile_schema.py, the validated Profile and the whole-profile checks
(clause references resolving) in checks/profile_model.py. An invalid profile is refused with `InvalidProfile`, naming
the file, the key and the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from checks.errors import InvalidProfile, UnknownProcessor, UnknownProfile
from checks.profile_model import (  # noqa: F401 (re-exported: the profile's types belong to its service's interface)
    CalendarSpec,
    Clause,
    Parameters,
    Profile,
    build_profile,
)
from checks.profile_schema import DEFAULT_PROFILE, PARTS, PROFILE_NAME, read_merged  # noqa: F401 (re-exported)
from checks.profiles import contracts_dir, list_profiles, load_profile  # noqa: F401 (re-exported)
from store import audit
from store.db import rows, transaction
from store.identity import User, require


def profile_for_processor(con: duckdb.DuckDBPyConnection, processor: str,
                          directory: Path | None = None) -> Profile:
    """Return the profile a processor is linked to; the default profile for a processor not linked or not known."""
    found = rows(con, "SELECT profile FROM processors WHERE name = ?", [processor])
    return load_profile(found[0]["profile"] if found else DEFAULT_PROFILE, directory)


def reference_pattern(con: duckdb.DuckDBPyConnection, processor: str, profile: str | None = None,
                      directory: Path | None = None) -> str | None:
    """The customer-reference pattern of a processor's profile (`profile`: the one named for a processor not yet
    registered); ingest_report calls it once it knows the report's processor."""
    found = rows(con, "SELECT profile FROM processors WHERE name = ?", [processor])
    name = found[0]["profile"] if found else profile or DEFAULT_PROFILE
    return load_profile(str(name), directory).data_subject_ref_pattern


def agent_ids(con: duckdb.DuckDBPyConnection, processor: str, profile: str | None = None,
              directory: Path | None = None) -> str:
    """What a processor's agent column holds under its profile (`parameters.agent_ids`): "codes" or "names", which
    ingest stores only as pseudonyms (GDPR Art. 25); ingest_report's agent_ids_for calls it."""
    found = rows(con, "SELECT profile FROM processors WHERE name = ?", [processor])
    name = found[0]["profile"] if found else profile or DEFAULT_PROFILE
    return str(load_profile(str(name), directory).parameters.agent_ids)


def ingest_terms(con: duckdb.DuckDBPyConnection, profile: str | None = None,
                 directory: Path | None = None) -> dict[str, Callable[[str], Any]]:
    """What ingest takes from a processor's contract profile, as ingest_report's keyword arguments: the customer
    reference pattern and whether the agent column holds names (stored as pseudonyms). `profile`: the one named for
    a processor not yet registered. Every caller of ingest passes these, so none can forget one of them."""
    return {"ref_pattern_for": lambda name: reference_pattern(con, name, profile, directory),
            "agent_ids_for": lambda name: agent_ids(con, name, profile, directory)}


def link_processor(con: duckdb.DuckDBPyConnection, user: User, processor: str, profile: str,
                   directory: Path | None = None) -> None:
    """Link a processor to a contract profile (audited); the profile must load without error."""
    role = require(user, "link a processor to a contract profile")
    loaded = load_profile(profile, directory)
    with transaction(con):
        found = con.execute("SELECT profile FROM processors WHERE name = ?", [processor]).fetchall()
        if not found:
            known = [r[0] for r in con.execute("SELECT name FROM processors ORDER BY name").fetchall()]
            raise UnknownProcessor(processor, known)
        con.execute("UPDATE processors SET profile = ? WHERE name = ?", [loaded.name, processor])
        audit.append_event(con, user=user.name, role=role, action="processor.profile_linked",
                           obj=f"processor:{processor}",
                           details={"profile": loaded.name, "previous": found[0][0], "sha256": loaded.sha256})


def profile_overview(con: duckdb.DuckDBPyConnection, directory: Path | None = None) -> list[dict[str, Any]]:
    """Return each profile with its title, calendar, linked processors and whether it loads."""
    linked: dict[str, list[str]] = {}
    for r in rows(con, "SELECT profile, name FROM processors ORDER BY name"):
        linked.setdefault(str(r["profile"]), []).append(str(r["name"]))
    overview = []
    for name in sorted(set(list_profiles(directory)) | set(linked)):
        entry: dict[str, Any] = {"name": name, "title": None, "calendar": None, "processors": linked.get(name, []),
                                 "status": "valid"}
        try:
            profile = load_profile(name, directory)
            entry.update(title=profile.title, calendar=profile.calendar.label())
        except (InvalidProfile, UnknownProfile) as exc:
            entry["status"] = f"invalid: {exc}"
        overview.append(entry)
    return overview


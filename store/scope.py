"""Processor scoping (issue 15): a `processor` user sees its own processor's data and nothing else.

The rule lives here, in the service layer, and every service function that reads or writes a processor's data
applies it (never only the page): `scope_of(user)` is None for the controller's own users (they see every
processor) and the bound processor's register name for a processor user. A processor user with no binding sees
nothing (fail closed). Something outside the scope is answered exactly as something that does not exist
(`OutOfScope` says "not found", never "not yours"), so another processor's ids cannot be probed.

The binding comes from the users file (`[users.NAME] processor = "..."`, with the register id that
`oversight user add --processor` records) and is resolved against the register at sign-in (`bind_processor`): a
processor user whose processor is not in the register is refused there.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import duckdb

from store.errors import ConfigError, PermissionDenied, StoreError
from store.identity import Config, User


class OutOfScope(StoreError):
    """Asked for something another processor owns, or that does not exist: the same answer for both."""

    def __init__(self, what: str) -> None:
        super().__init__(f"No {what} was found. Check the reference; you only see your own organisation's data.")


class UnboundProcessorUser(ConfigError):
    """A processor user whose processor is not (or no longer) in the register: refused at sign-in."""

    def __init__(self, user: str, processor: str | None) -> None:
        named = f"'{processor}'" if processor else "no processor"
        super().__init__(
            f"User '{user}' has the processor role but is bound to {named}, which is not in the processor register, "
            "so there is nothing it may see. A compliance officer binds it with: oversight user add "
            f"{user} --role processor --processor NAME (NAME as `oversight processors` lists it).")


def _norm(name: str) -> str:
    """Register names compare as ingest compares them: NFKC, whitespace collapsed, case-insensitive."""
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


def scope_of(user: User) -> str | None:
    """The processor a user is limited to (None: the controller's own users see every processor)."""
    if not user.is_processor:
        return None
    if user.processor is None:  # fail closed: a processor user never sees everything by accident
        raise OutOfScope("data")
    return user.processor


def in_scope(user: User, processor: str | None) -> bool:
    """Whether a processor's data is visible to the user."""
    scope = scope_of(user)
    return scope is None or (processor is not None and _norm(processor) == _norm(scope))


def require_processor(user: User, processor: str | None, what: str) -> None:
    """Refuse (as "not found") anything of another processor for a processor user."""
    if not in_scope(user, processor):
        raise OutOfScope(what)


def require_internal(user: User, action: str) -> None:
    """Refuse to a processor user what only the controller's side may see or do (seeds, key items, comments)."""
    if user.is_processor:
        raise PermissionDenied(user.name, action, ("compliance_officer", "auditor", "vendor_manager", "viewer"))


def visible(user: User, processors: Iterable[str]) -> list[str]:
    """The processors of a list the user may see (all for the controller's users)."""
    return [p for p in processors if in_scope(user, p)]


def sql_filter(user: User, column: str = "processor") -> tuple[str, dict[str, Any]]:
    """A SQL condition and its named parameter keeping a query to the user's scope (TRUE for the controller)."""
    scope = scope_of(user)
    if scope is None:
        return "TRUE", {}
    return f"{column} = $scope_processor", {"scope_processor": scope}


def bind_processor(con: duckdb.DuckDBPyConnection, config: Config, user: User) -> User:
    """Return the user with its processor resolved from the register; refuse a processor user bound to none.

    By register id first (`oversight user add --processor` records it: a rename in the register keeps the binding),
    else by the name the users file gives, compared as ingest compares names.
    """
    if not user.is_processor:
        return user
    cur = con.cursor()
    try:
        found = cur.execute("SELECT processor_id, name FROM processors").fetchall()
    finally:
        cur.close()
    by_id = {int(pid): str(name) for pid, name in found}
    wanted_id = config.user_processor_ids.get(user.name)
    wanted = config.user_processors.get(user.name)
    name = by_id.get(wanted_id) if wanted_id is not None else None
    if name is None and wanted:
        name = next((n for n in by_id.values() if _norm(n) == _norm(wanted)), None)
    if name is None:
        raise UnboundProcessorUser(user.name, wanted)
    return replace(user, processor=name)

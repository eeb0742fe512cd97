"""The processor's own activity in the audit trail (issue 15 item 1): the events its users appended, nothing else.

The audit trail holds every user's actions; a processor user sees those of the users bound to its own processor
(the users file's bindings, store.identity.Config.user_processors), never our staff's or another processor's. The
chain's hashes are left out: verifying the chain is our side's work (`oversight audit verify`).
"""

from __future__ import annotations

import duckdb

from store import audit
from store.identity import Config, User
from store.scope import in_scope, scope_of

SHOWN = ("seq", "occurred_at", "user_name", "action", "object")


def activity_for(con: duckdb.DuckDBPyConnection, user: User, config: Config,
                 limit: int = 200) -> list[dict[str, object]]:
    """The newest events of the users bound to the user's processor (all events for the controller's users)."""
    if scope_of(user) is None:
        return [{k: e[k] for k in SHOWN} for e in audit.list_events(con, limit=limit)]
    colleagues = sorted(name for name, processor in config.user_processors.items() if in_scope(user, processor))
    if user.name not in colleagues:
        colleagues.append(user.name)
    events: list[dict[str, object]] = []
    for name in colleagues:
        events += audit.list_events(con, user=name, limit=limit)
    events.sort(key=lambda e: int(e["seq"]), reverse=True)  # type: ignore[call-overload]
    return [{k: e[k] for k in SHOWN} for e in events[:limit]]

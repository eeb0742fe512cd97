"""Named storage errors; the CLI and UI turn them into messages that say what to do."""

from __future__ import annotations


class OversightError(Exception):
    """Base class of every refusal a user can act on: the CLI prints it (exit 2), the dashboard shows it."""


class StoreError(OversightError):
    """Base class for storage errors."""


class DatabaseLocked(StoreError):
    """Another process holds the DuckDB file (read-write, or read-only when this one needs to write)."""

    def __init__(self, path: str, holder: str | None) -> None:
        self.path = path
        self.holder = holder
        who = f" ({holder})" if holder else ""
        super().__init__(
            f"The database {path} is held by another program{who}. DuckDB lets one program at a time write to "
            "it, and each program (the dashboard included) holds it only while it works. Run the command again in "
            "a moment; nothing was written."
        )


class DatabaseBusy(DatabaseLocked):
    """The file stayed held by another process for longer than the bounded wait (store.db.wait_seconds)."""

    def __init__(self, path: str, holder: str | None, waited: float) -> None:
        super().__init__(path, holder)
        self.waited = waited
        who = f" ({holder})" if holder else ""
        self.args = (
            f"The database {path} is busy: another program{who} held it for longer than {waited:g} s, the longest "
            "this waits. DuckDB lets one program at a time write to it; a long ingest or check run holds it until "
            "it is done. Run the command again when that has finished (OVERSIGHT_DB_WAIT=SECONDS waits longer); "
            "nothing was written.",
        )

    def __str__(self) -> str:
        return str(self.args[0])


class WritersBusy(DatabaseBusy):
    """On a PostgreSQL store, another writer kept its turn for longer than the bounded wait (store.postgres)."""

    def __init__(self, store: str, waited: float) -> None:
        super().__init__(store, "another writer", waited)
        self.args = (
            f"The database {store} is busy: another writer kept its turn for longer than {waited:g} s, the longest "
            "this waits. Writers on every machine take turns, and a long ingest or check run keeps its turn until "
            "it is done. Run the command again when that has finished (OVERSIGHT_DB_WAIT=SECONDS waits longer); "
            "nothing was written.",
        )


class DatabaseTooNew(StoreError):
    """The database was written by a newer version of the tool."""

    def __init__(self, path: str, found: int, known: int) -> None:
        super().__init__(
            f"The database {path} has schema version {found}, but this version of processor-oversight "
            f"knows versions up to {known}. Upgrade processor-oversight, or open another database with --db."
        )


class DatabaseUnreadable(StoreError):
    """The file is not a DuckDB database this version can open."""


class WriteConflict(StoreError):
    """A write transaction on a PostgreSQL store lost a race the server settles by refusing one side (a serialization
    failure, a deadlock, a unique key taken meanwhile): it was rolled back, so nothing of it was written. Units of
    work run through store.db.retrying are run again; others say so."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"Another program wrote to the same rows at the same moment ({reason}); nothing of this step was "
            "written. Run it again."
        )


class PermissionDenied(StoreError):
    """The user lacks every role that may perform the action."""

    def __init__(self, user: str, action: str, allowed: tuple[str, ...]) -> None:
        self.user = user
        self.action = action
        self.allowed = allowed
        super().__init__(
            f"User '{user}' may not {action}: that needs one of the roles {', '.join(allowed)}. "
            "Ask a compliance officer to give you the role in the configuration file, or sign in as a user who has it."
        )


class ConfigError(StoreError):
    """The configuration file is invalid."""


class UnknownProcessor(StoreError):
    """No processor has that name (processors are registered by their first report)."""

    def __init__(self, name: str, known: list[str],
                 hint: str = "A processor is registered by its first report: check the spelling, or ingest a report "
                             "first.") -> None:
        self.name = name
        super().__init__(f"There is no processor named '{name}'. Known processors: {', '.join(known) or 'none yet'}. "
                         + hint)

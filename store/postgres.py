"""PostgreSQL as the shared store: DuckDB stays the query engine and reaches the server through its postgres extension.

store.db chooses the store and store.migrations writes the schema's PostgreSQL form; every other module gets a
connection that behaves as the embedded file's does (docs/deployment.md), and asks `is_url` or `postgres(con)` only
where a task differs by nature: a backup, compaction, the key files and the inbox that lie beside a file.

How the pieces fit, and why:
- One DuckDB instance per process and URL, kept open (nothing to lock: the server arbitrates), with the database
  ATTACHed as `store` and made the default catalog. Each unit of work gets a cursor of it (`PostgresConnection`),
  and a cursor of that again: DuckDB cursors do not inherit `USE` or the search path, so every cursor made here
  re-issues both.
- The views (QUALIFY, list functions: DuckDB SQL, not PostgreSQL's) live in the instance's in-memory catalog over the
  attached tables, created once per process from the migrations (store.migrations.view_statements). The search path
  `store.public,memory.main` finds tables on the server and views in memory; a view's body binds to the server's
  tables by that same path.
- Isolation READ COMMITTED, and every write transaction first takes one transaction-scoped advisory lock
  (`WRITER_LOCK`): writers queue as they do on the embedded file, each reads what the one before it committed, so
  the audit chain's next sequence number is never taken twice. The wait for that lock is bounded like the file's
  (store.db.wait_seconds), then DatabaseBusy.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import duckdb

from store.errors import DatabaseUnreadable, StoreError

URL_PREFIXES = ("postgresql://", "postgres://")
ALIAS = "store"
SEARCH_PATH = f"{ALIAS}.public,memory.main"
# pg_advisory_xact_lock keys: one for writers, one for the process that migrates (a bigint each; arbitrary but fixed).
WRITER_LOCK = 0x0_5EED_0F_0B5E
MIGRATION_LOCK = WRITER_LOCK + 1
# PostgreSQL's SQLSTATEs for what a retry may cure: serialization failure, deadlock, unique violation, lock timeout.
RETRYABLE = ("could not serialize", "deadlock detected", "duplicate key value violates unique constraint",
             "canceling statement due to lock timeout")

_INSTANCES: dict[str, duckdb.DuckDBPyConnection] = {}
_INSTANCES_LOCK = threading.RLock()


class PostgresUnavailable(DatabaseUnreadable):
    """The PostgreSQL store cannot be used: the extra is not installed, or the server refuses or cannot be reached."""


class NothingBesideUrl(StoreError):
    """A file the embedded store keeps beside its database (key, inbox) was not named for a PostgreSQL store."""

    def __init__(self, what: str, how: str) -> None:
        super().__init__(
            f"With a PostgreSQL store (--db / OVERSIGHT_DB is a postgresql:// URL) nothing lies beside the database, "
            f"so the {what} must be named: {how}."
        )


def is_url(location: object) -> bool:
    """True if `location` (a --db / OVERSIGHT_DB value) names a PostgreSQL database rather than a DuckDB file."""
    return isinstance(location, str) and location.startswith(URL_PREFIXES)


def redacted(url: str) -> str:
    """The URL without its password, for messages and the audit trail."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def extension_path() -> Path:
    """The postgres extension built for the running DuckDB, from the `postgres` extra's wheel."""
    try:
        import duckdb_extension_postgres_scanner as wheel  # type: ignore[import-not-found]
    except ImportError:
        raise PostgresUnavailable(
            "A PostgreSQL store needs the postgres extra: pip install 'processor-oversight[postgres]' (it pins "
            f"DuckDB 1.5.5, the version whose postgres extension is published; this is DuckDB {duckdb.__version__})."
        ) from None
    path = Path(wheel.__file__).parent / "extensions" / f"v{duckdb.__version__}" / "postgres_scanner.duckdb_extension"
    if not path.is_file():
        raise PostgresUnavailable(
            f"The postgres extension installed is not built for DuckDB {duckdb.__version__}. Reinstall with "
            "pip install 'processor-oversight[postgres]', which pins the DuckDB version it is built for."
        )
    return path


class PostgresConnection:
    """A cursor of the process's DuckDB instance with the PostgreSQL database as its default catalog.

    It stands in for a DuckDB connection everywhere (type hints keep saying duckdb.DuckDBPyConnection): every
    attribute is the cursor's, except `cursor()`, which gives another PostgresConnection (a bare DuckDB cursor would
    look for tables in the in-memory catalog), and `close()`.
    """

    is_postgres = True

    def __init__(self, cursor: duckdb.DuckDBPyConnection, url: str) -> None:
        cursor.execute(f"USE {ALIAS}")
        cursor.execute(f"SET search_path = '{SEARCH_PATH}'")
        self._cur = cursor
        self.url = url

    def cursor(self) -> PostgresConnection:
        with _INSTANCES_LOCK:
            return PostgresConnection(self._cur.cursor(), self.url)

    def close(self) -> None:
        self._cur.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)

    def __enter__(self) -> PostgresConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def postgres(con: object) -> bool:
    """True if `con` is a unit of work on the PostgreSQL store."""
    return getattr(con, "is_postgres", False) is True


def connect(url: str, setup: Any) -> PostgresConnection:
    """A unit of work on the database at `url`: a cursor of this process's instance, made (attached, migrated by
    `setup(instance)`, views created) on first use."""
    with _INSTANCES_LOCK:
        base = _INSTANCES.get(url)
        if base is None:
            base = _attach(url)
            try:
                setup(PostgresConnection(base.cursor(), url))
            except BaseException:
                base.close()
                raise
            _INSTANCES[url] = base
        cursor = base.cursor()
    return PostgresConnection(cursor, url)


def release(url: str | None = None) -> None:
    """Close this process's instance for `url` (all when None), returning its server connections: a test that drops
    or copies a database (CREATE DATABASE ... TEMPLATE) needs nobody connected to it."""
    with _INSTANCES_LOCK:
        for key in [url] if url is not None else list(_INSTANCES):
            base = _INSTANCES.pop(key, None)
            if base is not None:
                base.close()


def _attach(url: str) -> duckdb.DuckDBPyConnection:
    path = extension_path()
    base = duckdb.connect()
    try:
        base.execute(f"LOAD '{_quoted(str(path))}'")
        base.execute(f"ATTACH '{_quoted(url)}' AS {ALIAS} (TYPE postgres, ISOLATION_LEVEL 'READ COMMITTED')")
    except duckdb.Error as exc:
        base.close()
        first = _clean(str(exc))
        raise PostgresUnavailable(
            f"The PostgreSQL database {redacted(url)} could not be opened: {first}. Check that the server runs and the "
            "URL's user, password and database name are right (the database must exist: createdb NAME)."
        ) from None
    return base


def execute(con: PostgresConnection, sql: str) -> None:
    """Run PostgreSQL's own SQL on the server, inside the connection's transaction, and forget DuckDB's cached view
    of the schema (the statement may have changed it)."""
    con.execute(f"CALL postgres_execute('{ALIAS}', ?)", [sql])
    con.execute("CALL pg_clear_cache()")


def lock(con: PostgresConnection, key: int, wait: float) -> bool:
    """Take the transaction-scoped advisory lock `key`, waiting up to `wait` seconds; False if it stayed held."""
    if _try_lock(con, key):
        return True
    if wait <= 0:
        return False
    try:
        con.execute(f"CALL postgres_execute('{ALIAS}', ?)",
                    [f"SET LOCAL lock_timeout = '{int(wait * 1000)}ms'; SELECT pg_advisory_xact_lock({key}); "
                     "SET LOCAL lock_timeout = 0"])
    except duckdb.Error as exc:
        if "lock timeout" in str(exc):
            return False
        raise
    return True


def _try_lock(con: PostgresConnection, key: int) -> bool:
    [(got,)] = con.execute(f"SELECT * FROM postgres_query('{ALIAS}', 'SELECT pg_try_advisory_xact_lock({key})')"
                           ).fetchall()
    return bool(got)


def retryable(exc: BaseException) -> bool:
    """True for a conflict that running the transaction again may cure (another writer got there first)."""
    return isinstance(exc, duckdb.Error) and any(text in str(exc) for text in RETRYABLE)


def reason(exc: BaseException) -> str:
    """The server's words for a conflict, from a DuckDB error that carries them."""
    text = str(exc)
    return next((r for r in RETRYABLE if r in text), "a conflict")


def next_value(con: PostgresConnection, sequence: str) -> int:
    """The sequence's next value, from the server (DuckDB cannot call a PostgreSQL sequence)."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", sequence):
        raise ValueError(f"not a sequence name: {sequence!r}")
    [(value,)] = con.execute(f"SELECT * FROM postgres_query('{ALIAS}', 'SELECT nextval(''{sequence}'')')").fetchall()
    return int(value)


def vacuum(url: str) -> tuple[int, int]:
    """Rewrite every table of the database without its deleted rows (VACUUM FULL, PostgreSQL's compaction, outside
    any transaction as it must be); return the database's size in bytes before and after."""
    base = _attach(url)
    try:
        size = f"SELECT * FROM postgres_query('{ALIAS}', 'SELECT pg_database_size(current_database())')"
        [(before,)] = base.execute(size).fetchall()
        base.execute(f"CALL postgres_execute('{ALIAS}', 'VACUUM FULL', use_transaction := false)")
        [(after,)] = base.execute(size).fetchall()
    finally:
        base.close()
    return int(before), int(after)


def _quoted(text: str) -> str:
    return text.replace("'", "''")


def _clean(text: str) -> str:
    """The server's reason from a DuckDB error, without the URL (which may hold a password)."""
    lines = [line for line in text.splitlines() if line.strip()]
    reason = next((line for line in lines if "FATAL" in line or "ERROR" in line or "refused" in line),
                  lines[0] if lines else text)
    return re.sub(r"postgres(ql)?://\S+", "<url>", reason).strip()

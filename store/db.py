"""The DuckDB connection: where the file is, opening it for a unit of work, and write transactions.

One module decides how a unit of work gets its connection (`open_unit`, `connect`); nothing else opens the database.
DuckDB lets one process at a time hold the file for writing, and a process holding it read-write keeps every other
process out, readers included. So every process (the dashboard's page runs, each command, the scheduled loader)
holds the file only for one unit of work and closes it, and an open that finds the file held waits, retrying with
a growing pause, up to a bound (`OVERSIGHT_DB_WAIT` seconds, 10 by default), then refuses with `DatabaseBusy`
naming the holder. Reads open the file read-only where the caller says so: read-only openers never keep each other
out.

`--db` / OVERSIGHT_DB is read as text: a path (the embedded DuckDB file, the default) or a `postgresql://` URL, the
shared store for teams (store.postgres, docs/deployment.md). This module chooses; every other module gets a
connection that behaves the same on both, and knows no more than `is_postgres()` where a task differs by nature
(a backup, compacting a file).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

import duckdb

from store import postgres
from store.errors import DatabaseBusy, DatabaseLocked, DatabaseUnreadable, WriteConflict, WritersBusy
from store.migrations import LATEST, MIGRATIONS, migrate

T = TypeVar("T")
DEFAULT_DB = Path("data") / "oversight.duckdb"
WAIT_ENV = "OVERSIGHT_DB_WAIT"
DEFAULT_WAIT_SECONDS = 10.0
# The pause between attempts grows from FIRST_PAUSE to LAST_PAUSE: a short hold (a page's queries) is waited out
# quickly, a long one (a million-row ingest) is not polled a hundred times a second.
FIRST_PAUSE, LAST_PAUSE = 0.02, 0.5

# DuckDB 2.0 serialises nothing for us across threads: the dashboard's sessions share one database instance per
# process (each query on its own cursor), so writes from concurrent sessions are serialised here.
WRITE_LOCK = threading.RLock()

_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<prog>\S+)(?: \(PID (?P<pid>\d+)\))?")
# DuckDB shares one database instance per file within a process; a read-only and a read-write one cannot coexist.
_OTHER_CONFIG = "different configuration"
THIS_PROCESS = "a connection of this program"

# Migrations run only when a file is behind (once per file, by the first process that opens it after an upgrade):
# every open costs one small query on schema_migrations, which also catches a file replaced meanwhile (a restore, a
# newer version's file). Within a process one thread migrates at a time.
_MIGRATE_LOCK = threading.Lock()


def resolve_db(db: str | os.PathLike[str] | None = None) -> Path | str:
    """Return the store: the argument, else OVERSIGHT_DB, else data/oversight.duckdb; a `postgresql://` URL is
    returned as the text it is, anything else as a path."""
    raw = os.fspath(db) if db else os.environ.get("OVERSIGHT_DB") or ""
    if postgres.is_url(raw):
        return raw
    return Path(raw) if raw else DEFAULT_DB


def resolve_db_path(db: str | os.PathLike[str] | None = None) -> Path:
    """Return the database file; a PostgreSQL store is refused (NothingBesideUrl): the caller works on a file only."""
    location = resolve_db(db)
    if isinstance(location, str):
        raise postgres.NothingBesideUrl("database file", "this works on the embedded DuckDB file only")
    return location


def is_postgres(db: str | os.PathLike[str] | None = None) -> bool:
    """True if the store (argument, else OVERSIGHT_DB) is a PostgreSQL database."""
    return isinstance(resolve_db(db), str)


def store_key(db: str | os.PathLike[str] | None = None) -> str:
    """One text per store, for per-store settings (the key files a configuration names): the file's absolute path,
    or the URL."""
    location = resolve_db(db)
    return location if isinstance(location, str) else str(location.resolve())


def wait_seconds() -> float:
    """How long an open waits for another process to let go of the file: OVERSIGHT_DB_WAIT, else 10 s."""
    raw = os.environ.get(WAIT_ENV, "").strip()
    try:
        return max(0.0, float(raw)) if raw else DEFAULT_WAIT_SECONDS
    except ValueError:
        return DEFAULT_WAIT_SECONDS


def connect(db: str | os.PathLike[str] | None = None, *, read_only: bool = False, wait: float = 0.0,
            on_wait: Callable[[str | None], None] | None = None) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the database with its schema up to date; the caller closes it.

    While another process holds the file, retry for up to `wait` seconds (`on_wait(holder)` is called once, at the
    first refusal: the dashboard shows that it is waiting), then raise DatabaseBusy; with `wait` 0 a held file
    raises DatabaseLocked at once. A read-only open of a file not yet migrated in this process migrates it first
    (read-write, once).
    """
    location = resolve_db(db)
    if isinstance(location, str):
        # The server arbitrates between processes: nothing to wait for at the door; writers queue in transaction().
        return postgres.connect(location, lambda con: migrate(con, postgres.redacted(location)))  # type: ignore
    path = location
    deadline = time.monotonic() + wait
    pause = FIRST_PAUSE
    told = False
    while True:
        try:
            return _open(path, read_only=read_only)
        except DatabaseLocked as exc:
            now = time.monotonic()
            if now >= deadline:
                if wait > 0:
                    raise DatabaseBusy(str(path), exc.holder, wait) from None
                raise
            if on_wait is not None and not told:
                told = True
                on_wait(exc.holder)
            time.sleep(min(pause, deadline - now))
            pause = min(pause * 2, LAST_PAUSE)


@contextmanager
def open_unit(db: str | os.PathLike[str] | None = None, *, write: bool, wait: float | None = None,
              on_wait: Callable[[str | None], None] | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Hold the database for one unit of work (a command, a page run, one ingest) and let go of it afterwards.

    `write=False` opens it read-only, so that readers never keep each other out; `wait` defaults to wait_seconds().
    """
    con = connect(db, read_only=not write, wait=wait_seconds() if wait is None else wait, on_wait=on_wait)
    try:
        yield con
    finally:
        con.close()


def _open(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """One attempt: open, and migrate once per process; a held file raises DatabaseLocked."""
    if read_only and not path.exists():
        _open(path, read_only=False).close()  # creates the file with its schema; then read-only as asked
    new = not read_only and not path.exists()
    if new:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # the WAL DuckDB writes beside it, too
    try:
        with _owner_only(new):
            con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.ConnectionException as exc:
        if _OTHER_CONFIG not in str(exc):
            raise DatabaseUnreadable(f"The database {path} could not be opened: {str(exc).splitlines()[0]}") from None
        if read_only:
            # This process already has the file open read-write: a reader shares that instance (no other lock).
            return _open(path, read_only=False)
        raise DatabaseLocked(str(path), THIS_PROCESS) from None  # read-only units of this process: wait for them
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise DatabaseLocked(str(path), lock_holder(text)) from None
        raise DatabaseUnreadable(f"The database {path} could not be opened: {text.splitlines()[0]}") from None
    except duckdb.Error as exc:
        raise DatabaseUnreadable(
            f"The file {path} is not a processor-oversight database this version can open "
            f"({str(exc).splitlines()[0]}). Point --db or OVERSIGHT_DB at another file."
        ) from None
    if new:
        os.chmod(path, 0o600)
    try:
        if not _up_to_date(con):
            if read_only:  # a reader never migrates: upgrade it read-write, then open it as asked
                con.close()
                _open(path, read_only=False).close()
                return _open(path, read_only=True)
            with _MIGRATE_LOCK:
                migrate(con, str(path))
    except BaseException:
        con.close()
        raise
    return con


def lock_holder(text: str) -> str | None:
    """The process named in DuckDB's lock message: 'PID 1234, python3', or the program alone."""
    match = _LOCK_HOLDER.search(text)
    if not match:
        return None
    return f"PID {match['pid']}, {Path(match['prog']).name}" if match["pid"] else match["prog"]


def _up_to_date(con: duckdb.DuckDBPyConnection) -> bool:
    """Every migration applied and none newer (migrate() then has nothing to do, or refuses a newer file)."""
    try:
        newest, applied = con.execute("SELECT coalesce(max(version), 0), count(*) FROM schema_migrations").fetchall()[0]
    except duckdb.CatalogException:  # a new, empty file
        return False
    return (newest, applied) == (LATEST, len(MIGRATIONS))


@contextmanager
def _owner_only(active: bool) -> Iterator[None]:
    """Create files readable by their owner only while the block runs (DuckDB creates the database file itself, with
    the process's umask: 0644 on most systems, readable by every local user). The umask is per process, so a file
    another thread creates meanwhile is also owner-only, which is never less safe."""
    if not active:
        yield
        return
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run a block as one transaction: all of it is written, or none of it.

    On a PostgreSQL store the transaction first takes the writers' advisory lock (store.postgres): writers on every
    machine queue as they do on the file, and each reads what the one before it committed. The wait is bounded by
    wait_seconds(), then DatabaseBusy with nothing written.
    """
    with WRITE_LOCK:
        con.begin()
        try:
            if postgres.postgres(con) and not postgres.lock(con, postgres.WRITER_LOCK, wait_seconds()):  # type: ignore
                raise WritersBusy(postgres.redacted(con.url), wait_seconds())  # type: ignore[attr-defined]
            yield con
            con.commit()
        except BaseException as exc:
            _rollback(con)
            if postgres.postgres(con) and postgres.retryable(exc):
                raise WriteConflict(postgres.reason(exc)) from None
            raise
        _COMMITS.n = getattr(_COMMITS, "n", 0) + 1


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    with suppress(duckdb.Error):  # the commit itself failed: DuckDB has already ended the transaction
        con.rollback()


# Write transactions committed on this thread: retrying() runs a unit of work again only if none of it was committed.
_COMMITS = threading.local()
RETRY_ATTEMPTS = 3


def retrying(work: Callable[[], T], attempts: int = RETRY_ATTEMPTS) -> T:
    """Run a unit of work, and run it again (up to `attempts` in all, after a short growing pause) when a write
    transaction of it lost a race on a PostgreSQL store (WriteConflict) before any of its transactions committed:
    a unit that had written something is never run twice; its conflict is reported instead."""
    for attempt in range(1, attempts + 1):
        before = getattr(_COMMITS, "n", 0)
        try:
            return work()
        except WriteConflict:
            if attempt == attempts or getattr(_COMMITS, "n", 0) != before:
                raise
            time.sleep(FIRST_PAUSE * 2**attempt)
    raise AssertionError("unreachable")


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> list[dict[str, object]]:
    """Run a query on its own cursor and return every row as a dict (results are fetched fully)."""
    cur = con.cursor()
    try:
        result = cur.execute(sql, params) if params is not None else cur.execute(sql)
        names = [d[0] for d in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
    finally:
        cur.close()


def next_id(con: duckdb.DuckDBPyConnection, sequence: str) -> int:
    """The next value of a schema sequence, for an insert that needs its new row's id. Used instead of INSERT ...
    RETURNING, which DuckDB cannot do into a PostgreSQL table; the same on both stores."""
    if postgres.postgres(con):
        return postgres.next_value(con, sequence)  # type: ignore[arg-type]
    [(value,)] = con.execute("SELECT nextval(?)", [sequence]).fetchall()
    return int(value)

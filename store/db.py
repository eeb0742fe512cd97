"""The DuckDB connection: where the file is, opening it, and write transactions."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from store.errors import DatabaseLocked, DatabaseUnreadable
from store.migrations import migrate

DEFAULT_DB = Path("data") / "oversight.duckdb"

# DuckDB 2.0 serialises nothing for us across threads: the dashboard's sessions share one connection
# (each query on its own cursor), so writes from concurrent sessions are serialised here.
WRITE_LOCK = threading.RLock()

_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<prog>\S+)(?: \(PID (?P<pid>\d+)\))?")


def resolve_db_path(db: str | os.PathLike[str] | None = None) -> Path:
    """Return the database path: the argument, else OVERSIGHT_DB, else data/oversight.duckdb."""
    if db:
        return Path(db)
    env = os.environ.get("OVERSIGHT_DB")
    return Path(env) if env else DEFAULT_DB


def connect(db: str | os.PathLike[str] | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the database and bring its schema up to date."""
    path = resolve_db_path(db)
    new = not read_only and not path.exists()
    if new:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # the WAL DuckDB writes beside it, too
    try:
        with _owner_only(new):
            con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            match = _LOCK_HOLDER.search(text)
            holder = None
            if match:
                holder = f"PID {match['pid']}, {Path(match['prog']).name}" if match["pid"] else match["prog"]
            raise DatabaseLocked(str(path), holder) from None
        raise DatabaseUnreadable(f"The database {path} could not be opened: {text.splitlines()[0]}") from None
    except duckdb.Error as exc:
        raise DatabaseUnreadable(
            f"The file {path} is not a processor-oversight database this version can open "
            f"({str(exc).splitlines()[0]}). Point --db or OVERSIGHT_DB at another file."
        ) from None
    if new:
        os.chmod(path, 0o600)
    if not read_only:
        migrate(con, str(path))
    return con


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
    """Run a block as one transaction: all of it is written, or none of it."""
    with WRITE_LOCK:
        con.begin()
        try:
            yield con
        except BaseException:
            con.rollback()
            raise
        con.commit()


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> list[dict[str, object]]:
    """Run a query on its own cursor and return every row as a dict (results are fetched fully)."""
    cur = con.cursor()
    try:
        result = cur.execute(sql, params) if params is not None else cur.execute(sql)
        names = [d[0] for d in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
    finally:
        cur.close()

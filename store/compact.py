"""Compaction: rewrite the database file so that deleted values do not linger in its free blocks.

DuckDB marks the blocks of deleted rows free but leaves their bytes in the file until they are reused, so a purge
(store.retention) or an erasure that only DELETEs would still hold the removed values on disk: storage limitation
(GDPR Art. 5(1)(e)) and erasure (Art. 17) would be true of the tables but not of the file. `compact` checkpoints the
database, copies it into a fresh file (``COPY FROM DATABASE ... (SCHEMA)``: tables with their constraints, sequences at
their current value, views; then the rows, table by table) and atomically puts the copy in the file's place.

It needs the file to itself: while another program (the dashboard) or another connection of this process has it
open, it refuses with `DatabaseInUse` and changes nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from store import postgres
from store.db import lock_holder
from store.errors import StoreError
from store.migrations import load_order


class DatabaseInUse(StoreError):
    """The database file is open elsewhere (another program, or a connection of this one), so it cannot be rewritten."""

    def __init__(self, path: Path, holder: str | None) -> None:
        self.path = path
        self.holder = holder
        who = f" ({holder})" if holder else ""
        super().__init__(
            f"The database {path} is open elsewhere{who}, so it cannot be compacted: compaction rewrites the whole "
            "file and needs it to itself. Run the command again in a moment (the dashboard holds the file only while "
            "a page loads, an ingest or check run until it is done); nothing was changed by the compaction.")


class CompactionFailed(StoreError):
    """The copy could not be made; the original file is left as it was."""


@dataclass(frozen=True)
class Compaction:
    """What compaction did: the file, and its size before and after (bytes)."""

    path: Path | str  # the file, or a PostgreSQL store's URL (compacted by VACUUM FULL)
    bytes_before: int
    bytes_after: int


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _attach(con: duckdb.DuckDBPyConnection, path: Path, alias: str) -> None:
    """Attach `path` read-write (taking DuckDB's file lock), or raise DatabaseInUse naming who holds it."""
    try:
        con.execute(f"ATTACH '{_quoted(path)}' AS {alias}")
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" not in text.lower():
            raise CompactionFailed(f"The database {path} could not be opened for compaction: "
                                   f"{text.splitlines()[0]}") from None
        raise DatabaseInUse(path, lock_holder(text)) from None
    except duckdb.Error as exc:
        # "Unique file handle conflict": a connection of this very process has the file open (POSIX locks do not
        # stop the process that holds them, DuckDB's own registry does).
        if "already attached" in str(exc) or "file handle conflict" in str(exc).lower():
            raise DatabaseInUse(path, f"this program, PID {os.getpid()}") from None
        raise CompactionFailed(f"The database {path} could not be opened for compaction: "
                               f"{str(exc).splitlines()[0]}") from None


def _copy(con: duckdb.DuckDBPyConnection) -> None:
    """Copy database `old` into `new`: the schema (tables with their constraints, sequences at their current value,
    views), then each table's rows, a referenced table before the tables that refer to it. (DuckDB 1.5.5, the
    postgres extra's pin, copies the rows of `COPY FROM DATABASE` in an order its foreign keys refuse.)"""
    con.execute("COPY FROM DATABASE old TO new (SCHEMA)")
    tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'old' "
                                        "AND schema_name = 'main'").fetchall()]
    rank = {table: i for i, table in enumerate(load_order())}  # schema_migrations, in no migration, goes first
    for table in sorted(tables, key=lambda t: (rank.get(t, -1), t)):
        con.execute(f'INSERT INTO new.main."{table}" SELECT * FROM old.main."{table}"')


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def compact(db_path: str | os.PathLike[str]) -> Compaction:
    """Checkpoint the database at `db_path`, rewrite it into a fresh file and replace the original with it atomically.

    Raises DatabaseInUse when the file is open elsewhere (nothing changed), CompactionFailed when the copy fails (the
    original is left in place). The file keeps owner-only permissions (0600).
    """
    if postgres.is_url(db_path):
        # A PostgreSQL store: the server rewrites its tables itself, while others keep working.
        before, after = postgres.vacuum(str(db_path))
        return Compaction(postgres.redacted(str(db_path)), before, after)
    path = Path(db_path).resolve()
    if not path.is_file():
        raise CompactionFailed(f"There is no database file {path} to compact.")
    before = path.stat().st_size
    temporary = path.with_name(path.name + ".compacting")
    for leftover in (temporary, _wal(temporary)):
        leftover.unlink(missing_ok=True)  # a copy left by an interrupted compaction: never the database itself
    con = duckdb.connect(":memory:")
    try:
        _attach(con, path, "old")
        previous = os.umask(0o077)  # the copy is created owner-only, like the database
        try:
            con.execute("CHECKPOINT old")
            con.execute(f"ATTACH '{_quoted(temporary)}' AS new")
            _copy(con)
            con.execute("DETACH new")  # writes the copy out completely (a detached database is checkpointed)
        except duckdb.Error as exc:
            raise CompactionFailed(f"The database {path} could not be compacted ({str(exc).splitlines()[0]}); it "
                                   "was left as it was.") from None
        finally:
            os.umask(previous)
        con.execute("DETACH old")
    except BaseException:
        con.close()
        for leftover in (temporary, _wal(temporary)):
            leftover.unlink(missing_ok=True)
        raise
    con.close()
    if _wal(path).exists() or _wal(temporary).exists():
        # A write-ahead log beside the original would be replayed onto the copy: refuse rather than guess.
        temporary.unlink(missing_ok=True)
        raise CompactionFailed(f"The database {path} still has a write-ahead log after its checkpoint; it was left as "
                               "it was. Open and close it with the tool once, then compact again.")
    os.chmod(temporary, 0o600)
    _fsync(temporary)
    os.replace(temporary, path)  # atomic on one file system: a reader sees the old file or the new, never half
    _fsync(path.parent)
    return Compaction(path, before, path.stat().st_size)

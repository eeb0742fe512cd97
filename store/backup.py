"""A consistent copy of the embedded database file, made while the dashboard and the loader run (issue 16).

DuckDB keeps recent changes in a write-ahead log beside the file, so copying the file alone can lose them, and a
copy made while another program writes can be torn. So the backup holds the file for writing for its duration (the
bounded wait of store.db: the dashboard's pages wait that long and show that they do), checkpoints the log into the
file, copies the file to a private temporary name beside the target, and renames it into place; then it opens the
copy on its own and compares every table's row count and the audit trail's head with the original.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from store.db import WRITE_LOCK, open_unit, resolve_db_path
from store.errors import StoreError


class BackupRefused(StoreError):
    """The target is unusable: it exists, or it is the database itself."""


class BackupMismatch(StoreError):
    """The copy does not hold what the original held (it is removed)."""


@dataclass(frozen=True)
class Backup:
    """What was copied: the file, its size, every table's row count and the audit trail's last event."""

    path: Path
    bytes: int
    tables: dict[str, int]
    events: int
    head: str | None


def backup(db: str | os.PathLike[str] | None, target: Path, *, wait: float | None = None) -> Backup:
    """Copy the database to `target` (a new file, owner-only), consistent as of one moment; refuse an existing one."""
    source = resolve_db_path(db)
    target = Path(target)
    if target.exists() or target.is_symlink():
        raise BackupRefused(f"{target} already exists; a backup never overwrites a file. Name a new file.")
    if not source.exists():
        raise BackupRefused(f"There is no database at {source} to back up. Check --db or OVERSIGHT_DB.")
    if target.resolve() == source.resolve():
        raise BackupRefused(f"{target} is the database itself; name a new file.")
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = target.with_name(f".{target.name}.partial")
    with open_unit(source, write=True, wait=wait) as con, WRITE_LOCK:
        con.execute("CHECKPOINT")  # the log's changes into the file: the file alone is then the whole database
        expected = contents(con)
        try:
            _copy(source, partial)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    try:
        copy = duckdb.connect(str(partial), read_only=True)
        try:
            found = contents(copy)
        finally:
            copy.close()
        if found != expected:
            raise BackupMismatch(f"The copy of {source} does not hold what the database holds "
                                 f"({_difference(expected, found)}); it was removed. Run the backup again.")
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    tables, events, head = expected
    return Backup(target, target.stat().st_size, tables, events, head)


def contents(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, int], int, str | None]:
    """Every base table's row count, the number of audit events and the newest event's hash."""
    names = [row[0] for row in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema = 'main' "
        "ORDER BY table_name").fetchall()]
    tables = {name: int(con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]) for name in names}
    last = con.execute("SELECT count(*), max_by(hash, seq) FROM audit_events").fetchall()[0]
    return tables, int(last[0]), last[1]


def _copy(source: Path, partial: Path) -> None:
    """Copy the bytes into a new owner-only file and flush them to disk before the rename."""
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    with os.fdopen(fd, "wb") as out, source.open("rb") as src:
        shutil.copyfileobj(src, out, 1024 * 1024)
        out.flush()
        os.fsync(out.fileno())


def _difference(expected: tuple[dict[str, int], int, str | None], found: tuple[dict[str, int], int, str | None]) -> str:
    differing = sorted(set(expected[0].items()) ^ set(found[0].items()))
    return ", ".join(f"{name}: {count}" for name, count in differing[:5]) or "the audit trail's head differs"

"""Moving a store: export every table to Parquet files with a manifest, import them into a new, empty store.

Why: a team that outgrows one file moves its evidence to PostgreSQL (docs/deployment.md), and a file written by
DuckDB 2.0 (the default install) cannot be opened by DuckDB 1.5.5 (the postgres extra's pin). Parquet files are read
by both, so `oversight store export DIR` on one install and `oversight --db URL store import DIR` on the other move
the whole record, audit trail and all; the other way round works too.

The export is one consistent moment (one read transaction). The manifest records each table's row count and each
file's SHA-256, the schema version and the audit trail's head; the import refuses a store that is not empty, another
schema version, or a file that differs from the manifest, loads every table in one transaction (a referenced table
before the tables that refer to it), sets each sequence past the highest id it gave, and compares counts and head
with the manifest before it commits. The keys are not in the export: the target uses the same key files.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from store import audit, postgres
from store.db import transaction
from store.errors import StoreError
from store.identity import User, require
from store.migrations import LATEST, load_order, sequences

FORMAT = "processor-oversight store export, version 1"
MANIFEST = "manifest.json"
SKIPPED = ("schema_migrations",)  # the target's own migrations make it


class TransferRefused(StoreError):
    """An export or import that would lose or mix records; nothing was written."""


@dataclass(frozen=True)
class Transfer:
    """What was moved: the folder, each table's rows, the audit trail's events and head."""

    folder: Path
    tables: dict[str, int]
    events: int
    head: str | None


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
        "AND table_catalog = current_database() AND table_schema = current_schema() ORDER BY table_name").fetchall()
        if r[0] not in SKIPPED]


def _head(con: duckdb.DuckDBPyConnection) -> tuple[int, str | None]:
    count, head = con.execute("SELECT count(*), max_by(hash, seq) FROM audit_events").fetchall()[0]
    return int(count), head


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def export_store(con: duckdb.DuckDBPyConnection, user: User, folder: Path) -> Transfer:
    """Write every table of the store to `folder` (new or empty; owner-only) as Parquet, with the manifest; the
    export is audited (store.exported, after the moment exported: the export does not hold its own event)."""
    role = require(user, "move the store")
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise TransferRefused(f"{folder} exists and is not an empty folder; an export never overwrites. Name a new "
                              "folder.")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    previous = os.umask(0o077)  # pseudonymised records: readable by their owner only, as the database is
    try:
        con.begin()  # one moment: every table as of the same snapshot
        try:
            tables = {}
            for table in _tables(con):
                target = folder / f"{table}.parquet"
                con.execute(f"COPY (SELECT * FROM \"{table}\") TO '{_quoted(target)}' (FORMAT parquet)")
                tables[table] = int(con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0])
            events, head = _head(con)
        finally:
            con.rollback()
    finally:
        os.umask(previous)
    manifest = {"format": FORMAT, "schema_version": LATEST, "exported_at": datetime.now(UTC).isoformat(),
                "tables": tables, "files": {t: _sha256(folder / f"{t}.parquet") for t in tables},
                "audit": {"events": events, "head": head}}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.chmod(folder / MANIFEST, 0o600)
    with transaction(con):
        audit.append_event(con, user=user.name, role=role, action="store.exported", obj=f"export:{folder.name}",
                           details={"tables": len(tables), "rows": sum(tables.values()), "events": events,
                                    "head": head})
    return Transfer(folder, tables, events, head)


def read_manifest(folder: Path) -> dict[str, object]:
    """The export's manifest, checked against its files; TransferRefused says what is wrong."""
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TransferRefused(f"{path} is not an export's manifest ({exc}). Name the folder "
                              "`oversight store export` wrote.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise TransferRefused(f"{path} is not a manifest of this tool's exports (format {FORMAT!r}).")
    for table, sha in dict(manifest["files"]).items():
        file = Path(folder) / f"{table}.parquet"
        if not file.is_file() or _sha256(file) != sha:
            raise TransferRefused(f"{file} is missing or differs from the export's manifest (SHA-256); the export "
                                  "was changed after it was made. Nothing was imported.")
    return manifest


def import_store(con: duckdb.DuckDBPyConnection, user: User, folder: Path) -> Transfer:
    """Load an export into this store, which must be empty and on the same schema version; all or nothing. The
    import is audited (store.imported), as the first event after the imported trail."""
    role = require(user, "move the store")
    manifest = read_manifest(folder)
    if manifest["schema_version"] != LATEST:
        raise TransferRefused(
            f"The export has schema version {manifest['schema_version']} and this version of the tool makes "
            f"{LATEST}. Export and import with the same version of processor-oversight.")
    expected = {str(t): int(n) for t, n in dict(manifest["tables"]).items()}  # type: ignore[call-overload]
    unknown = sorted(set(expected) - set(load_order()))
    if unknown:
        raise TransferRefused(f"The export holds tables this schema does not have: {', '.join(unknown)}.")
    with transaction(con):
        busy = [t for t in ("audit_events", "processors", "submissions")
                if con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]]
        if busy:
            raise TransferRefused("The target store is not empty (it has " + ", ".join(busy) + "); an import never "
                                  "mixes two records. Import into a new, empty database.")
        for table in load_order():
            if expected.get(table):
                path = Path(folder) / f"{table}.parquet"
                con.execute(f"INSERT INTO \"{table}\" BY NAME SELECT * FROM read_parquet('{_quoted(path)}')")
        found = {t: int(con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0]) for t in expected}
        events, head = _head(con)
        recorded = dict(manifest["audit"])  # type: ignore[call-overload]
        if found != expected or (events, head) != (recorded["events"], recorded["head"]):
            raise TransferRefused("The imported rows do not match the export's manifest; nothing was imported.")
        for sequence, (table, column) in sequences().items():
            [(highest,)] = con.execute(f'SELECT coalesce(max("{column}"), 0) FROM "{table}"').fetchall()
            _advance(con, sequence, int(highest))
        audit.append_event(con, user=user.name, role=role, action="store.imported", obj=f"export:{Path(folder).name}",
                           details={"tables": len(found), "rows": sum(found.values()), "events": events,
                                    "head": head, "exported_at": manifest["exported_at"]})
    return Transfer(Path(folder), found, events, head)


def _advance(con: duckdb.DuckDBPyConnection, sequence: str, highest: int) -> None:
    """Make the sequence's next value highest + 1 (a new store's sequences start at 1)."""
    if highest <= 0:
        return
    if postgres.postgres(con):
        postgres.execute(con, f"SELECT setval('{sequence}', {int(highest)})")  # type: ignore[arg-type]
    else:  # DuckDB has no setval: take the values the imported rows hold
        con.execute(f"SELECT max(nextval('{sequence}')) FROM range({int(highest)})").fetchall()


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")

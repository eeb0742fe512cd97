"""`oversight store export|import`: move the whole record between stores (store/transfer.py; wiring only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import duckdb
import typer

from commands.common import run
from store.identity import User

store_app = typer.Typer(help="Move the whole record between stores: export it to Parquet files, import it into a new "
                             "one (a file, or PostgreSQL).", no_args_is_help=True)


@store_app.command("export")
def export_command(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="A new (or empty) folder to write the export to.")],
) -> None:
    """Export every table, as of one moment, to Parquet files with a manifest (row counts, SHA-256, audit head).

    The keys are not in it: the store the export is imported into uses the same key files.
    Example: oversight store export /srv/moving/oversight-2026-12
    """
    from store.transfer import export_store

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        done = export_store(con, user, folder)
        typer.echo(f"Exported {sum(done.tables.values()):,} rows of {len(done.tables)} tables and {done.events} audit "
                   f"events to {done.folder}. Import them into a new, empty store with `oversight --db TARGET store "
                   f"import {done.folder}`, with the same key files.")

    run(ctx, work)


@store_app.command("import")
def import_command(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="The folder `oversight store export` wrote.")],
) -> None:
    """Import an export into this store, which must be new and empty; all of it or nothing, checked against its
    manifest, then audited.

    The store is the global --db (a new DuckDB file, or a postgresql:// URL).
    Example: oversight store import /srv/moving/oversight-2026-12
    """
    from store.transfer import import_store

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        done = import_store(con, user, folder)
        typer.echo(f"Imported {sum(done.tables.values()):,} rows of {len(done.tables)} tables and {done.events} audit "
                   f"events from {done.folder}; the counts and the audit trail's head match the export. "
                   "`oversight audit verify` checks the chain with this store's key files.")

    run(ctx, work)

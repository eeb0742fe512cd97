"""`oversight backup PATH`: a consistent copy of the database file, made while the dashboard runs (store/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from commands.common import DocFormat, dumps, fail


def backup(
    ctx: typer.Context,
    target: Annotated[Path, typer.Argument(help="The new file to write the backup to (never overwritten).")],
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.text,
) -> None:
    """Back up the database to a new file, consistent as of one moment, while the dashboard and the loader run.

    The copy opens as a database on its own (`oversight --db PATH audit verify`). The key files are not in it:
    back them up too, and keep them apart from the database's copies.
    Example: oversight backup /srv/backups/oversight-2026-11-30.duckdb
    """
    import duckdb

    from store.access import acting_user
    from store.audit import configured_key, key_path_for, use_key_file
    from store.backup import backup as make_backup
    from store.db import is_postgres, open_unit, resolve_db_path, wait_seconds
    from store.errors import OversightError
    from store.users_file import load_config

    if is_postgres(ctx.obj.db):
        fail("A PostgreSQL store is backed up with the database's own tools, consistent while the dashboards run: "
             "pg_dump --format=custom --file=FILE DBNAME (restore: pg_restore --dbname=NEWDB FILE). Back up the key "
             "files too. docs/deployment.md says how, and how the restore was tested.")
    try:
        config = load_config(ctx.obj.config)
        path = resolve_db_path(ctx.obj.db)
        use_key_file(path, configured_key(config.audit_key_file, config.key_file))
        if path.exists():  # a command of the controller's staff: the same acting-user rules as every other one
            with open_unit(path, write=False) as con:
                if acting_user(con, config, ctx.obj.user).is_processor:
                    fail("'oversight backup' is for the controller's staff.")
        made = make_backup(path, target, wait=wait_seconds())
    except OversightError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"The backup could not be written: {exc}. Nothing was left at {target}.")
    except duckdb.Error as exc:
        fail(f"The database reported an error: {str(exc).splitlines()[0]}. Nothing was left at {target}.")
    from ingest.pseudonym import resolve_key_path

    keys = [str(resolve_key_path(path)), str(key_path_for(path))]
    if format is DocFormat.json:
        typer.echo(dumps({"path": str(made.path), "bytes": made.bytes, "tables": made.tables, "events": made.events,
                          "head": made.head, "key_files": keys}))
        return
    typer.echo(f"Backed up {path} to {made.path} ({made.bytes:,} bytes, {made.events} audit events, "
               f"{sum(made.tables.values()):,} rows in {len(made.tables)} tables; the copy was opened and compared).")
    typer.echo(f"Back up the key files too, kept apart from the database's copies: {', '.join(keys)}.")

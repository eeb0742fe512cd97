"""Plumbing shared by every `oversight` command: options, output formats, refusals as messages."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable
from contextlib import redirect_stdout
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

from store.errors import OversightError
from store.spreadsheet import safe_cell

if TYPE_CHECKING:
    import duckdb

    from store.identity import Config, User


class Format(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"


class DocFormat(StrEnum):
    """For commands whose output is one document: text or JSON."""

    text = "text"
    json = "json"


# Issue 15: what the processor's own users may run from the command line: their side of the relationship. Every
# other command serves the controller's staff and refuses them before it reads anything (the service functions
# scope and refuse as well: store/scope.py).
PROCESSOR_COMMANDS = frozenset({
    "evidence list", "evidence add", "evidence get",
    "findings respond", "findings show",
    "reports upload", "reports pending",
})


class ProcessorCommandRefused(OversightError):
    """A processor user ran a command of the controller's side."""

    def __init__(self, command: str) -> None:
        allowed = ", ".join(f"oversight {c}" for c in sorted(PROCESSOR_COMMANDS))
        super().__init__(f"'oversight {command}' is for the controller's staff. As the processor's user you may run: "
                         f"{allowed}; or use the portal in the dashboard.")


# Issue 16: the commands that only read open the database read-only, so that they never keep each other out (nor a
# backup); every other command opens it read-write for the command's duration. tests/test_many_processes.py runs each
# of these while another program holds the file read-only.
READ_ONLY_COMMANDS = frozenset({
    "reports", "cases", "quarantine", "audit list", "audit verify", "findings list", "findings show", "case show",
    "mapping show",
})


def command_name(ctx: typer.Context) -> str:
    """The running subcommand without the program name, e.g. 'evidence add'."""
    return " ".join(ctx.command_path.split()[1:])


@dataclass
class Context:
    """The global options (--db, --config, --user), kept on typer's context object."""

    db: str | None  # a DuckDB file's path or a postgresql:// URL (store.db.resolve_db)
    config: Path | None
    user: str | None
    # The configuration as open() read it (None before): what a command needs of it beyond the user, e.g.
    # [ingest] keep_notes, without reading the file a second time.
    loaded: Config | None = None

    def open(self, command: str = "") -> tuple[duckdb.DuckDBPyConnection, User, Path]:
        """Open the database as the acting user for the command's unit of work (store.db: waiting, within a bound,
        while another program holds it); `command` (e.g. 'evidence add') decides whether a processor user may run
        it (PROCESSOR_COMMANDS) and whether it opens read-only (READ_ONLY_COMMANDS)."""
        # Imported here: `oversight --help` and the commands without a database must start without DuckDB.
        from ingest.pseudonym import use_key_file as use_pseudonym_key
        from store.access import acting_user
        from store.audit import configured_key, use_key_file
        from store.db import connect, resolve_db, wait_seconds
        from store.limits import configure as configure_limits
        from store.users_file import load_config

        config = self.loaded = load_config(self.config)
        path = resolve_db(self.db)
        use_key_file(path, configured_key(config.audit_key_file, config.key_file))
        use_pseudonym_key(path, config.key_file)
        configure_limits(config.limits)
        con = connect(path, read_only=command in READ_ONLY_COMMANDS, wait=wait_seconds())
        try:
            user = acting_user(con, config, self.user)  # a local user only where store.access allows one
            if user.is_processor and command not in PROCESSOR_COMMANDS:
                raise ProcessorCommandRefused(command)
        except BaseException:
            con.close()
            raise
        return con, user, path


def fail(message: str) -> NoReturn:
    """Print a refusal on stderr and exit 2 (never a traceback for a user mistake)."""
    typer.echo(message, err=True)
    raise typer.Exit(2)


def run(ctx: typer.Context, work: Callable[[duckdb.DuckDBPyConnection, User, Path], object]) -> object:
    """Open the database, run the work, and turn refusals into a message and exit code 2."""
    import duckdb

    from store.db import retrying
    from store.errors import WriteConflict

    def attempt() -> object:
        con, user, path = ctx.obj.open(command_name(ctx))
        # What the work prints waits until the database is closed: a reader slow to take the output (`| less`, a
        # full pipe) must not hold the file that the dashboard and the loader wait for (issue 16). An attempt that
        # lost a write race (retried: store.db.retrying) prints nothing.
        held = io.StringIO()
        lost_race = False
        try:
            with redirect_stdout(held):
                return work(con, user, path)
        except WriteConflict:
            lost_race = True
            raise
        finally:
            con.close()
            if not lost_race:
                sys.stdout.write(held.getvalue())
                sys.stdout.flush()

    try:
        return retrying(attempt)
    except OversightError as exc:
        fail(str(exc))
    except duckdb.Error as exc:
        fail(f"The database reported an error: {str(exc).splitlines()[0]}. Nothing was written by the failed step.")


def parse_date_option(value: str | None, option: str) -> date | None:
    """Read a YYYY-MM-DD option, or refuse with an example."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} '{value}' is not a date; write it as YYYY-MM-DD, e.g. 2026-11-05.")


def emit(records: list[dict[str, object]], fmt: Format, columns: list[str]) -> None:
    """Print records as a text table, a JSON array, or formula-safe CSV."""
    if fmt is Format.json:
        typer.echo(dumps(records))
    elif fmt is Format.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        for r in records:
            writer.writerow([safe_cell(plain(r.get(c))) for c in columns])
    else:
        if not records:
            typer.echo("Nothing to show.")
            return
        rows = [[str(plain(r.get(c)) if r.get(c) is not None else "") for c in columns] for r in records]
        widths = [min(40, max(len(c), *(len(row[i]) for row in rows))) for i, c in enumerate(columns)]
        typer.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
        for row in rows:
            typer.echo("  ".join(v[:w].ljust(w) for v, w in zip(row, widths, strict=True)))


def dumps(document: object) -> str:
    """The JSON interface: UTF-8 text, ISO dates."""
    return json.dumps(document, ensure_ascii=False, indent=2, default=json_default)


def plain(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=json_default)
    return value


def json_default(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)

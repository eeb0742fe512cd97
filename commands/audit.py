"""`oversight audit ...`: list the audit trail and verify its hash chain (wiring only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import duckdb
import typer

from commands.common import DocFormat, Format, dumps, emit, parse_date_option, run
from exports.trail import chain_text
from store import audit
from store.identity import User

audit_app = typer.Typer(help="List the audit trail of every change, and verify that it was not edited.",
                        no_args_is_help=True)

TEXT_COLUMNS = ["seq", "occurred_at", "user_name", "role", "action", "object", "details"]
BROKEN_ADVICE = ("Events are never updated or deleted by the tool, so the database was changed from outside it. "
                 "Keep this database file as it is, compare it with your latest backup to see what changed, and "
                 "tell the compliance officer.")


@audit_app.command("list")
def list_command(
    ctx: typer.Context,
    action: Annotated[str | None, typer.Option(help="Only this action (report.ingested) or family (report).")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Only events by this user.")] = None,
    obj: Annotated[str | None, typer.Option("--object", help="Only objects containing this text, e.g. "
                                            "'submission:7' or a processor's name.")] = None,
    since: Annotated[str | None, typer.Option(help="From this day on (UTC), YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Up to and including this day (UTC), YYYY-MM-DD.")] = None,
    limit: Annotated[int, typer.Option(min=0, help="At most this many events, newest first; 0 for all.")] = 1000,
    format: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> None:
    """List audit events, newest first, optionally filtered.

    Example: oversight audit list --action report --since 2026-11-01 --format csv
    """
    wanted = audit.EventFilter(action, user, obj, parse_date_option(since, "--since"),
                               parse_date_option(until, "--until"))

    def work(con: duckdb.DuckDBPyConnection, me: User, path: Path) -> None:
        events = audit.list_events(con, action=wanted.action, user=wanted.user, obj=wanted.obj, since=wanted.since,
                                   until=wanted.until, limit=limit or None)
        emit(events, format, TEXT_COLUMNS if format is Format.text else audit.EVENT_COLUMNS)
        total = audit.count_events(con, wanted)
        if total > len(events):
            typer.echo(f"Showing the newest {len(events)} of {total} events; use --limit 0 for all.", err=True)

    run(ctx, work)


@audit_app.command("verify")
def verify_command(
    ctx: typer.Context,
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.text,
) -> None:
    """Walk the audit trail's hash chain; exit 1 naming the first broken event.

    Example: oversight audit verify
    """
    def work(con: duckdb.DuckDBPyConnection, me: User, path: Path) -> audit.ChainStatus:
        return audit.verify_chain(con)

    status: audit.ChainStatus = run(ctx, work)
    if format is DocFormat.json:
        typer.echo(dumps({"intact": status.intact, "events": status.events, "broken_at": status.broken_at,
                          "reason": status.reason, "head": status.head}))
    elif status.intact:
        typer.echo(f"{chain_text(status)}.")
    else:
        typer.echo(f"Audit trail {chain_text(status)}. {BROKEN_ADVICE}", err=True)
    if not status.intact:
        raise typer.Exit(1)

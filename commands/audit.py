"""`oversight audit ...`: list the audit trail, verify it, anchor its head outside the database (wiring only)."""

from __future__ import annotations

from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from commands.common import DocFormat, Format, dumps, emit, fail, parse_date_option, run
from exports.trail import chain_text
from store import audit, evidence
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
    anchors: Annotated[Path | None, typer.Option("--anchors", help="The anchor file to check against (default: "
                                                 "audit-anchors.jsonl beside the audit key).")] = None,
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.text,
) -> None:
    """Verify the audit trail: its keyed hash chain, the last anchor, and the data tables against their events.

    Exit 1 naming what is wrong: the first broken event, a trail cut short since the last anchor, rows without
    their event, rows that differ from what their event recorded.
    Example: oversight audit verify --anchors /mnt/evidence/audit-anchors.jsonl
    """
    def work(con: duckdb.DuckDBPyConnection, me: User, path: Path) -> evidence.Verification:
        return evidence.verify_trail(con, path, anchors)

    found: evidence.Verification = run(ctx, work)
    status = found.chain
    if format is DocFormat.json:
        typer.echo(dumps({"ok": found.ok, "intact": status.intact, "events": status.events,
                          "broken_at": status.broken_at, "reason": status.reason, "head": status.head,
                          "unkeyed": status.unkeyed, "anchor": asdict(found.anchor) if found.anchor else None,
                          "digests_checked": found.digests_checked,
                          "problems": [{"seq": p.seq, "object": p.obj, "what": p.what} for p in found.problems]}))
    else:
        echo = typer.echo if found.ok else partial(typer.echo, err=True)
        echo(f"{'Audit trail ' if not status.intact else ''}{chain_text(status)}.")
        if found.anchor:
            echo(f"Checked against the anchor of {found.anchor.anchored_at} ({found.anchor.events} events).")
        else:
            echo("No anchor to check against: run `oversight audit anchor` at each month end and keep a copy "
                 "outside this machine, so that a trail cut short or rewritten is found.")
        echo(f"{found.digests_checked} submissions, check runs and findings compared with the digests their "
             "events recorded.")
        for problem in found.problems:
            echo(f"- {f'event {problem.seq}, ' if problem.seq else ''}{problem.obj}: {problem.what}")
        if not found.ok:
            echo(BROKEN_ADVICE)
    if not found.ok:
        raise typer.Exit(1)


@audit_app.command("anchor")
def anchor_command(
    ctx: typer.Context,
    to: Annotated[str | None, typer.Option("--to", help="The file to append the anchor to, or - for standard "
                                           "output only (default: audit-anchors.jsonl beside the audit key).")]
    = None,
) -> None:
    """Write the audit trail's head (newest event and hash) to a file or log outside the database.

    `oversight audit verify` then finds a trail cut short, emptied or rewritten since. Keep a copy elsewhere (another
    machine, a ticket, an e-mail): a file beside the database can be changed by whoever changes the database.
    Example: oversight audit anchor --to /mnt/evidence/audit-anchors.jsonl
    """
    def work(con: duckdb.DuckDBPyConnection, me: User, path: Path) -> tuple[audit.ChainStatus, evidence.Anchor, Path]:
        return audit.verify_chain(con), evidence.current_anchor(con, path), evidence.default_anchor_path(path)

    status, anchor, default = run(ctx, work)
    if not status.intact:
        typer.echo(f"Not anchored: the audit trail's {chain_text(status)}. {BROKEN_ADVICE}", err=True)
        raise typer.Exit(1)
    if to == "-":
        typer.echo(evidence.anchor_line(anchor))
        return
    target = Path(to) if to else default
    try:
        evidence.write_anchor(target, anchor)
    except OSError as exc:
        fail(f"The anchor could not be written to {target} ({exc.strerror or exc}). Give another file with --to.")
    typer.echo(f"Anchored event {anchor.events} (hash {anchor.head}) in {target}. Keep a copy outside this machine.")

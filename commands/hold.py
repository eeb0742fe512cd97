"""`oversight hold add|list|lift`: legal holds that keep data from the retention purge (wiring only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import duckdb
import typer

from commands.common import Format, emit, run
from store.identity import User

hold_app = typer.Typer(help="Legal holds: keep a processor's data, a month or a finding from any purge until lifted.",
                       no_args_is_help=True)
COLUMNS = ["hold_id", "processor", "period", "finding_id", "reason", "added_at", "added_by", "active", "lifted_at",
           "lifted_by", "lift_reason"]


@hold_app.command("add")
def add_command(
    ctx: typer.Context,
    processor: Annotated[str, typer.Option(help="The processor whose data is kept.")],
    reason: Annotated[str, typer.Option(help="Why: the claim, dispute or request the data is kept for.")],
    period: Annotated[str | None, typer.Option(help="Only this month, YYYY-MM.")] = None,
    finding: Annotated[str | None, typer.Option(help="Only this finding (and the month it is about).")] = None,
) -> None:
    """Put a legal hold on a processor, one of its months or one of its findings; audited.

    Example: oversight hold add --processor "Belcall Antwerpen BV" --period 2026-10 --reason "Dispute of 2027-03-02"
    """
    from store.holds import add_hold

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        hold = add_hold(con, user, processor=processor, period=period, finding_id=finding, reason=reason)
        typer.echo(f"Legal hold {hold.hold_id} keeps {hold.scope} from any purge until it is lifted "
                   f"(`oversight hold lift {hold.hold_id}`).")

    run(ctx, work)


@hold_app.command("list")
def list_command(
    ctx: typer.Context,
    active: Annotated[bool, typer.Option("--active", help="Only holds not lifted.")] = False,
    format: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> None:
    """List the legal holds, newest first, with who added or lifted them and why.

    Example: oversight hold list --active
    """
    from store.holds import list_holds

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        emit([h.as_dict() for h in list_holds(con, active_only=active)], format, COLUMNS)

    run(ctx, work)


@hold_app.command("lift")
def lift_command(
    ctx: typer.Context,
    hold_id: Annotated[int, typer.Argument(help="The hold's number (hold list).")],
    reason: Annotated[str | None, typer.Option(help="Why it is lifted.")] = None,
) -> None:
    """Lift a legal hold: what it kept follows its retention period again; audited.

    Example: oversight hold lift 3 --reason "Dispute settled"
    """
    from store.holds import lift_hold

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        hold = lift_hold(con, user, hold_id, reason=reason)
        typer.echo(f"Legal hold {hold.hold_id} on {hold.scope} was lifted.")

    run(ctx, work)

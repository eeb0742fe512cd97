"""`oversight retention plan|apply`: what is past its retention period, and removing it (wiring only).

GDPR Art. 5(1)(e): the periods are the configuration's `[retention]` table (docs/privacy.md, "Retention").
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import duckdb
import typer

from commands.common import DocFormat, dumps, fail, parse_date_option, run
from store.errors import OversightError
from store.identity import User
from store.retention_periods import Retention

retention_app = typer.Typer(help="Retention periods: list what is past its period, and remove it (GDPR Art. "
                                 "5(1)(e)).", no_args_is_help=True)

KIND_WORDS = {"cases": "case rows", "quarantine_raw": "quarantined rows' raw values", "reviews": "review rows",
              "findings": "finding rows", "letters": "letters", "evidence_files": "evidence files"}


def _retention(ctx: typer.Context) -> Retention:
    from store.users_file import load_config

    try:
        return load_config(ctx.obj.config).retention
    except OversightError as exc:
        fail(str(exc))


def _print_plan(plan: object, verb: str) -> None:
    from store.retention import Plan

    assert isinstance(plan, Plan)
    periods = ", ".join(f"{k} = {v}" for k, v in plan.retention.as_dict().items())
    typer.echo(f"Retention as of {plan.as_of} ([retention] {periods}):")
    if not plan.lines:
        typer.echo("  Nothing is past its retention period.")
    for kind in dict.fromkeys(line.kind for line in plan.lines):
        typer.echo(f"\n{KIND_WORDS[kind]}: {plan.why(kind)}")
        for line in (x for x in plan.lines if x.kind == kind):
            tables = ", ".join(f"{t} {n}" for t, n in line.tables.items() if n)
            state = (f"kept by legal hold {', '.join(map(str, line.held_by))}" if line.held_by
                     else f"{verb} (past its period since {line.expired_on})")
            typer.echo(f"  {line.processor}, {line.period}: {line.rows} rows ({tables}) — {state}")


@retention_app.command("plan")
def plan_command(
    ctx: typer.Context,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Plan as on this day, YYYY-MM-DD (default today).")]
    = None,
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.text,
) -> None:
    """List what the retention periods would remove now and why, per processor and month, and what holds keep.

    Example: oversight retention plan --format json
    """
    from store.retention import plan

    day = parse_date_option(as_of, "--as-of")
    retention = _retention(ctx)

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        found = plan(con, retention, day)
        if format is DocFormat.json:
            typer.echo(dumps(found.as_dict()))
        else:
            _print_plan(found, "would go")

    run(ctx, work)


@retention_app.command("apply")
def apply_command(
    ctx: typer.Context,
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.text,
) -> None:
    """Remove what is past its retention period now, in one audited transaction, then compact the database file.

    Example: oversight retention apply
    """
    from store.compact import compact
    from store.retention import Applied, apply

    retention = _retention(ctx)

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> tuple[Path, Applied]:
        return path, apply(con, user, retention)

    path, applied = run(ctx, work)  # type: ignore[misc]
    try:
        compacted = compact(path)
    except OversightError as exc:
        done = (f"The purge was applied and recorded as audit event {applied.event_seq}, but"
                if applied.event_seq else "Nothing was past its retention period, and")
        fail(f"{done} the database was not compacted, so removed values may linger in its free space: {exc} "
             "Run `oversight retention apply` again when the file is free: it compacts even when nothing is due.")
    if format is DocFormat.json:
        typer.echo(dumps({**applied.as_dict(), "bytes_before": compacted.bytes_before,
                          "bytes_after": compacted.bytes_after}))
        return
    _print_plan(applied.plan, "removed")
    if applied.event_seq:
        typer.echo(f"\nRecorded as audit event {applied.event_seq} (retention.applied); the database was "
                   f"compacted ({compacted.bytes_before:,} → {compacted.bytes_after:,} bytes).")
    else:
        typer.echo(f"\nNothing removed; the database was compacted ({compacted.bytes_before:,} → "
                   f"{compacted.bytes_after:,} bytes).")

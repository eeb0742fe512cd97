"""`oversight check`: run the catalog on the current reports and store the run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from checks.catalog import BY_ID
from checks.runner import run_checks
from commands.common import Format, emit, parse_date_option, run
from store.db import rows
from store.identity import User
from store.users_file import load_config

EXCEPTION_FIELDS = ["check_id", "severity", "processor", "period", "case_id", "clause", "details"]


def check(
    ctx: typer.Context,
    processor: Annotated[str | None, typer.Option(help="Only this processor's reports.")] = None,
    period: Annotated[str | None, typer.Option(help="Only this month's reports, YYYY-MM.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Evaluate as of this date, YYYY-MM-DD "
                                              "(default: the last day of each report's period).")] = None,
    format: Annotated[Format, typer.Option("--format", help="Output format (json/csv: one row per exception).")]
    = Format.text,
) -> None:
    """Run every check on the current reports and store the run; prints the exceptions found.

    Exit code 0 when the run was done, whatever it found.
    Example: oversight check --processor "Belcall Antwerpen BV" --period 2026-10 --format json
    """
    day = parse_date_option(as_of, "--as-of")

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        # the configuration was read by ctx.obj.open(); its [controller] country picks the statutory calendar
        controller = load_config(ctx.obj.config).controller_country
        result = run_checks(con, user, processor=processor, period=period, as_of=day, controller_country=controller)
        found = rows(con, "SELECT check_id, severity, processor, period, case_id, clause, details FROM exceptions "
                          "WHERE run_id = ? ORDER BY processor, period, check_id, case_id", [result.run_id])
        for record in found:
            record["details"] = json.loads(record["details"])
        if format is not Format.text:
            emit(found, format, EXCEPTION_FIELDS)
            return
        typer.echo(f"Check run {result.run_id}: {len(result.reports)} report(s), {len(BY_ID)} checks, "
                   f"{result.exceptions} exception(s), {result.errors} check error(s).")
        summary = [{"check_id": r.check_id, "severity": BY_ID[r.check_id].severity.value, "processor": r.processor,
                    "period": r.period, "tested": r.cases_tested, "offending": r.cases_offending,
                    "error": r.error or ""} for r in result.results if r.cases_offending or r.error]
        emit(summary, Format.text, ["check_id", "severity", "processor", "period", "tested", "offending", "error"])
        if found:
            typer.echo("")
            emit(found, Format.text, ["check_id", "processor", "period", "case_id", "clause", "details"])

    run(ctx, work)

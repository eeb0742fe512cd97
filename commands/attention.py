"""`oversight attention`: what needs attention in a month, the Overview's sentences as text or JSON (wiring only)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from commands.common import DocFormat, dumps, parse_date_option, run
from metrics.attention import all_clear, for_month
from metrics.kpi import month_label
from store.identity import User

# The dashboard page each point's link opens, as the CLI names it.
PAGE_TITLES = {"reports": "Reports", "checks": "Checks", "findings": "Findings"}


def plain(markdown: str) -> str:
    """The sentence without its Markdown emphasis (the dashboard bolds the who and how many)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", re.sub(r"(?<!\\)\*\*(.+?)(?<!\\)\*\*", r"\1", markdown))


def attention(
    ctx: typer.Context,
    processor: Annotated[str | None, typer.Option(help="Only this processor (default: all).")] = None,
    period: Annotated[str | None, typer.Option(help="The month, YYYY-MM (default: the latest with a report).")]
    = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Findings overdue as of this day, YYYY-MM-DD "
                                              "(default: today).")] = None,
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.text,
) -> None:
    """Say what needs attention in a month, most serious first, as the Overview does.

    Missing or late reports, cases open past their deadline, late answers, non-conformities, non-conformities
    without a finding, overdue findings.

    Example: oversight attention --period 2026-10
    """
    day = parse_date_option(as_of, "--as-of") or date.today()

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        data, points = for_month(con, processor=processor, period=period, as_of=day)
        checked = bool(data.month()["checked"].any())
        if format is DocFormat.json:
            typer.echo(dumps({"processor": processor, "period": data.period, "checked": checked, "points": [
                {"text": plain(p.text), "page": p.page.value, "link": p.link, "filters": p.params} for p in points]}))
            return
        typer.echo(f"What needs attention — {processor or 'all processors'}, {month_label(data.period)}:")
        if not checked:
            typer.echo(f"  No check run for {data.period} yet: run `oversight check --period {data.period}` first "
                       "to see deadlines and non-conformities.")
        for point in points:
            typer.echo(f"- {plain(point.text)}  [{PAGE_TITLES[point.page.value]}: {point.link}]")
        if not points and checked:
            typer.echo(all_clear(data))

    run(ctx, work)

"""`oversight profile`: list the contract profiles, show one, link a processor to one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import duckdb
import typer

from checks.contract import Profile, link_processor, load_profile, profile_overview
from checks.wording import fill
from commands.common import DocFormat, Format, dumps, emit, fail, run
from store.errors import OversightError
from store.identity import User
from store.users_file import load_config

profile_app = typer.Typer(help="Contract profiles: the clause register, service levels and holiday calendar.",
                          no_args_is_help=True)


@profile_app.command("list")
def list_profiles(
    ctx: typer.Context,
    format: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> None:
    """List the contract profiles with their calendar and the processors linked to each.

    Example: oversight profile list --format json
    """
    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        records = profile_overview(con)
        if format is not Format.json:
            records = [{**r, "processors": ", ".join(r["processors"])} for r in records]
        emit(records, format, ["name", "title", "calendar", "processors", "status"])

    run(ctx, work)


@profile_app.command("show")
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Profile name (a file in contracts/) or path to a .toml file.")],
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.text,
) -> None:
    """Show a profile: calendar, parameters, which clause each check is logged against, the clause register.

    Example: oversight profile show nl --format json
    """
    try:
        profile = load_profile(name)
        controller = load_config(ctx.obj.config if ctx.obj else None).controller_country
    except OversightError as exc:
        fail(str(exc))
    typer.echo(dumps(profile.as_dict()) if format is DocFormat.json else _as_text(profile, controller))


@profile_app.command("link")
def link(
    ctx: typer.Context,
    profile: Annotated[str, typer.Argument(help="The profile to hold the processor to.")],
    processor: Annotated[str, typer.Option(help="The processor, as named in its reports.")],
) -> None:
    """Link a processor to a contract profile; its next check runs use that profile.

    Example: oversight profile link --processor "Belcall Antwerpen BV" nl
    """
    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        link_processor(con, user, processor, profile)
        typer.echo(f"{processor} is now held to contract profile '{profile}'.")

    run(ctx, work)


def _as_text(p: Profile, controller_country: str | None = None) -> str:
    width = max(len(k) for k in (*p.check_clauses, *p.rubric_clauses, *vars(p.parameters)))
    lines = [f"{p.name} — {p.title}", f"file: {p.path}", f"sha256: {p.sha256}"]
    if p.description:
        lines += ["", p.description]
    extra = ", ".join(d.isoformat() for d in p.calendar.extra_dates) or "none"
    # Whose holidays (docs/deadlines.md): the service levels count this calendar; the statutory (Art. 12) deadlines
    # the controller's country unless the profile overrides it.
    statutory, why = p.statutory_spec(controller_country)
    lines += ["", f"calendar (service levels): {p.calendar.label()}", f"  extra dates: {extra}",
              f"statutory deadlines (Art. 12) count: {statutory.label()} ({why})", "", "parameters:"]
    for key, value in vars(p.parameters).items():
        shown = ", ".join(value) if isinstance(value, tuple) else value
        lines.append(f"  {key.ljust(width)}  {shown}")
    lines += ["", "days to remedy a finding: " + ", ".join(f"{k} {v}" for k, v in p.finding_due_days.items()),
              "", "check → clause:"]
    lines += [f"  {check.ljust(width)}  {ref}" for check, ref in p.check_clauses.items()]
    lines += ["", "spot-check rubric item → clause:"]
    lines += [f"  {item.ljust(width)}  {ref}" for item, ref in p.rubric_clauses.items()]
    lines += ["", f"clause register ({len(p.clauses)} clauses):"]
    ref_width = max(len(ref) for ref in p.clauses)
    for clause in p.clauses.values():
        lines.append(f"  {clause.ref.ljust(ref_width)}  {clause.title}: {fill(clause.summary, p.parameters)}")
    return "\n".join(lines)

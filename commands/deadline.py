"""`oversight deadline`: a request's statutory deadlines, computed without a database (checks/calendar.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from checks.calendar import WorkingCalendar, response_deadlines
from checks.profiles import load_profile
from commands.common import DocFormat, dumps, fail, parse_date_option
from store.errors import OversightError
from store.users_file import load_config


def deadline(
    ctx: typer.Context,
    received_on: Annotated[str, typer.Argument(help="The day the request was received, YYYY-MM-DD.")],
    profile: Annotated[str | None, typer.Option(help="Use this contract profile's identity rule and its "
                                                "[statutory_calendar] if it has one (default: the default "
                                                "profile).")] = None,
    country: Annotated[str | None, typer.Option(help="Use this country's public holidays instead (BE, NL, FR…).")]
    = None,
    subdivision: Annotated[str | None, typer.Option(help="With --country: a subdivision, e.g. 57 for Moselle.")]
    = None,
    extension_notified_on: Annotated[str | None, typer.Option(help="When the extension was notified.")] = None,
    extension_reason: Annotated[str | None, typer.Option(
        help="The reasons given with the extension (Art. 12(3) \"together with the reasons for the delay\"); "
             "where the profile has extension_requires_reason, an extension without them does not count.")] = None,
    id_requested_on: Annotated[str | None, typer.Option(help="When identification was requested.")] = None,
    id_received_on: Annotated[str | None, typer.Option(help="When the identification arrived.")] = None,
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.text,
) -> None:
    """Compute a request's one- and three-month deadlines (GDPR Art. 12(3), counted per Reg. 1182/71).

    The holidays counted are the controller's ([controller] country in the configuration; Reg. 1182/71 counts those
    of the State where the action is taken), unless --country or the profile's [statutory_calendar] says otherwise;
    with no [controller] country, the profile's calendar. The output names the calendar used and why.

    Example: oversight deadline 2026-01-31 --country BE --format json
    """
    received = parse_date_option(received_on, "RECEIVED_ON")
    notified = parse_date_option(extension_notified_on, "--extension-notified-on")
    requested = parse_date_option(id_requested_on, "--id-requested-on")
    arrived = parse_date_option(id_received_on, "--id-received-on")
    if country and profile:
        fail("Give either --profile or --country, not both: the profile already names its calendar.")
    try:
        chosen = load_profile(profile or "default")
    except OversightError as exc:
        fail(str(exc))
    within = chosen.parameters.id_request_within_days
    if country:
        cal, why = WorkingCalendar.of(country, subdivision), "--country"
    else:
        try:
            controller = load_config(ctx.obj.config if ctx.obj else None).controller_country
        except OversightError as exc:
            fail(str(exc))
        spec, why = chosen.statutory_spec(controller)
        cal = WorkingCalendar.from_spec(spec)
    if not cal.supported():
        where = f"country '{country}'" + (f" with subdivision '{subdivision}'" if subdivision else "")
        fail(f"The holidays package has no calendar for {where}. Use an ISO country code such as BE, NL or FR "
             "(and a subdivision it knows, e.g. FR with 57 for Moselle).")
    result = response_deadlines(received, cal, extension_notified_on=notified, id_requested_on=requested,
                                id_received_on=arrived, id_request_within_days=within,
                                extension_reason=extension_reason,
                                extension_requires_reason=chosen.parameters.extension_requires_reason)
    document = {"received_on": result.received_on, "due_on": result.due_on,
                "extended_due_on": result.extended_due_on, "paused_days": result.paused_days,
                "calendar": result.calendar, "calendar_source": why, "pause_valid": result.pause_valid,
                "extension_notified_on": result.extension_notified_on, "extension_valid": result.extension_valid,
                "effective_due_on": result.effective_due_on}
    if format is DocFormat.json:
        typer.echo(dumps(document))
        return
    typer.echo(f"Received {received:%a %d %b %Y} (the day of receipt does not count)")
    typer.echo(f"  holidays of:             {result.calendar} ({why})")
    typer.echo(f"  due (1 month):           {result.due_on:%a %d %b %Y}")
    typer.echo(f"  due with extension (3):  {result.extended_due_on:%a %d %b %Y}")
    if requested:
        typer.echo(f"  identity pause:          {result.paused_days} day(s)" + (
            "" if result.pause_valid else
            f" — none: identification was asked more than {within} days after receipt, so the clock ran on"))
    if notified:
        late = notified > result.due_on
        typer.echo(f"  extension notified {notified:%d %b %Y}: " + (
            "valid (within the first month, with its reasons)" if result.extension_valid
            else "INVALID (after the one-month date), so the one-month date stands" if late
            else "INVALID (no reasons given: --extension-reason; the profile requires them), so the one-month "
                 "date stands"))
    typer.echo(f"  the date that applies:   {result.effective_due_on:%a %d %b %Y}")

"""`oversight findings ...`: raise findings and move them through their lifecycle (wiring only)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from commands.common import DocFormat, Format, dumps, emit, fail, parse_date_option, run
from findings import portal, queries
from findings.lifecycle import Response, Severity, Status
from findings.raising import raise_from_checks, raise_from_reviews
from findings.record import Raised
from findings.service import assign, move, raise_finding, respond
from store.identity import User

findings_app = typer.Typer(help="Raise findings against contract clauses and follow them up to closure.",
                           no_args_is_help=True)

LIST_COLUMNS = ["finding_id", "processor", "period", "severity", "status", "due_on", "overdue", "owner", "clause",
                "title"]
ALL_COLUMNS = [*queries.FINDING_FIELDS, *queries.MORE_FIELDS]


def _line(f: dict[str, object]) -> str:
    overdue = ", OVERDUE" if f["overdue"] else ""
    cases = f"{len(f['case_ids'])} case(s)" if f["case_ids"] else "report-level"
    return (f"{f['finding_id']} [{f['status']}{overdue}] {f['severity']} · {f['processor']} {f['period']} · "
            f"{f['clause']} · {f['title']} · {cases} · due {f['due_on'] or '-'} · owner {f['owner'] or 'unassigned'}")


def _show_text(f: dict[str, object]) -> str:
    lines = [_line(f), f"  source: {f['source']}"]
    if f["description"]:
        lines.append(f"  {f['description']}")
    if f["case_ids"]:
        lines.append(f"  cases: {', '.join(map(str, f['case_ids']))}")
    if f["response"]:
        lines.append(f"  processor response: {f['response']}: {f['response_text']}")
    if f["status_reason"]:
        lines.append(f"  reason: {f['status_reason']}")
    lines.append("  history:")
    for e in f.get("history", []):
        move_text = f"{e['from_status'] or '—'} → {e['to_status']}" if e["from_status"] != e["to_status"] else ""
        lines.append(f"    {e['seq']}. {e['at']:%Y-%m-%d %H:%M} {e['user']} ({e['role']}) {e['action']} {move_text}")
    return "\n".join(lines)


def _print_one(con: duckdb.DuckDBPyConnection, finding_id: str, format: DocFormat, user: User | None = None) -> None:
    if user is not None and user.is_processor:  # issue 15: its own sent findings, no internal fields
        mine = portal.finding_for_processor(con, user, finding_id)
        typer.echo(dumps(mine) if format is DocFormat.json else "\n".join(
            [f"{mine['finding_id']} [{mine['status']}] {mine['severity']} · {mine['period']} · {mine['clause']} · "
             f"{mine['title']} · due {mine['due_on'] or '-'}",
             *(_response_text(r) for r in mine["responses"])]))  # type: ignore[attr-defined]
        return
    finding = queries.get_finding(con, finding_id)
    if user is not None:
        finding["responses"] = portal.responses_for(con, user, finding_id)
    text = _show_text(finding)
    if finding.get("responses"):
        text += "\n  processor's responses:\n" + "\n".join(
            "    " + _response_text(r).replace("\n", "\n    ") for r in finding["responses"])  # type: ignore[attr-defined]
    typer.echo(dumps(finding) if format is DocFormat.json else text)


def _print_raised(con: duckdb.DuckDBPyConnection, results: list[Raised], format: DocFormat, empty: str) -> None:
    records = []
    for r in results:
        finding = queries.get_finding(con, r.finding_id)
        finding.pop("history")
        records.append({**finding, "outcome": r.outcome, "new_case_ids": list(r.new_cases), "note": r.note})
    if format is DocFormat.json:
        typer.echo(dumps(records))
        return
    if not records:
        typer.echo(empty)
    for rec in records:
        added = (f" (+{len(rec['new_case_ids'])} case(s))" if rec["outcome"] in ("updated", "merged") else "")
        typer.echo(f"{rec['outcome']}{added}: {_line(rec)}")
        if rec["note"]:
            typer.echo(f"  {rec['note']}")


@findings_app.command("raise")
def raise_command(
    ctx: typer.Context,
    from_checks: Annotated[bool, typer.Option("--from-checks", help="One finding per processor, period and check "
                                              "from the newest check results (critical → critical, major → high, "
                                              "minor → medium; info raises none).")]
    = False,
    from_sample: Annotated[str | None, typer.Option("--from-sample", help="One finding per rubric item answered "
                                                    "\"no\" in this sample's reviews.")] = None,
    processor: Annotated[str | None, typer.Option(help="The processor (with --from-checks: only this one).")] = None,
    period: Annotated[str | None, typer.Option(help="The month, YYYY-MM (with --from-checks: only this one).")] = None,
    clause: Annotated[str | None, typer.Option(help="Clause ref from the processor's register, e.g. 'SCC 8(b)'.")]
    = None,
    title: Annotated[str | None, typer.Option(help="What is wrong, in words the processor will read.")] = None,
    severity: Annotated[Severity | None, typer.Option(help="critical, high, medium or low.")] = None,
    description: Annotated[str, typer.Option(help="More detail for the processor.")] = "",
    case: Annotated[list[str] | None, typer.Option("--case", help="A case id the finding is about (repeatable).")]
    = None,
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.text,
) -> None:
    """Raise findings: from the latest check results, from a sample's reviews, or by hand against a clause.

    Prints every finding raised or updated (JSON: an array of finding objects with `outcome` created, updated,
    unchanged or skipped). Raising the same thing again adds new cases to the open finding, never a duplicate.

    Example: oversight findings raise --from-checks --processor "Belcall Antwerpen BV" --period 2026-10

    Example: oversight findings raise --processor "Belcall Antwerpen BV" --period 2026-10 --clause "SCC 8(b)"
    --title "Complaint right not mentioned" --severity high --case BC-2610-0042
    """
    manual = [clause, title, severity]
    if sum([from_checks, from_sample is not None, any(v is not None for v in manual)]) != 1:
        fail("Say what to raise from: --from-checks [--processor NAME] [--period YYYY-MM], --from-sample SAMPLE_ID, "
             "or by hand with --processor, --period, --clause, --title and --severity.")
    if not from_checks and from_sample is None:
        missing = [o for o, v in (("--processor", processor), ("--period", period), ("--clause", clause),
                                  ("--title", title), ("--severity", severity)) if v is None]
        if missing:
            fail(f"A finding raised by hand needs {', '.join(missing)} too, e.g. --processor \"Belcall Antwerpen BV\" "
                 "--period 2026-10 --clause \"SCC 8(b)\" --title \"...\" --severity high.")

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        if from_checks:
            results = raise_from_checks(con, user, processor, period)
            empty = ("No critical, major or minor exceptions in the newest check results for this scope: nothing to "
                     "raise. Run `oversight check` first if the reports changed.")
        elif from_sample is not None:
            results = raise_from_reviews(con, user, from_sample)
            empty = f"No review of sample {from_sample} answered \"no\": nothing to raise."
        else:
            finding_id = raise_finding(con, user, processor=processor or "", period=period or "", clause=clause or "",
                                       title=title or "", severity=severity.value if severity else "",
                                       description=description, case_ids=case or [])
            results, empty = [Raised(finding_id, "created", tuple(sorted(set(case or []))))], ""
        _print_raised(con, results, format, empty)

    run(ctx, work)


@findings_app.command("list")
def list_command(
    ctx: typer.Context,
    status: Annotated[Status | None, typer.Option(help="Only findings in this status.")] = None,
    processor: Annotated[str | None, typer.Option(help="Only this processor.")] = None,
    period: Annotated[str | None, typer.Option(help="Only this month, YYYY-MM.")] = None,
    clause: Annotated[str | None, typer.Option(help="Only findings against this clause, e.g. 'SCC 8(b)'.")] = None,
    severity: Annotated[Severity | None, typer.Option(help="Only this severity.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only findings past their due date and not closed.")]
    = False,
    as_of: Annotated[str | None, typer.Option(help="Judge overdue as of this day, YYYY-MM-DD (default today).")]
    = None,
    format: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> None:
    """List findings, newest first, with their cases and whether they are overdue.

    Example: oversight findings list --status open --overdue --format json
    """
    day = parse_date_option(as_of, "--as-of")
    run(ctx, lambda con, user, path: emit(
        queries.list_findings(con, status=status.value if status else None, processor=processor, period=period,
                              clause=clause, severity=severity.value if severity else None, overdue=overdue,
                              as_of=day),
        format, ALL_COLUMNS if format is not Format.text else LIST_COLUMNS))


@findings_app.command("show")
def show_command(
    ctx: typer.Context,
    finding_id: Annotated[str, typer.Argument(help="The finding, e.g. F-2026-0007.")],
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.text,
) -> None:
    """Show one finding with its cases, evidence, processor response and full history.

    Example: oversight findings show F-2026-0007 --format json
    """
    run(ctx, lambda con, user, path: _print_one(con, finding_id, format, user))


@findings_app.command("move")
def move_command(
    ctx: typer.Context,
    finding_id: Annotated[str, typer.Argument(help="The finding, e.g. F-2026-0007.")],
    status: Annotated[str, typer.Argument(help="notified, remediation_planned, remediated, closed, dismissed, or "
                                          "open (reopen a closed finding).")],
    reason: Annotated[str | None, typer.Option(help="Why (required to dismiss: false positive, accepted risk).")]
    = None,
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.text,
) -> None:
    """Move a finding to its next status; a move the lifecycle does not allow is refused, naming the allowed ones.

    Example: oversight findings move F-2026-0007 notified
    """
    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        move(con, user, finding_id, status, reason=reason)
        _print_one(con, finding_id, format)

    run(ctx, work)


def _response_text(r: dict[str, object]) -> str:
    plan = f"; plan: {r['plan']} by {r['planned_on']}" if r.get("plan") else ""
    decided = (f"; {r['decision']}" + (f" ({r['decision_comment']})" if r.get("decision_comment") else "")
               if r.get("decision") else "; awaiting the controller's decision")
    lines = [f"response {r['response_id']} to {r['finding_id']}: {r['response']} — {r['explanation']}{plan}{decided}"]
    lines += [f"  attachment {a['filename']} ({a['size']} bytes) sha256 {a['sha256']}"
              for a in r["attachments"]]  # type: ignore[attr-defined]
    return "\n".join(lines)


def _read_attachments(paths: list[Path]) -> list[tuple[str, bytes]]:
    files = []
    for path in paths:
        try:
            files.append((path.name, path.read_bytes()))
        except OSError as exc:
            fail(f"Cannot read the attachment {path}: {exc.strerror or exc}. Check the path and try again.")
    return files


@findings_app.command("respond")
def respond_command(
    ctx: typer.Context,
    finding_id: Annotated[str, typer.Argument(help="The finding, e.g. F-2026-0007.")],
    recorded: Annotated[Response | None, typer.Argument(
        metavar="[RESPONSE]", help="Our staff recording an answer received outside the tool (with --text).")] = None,
    text: Annotated[str | None, typer.Option(help="What the processor wrote (with RESPONSE).")] = None,
    response: Annotated[Response | None, typer.Option(
        "--response", help="The processor's own answer: accepted, partially_accepted or disputed.")] = None,
    explanation: Annotated[str | None, typer.Option(help="Why: what happened, in the processor's words.")] = None,
    plan: Annotated[str | None, typer.Option(help="The remediation plan (required unless disputed).")] = None,
    planned_on: Annotated[str | None, typer.Option(help="When it will be done, YYYY-MM-DD (required unless "
                                                   "disputed; not in the past).")] = None,
    attach: Annotated[list[Path] | None, typer.Option("--attach", help="A file to send with the response "
                                                      "(repeatable): PDF, image, text, Word, Excel, e-mail.")] = None,
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.text,
) -> None:
    """Respond to a notified finding as the processor, or record a response received outside the tool.

    The processor's own answer (a `processor` user; GDPR Art. 28(3)(h)): --response, --explanation, and unless
    disputed --plan and --planned-on; files with --attach, stored by SHA-256. The controller then accepts or rejects
    it with `oversight findings decide`.

    Example: oversight findings respond F-2026-0007 --response accepted --explanation "Alert missed in migration
    week." --plan "Deadline alert in the CRM" --planned-on 2026-12-15 --attach plan.pdf

    Example (our staff, an answer received by e-mail): oversight findings respond F-2026-0007 accepted --text
    "Team retrained on 2 December."
    """
    own = [response, explanation, plan, planned_on, attach]
    if recorded is not None and any(v is not None for v in own):
        fail("Either the processor's own answer (--response, --explanation, --plan, --planned-on, --attach) or our "
             "record of an answer received outside the tool (RESPONSE --text), not both.")
    if recorded is not None:
        if text is None:
            fail(f"Say what the processor wrote: oversight findings respond {finding_id} {recorded.value} --text "
                 "\"...\".")

        def record(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
            respond(con, user, finding_id, recorded.value, text or "")
            _print_one(con, finding_id, format)

        run(ctx, record)
        return
    if response is None or explanation is None:
        fail(f"Give the response and an explanation, e.g. oversight findings respond {finding_id} --response disputed "
             "--explanation \"The customer withdrew the request by phone.\"")
    day = parse_date_option(planned_on, "--planned-on")
    files = _read_attachments(attach or [])

    def answer(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        response_id = portal.respond(con, user, finding_id, response.value, explanation or "", plan, day, files)
        shown = portal.get_response(con, user, response_id)
        typer.echo(dumps(shown) if format is DocFormat.json else _response_text(shown))

    run(ctx, answer)


@findings_app.command("decide")
def decide_command(
    ctx: typer.Context,
    response_id: Annotated[str, typer.Argument(help="The processor's response, e.g. 3 (`findings show` lists them).")],
    accept: Annotated[bool | None, typer.Option("--accept/--reject", help="Accept the response (a plan moves the "
                                                "finding to remediation_planned) or reject it (it stays notified).")]
    = None,
    comment: Annotated[str | None, typer.Option(help="The decision's comment (required to reject; the processor "
                                                "reads it).")] = None,
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.text,
) -> None:
    """Accept or reject a processor's response to a finding; a rejection needs a comment.

    Example: oversight findings decide 3 --reject --comment "The plan does not cover the cases answered late."
    """
    if accept is None:
        fail(f"Say --accept or --reject, e.g. oversight findings decide {response_id} --accept --comment \"Plan "
             "agreed.\"")

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        status = portal.decide_response(con, user, response_id, bool(accept), comment)
        shown = portal.get_response(con, user, response_id)
        if format is DocFormat.json:
            typer.echo(dumps({**shown, "finding_status": status}))
        else:
            typer.echo(f"{_response_text(shown)}\n{shown['finding_id']} is now {status}.")

    run(ctx, work)


@findings_app.command("assign")
def assign_command(
    ctx: typer.Context,
    finding_id: Annotated[str, typer.Argument(help="The finding, e.g. F-2026-0007.")],
    owner: Annotated[str, typer.Option(help="Who follows the finding up.")],
    due_on: Annotated[str | None, typer.Option(help="New due date, YYYY-MM-DD (default: keep it).")] = None,
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.text,
) -> None:
    """Give a finding an owner and, optionally, a new due date.

    Example: oversight findings assign F-2026-0007 --owner vera --due-on 2026-12-15
    """
    day: date | None = parse_date_option(due_on, "--due-on")

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        assign(con, user, finding_id, owner=owner, due_on=day)
        _print_one(con, finding_id, format)

    run(ctx, work)


@findings_app.command("escalate")
def escalate_command(
    ctx: typer.Context,
    finding_id: Annotated[str, typer.Argument(help="The finding, e.g. F-2026-0007.")],
    step: Annotated[str, typer.Option(help="reminder, formal_notice, suspension (SCC 10(a)) or termination "
                                           "(SCC 10(b)); each only after the one before.")],
    out: Annotated[Path, typer.Option(help="The letter to write: .docx (editable) or .pdf.")],
    language: Annotated[str | None, typer.Option(help="nl, fr or en; default: the processor's language in the "
                                                      "register, else en.")] = None,
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.text,
) -> None:
    """Send the next step of a finding's escalation ladder as a dated letter, stored with its hash.

    Example: oversight findings escalate F-2026-0007 --step reminder --out reminder.docx --language nl
    """
    from exports.letter import escalate  # the letter renderers load only for this command

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        sent = escalate(con, user, finding_id, step, out, language=language)
        if format is DocFormat.json:
            typer.echo(dumps(sent.as_dict()))
        else:
            typer.echo(f"Wrote the {step.replace('_', ' ')} letter {sent.letter_id} ({sent.language}) for "
                       f"{finding_id} to {sent.file_name} ({sent.size:,} bytes, SHA-256 {sent.sha256}); recorded "
                       f"as audit event {sent.event_seq}.")

    run(ctx, work)

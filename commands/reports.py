"""`oversight demo|ingest|reports|cases|quarantine|mapping`: load monthly reports and look at what was loaded."""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from checks.contract import ingest_terms
from checks.profiles import list_profiles, load_profile
from commands.common import Format, emit, fail, json_default, run
from ingest import queries
from ingest.demo import load_demo
from ingest.errors import IngestError, InvalidMapping
from ingest.load import ensure_processor
from ingest.mapping import load_saved, mapping_as_toml, parse_mapping_file, save_mapping
from ingest.onboarding import UnknownProcessor
from ingest.pseudonym import resolve_key_path
from ingest.reinstate import reinstate as reinstate_submission
from ingest.resubmission import ResubmissionRefused
from ingest.service import IngestResult, ingest_report
from store import audit
from store.db import transaction
from store.errors import OversightError
from store.identity import User, require

mapping_app = typer.Typer(help="Show or save the header mapping remembered for a processor.", no_args_is_help=True)


class IngestFormat(StrEnum):
    text = "text"
    json = "json"


def demo(ctx: typer.Context) -> None:
    """Load the demo reports from sample_reports/ into the database.

    Example: oversight demo
    """
    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        for result in load_demo(con, user=user, key_path=resolve_key_path(path)):
            typer.echo(_result_line(result))

    run(ctx, work)


def _keep_notes(ctx: typer.Context) -> bool:
    """`[ingest] keep_notes` of the configuration this command runs with (--config included), as open() read it."""
    return bool(ctx.obj.loaded and ctx.obj.loaded.keep_notes)


def _result_line(r: IngestResult) -> str:
    if r.status == "duplicate":
        return f"{r.file}: already ingested (submission {r.submission_id}); nothing written."
    line = (f"{r.file}: {r.status} as submission {r.submission_id} for {r.processor} {r.period} — "
            f"{r.rows_read} rows read: {r.rows_loaded} loaded, {r.rows_quarantined} quarantined, "
            f"{r.rows_skipped} skipped")
    details = []
    for part, counts in r.parts.items():
        skipped = ", ".join(f"{k} {v}" for k, v in counts["skipped"].items())
        reasons = ", ".join(f"{k} {v}" for k, v in counts["quarantine_reasons"].items())
        details.append(f"  {part}: skipped ({skipped or 'none'}); quarantined ({reasons or 'none'})")
    if r.changes:
        details.append(f"  supersedes the earlier report: {r.changes['added']} added, {r.changes['removed']} removed, "
                       f"{r.changes['changed']} changed")
        details += [f"  changed {c['case_id']} {c['field']}: {c['before']} -> {c['after']}"
                    for c in (r.field_changes or [])[:FIELD_CHANGES_SHOWN]]
        if len(r.field_changes or []) > FIELD_CHANGES_SHOWN:
            details.append("  ... (all field changes: --format json)")
    if r.extras:
        details.append(f"  kept as extras (not case fields): {', '.join(r.extras)}")
    details += [f"  note: {n}" for n in r.notes]
    return "\n".join([line, *details])


def ingest(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Report files (CSV or .xlsx).")],
    processor: Annotated[str | None, typer.Option(help="The processor that sent the report.")] = None,
    period: Annotated[str | None, typer.Option(help="The month the report covers, YYYY-MM.")] = None,
    submitted_on: Annotated[str | None, typer.Option(help="The day the report reached you, YYYY-MM-DD (default: "
                                                     "today; never in the future). Lateness counts from it.")] = None,
    mapping: Annotated[Path | None, typer.Option(help='Mapping file: "Header" = "field" lines.')] = None,
    profile: Annotated[str | None, typer.Option(help="The contract profile of a processor's first report (then "
                                                "optional; when given, it must be the processor's profile).")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Let a resubmission that removes cases replace the "
                                          "current report (one that loads no case is refused anyway).")] = False,
    format: Annotated[IngestFormat, typer.Option("--format", help="Output format.")] = IngestFormat.text,
) -> None:
    """Ingest monthly report files: each loads whole or not at all.

    Example: oversight ingest belcall_2026-10.csv --processor "Belcall Antwerpen BV" --period 2026-10
    """
    try:
        submitted = date.fromisoformat(submitted_on) if submitted_on else None
    except ValueError:
        fail(f"--submitted-on '{submitted_on}' is not a date; write it as YYYY-MM-DD, e.g. 2026-11-05.")
    try:
        explicit = parse_mapping_file(mapping) if mapping else None
    except InvalidMapping as exc:
        fail(str(exc))
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        fail(f"No such file: {', '.join(missing)}. Check the path and try again.")
    if profile is not None:
        _known_profile(profile)

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        results, failures = [], []
        for file in files:
            try:
                result = ingest_report(con, file, user=user, key_path=resolve_key_path(path), processor=processor,
                                       period=period, submitted_on=submitted, mapping=explicit, replace=replace,
                                       profile=profile, ask_profile=True, keep_notes=_keep_notes(ctx),
                                       **ingest_terms(con, profile))
            except IngestError as exc:
                failures.append(str(exc) + (f" Profiles: {', '.join(list_profiles())}."
                                            if isinstance(exc, UnknownProcessor) else ""))
                refused: dict[str, object] = {"file": file.name, "submission_id": None, "status": "refused",
                                              "error": str(exc)}
                if isinstance(exc, ResubmissionRefused):
                    refused.update(reason=exc.refusal, replaces=exc.diff.replaces, added=exc.diff.added,
                                   removed=exc.diff.removed,
                                   field_changes=[c.as_dict() for c in exc.diff.field_changes],
                                   truncated=exc.diff.truncated)
                results.append(refused)
                continue
            results.append(result.as_dict())
            if format is IngestFormat.text:
                typer.echo(_result_line(result))
        if format is IngestFormat.json:
            typer.echo(json.dumps(results, ensure_ascii=False, indent=2, default=json_default))
        if failures:
            fail("\n\n".join(failures))

    run(ctx, work)


FIELD_CHANGES_SHOWN = 20


def _known_profile(name: str) -> None:
    """Refuse a --profile that names no loadable contract profile, listing the ones there are."""
    try:
        load_profile(name)
    except OversightError as exc:
        fail(f"{exc} Profiles: {', '.join(list_profiles())}.")

REPORT_COLUMNS = ["submission_id", "processor", "period", "kind", "file_name", "submitted_on", "rows_read",
                  "rows_loaded", "rows_quarantined", "rows_skipped", "declared_total", "status"]


reports_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)


@reports_app.callback(invoke_without_command=True)
def reports(
    ctx: typer.Context,
    processor: Annotated[str | None, typer.Option(help="Only this processor.")] = None,
    period: Annotated[str | None, typer.Option(help="Only this month, YYYY-MM.")] = None,
    format: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> None:
    """List the ingested reports (submissions), current and superseded.

    Example: oversight reports --processor "Belcall Antwerpen BV" --format json
    (oversight reports reinstate SUBMISSION_ID --reason TEXT makes an earlier submission current again.)
    """
    if ctx.invoked_subcommand:
        return
    run(ctx, lambda con, user, path: emit(queries.list_reports(con, processor, period), format,
                                            REPORT_COLUMNS + (["declared_submitted_on", "changes", "notes"]
                                                              if format is not Format.text else [])))


def cases(
    ctx: typer.Context,
    processor: Annotated[str | None, typer.Option(help="Only this processor.")] = None,
    period: Annotated[str | None, typer.Option(help="Cases in this month's current report, YYYY-MM.")] = None,
    format: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> None:
    """List current cases (each case's latest reported state) with the canonical field names.

    Example: oversight cases --processor "Belcall Antwerpen BV" --period 2026-10 --format csv
    """
    columns = ["processor", "period", *queries.CASE_COLUMNS]
    shown = columns if format is not Format.text else ["processor", "period", "case_id", "received_on",
                                                      "request_type", "responded_on", "outcome"]
    run(ctx, lambda con, user, path: emit(queries.list_cases(con, processor, period), format, shown))


def quarantine(
    ctx: typer.Context,
    processor: Annotated[str | None, typer.Option(help="Only this processor.")] = None,
    period: Annotated[str | None, typer.Option(help="Only this month, YYYY-MM.")] = None,
    format: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> None:
    """List the rows of current reports that could not be loaded, with the reason for each.

    Example: oversight quarantine --period 2026-10
    """
    columns = ["submission_id", "processor", "period", "file_name", "source_row", "case_id", "reasons", "messages"]
    run(ctx, lambda con, user, path: emit(queries.list_quarantine(con, processor, period), format,
                                            columns + (["raw"] if format is not Format.text else [])))


@mapping_app.command("show")
def mapping_show(
    ctx: typer.Context,
    processor: Annotated[str, typer.Option(help="The processor whose mapping to show.")],
) -> None:
    """Print the mapping saved for a processor, in the mapping-file syntax.

    Example: oversight mapping show --processor "Belcall Antwerpen BV"
    """
    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        if processor not in queries.processors(con):
            fail(f"No processor named '{processor}'. Known: {', '.join(queries.processors(con)) or 'none yet'}.")
        saved = load_saved(con, processor)
        typer.echo(mapping_as_toml(saved) if saved.headers or saved.date_order
                   else f"# No mapping saved for {processor}: its headers are read by the built-in aliases.")

    run(ctx, work)


@mapping_app.command("save")
def mapping_save(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help='Mapping file with "Header" = "field" lines.')],
    processor: Annotated[str, typer.Option(help="The processor the mapping is for.")],
) -> None:
    """Save a mapping for a processor; its next reports map by themselves.

    Example: oversight mapping save belcall-mapping.toml --processor "Belcall Antwerpen BV"
    """
    try:
        new = parse_mapping_file(file)
    except InvalidMapping as exc:
        fail(str(exc))

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        role = require(user, "save a mapping")
        with transaction(con):
            processor_id = ensure_processor(con, processor)
            save_mapping(con, processor_id, new, user.name)
            audit.append_event(con, user=user.name, role=role, action="mapping.saved", obj=f"processor:{processor}",
                               details={"fields": new.headers, "date_order": new.date_order})
        typer.echo(f"Saved {len(new.headers)} header mapping(s) for {processor}.")

    run(ctx, work)


@reports_app.command("reinstate")
def reinstate(
    ctx: typer.Context,
    submission_id: Annotated[int, typer.Argument(help="The submission to make current again.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")],
) -> None:
    """Make an earlier submission the current report for its processor and month again, with the reason.

    Example: oversight reports reinstate 12 --reason "submission 13 was mis-mapped: 0 cases"
    """
    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        done = reinstate_submission(con, submission_id, reason=reason, user=user)
        replaced = f"; submission {done.replaced} is superseded by it" if done.replaced else ""
        typer.echo(f"Submission {done.submission_id} ({done.file_name}) is the current report for {done.processor} "
                   f"{done.period} again{replaced}.")
        if done.diff:
            typer.echo(f"  cases: {done.diff.counts['added']} back or added, {done.diff.counts['removed']} no longer "
                       f"listed, {done.diff.counts['changed']} changed. Run `oversight check` again: the month's "
                       "checks were run on the other report.")

    run(ctx, work)


PENDING_COLUMNS = ["pending_id", "processor", "period", "file_name", "uploaded_at", "uploaded_by", "status",
                   "changes"]


@reports_app.command("upload")
def upload(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The report file (CSV or .xlsx).")],
    format: Annotated[IngestFormat, typer.Option("--format", help="Output format.")] = IngestFormat.text,
) -> None:
    """Upload your own monthly report as the processor's user; it arrives today (UTC).

    Example: oversight reports upload belcall_2026-10.csv
    (A resubmission that would remove cases waits for the compliance officer's confirmation.)
    """
    from portal.reports import upload_report

    if not file.is_file():
        fail(f"No such file: {file}. Check the path and try again.")

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        result = upload_report(con, user, file, key_path=resolve_key_path(path), keep_notes=_keep_notes(ctx))
        if format is IngestFormat.json:
            typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2, default=json_default))
        elif result.status == "loaded":
            typer.echo(f"{result.file}: loaded as submission {result.submission_id} for {result.period}, received "
                       f"{result.submitted_on}: {result.rows_loaded} case(s) loaded, {result.rows_quarantined} "
                       f"row(s) quarantined, {result.rows_skipped} skipped.")
            for q in result.quarantine:
                typer.echo(f"  row {q['source_row']} ({q['case_id'] or 'no case id'}): {'; '.join(q['messages'])}")
        elif result.status == "pending":
            typer.echo(f"{result.file}: waiting as upload {result.pending_id}. {result.reason}")
        elif result.status == "duplicate":
            typer.echo(f"{result.file}: {result.reason}")
        if result.status == "refused":
            fail(result.reason or f"{result.file}: refused.")

    run(ctx, work)


def _changes_text(summary: dict[str, object]) -> str:
    removed = ", ".join(str(c) for c in summary.get("removed_case_ids", [])[:5])  # type: ignore[index]
    return (f"+{summary.get('added', 0)} added, -{summary.get('removed', 0)} removed"
            f"{f' ({removed})' if removed else ''}, {summary.get('changed', 0)} changed")


@reports_app.command("pending")
def pending(
    ctx: typer.Context,
    format: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> None:
    """List the processor's uploads waiting for the compliance officer's confirmation.

    Example: oversight reports pending --format json
    """
    from portal.reports import list_pending

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        found = list_pending(con, user)
        for row in found:
            row["changes"] = (_changes_text(row["diff_summary"]) if format is Format.text  # type: ignore[arg-type]
                              else row["diff_summary"])
            if format is not Format.text:
                del row["diff_summary"]
        emit(found, format, PENDING_COLUMNS)

    run(ctx, work)


@reports_app.command("confirm")
def confirm(
    ctx: typer.Context,
    pending_id: Annotated[int, typer.Argument(help="The pending upload (oversight reports pending).")],
) -> None:
    """Load a processor's pending upload, replacing its current report; it counts from the day it was uploaded.

    Example: oversight reports confirm 3
    """
    from portal.reports import confirm_pending

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        typer.echo(_result_line(confirm_pending(con, user, pending_id, key_path=resolve_key_path(path),
                                                keep_notes=_keep_notes(ctx))))

    run(ctx, work)


@reports_app.command("reject")
def reject(
    ctx: typer.Context,
    pending_id: Annotated[int, typer.Argument(help="The pending upload (oversight reports pending).")],
    reason: Annotated[str, typer.Option(help="Why (the processor reads it; the audit trail keeps it).")],
) -> None:
    """Reject a processor's pending upload with the reason; its current report stays.

    Example: oversight reports reject 3 --reason "BC-2 and BC-3 were handled in October"
    """
    from portal.reports import reject_pending

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        done = reject_pending(con, user, pending_id, reason)
        typer.echo(f"Upload {done['pending_id']} ({done['file_name']}, {done['processor']} {done['period']}) is "
                   "rejected; the current report stays.")

    run(ctx, work)

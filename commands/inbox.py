"""`oversight inbox list|ingest`: the report files dropped in the inbox folder, ingested by a scheduled loader.

A transfer job (the processor's SFTP drop, a mail rule) puts reports in `data/inbox/<processor>/` (or `[paths] inbox`);
`oversight inbox ingest`, run from cron as a user of the `loader` role, ingests them while people use the dashboard
(issue 16): each file is its own unit of work, so the database is held for one file at a time and the dashboard's
pages wait at most that long. The files are read as the Reports page reads them (ingest.inbox: never through a
link, a private copy of the very file listed); an ingested one moves to `processed/`; a refused one stays, for a
person to look at on the Reports page.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from commands.common import Format, emit, fail, json_default, run

if TYPE_CHECKING:
    import duckdb

    from ingest.inbox import InboxFile
    from store.identity import User

inbox_app = typer.Typer(help="The inbox folder: list the report files waiting there, or ingest them (from cron).",
                        no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                        rich_markup_mode=None)

InboxOption = Annotated[Path | None, typer.Option("--inbox", help="The inbox folder (default: [paths] inbox in the "
                                                  "configuration, else inbox/ beside the database).")]
LIST_COLUMNS = ["file", "processor", "bytes"]


class IngestFormat(StrEnum):
    text = "text"
    json = "json"


def _folder(ctx: typer.Context, given: Path | None) -> Path:
    """The inbox folder: the option, else the configuration's, else inbox/ beside the database."""
    if given is not None:
        return given
    from ingest.inbox import inbox_dir
    from store.db import resolve_db
    from store.errors import OversightError
    from store.users_file import load_config

    try:
        return inbox_dir(load_config(ctx.obj.config), resolve_db(ctx.obj.db))
    except OversightError as exc:
        fail(str(exc))


@inbox_app.command("list")
def list_files(
    ctx: typer.Context,
    inbox: InboxOption = None,
    format: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> None:
    """List the report files waiting in the inbox, oldest first, with the processor their sub-folder names.

    Example: oversight inbox list
    """
    from ingest.inbox import list_inbox

    folder = _folder(ctx, inbox)
    emit([{"file": str(item.path.relative_to(folder)), "processor": item.processor, "bytes": item.path.stat().st_size}
          for item in list_inbox(folder)], format, LIST_COLUMNS)


@inbox_app.command("ingest")
def ingest_files(
    ctx: typer.Context,
    inbox: InboxOption = None,
    format: Annotated[IngestFormat, typer.Option("--format", help="Output format.")] = IngestFormat.text,
) -> None:
    """Ingest every report file waiting in the inbox, one at a time, and move each one ingested to processed/.

    Runs while the dashboard does (each file is one short unit of work), so it can run from cron as a user of the
    `loader` role. A file in a sub-folder is the processor's the sub-folder names; it counts as received on the day
    it was first seen in the inbox. A refused file (a new processor without a contract profile, a resubmission that
    removes cases, a malformed report) stays in the inbox for a person to ingest on the Reports page; the command
    then exits with 1 after the others, and later runs skip it (same SHA-256). Nothing waiting: nothing is opened.
    From cron, name the loader's user with --user or OVERSIGHT_USER.

    Example: oversight inbox ingest --format json
    """
    from ingest.inbox import list_inbox

    folder = _folder(ctx, inbox)
    items = list_inbox(folder)
    results: list[dict[str, object]] = []
    for item in items:
        result = run(ctx, lambda con, user, path, item=item: _ingest_one(
            con, user, path, folder, item, keep_notes=bool(ctx.obj.loaded and ctx.obj.loaded.keep_notes)))
        assert isinstance(result, dict)
        results.append(result)
        if format is IngestFormat.text:
            typer.echo(_line(result))
    if format is IngestFormat.json:
        typer.echo(json.dumps(results, ensure_ascii=False, indent=2, default=json_default))
    elif not items:
        typer.echo(f"No report files are waiting in {folder}.")
    if any(r["status"] == "refused" for r in results):
        raise typer.Exit(1)


def _ingest_one(con: duckdb.DuckDBPyConnection, user: User, path: Path, folder: Path,
                item: InboxFile, keep_notes: bool = False) -> dict[str, object]:
    """One file as one unit of work: record its first sighting, ingest it, move it to processed/ if it was."""
    from checks.contract import ingest_terms
    from ingest.errors import IngestError
    from ingest.inbox import mark_processed, opened
    from ingest.pseudonym import resolve_key_path
    from ingest.received import first_seen
    from ingest.service import ingest_report
    from store.identity import require

    relative = str(item.path.relative_to(folder))
    require(user, "ingest a report")  # before anything is recorded, even the file's first sighting
    try:
        if (refused := _refused_before(con, item)) is not None:
            return {"file": relative, "submission_id": None, "status": "skipped", "refused_in_event": refused}
        seen = first_seen(con, [item]).get(item.path)
        with opened(item) as readable:
            result = ingest_report(con, readable, user=user, key_path=resolve_key_path(path),
                                   processor=item.processor, submitted_on=seen, file_name=item.path.name,
                                   ask_profile=True, keep_notes=keep_notes, **ingest_terms(con))
    except (IngestError, OSError) as exc:  # OSError: moved away meanwhile (a person ingested it on the dashboard)
        return {"file": relative, "submission_id": None, "status": "refused", "error": str(exc)}
    done = result.as_dict() | {"file": relative}
    try:
        done["moved_to"] = str(mark_processed(folder, item))
    except OSError as exc:
        done["moved_to"] = None
        done["note"] = (f"ingested, but not moved to processed/ ({exc}): move it by hand, or the next run sees it "
                        "again (as a duplicate, nothing written)")
    return done


def _refused_before(con: duckdb.DuckDBPyConnection, item: InboxFile) -> int | None:
    """The audit event that refused this very file before (by its SHA-256), if one did: a scheduled run skips it
    instead of refusing it again every few minutes; a person ingests it on the Reports page, or removes it."""
    from store.files import file_digest

    sha256, _ = file_digest(item.path)
    found = con.execute("SELECT max(seq) FROM audit_events WHERE action = 'report.refused' "
                        "AND json_extract_string(details, '$.sha256') = ?", [sha256]).fetchall()
    return found[0][0]


def _line(result: dict[str, object]) -> str:
    if result["status"] == "skipped":
        return (f"{result['file']}: skipped, refused before (audit event {result['refused_in_event']}); ingest it on "
                "the Reports page, or remove it from the inbox.")
    if result["status"] == "refused":
        return f"{result['file']}: refused, left in the inbox. {result['error']}"
    line = (f"{result['file']}: {result['status']} as submission {result['submission_id']} "
            f"({result.get('rows_loaded', 0)} rows loaded, {result.get('rows_quarantined', 0)} quarantined)")
    return line + (f"; {result['note']}" if result.get("note") else "")

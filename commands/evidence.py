"""`oversight evidence ...`: ask the processor for a sample's case files, list requests, send and fetch files
(wiring only; spotchecks/evidence.py decides)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import duckdb
import typer

from commands.common import DocFormat, Format, dumps, emit, fail, parse_date_option, run
from store.identity import User

evidence_app = typer.Typer(help="Evidence on request: ask the processor for sampled cases' files, and send or fetch "
                                "them.", no_args_is_help=True)

LIST_COLUMNS = ["request_id", "processor", "period", "sample_id", "due_on", "cases", "cases_answered", "files",
                "state", "days_to_answer", "days_open", "what"]


def _bound(ctx: typer.Context, con: duckdb.DuckDBPyConnection, user: User) -> User:
    """A processor user with its processor resolved from the register (store.scope.bind_processor)."""
    if not user.is_processor:
        return user
    from store.scope import bind_processor
    from store.users_file import load_config

    return bind_processor(con, load_config(ctx.obj.config), user)


@evidence_app.command("request")
def request_command(
    ctx: typer.Context,
    sample_id: Annotated[str, typer.Argument(help="The drawn sample whose cases the evidence is for.")],
    what: Annotated[str, typer.Option("--what", help="What is wanted for each case.")],
    due: Annotated[str, typer.Option("--due", help="By when, YYYY-MM-DD.")],
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.text,
) -> None:
    """Ask the processor for evidence on every case of a drawn sample, by a date.

    Example: oversight evidence request S-2026-0001 --what "The call recording and the reply letter" --due 2026-11-30
    """
    from spotchecks.evidence import request_evidence

    due_on = parse_date_option(due, "--due")
    assert due_on is not None

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        req = request_evidence(con, _bound(ctx, con, user), sample_id, what, due_on)
        if format is DocFormat.json:
            typer.echo(dumps(req))
            return
        typer.echo(f"Evidence request {req['request_id']} sent to {req['processor']} for {len(req['case_ids'])} "  # type: ignore[arg-type]
                   f"case(s) of sample {sample_id}, due {due_on.isoformat()}.")

    run(ctx, work)


@evidence_app.command("list")
def list_command(
    ctx: typer.Context,
    processor: Annotated[str | None, typer.Option(help="Only this processor.")] = None,
    format: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> None:
    """List the evidence requests, newest first, with cases answered and the time to answer.

    Example: oversight evidence list --processor "Belcall Antwerpen BV"
    """
    from spotchecks.evidence import list_requests

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        acting = _bound(ctx, con, user)
        found = list_requests(con, acting, processor)
        columns = [c for c in LIST_COLUMNS if not (acting.is_processor and c == "sample_id")]
        emit(found, format, columns)

    run(ctx, work)


@evidence_app.command("add")
def add_command(
    ctx: typer.Context,
    request_id: Annotated[str, typer.Argument(help="The evidence request, e.g. ER-2026-0001.")],
    case_id: Annotated[str, typer.Argument(help="The case the file is for.")],
    file: Annotated[Path, typer.Argument(help="The file: PDF, PNG, JPEG, text/CSV, .docx, .xlsx, .eml or .msg.")],
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.text,
) -> None:
    """Send one file for one case of an evidence request; prints its SHA-256.

    Example: oversight evidence add ER-2026-0001 C-000123 reply-letter.pdf
    """
    from spotchecks.evidence import add_evidence

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        added = add_evidence(con, _bound(ctx, con, user), request_id, case_id, file)
        if format is DocFormat.json:
            typer.echo(dumps(added))
            return
        typer.echo(f"Added {added['filename']} ({added['size']} bytes, {added['media_type']}) to case {case_id} of "
                   f"{added['request_id']}. SHA-256 {added['sha256']}")

    run(ctx, work)


@evidence_app.command("get")
def get_command(
    ctx: typer.Context,
    request_id: Annotated[str, typer.Argument(help="The evidence request, e.g. ER-2026-0001.")],
    case_id: Annotated[str, typer.Argument(help="The case.")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the file (refused if it exists).")],
    sha256: Annotated[str | None, typer.Option("--sha256", help="Which file (default: the newest).")] = None,
) -> None:
    """Write a file sent for a case to disk, byte for byte; prints its SHA-256.

    Example: oversight evidence get ER-2026-0001 C-000123 --out reply-letter.pdf
    """
    from spotchecks.evidence import get_evidence

    if out.exists():
        fail(f"{out} already exists: give another --out, or remove it first.")

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        found = get_evidence(con, _bound(ctx, con, user), request_id, case_id, sha256)
        try:
            with open(out, "xb") as handle:  # never over an existing file
                handle.write(found.data)
        except OSError as exc:
            fail(f"Could not write {out}: {exc.strerror}. Check the folder exists and is writable.")
        typer.echo(f"Wrote {out} ({found.size} bytes, sent as {found.filename}). SHA-256 {found.sha256}")

    run(ctx, work)

"""`oversight subject ...`: a data subject's access and erasure requests about this tool (wiring only;
ingest/subjects.py). The reference is hashed and forgotten: never stored, logged or echoed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from commands.common import DocFormat, dumps, fail, run
from store.errors import OversightError
from store.identity import User

subject_app = typer.Typer(help="A data subject's rights in this tool: find, or erase, what concerns one person.",
                          no_args_is_help=True)

Reference = Annotated[str, typer.Argument(help="The person's customer reference, as the processor writes it; '-' "
                                          "reads it from the first line of stdin (kept out of the shell history).")]


def _reference(value: str) -> str:
    text = sys.stdin.readline().rstrip("\r\n") if value == "-" else value
    if not text.strip():
        fail("The customer reference is empty. Give it as the argument, or '-' and the reference on stdin.")
    return text


def _key_path(path: Path) -> Path:
    from ingest.pseudonym import resolve_key_path

    return resolve_key_path(path)


@subject_app.command("find")
def find_command(
    ctx: typer.Context,
    reference: Reference,
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.text,
) -> None:
    """List the cases, samples and findings concerning one person (GDPR Art. 15), by their customer reference.

    The reference is hashed with each live key and never stored or logged.

    Example: oversight subject find KL-100234
    """
    from ingest.subjects import find_subject

    ref = _reference(reference)

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        found = find_subject(con, user, _key_path(path), ref)
        if format is DocFormat.json:
            typer.echo(dumps(found.as_dict()))
            return
        typer.echo(f"{len(found.cases)} case row(s), {len(found.samples)} sampled case(s), {len(found.findings)} "
                   f"finding case(s), {found.quarantined_rows} quarantined row(s).")
        for c in found.cases:
            typer.echo(f"  case {c['case_id']}  {c['processor']}  {c['period']}  submission {c['submission_id']} "
                       f"({c['status']})  received {c['received_on']}  {c['request_type']}")
        for s in found.samples:
            typer.echo(f"  sample {s['sample_id']}  case {s['case_id']}  {s['processor']}  {s['period']}")
        for f in found.findings:
            typer.echo(f"  finding {f['finding_id']} ({f['status']})  case {f['case_id']}  {f['processor']}")
        if found.retired_keys:
            typer.echo(f"Pseudonyms made with the retired key(s) {', '.join(found.retired_keys)} cannot be found: "
                       "those keys are destroyed, so such records are unlinkable to anyone.")

    run(ctx, work)


@subject_app.command("erase")
def erase_command(
    ctx: typer.Context,
    reference: Reference,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase one person's case rows where no legal hold applies (GDPR Art. 17), then compact the database file.

    Removes their cases in every submission, the exceptions of those cases and their quarantined rows; audited as
    subject.erased with counts only. Compaction needs the file to itself: if another program holds it at that
    moment, the erase is done and the command says to run it again.

    Example: oversight subject erase KL-100234 --yes
    """
    from ingest.subjects import erase_subject
    from store.compact import compact

    ref = _reference(reference)
    if not yes and not typer.confirm("Erase this person's case rows from the database? This cannot be undone"):
        fail("Nothing was erased.")

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        done = erase_subject(con, user, _key_path(path), ref)
        typer.echo(f"Erased {done.cases_removed} case row(s) in {len(done.submissions)} submission(s), "
                   f"{done.exceptions_removed} exception(s) and {done.quarantined_removed} quarantined row(s).")
        if done.cases_held:
            typer.echo(f"Kept {done.cases_held} case row(s) under a legal hold ({'; '.join(done.held)}); erase "
                       "again once the hold is lifted.")
        con.close()
        try:
            compacted = compact(path)  # deleted values must not linger in free blocks (GDPR Art. 17)
        except OversightError as exc:
            fail(f"The erasure is done and recorded, but the database is not compacted yet: {exc} Then run the same "
                 "command again: it finds nothing more to erase and compacts the file.")
        typer.echo(f"The database was compacted ({compacted.bytes_before:,} → {compacted.bytes_after:,} bytes).")

    run(ctx, work)

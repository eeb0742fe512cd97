"""`oversight processing-record`: this tool's own entry in the record of processing (GDPR Art. 30(1)) (wiring)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import duckdb
import typer

from commands.common import DocFormat, dumps, fail, run
from store.errors import OversightError
from store.identity import User


def processing_record(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="The file to write: .docx or .md; an existing file is replaced.")],
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.text,
) -> None:
    """Write this tool's Art. 30(1) record of processing from the configuration, as .docx or Markdown.

    Example: oversight processing-record --out record-of-processing.docx
    """
    from exports.processing_record import write_processing_record
    from store.users_file import load_config

    try:
        config = load_config(ctx.obj.config)
    except OversightError as exc:
        fail(str(exc))

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        produced = write_processing_record(con, user, config, out)
        if format is DocFormat.json:
            typer.echo(dumps(produced.as_dict()))
        else:
            typer.echo(f"Wrote the record of processing to {produced.file_name} ({produced.size:,} bytes, SHA-256 "
                       f"{produced.sha256}); recorded as audit event {produced.event_seq}.")

    run(ctx, work)

"""`oversight export ...`: the monthly oversight pack and the findings letter as files (wiring only)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import duckdb
import typer

from commands.common import DocFormat, dumps, run
from exports.letter import export_letter
from exports.letter_store import SentLetter
from exports.output import Produced
from exports.pack import export_pack
from store.identity import User

export_app = typer.Typer(help="Write the monthly oversight pack or a findings letter; each export is audited.",
                         no_args_is_help=True)


def _report(produced: Produced | SentLetter, what: str, format: DocFormat) -> None:
    if format is DocFormat.json:
        typer.echo(dumps(produced.as_dict()))
    else:
        typer.echo(f"Wrote {what} to {produced.file_name} ({produced.size:,} bytes, SHA-256 {produced.sha256}); "
                   f"recorded as audit event {produced.event_seq}.")


@export_app.command("pack")
def pack_command(
    ctx: typer.Context,
    processor: Annotated[str, typer.Option(help="The processor the pack is about.")],
    period: Annotated[str, typer.Option(help="The month, YYYY-MM.")],
    out: Annotated[Path, typer.Option(help="The workbook to write (.xlsx); an existing file is replaced.")],
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.text,
) -> None:
    """Write the monthly oversight pack of a processor and month to an Excel workbook.

    Example: oversight export pack --processor "Belcall Antwerpen BV" --period 2026-10 --out pack-2026-10.xlsx
    """
    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        _report(export_pack(con, user, processor, period, out), f"the oversight pack of {processor} for {period}",
                format)

    run(ctx, work)


@export_app.command("letter")
def letter_command(
    ctx: typer.Context,
    processor: Annotated[str, typer.Option(help="The processor the letter is for.")],
    out: Annotated[Path, typer.Option(help="The file to write: .docx (editable) or .pdf; an existing file is "
                                           "replaced.")],
    language: Annotated[str | None, typer.Option(help="nl, fr or en; default: the processor's language in the "
                                                      "register, else en.")] = None,
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.text,
) -> None:
    """Write a processor's open findings as a letter in its language (.docx or .pdf), stored with its hash.

    Example: oversight export letter --processor "Belcall Antwerpen BV" --out findings-belcall.docx --language nl
    """
    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        sent = export_letter(con, user, processor, out, language=language)
        _report(sent, f"the findings letter {sent.letter_id} ({sent.language}) to {processor}", format)

    run(ctx, work)

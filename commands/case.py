"""`oversight case show`: one case's record, as the dashboard's Case page shows it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import duckdb
import typer

from commands.common import DocFormat, dumps, run
from store.identity import User

case_app = typer.Typer(help="A case's record: its values in every submission, deadlines, exceptions, reviews and "
                            "findings.", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                       rich_markup_mode=None)


@case_app.callback()
def case_group() -> None:
    """A case's record (a group, so that `show` stays a subcommand while it is the only one)."""


@case_app.command("show")
def show(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="The case id as the processor reports it.")],
    processor: Annotated[str, typer.Option(help="The processor whose case it is.")],
    format: Annotated[DocFormat, typer.Option("--format", help="Output format.")] = DocFormat.text,
) -> None:
    """Show a case: every submission's values side by side, its deadlines worked out, exceptions, reviews, findings.

    Example: oversight case show BC-260910-01 --processor "Belcall Antwerpen BV" --format json
    """
    from casefile.record import case_record
    from store.users_file import load_config

    def work(con: duckdb.DuckDBPyConnection, user: User, path: Path) -> None:
        record = case_record(con, processor, case_id, load_config(ctx.obj.config).controller_country)
        typer.echo(dumps(record) if format is DocFormat.json else text(record))

    run(ctx, work)


def text(record: dict[str, object]) -> str:
    """The record as a reader of a terminal wants it: versions side by side, changed values marked with *."""
    from casefile.versions import FIELDS, plain

    versions: list[dict[str, object]] = record["versions"]  # type: ignore[assignment]
    lines = [f"Case {record['case_id']} of {record['processor']}: listed in {len(versions)} submission(s).", ""]
    heads = [f"#{v['submission_id']} {v['period']} ({v['status']})" for v in versions]
    width = max(len(f) for f in FIELDS) + 2
    lines.append("field".ljust(width) + "  ".join(h.ljust(26) for h in heads))
    for field in FIELDS:
        cells = []
        for v in versions:
            value = "" if v.get(field) is None else str(plain(v.get(field)))
            cells.append(((value + " *") if field in v["changed"] else value)[:26].ljust(26))  # type: ignore[operator]
        lines.append(field.ljust(width) + "  ".join(cells))
    lines.append("(* changed from the submission before)")
    deadlines: dict[str, object] = record["deadlines"]  # type: ignore[assignment]
    lines += ["", f"Deadlines (profile {deadlines['profile']}, submission {deadlines['from_submission_id']}):"]
    lines += [f"  {step}" for step in deadlines["steps"]]  # type: ignore[attr-defined]
    lines += ["", "Exceptions:"] + ([f"  run {e['run_id']} {e['period']} {e['check_id']} ({e['severity']}, "
                                    f"{e['clause']})" for e in record["exceptions"]]  # type: ignore[attr-defined]
                                   or ["  none"])
    lines += ["", "Reviews:"] + ([f"  {r['sample_id']} {r['item_id']}: {r['answer']}"
                                  + (f" — {r['comment']}" if r["comment"] else "")
                                  + f" ({r['reviewer']}, {plain(r['reviewed_at'])})"
                                  + ("" if r["current"] else " [superseded]")
                                  for r in record["reviews"]] or ["  none"])  # type: ignore[attr-defined]
    lines += ["", "Findings:"] + ([f"  {f['finding_id']} [{f['status']}] {f['severity']} · {f['clause']} · "
                                   f"{f['title']}" for f in record["findings"]] or ["  none"])  # type: ignore[attr-defined]
    return "\n".join(lines)

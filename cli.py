"""The `oversight` command: argument wiring only; the work is done by the service functions.

Each command lives in a module of `commands/` that is imported only when that command runs, so `oversight --help`
starts with nothing but typer (bench/cli.py measures it; tests/test_cli_imports.py keeps pandas, SciPy, openpyxl,
streamlit and altair out of the commands that do not need them). The listing's one-line help is declared here,
beside the module that holds the command, and tests/test_cli.py checks it against the command's own docstring.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from commands.common import Context

DISTRIBUTION = "processor-oversight"


@dataclass(frozen=True)
class Lazy:
    """A command that is imported when it runs: `attribute` of `module`, a function or a typer app of commands."""

    module: str
    attribute: str
    summary: str  # the first line of its help, for `oversight --help`
    passes_options_on: bool = False  # options after `--` go to another program (click's allow_extra_args)

    def load(self, name: str) -> Any:
        target = getattr(importlib.import_module(self.module), self.attribute)
        if isinstance(target, typer.Typer):
            command = typer.main.get_command(target)
        else:
            single = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
            settings = {"allow_extra_args": True, "ignore_unknown_options": True} if self.passes_options_on else {}
            single.command(name=name, context_settings=settings)(target)
            command = typer.main.get_command(single)
        command.name = name
        return command


# In the order `oversight --help` lists them: the month's work first, then the records, then administration.
COMMANDS: dict[str, Lazy] = {
    "demo": Lazy("commands.reports", "demo", "Load the demo reports from sample_reports/ into the database."),
    "ingest": Lazy("commands.reports", "ingest", "Ingest monthly report files: each loads whole or not at all."),
    "inbox": Lazy("commands.inbox", "inbox_app",
                  "The inbox folder: list the report files waiting there, or ingest them (from cron)."),
    "reports": Lazy("commands.reports", "reports_app",
                    "List the ingested reports (submissions), current and superseded."),
    "cases": Lazy("commands.reports", "cases",
                  "List current cases (each case's latest reported state) with the canonical field names."),
    "case": Lazy("commands.case", "case_app",
                 "A case's record: its values in every submission, deadlines, exceptions, reviews and findings."),
    "quarantine": Lazy("commands.reports", "quarantine",
                       "List the rows of current reports that could not be loaded, with the reason for each."),
    "mapping": Lazy("commands.reports", "mapping_app", "Show or save the header mapping remembered for a processor."),
    "attention": Lazy("commands.attention", "attention",
                      "Say what needs attention in a month, most serious first, as the Overview does."),
    "check": Lazy("commands.checks", "check",
                  "Run every check on the current reports and store the run; prints the exceptions found."),
    "deadline": Lazy("commands.deadline", "deadline",
                     "Compute a request's one- and three-month deadlines (GDPR Art. 12(3), counted per Reg. 1182/71)."),
    "sample": Lazy("commands.sample", "sample_app",
                   "Spot checks: plan a sample size, draw cases reproducibly, review and evaluate them."),
    "evidence": Lazy("commands.evidence", "evidence_app",
                     "Evidence on request: ask the processor for sampled cases' files, and send or fetch them."),
    "findings": Lazy("commands.findings", "findings_app",
                     "Raise findings against contract clauses and follow them up to closure."),
    "export": Lazy("commands.export", "export_app",
                   "Write the monthly oversight pack or a findings letter; each export is audited."),
    "audit": Lazy("commands.audit", "audit_app",
                  "List the audit trail of every change, and verify that it was not edited."),
    "profile": Lazy("commands.profile", "profile_app",
                    "Contract profiles: the clause register, service levels and holiday calendar."),
    "retention": Lazy("commands.retention", "retention_app",
                      "Retention periods: list what is past its period, and remove it (GDPR Art. 5(1)(e))."),
    "hold": Lazy("commands.hold", "hold_app",
                 "Legal holds: keep a processor's data, a month or a finding from any purge until lifted."),
    "processing-record": Lazy("commands.processing_record", "processing_record",
                              "Write this tool's Art. 30(1) record of processing from the configuration, as .docx or "
                              "Markdown."),
    "key": Lazy("commands.key", "key_app",
                "The pseudonymisation keys: list them, rotate to a new key, retire (destroy) an old one."),
    "subject": Lazy("commands.subject", "subject_app",
                    "A data subject's rights in this tool: find, or erase, what concerns one person."),
    "backup": Lazy("commands.backup", "backup",
                   "Back up the database to a new file, consistent as of one moment, while the dashboard and the "
                   "loader run."),
    "store": Lazy("commands.store_cmd", "store_app",
                  "Move the whole record between stores: export it to Parquet files, import it into a new one (a "
                  "file, or PostgreSQL)."),
    "user": Lazy("commands.user", "user_app",
                 "Add users of the dashboard and the CLI, with their roles, to the configuration file."),
    "dashboard": Lazy("commands.dashboard", "dashboard",
                      "Start the dashboard (Streamlit) on this database, from the installed package.",
                      passes_options_on=True),
}


class LazyGroup(TyperGroup):
    """The top-level group: lists COMMANDS without importing them, imports one when it is run or asked for help."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in COMMANDS if n not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.commands[cmd_name] = COMMANDS[cmd_name].load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [(name, COMMANDS[name].summary if name in COMMANDS else self.commands[name].get_short_help_str(80))
                for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in self.list_commands(ctx) and not args[0].startswith("-"):
            near = get_close_matches(args[0], self.list_commands(ctx))
            hint = f" Did you mean {', '.join(repr(n) for n in near)}?" if near else ""
            ctx.fail(f"No such command '{args[0]}'.{hint} `oversight --help` lists them.")
        return super().resolve_command(ctx, args)


app = typer.Typer(cls=LazyGroup, help="Oversight of a call-centre processor's GDPR request handling.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"oversight {version(DISTRIBUTION)}")
        except PackageNotFoundError:  # run from a checkout that was never installed
            typer.echo("oversight (not installed: run `make install` or `pip install .`)")
        raise typer.Exit()


@app.callback()
def options(
    ctx: typer.Context,
    # Text, not a path: a PostgreSQL store's URL must keep its '//' (store.db.resolve_db reads either).
    db: Annotated[str | None, typer.Option("--db", help="The store: a DuckDB file, or a postgresql:// URL (default: "
                                           "$OVERSIGHT_DB or data/oversight.duckdb).")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Configuration file with users and roles "
                                                "(default: $OVERSIGHT_CONFIG or ./oversight.toml).")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Who is acting (default: $OVERSIGHT_USER).")] = None,
    version: Annotated[bool, typer.Option("--version", help="Print the installed version and exit.",
                                          callback=_version, is_eager=True)] = False,
) -> None:
    """Oversight of a call-centre processor's GDPR request handling."""
    ctx.obj = Context(db, config, user)


def main() -> None:
    """Entry point of the `oversight` console script."""
    app()


if __name__ == "__main__":
    main()

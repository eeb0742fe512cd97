"""The `oversight` command: JSON contract (docs/architecture.md), exit codes, messages, help with examples."""

from __future__ import annotations

import json

import pytest
import typer
import typer.core
import typer.main

from cli import COMMANDS, app
from tests.conftest import HEADER_NL, database_held, nl_row, run_cli


def test_ingest_json_contract(cli_env, write_csv):
    path = write_csv("belcall_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2", received="31/02/2026")])
    code, out, _ = run_cli("ingest", "--profile", "default",
                           str(path), "--processor", "Belcall", "--submitted-on", "2026-11-05",
                           "--format", "json")
    assert code == 0
    [doc] = json.loads(out)
    assert {k: doc[k] for k in ("file", "status", "rows_read", "rows_loaded", "rows_quarantined", "rows_skipped")} \
        == {"file": "belcall_2026-10.csv", "status": "loaded", "rows_read": 2, "rows_loaded": 1,
            "rows_quarantined": 1, "rows_skipped": 0}
    assert isinstance(doc["submission_id"], int)
    code, out, _ = run_cli("ingest", "--profile", "default", str(path), "--processor", "Belcall", "--format", "json")
    assert json.loads(out)[0]["status"] == "duplicate"


def test_cases_json_uses_canonical_names_and_iso_dates(cli_env, write_csv):
    path = write_csv("belcall_2026-10.csv", [HEADER_NL, nl_row("BC-1", responded="09-10-2026", outcome="Uitgevoerd")])
    assert run_cli("ingest", "--profile", "default",
                   str(path), "--processor", "Belcall", "--submitted-on", "2026-11-05")[0] == 0
    code, out, _ = run_cli("cases", "--processor", "Belcall", "--period", "2026-10", "--format", "json")
    [case] = json.loads(out)
    assert code == 0
    assert case["case_id"] == "BC-1" and case["received_on"] == "2026-10-05" and case["responded_on"] == "2026-10-09"
    assert case["request_type"] == "access" and case["outcome"] == "fulfilled" and case["identity_verified"] is True
    assert len(case["data_subject_ref"]) == 64  # a pseudonym, never the customer number


def test_quarantine_and_reports_outputs(cli_env, write_csv):
    path = write_csv("belcall_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("=HYPERLINK()", kind="Adres")])
    run_cli("ingest", "--profile", "default", str(path), "--processor", "Belcall", "--submitted-on", "2026-11-05")
    code, out, _ = run_cli("quarantine", "--format", "json")
    [row] = json.loads(out)
    assert code == 0 and row["reasons"] == ["unknown_value"] and row["source_row"] == 3
    _, out, _ = run_cli("quarantine", "--format", "csv")
    assert "'=HYPERLINK()" in out  # formula injection defused in CSV output
    _, out, _ = run_cli("reports", "--format", "json")
    [report] = json.loads(out)
    assert report["status"] == "current" and report["rows_read"] == 2


def test_refused_file_exits_non_zero_with_a_message_and_no_traceback(cli_env, write_csv):
    path = write_csv("x_2026-10.csv", ["Dossier nr.;Binnengekomen;Wat", "1;05-10-2026;Inzage"])
    code, out, err = run_cli("ingest", "--profile", "default", str(path), "--processor", "Belcall")
    assert code == 2
    assert '"Dossier nr."' in err and "case_id" in err and "--mapping FILE" in err
    assert "Traceback" not in err + out


def test_mapping_file_maps_unknown_headers_and_is_remembered(cli_env, write_csv, tmp_path):
    mapping = tmp_path / "map.toml"
    mapping.write_text('"Dossier nr." = "case_id"\n"Binnengekomen" = "received_on"\n"Wat" = "request_type"\n')
    first = write_csv("x_2026-10.csv", ["Dossier nr.;Binnengekomen;Wat", "1;05-10-2026;Inzage"])
    assert run_cli("ingest", "--profile", "default",
                   str(first), "--processor", "Belcall", "--mapping", str(mapping))[0] == 0
    second = write_csv("x_2026-11.csv", ["Dossier nr.;Binnengekomen;Wat", "2;05-11-2026;Klacht"])
    code, out, err = run_cli("ingest", "--profile", "default",
                             str(second), "--processor", "Belcall", "--submitted-on", "2026-11-28")
    assert code == 0, err
    code, out, _ = run_cli("mapping", "show", "--processor", "Belcall")
    assert '"Dossier nr." = "case_id"' in out


def test_bad_mapping_file_names_the_line(cli_env, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('"Dossier nr." = "case_number"\n')
    code, _, err = run_cli("mapping", "save", str(bad), "--processor", "Belcall")
    assert code == 2 and '"Dossier nr." maps to "case_number"' in err


def test_permission_is_enforced_for_the_cli_user(cli_env, write_csv):
    (cli_env.folder / "oversight.toml").write_text('[users.vera]\nroles = ["viewer"]\n')
    path = write_csv("b_2026-10.csv", [HEADER_NL, nl_row("BC-1")])
    code, _, err = run_cli("--user", "vera", "ingest", str(path), "--processor", "Belcall")
    assert code == 2 and "may not ingest a report" in err


def test_locked_database_gives_a_message_not_a_traceback(cli_env, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_DB_WAIT", "0.5")  # issue 16: a command waits that long, then says the file is busy
    with database_held(cli_env.db):
        code, _, err = run_cli("reports")
    assert code == 2 and "is busy: another program" in err and "0.5 s" in err and "Traceback" not in err


def _commands() -> list[list[str]]:
    group, ctx = _group()
    found = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if hasattr(command, "commands"):
            found += [[name, sub] for sub in command.commands]
        else:
            found.append([name])
    return found


def _group() -> tuple[typer.core.TyperGroup, typer.Context]:
    group = typer.main.get_command(app)
    return group, typer.Context(group)


def test_the_listing_says_what_each_command_says_of_itself():
    # `oversight --help` lists cli.COMMANDS without importing them: each summary must be its command's own first line.
    group, ctx = _group()
    assert group.list_commands(ctx) == list(COMMANDS)
    for name, lazy in COMMANDS.items():
        own = " ".join((group.get_command(ctx, name).help or "").split("\n\n")[0].split())
        assert own == lazy.summary, name


def test_version_is_the_installed_distributions():
    from importlib.metadata import version

    code, out, _ = run_cli("--version")
    assert code == 0 and out.strip() == f"oversight {version('processor-oversight')}"


def test_a_mistyped_command_is_named_with_the_nearest_one():
    code, _, err = run_cli("sampel", "list")
    assert code == 2 and "No such command 'sampel'" in err and "Did you mean 'sample'?" in err


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_every_command_has_help_with_an_example(command):
    code, out, _ = run_cli(*command, "--help")
    assert code == 0
    assert "Example: oversight " + " ".join(command) in " ".join(out.split())

"""Minimisation through every front door (issue 17 item 1): the CLI's ingest and the processor's own upload take the
profile's agent_ids and the configuration's [ingest] keep_notes (from --config too), not only the service."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from checks.contract import contracts_dir
from portal.reports import upload_report
from store.db import connect
from store.identity import User
from tests.conftest import config_file, run_cli

PROCESSOR = "Testcall BV"
NOTE = "Mevrouw Wuyts belde over haar dossier"
HEADER = "Case ID;Received;Request type;Customer ID;Agent;Commentaire"


def _report(folder: Path, name: str, cases: int = 2) -> Path:
    path = folder / name
    rows = [f"N-{i};0{i}/10/2026;access;CUST-{i};Marieke Vandenbroucke;{NOTE} {i}" for i in range(1, cases + 1)]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def names_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A contracts folder with a profile whose agent column holds names."""
    folder = tmp_path / "contracts"
    shutil.copytree(contracts_dir(), folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (folder / "names.toml").write_text('name = "names"\nextends = "default"\ntitle = "Names"\n'
                                       '[parameters]\nagent_ids = "names"\n', encoding="utf-8")
    monkeypatch.setenv("OVERSIGHT_CONTRACTS", str(folder))
    return "names"


def _stored(db: Path) -> list[tuple[object, object]]:
    con = connect(db)
    try:
        return con.execute("SELECT agent_id, summary FROM cases ORDER BY case_id").fetchall()
    finally:
        con.close()


def test_the_cli_ingest_pseudonymises_agent_names_and_keeps_notes_only_as_configured(cli_env, names_profile):
    report = _report(cli_env.folder, "testcall_2026-10.csv")
    code, _, err = run_cli("ingest", str(report), "--processor", PROCESSOR, "--profile", names_profile)
    assert code == 0, err
    stored = _stored(cli_env.db)
    assert stored and all(agent != "Marieke Vandenbroucke" and len(str(agent)) == 64 for agent, _ in stored)
    assert all(note is None for _, note in stored)  # not kept by default

    # Another database, a configuration given with --config (not found by the environment) that keeps notes.
    (cli_env.folder / "elsewhere").mkdir()
    config = config_file(cli_env.folder / "elsewhere", '[access]\nmode = "local"\n[ingest]\nkeep_notes = true\n')
    other = cli_env.folder / "other.duckdb"
    code, _, err = run_cli("--db", str(other), "--config", str(config), "ingest", str(report), "--processor",
                           PROCESSOR, "--profile", names_profile)
    assert code == 0, err
    assert [note for _, note in _stored(other)] == [f"{NOTE} 1", f"{NOTE} 2"]


def test_the_processors_own_upload_takes_the_profile_and_the_configuration(con, officer, ingest, key_path, tmp_path,
                                                                           names_profile):
    ingest(_report(tmp_path, "testcall_2026-09.csv"), processor=PROCESSOR, period="2026-09", profile=names_profile)
    user = User("piet", ("processor",), processor=PROCESSOR)
    result = upload_report(con, user, _report(tmp_path, "testcall_2026-10.csv", 3), key_path=key_path,
                           keep_notes=False)
    assert result.status == "loaded", result
    found = con.execute("SELECT agent_id, summary FROM cases JOIN submissions USING (submission_id) "
                        "WHERE period = '2026-10'").fetchall()
    assert len(found) == 3 and all(a != "Marieke Vandenbroucke" and s is None for a, s in found)


def test_the_scheduled_loader_pseudonymises_agent_names_too(cli_env, names_profile):
    """The cron loader (`oversight inbox ingest`) is a front door like the others: the profile's agent_ids holds."""
    first = _report(cli_env.folder, "testcall_2026-09.csv")
    code, _, err = run_cli("ingest", str(first), "--processor", PROCESSOR, "--profile", names_profile)
    assert code == 0, err
    inbox = cli_env.folder / "inbox"
    (inbox / PROCESSOR).mkdir(parents=True)
    _report(inbox / PROCESSOR, "testcall_2026-10.csv", 3)
    code, out, err = run_cli("inbox", "ingest", "--inbox", str(inbox))
    assert code == 0, out + err
    con = connect(cli_env.db)
    try:
        found = con.execute("SELECT agent_id, summary FROM cases JOIN submissions USING (submission_id) "
                            "WHERE period = '2026-10'").fetchall()
    finally:
        con.close()
    assert len(found) == 3 and all(a != "Marieke Vandenbroucke" and s is None for a, s in found)

"""Issue 16 item 1: one machine, many processes. The dashboard (AppTest, in this process) and the commands (real
`oversight` processes) work on the same embedded DuckDB file at the same time: each holds it for a unit of work,
waits (bounded) while another holds it, and says clearly who held it too long; readers never keep each other out;
the README's scheduled loader ingests while pages are served; a backup made meanwhile restores.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from streamlit.testing.v1 import AppTest

from commands.common import READ_ONLY_COMMANDS
from store.backup import contents
from store.db import connect
from tests.conftest import HEADER_NL, ROOT, AppEnv, copy_demo, database_held, nl_row, run_cli

OVERSIGHT = [sys.executable, "-m", "cli"]
PAGES = ["app/overview.py", "app/reports.py", "app/checks.py", "app/findings.py", "app/audit.py"]
BELCALL = "Belcall Antwerpen BV"


def command_env(env: AppEnv, **extra: str) -> dict[str, str]:
    """The environment of an `oversight` process on the dashboard's database, key and configuration."""
    found = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")}
    return found | {"OVERSIGHT_DB": str(env.db), "OVERSIGHT_KEY_FILE": str(env.key),
                    "OVERSIGHT_CONFIG": str(env.config)} | extra


def start(args: list[str], env: Mapping[str, str]) -> subprocess.Popen[str]:
    """An `oversight` process; its output goes to files, so that it never blocks on a full pipe (holding the database)
    while the test is busy serving pages."""
    out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed by finish)
    process = subprocess.Popen([*OVERSIGHT, *args], cwd=ROOT, env=dict(env), stdout=out, stderr=err, text=True)
    _OUTPUT[process.pid] = (out, err)
    return process


_OUTPUT: dict[int, tuple[IO[str], IO[str]]] = {}


def finish(process: subprocess.Popen[str], timeout: float = 180) -> tuple[int, str, str]:
    process.wait(timeout=timeout)
    texts = []
    for stream in _OUTPUT.pop(process.pid):
        stream.seek(0)
        texts.append(stream.read())
        stream.close()
    return process.returncode, texts[0], texts[1]


def serve_pages(at: AppTest, busy: list[subprocess.Popen[str]], least: int = 3, limit: float = 240) -> int:
    """Run the dashboard's pages one after another until every process in `busy` has ended (at least `least` runs);
    every run must end without an exception or an error on the page. Returns the number of runs."""
    runs, deadline = 0, time.monotonic() + limit
    while (runs < least or any(p.poll() is None for p in busy)) and time.monotonic() < deadline:
        at.switch_page(PAGES[runs % len(PAGES)]).run()
        assert not at.exception, at.exception
        assert not at.error, [e.value for e in at.error]
        runs += 1
    return runs


def dashboard() -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    return at


def report(folder: Path, name: str, month: str, ids: list[str]) -> Path:
    """A Belcall report of `month` (YYYY-MM) with these case ids."""
    folder.mkdir(parents=True, exist_ok=True)
    year, mm = month.split("-")
    path = folder / name
    path.write_text("\n".join([HEADER_NL, *(nl_row(i, received=f"05-{mm}-{year}") for i in ids)]) + "\n",
                    encoding="utf-8")
    return path


# --- the dashboard and commands at the same time -----------------------------------------------------------------

def test_the_dashboard_and_commands_run_at_the_same_time(checked_demo_db: Path, app_env: AppEnv,
                                                         tmp_path: Path) -> None:
    at = dashboard()
    env = command_env(app_env)
    users = tmp_path / "users.toml"
    users.write_text('[users.olivia]\nroles = ["compliance_officer"]\n', encoding="utf-8")
    busy = [start(["reports"], env), start(["check"], env),
            start(["--user", "olivia", "user", "add", "vera", "--role", "viewer", "--no-password", "--config",
                   str(users)], env),
            start(["audit", "verify"], env)]
    runs = serve_pages(at, busy)
    for process in busy:
        code, out, err = finish(process)
        assert code == 0 and "Traceback" not in err, (process.args, out, err)
    assert runs >= 3
    con = connect(app_env.db, read_only=True)
    try:
        actions = [r[0] for r in con.execute("SELECT action FROM audit_events ORDER BY seq").fetchall()]
    finally:
        con.close()
    assert "user.added" in actions and actions.count("checks.run") >= 2  # the demo's run and this one


def test_a_long_write_makes_a_read_wait_then_succeed(checked_demo_db: Path, app_env: AppEnv) -> None:
    env = command_env(app_env, OVERSIGHT_DB_WAIT="30")
    with database_held(app_env.db, 2.0) as holder:
        began = time.monotonic()
        reader = start(["reports", "--format", "json"], env)
        code, out, err = finish(reader)
        waited = time.monotonic() - began
        assert holder.poll() is not None or waited >= 1.0
    assert code == 0 and json.loads(out) and not err, err
    assert waited >= 1.0  # it waited for the holder rather than being refused


def test_a_hold_beyond_the_bound_gives_the_clear_message(checked_demo_db: Path, app_env: AppEnv) -> None:
    env = command_env(app_env, OVERSIGHT_DB_WAIT="1")
    with database_held(app_env.db, 60) as holder:
        began = time.monotonic()
        code, out, err = finish(start(["reports"], env))
        waited = time.monotonic() - began
    assert code == 2 and "Traceback" not in err and not out
    assert f"is busy: another program (PID {holder.pid}" in err and "longer than 1 s" in err
    assert "stop the dashboard" not in err.lower()
    assert 0.9 <= waited < 20


def test_a_page_waits_while_another_program_writes_and_shows_no_error(checked_demo_db: Path,
                                                                     app_env: AppEnv) -> None:
    at = dashboard()
    with database_held(app_env.db, 2.0):
        began = time.monotonic()
        at.switch_page("app/reports.py").run()
        waited = time.monotonic() - began
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    assert waited >= 1.0
    assert "Submission history" in [h.value for h in at.subheader]


def test_readers_never_keep_each_other_out(checked_demo_db: Path, app_env: AppEnv, monkeypatch) -> None:
    """Every command that only reads opens the file read-only: each runs while another program reads it (a backup, a
    report), while a command that writes must wait for that program."""
    for name, value in command_env(app_env, OVERSIGHT_DB_WAIT="0").items():
        monkeypatch.setenv(name, value)
    con = connect(app_env.db, read_only=True)
    try:
        case_id = con.execute("SELECT min(case_id) FROM current_cases WHERE case_id LIKE 'BC-%'").fetchall()[0][0]
        finding = con.execute("SELECT min(finding_id) FROM findings").fetchall()[0][0]
    finally:
        con.close()
    calls = {"reports": ["reports"], "cases": ["cases"], "quarantine": ["quarantine"], "audit list": ["audit", "list"],
             "audit verify": ["audit", "verify"], "findings list": ["findings", "list"],
             "case show": ["case", "show", case_id, "--processor", BELCALL],
             "mapping show": ["mapping", "show", "--processor", BELCALL]}
    if finding is not None:
        calls["findings show"] = ["findings", "show", finding]
    assert set(calls) | {"findings show"} == READ_ONLY_COMMANDS  # a new read-only command is tested here too
    with database_held(app_env.db, 60, read_only=True):
        for name, args in calls.items():
            result = run_cli(*args)
            assert result.code == 0, (name, result.err)
        refused = run_cli("check")
    assert refused.code == 2 and "held by another program" in refused.err


# --- the scheduled loader: the README's crontab line ------------------------------------------------------------

def crontab_line() -> str:
    """The README's scheduled-loader recipe: the one crontab line under "Scheduled loader"."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("Scheduled loader"):]
    return next(line.strip() for line in section.splitlines() if "oversight inbox ingest" in line
                and re.match(r"\s*[\d*/,-]+\s+[\d*/,-]+\s+[\d*/,-]+\s+[\d*/,-]+\s+[\d*/,-]+\s+cd ", line))


def test_the_readme_loader_recipe_ingests_while_the_dashboard_serves(checked_demo_files, tmp_path: Path,
                                                                      monkeypatch) -> None:
    line = crontab_line()
    command = line.split(None, 5)[5]  # after the five schedule fields
    folder = tmp_path / "srv"
    match = re.match(r"cd (\S+) && ", command)
    assert match, line
    command = command.replace(match[1], shlex.quote(str(folder)), 1)
    command = command.replace(".venv/bin/oversight", shlex.quote(str(Path(sys.executable).parent / "oversight")))
    data = folder / "data"
    db = copy_demo(checked_demo_files, data / "oversight.duckdb", data / "oversight.key")
    (folder / "oversight.toml").write_text('[users.olivia]\nroles = ["compliance_officer"]\n\n'
                                           '[users.loader]\nroles = ["loader"]\n', encoding="utf-8")
    inbox = data / "inbox" / BELCALL
    report(inbox, "belcall_2026-11.csv", "2026-11", ["BC-9001", "BC-9002"])
    report(inbox, "belcall_2026-12.csv", "2026-12", ["BC-9101", "BC-9102", "BC-9103"])
    # The dashboard of this deployment, as its service starts it (users without a sign-in: OVERSIGHT_USER).
    monkeypatch.setenv("OVERSIGHT_DB", str(db))
    monkeypatch.setenv("OVERSIGHT_KEY_FILE", str(data / "oversight.key"))
    monkeypatch.setenv("OVERSIGHT_CONFIG", str(folder / "oversight.toml"))
    monkeypatch.setenv("OVERSIGHT_USER", "olivia")
    monkeypatch.chdir(ROOT)
    at = dashboard()
    cron = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")}  # cron's bare environment
    loader = subprocess.Popen(["/bin/sh", "-c", command], env=cron, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)  # the line sends everything to its log: nothing fills these pipes
    serve_pages(at, [loader])
    out, err = loader.communicate(timeout=180)
    code = loader.returncode
    assert code == 0 and not out and not err, (out, err)  # everything went to the log the line names
    log = (folder / "data" / "loader.log").read_text(encoding="utf-8")
    assert "belcall_2026-11.csv: loaded" in log and "belcall_2026-12.csv: loaded" in log, log
    assert sorted(p.name for p in (data / "inbox" / "processed" / BELCALL).iterdir()) == [
        "belcall_2026-11.csv", "belcall_2026-12.csv"]
    con = connect(db, read_only=True)
    try:
        loaded = con.execute("SELECT period, ingested_by FROM submissions WHERE period >= '2026-11' "
                             "ORDER BY period").fetchall()
        roles = con.execute("SELECT DISTINCT role FROM audit_events WHERE user_name = 'loader'").fetchall()
    finally:
        con.close()
    assert loaded == [("2026-11", "loader"), ("2026-12", "loader")] and roles == [("loader",)]
    at.switch_page("app/reports.py").run()  # the dashboard sees what the loader ingested
    assert not at.exception and not at.error
    # The loader may only ingest.
    refused = subprocess.run([*OVERSIGHT, "--user", "loader", "check"], cwd=folder, env=cron, capture_output=True,
                             text=True, timeout=120)
    assert refused.returncode == 2 and "may not run the checks" in refused.stderr


def test_a_refused_inbox_file_stays_and_is_skipped_by_the_next_run(checked_demo_db: Path, app_env: AppEnv,
                                                                    monkeypatch) -> None:
    for name, value in command_env(app_env).items():
        monkeypatch.setenv(name, value)
    inbox = app_env.db.parent / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "stray.csv").write_text("not a report\n", encoding="utf-8")
    first = run_cli("inbox", "ingest", "--format", "json")
    assert first.code == 1 and json.loads(first.out)[0]["status"] == "refused"
    again = run_cli("inbox", "ingest")
    assert again.code == 0 and "stray.csv: skipped, refused before" in again.out
    assert (inbox / "stray.csv").exists()


# --- backup while the dashboard runs, and a restore -------------------------------------------------------------

def test_a_backup_made_while_the_dashboard_runs_restores(checked_demo_db: Path, app_env: AppEnv,
                                                         tmp_path: Path) -> None:
    at = dashboard()
    env = command_env(app_env)
    target = tmp_path / "backups" / "oversight-2026-11-30.duckdb"
    busy = [start(["backup", str(target), "--format", "json"], env), start(["check"], env)]
    serve_pages(at, busy)
    (code, out, err), (check_code, _, check_err) = finish(busy[0]), finish(busy[1])
    assert code == 0 and check_code == 0, (err, check_err)
    made = json.loads(out)
    assert made["path"] == str(target) and (target.stat().st_mode & 0o777) == 0o600
    # Restore (docs/deployment.md): the copy and the key files in place, then verify.
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copyfile(target, restored / "oversight.duckdb")
    for key in (app_env.key, app_env.key.with_name("audit.key")):
        shutil.copyfile(key, restored / key.name)
        (restored / key.name).chmod(0o600)
    restored_env = env | {"OVERSIGHT_DB": str(restored / "oversight.duckdb"),
                          "OVERSIGHT_KEY_FILE": str(restored / app_env.key.name)}
    code, out, err = finish(start(["audit", "verify", "--format", "json"], restored_env))
    assert code == 0 and json.loads(out)["ok"], (out, err)
    copy = connect(restored / "oversight.duckdb", read_only=True)
    try:
        tables, events, head = contents(copy)
    finally:
        copy.close()
    assert (tables, events, head) == (made["tables"], made["events"], made["head"])
    assert tables["submissions"] > 0 and events > 0
    same = [finish(start(["reports", "--format", "json"], e))[1] for e in (env, restored_env)]
    assert same[0] == same[1]
    # A backup never overwrites a file.
    code, _, err = finish(start(["backup", str(target)], env))
    assert code == 2 and "already exists" in err and "Traceback" not in err

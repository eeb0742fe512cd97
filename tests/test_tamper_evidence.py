"""Evidence that shows tampering (issue 18, item 4): a keyed chain, anchors outside the database, the tables and the
digests of what each event wrote, checked by `oversight audit verify` in a fresh process after a second process has
edited the database file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from datetime import date
from io import BytesIO
from pathlib import Path

import duckdb
import pytest
from docx import Document
from openpyxl import load_workbook

from exports.letter import letter_bytes
from exports.pack import pack_bytes
from findings.raising import raise_from_checks
from store import audit, evidence
from store.db import connect, transaction
from store.identity import ROLES, User
from tests.conftest import HEADER_NL, ROOT, CliEnv, nl_row, run_cli

OFFICER = User("olivia", ROLES)
BELCALL = "Belcall Antwerpen BV"
# The last commit before the chain was keyed: its code writes a trail of plain SHA-256 events without digests.
BEFORE_KEYED = "146110e"


def oversight(*args: str, env: dict[str, str], cwd: Path, root: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run `oversight ARGS` (from `root`'s code) in a fresh interpreter, as a user's shell does."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")}
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={**base, "PYTHONPATH": str(root), "OVERSIGHT_DEMO": "0", **env}, timeout=300)


def second_process(db: Path, *statements: str) -> None:
    """Another program editing the database file directly (a DuckDB shell, a script): never through the tool."""
    script = "import duckdb, sys\ncon = duckdb.connect(sys.argv[1])\nfor s in sys.argv[2:]:\n    con.execute(s)\n" \
             "con.close()\n"
    subprocess.run([sys.executable, "-c", script, str(db), *statements], check=True, timeout=60)


def verify(env: dict[str, str], cwd: Path, *extra: str) -> tuple[int, dict[str, object]]:
    done = oversight("audit", "verify", "--format", "json", *extra, env=env, cwd=cwd)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


@pytest.fixture
def ingested(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """Two reports ingested by the real command: the environment to run `oversight` on them, and their folder."""
    env = {"OVERSIGHT_DB": str(tmp_path / "data" / "oversight.duckdb"),
           "OVERSIGHT_KEY_FILE": str(tmp_path / "keys" / "oversight.key")}
    for name, rows in (("belcall_2026-09.csv", ["BC-1", "BC-2"]), ("belcall_2026-10.csv", ["BC-3"])):
        (tmp_path / name).write_text("\n".join([HEADER_NL, *(nl_row(r) for r in rows)]) + "\n", encoding="utf-8")
        done = oversight("ingest", "--profile", "default",
                         str(tmp_path / name), "--processor", BELCALL, env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    return env, tmp_path


def test_the_chain_is_keyed_with_audit_key_beside_the_pseudonymisation_key(ingested) -> None:
    env, folder = ingested
    key = folder / "keys" / "audit.key"
    assert key.stat().st_mode & 0o777 == 0o600 and len(bytes.fromhex(key.read_text())) == 32
    code, doc = verify(env, folder)
    assert code == 0 and doc["ok"] and doc["events"] == 2 and doc["unkeyed"] == 0
    assert str(doc["head"]).startswith("hmac-sha256:")
    # [paths] audit_key_file puts it elsewhere: a new database there gets its key there.
    config = folder / "oversight.toml"
    config.write_text(f'[access]\nmode = "local"\n[paths]\naudit_key_file = "{folder / "vault" / "chain.key"}"\n',
                      encoding="utf-8")
    other = {**env, "OVERSIGHT_DB": str(folder / "other.duckdb"), "OVERSIGHT_CONFIG": str(config)}
    assert oversight("ingest", "--profile", "default",
                     str(folder / "belcall_2026-10.csv"), "--processor", BELCALL, env=other,
                     cwd=folder).returncode == 0
    assert (folder / "vault" / "chain.key").exists()
    assert verify(other, folder)[0] == 0


def test_an_event_rehashed_or_forged_without_the_key_is_found(ingested) -> None:
    env, folder = ingested
    db = Path(env["OVERSIGHT_DB"])
    con = duckdb.connect(str(db))
    [(seq, at, user, role, action, obj, details, prev)] = con.execute(
        "SELECT seq, occurred_at, user_name, role, action, object, CAST(details AS VARCHAR), prev_hash "
        "FROM audit_events WHERE seq = 2").fetchall()
    con.close()
    # Who can write the database but not read the key recomputes the edited event's hash as the old chain did.
    rehashed = audit._event_hash(prev, seq, at.isoformat(timespec="microseconds"), "mallory", role, action, obj,
                                 details)
    second_process(db, f"UPDATE audit_events SET user_name = 'mallory', hash = '{rehashed}' WHERE seq = 2")
    code, doc = verify(env, folder)
    assert code == 1 and (doc["broken_at"], doc["intact"]) == (2, False)
    assert "unkeyed hash after the keyed chain began" in str(doc["reason"])
    # A forged keyed-looking event cannot match the HMAC either.
    second_process(db, f"UPDATE audit_events SET user_name = '{user}', hash = 'hmac-sha256:' || repeat('a', 64) "
                       "WHERE seq = 2")
    code, doc = verify(env, folder)
    assert code == 1 and doc["broken_at"] == 2 and "edited" in str(doc["reason"])


def test_an_emptied_or_cut_trail_is_found_against_the_anchor_and_the_tables(ingested) -> None:
    env, folder = ingested
    done = oversight("audit", "anchor", env=env, cwd=folder)
    assert done.returncode == 0 and "Anchored event 2" in done.stdout
    anchors = folder / "keys" / "audit-anchors.jsonl"
    [line] = anchors.read_text().splitlines()
    assert json.loads(line)["events"] == 2
    second_process(Path(env["OVERSIGHT_DB"]), "DELETE FROM audit_events WHERE seq = 2")
    code, doc = verify(env, folder)
    assert code == 1 and doc["intact"]  # what is left of the chain holds: only the outside shows the cut
    whats = [p["what"] for p in doc["problems"]]
    assert any("the trail was cut short: the anchor of" in w and "records 2 events, the trail now has 1" in w
               for w in whats)
    assert {"object": "submission:2", "seq": None} in [{k: p[k] for k in ("object", "seq")} for p in doc["problems"]]
    second_process(Path(env["OVERSIGHT_DB"]), "DELETE FROM audit_events")
    done = oversight("audit", "verify", env=env, cwd=folder)
    assert done.returncode == 1
    assert "chain intact: 0 events" in done.stderr
    assert "submission:1: in the submissions table, but the trail has no report.ingested" in done.stderr
    # Emptied, with the anchor kept elsewhere: found by the anchor alone too.
    assert "records 2 events, the trail now has 0" in done.stderr


def test_anchor_to_standard_output_writes_no_file(ingested) -> None:
    env, folder = ingested
    done = oversight("audit", "anchor", "--to", "-", env=env, cwd=folder)
    assert done.returncode == 0 and json.loads(done.stdout)["events"] == 2
    assert not (folder / "keys" / "audit-anchors.jsonl").exists()


def test_direct_edits_of_data_are_reported_with_the_event_they_contradict(checked_demo_db: Path, key_path: Path,
                                                                          tmp_path: Path) -> None:
    con = connect(checked_demo_db)
    try:
        raise_from_checks(con, OFFICER, today=date(2026, 11, 28), processor=BELCALL, period="2026-10")
        ids = dict(con.execute(
            "SELECT object, max(seq) FROM audit_events WHERE details->>'digest' IS NOT NULL GROUP BY object"
        ).fetchall())
        [(submission,)] = con.execute(
            "SELECT submission_id FROM submissions s JOIN processors p USING (processor_id) "
            "WHERE p.name = ? AND period = '2026-10' AND status = 'current'", [BELCALL]).fetchall()
        [(finding,)] = con.execute("SELECT min(finding_id) FROM findings").fetchall()
        [(run,)] = con.execute("SELECT max(run_id) FROM check_runs").fetchall()
        [(other,)] = con.execute("SELECT min(submission_id) FROM submissions WHERE submission_id <> ?",
                                 [submission]).fetchall()
    finally:
        con.close()
    env = {"OVERSIGHT_DB": str(checked_demo_db), "OVERSIGHT_KEY_FILE": str(key_path)}
    assert verify(env, tmp_path)[0] == 0
    second_process(
        checked_demo_db,
        f"UPDATE cases SET responded_on = received_on WHERE submission_id = {submission} AND source_row = "
        f"(SELECT min(source_row) FROM cases WHERE submission_id = {submission})",
        f"UPDATE findings SET status = 'closed' WHERE finding_id = '{finding}'",
        f"DELETE FROM exceptions WHERE run_id = {run} AND rowid = (SELECT min(rowid) FROM exceptions "
        f"WHERE run_id = {run})",
        f"UPDATE submissions SET rows_loaded = rows_loaded - 1 WHERE submission_id = {other}",
    )
    code, doc = verify(env, tmp_path)
    assert code == 1 and doc["intact"]
    found = {p["object"]: p for p in doc["problems"]}
    for obj in (f"submission:{submission}", f"finding:{finding}", f"check_run:{run}", f"submission:{other}"):
        assert found[obj]["seq"] == ids[obj], obj  # named with the event it contradicts
    assert "status, owner, due date" in found[f"finding:{finding}"]["what"]
    assert "results or exceptions" in found[f"check_run:{run}"]["what"]
    assert len(found) == 4


def test_a_purge_that_lists_what_it_removed_is_accounted_for(ingested, monkeypatch: pytest.MonkeyPatch) -> None:
    env, folder = ingested
    monkeypatch.setenv("OVERSIGHT_KEY_FILE", env["OVERSIGHT_KEY_FILE"])  # where this database's audit key is
    con = connect(Path(env["OVERSIGHT_DB"]))
    try:
        with transaction(con):
            con.execute("DELETE FROM cases WHERE submission_id = 1")
            con.execute("DELETE FROM quarantine WHERE submission_id = 1")
            con.execute("DELETE FROM submissions WHERE submission_id = 1")
            audit.append_event(con, user="olivia", role="compliance_officer", action="retention.purged",
                               obj="processor:" + BELCALL, details={"removed": {"submission:1": "v1:…"}})
    finally:
        con.close()
    code, doc = verify(env, folder)
    assert code == 0, doc["problems"]


def test_a_missing_key_refuses_appending_and_verify_says_what_to_do(ingested) -> None:
    env, folder = ingested
    (folder / "keys" / "audit.key").rename(folder / "audit.key.bak")
    done = oversight("ingest", "--profile", "default",
                     str(folder / "belcall_2026-10.csv"), "--processor", "Other BV", env=env, cwd=folder)
    assert done.returncode == 2 and "The audit key" in done.stderr and "Restore the key file" in done.stderr
    code, doc = verify(env, folder)
    assert code == 1 and doc["broken_at"] == 1 and "is missing" in str(doc["reason"])


def test_an_old_unkeyed_trail_keeps_verifying_as_what_it_is(tmp_path: Path) -> None:
    # The code of the version before, run in its own process, writes the trail of an existing deployment.
    old = tmp_path / "old-version"
    old.mkdir()
    archive = subprocess.run(["git", "archive", BEFORE_KEYED], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(old, filter="data")
    env = {"OVERSIGHT_DB": str(tmp_path / "data" / "oversight.duckdb"),
           "OVERSIGHT_KEY_FILE": str(tmp_path / "data" / "oversight.key")}
    report = tmp_path / "belcall_2026-10.csv"
    report.write_text("\n".join([HEADER_NL, nl_row("BC-1")]) + "\n", encoding="utf-8")
    assert oversight("ingest", str(report), "--processor", BELCALL, env=env, cwd=tmp_path, root=old).returncode == 0
    assert not (tmp_path / "data" / "audit.key").exists()
    code, doc = verify(env, tmp_path)
    assert code == 0 and doc["unkeyed"] == 1 and len(str(doc["head"])) == 64
    # This version goes on keyed from the next event; the old one still verifies as plain SHA-256.
    (tmp_path / "mapping.toml").write_text('"Dossier nr." = "case_id"\n', encoding="utf-8")
    assert oversight("mapping", "save", str(tmp_path / "mapping.toml"), "--processor", BELCALL, env=env,
                     cwd=tmp_path).returncode == 0
    done = oversight("audit", "verify", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "chain intact: 2 events" in done.stdout and "events 1–1 have plain SHA-256 hashes" in done.stdout


def test_the_pack_and_the_letter_carry_the_chain_head(checked_demo: duckdb.DuckDBPyConnection) -> None:
    raise_from_checks(checked_demo, OFFICER, today=date(2026, 11, 28), processor=BELCALL, period="2026-10")
    [(seq, head)] = checked_demo.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchall()
    summary = load_workbook(BytesIO(pack_bytes(checked_demo, OFFICER, BELCALL, "2026-10")))["Summary"]
    generated = next(row[1] for row in summary.iter_rows(values_only=True) if row[0] == "Generated")
    assert generated.endswith(f"audit trail event {seq}, hash {head}")
    letter = Document(BytesIO(letter_bytes(checked_demo, OFFICER, BELCALL, "docx")))
    reference = next(p.text for p in letter.paragraphs if p.text.startswith("Audit trail: "))
    assert reference == f"Audit trail: event {seq + 1}, hash " + checked_demo.execute(
        "SELECT hash FROM audit_events WHERE seq = ?", [seq + 1]).fetchall()[0][0]


def test_the_anchor_refuses_a_broken_chain(cli_env: CliEnv, write_csv) -> None:
    report = write_csv("belcall_2026-10.csv", [HEADER_NL, nl_row("BC-1")])
    assert run_cli("ingest", "--profile", "default", str(report), "--processor", BELCALL)[0] == 0
    second_process(cli_env.db, "UPDATE audit_events SET user_name = 'mallory'")
    code, _, err = run_cli("audit", "anchor")
    assert code == 1 and "Not anchored" in err
    assert not evidence.default_anchor_path(cli_env.db).exists()


def test_the_audit_page_checks_the_data_against_the_trail_on_request(app_report) -> None:
    from tests.conftest import open_dashboard_page, with_db

    at = open_dashboard_page("app/audit.py")
    assert "keyed hash" in at.success[0].value
    [check] = [b for b in at.button if b.label == "Check the data against the trail"]
    check.click().run()
    assert "match what their events recorded" in " ".join(s.value for s in at.success)
    with_db(lambda con: con.execute("UPDATE cases SET summary = 'edited' WHERE case_id = 'BC-1'"))
    [check] = [b for b in at.button if b.label == "Check the data against the trail"]
    check.click().run()
    assert "1 contradiction(s) between the data and the trail" in at.error[0].value

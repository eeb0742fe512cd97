"""`oversight audit list|verify` on a real DuckDB file, tampered with from outside the tool."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest

from tests.conftest import HEADER_NL, CliEnv, nl_row, run_cli


@pytest.fixture
def three_events(cli_env: CliEnv, write_csv) -> Path:
    """Three audited changes: an ingest, a resubmission and a mapping saved."""
    october = write_csv("belcall_2026-10.csv", [HEADER_NL, nl_row("BC-1")])
    assert run_cli("ingest", "--profile", "default",
                   str(october), "--processor", "Belcall", "--submitted-on", "2026-11-05")[0] == 0
    again = write_csv("belcall_2026-10_v2.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2")])
    assert run_cli("ingest", "--profile", "default",
                   str(again), "--processor", "Belcall", "--submitted-on", "2026-11-06")[0] == 0
    mapping = write_csv("mapping.toml", ['"Dossier nr." = "case_id"'])
    assert run_cli("mapping", "save", str(mapping), "--processor", "Belcall")[0] == 0
    return cli_env.db


def tamper(db: Path, sql: str) -> None:
    con = duckdb.connect(str(db))
    try:
        con.execute(sql)
    finally:
        con.close()


def test_verify_an_intact_trail_exits_0(three_events):
    code, out, _ = run_cli("audit", "verify")
    assert code == 0
    assert out.startswith("chain intact: 3 events")


def test_verify_names_an_edited_event_and_exits_1(three_events):
    tamper(three_events, "UPDATE audit_events SET details = '{\"rows_loaded\": 0}' WHERE seq = 2")
    code, out, err = run_cli("audit", "verify")
    assert code == 1
    assert "Audit trail chain broken at event 2: its content does not match its hash (edited)" in err
    assert "compare it with your latest backup" in err
    assert "Traceback" not in out + err


def test_verify_names_a_deleted_event_and_exits_1(three_events):
    tamper(three_events, "DELETE FROM audit_events WHERE seq = 2")
    code, _, err = run_cli("audit", "verify")
    assert code == 1
    assert "broken at event 3: event 2 is missing (deleted)" in err


def test_verify_names_a_changed_link_and_exits_1(three_events):
    tamper(three_events, "UPDATE audit_events SET prev_hash = repeat('0', 64) WHERE seq = 3")
    code, _, err = run_cli("audit", "verify")
    assert code == 1
    assert "broken at event 3: it does not hold the hash of the event before it" in err


def test_verify_json_gives_the_status_as_a_document(three_events):
    code, out, _ = run_cli("audit", "verify", "--format", "json")
    doc = json.loads(out)
    assert code == 0
    assert {k: doc[k] for k in ("intact", "events", "broken_at", "reason")} == \
        {"intact": True, "events": 3, "broken_at": None, "reason": None}
    assert doc["head"].startswith("hmac-sha256:") and len(doc["head"]) == len("hmac-sha256:") + 64
    tamper(three_events, "DELETE FROM audit_events WHERE seq = 1")
    code, out, _ = run_cli("audit", "verify", "--format", "json")
    assert code == 1
    assert json.loads(out)["broken_at"] == 2


def test_list_filters_by_action_family_and_object(three_events):
    code, out, _ = run_cli("audit", "list", "--action", "report", "--format", "json")
    events = json.loads(out)
    assert code == 0
    assert [e["action"] for e in events] == ["report.resubmitted", "report.ingested"]
    assert events[0]["details"]["supersedes"] == 1 and events[0]["object"] == "submission:2"
    _, out, _ = run_cli("audit", "list", "--object", "processor:belcall", "--format", "json")
    assert [e["action"] for e in json.loads(out)] == ["mapping.saved"]


def test_list_by_date_and_user(three_events):
    _, out, _ = run_cli("audit", "list", "--until", "2000-01-01", "--format", "json")
    assert json.loads(out) == []
    _, out, _ = run_cli("audit", "list", "--user", "nobody")
    assert out.strip() == "Nothing to show."
    code, _, err = run_cli("audit", "list", "--since", "01/11/2026")
    assert code == 2 and "--since '01/11/2026' is not a date" in err


def test_list_says_when_the_limit_cuts_the_list(three_events):
    code, out, err = run_cli("audit", "list", "--limit", "1", "--format", "json")
    assert code == 0 and len(json.loads(out)) == 1
    assert "Showing the newest 1 of 3 events; use --limit 0 for all." in err
    _, out, err = run_cli("audit", "list", "--limit", "0", "--format", "json")
    assert len(json.loads(out)) == 3 and not err


def test_list_csv_is_safe_from_formula_injection(cli_env, write_csv, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_USER", '=HYPERLINK("http://x","y")')  # no users configured: any name goes
    report = write_csv("belcall_2026-10.csv", [HEADER_NL, nl_row("BC-1")])
    assert run_cli("ingest", "--profile", "default",
                   str(report), "--processor", "Belcall", "--submitted-on", "2026-11-05")[0] == 0
    code, out, _ = run_cli("audit", "list", "--format", "csv")
    [header, row] = list(csv.reader(io.StringIO(out)))
    assert code == 0
    assert header == ["seq", "occurred_at", "user_name", "role", "action", "object", "details", "prev_hash", "hash"]
    assert row[2] == '\'=HYPERLINK("http://x","y")'

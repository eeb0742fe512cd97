"""`oversight findings ...`: the JSON interface (architecture.md), refusals as messages with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from store.db import connect
from tests.test_findings_raise import LATE, PERIOD, PROCESSOR, add_run, ensure

runner = CliRunner()
INTERFACE = {"finding_id", "processor", "period", "clause", "title", "severity", "status", "source", "case_ids",
             "due_on"}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "data" / "o.duckdb"
    monkeypatch.setenv("OVERSIGHT_DB", str(db))
    monkeypatch.setenv("OVERSIGHT_KEY_FILE", str(tmp_path / "data" / "o.key"))
    monkeypatch.delenv("OVERSIGHT_CONFIG", raising=False)
    monkeypatch.delenv("OVERSIGHT_USER", raising=False)
    monkeypatch.chdir(tmp_path)
    con = connect(db)
    ensure(con)
    add_run(con, [(LATE, "breach", "BC-2"), (LATE, "breach", "BC-1"), ("refusal.no_reason", "warning", "BC-1")])
    con.close()
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["findings", *args])
    return result.exit_code, result.stdout, result.stderr


def test_raise_from_checks_prints_the_findings_with_the_interface_fields(env):
    code, out, err = run("raise", "--from-checks", "--format", "json")
    assert code == 0, err
    raised = json.loads(out)
    assert [r["outcome"] for r in raised] == ["created", "created"]
    late = next(r for r in raised if r["source"] == f"check:{LATE}")
    assert set(late) >= INTERFACE
    assert (late["processor"], late["period"], late["clause"], late["severity"], late["status"]) == (
        PROCESSOR, PERIOD, "SCC 8(b)", "high", "open")
    assert late["case_ids"] == ["BC-1", "BC-2"] and late["finding_id"].startswith("F-")
    assert len(late["due_on"]) == 10 and late["due_on"][4] == "-"  # ISO date
    code, out, _ = run("raise", "--from-checks", "--format", "json")
    assert [r["outcome"] for r in json.loads(out)] == ["unchanged", "unchanged"]


def test_list_show_move_respond_assign_round_trip(env):
    run("raise", "--from-checks")
    code, out, _ = run("list", "--format", "json")
    listed = json.loads(out)
    assert code == 0 and len(listed) == 2 and all(set(f) >= INTERFACE for f in listed)
    finding_id = next(f["finding_id"] for f in listed if f["source"] == f"check:{LATE}")
    assert run("move", finding_id, "notified")[0] == 0
    assert run("respond", finding_id, "partially_accepted", "--text", "Only BC-1 was late.")[0] == 0
    code, out, _ = run("assign", finding_id, "--owner", "vera", "--due-on", "2027-01-15", "--format", "json")
    shown = json.loads(out)
    assert code == 0 and (shown["status"], shown["response"], shown["owner"], shown["due_on"]) == (
        "notified", "partially_accepted", "vera", "2027-01-15")
    code, out, _ = run("show", finding_id, "--format", "json")
    doc = json.loads(out)
    assert set(doc) >= INTERFACE and [e["action"] for e in doc["history"]] == ["raised", "notified", "responded",
                                                                              "assigned"]
    assert [c["case_id"] for c in doc["cases"]] == ["BC-1", "BC-2"]
    code, out, _ = run("show", finding_id)
    assert code == 0 and f"{finding_id} [notified]" in out and "cases: BC-1, BC-2" in out
    code, out, _ = run("list", "--status", "notified", "--format", "json")
    assert [f["finding_id"] for f in json.loads(out)] == [finding_id]


def test_overdue_filter_uses_the_as_of_date(env):
    run("raise", "--from-checks")
    _, out, _ = run("list", "--format", "json")
    due = sorted(f["due_on"] for f in json.loads(out))
    _, out, _ = run("list", "--overdue", "--as-of", due[0], "--format", "json")
    assert json.loads(out) == []
    _, out, _ = run("list", "--overdue", "--as-of", "2099-01-01", "--format", "json")
    assert len(json.loads(out)) == 2 and all(f["overdue"] for f in json.loads(out))


def test_raise_by_hand_and_an_unknown_clause_is_refused_with_suggestions(env):
    code, out, err = run("raise", "--processor", PROCESSOR, "--period", PERIOD, "--clause", "SCC 8(b)", "--title",
                         "Complaint right not mentioned", "--severity", "high", "--format", "json")
    assert code == 0, err
    [doc] = json.loads(out)
    assert (doc["source"], doc["outcome"], doc["title"], doc["case_ids"]) == ("manual", "created",
                                                                               "Complaint right not mentioned", [])
    code, out, err = run("raise", "--processor", PROCESSOR, "--period", PERIOD, "--clause", "SCC 8b", "--title",
                         "x", "--severity", "high")
    assert code == 2 and "Did you mean 'SCC 8(b)'" in err and "Traceback" not in err + out


def test_an_invalid_move_exits_2_naming_the_allowed_moves(env):
    run("raise", "--from-checks")
    _, out, _ = run("list", "--format", "json")
    finding_id = json.loads(out)[0]["finding_id"]
    code, out, err = run("move", finding_id, "closed")
    assert code == 2 and f"Finding {finding_id} is open and cannot move to closed. From open it can move to: " \
                         "notified, dismissed." in err
    code, _, err = run("move", finding_id, "dismissed")
    assert code == 2 and "needs a reason" in err
    assert run("move", finding_id, "dismissed", "--reason", "accepted risk")[0] == 0


@pytest.mark.parametrize(("args", "message"), [
    (["raise"], "Say what to raise from"),
    (["raise", "--from-checks", "--clause", "SCC 8(b)"], "Say what to raise from"),
    (["raise", "--clause", "SCC 8(b)", "--title", "x"], "needs --processor, --period, --severity too"),
])
def test_raise_needs_one_clear_source(env, args, message):
    code, _, err = run(*args)
    assert code == 2 and message in err


def test_a_viewer_is_refused_by_the_cli_too(env):
    (env / "oversight.toml").write_text('[users.vic]\nroles = ["viewer"]\n')
    result = runner.invoke(app, ["--user", "vic", "findings", "raise", "--from-checks"])
    assert result.exit_code == 2 and "may not raise a finding" in result.stderr


def test_list_filters_by_clause_and_severity(env):
    run("raise", "--from-checks")
    _, out, _ = run("list", "--severity", "medium", "--format", "json")
    assert [f["source"] for f in json.loads(out)] == ["check:refusal.no_reason"]
    _, out, _ = run("list", "--clause", "SCC 7.4", "--format", "json")
    assert json.loads(out) == []

"""`oversight findings ...`: the JSON interface (docs/architecture.md), refusals as messages with exit code 2."""

from __future__ import annotations

import json

import pytest

from store.db import connect
from tests.conftest import CliEnv, CliResult, run_cli
from tests.test_findings_raise import LATE, PERIOD, PROCESSOR, add_run, ensure

INTERFACE = {"finding_id", "processor", "period", "clause", "title", "severity", "status", "source", "case_ids",
             "due_on"}


@pytest.fixture
def check_run(cli_env: CliEnv) -> CliEnv:
    """The CLI's database with one check run: LATE major for BC-2 and BC-1, refusal.no_reason minor for BC-1."""
    con = connect(cli_env.db)
    ensure(con)
    add_run(con, [(LATE, "major", "BC-2"), (LATE, "major", "BC-1"), ("refusal.no_reason", "minor", "BC-1")])
    con.close()
    return cli_env


def findings(*args: str) -> CliResult:
    """Run `oversight findings <args>`."""
    return run_cli("findings", *args)


def test_raise_from_checks_prints_the_findings_with_the_interface_fields(check_run):
    code, out, err = findings("raise", "--from-checks", "--format", "json")
    assert code == 0, err
    raised = json.loads(out)
    assert [r["outcome"] for r in raised] == ["created", "created"]
    late = next(r for r in raised if r["source"] == f"check:{LATE}")
    assert set(late) >= INTERFACE
    assert (late["processor"], late["period"], late["clause"], late["severity"], late["status"]) == (
        PROCESSOR, PERIOD, "SCC 8(b)", "high", "open")
    assert late["case_ids"] == ["BC-1", "BC-2"] and late["finding_id"].startswith("F-")
    assert len(late["due_on"]) == 10 and late["due_on"][4] == "-"  # ISO date
    code, out, _ = findings("raise", "--from-checks", "--format", "json")
    assert [r["outcome"] for r in json.loads(out)] == ["unchanged", "unchanged"]


def test_list_show_move_respond_assign_round_trip(check_run):
    findings("raise", "--from-checks")
    code, out, _ = findings("list", "--format", "json")
    listed = json.loads(out)
    assert code == 0 and len(listed) == 2 and all(set(f) >= INTERFACE for f in listed)
    finding_id = next(f["finding_id"] for f in listed if f["source"] == f"check:{LATE}")
    assert findings("move", finding_id, "notified")[0] == 0
    assert findings("respond", finding_id, "partially_accepted", "--text", "Only BC-1 was late.")[0] == 0
    code, out, _ = findings("assign", finding_id, "--owner", "vera", "--due-on", "2027-01-15", "--format", "json")
    shown = json.loads(out)
    assert code == 0 and (shown["status"], shown["response"], shown["owner"], shown["due_on"]) == (
        "notified", "partially_accepted", "vera", "2027-01-15")
    code, out, _ = findings("show", finding_id, "--format", "json")
    doc = json.loads(out)
    assert set(doc) >= INTERFACE and [e["action"] for e in doc["history"]] == ["raised", "notified", "responded",
                                                                              "assigned"]
    assert [c["case_id"] for c in doc["cases"]] == ["BC-1", "BC-2"]
    code, out, _ = findings("show", finding_id)
    assert code == 0 and f"{finding_id} [notified]" in out and "cases: BC-1, BC-2" in out
    code, out, _ = findings("list", "--status", "notified", "--format", "json")
    assert [f["finding_id"] for f in json.loads(out)] == [finding_id]


def test_overdue_filter_uses_the_as_of_date(check_run):
    findings("raise", "--from-checks")
    _, out, _ = findings("list", "--format", "json")
    due = sorted(f["due_on"] for f in json.loads(out))
    _, out, _ = findings("list", "--overdue", "--as-of", due[0], "--format", "json")
    assert json.loads(out) == []
    _, out, _ = findings("list", "--overdue", "--as-of", "2099-01-01", "--format", "json")
    assert len(json.loads(out)) == 2 and all(f["overdue"] for f in json.loads(out))


def test_raise_by_hand_and_an_unknown_clause_is_refused_with_suggestions(check_run):
    code, out, err = findings("raise", "--processor", PROCESSOR, "--period", PERIOD, "--clause", "SCC 8(b)", "--title",
                              "Complaint right not mentioned", "--severity", "high", "--format", "json")
    assert code == 0, err
    [doc] = json.loads(out)
    assert (doc["source"], doc["outcome"], doc["title"], doc["case_ids"]) == ("manual", "created",
                                                                               "Complaint right not mentioned", [])
    code, out, err = findings("raise", "--processor", PROCESSOR, "--period", PERIOD, "--clause", "SCC 8b", "--title",
                              "x", "--severity", "high")
    assert code == 2 and "Did you mean 'SCC 8(b)'" in err and "Traceback" not in err + out


def test_an_invalid_move_exits_2_naming_the_allowed_moves(check_run):
    findings("raise", "--from-checks")
    _, out, _ = findings("list", "--format", "json")
    finding_id = json.loads(out)[0]["finding_id"]
    code, out, err = findings("move", finding_id, "closed")
    assert code == 2 and f"Finding {finding_id} is open and cannot move to closed. From open it can move to: " \
                         "notified, dismissed." in err
    code, _, err = findings("move", finding_id, "dismissed")
    assert code == 2 and "needs a reason" in err
    assert findings("move", finding_id, "dismissed", "--reason", "accepted risk")[0] == 0


@pytest.mark.parametrize(("args", "message"), [
    (["raise"], "Say what to raise from"),
    (["raise", "--from-checks", "--clause", "SCC 8(b)"], "Say what to raise from"),
    (["raise", "--clause", "SCC 8(b)", "--title", "x"], "needs --processor, --period, --severity too"),
])
def test_raise_needs_one_clear_source(check_run, args, message):
    code, _, err = findings(*args)
    assert code == 2 and message in err


def test_a_viewer_is_refused_by_the_cli_too(check_run):
    (check_run.folder / "oversight.toml").write_text('[users.vic]\nroles = ["viewer"]\n')
    code, _, err = run_cli("--user", "vic", "findings", "raise", "--from-checks")
    assert code == 2 and "may not raise a finding" in err


def test_list_filters_by_clause_and_severity(check_run):
    findings("raise", "--from-checks")
    _, out, _ = findings("list", "--severity", "medium", "--format", "json")
    assert [f["source"] for f in json.loads(out)] == ["check:refusal.no_reason"]
    _, out, _ = findings("list", "--clause", "SCC 7.4", "--format", "json")
    assert json.loads(out) == []

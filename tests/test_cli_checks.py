"""`oversight deadline` and `oversight check`: the JSON contract of docs/architecture.md and the refusals."""

from __future__ import annotations

import json

import pytest

from tests.conftest import HEADER_NL, nl_row, run_cli
from tests.test_checks_calendar import worked_examples


@pytest.mark.parametrize(("received", "due", "extended"), worked_examples())
def test_deadline_gives_the_reference_examples(received, due, extended):
    code, out, _ = run_cli("deadline", received.isoformat(), "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert {k: doc[k] for k in ("received_on", "due_on", "extended_due_on", "paused_days", "calendar")} == {
        "received_on": received.isoformat(), "due_on": due.isoformat(), "extended_due_on": extended.isoformat(),
        "paused_days": 0, "calendar": "BE"}


def test_deadline_applies_a_timely_identity_pause_and_judges_the_extension():
    code, out, _ = run_cli("deadline", "2026-03-05", "--id-requested-on", "2026-03-06", "--id-received-on",
                           "2026-03-16", "--extension-notified-on", "2026-04-16", "--format", "json")
    doc = json.loads(out)
    assert code == 0
    assert (doc["paused_days"], doc["due_on"], doc["extension_valid"]) == (10, "2026-04-15", False)


def test_deadline_judges_the_extension_by_its_reasons_as_the_profile_requires():
    # Art. 12(3): the person is told of the extension "together with the reasons for the delay"; the default
    # profile has extension_requires_reason = true. Received 31 Jan 2026, due Mon 2 Mar; notified on 10 Feb.
    base = ("deadline", "2026-01-31", "--country", "BE", "--extension-notified-on", "2026-02-10")
    code, out, _ = run_cli(*base, "--format", "json")
    assert code == 0 and (json.loads(out)["extension_valid"], json.loads(out)["effective_due_on"]) == (
        False, "2026-03-02")
    code, out, _ = run_cli(*base, "--extension-reason", "requests from three systems", "--format", "json")
    assert code == 0 and (json.loads(out)["extension_valid"], json.loads(out)["effective_due_on"]) == (
        True, "2026-04-30")
    code, out, _ = run_cli(*base)
    assert "INVALID (no reasons given" in out and "Mon 02 Mar 2026" in out


def test_deadline_with_another_calendar_and_text_output():
    code, out, _ = run_cli("deadline", "2026-03-03", "--country", "FR", "--subdivision", "57")
    assert code == 0
    # 3 Apr 2026 is Good Friday in Moselle (a working day in the rest of France)
    assert "Tue 07 Apr 2026" in out and "FR-57" in out


@pytest.mark.parametrize(("args", "message"), [
    (("deadline", "31/01/2026"), "is not a date"),
    (("deadline", "2026-01-31", "--country", "XX"), "no calendar for country 'XX'"),
    (("deadline", "2026-01-31", "--profile", "nope"), "no contract profile 'nope'"),
])
def test_deadline_refusals_are_messages_with_exit_code_2(args, message):
    code, _, err = run_cli(*args)
    assert code == 2 and message in err and "Traceback" not in err


def test_check_json_contract_and_stored_run(cli_env, write_csv):
    rows = [HEADER_NL, nl_row("BC-1", received="01-09-2026"), nl_row("BC-2")]
    path = write_csv("belcall_2026-10.csv", rows)
    assert run_cli("ingest", "--profile", "default",
                   str(path), "--processor", "Belcall", "--submitted-on", "2026-11-12")[0] == 0
    code, out, err = run_cli("check", "--format", "json")
    assert code == 0, err
    found = json.loads(out)
    assert found and all(set(e) == {"check_id", "severity", "processor", "period", "case_id", "clause", "details"}
                         for e in found)
    late = [e for e in found if e["check_id"] == "report.late"]
    assert late == [{"check_id": "report.late", "severity": "major", "processor": "Belcall", "period": "2026-10",
                     "case_id": None, "clause": "SL 1", "details": late[0]["details"]}]
    assert late[0]["details"]["report_due_on"] == "2026-11-10"
    code, out, _ = run_cli("check")
    assert code == 0 and out.startswith("Check run 2:")


def test_check_with_nothing_loaded_says_what_to_do(cli_env):
    code, _, err = run_cli("check", "--period", "2026-10")
    assert code == 2 and "Ingest the monthly report first" in err


def test_check_refused_for_a_vendor_manager(cli_env):
    (cli_env.folder / "oversight.toml").write_text('[users.vera]\nroles = ["vendor_manager"]\n', encoding="utf-8")
    code, _, err = run_cli("--user", "vera", "check")
    assert code == 2 and "run the checks" in err

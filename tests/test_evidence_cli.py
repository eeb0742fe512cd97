"""`oversight evidence request|list|add|get`: a real PDF sent and fetched back byte for byte, refusals with exit 2,
a processor user kept to its own requests."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import pytest

from store.audit import list_events
from store.db import connect
from store.errors import ConfigError
from store.users_file import load_config
from tests.conftest import CliEnv, run_cli
from tests.evidence_kit import APPELIA, BELCALL, draw, minimal_pdf

DUE = (date.today() + timedelta(days=10)).isoformat()


@pytest.fixture
def samples(demo_db, cli_env: CliEnv) -> tuple[str, str]:
    con = connect(demo_db)
    try:
        return draw(con).sample_id, draw(con, APPELIA, size=2, seed="evidence-seed-0002").sample_id
    finally:
        con.close()


def _request(sample_id: str) -> dict:
    code, out, err = run_cli("evidence", "request", sample_id, "--what", "The reply letter.", "--due", DUE,
                             "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_request_add_list_get_round_trip(samples, cli_env: CliEnv) -> None:
    req = _request(samples[0])
    case = req["case_ids"][0]
    pdf = minimal_pdf("Reply")
    (cli_env.folder / "reply.pdf").write_bytes(pdf)
    code, out, err = run_cli("evidence", "add", req["request_id"], case, "reply.pdf")
    assert code == 0, err
    assert hashlib.sha256(pdf).hexdigest() in out
    code, out, _ = run_cli("evidence", "list", "--format", "json")
    [listed] = json.loads(out)
    assert listed["request_id"] == req["request_id"] and listed["files"] == 1 and listed["state"] == "open"
    code, out, err = run_cli("evidence", "get", req["request_id"], case, "--out", "back.pdf")
    assert code == 0, err
    assert (cli_env.folder / "back.pdf").read_bytes() == pdf
    con = connect(cli_env.db)
    try:
        [event] = list_events(con, action="evidence.added")
    finally:
        con.close()
    assert event["details"]["sha256"] == hashlib.sha256((cli_env.folder / "back.pdf").read_bytes()).hexdigest()
    code, _, err = run_cli("evidence", "get", req["request_id"], case, "--out", "back.pdf")
    assert code == 2 and "already exists" in err


def test_refusals_exit_2_with_what_to_do(samples, cli_env: CliEnv) -> None:
    req = _request(samples[0])
    case = req["case_ids"][0]
    (cli_env.folder / "empty.pdf").write_bytes(b"")
    (cli_env.folder / "setup.pdf").write_bytes(b"MZ\x90\x00" + bytes(64))
    (cli_env.folder / "page.html").write_text("<html><script>alert(1)</script></html>")
    for name, words in (("empty.pdf", "is empty"), ("setup.pdf", "Windows program"), ("page.html", "'.html'")):
        code, _, err = run_cli("evidence", "add", req["request_id"], case, name)
        assert code == 2 and words in err and "Traceback" not in err, (name, err)
    code, _, err = run_cli("evidence", "request", samples[0], "--what", "x", "--due", "30/11/2026")
    assert code == 2 and "YYYY-MM-DD" in err


def test_oversize_is_refused_at_the_configured_limit(samples, cli_env: CliEnv) -> None:
    req = _request(samples[0])
    (cli_env.folder / "oversight.toml").write_text("[limits]\nmax_evidence_bytes = 500\n")
    (cli_env.folder / "big.pdf").write_bytes(minimal_pdf() + b"%" + b"x" * 1000)
    code, _, err = run_cli("evidence", "add", req["request_id"], req["case_ids"][0], "big.pdf")
    assert code == 2 and "at most 500 are accepted" in err


def test_a_processor_user_lists_and_reaches_only_its_own(samples, cli_env: CliEnv) -> None:
    mine, theirs = _request(samples[0]), _request(samples[1])
    (cli_env.folder / "oversight.toml").write_text(
        f'[users.bea]\nroles = ["processor"]\nprocessor = "{BELCALL}"\n'
        '[users.olivia]\nroles = ["compliance_officer"]\n')
    try:
        load_config(cli_env.folder / "oversight.toml")
    except ConfigError as exc:  # item 1 of issue 15 teaches the users file the role; until then nothing to run
        pytest.skip(f"the users file does not take a processor user yet: {exc}")
    code, out, err = run_cli("--user", "bea", "evidence", "list", "--format", "json")
    assert code == 0, err
    assert [r["request_id"] for r in json.loads(out)] == [mine["request_id"]]
    assert "sample_id" not in json.loads(out)[0]
    code, out, _ = run_cli("--user", "bea", "evidence", "list", "--processor", APPELIA, "--format", "json")
    assert json.loads(out) == []
    (cli_env.folder / "a.pdf").write_bytes(minimal_pdf())
    code, _, err = run_cli("--user", "bea", "evidence", "add", theirs["request_id"], theirs["case_ids"][0], "a.pdf")
    assert code == 2 and "No evidence request" in err
    code, _, err = run_cli("--user", "bea", "evidence", "add", mine["request_id"], mine["case_ids"][0], "a.pdf")
    assert code == 0, err

"""`oversight findings respond --response ...` (the processor's own answer, issue 15 item 4) and `oversight findings
decide`, on a copy of the checked demo: refusals are messages with exit code 2, the JSON carries the attachment's
SHA-256, a processor user's `show` holds none of the internal fields."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

import store.access
from store.identity import User
from tests.conftest import CliEnv, CliResult, run_cli

BELCALL = "Belcall Antwerpen BV"
BELCALL_USER = User("bart", ("processor",), processor=BELCALL)
PLANNED = (date.today() + timedelta(days=20)).isoformat()


def findings(*args: str) -> CliResult:
    return run_cli("findings", *args)


@pytest.fixture
def sent(cli_env: CliEnv, checked_demo_db: Path) -> tuple[str, str]:
    """(a Belcall finding notified to the processor, a Belcall finding still open), raised from the demo's checks."""
    code, out, err = findings("raise", "--from-checks", "--format", "json")
    assert code == 0, err
    belcall = [f["finding_id"] for f in json.loads(out) if f["processor"] == BELCALL]
    assert findings("move", belcall[0], "notified")[0] == 0
    return belcall[0], belcall[1]


def as_processor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Act as Belcall's processor user (the users file's processor binding is resolved at sign-in, store/scope.py)."""
    monkeypatch.setattr(store.access, "acting_user", lambda con, config, name=None: BELCALL_USER)


def test_the_processor_responds_with_a_file_and_the_officer_decides(sent, cli_env, monkeypatch):
    finding_id, still_open = sent
    code, _, err = findings("respond", finding_id, "--response", "disputed", "--explanation", "typed in by us")
    assert code == 2 and "respond to a finding as the processor" in err  # our staff cannot answer for it
    letter = cli_env.folder / "answer.txt"
    letter.write_text("Deadline alert added to the CRM on 1 December; team briefed.\n", encoding="utf-8")
    sha = hashlib.sha256(letter.read_bytes()).hexdigest()

    with monkeypatch.context() as m:
        as_processor(m)
        code, _, err = findings("respond", finding_id, "--response", "accepted", "--explanation", "Alert missed.")
        assert code == 2 and "needs a remediation plan" in err
        code, _, err = findings("respond", still_open, "--response", "disputed", "--explanation", "probing")
        assert code == 2 and "No finding was found" in err
        code, out, err = findings("respond", finding_id, "--response", "accepted", "--explanation", "Alert missed.",
                                  "--plan", "Deadline alert in the CRM.", "--planned-on", PLANNED,
                                  "--attach", str(letter), "--format", "json")
        assert code == 0, err
        doc = json.loads(out)
        assert doc["attachments"] == [{"sha256": sha, "filename": "answer.txt", "size": letter.stat().st_size,
                                       "media_type": "text/plain"}]
        response_id = str(doc["response_id"])
        code, out, err = findings("show", finding_id, "--format", "json")
        assert code == 0, err
        shown = json.loads(out)
        assert shown["responses"][0]["response_id"] == doc["response_id"]
        assert not {"owner", "source", "evidence", "status_reason", "history"} & set(shown)
        code, _, err = findings("decide", response_id, "--accept")
        assert code == 2 and "'oversight findings decide' is for the controller's staff" in err

    code, _, err = findings("decide", response_id, "--reject")
    assert code == 2 and "needs a comment" in err
    code, out, err = findings("decide", response_id, "--accept", "--comment", "Plan agreed.")
    assert code == 0, err
    assert f"{finding_id} is now remediation_planned" in out
    code, out, _ = findings("show", finding_id)
    assert "processor's responses" in out and sha in out and "accepted (Plan agreed.)" in out
    code, out, _ = findings("show", finding_id, "--format", "json")
    assert json.loads(out)["history"][-3]["details"]["attachments"][0]["sha256"] == sha

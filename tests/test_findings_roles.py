"""Roles (docs/findings.md): the service refuses users without the role, whatever the caller; the message is pinned."""

from __future__ import annotations

from datetime import date

import pytest

from findings import queries
from findings.raising import raise_from_checks
from findings.service import assign, move, raise_finding, respond
from store.audit import list_events
from store.errors import PermissionDenied
from store.identity import User
from tests.test_findings_raise import LATE, PERIOD, PROCESSOR, TODAY, add_run, ensure, raise_one

VIEWER = User("vic", ("viewer",))
AUDITOR = User("aude", ("auditor",))
VENDOR_MANAGER = User("vera", ("vendor_manager",))
MANAGERS = "compliance_officer, vendor_manager"


def _attempts(finding_id: str) -> dict[str, object]:
    return {
        "raise a finding": lambda con, user: raise_finding(con, user, processor=PROCESSOR, period=PERIOD,
                                                           clause="SCC 8(b)", title="x", severity="low"),
        "raise a finding from checks": lambda con, user: raise_from_checks(con, user, today=TODAY),
        "move a finding": lambda con, user: move(con, user, finding_id, "notified"),
        "record a processor response": lambda con, user: respond(con, user, finding_id, "accepted", "ok"),
        "assign a finding": lambda con, user: assign(con, user, finding_id, owner="vic"),
    }


@pytest.mark.parametrize("user", [VIEWER, AUDITOR], ids=["viewer", "auditor"])
@pytest.mark.parametrize("attempt", list(_attempts("")))
def test_viewers_and_auditors_may_not_raise_or_update_findings(con, officer, user, attempt):
    ensure(con)
    add_run(con, [(LATE, "major", "BC-1")])
    finding_id = raise_one(con, officer)
    events = len(list_events(con))
    with pytest.raises(PermissionDenied):
        _attempts(finding_id)[attempt](con, user)
    assert len(list_events(con)) == events
    [finding] = queries.list_findings(con)
    assert (finding["status"], finding["response"], finding["owner"]) == ("open", None, "olivia")


def test_the_refusal_says_who_may_and_what_to_do(con, officer):
    finding_id = raise_one(con, officer)
    with pytest.raises(PermissionDenied) as refused:
        move(con, AUDITOR, finding_id, "notified")
    assert str(refused.value) == (
        f"User 'aude' may not move a finding: that needs one of the roles {MANAGERS}. Ask a compliance officer to "
        "give you the role in the configuration file, or sign in as a user who has it.")


def test_a_vendor_manager_raises_moves_answers_and_assigns(con):
    ensure(con)
    add_run(con, [(LATE, "major", "BC-1")])
    [raised] = raise_from_checks(con, VENDOR_MANAGER, today=TODAY)
    move(con, VENDOR_MANAGER, raised.finding_id, "notified")
    respond(con, VENDOR_MANAGER, raised.finding_id, "disputed", "The customer withdrew the request.")
    assign(con, VENDOR_MANAGER, raised.finding_id, owner="olivia", due_on=date(2026, 12, 24))
    finding = queries.get_finding(con, raised.finding_id)
    assert (finding["status"], finding["response"], finding["owner"], finding["due_on"]) == (
        "notified", "disputed", "olivia", date(2026, 12, 24))
    assert {e["role"] for e in finding["history"]} == {"vendor_manager"}
    assert finding["history"][0]["details"]["owner"] == "vera"  # the raiser owns it until assigned

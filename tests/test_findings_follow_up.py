"""Following a finding up: the processor's response with its text, owner and due date, all in the history."""

from __future__ import annotations

from datetime import date

import pytest

from findings import queries
from findings.errors import InvalidValue, UnknownFinding
from findings.service import assign, move, respond
from tests.test_findings_raise import raise_one


@pytest.mark.parametrize("response", ["accepted", "partially_accepted", "disputed"])
def test_each_processor_response_is_recorded_with_its_text(con, officer, response):
    finding_id = raise_one(con, officer)
    respond(con, officer, finding_id, response, "  We retrained the team on 2 December.  ")
    finding = queries.get_finding(con, finding_id)
    assert (finding["response"], finding["response_text"]) == (response, "We retrained the team on 2 December.")
    assert finding["history"][-1]["action"] == "responded"
    assert finding["history"][-1]["details"]["response"] == response


def test_a_new_response_replaces_the_old_one_and_the_history_keeps_both(con, officer):
    finding_id = raise_one(con, officer)
    respond(con, officer, finding_id, "disputed", "Not our case.")
    respond(con, officer, finding_id, "accepted", "Found it after all.")
    finding = queries.get_finding(con, finding_id)
    assert finding["response"] == "accepted"
    assert [e["details"].get("text") for e in finding["history"][1:]] == ["Not our case.", "Found it after all."]
    assert finding["history"][-1]["details"]["previous_response"] == "disputed"


def test_a_response_outside_the_three_or_without_text_is_refused(con, officer):
    finding_id = raise_one(con, officer)
    with pytest.raises(InvalidValue, match=r"'agreed' is not a processor response; choose one of accepted, "
                                           r"partially_accepted, disputed\."):
        respond(con, officer, finding_id, "agreed", "ok")
    with pytest.raises(InvalidValue, match="Record what the processor wrote"):
        respond(con, officer, finding_id, "accepted", " ")
    assert queries.get_finding(con, finding_id)["response"] is None


def test_assigning_sets_owner_and_due_date_and_keeps_the_due_date_when_none_is_given(con, officer):
    finding_id = raise_one(con, officer, due_on=date(2026, 12, 4))
    assign(con, officer, finding_id, owner="vera")
    assert queries.get_finding(con, finding_id)["due_on"] == date(2026, 12, 4)
    assign(con, officer, finding_id, owner="vera", due_on=date(2027, 1, 15))
    finding = queries.get_finding(con, finding_id)
    assert (finding["owner"], finding["due_on"]) == ("vera", date(2027, 1, 15))
    assert finding["history"][-1]["details"] == {"owner": {"from": "vera", "to": "vera"},
                                                 "due_on": {"from": "2026-12-04", "to": "2027-01-15"}}


def test_a_new_due_date_ends_overdue(con, officer):
    finding_id = raise_one(con, officer, due_on=date(2026, 11, 1))
    move(con, officer, finding_id, "notified")
    assert queries.list_findings(con, overdue=True, as_of=date(2026, 11, 20))
    assign(con, officer, finding_id, owner="vera", due_on=date(2026, 12, 1))
    assert not queries.list_findings(con, overdue=True, as_of=date(2026, 11, 20))


def test_an_unknown_finding_is_refused_with_the_id_format(con, officer):
    with pytest.raises(UnknownFinding, match=r"There is no finding 'F-2026-9999'\. List them with `oversight "
                                             r"findings list` \(ids look like F-2026-0007\)\."):
        move(con, officer, "F-2026-9999", "notified")

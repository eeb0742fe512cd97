"""The findings lifecycle (docs/findings.md): every allowed move, refusals naming the allowed ones, reasons, overdue."""

from __future__ import annotations

from datetime import date

import pytest

from findings import queries
from findings.errors import InvalidTransition, ReasonRequired
from findings.lifecycle import (
    TRANSITIONS,
    Severity,
    Status,
    allowed_moves,
    due_date,
    is_overdue,
    transition_action,
)
from findings.service import move
from tests.test_findings_raise import PROCESSOR, raise_one

# docs/findings.md, "Lifecycle", written out: from -> the statuses it may move to.
EXPECTED = {
    "open": ["notified", "dismissed"],
    "notified": ["remediation_planned", "dismissed"],
    "remediation_planned": ["remediated", "dismissed"],
    "remediated": ["closed", "dismissed"],
    "closed": ["open"],
    "dismissed": [],
}

# The path from open to each status, through allowed moves only.
PATH = {
    "open": [],
    "notified": ["notified"],
    "remediation_planned": ["notified", "remediation_planned"],
    "remediated": ["notified", "remediation_planned", "remediated"],
    "closed": ["notified", "remediation_planned", "remediated", "closed"],
    "dismissed": ["dismissed"],
}


def test_the_transition_table_is_exactly_the_documented_lifecycle():
    assert {s.value: [t.value for t in allowed_moves(s)] for s in Status} == EXPECTED
    assert len(TRANSITIONS) == sum(len(v) for v in EXPECTED.values())


def test_reopening_is_its_own_action_and_moves_back_to_open():
    assert transition_action(Status.CLOSED, Status.OPEN) == "reopened"
    assert transition_action(Status.DISMISSED, Status.OPEN) is None


def _walk(con, user, finding_id, to):
    for status in PATH[to]:
        move(con, user, finding_id, status, reason="accepted risk" if status == "dismissed" else None)


@pytest.mark.parametrize(("frm", "to"), [(f, t) for f, ts in EXPECTED.items() for t in ts])
def test_every_allowed_move_is_made_and_recorded(con, officer, frm, to):
    finding_id = raise_one(con, officer)
    _walk(con, officer, finding_id, frm)
    move(con, officer, finding_id, to, reason="false positive" if to == "dismissed" else None)
    finding = queries.get_finding(con, finding_id)
    assert finding["status"] == to
    last = finding["history"][-1]
    assert (last["from_status"], last["to_status"], last["user"]) == (frm, to, "olivia")
    assert last["action"] == transition_action(Status(frm), Status(to))


@pytest.mark.parametrize(("frm", "to"), [("open", "closed"), ("open", "remediated"), ("notified", "open"),
                                         ("remediated", "remediation_planned"), ("closed", "dismissed"),
                                         ("dismissed", "open"), ("open", "open")])
def test_moves_outside_the_lifecycle_are_refused_and_change_nothing(con, officer, frm, to):
    finding_id = raise_one(con, officer)
    _walk(con, officer, finding_id, frm)
    before = queries.get_finding(con, finding_id)
    with pytest.raises(InvalidTransition):
        move(con, officer, finding_id, to, reason="x")
    after = queries.get_finding(con, finding_id)
    assert after["status"] == frm and len(after["history"]) == len(before["history"])


def test_a_refused_move_names_the_allowed_ones(con, officer):
    finding_id = raise_one(con, officer)
    with pytest.raises(InvalidTransition) as refused:
        move(con, officer, finding_id, "closed")
    assert str(refused.value) == (f"Finding {finding_id} is open and cannot move to closed. "
                                  "From open it can move to: notified, dismissed.")


def test_a_dismissed_finding_is_final_and_says_so(con, officer):
    finding_id = raise_one(con, officer)
    move(con, officer, finding_id, "dismissed", reason="false positive")
    with pytest.raises(InvalidTransition, match="A dismissed finding is final; raise a new finding"):
        move(con, officer, finding_id, "open")


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_dismissal_without_a_reason_is_refused(con, officer, reason):
    finding_id = raise_one(con, officer)
    with pytest.raises(ReasonRequired, match="needs a reason"):
        move(con, officer, finding_id, "dismissed", reason=reason)
    assert queries.get_finding(con, finding_id)["status"] == "open"


def test_the_dismissal_reason_is_kept_on_the_finding_and_in_its_history(con, officer):
    finding_id = raise_one(con, officer)
    move(con, officer, finding_id, "dismissed", reason="false positive: forwarded by phone on day 1")
    finding = queries.get_finding(con, finding_id)
    assert finding["status_reason"] == "false positive: forwarded by phone on day 1"
    assert finding["history"][-1]["details"] == {"reason": "false positive: forwarded by phone on day 1"}


@pytest.mark.parametrize(("status", "due", "as_of", "overdue"), [
    ("open", date(2026, 11, 30), date(2026, 12, 1), True),
    ("open", date(2026, 11, 30), date(2026, 11, 30), False),  # due today is not yet past due
    ("remediated", date(2026, 11, 30), date(2027, 1, 1), True),  # the processor's word is not verification
    ("closed", date(2026, 11, 30), date(2027, 1, 1), False),
    ("dismissed", date(2026, 11, 30), date(2027, 1, 1), False),
    ("notified", None, date(2027, 1, 1), False),
])
def test_overdue_means_past_due_and_not_closed(status, due, as_of, overdue):
    assert is_overdue(status, due, as_of) is overdue


def test_overdue_in_sql_agrees_with_the_rule(con, officer):
    due = date(2026, 11, 30)
    ids = {s: raise_one(con, officer, title=s, due_on=due) for s in ("open", "remediated", "closed", "dismissed")}
    for status, finding_id in ids.items():
        _walk(con, officer, finding_id, status)
    for as_of in (date(2026, 11, 30), date(2026, 12, 1)):
        listed = {f["title"]: f["overdue"] for f in queries.list_findings(con, as_of=as_of)}
        assert listed == {s: is_overdue(s, due, as_of) for s in ids}
        only = {f["title"] for f in queries.list_findings(con, overdue=True, as_of=as_of)}
        assert only == {s for s in ids if is_overdue(s, due, as_of)}
    assert queries.counts(con, processor=PROCESSOR, as_of=date(2026, 12, 1)) == {"open": 2, "overdue": 2, "total": 4}


@pytest.mark.parametrize(("severity", "days"), [("critical", 7), ("high", 14), ("medium", 30), ("low", 60)])
def test_due_date_defaults_from_severity(severity, days):
    assert (due_date(Severity(severity), date(2026, 11, 1)) - date(2026, 11, 1)).days == days


def test_the_profile_overrides_due_days():
    assert due_date(Severity.HIGH, date(2026, 11, 1), {"high": 10}) == date(2026, 11, 11)


@pytest.mark.parametrize(("days", "band"), [(0, "0-30 days"), (30, "0-30 days"), (31, "31-60 days"),
                                            (90, "61-90 days"), (91, "over 90 days"), (400, "over 90 days")])
def test_age_bands_of_open_findings(days, band):
    assert queries.age_bucket(days) == band


def test_open_findings_by_clause_and_age_are_counted_in_sql_like_the_bands(con, officer):
    raised_on = {"a": date(2026, 11, 20), "b": date(2026, 10, 1), "c": date(2026, 7, 1), "d": date(2026, 11, 1)}
    ids = {k: raise_one(con, officer, title=k, clause="SCC 8(b)" if k != "d" else "SCC 7.4")
           for k in raised_on}
    # created_at is when the row was written: set it to the day each finding is meant to have been raised
    for k, day in raised_on.items():
        con.execute("UPDATE findings SET created_at = ? WHERE finding_id = ?", [day, ids[k]])
    move(con, officer, ids["c"], "dismissed", reason="accepted risk")
    as_of = date(2026, 11, 30)
    got = {(r["clause"], r["age"]): r["findings"] for r in queries.open_by_clause_and_age(con, as_of=as_of)}
    expected: dict[tuple[str, str], int] = {}
    for k, day in raised_on.items():
        if k != "c":
            key = ("SCC 8(b)" if k != "d" else "SCC 7.4", queries.age_bucket((as_of - day).days))
            expected[key] = expected.get(key, 0) + 1
    assert got == expected == {("SCC 8(b)", "0-30 days"): 1, ("SCC 8(b)", "31-60 days"): 1,
                               ("SCC 7.4", "0-30 days"): 1}

"""The audit trail's read side: filters, paging, and the chain walk naming the first broken event and why."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from store import audit
from store.db import transaction


def append(con: duckdb.DuckDBPyConnection, *events: tuple[str, str, str]) -> None:
    with transaction(con):
        for user, action, obj in events:
            audit.append_event(con, user=user, role="compliance_officer", action=action, obj=obj, details={"o": obj})


def backdate(con: duckdb.DuckDBPyConnection, seq: int, when: str) -> None:
    con.execute("UPDATE audit_events SET occurred_at = ? WHERE seq = ?", [when, seq])


@pytest.fixture
def trail(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    append(con, ("olivia", "report.ingested", "submission:1"), ("olivia", "report.resubmitted", "submission:2"),
           ("vera", "reporting.noted", "Processor:Belcall Antwerpen BV"), ("vera", "mapping.saved",
                                                                          "processor:Belcall Antwerpen BV"))
    return con


def seqs(events: list[dict[str, object]]) -> list[object]:
    return [e["seq"] for e in events]


def test_events_come_newest_first_with_details_as_a_dict(trail):
    events = audit.list_events(trail)
    assert seqs(events) == [4, 3, 2, 1]
    assert events[-1]["details"]["o"] == "submission:1"
    assert events[-1]["details"]["digest"].startswith("v1:")  # a submission's rows (store.digests)
    assert list(events[0]) == audit.EVENT_COLUMNS


def test_an_action_family_matches_its_actions_but_not_a_longer_word(trail):
    assert seqs(audit.list_events(trail, action="report")) == [2, 1]
    assert seqs(audit.list_events(trail, action="report.ingested")) == [1]
    assert audit.count_events(trail, audit.EventFilter(action="report")) == 2


def test_user_and_object_text_filters(trail):
    assert seqs(audit.list_events(trail, user="vera")) == [4, 3]
    assert seqs(audit.list_events(trail, obj="belcall")) == [4, 3]  # any case
    assert seqs(audit.list_events(trail, obj="submission:2")) == [2]
    assert seqs(audit.list_events(trail, obj="100%")) == []  # no wildcard: literal text


def test_date_range_is_inclusive_in_utc_days(trail):
    backdate(trail, 1, "2026-10-31 23:59:59")
    backdate(trail, 2, "2026-11-01 00:00:00")
    backdate(trail, 3, "2026-11-30 23:59:59.999")
    backdate(trail, 4, "2026-12-01 00:00:00")
    november = audit.EventFilter(since=date(2026, 11, 1), until=date(2026, 11, 30))
    assert seqs(audit.list_events(trail, since=november.since, until=november.until)) == [3, 2]
    assert audit.count_events(trail, november) == 2
    assert seqs(audit.list_events(trail, until=date(2026, 10, 31))) == [1]


def test_paging_takes_the_requested_slice_and_none_means_all(con):
    append(con, *[("olivia", "x.done", f"thing:{i}") for i in range(120)])
    assert seqs(audit.list_events(con, limit=50, offset=50)) == list(range(70, 20, -1))
    assert len(audit.list_events(con, limit=None)) == 120
    assert audit.count_events(con) == 120


def test_distinct_values_feed_the_filter_choices(trail):
    assert audit.distinct_values(trail, "user_name") == ["olivia", "vera"]
    assert audit.distinct_values(trail, "action")[0] == "mapping.saved"
    with pytest.raises(ValueError, match="column must be"):
        audit.distinct_values(trail, "hash; DROP TABLE audit_events")


def test_intact_chain_reports_its_newest_hash(trail):
    status = audit.verify_chain(trail)
    assert (status.intact, status.events) == (True, 4)
    assert status.head == audit.list_events(trail, limit=1)[0]["hash"]


def test_an_empty_trail_is_intact(con):
    assert audit.verify_chain(con) == audit.ChainStatus(0, True)


@pytest.mark.parametrize(("tamper", "broken_at", "reason"), [
    ("UPDATE audit_events SET details = '{\"o\": \"submission:9\"}' WHERE seq = 2", 2, "edited"),
    ("UPDATE audit_events SET user_name = 'mallory' WHERE seq = 3", 3, "edited"),
    ("UPDATE audit_events SET occurred_at = occurred_at - INTERVAL 1 DAY WHERE seq = 1", 1, "edited"),
    ("DELETE FROM audit_events WHERE seq = 2", 3, "event 2 is missing"),
    ("DELETE FROM audit_events WHERE seq = 1", 2, "event 1 is missing"),
    ("UPDATE audit_events SET prev_hash = repeat('1', 64) WHERE seq = 4", 4, "link was changed"),
    # Re-hashing an edited event does not help: its successor still holds the old hash.
    ("UPDATE audit_events SET hash = 'hmac-sha256:' || repeat('2', 64) WHERE seq = 3", 3, "edited"),
    # A plain SHA-256 after the keyed chain began was made without the key.
    ("UPDATE audit_events SET hash = repeat('2', 64) WHERE seq = 3", 3, "unkeyed hash after the keyed chain"),
])
def test_tampering_is_found_at_the_first_broken_event(trail, tamper, broken_at, reason):
    trail.execute(tamper)
    status = audit.verify_chain(trail)
    assert not status.intact
    assert status.broken_at == broken_at
    assert reason in str(status.reason)


def test_a_consistently_rewritten_event_still_breaks_the_link_to_its_successor(trail):
    [(seq, at, _user, role, action, obj, details, prev)] = trail.execute(
        "SELECT seq, occurred_at, user_name, role, action, object, CAST(details AS VARCHAR), prev_hash "
        "FROM audit_events WHERE seq = 2").fetchall()
    # Even with the audit key in hand, the rewritten event no longer matches its successor's link.
    forged = audit._event_hash(prev, seq, at.isoformat(timespec="microseconds"), "mallory", role, action, obj, details,
                               audit._key(trail, create=False))
    trail.execute("UPDATE audit_events SET user_name = 'mallory', hash = ? WHERE seq = 2", [forged])
    status = audit.verify_chain(trail)
    assert (status.broken_at, status.intact) == (3, False)
    assert "link" in str(status.reason)

"""Legal holds (store/holds.py, `oversight hold`): added and lifted with their events, refused without a reason or
for an unknown month or finding, keeping a finding's month from the purge."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from store import audit
from store.db import connect
from store.errors import PermissionDenied, UnknownProcessor
from store.holds import HoldRefused, add_hold, coverage, lift_hold, list_holds
from store.identity import ROLES, User
from store.retention import held, plan
from store.retention_periods import Retention
from tests.conftest import run_cli

BELCALL = "Belcall Antwerpen BV"


def test_add_and_lift_are_audited_and_kept_as_history(demo_db: Path, officer: User) -> None:
    con = connect(demo_db)
    hold = add_hold(con, officer, processor=BELCALL, period="2026-09", reason="Complaint to the authority")
    assert held(con, BELCALL, "2026-09") and held(con, BELCALL) and not held(con, BELCALL, "2026-10")
    lifted = lift_hold(con, officer, hold.hold_id, reason="Closed")
    assert not lifted.active and lifted.lifted_by == officer.name
    assert not held(con, BELCALL, "2026-09")
    assert [h.hold_id for h in list_holds(con)] == [hold.hold_id]  # lifted, never deleted
    events = [(e["action"], e["object"]) for e in audit.list_events(con, limit=2)]
    assert events == [("hold.lifted", f"hold:{hold.hold_id}"), ("hold.added", f"hold:{hold.hold_id}")]
    with pytest.raises(HoldRefused, match="already lifted"):
        lift_hold(con, officer, hold.hold_id)
    con.close()


def test_refusals(demo_db: Path, officer: User) -> None:
    con = connect(demo_db)
    with pytest.raises(HoldRefused, match="needs a reason"):
        add_hold(con, officer, processor=BELCALL, reason="  ")
    with pytest.raises(HoldRefused, match="not a month"):
        add_hold(con, officer, processor=BELCALL, period="2026-13", reason="x")
    with pytest.raises(HoldRefused, match="has no finding"):
        add_hold(con, officer, processor=BELCALL, finding_id="F-2026-9999", reason="x")
    with pytest.raises(UnknownProcessor):
        add_hold(con, officer, processor="Nobody BV", reason="x")
    with pytest.raises(PermissionDenied):
        add_hold(con, User("vera", ("vendor_manager",)), processor=BELCALL, reason="x")
    with pytest.raises(HoldRefused, match="no legal hold 42"):
        lift_hold(con, officer, 42)
    assert audit.count_events(con, audit.EventFilter(action="hold")) == 0
    con.close()


def test_a_finding_hold_keeps_the_finding_and_its_month(checked_demo_db: Path, officer: User) -> None:
    from findings.service import move, raise_finding

    con = connect(checked_demo_db)
    [(case_id,)] = con.execute("SELECT case_id FROM report_cases WHERE processor = ? AND period = '2026-08' "
                               "ORDER BY case_id LIMIT 1", [BELCALL]).fetchall()
    finding = raise_finding(con, User("olivia", ROLES), processor=BELCALL, period="2026-08", clause="SCC 8",
                            title="Late answer", description="d", severity="low", case_ids=[case_id])
    finding_id = finding
    move(con, officer, finding_id, "dismissed", reason="Not a breach")
    hold = add_hold(con, officer, processor=BELCALL, finding_id=finding_id, reason="Evidence for a claim")
    assert coverage(con).finding(finding_id, BELCALL, "2026-08") == [hold.hold_id]
    found = plan(con, Retention(1, 1, 1), date(2027, 6, 1))
    kept = {(x.kind, x.period) for x in found.kept if x.processor == BELCALL}
    assert ("cases", "2026-08") in kept and ("findings", "2026-08") in kept
    assert ("cases", "2026-07") in {(x.kind, x.period) for x in found.removed if x.processor == BELCALL}
    con.close()


def test_the_cli(demo_db: Path, cli_env: object) -> None:
    added = run_cli("hold", "add", "--processor", BELCALL, "--period", "2026-10", "--reason", "Dispute")
    assert added.code == 0 and "Legal hold 1 keeps Belcall Antwerpen BV, 2026-10" in added.out
    listed = run_cli("hold", "list", "--format", "json")
    assert listed.code == 0 and '"active": true' in listed.out
    lifted = run_cli("hold", "lift", "1", "--reason", "Settled")
    assert lifted.code == 0 and "was lifted" in lifted.out
    again = run_cli("hold", "lift", "1")
    assert again.code == 2 and "already lifted" in again.err

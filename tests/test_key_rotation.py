"""Key rotation and crypto-shredding (issue 17 item 3; GDPR Art. 25, 32), on real files: a rotated key keeps repeat
detection across the boundary inside the overlap window; a retired key is destroyed with its links, and a reference
hashed again no longer matches the pseudonyms it made."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from ingest.errors import KeyMismatch
from ingest.pseudonym import load_key
from ingest.service import ingest_report
from store import audit
from store.errors import PermissionDenied
from store.identity import User
from store.keyring import KeyRingError, key_id, list_keys, live_keys, pseudonyms_of, retire, ring_dir, rotate
from tests.checkkit import assert_offends, assert_passes, run
from tests.conftest import run_cli
from tests.reportkit import write_report

PROCESSOR = "Testcall BV"
DONE = {"responded_on": "2026-10-02", "outcome": "fulfilled", "identity_verified": True, "forwarded_on": "2026-10-01"}


def _ingest(con, officer, key_path, tmp_path: Path, period: str, cases: list[dict[str, object]]):
    path = write_report(tmp_path, f"testcall_{period}.csv", cases)
    return ingest_report(con, path, user=officer, key_path=key_path, processor=PROCESSOR, period=period)


def _october(con, officer, key_path, tmp_path):
    _ingest(con, officer, key_path, tmp_path, "2026-10", [
        {"case_id": "A-1", "received_on": "2026-10-01", "request_type": "access", "data_subject_ref": "CUST-1",
         **DONE},
        {"case_id": "B-1", "received_on": "2026-10-01", "request_type": "access", "data_subject_ref": "CUST-2",
         **DONE},
    ])


def _november(con, officer, key_path, tmp_path):
    _ingest(con, officer, key_path, tmp_path, "2026-11", [
        {"case_id": "A-2", "received_on": "2026-11-10", "request_type": "access", "data_subject_ref": "CUST-1",
         **DONE, "responded_on": "2026-11-12", "forwarded_on": "2026-11-10"},
        {"case_id": "C-2", "received_on": "2026-11-10", "request_type": "access", "data_subject_ref": "CUST-3",
         **DONE, "responded_on": "2026-11-12", "forwarded_on": "2026-11-10"},
    ])


def _ref_of(con, case_id: str) -> str:
    return con.execute("SELECT data_subject_ref FROM cases WHERE case_id = ?", [case_id]).fetchall()[0][0]


def test_a_rotated_key_keeps_repeat_detection_across_the_boundary(con, officer, key_path, tmp_path):
    _october(con, officer, key_path, tmp_path)
    old_id = load_key(key_path).fingerprint
    done = rotate(con, officer, key_path, overlap_days=90)
    assert done.previous_key_id == old_id and done.new_key_id != old_id
    assert load_key(key_path).fingerprint == done.new_key_id  # the key file is the new key
    old_file = ring_dir(key_path) / f"{old_id}.key"
    assert stat.S_IMODE(old_file.stat().st_mode) == 0o600 and stat.S_IMODE(key_path.stat().st_mode) == 0o600
    _november(con, officer, key_path, tmp_path)
    assert _ref_of(con, "A-1") != _ref_of(con, "A-2")  # two keys, two pseudonyms of one person
    assert con.execute("SELECT old_key_id, new_key_id FROM pseudonym_links").fetchall() == [
        (old_id, done.new_key_id)] * 2  # one link per reference of the new report (CUST-1, CUST-3)
    found = run(con, period="2026-11", as_of="2026-11-30")
    assert_offends(found, "repeat.same_request", "A-2", earlier_case_ids=["A-1"])
    assert_passes(found, "repeat.same_request", "C-2")

    [event] = [e for e in audit.list_events(con, action="key.rotated")]
    details = json.loads(event["details"]) if isinstance(event["details"], str) else event["details"]
    assert details["previous_key_id"] == old_id and details["pseudonyms_of_previous_key"] == 2
    keys = {k.key_id: k for k in list_keys(con, key_path)}
    assert (keys[old_id].status, keys[old_id].pseudonyms) == ("previous", 2)
    assert (keys[done.new_key_id].status, keys[done.new_key_id].pseudonyms) == ("current", 2)


def test_after_retire_a_rehashed_reference_no_longer_matches_and_the_links_are_gone(con, officer, key_path,
                                                                                    tmp_path):
    _october(con, officer, key_path, tmp_path)
    old_id = load_key(key_path).fingerprint
    new_id = rotate(con, officer, key_path, overlap_days=90).new_key_id
    _november(con, officer, key_path, tmp_path)
    old_pseudonym = _ref_of(con, "A-1")
    assert old_pseudonym in pseudonyms_of("CUST-1", live_keys(key_path)).values()  # both keys live: found

    with pytest.raises(KeyRingError, match="current key"):
        retire(con, officer, key_path, new_id)
    done = retire(con, officer, key_path, old_id)
    assert (done.links_removed, done.pseudonyms_unlinkable) == (2, 2)
    assert con.execute("SELECT count(*) FROM pseudonym_links").fetchall()[0][0] == 0
    assert not (ring_dir(key_path) / f"{old_id}.key").exists()
    assert set(live_keys(key_path)) == {new_id}
    rehashed = pseudonyms_of("CUST-1", live_keys(key_path))
    assert old_pseudonym not in rehashed.values() and rehashed[new_id] == _ref_of(con, "A-2")
    found = run(con, period="2026-11", as_of="2026-11-30")
    assert_passes(found, "repeat.same_request", "A-2")  # the October request is no longer this person's
    assert {k.key_id: k.status for k in list_keys(con, key_path)} == {old_id: "retired", new_id: "current"}
    [event] = audit.list_events(con, action="key.retired")
    assert "CUST" not in json.dumps(event, default=str)
    with pytest.raises(KeyRingError, match="retired already"):
        retire(con, officer, key_path, old_id)


def test_without_a_rotation_nothing_is_linked_and_a_foreign_key_is_still_refused(con, officer, key_path, tmp_path):
    _october(con, officer, key_path, tmp_path)
    assert con.execute("SELECT count(*) FROM pseudonym_links").fetchall()[0][0] == 0
    assert con.execute("SELECT key_id, status FROM pseudonym_keys").fetchall() == [
        (load_key(key_path).fingerprint, "current")]
    other = tmp_path / "other.key"
    other.write_text(bytes(range(32)).hex() + "\n")
    other.chmod(0o600)
    with pytest.raises(KeyMismatch):
        _ingest(con, officer, other, tmp_path, "2026-11", [
            {"case_id": "Z-1", "received_on": "2026-11-10", "request_type": "access", "data_subject_ref": "X"}])
    assert key_id(bytes(range(32))) not in {k.key_id for k in list_keys(con, key_path)}


def test_only_the_compliance_officer_manages_keys(con, officer, key_path, tmp_path):
    _october(con, officer, key_path, tmp_path)
    with pytest.raises(PermissionDenied):
        rotate(con, User("ann", ("auditor",)), key_path, overlap_days=90)


def test_the_key_commands(cli_env, write_csv):
    first = write_csv("belcall_2026-10.csv", ["Case ID;Received;Request type;Customer ID",
                                             "A-1;01/10/2026;access;CUST-1"])
    assert run_cli("ingest", str(first), "--processor", "Belcall", "--profile", "default").code == 0
    code, out, err = run_cli("key", "rotate")
    assert code == 0, err
    assert "is current" in out and "oversight key retire" in out
    code, out, _ = run_cli("key", "list", "--format", "json")
    keys = json.loads(out)
    assert [k["status"] for k in keys] == ["current", "previous"] and keys[1]["pseudonyms"] == 1
    # the overlap window is the longest repeat_window_days of the profiles (90 by default)
    old = keys[1]["key_id"]
    code, out, err = run_cli("key", "retire", old)
    assert code == 0, err
    assert "unlinkable" in out
    code, out, _ = run_cli("key", "list")
    assert f"Key {old} is retired" in out
    code, _, err = run_cli("key", "retire", "nope")
    assert code == 2 and "oversight key list" in err


def test_a_resubmission_during_the_overlap_window_shows_no_reference_as_changed(con, officer, key_path, tmp_path):
    _october(con, officer, key_path, tmp_path)
    rotate(con, officer, key_path, overlap_days=90)
    again = write_report(tmp_path, "testcall_2026-10_v2.csv", [
        {"case_id": "A-1", "received_on": "2026-10-01", "request_type": "access", "data_subject_ref": "CUST-1",
         **DONE},
        {"case_id": "B-1", "received_on": "2026-10-01", "request_type": "access", "data_subject_ref": "CUST-2",
         **DONE, "responded_on": "2026-10-03"},  # the one real change
    ])
    result = ingest_report(con, again, user=officer, key_path=key_path, processor=PROCESSOR, period="2026-10")
    assert result.status == "resubmission"
    assert [(c["case_id"], c["field"]) for c in result.field_changes] == [("B-1", "responded_on")]

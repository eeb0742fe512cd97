"""A data subject's rights in the tool itself (issue 17 item 4; GDPR Arts 15, 17), on real files: `subject find`
lists the person's cases, samples and findings; `subject erase` removes their case rows, exceptions and quarantined
rows where no legal hold applies, leaves `oversight audit verify` intact and, once the file is compacted, neither the
raw reference nor a note stored with keep_notes = true is in the database file's bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.subjects import erase_subject, find_subject, held
from store import audit
from store.db import connect
from store.errors import PermissionDenied
from store.identity import User
from tests.conftest import run_cli

PROCESSOR = "Belcall"
REFERENCE = "KL-778899"
NOTE = "Klant Mevrouw Goossens vroeg om verwijdering van haar opnames"
HEADER = "Case ID;Received;Request type;Customer ID;Answered on;Outcome;Notes"
OCTOBER = [
    f"E-1;01/10/2026;erasure;{REFERENCE};;;{NOTE}",
    f"E-2;03/10/2026;access;{REFERENCE};05/10/2026;fulfilled;asked again",
    "O-1;02/10/2026;access;KL-111111;04/10/2026;fulfilled;another person",
    f"Q-1;31/02/2026;access;{REFERENCE};;;quarantined, with the note kept",  # bad date: quarantined
]


@pytest.fixture
def officer_env(cli_env):
    (cli_env.folder / "oversight.toml").write_text('[access]\nmode = "local"\n\n[ingest]\nkeep_notes = true\n',
                                                   encoding="utf-8")
    path = cli_env.folder / "belcall_2026-10.csv"
    path.write_text("\n".join([HEADER, *OCTOBER]) + "\n", encoding="utf-8")
    code, _, err = run_cli("ingest", str(path), "--processor", PROCESSOR, "--profile", "default",
                           "--submitted-on", "2026-11-05")
    assert code == 0, err
    code, _, err = run_cli("check", "--period", "2026-10", "--as-of", "2026-12-01")
    assert code == 0, err
    return cli_env


def _bytes(db: Path) -> bytes:
    wal = db.with_name(db.name + ".wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_find_lists_the_persons_cases_and_erase_removes_them_leaving_nothing_behind(officer_env):
    db = officer_env.db
    assert NOTE.encode() in _bytes(db)  # stored in clear before the erase (keep_notes = true)
    con = connect(db)
    try:  # the check run raised exceptions on the person's cases: erasing them changes the run's digest too
        assert con.execute("SELECT count(*) FROM exceptions WHERE case_id IN ('E-1', 'E-2')").fetchall()[0][0] > 0
    finally:
        con.close()

    code, out, err = run_cli("subject", "find", REFERENCE, "--format", "json")
    assert code == 0, err
    found = json.loads(out)
    assert sorted(c["case_id"] for c in found["cases"]) == ["E-1", "E-2"]
    assert found["quarantined_rows"] == 1 and len(found["keys_used"]) == 1
    code, out, _ = run_cli("subject", "find", REFERENCE)
    assert "case E-1" in out and "case E-2" in out and REFERENCE not in out

    code, out, err = run_cli("subject", "erase", REFERENCE, "--yes")
    assert code == 0, err
    assert "Erased 2 case row(s)" in out and "1 quarantined row(s)" in out and "compacted" in out

    con = connect(db)
    try:
        assert [r[0] for r in con.execute("SELECT case_id FROM cases ORDER BY 1").fetchall()] == ["O-1"]
        assert con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0] == 0
        assert con.execute("SELECT count(*) FROM exceptions WHERE case_id IN ('E-1', 'E-2')").fetchall()[0][0] == 0
        events = audit.list_events(con, action="subject", limit=None)
        assert {e["action"] for e in events} == {"subject.searched", "subject.erased"}
        assert REFERENCE not in json.dumps(events, default=str)
    finally:
        con.close()
    code, out, err = run_cli("audit", "verify")
    assert code == 0, out + err
    data = _bytes(db)
    assert REFERENCE.encode() not in data
    assert NOTE.encode() not in data and b"quarantined, with the note kept" not in data

    code, out, _ = run_cli("subject", "find", REFERENCE, "--format", "json")
    assert json.loads(out)["cases"] == []


def test_a_legal_hold_keeps_the_month_from_erasure(officer_env):
    con = connect(officer_env.db)
    try:
        assert not held(con, PROCESSOR, "2026-10")
        con.execute("INSERT INTO legal_holds (processor, period, reason, added_at, added_by) "
                    "VALUES (?, '2026-10', 'dispute with the processor', now(), 'olivia')", [PROCESSOR])
        assert held(con, PROCESSOR, "2026-10") and not held(con, PROCESSOR, "2026-09")
        officer = User("olivia", ("compliance_officer",))
        done = erase_subject(con, officer, officer_env.key, REFERENCE)
        assert (done.cases_removed, done.cases_held, done.held) == (0, 2, [f"{PROCESSOR} 2026-10"])
        assert sorted(c["case_id"] for c in find_subject(con, officer, officer_env.key, REFERENCE).cases) == [
            "E-1", "E-2"]
        con.execute("UPDATE legal_holds SET lifted_at = now(), lifted_by = 'olivia'")
        assert erase_subject(con, officer, officer_env.key, REFERENCE).cases_removed == 2
    finally:
        con.close()
    assert run_cli("audit", "verify").code == 0


def test_only_the_compliance_officer_finds_or_erases(officer_env):
    con = connect(officer_env.db)
    try:
        auditor = User("ann", ("auditor",))
        with pytest.raises(PermissionDenied):
            find_subject(con, auditor, officer_env.key, REFERENCE)
        with pytest.raises(PermissionDenied):
            erase_subject(con, auditor, officer_env.key, REFERENCE)
    finally:
        con.close()


def test_the_reference_can_come_from_stdin(officer_env):
    code, out, err = run_cli("subject", "find", "-", "--format", "json", input=REFERENCE + "\n")
    assert code == 0, err
    assert len(json.loads(out)["cases"]) == 2


def test_find_lists_the_samples_and_findings_naming_the_persons_cases(officer_env):
    from findings.service import raise_finding
    from spotchecks.samples import draw_sample

    con = connect(officer_env.db)
    try:
        officer = User("olivia", ("compliance_officer",))
        sample = draw_sample(con, officer, processor=PROCESSOR, period="2026-10", size=3, seed="20261106")
        finding = raise_finding(con, officer, processor=PROCESSOR, period="2026-10", clause="SCC 8(b)",
                                title="Erasure not forwarded", severity="high", case_ids=["E-1"])
        found = find_subject(con, officer, officer_env.key, REFERENCE)
        assert {(s["sample_id"], s["case_id"]) for s in found.samples} == {(sample.sample_id, "E-1"),
                                                                           (sample.sample_id, "E-2")}
        assert [(f["finding_id"], f["case_id"]) for f in found.findings] == [(finding, "E-1")]
    finally:
        con.close()


def test_erasure_takes_the_stored_files_that_hold_the_persons_data(officer_env):
    """An upload waiting for confirmation is a whole report file with the raw reference in it, and the evidence sent
    for an erased case is that person's case record: both go with the erasure, and the reference is gone from the
    database file's bytes (GDPR Art. 17)."""
    from datetime import date

    from portal.reports import upload_report
    from spotchecks.evidence import add_evidence, request_evidence
    from spotchecks.samples import draw_sample

    officer = User("olivia", ("compliance_officer", "auditor"))
    piet = User("piet", ("processor",), processor=PROCESSOR)
    con = connect(officer_env.db)
    try:
        sample = draw_sample(con, officer, processor=PROCESSOR, period="2026-10", size=3, seed="erase-files")
        request = request_evidence(con, officer, sample.sample_id, "case file", date(2026, 12, 20),
                                   today=date(2026, 12, 1))
        for case in ("E-1", "O-1"):
            if case in request["case_ids"]:
                # A compressed PDF would not show the reference: the file goes because its case is erased.
                add_evidence(con, piet, str(request["request_id"]), case, f"Call notes of {case}.\n".encode(),
                             f"{case}.txt")
        smaller = officer_env.folder / "belcall_v2_2026-10.csv"  # removes cases: waits for our confirmation
        smaller.write_text("\n".join([HEADER, OCTOBER[0]]) + "\n", encoding="utf-8")
        pending = upload_report(con, piet, smaller, key_path=officer_env.key)
        assert pending.status == "pending"
        files_before = {r[0] for r in con.execute("SELECT case_id FROM evidence_files").fetchall()}
    finally:
        con.close()

    code, out, err = run_cli("subject", "erase", REFERENCE, "--yes")
    assert code == 0, err
    con = connect(officer_env.db)
    try:
        assert {r[0] for r in con.execute("SELECT case_id FROM evidence_files").fetchall()} == files_before - {"E-1"}
        [(status, reason)] = con.execute("SELECT status, reason FROM pending_submissions").fetchall()
        assert status == "rejected" and "erased" in reason
        [event] = [e for e in audit.list_events(con, action="subject.erased", limit=None)
                   if e["object"] == "data_subject"]
        assert event["details"]["pending_rejected"] == 1
        assert event["details"]["files_removed"] == 1 + ("E-1" in files_before)
    finally:
        con.close()
    code, out, err = run_cli("audit", "verify")
    assert code == 0, out + err
    assert REFERENCE.encode() not in _bytes(officer_env.db)

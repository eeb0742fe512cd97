"""Every action that changes state appends one audit event (docs/findings.md, "Audit trail"), and nothing else does.

The permission table is the list of state-changing actions: a meta-test holds it to the events below, and two walks
perform each action on real DuckDB files and check the events each step appended, in order."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from checks.contract import contracts_dir, link_processor
from checks.profile_files import save_profile
from checks.runner import run_checks
from exports.letter import escalate, export_letter
from exports.pack import export_pack
from findings.portal import decide_response
from findings.portal import respond as portal_respond
from findings.raising import raise_from_checks, raise_from_reviews
from findings.service import assign, move, raise_finding, respond
from ingest.demo import load_demo, manifest
from ingest.errors import MissingRequiredColumns
from ingest.mapping import build_mapping
from spotchecks.commitments import commit_seed
from spotchecks.evidence import add_evidence, request_evidence
from spotchecks.samples import draw_sample, enlarge_sample, replace_case
from spotchecks.signoff import sign_off
from store import audit
from store.db import connect
from store.identity import PERMISSIONS, User
from store.users_file import add_user
from tests import test_export_pack as pack_tests
from tests.conftest import HEADER_NL, nl_row, run_cli
from tests.spot_demo import answer_all

BELCALL = "Belcall Antwerpen BV"

# The events each permission's service functions append (docs/findings.md lists the actions that change state).
AUDITED: dict[str, set[str]] = {
    "ingest a report": {"report.ingested", "report.resubmitted", "report.pending_confirmed",
                        "report.pending_rejected"},
    "save a mapping": {"mapping.saved"},
    "load the demo reports": {"report.ingested", "report.resubmitted"},
    "link a processor to a contract profile": {"processor.profile_linked"},
    "edit a contract profile": {"profile.changed"},
    "run the checks": {"checks.run"},
    "commit a seed": {"seed.committed"},
    "draw a sample": {"sample.drawn", "sample.enlarged", "sample.topped_up"},
    "replace a sampled case": {"sample.case_replaced"},
    "record a review": {"sample.reviewed", "sample.second_reviewed"},
    "evaluate a sample": {"sample.evaluated"},
    "raise a finding": {"finding.raised", "finding.evidence_added"},
    "raise a finding from reviews": {"finding.raised"},
    "move a finding": {"finding.notified", "finding.remediation_planned", "finding.remediated", "finding.closed",
                       "finding.dismissed", "finding.reopened"},
    "assign a finding": {"finding.assigned"},
    "record a processor response": {"finding.responded"},
    # Issue 15 item 4 (findings/portal.py): the processor's own answer, and our decision on it.
    "respond to a finding as the processor": {"finding.processor_responded"},
    "decide on a processor response": {"finding.response_accepted", "finding.response_rejected",
                                       "finding.remediation_planned"},
    "export the oversight pack": {"export.pack"},
    "export a findings letter": {"export.letter"},
    # Issue 15 item 5: an escalation step is a letter (stored, hashed) and an entry in the finding's history.
    "send a letter": {"letter.sent", "finding.escalated"},
    # `oversight user add` rewrites the configuration file and appends the event to the project database.
    "manage users": {"user.added", "user.changed"},
    # Issue 15 item 3: evidence on request, asked by us, sent by the processor (each file's SHA-256 in the event).
    "request evidence": {"evidence.requested"},
    "add evidence": {"evidence.added"},
    # Issue 15 item 2: the processor's own upload; one that would remove cases waits for our confirmation.
    "upload a report as the processor": {"report.ingested", "report.resubmitted", "report.pending"},
    # Issue 17: the retention purge (counts and digests only) and legal holds; the record of processing is an export.
    "apply retention": {"retention.applied"},
    "manage legal holds": {"hold.added", "hold.lifted"},
    "write the record of processing": {"export.processing_record"},
    # Issue 17 items 3-4: a data subject's request answered (counts only, never the reference) and the key ring.
    "find a data subject": {"subject.searched"},
    "erase a data subject": {"subject.erased"},
    "manage keys": {"key.rotated", "key.retired"},
    # Issue 16: the whole record leaving or entering a store (tests/test_store_transfer.py).
    "move the store": {"store.exported", "store.imported"},
}
# Permissions whose action changes no database state, so there is no chain to append to: known gaps, named here so
# that a new permission cannot slip in unaudited.
OUTSIDE_THE_DATABASE: dict[str, str] = {
    "read evidence": "opening a stored evidence file changes nothing; what was sent is in evidence.added",
}


class Trail:
    """The events appended since the last look, as (action, object), oldest first."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.seen = audit.count_events(con)

    def new(self) -> list[tuple[str, str]]:
        events = [e for e in reversed(audit.list_events(self.con, limit=None)) if int(e["seq"]) > self.seen]
        self.seen += len(events)
        self.last = events
        return [(str(e["action"]), str(e["object"])) for e in events]


def test_every_state_changing_permission_is_audited_or_named_as_a_gap():
    assert set(PERMISSIONS) == set(AUDITED) | set(OUTSIDE_THE_DATABASE)


def test_ingest_resubmission_mapping_and_refusal_each_append_one_event(con, officer, ingest, write_csv):
    trail = Trail(con)
    first = write_csv("belcall_2026-10.csv", [HEADER_NL, nl_row("BC-1")])
    ingest(first)
    assert trail.new() == [("report.ingested", "submission:1")]
    assert trail.last[0]["details"]["sha256"] == hashlib.sha256(first.read_bytes()).hexdigest()
    assert trail.last[0]["user_name"] == "olivia" and trail.last[0]["role"] == "compliance_officer"

    ingest(first)  # the same file again: a duplicate, nothing written
    with pytest.raises(MissingRequiredColumns):
        ingest(write_csv("x_2026-10.csv", ["Dossier nr.;Binnengekomen;Wat", "1;05-10-2026;Inzage"]))
    # Issue 12: a refused file leaves one report.refused event (name, SHA-256, size, reason; no content).
    assert trail.new() == [("report.refused", "file:x_2026-10.csv")]

    ingest(write_csv("belcall_2026-10_v2.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2")]))
    assert trail.new() == [("report.resubmitted", "submission:2")]
    assert trail.last[0]["details"]["supersedes"] == 1

    mapped = write_csv("gent_2026-10.csv", ["Dossier nr.;Datum ontvangst;Soort verzoek", "G-1;05-10-2026;Inzage"])
    ingest(mapped, processor="Gent NV", mapping=build_mapping({"Dossier nr.": "case_id"}))
    assert trail.new() == [("mapping.saved", "processor:Gent NV"), ("report.ingested", "submission:3")]
    assert audit.verify_chain(con).intact


def test_mapping_saved_from_the_cli_appends_one_event(cli_env, write_csv, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_USER", "olivia")
    db = cli_env.folder / "given.duckdb"  # --db, not $OVERSIGHT_DB (cli_env.db), says where the event goes
    mapping = write_csv("mapping.toml", ['"Dossier nr." = "case_id"'])
    code, _, err = run_cli("--db", str(db), "mapping", "save", str(mapping), "--processor", "Gent NV")
    assert code == 0, err
    con = connect(db)
    try:
        [event] = audit.list_events(con)
    finally:
        con.close()
    assert (event["action"], event["object"], event["user_name"]) == ("mapping.saved", "processor:Gent NV", "olivia")


def test_the_demo_load_appends_one_event_per_report_in_manifest_order(con, officer, key_path):
    trail = Trail(con)
    load_demo(con, user=officer, key_path=key_path)
    events = trail.new()
    assert [obj for _, obj in events] == [f"submission:{i}" for i in range(1, len(manifest()) + 1)]
    assert [a for a, _ in events].count("report.resubmitted") == 1  # belcall_2026-09_v2.csv
    assert [e["details"]["file"] for e in trail.last] == [m.path.name for m in manifest()]
    load_demo(con, user=officer, key_path=key_path)  # all duplicates now
    assert trail.new() == []


# The checked demo database of the pack tests, copied per test.
demo = pack_tests.demo


def test_a_month_of_oversight_appends_one_event_per_step(demo, tmp_path: Path):
    """Contract, checks, spot check, findings and exports: each step's events, in order, and the chain holds."""
    olivia = User("olivia", ("compliance_officer",))
    ann, vera = User("ann", ("auditor",)), User("vera", ("vendor_manager",))
    trail, seen = Trail(demo), set()

    def step(expected: list[tuple[str, str]]) -> None:
        got = trail.new()
        assert got == expected
        seen.update(action for action, _ in got)

    users = tmp_path / "oversight.toml"
    add_user(demo, users, "olivia", ["compliance_officer"], acting=olivia)
    add_user(demo, users, "ann", ["auditor"], acting=olivia)
    add_user(demo, users, "ann", ["auditor", "viewer"], acting=olivia)
    step([("user.added", "user:olivia"), ("user.added", "user:ann"), ("user.changed", "user:ann")])

    contracts = shutil.copytree(contracts_dir(), tmp_path / "contracts")
    edited = (contracts / "fr.toml").read_text(encoding="utf-8") + "\n# Reviewed with the DPO, November 2026.\n"
    save_profile(demo, olivia, "fr", edited, directory=contracts)
    step([("profile.changed", "profile:fr")])
    link_processor(demo, olivia, BELCALL, "default")
    step([("processor.profile_linked", f"processor:{BELCALL}")])
    commitment = commit_seed(demo, ann, "20261106")
    step([("seed.committed", f"commitment:{commitment.commitment}")])
    run = run_checks(demo, olivia, processor=BELCALL, period="2026-10")
    step([("checks.run", f"check_run:{run.run_id}")])

    sample = draw_sample(demo, ann, processor=BELCALL, period="2026-10", size=3, seed="20261106")
    step([("sample.drawn", f"sample:{sample.sample_id}")])
    enlarge_sample(demo, ann, sample.sample_id, 4)
    step([("sample.enlarged", f"sample:{sample.sample_id}")])
    first, second = sample.random_part[0].case_id, sample.random_part[1].case_id
    replace_case(demo, ann, sample.sample_id, second, "duplicate_entry", "listed twice")
    step([("sample.case_replaced", f"sample:{sample.sample_id}")])
    answer_all(demo, ann, sample.sample_id, first, substance=("no", "template answer only"))
    step([("sample.reviewed", f"sample:{sample.sample_id}")])
    for case in [p[0] for p in demo.execute("SELECT case_id FROM active_sample_items WHERE sample_id = ? AND "
                                            "case_id <> ?", [sample.sample_id, first]).fetchall()]:
        answer_all(demo, ann, sample.sample_id, case)
        step([("sample.reviewed", f"sample:{sample.sample_id}")])
    sign_off(demo, ann, sample.sample_id, users={})
    step([("sample.evaluated", f"sample:{sample.sample_id}")])

    raised = raise_from_checks(demo, vera, BELCALL, "2026-10", today=date(2026, 11, 6))
    step([("finding.raised", f"finding:{r.finding_id}") for r in raised])
    [from_review] = raise_from_reviews(demo, ann, sample.sample_id, today=date(2026, 11, 6))
    step([("finding.raised", f"finding:{from_review.finding_id}")])
    manual = raise_finding(demo, vera, processor=BELCALL, period="2026-10", clause="SCC 8(b)",
                           title="Answers in English to Dutch-speaking customers", severity="low")
    step([("finding.raised", f"finding:{manual}")])
    move(demo, vera, manual, "notified")
    step([("finding.notified", f"finding:{manual}")])
    respond(demo, vera, manual, "accepted", "We will answer in the customer's language from December.")
    step([("finding.responded", f"finding:{manual}")])
    assign(demo, vera, manual, owner="vera")
    step([("finding.assigned", f"finding:{manual}")])

    piet = User("piet", ("processor",), processor=BELCALL)  # Belcall's own user (bound at sign-in)
    request = request_evidence(demo, ann, sample.sample_id, "the case file", date(2026, 11, 20),
                               today=date(2026, 11, 6))
    step([("evidence.requested", f"evidence_request:{request['request_id']}")])
    add_evidence(demo, piet, str(request["request_id"]), first, b"Call notes of the case.\n", "notes.txt")
    step([("evidence.added", f"evidence_request:{request['request_id']}")])
    answer = portal_respond(demo, piet, manual, "accepted", "We answered in English.", "Language check in the CRM.",
                            date(2027, 1, 15), today=date(2026, 11, 7))
    step([("finding.processor_responded", f"finding:{manual}")])
    decide_response(demo, vera, answer, True, "Plan agreed.")
    step([("finding.response_accepted", f"finding:{manual}"), ("finding.remediation_planned", f"finding:{manual}")])

    export_pack(demo, ann, BELCALL, "2026-10", tmp_path / "pack.xlsx")
    step([("export.pack", f"processor:{BELCALL}")])
    export_letter(demo, vera, BELCALL, tmp_path / "letter.docx")
    step([("export.letter", f"processor:{BELCALL}")])
    escalate(demo, vera, manual, "reminder", tmp_path / "reminder.pdf")
    step([("letter.sent", f"processor:{BELCALL}"), ("finding.escalated", f"finding:{manual}")])

    exercised = {permission for permission, actions in AUDITED.items() if actions & seen}
    # Tested above, or with the processor's uploads (tests/test_portal_reports.py)
    # Issue 17's permissions: tests/test_retention.py, test_holds.py and test_processing_record.py check their events.
    # Issue 17's subject and key permissions: tests/test_subject_rights.py and test_key_rotation.py. Issue 16's move
    # of the store: tests/test_store_transfer.py.
    assert set(AUDITED) - exercised == {"ingest a report", "save a mapping", "load the demo reports",
                                        "upload a report as the processor", "apply retention", "manage legal holds",
                                        "write the record of processing", "find a data subject",
                                        "erase a data subject", "manage keys", "move the store"}
    status = audit.verify_chain(demo)
    assert status.intact and status.events == trail.seen

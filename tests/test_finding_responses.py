"""Responses to findings by the processor itself (issue 15 item 4), on the checked demo (a real DuckDB file with the
demo reports and one check run): the processor answers a notified finding of its own with a file, the compliance
officer accepts (→ remediation_planned) or rejects (→ stays notified, answer again), every step in the finding's
history and the audit trail with the attachment's SHA-256; a processor user sees nothing open internally and nothing
of another processor, and cannot decide; our own staff cannot answer in the processor's name."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from fpdf import FPDF

from findings import portal, queries
from findings.errors import InvalidValue
from findings.raising import raise_from_checks
from findings.service import move
from store.audit import verify_chain
from store.blobs import ForbiddenFileType, get_blob
from store.errors import PermissionDenied
from store.identity import ROLES, User
from store.scope import OutOfScope

BELCALL = "Belcall Antwerpen BV"
APPELIA = "Appelia Services SRL"
OFFICER = User("olivia", ROLES)
VENDOR_MANAGER = User("vince", ("vendor_manager",))
BELCALL_USER = User("bart", ("processor",), processor=BELCALL)
APPELIA_USER = User("anne", ("processor",), processor=APPELIA)
PLANNED = date.today() + timedelta(days=30)


@pytest.fixture
def raised(checked_demo: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Findings raised from the demo's check run, by processor (all still open)."""
    results = raise_from_checks(checked_demo, OFFICER)
    by: dict[str, list[str]] = {}
    for r in results:
        by.setdefault(str(queries.get_finding(checked_demo, r.finding_id)["processor"]), []).append(r.finding_id)
    assert by.get(BELCALL) and by.get(APPELIA), by
    return by


@pytest.fixture
def plan_pdf(tmp_path: Path) -> Path:
    """A real PDF, as the processor's remediation plan would be sent."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Remediation plan: deadline alerts in the CRM, team retrained by the planned date.")
    path = tmp_path / "remediation plan.pdf"
    pdf.output(str(path))
    return path


def notified(con: duckdb.DuckDBPyConnection, finding_id: str) -> str:
    move(con, OFFICER, finding_id, "notified")
    return finding_id


def test_respond_with_a_file_then_accept_plans_the_remediation(checked_demo, raised, plan_pdf):
    finding_id = notified(checked_demo, raised[BELCALL][0])
    data = plan_pdf.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    response_id = portal.respond(checked_demo, BELCALL_USER, finding_id, "accepted",
                                 "Two agents missed the deadline alert during the migration week.",
                                 plan="Deadline alert in the CRM; retrain the team.", planned_on=PLANNED,
                                 attachments=[(plan_pdf.name, data)])
    assert get_blob(checked_demo, sha) == data  # stored content-addressed
    [mine] = portal.responses_for(checked_demo, BELCALL_USER, finding_id)
    assert (mine["response_id"], mine["response"], mine["decision"]) == (response_id, "accepted", None)
    assert mine["attachments"] == [{"sha256": sha, "filename": "remediation plan.pdf", "size": len(data),
                                    "media_type": "application/pdf"}]
    assert "decided_by" not in mine

    status = portal.decide_response(checked_demo, OFFICER, response_id, accept=True, comment="Plan agreed.")
    assert status == "remediation_planned"
    finding = queries.get_finding(checked_demo, finding_id)
    assert finding["status"] == "remediation_planned" and finding["response"] == "accepted"
    actions = [(e["action"], e["from_status"], e["to_status"]) for e in finding["history"]][-3:]
    assert actions == [("processor_responded", "notified", "notified"), ("response_accepted", "notified", "notified"),
                       ("remediation_planned", "notified", "remediation_planned")]
    responded = finding["history"][-3]
    assert responded["user"] == "bart" and responded["role"] == "processor"
    assert responded["details"]["attachments"] == [{"filename": "remediation plan.pdf", "sha256": sha,
                                                    "size": len(data)}]
    assert finding["history"][-2]["details"]["attachments"] == [sha]
    trail = checked_demo.execute("SELECT action, user_name, details FROM audit_events WHERE object = ? "
                                 "ORDER BY seq", [f"finding:{finding_id}"]).fetchall()
    assert [a for a, _, _ in trail][-3:] == ["finding.processor_responded", "finding.response_accepted",
                                             "finding.remediation_planned"]
    assert sha in trail[-3][2] and sha in trail[-2][2]
    assert verify_chain(checked_demo).intact
    [view] = [f for f in portal.findings_for_processor(checked_demo, BELCALL_USER) if f["finding_id"] == finding_id]
    assert view["status"] == "remediation_planned" and view["responses"][0]["decision"] == "accepted"
    with pytest.raises(portal.AlreadyDecided):
        portal.decide_response(checked_demo, OFFICER, response_id, accept=False, comment="changed my mind")
    with pytest.raises(portal.NotNotified, match="already accepted"):  # answered: no second response
        portal.respond(checked_demo, BELCALL_USER, finding_id, "disputed", "On reflection, not ours.")


def test_reject_needs_a_comment_and_leaves_it_notified_for_a_new_answer(checked_demo, raised):
    finding_id = notified(checked_demo, raised[BELCALL][0])
    first = portal.respond(checked_demo, BELCALL_USER, finding_id, "disputed", "The customer withdrew the request.")
    with pytest.raises(portal.ResponsePending):  # one answer at a time: the first waits for a decision
        portal.respond(checked_demo, BELCALL_USER, finding_id, "disputed", "And another thing.")
    with pytest.raises(portal.CommentRequired):
        portal.decide_response(checked_demo, VENDOR_MANAGER, first, accept=False, comment="  ")
    assert portal.decide_response(checked_demo, VENDOR_MANAGER, first, accept=False,
                                  comment="The withdrawal came after the deadline.") == "notified"
    second = portal.respond(checked_demo, BELCALL_USER, finding_id, "partially_accepted", "Late for two cases only.",
                            plan="Deadline alert.", planned_on=PLANNED)
    responses = portal.responses_for(checked_demo, BELCALL_USER, finding_id)
    assert [(r["response_id"], r["decision"]) for r in responses] == [(first, "rejected"), (second, None)]
    assert responses[0]["decision_comment"] == "The withdrawal came after the deadline."
    history = queries.get_finding(checked_demo, finding_id)["history"]
    assert [e["action"] for e in history][-3:] == ["processor_responded", "response_rejected", "processor_responded"]
    assert history[-2]["details"]["comment"] == "The withdrawal came after the deadline."
    assert queries.get_finding(checked_demo, finding_id)["status"] == "notified"


def test_a_processor_user_sees_only_its_own_sent_findings(checked_demo, raised):
    sent = notified(checked_demo, raised[BELCALL][0])
    still_open = raised[BELCALL][1]
    theirs = notified(checked_demo, raised[APPELIA][0])
    view = portal.findings_for_processor(checked_demo, BELCALL_USER)
    assert [f["finding_id"] for f in view] == [sent]
    internal = {"owner", "source", "evidence", "status_reason", "created_by", "processor", "response_text"}
    assert not internal & set(view[0])
    for finding_id in (still_open, theirs, "F-2099-0001"):
        with pytest.raises(OutOfScope, match=r"No finding was found"):
            portal.responses_for(checked_demo, BELCALL_USER, finding_id)
        with pytest.raises(OutOfScope):
            portal.respond(checked_demo, BELCALL_USER, finding_id, "disputed", "probing")
    # the same answer for another processor's finding as for one that does not exist: nothing to probe
    with pytest.raises(OutOfScope) as other:
        portal.responses_for(checked_demo, BELCALL_USER, theirs)
    with pytest.raises(OutOfScope) as missing:
        portal.responses_for(checked_demo, BELCALL_USER, "F-2099-0001")
    assert str(other.value) == str(missing.value)
    # Appelia cannot decide (nor see) Belcall's response; the controller sees every processor's sent findings
    response_id = portal.respond(checked_demo, BELCALL_USER, sent, "disputed", "Not ours.")
    with pytest.raises(PermissionDenied):
        portal.decide_response(checked_demo, APPELIA_USER, response_id, accept=True)
    with pytest.raises(PermissionDenied):
        portal.decide_response(checked_demo, BELCALL_USER, response_id, accept=True)
    assert {f["finding_id"] for f in portal.findings_for_processor(checked_demo, OFFICER)} == {sent, theirs}
    assert portal.findings_for_processor(checked_demo, APPELIA_USER)[0]["responses"] == []


def test_only_the_processor_responds_and_only_to_a_notified_finding(checked_demo, raised, tmp_path):
    finding_id = raised[BELCALL][0]
    for staff in (OFFICER, VENDOR_MANAGER):
        with pytest.raises(PermissionDenied):
            portal.respond(checked_demo, staff, finding_id, "disputed", "typed in by us")
    notified(checked_demo, finding_id)
    move(checked_demo, OFFICER, finding_id, "dismissed", reason="false positive")
    with pytest.raises(portal.NotNotified, match=f"{finding_id} cannot be answered now: it is dismissed"):
        portal.respond(checked_demo, BELCALL_USER, finding_id, "disputed", "Not ours.")


def test_a_response_is_refused_without_plan_date_or_with_a_bad_file(checked_demo, raised, tmp_path):
    finding_id = notified(checked_demo, raised[BELCALL][0])
    with pytest.raises(InvalidValue, match="needs a remediation plan"):
        portal.respond(checked_demo, BELCALL_USER, finding_id, "accepted", "We agree.")
    with pytest.raises(InvalidValue, match="in the past"):
        portal.respond(checked_demo, BELCALL_USER, finding_id, "accepted", "We agree.", plan="Retrain.",
                       planned_on=date.today() - timedelta(days=1))
    with pytest.raises(InvalidValue, match="Explain"):
        portal.respond(checked_demo, BELCALL_USER, finding_id, "disputed", " ")
    with pytest.raises(InvalidValue, match="not a response"):
        portal.respond(checked_demo, BELCALL_USER, finding_id, "agreed", "ok")
    page = tmp_path / "plan.txt"
    page.write_text("<html><script>alert(1)</script></html>", encoding="utf-8")
    with pytest.raises(ForbiddenFileType):
        portal.respond(checked_demo, BELCALL_USER, finding_id, "disputed", "See file.",
                       attachments=[(page.name, page.read_bytes())])
    # nothing was kept of the refused attempts: no response, no history entry
    assert portal.responses_for(checked_demo, BELCALL_USER, finding_id) == []
    assert queries.get_finding(checked_demo, finding_id)["history"][-1]["action"] == "notified"
    assert checked_demo.execute("SELECT count(*) FROM finding_responses").fetchone() == (0,)

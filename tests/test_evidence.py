"""Evidence on request (issue 15 item 3): request after a draw, files per case on real bytes, hashes in the audit
trail, refusals (empty, oversize, forbidden types by content), processor scoping, time to answer and overdue."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date, timedelta

import pypdf
import pytest

from spotchecks import evidence
from spotchecks.errors import UnknownSample
from store import blobs, limits
from store.audit import list_events, verify_chain
from store.errors import PermissionDenied
from store.identity import User
from store.scope import OutOfScope
from tests.evidence_kit import APPELIA, AUDITOR, BELCALL, draw, minimal_pdf, minimal_png
from tests.spot_demo import user

TODAY = date.today()
DUE = TODAY + timedelta(days=14)
BELCALL_USER = User("bea", ("processor",), processor=BELCALL)
APPELIA_USER = User("aps", ("processor",), processor=APPELIA)


@pytest.fixture
def request_(demo):
    sample = draw(demo)
    return sample, evidence.request_evidence(demo, AUDITOR, sample.sample_id, "The call recording and the reply.",
                                             DUE)


def test_a_request_covers_every_active_case_of_the_drawn_sample(demo, request_) -> None:
    sample, req = request_
    assert str(req["request_id"]).startswith(f"ER-{TODAY.year}-") and req["processor"] == BELCALL
    assert sorted(req["case_ids"]) == sorted(p.case_id for p in sample.random_part)
    assert req["state"] == "open" and req["cases_answered"] == 0 and req["days_to_answer"] is None
    [event] = list_events(demo, action="evidence.requested")
    assert event["object"] == f"evidence_request:{req['request_id']}"
    assert sorted(event["details"]["case_ids"]) == sorted(req["case_ids"])


def test_a_pdf_comes_back_byte_identical_with_the_hash_in_the_audit_trail(demo, request_, tmp_path) -> None:
    _, req = request_
    case = req["case_ids"][0]
    pdf = minimal_pdf("Reply letter")
    assert pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text().strip() == "Reply letter"  # a real PDF
    path = tmp_path / "reply letter.pdf"
    path.write_bytes(pdf)
    added = evidence.add_evidence(demo, BELCALL_USER, req["request_id"], case, path)
    got = evidence.get_evidence(demo, AUDITOR, req["request_id"], case)
    assert got.data == pdf and got.sha256 == added["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert got.media_type == "application/pdf" and got.download_media_type == "application/pdf"
    assert got.download_name == "reply letter.pdf"
    [event] = list_events(demo, action="evidence.added")
    assert event["details"]["sha256"] == hashlib.sha256(got.data).hexdigest()
    assert event["user_name"] == "bea" and event["details"]["case_id"] == case
    assert verify_chain(demo).intact


def test_a_png_is_stored_once_however_often_it_is_sent(demo, request_) -> None:
    _, req = request_
    png = minimal_png()
    first, second = req["case_ids"][:2]
    a = evidence.add_evidence(demo, AUDITOR, req["request_id"], first, png, "screen.png")
    b = evidence.add_evidence(demo, AUDITOR, req["request_id"], second, png, "screen.png")
    assert a["sha256"] == b["sha256"] and a["media_type"] == "image/png"
    assert demo.execute("SELECT count(*) FROM blobs").fetchall() == [(1,)]
    assert [f["sha256"] for f in evidence.evidence_for_case(demo, AUDITOR, req.get("sample_id"), first)] == [
        a["sha256"]]


def _office(kind: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<x/>")
    return buffer.getvalue()


def test_office_files_and_utf8_text_are_accepted(demo, request_) -> None:
    _, req = request_
    case = req["case_ids"][0]
    for data, name in [(_office("docx"), "letter.docx"), (_office("xlsx"), "log.xlsx"),
                       ("naam;datum\nJosé;2026-10-01\n".encode(), "log.csv"), (b"Call notes\n", "notes.txt")]:
        evidence.add_evidence(demo, AUDITOR, req["request_id"], case, data, name)
    kinds = {f["filename"]: f["media_type"] for f in evidence.evidence_for_case(demo, AUDITOR, req["sample_id"], case)}
    assert kinds["notes.txt"] == "text/plain" and kinds["log.csv"] == "text/csv"
    assert blobs.download_media_type(kinds["letter.docx"]) == "application/octet-stream"


@pytest.mark.parametrize(("data", "name", "error", "words"), [
    (b"", "empty.pdf", blobs.EmptyFile, "is empty"),
    (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "page.html", blobs.ForbiddenFileType,
     "extension '.html'"),
    (b"<html><script>alert(1)</script></html>", "notes.txt", blobs.ForbiddenFileType, "content is not"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>', "x.svg", blobs.ForbiddenFileType, ".svg"),
    (b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200), "invoice.pdf", blobs.ForbiddenFileType, "Windows program"),
    (b"\x7fELF\x02\x01\x01" + bytes(100), "scan.png", blobs.ForbiddenFileType, "Linux program"),
    (b"Hello, plain text", "scan.pdf", blobs.ForbiddenFileType, "name says PDF"),
])
def test_refused_files_write_nothing_and_say_why(demo, request_, data, name, error, words) -> None:
    _, req = request_
    with pytest.raises(error, match=words) as refused:
        evidence.add_evidence(demo, BELCALL_USER, req["request_id"], req["case_ids"][0], data, name)
    assert "send it again" in str(refused.value) or "empty" in str(refused.value)
    assert demo.execute("SELECT count(*) FROM evidence_files").fetchall() == [(0,)]
    assert demo.execute("SELECT count(*) FROM blobs").fetchall() == [(0,)]
    assert not list_events(demo, action="evidence.added")


def test_a_zip_that_is_not_an_office_file_is_refused(demo, request_) -> None:
    _, req = request_
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.exe", b"MZ")
    with pytest.raises(blobs.ForbiddenFileType, match="content is not"):
        evidence.add_evidence(demo, AUDITOR, req["request_id"], req["case_ids"][0], buffer.getvalue(), "x.docx")


def test_an_oversize_file_is_refused_at_the_configured_limit(demo, request_, tmp_path) -> None:
    _, req = request_
    path = tmp_path / "big.pdf"
    path.write_bytes(minimal_pdf() + b"%" + b"x" * 2000)
    previous = limits.current()
    limits.configure(limits.parse_limits({"max_evidence_bytes": 1000}, tmp_path / "oversight.toml"))
    try:
        with pytest.raises(blobs.FileTooLarge, match="max_evidence_bytes"):
            evidence.add_evidence(demo, AUDITOR, req["request_id"], req["case_ids"][0], path)
        with pytest.raises(blobs.FileTooLarge):
            evidence.add_evidence(demo, AUDITOR, req["request_id"], req["case_ids"][0], path.read_bytes(), "b.pdf")
    finally:
        limits.configure(previous)
    assert limits.Limits().max_evidence_bytes == 20 * 1024 * 1024


def test_a_case_outside_the_request_is_refused(demo, request_) -> None:
    _, req = request_
    with pytest.raises(evidence.CaseNotRequested, match="not one of the cases"):
        evidence.add_evidence(demo, AUDITOR, req["request_id"], "NOT-A-CASE", minimal_pdf(), "a.pdf")


def test_only_auditors_and_officers_request_and_a_sample_must_exist(demo) -> None:
    sample = draw(demo)
    for who in (user("vendor_manager"), user("viewer"), BELCALL_USER):
        with pytest.raises(PermissionDenied):
            evidence.request_evidence(demo, who, sample.sample_id, "x", DUE)
    with pytest.raises(UnknownSample):
        evidence.request_evidence(demo, AUDITOR, "S-2026-9999", "x", DUE)
    with pytest.raises(evidence.InvalidRequest, match="before today"):
        evidence.request_evidence(demo, AUDITOR, sample.sample_id, "x", TODAY - timedelta(days=1))
    with pytest.raises(evidence.InvalidRequest, match="Say what"):
        evidence.request_evidence(demo, AUDITOR, sample.sample_id, "  ", DUE)


def test_a_processor_user_sees_its_own_requests_only(demo, request_) -> None:
    _, req = request_
    other = draw(demo, APPELIA, size=2, seed="evidence-seed-0002")
    theirs = evidence.request_evidence(demo, AUDITOR, other.sample_id, "Recordings.", DUE)
    # By id: another processor's request answers as one that does not exist, for every function.
    for call in (lambda: evidence.request_detail(demo, BELCALL_USER, theirs["request_id"]),
                 lambda: evidence.add_evidence(demo, BELCALL_USER, theirs["request_id"], theirs["case_ids"][0],
                                               minimal_pdf(), "a.pdf"),
                 lambda: evidence.get_evidence(demo, BELCALL_USER, theirs["request_id"], theirs["case_ids"][0]),
                 lambda: evidence.request_detail(demo, BELCALL_USER, "ER-2000-0001")):
        with pytest.raises(OutOfScope, match="No evidence request"):
            call()
    evidence.add_evidence(demo, APPELIA_USER, theirs["request_id"], theirs["case_ids"][0], minimal_png(), "a.png")
    assert evidence.evidence_for_case(demo, BELCALL_USER, other.sample_id, theirs["case_ids"][0]) == []
    mine = evidence.list_requests(demo, BELCALL_USER)
    assert [r["request_id"] for r in mine] == [req["request_id"]]
    assert evidence.list_requests(demo, BELCALL_USER, processor=APPELIA) == []
    assert {r["processor"] for r in evidence.list_requests(demo, AUDITOR)} == {BELCALL, APPELIA}
    # Never the sample (its seed and key items stay internal): only the request's cases and what is asked.
    detail = evidence.request_detail(demo, BELCALL_USER, req["request_id"])
    assert "sample_id" not in detail and "seed" not in detail and "sample_id" not in mine[0]
    assert detail["what"] == "The call recording and the reply." and detail["case_ids"] == sorted(req["case_ids"])


def test_time_to_answer_and_overdue(demo, request_) -> None:
    _, req = request_
    later = DUE + timedelta(days=1)
    [overdue] = evidence.overdue_requests(demo, later)
    assert overdue["request_id"] == req["request_id"] and overdue["state"] == "overdue"
    assert evidence.overdue_requests(demo, DUE) == []  # due today is not yet past due
    assert evidence.overdue_requests(demo, later, processor=APPELIA) == []
    for case in req["case_ids"]:
        evidence.add_evidence(demo, BELCALL_USER, req["request_id"], case, minimal_pdf(case), f"{case}.pdf")
    assert evidence.overdue_requests(demo, later) == []
    [done] = evidence.list_requests(demo, AUDITOR, as_of=later)
    assert done["state"] == "answered" and done["days_to_answer"] == 0 and not done["overdue"]
    assert done["cases_answered"] == done["cases"] == len(req["case_ids"])
    assert demo.execute("SELECT status FROM evidence_requests").fetchall() == [("answered",)]


def test_blob_store_refuses_unknown_hashes(demo) -> None:
    with pytest.raises(blobs.UnknownBlob, match="No stored file"):
        blobs.get_blob(demo, "0" * 64)
    assert blobs.safe_filename("../../etc/<x>.pdf") == "x_.pdf" and blobs.safe_filename("...") == "evidence"

"""The findings letter service: the processor's open findings with clause and due dates, as .docx or .pdf; the
.xlsx/.csv letter is refused; stored and audited with its hash (tests/test_letters.py reads the files in detail)."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import duckdb
import pytest

from exports.errors import UnknownProcessor, UnsupportedFormat
from exports.letter import LETTER_COLUMNS, export_letter, letter_bytes, list_letters, open_findings
from exports.scope import Scope
from findings.raising import raise_from_checks
from findings.service import move, respond
from store import audit
from store.errors import PermissionDenied
from store.identity import User
from tests import test_export_pack as pack_tests
from tests.test_export_pack import BELCALL, OFFICER
from tests.test_letters import docx_text, pdf_text

# The checked demo database of the pack tests, copied per test.
demo = pack_tests.demo

AS_OF = date(2026, 11, 28)


@pytest.fixture
def findings(demo: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Belcall's October findings from the checks, one of them closed and two dismissed, one with a response."""
    raised = {r.finding_id: r for r in raise_from_checks(demo, OFFICER, BELCALL, "2026-10", today=date(2026, 11, 6))}
    ids = sorted(raised)
    late, overdue, optout, quarantined, roster = ids
    move(demo, OFFICER, roster, "dismissed", reason="the roster is sent apart, by e-mail, under this contract")
    for status in ("notified", "remediation_planned", "remediated", "closed"):
        move(demo, OFFICER, optout, status)
    move(demo, OFFICER, quarantined, "dismissed", reason="false positive: the row was a test line")
    move(demo, OFFICER, late, "notified")
    respond(demo, OFFICER, late, "disputed", "We answered by phone on time.")
    return {"late": late, "overdue": overdue, "closed": optout, "dismissed": quarantined}


def test_the_letter_covers_the_open_findings_with_clause_and_due_date(demo, findings, tmp_path):
    rows = open_findings(demo, Scope(BELCALL, "default"), AS_OF)
    assert [r[0] for r in rows] == [findings["late"], findings["overdue"]]
    late = dict(zip(LETTER_COLUMNS, rows[0], strict=True))
    assert (late["clause"], late["clause_title"], late["case_ids"]) == \
        ("SCC 8(b)", "Assistance to the controller", "BC-260818-01")
    out = tmp_path / "letter.docx"
    export_letter(demo, OFFICER, BELCALL, out, as_of=AS_OF)
    text = docx_text(out.read_bytes())
    assert f"Finding {findings['late']}" in text and f"Finding {findings['overdue']}" in text
    assert findings["closed"] not in text and findings["dismissed"] not in text
    assert "Clause SCC 8(b) of the contract: Assistance to the controller" in text
    assert "Please remedy it by 20 November 2026. That date has passed" in text  # high: 14 days after 6 November
    assert "Your answer so far: disputed." in text


def test_a_processor_without_open_findings_gets_a_letter_saying_so(demo, tmp_path):
    text = pdf_text(letter_bytes(demo, OFFICER, BELCALL, "pdf", as_of=AS_OF))
    assert "We have no open finding to bring to your attention at this time." in text


def test_letter_bytes_records_the_export_with_its_findings_and_hash(demo, findings):
    data = letter_bytes(demo, OFFICER, BELCALL, "docx", as_of=AS_OF)
    [event] = audit.list_events(demo, action="export.letter")
    [stored] = list_letters(demo, OFFICER, BELCALL)
    assert event["details"] == {"file": "findings-letter_Belcall-Antwerpen-BV_2026-11-28.docx",
                                "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
                                "processor": BELCALL, "format": "docx", "language": "en", "kind": "findings",
                                "letter_id": stored["letter_id"],
                                "findings": [findings["late"], findings["overdue"]]}
    assert stored["sha256"] == event["details"]["sha256"] and stored["size"] == len(data)


def test_the_format_follows_the_file_name_and_others_are_refused(demo, tmp_path):
    export_letter(demo, OFFICER, BELCALL, tmp_path / "letter.PDF")
    assert (tmp_path / "letter.PDF").read_bytes().startswith(b"%PDF")
    for name in ("letter.xlsx", "letter.csv"):
        with pytest.raises(UnsupportedFormat, match=r"written as \.docx \(editable\) or \.pdf, not '(xlsx|csv)'"):
            export_letter(demo, OFFICER, BELCALL, tmp_path / name)
    with pytest.raises(UnknownProcessor, match="There is no processor named 'Nobody'"):
        export_letter(demo, OFFICER, "Nobody", tmp_path / "letter.docx")
    assert [e["details"]["format"] for e in audit.list_events(demo, action="export.letter")] == ["pdf"]


def test_an_auditor_may_not_export_a_letter_a_vendor_manager_may(demo, tmp_path: Path):
    with pytest.raises(PermissionDenied, match="may not export a findings letter: that needs one of the roles "
                                               "compliance_officer, vendor_manager"):
        export_letter(demo, User("aud", ("auditor",)), BELCALL, tmp_path / "l.docx")
    export_letter(demo, User("vera", ("vendor_manager",)), BELCALL, tmp_path / "l.docx")
    assert audit.list_events(demo, action="export.letter")[0]["user_name"] == "vera"

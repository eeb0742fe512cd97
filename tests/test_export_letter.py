"""The findings letter: the processor's open findings with clause, case ids and due dates, as .xlsx or .csv."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date
from pathlib import Path

import duckdb
import pytest

from exports.errors import UnknownProcessor, UnsupportedFormat
from exports.letter import LETTER_COLUMNS, export_letter, letter_bytes
from findings.raising import raise_from_checks
from findings.service import move, raise_finding, respond
from store import audit
from store.errors import PermissionDenied
from store.identity import User
from tests import test_export_pack as pack_tests
from tests.test_export_pack import BELCALL, OFFICER, grid, section

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


def test_the_letter_lists_the_open_findings_with_clause_cases_and_due_dates(demo, findings, tmp_path):
    out = tmp_path / "letter.xlsx"
    export_letter(demo, OFFICER, BELCALL, out, as_of=AS_OF)
    sheet = grid(out)["Open findings"]
    assert sheet[:4] == [[f"Open findings — {BELCALL}"], ["To", BELCALL], ["Date", "2026-11-28"], ["Open findings", 2]]
    letter = section(sheet, "Findings to answer")
    assert [f["finding_id"] for f in letter] == [findings["late"], findings["overdue"]]
    late = letter[0]
    assert (late["clause"], late["clause_title"]) == ("SCC 8(b)", "Assistance to the controller")
    assert late["case_ids"] == "BC-260818-01"
    assert (late["status"], late["response"], late["response_text"]) == \
        ("notified", "disputed", "We answered by phone on time.")
    assert late["due_on"] == "2026-11-20" and late["overdue"] is True  # high: 14 days after 6 November


def test_the_letter_never_holds_a_data_subject_reference(demo, findings, tmp_path):
    refs = [r[0] for r in demo.execute("SELECT DISTINCT data_subject_ref FROM cases WHERE data_subject_ref IS NOT "
                                       "NULL").fetchall()]
    out = tmp_path / "letter.csv"
    export_letter(demo, OFFICER, BELCALL, out, as_of=AS_OF)
    text = out.read_text(encoding="utf-8-sig")
    assert refs and not [ref for ref in refs if ref in text]
    assert "data_subject" not in text


def test_the_csv_letter_is_a_formula_safe_table_that_excel_reads_as_utf8(demo, findings, tmp_path):
    hostile = raise_finding(demo, OFFICER, processor=BELCALL, period="2026-10", clause="SCC 7.6",
                            title='=HYPERLINK("http://evil.example","Réponse")', severity="low",
                            description="@SUM(1+1)", case_ids=["BC-261001-01"])
    out = tmp_path / "letter.csv"
    export_letter(demo, OFFICER, BELCALL, out, as_of=AS_OF)
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(table[0]) == LETTER_COLUMNS
    row = next(r for r in table if r["finding_id"] == hostile)
    assert row["title"] == '\'=HYPERLINK("http://evil.example","Réponse")'
    assert row["description"] == "'@SUM(1+1)"
    assert {r["finding_id"] for r in table} == {findings["late"], findings["overdue"], hostile}


def test_a_processor_without_open_findings_gets_an_empty_letter(demo, tmp_path):
    sheet = grid(letter_bytes(demo, OFFICER, BELCALL, as_of=AS_OF))["Open findings"]
    assert ["No open findings."] in sheet
    data = letter_bytes(demo, OFFICER, BELCALL, "csv", as_of=AS_OF)
    assert data.decode("utf-8-sig").splitlines() == [",".join(LETTER_COLUMNS)]


def test_letter_bytes_records_the_export_with_its_findings_and_hash(demo, findings):
    data = letter_bytes(demo, OFFICER, BELCALL, "csv", as_of=AS_OF)
    [event] = audit.list_events(demo, action="export.letter")
    assert event["details"] == {"file": "findings-letter_Belcall-Antwerpen-BV_2026-11-28.csv",
                                "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
                                "processor": BELCALL, "format": "csv",
                                "findings": [findings["late"], findings["overdue"]]}


def test_the_format_follows_the_file_name_and_others_are_refused(demo, tmp_path):
    export_letter(demo, OFFICER, BELCALL, tmp_path / "letter.CSV")
    assert (tmp_path / "letter.CSV").read_bytes().startswith(b"\xef\xbb\xbffinding_id,")
    with pytest.raises(UnsupportedFormat, match=r"written as \.xlsx or \.csv, not 'pdf'"):
        export_letter(demo, OFFICER, BELCALL, tmp_path / "letter.pdf")
    with pytest.raises(UnknownProcessor, match="There is no processor named 'Nobody'"):
        export_letter(demo, OFFICER, "Nobody", tmp_path / "letter.xlsx")
    assert [e["details"]["format"] for e in audit.list_events(demo, action="export.letter")] == ["csv"]


def test_an_auditor_may_not_export_a_letter_a_vendor_manager_may(demo, tmp_path: Path):
    with pytest.raises(PermissionDenied, match="may not export a findings letter: that needs one of the roles "
                                               "compliance_officer, vendor_manager"):
        export_letter(demo, User("aud", ("auditor",)), BELCALL, tmp_path / "l.xlsx")
    export_letter(demo, User("vera", ("vendor_manager",)), BELCALL, tmp_path / "l.xlsx")
    assert audit.list_events(demo, action="export.letter")[0]["user_name"] == "vera"

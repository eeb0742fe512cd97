"""The processor uploads its own report (issue 15 item 2): real files through the real ingest, into a real DuckDB.

A processor user is constructed directly (the users file and the sign-in binding are store.scope's and
store.access's); the register entry behind it is made by the compliance officer's first report.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from ingest.service import IngestResult
from portal.reports import (
    PendingDecided,
    PendingStale,
    ReasonRequired,
    confirm_pending,
    list_pending,
    quarantine_for,
    reject_pending,
    submissions_for,
    upload_report,
)
from store import limits
from store.audit import list_events
from store.errors import PermissionDenied
from store.identity import ROLES, User
from store.scope import OutOfScope
from tests.conftest import HEADER_NL, nl_row

BELCALL = "Belcall Antwerpen BV"
CONTACTIA = "Contactia BV"
BEL = User("bel", ("processor",), processor=BELCALL)
CON = User("con", ("processor",), processor=CONTACTIA)
OFFICER = User("olivia", ROLES)
UPLOADED = datetime(2026, 11, 7, 23, 30, tzinfo=UTC)  # late evening UTC: the arrival day is the UTC day

TABLES = ("submissions", "cases", "quarantine", "pending_submissions", "blobs", "processors")


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES}


@pytest.fixture
def registered(ingest: Callable[..., IngestResult], write_csv: Callable[..., Path]) -> IngestResult:
    """Both processors are in the register, each with an October report of three cases (the officer's uploads)."""
    ingest(write_csv("contactia_2026-10.csv", [HEADER_NL, nl_row("CT-1"), nl_row("CT-2")]), processor=CONTACTIA,
           submitted_on=date(2026, 11, 3))
    return ingest(write_csv("belcall_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2"), nl_row("BC-3")]),
                  submitted_on=date(2026, 11, 3))


def upload(con: duckdb.DuckDBPyConnection, key_path: Path, path: Path, user: User = BEL,
           now: datetime = UPLOADED) -> object:
    return upload_report(con, user, path, key_path=key_path, now=now)


def test_a_processor_uploads_its_own_report_which_arrives_on_the_upload_day(con, key_path, write_csv, registered):
    path = write_csv("belcall_2026-09.csv", [HEADER_NL, nl_row("BC-9", received="05-09-2026"),
                                             nl_row("BC-10", received="31-02-2026")])
    result = upload(con, key_path, path)
    assert (result.status, result.processor, result.period) == ("loaded", BELCALL, "2026-09")
    assert result.submitted_on == "2026-11-07" and (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert result.quarantine[0]["case_id"] == "BC-10" and result.quarantine[0]["reasons"] == ["bad_date"]
    assert con.execute("SELECT submitted_on, ingested_by FROM submissions WHERE submission_id = ?",
                       [result.submission_id]).fetchall() == [(date(2026, 11, 7), "bel")]
    event = list_events(con, action="report.ingested", limit=1)[0]
    assert (event["user_name"], event["role"]) == ("bel", "processor")
    assert quarantine_for(con, BEL, result.submission_id)[0]["reasons"] == ["bad_date"]
    again = upload(con, key_path, path)
    assert again.status == "duplicate" and again.submission_id == result.submission_id


def test_a_resubmission_that_adds_cases_loads_at_once(con, key_path, write_csv, registered):
    bigger = write_csv("belcall_v2_2026-10.csv", [HEADER_NL, *(nl_row(f"BC-{i}") for i in range(1, 5))])
    result = upload(con, key_path, bigger)
    assert result.status == "loaded" and result.replaces == registered.submission_id
    assert result.changes["added"] == 1 and list_pending(con, OFFICER) == []


def test_a_file_naming_another_processor_is_refused_and_nothing_is_written(con, key_path, tmp_path, registered):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Dossiers"
    for line in (HEADER_NL, nl_row("CT-7")):
        book.active.append(line.split(";"))
    summary = book.create_sheet("Samenvatting")
    summary.append(["Verwerker", CONTACTIA])
    summary.append(["Periode", "2026-09"])
    path = tmp_path / "report_2026-09.xlsx"
    book.save(path)
    before = counts(con)
    result = upload(con, key_path, path)
    assert result.status == "refused" and "another processor" in result.reason and CONTACTIA not in result.reason
    assert counts(con) == before
    assert list_events(con, action="report.refused", limit=1)[0]["details"]["reason"] == "other_processor"


def test_a_resubmission_that_removes_cases_waits_for_the_officer_then_arrives_on_its_upload_day(
        con, key_path, write_csv, registered):
    smaller = write_csv("belcall_v2_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2")])
    result = upload(con, key_path, smaller)
    assert result.status == "pending" and result.changes["removed"] == 1 and "confirmation" in result.reason
    current = con.execute("SELECT submission_id FROM submissions WHERE status = 'current' AND period = '2026-10' "
                          "AND processor_id = (SELECT processor_id FROM processors WHERE name = ?)",
                          [BELCALL]).fetchall()
    assert current == [(registered.submission_id,)]  # nothing replaced
    waiting = list_pending(con, OFFICER)
    assert [(w["pending_id"], w["processor"], w["status"]) for w in waiting] == [(result.pending_id, BELCALL,
                                                                                  "pending")]
    assert waiting[0]["diff_summary"]["removed_case_ids"] == ["BC-3"]
    assert list_events(con, action="report.pending", limit=1)[0]["details"]["removed"] == 1
    assert upload(con, key_path, smaller).pending_id == result.pending_id  # the same file again: the same wait
    assert submissions_for(con, BEL)[0]["status"] == "waiting for confirmation"

    with pytest.raises(PermissionDenied):
        confirm_pending(con, BEL, result.pending_id, key_path=key_path)
    confirmed = confirm_pending(con, OFFICER, result.pending_id, key_path=key_path,
                                now=datetime(2026, 11, 20, tzinfo=UTC))
    assert confirmed.status == "resubmission" and confirmed.removed == ["BC-3"]
    assert confirmed.submitted_on == "2026-11-07"  # the arrival date is the upload's, not the confirmation's
    row = con.execute("SELECT status, decided_by, submission_id FROM pending_submissions").fetchall()
    assert row == [("confirmed", "olivia", confirmed.submission_id)]
    assert list_events(con, action="report.pending_confirmed", limit=1)[0]["details"]["submitted_on"] == "2026-11-07"
    with pytest.raises(PendingDecided):
        reject_pending(con, OFFICER, result.pending_id, "too late")


def test_a_pending_upload_is_not_confirmed_over_a_report_loaded_since(con, key_path, write_csv, registered, ingest):
    """The officer confirms what the diff showed; a report of the month loaded after the upload would be replaced
    unseen, so confirming is refused and nothing is loaded."""
    result = upload(con, key_path, write_csv("belcall_v2_2026-10.csv", [HEADER_NL, nl_row("BC-1")]))
    newer = ingest(write_csv("belcall_v3_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2"), nl_row("BC-3"),
                                                        nl_row("BC-4")]), submitted_on=date(2026, 11, 9))
    before = counts(con)
    with pytest.raises(PendingStale, match=f"submission {newer.submission_id} has been loaded for that month since"):
        confirm_pending(con, OFFICER, result.pending_id, key_path=key_path)
    assert counts(con) == before
    assert list_pending(con, OFFICER)[0]["status"] == "pending"  # still to reject, with a reason


def test_a_rejected_upload_keeps_the_current_report_and_the_reason(con, key_path, write_csv, registered):
    result = upload(con, key_path, write_csv("belcall_v2_2026-10.csv", [HEADER_NL, nl_row("BC-1")]))
    with pytest.raises(ReasonRequired):
        reject_pending(con, OFFICER, result.pending_id, "  ")
    rejected = reject_pending(con, OFFICER, result.pending_id, "BC-2 and BC-3 were handled in October")
    assert (rejected["status"], rejected["reason"]) == ("rejected", "BC-2 and BC-3 were handled in October")
    assert list_pending(con, OFFICER) == []
    assert list_events(con, action="report.pending_rejected", limit=1)[0]["details"]["reason"].startswith("BC-2")
    mine = [s for s in submissions_for(con, BEL) if s["pending_id"] == result.pending_id]
    assert mine[0]["status"] == "rejected" and mine[0]["reason"].startswith("BC-2")
    assert con.execute("SELECT count(*) FROM submissions WHERE status = 'current' AND period = '2026-10'"
                       ).fetchall() == [(2,)]


def test_a_processor_user_sees_nothing_of_another_processor(con, key_path, write_csv, registered):
    pending = upload(con, key_path, write_csv("contactia_v2_2026-10.csv", [HEADER_NL, nl_row("CT-1")]), user=CON)
    assert pending.status == "pending" and pending.processor == CONTACTIA
    contactia = con.execute("SELECT submission_id FROM submissions s JOIN processors p USING (processor_id) "
                            "WHERE p.name = ?", [CONTACTIA]).fetchall()[0][0]
    assert list_pending(con, BEL) == [] and [p["processor"] for p in list_pending(con, CON)] == [CONTACTIA]
    assert {s["processor"] for s in submissions_for(con, BEL)} == {BELCALL}
    with pytest.raises(OutOfScope, match=r"No submission \d+ was found"):
        quarantine_for(con, BEL, contactia)
    with pytest.raises(OutOfScope):
        submissions_for(con, BEL, CONTACTIA)
    with pytest.raises(OutOfScope):
        reject_pending(con, User("viv", ("compliance_officer", "processor"), processor=BELCALL), pending.pending_id,
                       "not yours")
    with pytest.raises(OutOfScope):
        quarantine_for(con, BEL, 999_999)
    assert {s["processor"] for s in submissions_for(con, OFFICER)} == {BELCALL, CONTACTIA}


def test_the_compliance_officer_cannot_upload_as_the_processor(con, key_path, write_csv, registered):
    with pytest.raises(PermissionDenied):
        upload(con, key_path, write_csv("belcall_2026-09.csv", [HEADER_NL, nl_row("BC-9")]), user=OFFICER)


def test_an_empty_or_too_large_file_is_refused_cleanly(con, key_path, write_csv, tmp_path, registered):
    empty = tmp_path / "belcall_2026-09.csv"
    empty.write_bytes(b"")
    before = counts(con)
    result = upload(con, key_path, empty)
    assert result.status == "refused" and "empty" in result.reason.lower()
    big = write_csv("belcall_2026-08.csv", [HEADER_NL, *(nl_row(f"BC-{i}", received="05-08-2026")
                                                         for i in range(50))])
    limits.configure(limits.Limits(max_file_bytes=1000))
    try:
        result = upload(con, key_path, big)
    finally:
        limits.configure(limits.Limits())
    assert result.status == "refused" and "1,000" in result.reason
    assert counts(con) == before


# --- the command line: oversight reports upload | pending | confirm | reject ----------------------------------------

def _users(folder: Path) -> None:
    (folder / "oversight.toml").write_text(
        f'[users.bel]\nroles = ["processor"]\nprocessor = "{BELCALL}"\n'
        f'[users.con]\nroles = ["processor"]\nprocessor = "{CONTACTIA}"\n'
        '[users.olivia]\nroles = ["compliance_officer"]\n', encoding="utf-8")


def test_the_cli_uploads_lists_confirms_and_rejects(cli_env, write_csv):
    import json

    from tests.conftest import run_cli

    for processor, rows in ((BELCALL, ("BC-1", "BC-2", "BC-3")), (CONTACTIA, ("CT-1", "CT-2"))):
        name = processor.split()[0].lower()
        path = write_csv(f"{name}_2026-10.csv", [HEADER_NL, *(nl_row(r) for r in rows)])
        code, _, err = run_cli("ingest", str(path), "--processor", processor, "--profile", "default")
        assert code == 0, err
    _users(cli_env.folder)
    smaller = write_csv("belcall_v2_2026-10.csv", [HEADER_NL, nl_row("BC-1")])
    code, out, err = run_cli("--user", "bel", "reports", "upload", str(smaller))
    assert code == 0, err
    assert "waiting as upload 1" in out and "confirmation" in out
    code, out, err = run_cli("--user", "bel", "reports", "upload", str(smaller), "--format", "json")
    assert json.loads(out)["status"] == "pending" and json.loads(out)["pending_id"] == 1
    code, out, _ = run_cli("--user", "con", "reports", "pending", "--format", "json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = run_cli("--user", "olivia", "reports", "pending")
    assert "belcall_v2_2026-10.csv" in out and "-2 removed" in out
    code, _, err = run_cli("--user", "bel", "reports", "confirm", "1")
    assert code == 2 and "for the controller's staff" in err
    code, _, err = run_cli("--user", "olivia", "reports", "reject", "1", "--reason", "  ")
    assert code == 2 and "Say why" in err
    code, out, err = run_cli("--user", "olivia", "reports", "confirm", "1")
    assert code == 0 and "resubmission" in out, err
    code, _, err = run_cli("--user", "olivia", "reports", "reject", "1", "--reason", "late")
    assert code == 2 and "already confirmed" in err
    other = write_csv("report_2026-09.csv", [HEADER_NL, nl_row("BC-9", received="05-09-2026")])
    code, out, err = run_cli("--user", "olivia", "reports", "upload", str(other))
    assert code == 2 and "upload a report as the processor" in err
    code, out, err = run_cli("--user", "bel", "reports", "upload", str(other))
    assert code == 0 and "loaded as submission" in out, err


# --- the compliance officer's Reports page: "Waiting for your confirmation" ---------------------------------------

def _hold_one(app_env, key: Path, tmp_path: Path) -> int:
    from store.db import connect

    path = tmp_path / "belcall_v2_2026-10.csv"
    path.write_text("\n".join([HEADER_NL, nl_row("BC-1")]) + "\n", encoding="utf-8")
    con = connect(app_env.db)
    try:
        held = upload_report(con, BEL, path, key_path=key, now=UPLOADED)
    finally:
        con.close()
    assert held.status == "pending"
    return int(held.pending_id)


def test_the_reports_page_confirms_and_rejects_what_waits(app_report, tmp_path):
    from tests.conftest import open_dashboard_page, with_db

    first = _hold_one(app_report, app_report.key, tmp_path)
    at = open_dashboard_page("app/reports.py")
    assert any(h.value == "Waiting for your confirmation" for h in at.subheader)
    assert any("removed: 1" in m.value and "BC-2" in m.value for m in at.markdown)
    at.text_input(key=f"pending_reason_{first}").input("BC-2 was answered in October")
    next(b for b in at.button if b.label == "Reject").click().run()
    assert not at.exception, at.exception
    assert with_db(lambda c: c.execute("SELECT status, reason FROM pending_submissions").fetchall()) == [
        ("rejected", "BC-2 was answered in October")]
    assert not any(h.value == "Waiting for your confirmation" for h in at.subheader)

    second = _hold_one(app_report, app_report.key, tmp_path)  # after a rejection the same file may wait again
    at = open_dashboard_page("app/reports.py")
    at.button(key=f"pending_confirm_{second}").click().run()
    assert not at.exception, at.exception
    assert with_db(lambda c: c.execute("SELECT p.status, s.submitted_on FROM pending_submissions p "
                                       "JOIN submissions s USING (submission_id)").fetchall()) == [
        ("confirmed", date(2026, 11, 7))]
    assert any("is submission" in s.value for s in at.success) or any("is submission" in m.value
                                                                      for m in at.markdown)

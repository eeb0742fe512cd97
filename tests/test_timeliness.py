"""Timeliness that is fair and cannot be gamed (issue 12 §2).

A report counts from the day the controller received it (given by the person ingesting, default today, never in
the future), not from the date the processor wrote on its own summary sheet (kept beside it as declared);
`report.late` judges the month's first report that loaded a case, and a correction after the due day is reported
apart (`report.corrected_late`, info); inbox files count from the day they were first seen. Real files, a real
DuckDB file, the check runner, the CLI and the Reports page.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from ingest.demo import SAMPLE_DIR
from ingest.errors import SubmittedInFuture
from ingest.inbox import list_inbox
from ingest.queries import list_reports
from ingest.received import first_seen
from ingest.service import ingest_report
from tests.checkkit import run
from tests.conftest import HEADER_NL, nl_row, open_dashboard_page, run_cli, with_db

APPELIA_08 = SAMPLE_DIR / "appelia" / "appelia_2026-08.xlsx"  # Résumé: "Date d'envoi" 15-09-2026


def late_and_corrected(con, period: str = "2026-10") -> tuple[list[dict], list[dict]]:
    found = run(con, period=period)
    return found.of("report.late"), found.of("report.corrected_late")


def test_the_summary_sheets_date_is_kept_as_declared_not_used(con, officer, key_path):
    result = ingest_report(con, APPELIA_08, user=officer, key_path=key_path, processor="Appelia Services SRL",
                           submitted_on=date(2026, 9, 18))
    assert (result.submitted_on, result.declared_submitted_on) == ("2026-09-18", "2026-09-15")
    assert any("says the report was sent on 2026-09-15, 3 day(s) before it was received (2026-09-18)" in n
               for n in result.notes)
    [report] = list_reports(con)
    assert (report["submitted_on"], report["submitted_on_source"], report["declared_submitted_on"]) == (
        date(2026, 9, 18), "argument", date(2026, 9, 15))


def test_without_a_date_the_report_counts_from_the_day_of_ingest(con, officer, key_path):
    result = ingest_report(con, APPELIA_08, user=officer, key_path=key_path, processor="Appelia Services SRL",
                           today=date(2026, 9, 20))
    assert (result.submitted_on, result.declared_submitted_on) == ("2026-09-20", "2026-09-15")
    assert "No date of receipt was given; the day of ingest (2026-09-20) was used." in result.notes


def test_a_date_received_in_the_future_is_refused_and_nothing_is_written(con, ingest, write_csv):
    path = write_csv("b_2026-10.csv", [HEADER_NL, nl_row("BC-1")])
    tomorrow = date.today() + timedelta(days=1)
    with pytest.raises(SubmittedInFuture, match="is in the future"):
        ingest(path, submitted_on=tomorrow)
    assert con.execute("SELECT count(*) FROM submissions").fetchall() == [(0,)]


def test_cli_refuses_a_future_submitted_on_with_exit_2(cli_env, write_csv):
    path = write_csv("b_2026-10.csv", [HEADER_NL, nl_row("BC-1")])
    code, _, err = run_cli("ingest", "--profile", "default", str(path), "--processor", "Belcall", "--submitted-on",
                           (date.today() + timedelta(days=3)).isoformat())
    assert code == 2 and "is in the future" in err


def test_a_correction_after_the_due_day_is_not_a_late_report(con, ingest, write_csv):
    ingest(write_csv("v1_2026-10.csv", [HEADER_NL, nl_row("BC-1")]), submitted_on=date(2026, 11, 5))
    ingest(write_csv("v2_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2")]), submitted_on=date(2026, 11, 14))
    late, corrected = late_and_corrected(con)
    assert late == []
    [correction] = corrected
    assert correction["severity"] == "info" and correction["case_id"] is None
    assert correction["details"] == {"corrected_on": "2026-11-14", "report_due_on": "2026-11-10",
                                     "submission_id": 2, "first_submission_id": 1, "first_submitted_on": "2026-11-05"}


def test_a_late_first_report_stays_late_after_an_early_looking_correction(con, ingest, write_csv):
    ingest(write_csv("v1_2026-10.csv", [HEADER_NL, nl_row("BC-1")]), submitted_on=date(2026, 11, 12))
    ingest(write_csv("v2_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2")]), submitted_on=date(2026, 11, 13))
    late, _ = late_and_corrected(con)
    assert [(r["details"]["submitted_on"], r["details"]["submission_id"], r["details"]["days_late"])
            for r in late] == [("2026-11-12", 1, 2)]


def test_a_first_file_that_loaded_no_case_does_not_make_the_month_on_time(con, ingest, write_csv):
    # Sent on time but every row quarantined (no date received): not a report of the month's cases.
    ingest(write_csv("empty_2026-10.csv", [HEADER_NL, "BC-1;;Inzage;Telefoon;KL-1;ja;;;;AG-07"]),
           submitted_on=date(2026, 11, 3))
    ingest(write_csv("real_2026-10.csv", [HEADER_NL, nl_row("BC-1")]), submitted_on=date(2026, 11, 14))
    late, corrected = late_and_corrected(con)
    assert [(r["details"]["submitted_on"], r["details"]["submission_id"]) for r in late] == [("2026-11-14", 2)]
    assert corrected == []  # the real report is the first one with cases: late, not a correction


def test_an_inbox_file_counts_from_the_day_it_was_first_seen(con, tmp_path):
    folder = tmp_path / "inbox"
    (folder / "Belcall Antwerpen BV").mkdir(parents=True)
    path = folder / "Belcall Antwerpen BV" / "belcall_2026-10.csv"
    path.write_text("\n".join([HEADER_NL, nl_row("BC-1")]) + "\n", encoding="utf-8")
    [item] = list_inbox(folder)
    assert first_seen(con, [item]) == {path: date.today()}
    con.execute("UPDATE inbox_files SET first_seen_at = TIMESTAMP '2026-11-04 07:30:00'")  # seen weeks ago
    path.rename(folder / "Belcall Antwerpen BV" / "renamed.csv")  # the same content under another name
    [renamed] = list_inbox(folder)
    assert first_seen(con, [renamed]) == {renamed.path: date(2026, 11, 4)}


def test_reports_page_offers_the_inbox_files_first_seen_day(app_report):
    folder = app_report.db.parent / "inbox" / "Belcall Antwerpen BV"
    folder.mkdir(parents=True)
    (folder / "belcall_2026-09.csv").write_text("\n".join([HEADER_NL, nl_row("BC-9", received="05-09-2026")]) + "\n",
                                                encoding="utf-8")
    at = open_dashboard_page("app/reports.py")  # the first listing records the file as seen today
    [submitted] = [d for d in at.date_input if d.label == "Submitted on"]
    assert submitted.value == date.today()
    with_db(lambda con: con.execute("UPDATE inbox_files SET first_seen_at = TIMESTAMP '2026-10-07 08:00:00'"))
    at = open_dashboard_page("app/reports.py")  # days later: the file still counts from the day it was first seen
    [submitted] = [d for d in at.date_input if d.label == "Submitted on"]
    assert submitted.value == date(2026, 10, 7)
    assert any("First seen in the inbox on 2026-10-07" in c.value for c in at.caption)


def test_cli_reports_json_gives_the_declared_date_beside_the_date_received(cli_env):
    run_cli("ingest", "--profile", "default",
            str(APPELIA_08), "--processor", "Appelia Services SRL", "--submitted-on", "2026-09-18")
    code, out, _ = run_cli("reports", "--format", "json")
    [report] = json.loads(out)
    assert code == 0 and (report["submitted_on"], report["declared_submitted_on"]) == ("2026-09-18", "2026-09-15")

"""Resubmissions that cannot destroy a month (issue 12 §1): field-level diffs, refusals, reinstate, refusal events.

Real CSV files ingested into a real DuckDB file; the CLI through run_cli; the Reports page through AppTest.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from ingest import resubmission
from ingest.errors import ReinstateRefused
from ingest.reinstate import reinstate
from ingest.resubmission import ResubmissionRefused
from store.audit import list_events
from tests.conftest import HEADER_NL, nl_row, open_dashboard_page, run_cli, with_db

CONTACTIA = "Contactia BV"


def refusals(con) -> list[dict]:
    return list_events(con, action="report.refused", limit=None)


def current(con) -> list[tuple[int, str]]:
    return con.execute("SELECT submission_id, file_name FROM submissions WHERE status = 'current' "
                       "ORDER BY submission_id").fetchall()


def test_a_resubmission_lists_added_removed_and_each_changed_field(con, ingest, write_csv):
    ingest(write_csv("v1_2026-10.csv", [HEADER_NL, nl_row("NL-1001"), nl_row("NL-1005", notice="nee",
                                                                             responded="20-10-2026",
                                                                             outcome="Uitgevoerd")]))
    second = ingest(write_csv("v2_2026-10.csv", [HEADER_NL, nl_row("NL-1001"), nl_row("NL-1005", notice="ja",
                                                                                      responded="20-10-2026",
                                                                                      outcome="Uitgevoerd"),
                                                 nl_row("NL-1009")]))
    assert second.status == "resubmission"
    assert (second.added, second.removed, second.truncated) == (["NL-1009"], [], False)
    assert second.field_changes == [{"case_id": "NL-1005", "field": "complaint_right_notified", "before": False,
                                     "after": True}]
    assert second.changes == {"added": 1, "added_case_ids": ["NL-1009"], "removed": 0, "removed_case_ids": [],
                              "changed": 1, "changed_case_ids": ["NL-1005"]}


def test_a_resubmission_that_removes_cases_is_refused_unless_replace(con, ingest, write_csv):
    first = ingest(write_csv("v1_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2")]))
    smaller = write_csv("v2_2026-10.csv", [HEADER_NL, nl_row("BC-1")])
    with pytest.raises(ResubmissionRefused) as refused:
        ingest(smaller)
    assert "remove 1 case(s) (BC-2)" in str(refused.value) and "--replace" in str(refused.value)
    assert current(con) == [(first.submission_id, "v1_2026-10.csv")]
    replaced = ingest(smaller, replace=True)
    assert replaced.status == "resubmission" and replaced.removed == ["BC-2"]


def test_a_resubmission_without_cases_is_refused_even_with_replace(con, ingest, write_csv):
    first = ingest(write_csv("good_2026-10.csv", [HEADER_NL, *(nl_row(f"NL-{i}") for i in range(17))]))
    # The mis-mapped upload: one row, quarantined (no date received), no case loaded.
    bad = write_csv("bad_2026-10.csv", [HEADER_NL, "NL-1;;Inzage;Telefoon;KL-1;ja;;;;AG-07"])
    for replace in (False, True):
        with pytest.raises(ResubmissionRefused) as refused:
            ingest(bad, replace=replace)
        assert refused.value.refusal == "resubmission_without_cases"
        assert "0 case(s) loaded, 1 row(s) quarantined" in str(refused.value)
        assert "has 17 case(s)" in str(refused.value)
    assert current(con) == [(first.submission_id, "good_2026-10.csv")]
    assert con.execute("SELECT count(*) FROM quarantine").fetchall() == [(0,)]


def test_a_preview_writes_nothing(con, ingest, write_csv):
    ingest(write_csv("v1_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2")]))
    before = con.execute("SELECT count(*) FROM submissions").fetchall()
    shown = ingest(write_csv("v2_2026-10.csv", [HEADER_NL, nl_row("BC-1", kind="Verwijdering")]),
                   ask_before_replacing=True)
    assert shown.status == "preview" and shown.submission_id is None and shown.replaces == 1
    assert shown.removed == ["BC-2"]
    assert shown.field_changes == [{"case_id": "BC-1", "field": "request_type", "before": "access",
                                    "after": "erasure"}]
    assert con.execute("SELECT count(*) FROM submissions").fetchall() == before


def test_lists_are_cut_at_ten_thousand_with_truncated(con, monkeypatch, ingest, write_csv):
    assert resubmission.LIST_LIMIT == 10_000
    monkeypatch.setattr(resubmission, "LIST_LIMIT", 2)  # the same cut, on a file small enough for a test
    ingest(write_csv("v1_2026-10.csv", [HEADER_NL, nl_row("BC-1")]))
    second = ingest(write_csv("v2_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2"), nl_row("BC-3"),
                                                 nl_row("BC-4")]))
    assert second.added == ["BC-2", "BC-3"] and second.truncated is True
    assert second.changes["added"] == 3
    assert resubmission.LIST_LIMIT == 2 and monkeypatch._setattr[0][2] == 10_000


def test_reinstate_makes_an_earlier_submission_current_again_with_the_reason(con, ingest, write_csv, officer):
    good = ingest(write_csv("good_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2")]))
    wrong = ingest(write_csv("wrong_2026-10.csv", [HEADER_NL, nl_row("BC-1")]), replace=True)
    done = reinstate(con, good.submission_id, reason="submission 2 was the wrong file", user=officer)
    assert (done.replaced, done.diff.added) == (wrong.submission_id, ["BC-2"])
    assert current(con) == [(good.submission_id, "good_2026-10.csv")]
    assert con.execute("SELECT status, superseded_by FROM submissions WHERE submission_id = ?",
                       [wrong.submission_id]).fetchall() == [("superseded", good.submission_id)]
    event = list_events(con, action="report.reinstated")[0]
    assert event["details"]["reason"] == "submission 2 was the wrong file"
    with pytest.raises(ReinstateRefused, match="already the current report"):
        reinstate(con, good.submission_id, reason="again", user=officer)
    with pytest.raises(ReinstateRefused, match="Say why"):
        reinstate(con, wrong.submission_id, reason=" ", user=officer)


def test_the_good_file_again_is_a_duplicate_that_points_to_reinstate(con, ingest, write_csv):
    good = write_csv("good_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2")])
    ingest(good)
    ingest(write_csv("wrong_2026-10.csv", [HEADER_NL, nl_row("BC-1")]), replace=True)
    again = ingest(good)
    assert again.status == "duplicate" and "oversight reports reinstate 1 --reason" in again.notes[0]


def test_a_refused_file_leaves_one_event_without_content_per_user_and_day(con, ingest, write_csv):
    bad = write_csv("x_2026-10.csv", ["Dossier nr.;Binnengekomen;Wat", "SECRET-1;05-10-2026;Inzage"])
    for _ in range(2):
        with pytest.raises(Exception, match="could not be found in the header"):
            ingest(bad)
    events = refusals(con)
    assert len(events) == 1
    details = events[0]["details"]
    assert details["reason"] == "unknown_headers" and details["file"] == "x_2026-10.csv"
    assert len(details["sha256"]) == 64 and details["size"] == bad.stat().st_size
    assert events[0]["user_name"] == "olivia"
    assert "SECRET" not in json.dumps(details) and "Dossier" not in json.dumps(details)
    assert con.execute("SELECT count(*) FROM submissions").fetchall() == [(0,)]


def test_cli_refuses_a_shrinking_resubmission_with_exit_2_and_replace_lets_it_through(cli_env, write_csv):
    run_cli("ingest", "--profile", "default",
            str(write_csv("v1_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2")])),
            "--processor", CONTACTIA, "--submitted-on", "2026-11-05")
    smaller = str(write_csv("v2_2026-10.csv", [HEADER_NL, nl_row("BC-1", kind="Verwijdering")]))
    code, out, err = run_cli("ingest", "--profile", "default",
                             smaller, "--processor", CONTACTIA, "--submitted-on", "2026-11-06",
                             "--format", "json")
    assert code == 2 and "remove 1 case(s) (BC-2)" in err
    refused = json.loads(out)[0]
    assert refused["status"] == "refused" and refused["removed"] == ["BC-2"]
    code, out, _ = run_cli("ingest", "--profile", "default",
                           smaller, "--processor", CONTACTIA, "--submitted-on", "2026-11-06",
                           "--replace", "--format", "json")
    done = json.loads(out)[0]
    assert code == 0 and done["status"] == "resubmission"
    assert (done["added"], done["removed"], done["truncated"]) == ([], ["BC-2"], False)
    assert done["field_changes"] == [{"case_id": "BC-1", "field": "request_type", "before": "access",
                                      "after": "erasure"}]
    assert "changes" in done


def test_cli_reinstate_and_reports_alone_still_lists(cli_env, write_csv):
    run_cli("ingest", "--profile", "default",
            str(write_csv("v1_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2")])),
            "--processor", CONTACTIA, "--submitted-on", "2026-11-05")
    run_cli("ingest", "--profile", "default",
            str(write_csv("v2_2026-10.csv", [HEADER_NL, nl_row("BC-1")])), "--processor", CONTACTIA,
            "--submitted-on", "2026-11-06", "--replace")
    code, out, _ = run_cli("reports", "reinstate", "1", "--reason", "v2 dropped BC-2 by mistake")
    assert code == 0 and "Submission 1 (v1_2026-10.csv) is the current report for Contactia BV 2026-10 again" in out
    code, out, _ = run_cli("reports", "--format", "json")
    assert code == 0 and [(r["submission_id"], r["status"]) for r in json.loads(out)] == [(2, "superseded"),
                                                                                           (1, "current")]
    code, _, err = run_cli("reports", "reinstate", "1", "--reason", "again")
    assert code == 2 and "already the current report" in err


def test_reports_page_previews_a_resubmission_and_writes_only_when_confirmed(app_report, tmp_path):
    def current_ids(con):
        return [r[0] for r in current(con)]

    at = open_dashboard_page("app/reports.py")
    content = "\n".join([HEADER_NL, nl_row("BC-1", notice="ja")]) + "\n"
    at.file_uploader(key="report_upload").set_value(("belcall_2026-10_v2.csv", content.encode(), "text/csv")).run()
    [processor] = [s for s in at.main.selectbox if s.label == "Processor"]
    processor.set_value("Belcall Antwerpen BV").run()
    [ingest_button] = [b for b in at.button if b.label == "Ingest"]
    ingest_button.click().run()
    assert not at.exception
    assert "would replace the current report (submission 1)" in " ".join(m.value for m in at.markdown)
    assert "Removed: [BC-2](case?case_id=BC-2&processor=Belcall%20Antwerpen%20BV)" in " ".join(
        w.value for w in at.warning)  # each id links to its Case page (§6)
    table = next(d.value for d in at.dataframe if {"field", "before", "after"} <= set(d.value.columns))
    assert table.to_dict("records") == [{"case id": "BC-1", "field": "complaint_right_notified", "before": "",
                                         "after": "True", "_case_page": "case?case_id=BC-1&processor=Belcall%20"
                                                                        "Antwerpen%20BV"}]
    assert with_db(current_ids) == [1]  # nothing written yet
    [replace] = [b for b in at.button if b.label == "Replace the current report"]
    replace.click().run()
    assert not at.exception
    assert with_db(current_ids) == [2]


def test_reports_page_reinstates_a_submission_with_a_reason(app_report, write_csv, officer, key_path):
    from ingest.service import ingest_report

    wrong = write_csv("wrong_2026-10.csv", [HEADER_NL, nl_row("BC-1")])
    with_db(lambda con: ingest_report(con, wrong, user=officer, key_path=app_report.key,
                                      processor="Belcall Antwerpen BV", submitted_on=date(2026, 11, 6),
                                      replace=True))
    at = open_dashboard_page("app/reports.py")
    at.selectbox(key="reinstate_submission").set_value(1)
    at.text_input(key="reinstate_reason").set_value("the v2 file dropped BC-2")
    [button] = [b for b in at.button if b.label == "Reinstate"]
    button.click().run()
    assert not at.exception
    assert "Submission 1 (belcall_2026-10.csv) is the current report" in " ".join(s.value for s in at.success)
    assert with_db(current) == [(1, "belcall_2026-10.csv")]

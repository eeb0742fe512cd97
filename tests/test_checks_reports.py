"""Report quality and completeness checks: late, quarantined rows, totals, dropped cases, rewritten history, gaps."""

from __future__ import annotations

from tests.checkkit import add_report, assert_offends, assert_passes, run


def test_report_due_on_day_ten_of_the_next_month(con):
    add_report(con, "2026-04", [{"case_id": "a", "received_on": "2026-04-02"}], submitted_on="2026-05-10")
    add_report(con, "2026-05", [{"case_id": "b", "received_on": "2026-05-04"}], submitted_on="2026-06-11")
    found = run(con)
    late = found.of("report.late")
    assert [(r["period"], r["case_id"], r["details"]["days_late"]) for r in late] == [("2026-05", None, 1)]


def test_quarantined_rows_and_totals(con):
    cases = [{"case_id": c, "received_on": "2026-04-02"} for c in ("a", "b", "c")]
    add_report(con, "2026-04", cases, declared_total=4, quarantined=1)  # 3 loaded + 1 quarantined = 4 rows
    add_report(con, "2026-05", [{"case_id": "d", "received_on": "2026-05-04"}], declared_total=2)
    add_report(con, "2026-06", [{"case_id": "e", "received_on": "2026-06-01"}])
    found = run(con)
    assert {r["period"] for r in found.of("report.rows_quarantined")} == {"2026-04"}
    mismatch = found.of("report.totals_mismatch")
    assert [(r["period"], r["details"]["declared_total"], r["details"]["data_rows"]) for r in mismatch] == [
        ("2026-05", 2, 1)]
    assert found.results[("report.totals_mismatch", "Testcall", "2026-06")][:2] == (0, 0)  # nothing declared


def test_open_case_missing_from_the_next_month_is_dropped(con):
    add_report(con, "2026-02", [
        {"case_id": "open-then-gone", "received_on": "2026-02-20"},
        {"case_id": "closed-then-gone", "received_on": "2026-02-02", "responded_on": "2026-02-10",
         "outcome": "fulfilled"},
        {"case_id": "open-still-listed", "received_on": "2026-02-21"},
    ])
    add_report(con, "2026-03", [{"case_id": "open-still-listed", "received_on": "2026-02-21"}])
    found = run(con)
    assert_offends(found, "report.case_dropped", "open-then-gone", previous_period="2026-02")
    assert_passes(found, "report.case_dropped", "closed-then-gone")
    assert_passes(found, "report.case_dropped", "open-still-listed")


def test_dropped_cases_compare_consecutive_months_only(con):
    add_report(con, "2026-01", [{"case_id": "open", "received_on": "2026-01-20"}])
    add_report(con, "2026-03", [{"case_id": "other", "received_on": "2026-03-02"}])
    assert run(con).of("report.case_dropped") == []


def test_rewritten_receipt_date_is_flagged_and_a_new_answer_is_not(con):
    add_report(con, "2026-02", [
        {"case_id": "moved", "received_on": "2026-02-24"},
        {"case_id": "answered-later", "received_on": "2026-02-25"},
        {"case_id": "answer-changed", "received_on": "2026-02-02", "responded_on": "2026-02-20", "outcome": "refused"},
    ])
    add_report(con, "2026-03", [
        {"case_id": "moved", "received_on": "2026-03-02"},
        {"case_id": "answered-later", "received_on": "2026-02-25", "responded_on": "2026-03-05",
         "outcome": "fulfilled"},
        {"case_id": "answer-changed", "received_on": "2026-02-02", "responded_on": "2026-02-18", "outcome": "refused"},
    ])
    found = run(con)
    row = assert_offends(found, "report.history_changed", "moved", changed_fields=["received_on"])
    assert row["details"]["before"]["received_on"] == "2026-02-24"
    assert_passes(found, "report.history_changed", "answered-later")
    assert_offends(found, "report.history_changed", "answer-changed", changed_fields=["responded_on"])


def test_a_month_without_report_between_two_reports_is_missing(con):
    add_report(con, "2026-01", [{"case_id": "a", "received_on": "2026-01-05"}])
    add_report(con, "2026-03", [{"case_id": "b", "received_on": "2026-03-05"}])
    found = run(con)
    assert [(r["period"], r["details"]["missing_period"]) for r in found.of("report.missing")] == [
        ("2026-03", "2026-02")]


def test_after_the_last_report_a_month_is_missing_once_its_due_day_has_passed(con):
    add_report(con, "2026-03", [{"case_id": "b", "received_on": "2026-03-05"}])
    on_due_day = run(con, as_of="2026-05-10")  # the April report is due on 10 May
    assert on_due_day.of("report.missing") == []
    after = run(con, as_of="2026-05-11")
    assert_offends(after, "report.missing", None, missing_period="2026-04", due_on="2026-05-10")

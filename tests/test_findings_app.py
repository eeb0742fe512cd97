"""The Findings page in AppTest: raise from the latest run, overdue rows highlighted, details, role-bound forms."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from app.findings import EXPORTS_BOX, RAISE_BOX
from findings import queries
from findings.service import assign, move
from store.db import connect
from store.identity import ROLES, User
from tests.conftest import AppEnv, open_dashboard_page, with_db
from tests.test_findings_raise import LATE, PROCESSOR, add_run, raise_one
from tests.test_findings_reviews import SAMPLE, add_sample

OFFICER = User("olivia", ROLES)


@pytest.fixture(autouse=True)
def check_run(app_report: AppEnv) -> None:
    """Every test runs the dashboard on its db_path with one Belcall report (conftest.app_report) and a check run with
    two major exceptions and a minor one; no users configured."""
    con = connect(app_report.db)
    try:
        add_run(con, [(LATE, "major", "BC-1"), (LATE, "major", "BC-2"), ("refusal.no_reason", "minor", "BC-1")])
    finally:
        con.close()


def open_page(*, closed: bool = False, **query: str) -> AppTest:
    """The Findings page; its "Raise findings" and "Letter … and monthly pack" expanders opened unless `closed`."""
    at = open_dashboard_page("app/findings.py", **query)
    if not closed:
        at.session_state[RAISE_BOX] = at.session_state[EXPORTS_BOX] = True
        at.run()
    return at


def text(elements: Iterable[object]) -> str:
    return "\n".join(str(getattr(e, "value", "")) for e in elements)


def button(at: AppTest, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, f"no button {label!r}"
    return found[0]


def test_the_raise_and_export_boxes_run_only_when_opened(db_path: Path) -> None:
    at = open_page(closed=True)
    assert not [b for b in at.button if b.label in ("Raise from the latest check run", "Raise finding")]
    assert [e.label for e in at.expander] == ["Raise findings", "Letter to the processor and monthly pack"]
    at.session_state[RAISE_BOX] = True
    at.run()
    assert button(at, "Raise from the latest check run") and not at.exception


def test_empty_page_says_how_to_raise_findings(db_path: Path) -> None:
    at = open_page()
    assert "No findings for this selection" in text(at.info) and "Raise findings" in text(at.info)
    assert {m.label: m.value for m in at.metric} == {"Open": "0", "Overdue": "0", "All findings": "0"}


def test_raise_from_the_latest_check_run_lists_the_findings(db_path: Path) -> None:
    at = open_page()
    button(at, "Raise from the latest check run").click().run()
    assert not at.exception
    assert "2 created." in text(at.success)
    table = at.dataframe[0].value
    assert sorted(table["severity"]) == ["high", "medium"] and set(table["status"]) == {"open"}
    assert {m.label: m.value for m in at.metric}["Open"] == "2"
    button(at, "Raise from the latest check run").click().run()
    assert "2 unchanged." in text(at.success) and len(at.dataframe[0].value) == 2


def test_overdue_findings_are_counted_and_highlighted(db_path: Path) -> None:
    def prepare(con):
        late = raise_one(con, OFFICER, title="Late one", due_on=date(2026, 1, 1))
        raise_one(con, OFFICER, title="Not yet due", due_on=date(2099, 1, 1))
        return late

    late = with_db(prepare)
    at = open_page()
    assert {m.label: m.value for m in at.metric} == {"Open": "2", "Overdue": "1", "All findings": "2"}
    table = at.dataframe[0].value
    assert table.set_index("title")["overdue"].to_dict() == {"Late one": True, "Not yet due": False}
    assert table.iloc[-1]["finding"] == late  # newest first
    styles = at.dataframe[0].proto.arrow_data.styler.styles
    late_row = int(table.index[table["finding"] == late][0])
    assert f"_row{late_row}_col0" in styles and f"_row{1 - late_row}_col" not in styles  # only the overdue row


def test_picking_a_finding_shows_its_cases_and_history_and_moves_it(db_path: Path) -> None:
    at = open_page()
    button(at, "Raise from the latest check run").click().run()
    finding_id = with_db(lambda con: next(f["finding_id"] for f in queries.list_findings(con)
                                          if f["source"] == f"check:{LATE}"))
    at.selectbox(key="finding_pick").set_value(finding_id).run()
    assert at.query_params["finding"] == finding_id
    assert f"{finding_id} · " in text(at.subheader)
    cases = next(d.value for d in at.dataframe if "case" in d.value.columns)
    assert list(cases["case"]) == ["BC-1", "BC-2"]
    assert [t.label for t in at.tabs] == ["Move", "Dismiss", "Processor response", "Assign"]
    move_form = at.tabs[0]
    move_form.selectbox[0].set_value("notified")
    move_form.button[0].click().run()
    assert not at.exception
    assert f"{finding_id} moved to notified." in text(at.success)
    assert with_db(lambda con: queries.get_finding(con, finding_id)["status"]) == "notified"
    history = next(d.value for d in at.dataframe if "action" in d.value.columns)
    assert list(history["action"]) == ["raised", "notified"]


def test_dismissing_without_a_reason_shows_the_refusal(db_path: Path) -> None:
    finding_id = with_db(lambda con: raise_one(con, OFFICER))
    at = open_page(finding=finding_id)
    dismiss = at.tabs[1]
    dismiss.button[0].click().run()
    assert "needs a reason" in text(at.error)
    assert with_db(lambda con: queries.get_finding(con, finding_id)["status"]) == "open"
    at.tabs[1].text_area[0].set_value("accepted risk until the new contract")
    at.tabs[1].button[0].click().run()
    assert with_db(lambda con: queries.get_finding(con, finding_id)["status"]) == "dismissed"


def test_a_shared_url_opens_the_finding(db_path: Path) -> None:
    def prepare(con):
        finding_id = raise_one(con, OFFICER, title="Complaint right not mentioned")
        move(con, OFFICER, finding_id, "notified")
        assign(con, OFFICER, finding_id, owner="vera")
        return finding_id

    finding_id = with_db(prepare)
    at = open_page(finding=finding_id, status="notified")
    assert at.selectbox(key="finding_pick").value == finding_id
    assert "owner vera" in text(at.markdown)
    assert list(at.dataframe[0].value["finding"]) == [finding_id]


def test_the_manual_form_picks_the_clause_from_the_register(db_path: Path) -> None:
    at = open_page()
    clause_box = next(s for s in at.selectbox if s.label.startswith("Clause (register of profile 'default')"))
    assert "SCC 8(b) — " in " ".join(clause_box.options) and len(clause_box.options) > 50  # the whole register
    clause_box.set_value("SCC 8(b)")
    next(t for t in at.text_input if t.label == "Period (YYYY-MM)").set_value("2026-10")
    next(t for t in at.text_input if t.label == "Title").set_value("Complaint right not mentioned")
    next(t for t in at.text_input if t.label.startswith("Case ids")).set_value("BC-2, BC-1")
    button(at, "Raise finding").click().run()
    assert not at.exception and not at.error, text(at.error)
    [finding] = with_db(lambda con: queries.list_findings(con))
    assert (finding["clause"], finding["case_ids"], finding["source"]) == ("SCC 8(b)", ["BC-1", "BC-2"], "manual")
    assert f"{finding['finding_id']} raised against SCC 8(b)." in text(at.success)


def test_a_viewer_sees_findings_but_no_forms(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    finding_id = with_db(lambda con: raise_one(con, OFFICER))
    Path(os.environ["OVERSIGHT_CONFIG"]).write_text('[users.vic]\nroles = ["viewer"]\n', encoding="utf-8")
    monkeypatch.setenv("OVERSIGHT_USER", "vic")
    at = open_page(finding=finding_id)
    assert f"{finding_id} · " in text(at.subheader)
    assert not at.tabs and not [b for b in at.button if b.label == "Raise from the latest check run"]
    assert "Your roles let you read findings" in text(at.caption)


def test_clause_severity_and_overdue_filters_come_from_the_url(db_path: Path) -> None:
    def prepare(con: duckdb.DuckDBPyConnection) -> None:
        raise_one(con, OFFICER, title="late, 8(b), high", due_on=date(2026, 1, 1))
        raise_one(con, OFFICER, title="not due, 8(b), high", due_on=date(2099, 1, 1))
        raise_one(con, OFFICER, title="late, 7.4, low", clause="SCC 7.4", severity="low", due_on=date(2026, 1, 1))

    with_db(prepare)
    at = open_page(clause="SCC 8(b)", overdue="1")
    assert list(at.dataframe[0].value["title"]) == ["late, 8(b), high"]
    assert at.sidebar.checkbox(key="filter_overdue").value
    at.sidebar.checkbox(key="filter_overdue").uncheck().run()
    assert "overdue" not in at.query_params
    assert sorted(at.dataframe[0].value["title"]) == ["late, 8(b), high", "not due, 8(b), high"]
    at = open_page(severity="low")
    assert list(at.dataframe[0].value["title"]) == ["late, 7.4, low"]


def test_the_chart_shows_open_findings_by_clause_and_age(db_path: Path) -> None:
    with_db(lambda con: [raise_one(con, OFFICER, clause=c) for c in ("SCC 8(b)", "SCC 8(b)", "SCC 7.4")])
    at = open_page()
    [chart] = [e for e in at.main if e.type == "vega_lite_chart"]
    spec = chart.proto.spec
    assert '"clause"' in spec and '"age"' in spec and "Open findings" in spec


def test_clicking_a_row_opens_that_finding(db_path: Path) -> None:
    first = with_db(lambda con: raise_one(con, OFFICER, title="first"))
    with_db(lambda con: raise_one(con, OFFICER, title="second"))
    at = open_page()
    assert at.dataframe[0].value.iloc[1]["finding"] == first
    at.session_state["findings_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert at.selectbox(key="finding_pick").value == first and f"{first} · first" in text(at.subheader)


def test_an_auditor_raises_from_review_no_answers_but_not_from_checks(db_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with_db(lambda con: add_sample(con, [("BC-1", "timely", "no", "answered on day 41")]))
    Path(os.environ["OVERSIGHT_CONFIG"]).write_text('[users.aude]\nroles = ["auditor"]\n', encoding="utf-8")
    monkeypatch.setenv("OVERSIGHT_USER", "aude")
    at = open_page()
    labels = [b.label for b in at.button]
    assert "Raise from the latest check run" not in labels and "Raise finding" not in labels
    button(at, 'Raise from its "no" answers').click().run()
    assert not at.exception and "1 created." in text(at.success)
    [finding] = with_db(lambda con: queries.list_findings(con))
    assert (finding["source"], finding["owner"]) == (f"spotcheck:{SAMPLE}:timely", None)


def test_letter_and_pack_are_built_downloaded_and_audited_from_the_page(db_path: Path) -> None:
    at = open_page(processor=PROCESSOR, period="2026-10")
    button(at, "Build the findings letter").click().run()
    assert not at.exception
    [download] = at.get("download_button")
    assert download.proto.label.startswith("Download ") and download.proto.label.endswith(".docx")
    button(at, "Build the monthly pack").click().run()
    assert not at.exception
    actions = with_db(lambda con: [r[0] for r in con.execute(
        "SELECT action FROM audit_events WHERE action LIKE 'export.%' ORDER BY seq").fetchall()])
    assert actions == ["export.letter", "export.pack"]


def test_a_viewer_may_not_build_the_letter(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Path(os.environ["OVERSIGHT_CONFIG"]).write_text('[users.vera]\nroles = ["viewer"]\n', encoding="utf-8")
    monkeypatch.setenv("OVERSIGHT_USER", "vera")
    at = open_page(processor=PROCESSOR, period="2026-10")
    assert button(at, "Build the findings letter").disabled
    assert button(at, "Build the monthly pack").disabled


def test_a_finding_with_more_cases_than_the_page_lists_says_where_the_rest_are(
        db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app import finding_detail

    monkeypatch.setattr(finding_detail, "CASES_SHOWN", 1)  # the page's cap (1,000), lowered to this report's size
    at = open_page()
    button(at, "Raise from the latest check run").click().run()
    finding_id = with_db(lambda con: next(f["finding_id"] for f in queries.list_findings(con)
                                          if f["source"] == f"check:{LATE}"))
    at.selectbox(key="finding_pick").set_value(finding_id).run()
    assert "**Cases** (2)" in text(at.markdown)
    cases = next(d.value for d in at.dataframe if "case" in d.value.columns)
    assert list(cases["case"]) == ["BC-1"]  # the first by case id
    assert "The first 1 of 2 cases by case id" in text(at.caption)
    assert f"oversight findings show {finding_id} --format json" in text(at.caption)
    assert with_db(lambda con: queries.get_finding(con, finding_id)["case_ids"]) == ["BC-1", "BC-2"]  # all kept

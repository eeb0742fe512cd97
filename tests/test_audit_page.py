"""The Audit trail page in AppTest: chain status, filters kept in the URL, paging, downloads, the monthly pack."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Element

from store import audit
from store.db import transaction
from tests.conftest import open_dashboard_page

BELCALL = "Belcall Antwerpen BV"

# Every test runs the dashboard on its db_path with one Belcall report (one audit event, so the demo is not loaded)
# and no users configured (conftest.app_report).
pytestmark = pytest.mark.usefixtures("app_report")


def change(db: Path, *sql: str, events: int = 0, action: str = "x.done") -> None:
    """Append events through the audit trail, then run SQL from outside the tool (tampering)."""
    con = duckdb.connect(str(db))
    try:
        with transaction(con):
            for i in range(events):
                audit.append_event(con, user="vera" if i % 2 else "ann", role="auditor", action=action,
                                   obj=f"thing:{i}")
        for statement in sql:
            con.execute(statement)
    finally:
        con.close()


def open_page(**query: str) -> AppTest:
    return open_dashboard_page("app/audit.py", **query)


def text(elements: Iterable[Element]) -> str:
    return "\n".join(str(e.value) for e in elements)


def table(at: AppTest):
    return next(df.value for df in at.dataframe if "action" in df.value.columns)


def sidebar(at: AppTest, label: str):
    return next(w for w in [*at.sidebar.selectbox, *at.sidebar.text_input, *at.sidebar.date_input]
                if w.label == label)


def test_an_intact_trail_says_so_and_lists_the_events_newest_first(db_path):
    change(db_path, events=2, action="mapping.saved")
    at = open_page()
    assert "Audit trail intact: 3 event(s)" in text(at.success)
    events = table(at)
    assert list(events["event"]) == [3, 2, 1]
    assert list(events["action"]) == ["mapping.saved", "mapping.saved", "report.ingested"]
    assert "Events 1–3 of 3 (all events), newest first." in text(at.caption)


def test_a_tampered_trail_is_shown_broken_at_its_first_bad_event(db_path):
    change(db_path, "UPDATE audit_events SET details = '{\"rows_loaded\": 0}' WHERE seq = 1", events=1)
    at = open_page()
    assert not at.success
    assert "Audit trail BROKEN at event 1: its content does not match its hash (edited)" in text(at.error)


def test_filters_narrow_the_table_and_go_into_the_url(db_path):
    change(db_path, events=4, action="mapping.saved")
    at = open_page()
    sidebar(at, "Action").set_value("mapping.saved").run()
    assert set(table(at)["action"]) == {"mapping.saved"} and len(table(at)) == 4
    assert at.query_params["action"] == "mapping.saved"
    sidebar(at, "User").set_value("vera").run()
    assert list(table(at)["object"]) == ["thing:3", "thing:1"]
    sidebar(at, "Object contains").set_value("THING:3").run()
    assert list(table(at)["event"]) == [5]
    assert at.query_params["object"] == "THING:3" and at.query_params["event_user"] == "vera"


def test_a_date_range_outside_the_trail_shows_what_to_do(db_path):
    at = open_page()
    sidebar(at, "Between (UTC days)").set_value((date(2020, 1, 1), date(2020, 1, 31))).run()
    assert "No event matches these filters" in text(at.info)
    assert (at.query_params["since"], at.query_params["until"]) == ("2020-01-01", "2020-01-31")


def test_a_shared_url_opens_the_filtered_view(db_path):
    change(db_path, events=3, action="mapping.saved")
    at = open_page(action="report.ingested")
    assert list(table(at)["action"]) == ["report.ingested"]
    assert "action report.ingested" in text(at.caption)


def test_the_table_pages_fifty_events_at_a_time(db_path):
    change(db_path, events=120)
    at = open_page()
    assert len(table(at)) == 50 and table(at)["event"].iloc[0] == 121
    assert "Events 1–50 of 121" in text(at.caption)
    at.number_input(key="audit_page").set_value(3).run()
    assert list(table(at)["event"]) == list(range(21, 0, -1))
    assert "Events 101–121 of 121" in text(at.caption)


def test_the_selection_can_be_downloaded_as_csv_and_excel(db_path):
    at = open_page()
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download the selection as CSV", "Download the selection as Excel"]


def test_building_the_pack_offers_it_and_records_the_export(db_path):
    at = open_page()
    assert at.selectbox(key="audit_pack_period").value == "2026-10"
    next(b for b in at.button if b.label == "Build the pack").click().run()
    assert not at.exception and not at.error
    assert "Download oversight-pack_Belcall-Antwerpen-BV_2026-10.xlsx" in \
        [b.proto.label for b in at.get("download_button")]
    newest = table(at).iloc[0]
    assert (newest["action"], newest["object"]) == ("export.pack", f"processor:{BELCALL}")


def test_a_viewer_reads_the_trail_but_may_not_build_the_pack(db_path, monkeypatch):
    (db_path.parent / "oversight.toml").write_text('[users.vic]\nroles = ["viewer"]\n', encoding="utf-8")
    monkeypatch.setenv("OVERSIGHT_USER", "vic")
    at = open_page()
    assert "Audit trail intact: 1 event(s)" in text(at.success)
    assert next(b for b in at.button if b.label == "Build the pack").disabled

"""Evidence on the dashboard (issue 15 item 3): the review form shows the processor's file for the case as a
download, the Sample tab sends a request, and a request unanswered past its due date is on the Overview."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from metrics.attention import Page, evidence_points
from spotchecks import evidence
from store.identity import User
from tests.conftest import AppEnv, open_dashboard_page, with_db
from tests.evidence_kit import AUDITOR, BELCALL, draw, minimal_pdf
from tests.test_spot_app import open_page

BELCALL_USER = User("bea", ("processor",), processor=BELCALL)


@pytest.fixture
def db(app_env: AppEnv, demo_db: Path) -> Path:
    return demo_db


@pytest.fixture
def sample_id(db: Path) -> str:
    return with_db(lambda con: draw(con, size=3).sample_id)


def _downloads(at) -> list:
    return [e.proto for e in at.get("download_button")]


def test_the_review_form_offers_the_cases_file_for_download(db: Path, sample_id: str) -> None:
    at = open_page(processor=BELCALL, period="2026-10")
    case = at.selectbox(key=f"spot_case:{sample_id}").value
    assert "No file sent for this case yet." in [c.value for c in at.caption]

    def send(con) -> None:
        req = evidence.request_evidence(con, AUDITOR, sample_id, "The reply letter.", date.today() + timedelta(7))
        evidence.add_evidence(con, BELCALL_USER, req["request_id"], case, minimal_pdf("Reply"), "reply<1>.pdf")

    with_db(send)
    at.run()
    assert not at.exception, at.exception
    [button] = _downloads(at)
    assert "reply_1_.pdf" in button.label  # the sanitised name, never the raw one
    assert "SHA-256" in button.help


def test_the_sample_tab_sends_an_evidence_request(db: Path, sample_id: str) -> None:
    at = open_page(processor=BELCALL, period="2026-10", step="Sample")
    assert "No evidence requested for this sample yet." in [c.value for c in at.caption]
    at.text_area(key=f"spot_evidence_what:{sample_id}").set_value("The call recordings.")
    [submit] = [b for b in at.button if b.label == "Send the evidence request"]
    submit.click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    found = with_db(lambda con: evidence.list_requests(con, AUDITOR))
    assert [(r["sample_id"], r["what"], r["cases"]) for r in found] == [(sample_id, "The call recordings.", 3)]


def test_an_unanswered_request_past_its_due_date_is_on_the_overview(db: Path, sample_id: str) -> None:
    due = date.today() - timedelta(days=3)
    req = with_db(lambda con: evidence.request_evidence(con, AUDITOR, sample_id, "Recordings.", due,
                                                        today=due - timedelta(days=10)))
    [point] = with_db(lambda con: evidence_points(con, date.today()))
    assert point.page is Page.SPOTCHECKS and req["request_id"] in point.text
    at = open_dashboard_page("app/overview.py")
    text = "\n".join(str(m.value) for m in at.markdown)
    assert "evidence request unanswered past its due date" in text and req["request_id"] in text
    assert with_db(lambda con: evidence_points(con, due)) == []  # on the due day itself it is not yet late

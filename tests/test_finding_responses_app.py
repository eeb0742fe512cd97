"""The finding detail page shows the processor's own responses (issue 15 item 4): each file as a download button
(never inline), the explanation as text, and Accept / Reject for the compliance officer; a rejection without a
comment is refused on the page."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from findings import portal, queries
from findings.service import move
from store.identity import ROLES, User
from tests.conftest import AppEnv, open_dashboard_page, with_db
from tests.test_findings_app import button, text
from tests.test_findings_raise import PROCESSOR, raise_one

OFFICER = User("olivia", ROLES)
PROCESSOR_USER = User("bart", ("processor",), processor=PROCESSOR)
EXPLANATION = "Alert missed <script>alert(1)</script> during the **migration** week."


def responded(con, *, plan: bool = True) -> tuple[str, int]:
    finding_id = raise_one(con, OFFICER)
    move(con, OFFICER, finding_id, "notified")
    extra = {"plan": "Deadline alert in the CRM.", "planned_on": date.today() + timedelta(days=10)} if plan else {}
    rid = portal.respond(con, PROCESSOR_USER, finding_id, "accepted" if plan else "disputed", EXPLANATION,
                         attachments=[("plan.txt", b"Deadline alert from 1 December.\n")], **extra)
    return finding_id, rid


def test_the_page_lists_the_response_with_its_file_and_accepts_it(app_report: AppEnv, db_path: Path) -> None:
    finding_id, rid = with_db(responded)
    at = open_dashboard_page("app/findings.py", finding=finding_id)
    assert "Responses from the processor" in text(at.markdown)
    assert "\\<script\\>" in text(at.markdown)  # the processor's words as text, never HTML or Markdown
    [download] = at.get("download_button")
    assert download.proto.label.startswith("plan.txt")
    button(at, "Reject").click().run()
    assert "needs a comment" in text(at.error)
    button(at, "Accept").click().run()
    assert not at.exception, at.exception
    assert f"Response {rid} accepted; {finding_id} is remediation planned." in text(at.success)
    assert with_db(lambda con: queries.get_finding(con, finding_id)["status"]) == "remediation_planned"
    assert "Accepted by" in text(at.caption)

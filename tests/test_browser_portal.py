"""The processor at the table, in a real browser (issue 15, "Done when"): Belcall's user piet signs in with its
password on the dashboard as the product starts it, lands on its Portal, uploads a report, answers an evidence
request with a file, responds to a finding, and then tries the addresses that would show Appelia's data; none does.
The database then holds the upload, the file and the response, each with its audit event.

The database is the checked demo (Belcall and Appelia) with the month prepared through the service layer before
the server starts (tests/test_app_portal.py prepare_month): for each processor a sample drawn, an evidence request
sent, a finding notified and a letter sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest

from store import audit
from store.db import connect
from store.passwords import hash_password
from tests import browser_kit as kit
from tests.conftest import HEADER_NL, DemoFiles, copy_demo, nl_row
from tests.evidence_kit import APPELIA, BELCALL, minimal_pdf
from tests.test_app_portal import prepare_month

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

SHOTS = kit.ARTIFACTS / "portal"
PASSWORD = "correct horse battery staple"
FAST = {"n": 2**10, "r": 8, "p": 1}  # a quick hash: the test signs in, it does not measure scrypt
REPORT = ("\n".join([HEADER_NL,
                     nl_row("BC-261105-01", received="05-11-2026", responded="12-11-2026", outcome="Uitgevoerd"),
                     nl_row("BC-261112-02", received="12-11-2026"),
                     nl_row("BC-261113-03", received="31-02-2026")]) + "\n").encode()
EXPLANATION = "Two agents missed the deadline alert during the migration week."
PLAN = "Retrain the team and add a deadline alert in the CRM."


def users_file() -> str:
    digest = hash_password(PASSWORD, **FAST)
    return (f'[users.olivia]\nroles = ["compliance_officer"]\npassword_hash = "{digest}"\n\n'
            f'[users.piet]\nroles = ["processor"]\nprocessor = "{BELCALL}"\npassword_hash = "{digest}"\n')


def sign_in(page: Page) -> None:
    """Sign in as piet with the form the dashboard shows on any address before anyone has signed in."""
    main = kit.main(page)
    main.get_by_label("User name").fill("piet")
    main.get_by_role("textbox", name="Password").fill(PASSWORD)
    kit.click(main.get_by_role("button", name="Sign in"))


def test_a_processor_user_works_on_its_portal_and_reaches_nothing_of_another(
        checked_demo_files: DemoFiles, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    db = copy_demo(checked_demo_files, tmp_path / "oversight.duckdb", tmp_path / "oversight.key")
    con = connect(db)
    try:
        month = prepare_month(con, tmp_path)
    finally:
        con.close()
    own_request, other_request = month.requests[BELCALL], month.requests[APPELIA]
    own_case, other_case = month.cases[BELCALL][0], month.cases[APPELIA][0]
    own_finding = month.findings[BELCALL]
    foreign = ["Appelia", "APS-", other_request, month.findings[APPELIA], month.letters[APPELIA], *month.cases[APPELIA]]

    with kit.running_app(tmp_path, env={"OVERSIGHT_DEMO": "0"}, config=users_file()) as app, \
            kit.chromium() as browser, kit.open_page(browser, app.url) as (page, reported):
        main = kit.main(page)
        sign_in(page)
        expect(main.get_by_role("heading", name=f"Portal of {BELCALL}", level=1)).to_be_visible()
        nav = [t.splitlines()[-1] for t in page.get_by_test_id("stSidebarNav").get_by_role("link").all_inner_texts()]
        assert nav in ([], ["Portal"])  # one page: Streamlit may leave a one-page menu out

        # Reports: the upload is loaded, its quarantined row shown with the reason.
        main.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(
            files=[{"name": "belcall_2026-11.csv", "mimeType": "text/csv", "buffer": REPORT}])
        kit.click(main.get_by_role("button", name="Send the report"))
        expect(main.get_by_text("Loaded: belcall_2026-11.csv for November 2026: 2 cases, 1 rows quarantined."))\
            .to_be_visible()
        kit.screenshot(page, SHOTS / "01-report-loaded.png")

        # Evidence requests: one file for the first case of Belcall's request.
        kit.click(main.get_by_role("tab", name="Evidence requests"))
        uploader = main.get_by_test_id("stFileUploader").filter(has_text=f"A file for case {own_case}")
        uploader.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
            files=[{"name": "case-file.pdf", "mimeType": "application/pdf", "buffer": minimal_pdf("Call notes")}])
        kit.after_click(page)
        kit.click(main.get_by_role("button", name="Send the file"))
        expect(main.get_by_text(f"Sent: case-file.pdf for case {own_case}.")).to_be_visible()
        kit.click(main.get_by_role("tab", name="Evidence requests"))
        expect(main.get_by_role("button", name="case-file.pdf")).to_be_visible()
        kit.screenshot(page, SHOTS / "02-evidence-sent.png")

        # Findings: accepted, with a plan, a date and an attachment.
        kit.click(main.get_by_role("tab", name="Findings"))
        form = main.get_by_test_id("stForm").filter(has_text=f"Respond to {own_finding}")
        form.get_by_role("textbox", name="Explanation").fill(EXPLANATION)
        form.get_by_role("textbox", name="Remediation plan").fill(PLAN)
        date_box = form.get_by_test_id("stDateInput").locator("input")
        date_box.fill("2027-01-15")
        date_box.press("Escape")
        form.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
            files=[{"name": "training-plan.txt", "mimeType": "text/plain", "buffer": b"Training on 10 January.\n"}])
        page.wait_for_timeout(500)
        kit.click(form.get_by_role("button", name="Send the response"))
        expect(main.get_by_text(f"Your response to {own_finding} was sent.")).to_be_visible()
        kit.click(main.get_by_role("tab", name="Findings"))
        expect(main.get_by_text("Your response waits for our decision.")).to_be_visible()
        kit.screenshot(page, SHOTS / "03-response-sent.png")
        assert kit.exceptions(page) == 0 and reported.page_errors == [] and reported.console_errors == []

        # Every address that would show another processor's data, as a shared link is opened: a new browser session
        # on that address, signed in there. Piet's only page answers each of them: page not found, then the Portal
        # with Belcall's data only (the query parameters are never read).
        for path in ["/findings", "/reports", f"/case?case={quote(other_case)}&processor={quote(APPELIA)}", "/audit",
                     f"/?processor={quote(APPELIA)}", f"/portal?request={quote(other_request)}",
                     f"/portal?processor={quote(APPELIA)}&finding={quote(month.findings[APPELIA])}"]:
            page.goto(app.url + path)
            kit.wait_for_render(page)
            sign_in(page)
            expect(main.get_by_role("heading", name=f"Portal of {BELCALL}", level=1)).to_be_visible()
            shown = page.locator("body").inner_text()
            for tab in ("Check results", "Evidence requests", "Findings", "Letters", "Activity"):
                kit.click(main.get_by_role("tab", name=tab))
                shown += main.inner_text()
            assert own_request in shown and own_finding in shown, path
            assert not [f for f in foreign if f in shown], (path, [f for f in foreign if f in shown])
            assert kit.exceptions(page) == 0, path

    con = connect(db)
    try:
        [(submission, arrived)] = con.execute(
            "SELECT s.submission_id, s.submitted_on FROM submissions s JOIN processors p USING (processor_id) "
            "WHERE p.name = ? AND s.file_name = 'belcall_2026-11.csv'", [BELCALL]).fetchall()
        [(sha, by)] = con.execute("SELECT sha256, added_by FROM evidence_files WHERE request_id = ? AND case_id = ?",
                                  [own_request, own_case]).fetchall()
        [(response, plan, planned, names, responder)] = con.execute(
            "SELECT response, plan, planned_on, attachment_names, submitted_by FROM finding_responses "
            "WHERE finding_id = ?", [own_finding]).fetchall()
        events = [(e["user_name"], e["action"], e["object"]) for e in audit.list_events(con, user="piet")]
        details = {e["action"]: e["details"] for e in audit.list_events(con, user="piet")}
        assert audit.verify_chain(con).intact
    finally:
        con.close()
    assert arrived is not None and by == "piet" and responder == "piet"
    assert (response, plan, str(planned), list(names)) == ("accepted", PLAN, "2027-01-15", ["training-plan.txt"])
    assert ("piet", "report.ingested", f"submission:{submission}") in events
    assert ("piet", "evidence.added", f"evidence_request:{own_request}") in events
    assert ("piet", "finding.processor_responded", f"finding:{own_finding}") in events
    assert sha in str(details["evidence.added"])

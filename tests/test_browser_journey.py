"""The month of a compliance officer, end to end in a real browser (issue 6, part 5): an empty database (no demo), a
report with a header the aliases do not know, the mapping form, the quarantine, the checks and one non-conformity's
case, a sample drawn with a seed, a review answered "no", the finding raised from it and moved to notified, and the
monthly pack downloaded. Each step asserts what the user sees and leaves a screenshot in tests/artifacts/journey/.

The steps are ordered tests on one browser session (one module-scoped page): a later step starts where the one
before left the dashboard, as the user would.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
import pytest

from app.links import case_url
from checks.catalog import CHECKS
from tests import browser_kit as kit

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = pytest.mark.browser

SHOTS = kit.ARTIFACTS / "journey"
PROCESSOR = "Contactpunt Gent NV"
PERIOD = "2026-10"
SEED = "20261128"
LATE_CASE = "CG-2610-001"
# October 2026 as a Ghent call centre reports it: Dutch headers, day-first dates. "Binnengekomen" (received) is in no
# alias list, so the required received_on is missing until the user maps it. Planted: CG-2610-001 answered on
# 20 November, after its deadline of 2 November (1 November, the deadline day, is All Saints' Day, a Belgian
# holiday, and a Sunday: Reg. 1182/71 rolls it to Monday 2 November); CG-2610-005 received on 31 February (a bad
# date: quarantined).
REPORT = b"""Dossiernummer;Binnengekomen;Soort verzoek;Kanaal;Doorgestuurd op;Datum antwoord;Resultaat;Medewerker
CG-2610-001;01/10/2026;inzage;telefoon;02/10/2026;20/11/2026;uitgevoerd;AG-01
CG-2610-002;06/10/2026;uitschrijving;e-mail;;08/10/2026;uitgevoerd;AG-02
CG-2610-003;13/10/2026;correctie;brief;;27/10/2026;uitgevoerd;AG-01
CG-2610-004;20/10/2026;inzage;web;21/10/2026;03/11/2026;uitgevoerd;AG-02
CG-2610-005;31/02/2026;inzage;telefoon;;;;AG-01
CG-2610-006;27/10/2026;verwijdering;telefoon;28/10/2026;;;AG-01
"""
TIMELY = "Was the data subject answered within the legal deadline"
COMMENT = "Answered on 20 November, 18 days after the deadline; no extension was notified."


@pytest.fixture(scope="module")
def journey(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Page, kit.Reported]]:
    """One browser session on a dashboard whose database starts empty, the demo switched off."""
    folder = tmp_path_factory.mktemp("journey")
    with kit.running_app(folder, {"OVERSIGHT_DEMO": "0"}) as app, kit.chromium() as browser, \
            kit.open_page(browser, app.url) as (page, reported):
        yield page, reported


@pytest.fixture
def page(journey: tuple[Page, kit.Reported]) -> Iterator[Page]:
    """The journey's page; each step ends without an exception box, page error or console error."""
    page, reported = journey
    yield page
    assert kit.exceptions(page) == 0
    assert reported.page_errors == []
    assert reported.console_errors == []


def shot(page: Page, name: str, at: Locator | None = None) -> None:
    kit.screenshot(page, SHOTS / f"{name}.png", at)


def test_01_an_empty_database_starts_empty_and_points_to_the_upload(page: Page) -> None:
    from playwright.sync_api import expect

    main = kit.main(page)
    expect(main.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    expect(main.get_by_text("No report yet — upload one on the Reports page.")).to_be_visible()
    assert page.get_by_text("The demo reports from sample_reports/").count() == 0
    shot(page, "01-empty-overview")
    kit.click(main.get_by_role("link", name="Upload a report"))
    expect(main.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
    expect(main.get_by_text("No reports yet — upload one above, or drop it in the inbox.")).to_be_visible()


def test_02_upload_asks_for_the_unknown_header_and_ingests_once_mapped(page: Page) -> None:
    from playwright.sync_api import expect

    main = kit.main(page)
    main.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": "contactpunt_2026-10.csv", "mimeType": "text/csv", "buffer": REPORT}])
    kit.after_click(page)
    expect(main.get_by_text("Required field(s) not found in the header: received_on.")).to_be_visible()
    expect(main.get_by_label("Period (YYYY-MM)")).to_have_value(PERIOD)  # from the file name
    expect(main.get_by_role("button", name="Ingest")).to_be_disabled()
    kit.fill(main, "New processor name", PROCESSOR)
    kit.choose(main, "Contract profile of this new processor", "default")  # asked, never assumed (issue 12 §5)
    expect(main.get_by_text("To ingest, map the required fields.")).to_be_visible()
    shot(page, "02-mapping-form", main.get_by_text("Map the columns"))

    kit.choose(main, '"Binnengekomen"', "received_on (required)")
    mapped = main.get_by_test_id("stDataFrame").first
    expect(mapped).to_contain_text("received_on")
    columns = kit.grid_rows(mapped)
    assert ["cases", "Binnengekomen", "received_on"] in columns
    assert ["cases", "Medewerker", "agent_id"] in columns
    kit.click(main.get_by_role("button", name="Ingest"))
    expect(main.get_by_text(f"contactpunt_2026-10.csv: loaded as submission 1 ({PROCESSOR}, {PERIOD}).")
           ).to_be_visible()
    expect(main.get_by_text("Quarantine of submission 1")).to_be_visible()
    tables = main.get_by_test_id("stDataFrame")
    counts, quarantine, history = (kit.grid_rows(tables.nth(i)) for i in range(3))
    assert counts == [["cases", "6", "5", "1", "bad_date: 1", "0", ""]]  # read, loaded, quarantined, reasons, skipped
    assert quarantine == [["6", "cases", case_url(PROCESSOR, "CG-2610-005"), "bad_date",
                           "Binnengekomen (received_on) '31/02/2026' is not a date"]]
    assert history[0][:6] == ["1", PROCESSOR, PERIOD, "cases", "contactpunt_2026-10.csv", "current"]
    shot(page, "03-ingested-with-quarantine", main.get_by_text("Quarantine of submission 1"))


def pick_processor_in_newest_card(page: Page, main: Locator) -> None:
    """Choose the processor in the newest upload card (earlier cards may still show theirs)."""
    box = main.get_by_role("combobox", name="Processor", exact=True).last
    box.scroll_into_view_if_needed()
    box.click()
    page.get_by_role("option", name=PROCESSOR, exact=True).click()
    kit.after_click(page)


def test_02b_a_bad_resubmission_is_refused_and_the_good_report_reinstated(page: Page) -> None:
    """Issue 12 §1: a file that loads no case cannot replace the month; a shrinking one is previewed and replaces it
    only when confirmed; the earlier submission is made current again, with a reason."""
    from playwright.sync_api import expect

    main = kit.main(page)
    upload = main.get_by_test_id("stFileUploaderDropzoneInput")
    bad = REPORT.replace(b";01/10/2026;", b";31/02/2026;").replace(b";06/10/2026;", b";31/02/2026;") \
        .replace(b";13/10/2026;", b";31/02/2026;").replace(b";20/10/2026;", b";31/02/2026;") \
        .replace(b";27/10/2026;", b";31/02/2026;")
    upload.set_input_files(files=[{"name": "contactpunt_2026-10_bad.csv", "mimeType": "text/csv", "buffer": bad}])
    kit.after_click(page)
    pick_processor_in_newest_card(page, main)
    kit.click(main.get_by_role("button", name="Ingest", exact=True).last)
    expect(main.get_by_text("loads no case").first).to_be_visible()  # refused: a report with no cases
    shot(page, "03b-bad-resubmission-refused", main.get_by_text("loads no case").first)

    smaller = b"\n".join(line for line in REPORT.split(b"\n") if not line.startswith(b"CG-2610-006"))
    upload.set_input_files(files=[{"name": "contactpunt_2026-10_v2.csv", "mimeType": "text/csv", "buffer": smaller}])
    kit.after_click(page)
    pick_processor_in_newest_card(page, main)
    kit.click(main.get_by_role("button", name="Ingest", exact=True).last)
    expect(main.get_by_text("would replace the current report (submission 1)")).to_be_visible()
    expect(main.get_by_role("alert").get_by_role("link", name="CG-2610-006")).to_be_visible()  # removed, linked
    kit.click(main.get_by_role("button", name="Replace the current report"))
    expect(main.get_by_text("contactpunt_2026-10_v2.csv: loaded as submission 2, a resubmission")).to_be_visible()

    main.get_by_text("Reinstate an earlier submission").click()
    kit.after_click(page)
    kit.choose(main, "Submission", "1 · ", exact=False)
    main.get_by_label("Reason", exact=True).fill("v2 dropped CG-2610-006 by mistake")  # no Enter: it submits
    kit.click(main.get_by_role("button", name="Reinstate", exact=True))
    expect(main.get_by_text(f"Submission 1 (contactpunt_2026-10.csv) is the current report for {PROCESSOR} "
                            f"{PERIOD} again")).to_be_visible()
    shot(page, "03c-submission-reinstated", main.get_by_text("Submission history"))


def test_03_checks_run_and_a_non_conformity_opens_on_its_case(page: Page) -> None:
    from playwright.sync_api import expect

    main, side = kit.main(page), kit.sidebar(page)
    kit.choose(side, "Processor", PROCESSOR)
    kit.choose(side, "Period", PERIOD)
    kit.open_nav(page, "Checks")
    expect(main.get_by_text("No check run for this period yet — run the checks above.")).to_be_visible()
    kit.click(main.get_by_role("button", name="Run the checks"), timeout_ms=60_000)
    expect(main.get_by_text(re.compile(
        rf"Check run 1: {len(CHECKS)} checks on 1 report\(s\) as of 2026-10-31; \d+ exception"))).to_be_visible()
    table = main.get_by_test_id("stDataFrame").first
    rows = {row[2]: row for row in kit.grid_rows(table)}
    assert len(rows) == len(CHECKS)
    late = rows["deadline.late_response"]
    assert late[0] == "major" and late[4] == "1"  # severity, offending
    assert rows["report.rows_quarantined"][4] == "1"  # the bad date
    shot(page, "04-checks")

    kit.click_grid_row(table, list(rows).index("deadline.late_response"))
    heading = main.get_by_role("heading", name="Answered after the deadline (deadline.late_response)")
    expect(heading).to_be_visible()
    cases = kit.grid_rows(main.get_by_test_id("stDataFrame").nth(1))
    assert len(cases) == 1
    case_id, received, request_type, responded, _outcome, due, days_late, *_ = cases[0]
    assert (case_id, received, request_type, responded) == (case_url(PROCESSOR, LATE_CASE), "2026-10-01", "access",
                                                            "2026-11-20")  # the id links to the Case page
    assert (due, days_late) == ("2026-11-02", "18")
    shot(page, "05-non-conformity-case", heading)


def test_04_a_sample_drawn_with_a_seed_is_reviewed_with_a_no(page: Page) -> None:
    from playwright.sync_api import expect

    main = kit.main(page)
    kit.open_nav(page, "Spot checks")
    expect(main.get_by_text(f"Draw a sample from {PROCESSOR}, {PERIOD}")).to_be_visible()  # the filters followed
    kit.choose(main, "Key items", "major: every case with a critical or major exception")
    kit.fill(main, "Cases", "1")
    kit.fill(main, "Seed (leave empty for a random one from the operating system)", SEED)
    kit.click(main.get_by_role("button", name="Draw sample"))
    expect(main.get_by_role("heading", name=f"Seed {SEED}")).to_be_visible()
    expect(main.get_by_text("oversight sample verify S-2026-0001")).to_be_visible()
    # Every case with a critical or major exception: as many as the checks find in the report.
    expect(main.get_by_text(re.compile(r"\d+ key item\(s\) \(major\) are reviewed in full"))).to_be_visible()
    expect(main.get_by_role("tab", name="Sample", exact=True)).to_have_attribute("aria-selected", "true")
    shot(page, "06-sample-drawn", main.get_by_role("heading", name=f"Seed {SEED}"))

    kit.click(main.get_by_role("tab", name="Review"))
    kit.choose(main, "Case", LATE_CASE, exact=False)  # listed with its review marker (issue 12 §3)
    main.get_by_role("radiogroup", name=re.compile(f"^{TIMELY}")).get_by_text("no", exact=True).click()
    main.locator(f".st-key-spot_comment-S-2026-0001-{LATE_CASE}-timely input").fill(COMMENT)
    kit.click(main.get_by_role("button", name="Save review"))
    kit.click(main.get_by_role("tab", name="Evaluate"))
    # Per rubric item over the cases it applies to (issue 14): the key items are a census.
    evaluation = main.get_by_test_id("stDataFrame").filter(has_text="more needed").first
    expect(evaluation).to_contain_text("timely")
    timely = next(row for row in kit.grid_rows(evaluation) if row[0] == "timely")
    assert timely[1] == "SCC 8(b)" and timely[4] == "1"  # item, clause, applicable, reviewed, deviations
    shot(page, "07-review-no", main.get_by_role("heading", name="Evaluation"))

    kit.click(main.get_by_role("button", name="Raise findings from the 1 deviation(s)"))
    expect(main.get_by_text("Findings raised: see the Findings page.")).to_be_visible()


def test_05_the_finding_moves_to_notified(page: Page) -> None:
    from playwright.sync_api import expect

    main = kit.main(page)
    kit.open_nav(page, "Findings")
    table = kit.grid_rows(main.get_by_test_id("stDataFrame").first)
    assert len(table) == 1
    finding_id, status, severity, *_rest = table[0]
    assert (status, severity) == ("open", "medium")
    assert PERIOD in table[0] and "SCC 8(b)" in table[0]
    kit.choose(main, "Finding", finding_id, exact=False)
    expect(main.get_by_role("heading", name=re.compile(f"^{finding_id} · "))).to_be_visible()
    cases = kit.grid_rows(main.get_by_test_id("stDataFrame").filter(has_text=LATE_CASE).first)
    assert [(case, evidence) for case, _added, evidence in cases] == [(case_url(PROCESSOR, LATE_CASE),
                                                                       f"review by root: {COMMENT}")]
    shot(page, "08-finding-open", main.get_by_role("heading", name=re.compile(f"^{finding_id} · ")))

    form = main.locator(f".st-key-move_form-{finding_id}")  # the move form of this finding (issue 12 §3)
    expect(form.get_by_role("combobox", name="Move to")).to_have_value("notified")
    form.get_by_label("Note (optional)").fill("Sent to the processor with the October pack.")
    kit.click(form.get_by_role("button", name="Move", exact=True))
    expect(main.get_by_text(f"{finding_id} moved to notified.")).to_be_visible()
    listed = main.get_by_test_id("stDataFrame").first
    expect(listed).to_contain_text("notified")
    assert kit.grid_rows(listed)[0][1] == "notified"
    shot(page, "09-finding-notified")


def test_06_the_monthly_pack_downloads_as_a_workbook(page: Page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    main = kit.main(page)
    kit.open_nav(page, "Audit trail")
    expect(main.get_by_text(re.compile(r"Audit trail intact: \d+ event\(s\)"))).to_be_visible()
    expect(main.get_by_role("combobox", name="Processor")).to_have_value(PROCESSOR)
    expect(main.get_by_role("combobox", name="Period")).to_have_value(PERIOD)
    kit.click(main.get_by_role("button", name="Build the pack"), timeout_ms=60_000)
    button = main.get_by_role("button", name=re.compile(r"^Download .+\.xlsx$"))
    expect(button).to_be_visible()
    trail = main.get_by_test_id("stDataFrame").first
    expect(trail).to_contain_text("export.pack")  # the grid redraws after the rerun that recorded the export
    events = kit.grid_rows(trail)
    assert [event[4] for event in events] == [  # every step of the journey, newest first, the export included
        "export.pack", "finding.notified", "finding.raised", "sample.reviewed", "sample.drawn", "checks.run",
        "report.reinstated", "report.resubmitted", "report.refused", "report.ingested", "mapping.saved"]
    with page.expect_download() as info:
        button.click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    workbook = openpyxl.load_workbook(io.BytesIO(saved.read_bytes()), read_only=True)
    assert {"Summary", "Findings"} <= set(workbook.sheetnames)
    summary = " ".join(str(c) for row in workbook["Summary"].iter_rows(values_only=True) for c in row if c is not None)
    assert PROCESSOR in summary and PERIOD in summary
    findings = [[str(c) for c in row if c is not None] for row in workbook["Findings"].iter_rows(values_only=True)]
    assert any("notified" in row for row in findings)
    shot(page, "10-pack", main.get_by_role("heading", name="Monthly oversight pack"))

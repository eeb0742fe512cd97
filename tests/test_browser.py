"""The dashboard in a real browser: `streamlit run dashboard.py` driven by Debian's chromium through Playwright.

The first start on an empty database (the demo reports loaded, the Overview as landing page) and an upload on the
Reports page. The helpers live in tests/browser_kit.py; the journey and the walk over every page are
test_browser_journey.py and test_browser_pages.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests import browser_kit as kit
from tests.browser_kit import ARTIFACTS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

REPORT = (
    "Maandrapport privacyverzoeken – Contactpunt Gent NV;;;;;\n"
    "Periode: november 2026;;;;;\n"
    "Dossiernummer;Datum ontvangst;Soort verzoek;Kanaal;Datum antwoord;Resultaat\n"
    "CG-261103-01;03/11/2026;inzage;telefoon;18/11/2026;uitgevoerd\n"
    "CG-261106-01;31/11/2026;correctie;brief;;\n"
).encode("cp1252")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Browser, str]]:
    """The dashboard on a free port against a fresh, empty database (the demo loads at first start), and chromium."""
    with kit.running_app(tmp_path_factory.mktemp("dashboard")) as app, kit.chromium() as browser:
        yield browser, app.url


@pytest.fixture
def page(browser: tuple[Browser, str]) -> Iterator[Page]:
    """A fresh browser session on the dashboard, rendered; fails the test on an exception box or a page error."""
    with kit.open_page(browser[0], browser[1], viewport={"width": 1400, "height": 1800}) as (page, reported):
        yield page
        assert kit.exceptions(page) == 0
        assert reported.page_errors == []


def test_first_start_loads_the_demo_and_lands_on_the_overview(page: Page) -> None:
    """First in the module: its session is the one that finds the database empty and loads the demo."""
    from playwright.sync_api import expect

    main = kit.main(page)
    expect(main.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    demo_notice = page.get_by_test_id("stAlertContentInfo").get_by_text("The demo reports from sample_reports/")
    expect(demo_notice).to_be_visible()
    expect(page.get_by_text("Access control is off")).to_be_visible()
    expect(main.get_by_role("heading", name="All processors, October 2026")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)

    kit.open_nav(page, "Reports")
    expect(main.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
    expect(demo_notice).to_be_visible()  # said for the rest of the session
    expect(main.get_by_role("heading", name="Submission history")).to_be_visible()
    history = main.get_by_test_id("stDataFrame").last
    expect(history).to_be_visible()
    expect(history).to_contain_text("belcall_2026-09_v2.csv")
    assert kit.exceptions(page) == 0
    page.screenshot(path=str(ARTIFACTS / "reports.png"), full_page=True)


def test_upload_and_ingest_in_a_real_browser(page: Page) -> None:
    from playwright.sync_api import expect

    main = kit.main(page)
    kit.open_nav(page, "Reports")
    main.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": "contactpunt_2026-11.csv", "mimeType": "text/csv", "buffer": REPORT}])
    kit.after_click(page)
    kit.choose(main, "Processor", "New processor…")
    kit.fill(main, "New processor name", "Contactpunt Gent NV")
    kit.choose(main, "Contract profile of this new processor", "nl")  # asked, never assumed (issue 12 §5)
    expect(main.get_by_text("Found in the title row.")).to_be_visible()
    kit.click(main.get_by_role("button", name="Ingest"))
    expect(main.get_by_text("contactpunt_2026-11.csv: loaded as submission")).to_be_visible()
    expect(main.get_by_text("Quarantine of submission")).to_be_visible()
    assert kit.exceptions(page) == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "reports-ingested.png"), full_page=True)

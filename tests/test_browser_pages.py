"""Every page of the dashboard opened from the navigation in a real browser, on the demo database with a month's
work done (issue 6, part 5): no exception box, no uncaught page error, no console error, the page's title shown.
The same walk makes the README's screenshots (1400×900): into tests/artifacts/pages/ on every run, and into
docs/screenshots/ when asked with UPDATE_SCREENSHOTS=1 (they show the day's timestamps, so a plain test run must not
leave the checkout changed).

Console errors ignored, and why (browser_kit.IGNORED_CONSOLE): only a failed fetch from fonts.gstatic.com. The page
icon (`:material/policy:`) is a Material Symbol, which the browser asks Google's font server for as the tab's icon;
this machine is offline, so the request fails. Nothing on the page depends on it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from checks.catalog import CHECKS
from checks.runner import run_checks
from findings.raising import raise_from_checks
from ingest.demo import load_demo
from spotchecks.review import items_for, record_reviews
from spotchecks.samples import draw_sample
from store.db import connect
from store.identity import ROLES, User
from tests import browser_kit as kit

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

SHOTS = kit.SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else kit.ARTIFACTS / "pages"

BELCALL = "Belcall Antwerpen BV"
# Every page of dashboard.PAGES, in the navigation's order, and the README screenshot each one makes.
PAGES = {"Overview": "overview.png", "Reports": "reports.png", "Checks": "checks.png",
         "Spot checks": "spot-checks.png", "Findings": "findings.png", "Contract": "contract.png",
         "Processors": "processors.png", "Audit trail": "audit-trail.png"}


def prepare_month(folder: Path) -> None:
    """The demo reports, as a compliance officer leaves them after a month's work: checks run, findings raised
    from them, a sample of Belcall's October report drawn (seed 12345) and its first case reviewed."""
    officer = User("olivia", ROLES)
    con = connect(folder / "oversight.duckdb")
    try:
        load_demo(con, user=officer, key_path=folder / "oversight.key")
        run_checks(con, officer)
        raise_from_checks(con, officer)
        sample = draw_sample(con, officer, processor=BELCALL, period="2026-10", confidence="0.95",
                             tolerable="0.05", key_items="breaches", seed="12345")
        case_id = sample.random_part[0].case_id
        answers = {"recognised": ("yes", None), "identity": ("yes", None),
                   "timely": ("no", "Answered on day 41 without a notified extension."), "substance": ("yes", None),
                   "escalation": ("na", "No escalation was called for."), "refusal_notice": ("na", None),
                   "extension_notice": ("na", None), "minimisation": ("yes", None)}
        asked = items_for(con, sample.sample_id, case_id)  # only the items that apply to the case are asked
        record_reviews(con, officer, sample.sample_id, case_id, {k: v for k, v in answers.items() if k in asked})
    finally:
        con.close()


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Page, kit.Reported]]:
    kit.require_chromium()
    folder = tmp_path_factory.mktemp("pages")
    prepare_month(folder)
    with kit.running_app(folder) as app, kit.chromium() as browser, kit.open_page(browser, app.url) as opened:
        yield opened


def test_every_page_opens_from_the_navigation_without_an_error(walk: tuple[Page, kit.Reported]) -> None:
    from playwright.sync_api import expect

    page, reported = walk
    nav = page.get_by_test_id("stSidebarNav").get_by_role("link")
    titles = [text.splitlines()[-1] for text in nav.all_inner_texts()]  # after the icon's name
    assert titles == list(PAGES)  # a page added to dashboard.py must be added to this walk too
    problems: dict[str, list[str]] = {}
    for title, file_name in PAGES.items():
        if title != "Overview":  # the landing page is open already
            kit.open_nav(page, title)
        main = kit.main(page)
        expect(main.get_by_role("heading", name=title, exact=True, level=1)).to_be_visible()
        found = [f"{n} exception box(es)" for n in [kit.exceptions(page)] if n]
        found += [f"page error: {e}" for e in reported.page_errors]
        found += [f"console error: {e}" for e in reported.console_errors]
        processor = kit.sidebar(page).get_by_role("combobox", name="Processor", exact=True)
        if title != "Overview" and processor.count():  # the shared filter followed the user from the Overview
            found += [f"sidebar processor is {v!r}" for v in [processor.input_value()] if v != BELCALL]
        if found:
            problems[title] = found
        reported.clear()
        kit.screenshot(page, SHOTS / file_name)
        if title == "Overview":  # the other pages show one processor: the filter follows the user
            kit.choose(kit.sidebar(page), "Processor", BELCALL)
    assert problems == {}


def test_the_pages_show_the_months_work(walk: tuple[Page, kit.Reported]) -> None:
    """The walk's database is not empty on any page: each shows what the month left (the screenshots tell it)."""
    from playwright.sync_api import expect

    page, _ = walk
    main = kit.main(page)
    kit.open_nav(page, "Checks")
    expect(main.get_by_text(f"No period chosen: showing {BELCALL}'s latest report, 2026-10.")).to_be_visible()
    assert len(kit.grid_rows(main.get_by_test_id("stDataFrame").first)) == len(CHECKS)
    kit.open_nav(page, "Spot checks")  # opens on the Review tab: a sample is under way, its first case reviewed
    expect(main.get_by_role("tab", name="Review")).to_have_attribute("aria-selected", "true")
    expect(main.get_by_text(re.compile(r"^1 of \d+ cases reviewed"))).to_be_visible()
    kit.click(main.get_by_role("tab", name="Sample", exact=True))
    expect(main.get_by_role("heading", name="Seed 12345")).to_be_visible()
    kit.open_nav(page, "Findings")
    assert all(row[1] == "open" for row in kit.grid_rows(main.get_by_test_id("stDataFrame").first))
    kit.open_nav(page, "Audit trail")
    expect(main.get_by_text("Audit trail intact:")).to_be_visible()

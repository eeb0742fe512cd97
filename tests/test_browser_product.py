"""A product, not a prototype, in a real browser: the product's name and its own icon in the tab of every page and of
the sign-in page, and no "Deploy" button or developer menu (app/streamlit.toml: client.toolbarMode = "viewer").

The dashboard runs under `oversight dashboard` (tests/browser_kit.py), the launcher `make run` and an installed
package use, so the packaged Streamlit options are the ones in force.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from store.passwords import hash_password
from tests import browser_kit as kit

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

FAVICON = (Path(__file__).resolve().parent.parent / "app" / "static" / "favicon.png").read_bytes()
PAGES = {"": "Overview", "reports": "Reports", "checks": "Checks", "spotchecks": "Spot checks",
         "findings": "Findings", "contract": "Contract", "audit": "Audit trail"}
# Cheap hashing parameters for a test user (the real defaults take a second per sign-in attempt).
FAST = {"n": 2**10, "r": 8, "p": 1}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with kit.chromium() as browser:
        yield browser


def icon_of(page: Page) -> bytes:
    """The bytes of the icon the tab shows: the page's <link rel=icon>, fetched as the browser fetches it."""
    hrefs = page.eval_on_selector_all("link[rel~=icon]", "links => links.map(l => l.href)")
    assert len(hrefs) == 1, hrefs
    return page.request.get(hrefs[0]).body()


def test_every_page_has_the_products_name_and_icon_and_no_developer_menu(browser, tmp_path):
    with kit.running_app(tmp_path, env={"OVERSIGHT_DEMO": "0"}) as app:
        for path, title in PAGES.items():
            with kit.open_page(browser, f"{app.url}/{path}") as (page, reported):
                assert page.title() == f"{title} · Processor oversight"
                assert icon_of(page) == FAVICON
                assert page.get_by_test_id("stAppDeployButton").count() == 0
                assert reported.page_errors == []
        with kit.open_page(browser, app.url) as (page, _):
            page.get_by_test_id("stMainMenu").click()
            menu = page.get_by_test_id("stMainMenuList")
            menu.wait_for()
            assert "Print" in menu.inner_text()  # the menu a reader needs stays
            assert "Clear cache" not in menu.inner_text() and "Rerun" not in menu.inner_text()


def test_the_sign_in_page_has_the_products_name_and_icon(browser, tmp_path):
    secret = hash_password("a long passphrase here", **FAST)
    users = f'[users.olivia]\nroles = ["compliance_officer"]\npassword_hash = "{secret}"\n'
    with kit.running_app(tmp_path, env={"OVERSIGHT_DEMO": "0"}, config=users) as app, \
            kit.open_page(browser, f"{app.url}/findings") as (page, _):
        assert page.get_by_role("button", name="Sign in").count() == 1
        assert page.title() == "Sign in · Processor oversight"
        assert icon_of(page) == FAVICON

"""Sign-in through a real OpenID Connect provider in a real browser: `oidc-provider-mock` on localhost, the dashboard
under `streamlit run` with an [auth] section in a temporary secrets.toml, driven by Debian's chromium (the server, the
browser and the waiting come from tests/browser_kit.py).

What it takes (found by running it): the mock started as `python -m oidc_provider_mock --host 127.0.0.1 --port P`
(its command line allows plain-http OAuth on its side); Streamlit needs no extra flag: it accepts the http
redirect_uri on 127.0.0.1 and its auth cookie works there. Every URL uses 127.0.0.1 (not localhost) so that the
issuer the mock announces is the one the ID token carries.
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests import browser_kit as kit
from tests.browser_kit import ARTIFACTS, FIRST_RUN_TIMEOUT_MS, wait_for_render

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

# Users the provider knows, with the claims their ID token carries; anyone else typed into its form gets
# only {"email": <what was typed>}.
PROVIDER_USERS = [
    {"sub": "olivia@example.org", "email": "olivia@example.org", "name": "Olivia Jansen"},
    {"sub": "u-vera", "email": "Vera.Peeters@example.org", "name": "Vera Peeters"},
]
CONFIG = """
[users.olivia]
roles = ["compliance_officer"]
email = "olivia@example.org"

[users.vera]
roles = ["viewer"]
email = "vera.peeters@example.org"
"""


def auth_secrets(app_url: str, provider_url: str) -> str:
    """The [auth] section st.login reads: the provider's metadata and this app's callback."""
    return ("[auth]\n"
            f'redirect_uri = "{app_url}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_hex(32)}"\n'
            'client_id = "oversight-dashboard"\n'  # the mock accepts any client id and secret
            f'client_secret = "{secrets.token_hex(16)}"\n'
            f'server_metadata_url = "{provider_url}/.well-known/openid-configuration"\n')


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The provider and the dashboard, each on a free port; the dashboard reads the provider from its secrets."""
    kit.require_chromium()
    site = tmp_path_factory.mktemp("oidc")
    provider_port = kit.free_port()
    provider_url = f"http://127.0.0.1:{provider_port}"
    claims = [arg for user in PROVIDER_USERS for arg in ("--user-claims", json.dumps(user))]
    log = site / "provider.log"
    with kit.started([sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(provider_port),
                      *claims], log) as provider:
        kit.wait_until_ready(f"{provider_url}/.well-known/openid-configuration",
                             lambda body: json.loads(body).get("issuer") == provider_url, provider, log,
                             "oidc-provider-mock", timeout=30)
        with kit.running_app(site, config=CONFIG, secrets=lambda url: auth_secrets(url, provider_url)) as app:
            yield app.url


@pytest.fixture(scope="module")
def browser(app_url: str) -> Iterator[Browser]:
    with kit.chromium() as browser:
        yield browser


@pytest.fixture
def page(browser: Browser, app_url: str) -> Iterator[Page]:
    """A fresh browser profile (no identity cookie) on the dashboard; fails the test on any uncaught page error."""
    with kit.open_page(browser, app_url, viewport={"width": 1400, "height": 1200}) as (page, reported):
        yield page
        assert kit.exceptions(page) == 0
    assert reported.page_errors == []


def sign_in_at_provider(page: Page, app_url: str, subject: str) -> None:
    """Press Sign in, type the subject into the provider's form, authorize, and wait for the dashboard."""
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_test_id("stMain").get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth2/authorize?**", timeout=30_000)
    page.get_by_placeholder("sub").fill(subject)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{app_url}/**", timeout=30_000)
    wait_for_render(page, FIRST_RUN_TIMEOUT_MS)


def test_before_sign_in_only_the_sign_in_button_shows(page: Page) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_test_id("stMain").get_by_role("button", name="Sign in")).to_be_visible()
    assert page.get_by_test_id("stSidebarNav").count() == 0
    assert page.get_by_role("heading", name="Reports").count() == 0
    assert page.get_by_test_id("stDataFrame").count() == 0


def test_compliance_officer_signs_in_at_the_provider_and_gets_their_pages(page: Page, app_url: str) -> None:
    """Also the first session on the empty database: it loads the demo reports as the compliance officer."""
    from playwright.sync_api import expect

    sign_in_at_provider(page, app_url, "olivia@example.org")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Signed in as Olivia Jansen (olivia@example.org) · user olivia: compliance_officer")
           ).to_be_visible()
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_text("Reports", exact=True)).to_be_visible()
    expect(nav.get_by_text("Audit trail", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()  # the landing page
    kit.open_nav(page, "Reports", FIRST_RUN_TIMEOUT_MS)
    expect(page.get_by_role("heading", name="Upload reports")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").last).to_contain_text("belcall_2026-09_v2.csv")
    assert page.get_by_text("Access control is off").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "signed-in-oidc.png"), full_page=True)

    # Sign out: Streamlit clears its cookie and sends the browser to the provider's end-session page.
    sidebar.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/oauth2/end_session**", timeout=30_000)
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{app_url}/**", timeout=30_000)
    wait_for_render(page, 30_000)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.get_by_text("Olivia Jansen").count() == 0
    page.reload()
    wait_for_render(page, 30_000)
    expect(page.get_by_test_id("stMain").get_by_role("button", name="Sign in")).to_be_visible()


def test_viewer_is_matched_by_email_whatever_its_case(page: Page, app_url: str) -> None:
    from playwright.sync_api import expect

    sign_in_at_provider(page, app_url, "u-vera")
    expect(page.get_by_test_id("stSidebar").get_by_text("user vera: viewer")).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_text("Vera Peeters")).to_be_visible()
    kit.open_nav(page, "Reports", FIRST_RUN_TIMEOUT_MS)
    expect(page.get_by_role("heading", name="Submission history")).to_be_visible()
    assert page.get_by_role("heading", name="Upload reports").count() == 0  # a viewer is not offered the upload


def test_account_not_in_the_configuration_gets_no_role_and_no_page(page: Page, app_url: str) -> None:
    from playwright.sync_api import expect

    sign_in_at_provider(page, app_url, "mallory@example.org")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text("You are signed in as mallory@example.org")).to_be_visible()
    expect(main.get_by_text("Ask the compliance officer to add you")).to_be_visible()
    assert page.get_by_test_id("stSidebarNav").count() == 0
    assert page.get_by_role("heading", name="Reports").count() == 0
    assert page.get_by_test_id("stDataFrame").count() == 0
    main.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/oauth2/end_session**", timeout=30_000)

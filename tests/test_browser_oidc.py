"""Sign-in through a real OpenID Connect provider in a real browser: `oidc-provider-mock` on localhost, the dashboard
under `streamlit run` with an [auth] section in a temporary .streamlit/secrets.toml, driven by Debian's chromium.

What it takes (found by running it): the mock started as `python -m oidc_provider_mock --host 127.0.0.1 --port P`
(its command line allows plain-http OAuth on its side); Streamlit needs no extra flag: it accepts the http
redirect_uri on 127.0.0.1 and its auth cookie works there. Every URL uses 127.0.0.1 (not localhost) so that the
issuer the mock announces is the one the ID token carries.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.test_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    FIRST_RUN_TIMEOUT_MS,
    ROOT,
    _free_port,
    _require_chromium,
    _wait_healthy,
    wait_for_render,
)

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


def _start(args: list[str], log: Path, **kwargs: object) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, **kwargs)  # type: ignore[call-overload]


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_for_provider(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"oidc-provider-mock exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/.well-known/openid-configuration", timeout=2) as response:
                if json.load(response).get("issuer") == url:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"oidc-provider-mock did not answer in {timeout} s:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The provider and the dashboard, each on a free port; the dashboard's working directory holds the secrets."""
    _require_chromium()
    site = tmp_path_factory.mktemp("oidc")
    provider_port, app_port = _free_port(), _free_port()
    provider_url, app_url = f"http://127.0.0.1:{provider_port}", f"http://127.0.0.1:{app_port}"

    claims = [arg for user in PROVIDER_USERS for arg in ("--user-claims", json.dumps(user))]
    provider_log = site / "provider.log"
    provider = _start([sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(provider_port),
                       *claims], provider_log)
    try:
        _wait_for_provider(provider_url, provider, provider_log)
        (site / ".streamlit").mkdir()
        (site / ".streamlit" / "secrets.toml").write_text(
            "[auth]\n"
            f'redirect_uri = "{app_url}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_hex(32)}"\n'
            'client_id = "oversight-dashboard"\n'  # the mock accepts any client id and secret
            f'client_secret = "{secrets.token_hex(16)}"\n'
            f'server_metadata_url = "{provider_url}/.well-known/openid-configuration"\n',
            encoding="utf-8")
        (site / "oversight.toml").write_text(CONFIG, encoding="utf-8")
        env = {**os.environ, "HOME": str(site), "OVERSIGHT_DB": str(site / "oversight.duckdb"),
               "OVERSIGHT_KEY_FILE": str(site / "oversight.key"), "OVERSIGHT_CONFIG": str(site / "oversight.toml")}
        env.pop("OVERSIGHT_USER", None)
        app_log = site / "streamlit.log"
        dashboard = _start(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"), "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(app_port), "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            app_log, cwd=site, env=env)
        try:
            _wait_healthy(app_url, dashboard, app_log)
            yield app_url
        finally:
            _stop(dashboard)
    finally:
        _stop(provider)


@pytest.fixture(scope="module")
def browser(app_url: str) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser, app_url: str) -> Iterator[Page]:
    """A fresh browser profile (no identity cookie) on the dashboard; fails the test on any uncaught page error."""
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1400, "height": 1200})
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(app_url)
        wait_for_render(page, FIRST_RUN_TIMEOUT_MS)
        yield page
        assert page.get_by_test_id("stException").count() == 0
    finally:
        context.close()
    assert errors == []


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


def open_page(page: Page, title: str) -> None:
    """Open a page from the sidebar navigation and wait for it to render."""
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    page.wait_for_timeout(200)  # the script state flips to running only after the message is sent
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
    open_page(page, "Reports")
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
    open_page(page, "Reports")
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

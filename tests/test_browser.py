"""The dashboard in a real browser: `streamlit run dashboard.py` driven by Debian's chromium through Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
REPORT = (
    "Maandrapport privacyverzoeken – Contactpunt Gent NV;;;;;\n"
    "Periode: november 2026;;;;;\n"
    "Dossiernummer;Datum ontvangst;Soort verzoek;Kanaal;Datum antwoord;Resultaat\n"
    "CG-261103-01;03/11/2026;inzage;telefoon;18/11/2026;uitgevoerd\n"
    "CG-261106-01;31/11/2026;correctie;brief;;\n"
).encode("cp1252")
FIRST_RUN_TIMEOUT_MS = 60_000  # the first run loads the demo reports

pytestmark = pytest.mark.browser


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: install it with `apt-get install -y chromium` (never `playwright install`)."
    if os.environ.get("CI") == "true":
        pytest.fail(f"Browser tests must run under CI: {message}")
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"streamlit did not become healthy in {timeout} s:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Run the dashboard on a free port against a fresh database in a temporary folder; stop it afterwards."""
    _require_chromium()
    tmp_path = tmp_path_factory.mktemp("dashboard")
    config = tmp_path / "oversight.toml"
    config.write_text("", encoding="utf-8")
    env = {
        **os.environ,
        "OVERSIGHT_DB": str(tmp_path / "oversight.duckdb"),
        "OVERSIGHT_KEY_FILE": str(tmp_path / "oversight.key"),
        "OVERSIGHT_CONFIG": str(config),
    }
    env.pop("OVERSIGHT_USER", None)
    port = _free_port()
    log = tmp_path / "streamlit.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_render(page: Page, timeout_ms: int) -> None:
    """Wait until the app is connected, its script has finished, and no skeleton is left."""
    page.wait_for_selector("[data-testid=stApp][data-test-connection-state=CONNECTED]", timeout=timeout_ms)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=timeout_ms)
    page.wait_for_function("document.querySelectorAll('[data-testid=stSkeleton]').length === 0", timeout=timeout_ms)


@pytest.fixture
def page(app_url: str) -> Iterator[Page]:
    """A chromium page on the running dashboard, rendered; fails the test on any uncaught page error."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(app_url)
            wait_for_render(page, FIRST_RUN_TIMEOUT_MS)
            yield page
            assert page.get_by_test_id("stException").count() == 0
        finally:
            browser.close()
    assert errors == []


def after_click(page: Page) -> None:
    """Wait for the rerun a click started (the state flips to running only after the message is sent)."""
    page.wait_for_timeout(200)
    wait_for_render(page, 30_000)


def test_reports_page_renders_in_a_real_browser(page: Page) -> None:
    """First in the module: its session is the one that finds the database empty and loads the demo."""
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
    demo_notice = page.get_by_test_id("stAlertContentInfo").get_by_text("The demo reports from sample_reports/")
    expect(demo_notice).to_be_visible()
    expect(page.get_by_text("Access control is off")).to_be_visible()
    expect(page.get_by_role("heading", name="Submission history")).to_be_visible()
    history = page.get_by_test_id("stDataFrame").last
    expect(history).to_be_visible()
    expect(history).to_contain_text("belcall_2026-09_v2.csv")
    assert page.get_by_test_id("stException").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "reports.png"), full_page=True)


def test_upload_and_ingest_in_a_real_browser(page: Page) -> None:
    from playwright.sync_api import expect

    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": "contactpunt_2026-11.csv", "mimeType": "text/csv", "buffer": REPORT}])
    after_click(page)
    main = page.get_by_test_id("stMain")
    main.get_by_test_id("stSelectbox").filter(has_text="Processor").first.click()
    page.get_by_role("option", name="New processor…").click()
    after_click(page)
    main.get_by_label("New processor name").fill("Contactpunt Gent NV")
    main.get_by_label("New processor name").press("Enter")
    after_click(page)
    expect(main.get_by_text("Found in the title row.")).to_be_visible()
    main.get_by_role("button", name="Ingest").click()
    after_click(page)
    expect(main.get_by_text("contactpunt_2026-11.csv: loaded as submission")).to_be_visible()
    expect(main.get_by_text("Quarantine of submission")).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "reports-ingested.png"), full_page=True)

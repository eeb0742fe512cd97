"""Shared helpers of the real-browser tests: the dashboard under `streamlit run` on a free port, Debian's chromium
through Playwright (never `playwright install`: nothing can be downloaded here), waiting for a render, what the browser
reported (page errors, console errors), Streamlit widgets driven as a user drives them, screenshots.

The recipe is docs/architecture.md, "Real-browser tests".
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Locator, Page

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
FIRST_RUN_TIMEOUT_MS = 120_000  # the first run on an empty database loads the demo reports and runs the checks
RERUN_TIMEOUT_MS = 30_000
SCREEN = {"width": 1400, "height": 900}  # the README screenshots' viewport

# Console errors that say nothing about the dashboard: (the failed resource's host, why it is safe to ignore).
# Nothing else is ignored. The page icon (`:material/policy:` in dashboard.py) is a Material Symbol that the browser
# asks Google's font server for as the tab's icon; this machine is offline, so that one request fails.
IGNORED_CONSOLE = {
    "fonts.gstatic.com": "offline machine: the tab icon's Material Symbol cannot be fetched from Google's fonts",
}


def require_chromium() -> None:
    """Skip without Debian's chromium locally; fail under CI, where the browser tests must run."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: install it with `apt-get install -y chromium` (never `playwright install`)."
    if os.environ.get("CI") == "true":
        pytest.fail(f"Browser tests must run under CI: {message}")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_ready(url: str, ready: Callable[[bytes], bool], process: subprocess.Popen[bytes], log: Path,
                     name: str, timeout: float = 60) -> None:
    """Poll `url` until `ready(body)` holds; fail with the process's log if it exits or never gets there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{name} exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if ready(response.read()):
                    return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{name} was not ready in {timeout} s:\n{log.read_text(errors='replace')}")


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    """Poll Streamlit's health endpoint until it answers `ok`; fail with the server's log if it never does."""
    wait_until_ready(f"{url}/_stcore/health", lambda body: body.strip() == b"ok", process, log, "streamlit", timeout)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process this test started: terminate, then kill if it does not exit in 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def started(args: list[str], log: Path, **popen: object) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server process with its output in `log` (what to read when a test fails); stop it on leaving."""
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, **popen)  # type: ignore[call-overload]
    try:
        yield process
    finally:
        stop(process)


@dataclass(frozen=True)
class App:
    """A running dashboard: where it answers, and its server log (what to read when a test fails)."""

    url: str
    log: Path


@contextmanager
def running_app(folder: Path, env: Mapping[str, str] | None = None, config: str = "",
                secrets: Callable[[str], str] | None = None) -> Iterator[App]:
    """Run `oversight dashboard` on a free port against a database in `folder`; stop it afterwards.

    `config` is the users file (empty: local mode chosen, the local user with all roles); `env` adds or overrides
    variables (e.g. OVERSIGHT_DEMO=0 for an empty start); `secrets`, given the app's URL, returns the text of the only
    secrets.toml the app reads (e.g. the [auth] section st.login needs, whose redirect_uri holds the port).
    """
    require_chromium()
    (folder / "oversight.toml").write_text(config or '[access]\nmode = "local"\n', encoding="utf-8")
    full_env = {**os.environ, "OVERSIGHT_DB": str(folder / "oversight.duckdb"),
                "OVERSIGHT_KEY_FILE": str(folder / "oversight.key"), "OVERSIGHT_CONFIG": str(folder / "oversight.toml"),
                **(env or {})}
    full_env.pop("OVERSIGHT_USER", None)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # The product's own launcher (`oversight dashboard`, as `make run` and an installed package start it), so the
    # browser sees the packaged Streamlit options; what follows `--` goes to `streamlit run` as it is.
    args = [sys.executable, "-m", "cli", "dashboard", "--headless", "--address", "127.0.0.1", "--port", str(port),
            "--", "--server.fileWatcherType", "none"]
    if secrets is not None:
        (folder / "secrets.toml").write_text(secrets(url), encoding="utf-8")
        args += ["--secrets.files", str(folder / "secrets.toml")]  # instead of ~/.streamlit/ and ./.streamlit/
    log = folder / "streamlit.log"
    with started(args, log, cwd=ROOT, env=full_env) as process:
        wait_healthy(url, process, log)
        yield App(url, log)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's chromium, headless, with the launch arguments this kind of machine needs."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Reported:
    """What the browser reported while a page was open: uncaught page errors and console errors (minus the noise
    listed in IGNORED_CONSOLE)."""

    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        noise = message.text.startswith("Failed to load resource: net::") and urlsplit(url).hostname in IGNORED_CONSOLE
        (self.ignored if noise else self.console_errors).append(f"{message.text} ({url})")

    def clear(self) -> None:
        self.page_errors.clear()
        self.console_errors.clear()


@contextmanager
def open_page(browser: Browser, url: str, viewport: Mapping[str, int] | None = None,
              first_timeout_ms: int = FIRST_RUN_TIMEOUT_MS) -> Iterator[tuple[Page, Reported]]:
    """A fresh browser profile on `url`, rendered, with what the browser reports collected."""
    context = browser.new_context(viewport=dict(viewport or SCREEN), accept_downloads=True)  # type: ignore[arg-type]
    reported = Reported()
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: reported.page_errors.append(str(exc)))
        page.on("console", reported.on_console)
        page.goto(url)
        wait_for_render(page, first_timeout_ms)
        yield page, reported
    finally:
        context.close()


# Rendered: connected, the script not running, no skeleton waiting for content and no element left stale (greyed
# out) from the run before.
_RENDERED = """() => {
  const app = document.querySelector('[data-testid=stApp]');
  return !!app && app.dataset.testConnectionState === 'CONNECTED' && app.dataset.testScriptState === 'notRunning'
    && !document.querySelector('[data-testid=stSkeleton], [data-testid=stElementContainer][data-stale=true]');
}"""


def wait_for_render(page: Page, timeout_ms: int = RERUN_TIMEOUT_MS) -> None:
    """Wait until the app has rendered, and still has 200 ms later: `st.rerun()` starts a run right after one ends."""
    page.wait_for_function(_RENDERED, timeout=timeout_ms)
    page.wait_for_timeout(200)
    page.wait_for_function(_RENDERED, timeout=timeout_ms)


def after_click(page: Page, timeout_ms: int = RERUN_TIMEOUT_MS) -> None:
    """Wait for the rerun an action started (the state flips to running only after the message is sent)."""
    page.wait_for_timeout(250)
    wait_for_render(page, timeout_ms)


def exceptions(page: Page) -> int:
    """How many Streamlit exception boxes (a traceback shown to the user) the page shows."""
    return page.get_by_test_id("stException").count()


def main(page: Page) -> Locator:
    return page.get_by_test_id("stMain")


def sidebar(page: Page) -> Locator:
    return page.get_by_test_id("stSidebar")


def open_nav(page: Page, title: str, timeout_ms: int = RERUN_TIMEOUT_MS) -> None:
    """Open a page from the sidebar navigation, as a user does (the session and its filters are kept)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    after_click(page, timeout_ms)


def click(target: Locator, timeout_ms: int = RERUN_TIMEOUT_MS) -> None:
    """Click a button (or anything that reruns the script) and wait for the rerun to finish."""
    target.click()
    after_click(target.page, timeout_ms)


def choose(scope: Locator, label: str, option: str, exact: bool = True) -> None:
    """Pick `option` in the selectbox labelled `label` inside `scope`, and wait for the rerun."""
    box = scope.get_by_role("combobox", name=label, exact=True)
    # Scroll first and let it settle: the option list closes when the page scrolls under it.
    box.scroll_into_view_if_needed()
    scope.page.wait_for_timeout(200)
    box.click()
    scope.page.get_by_role("option", name=option, exact=exact).click()
    after_click(scope.page)


def fill(scope: Locator, label: str, text: str) -> None:
    """Type into the text input (or number input) labelled `label` and commit it with Enter."""
    box = scope.get_by_label(label, exact=True)
    box.fill(text)
    box.press("Enter")
    after_click(scope.page)


def click_grid_row(grid: Locator, row: int, row_px: int = 35) -> None:
    """Select row `row` (0-based) of an `st.dataframe` with row selection: the grid is a canvas, so click the row's
    selection box, the leftmost column, at the row's height below the header."""
    box = grid.bounding_box()
    assert box is not None, "the table is not visible"
    grid.page.mouse.click(box["x"] + 18, box["y"] + row_px * (row + 1) + row_px / 2)
    after_click(grid.page)


def grid_rows(grid: Locator, timeout_ms: int = 10_000) -> list[list[str]]:
    """The cell texts of an `st.dataframe`, row by row, from the accessible table the grid keeps beside its canvas
    (only the rows scrolled into view); waits for a first row, since the grid fills that table after it is drawn."""
    grid.locator("table [role=row] [role=gridcell]").first.wait_for(state="attached", timeout=timeout_ms)
    rows = grid.locator("table [role=row]").evaluate_all(
        "rows => rows.map(r => Array.from(r.querySelectorAll('[role=gridcell]')).map(c => c.innerText.trim()))")
    return [row for row in rows if row]  # the header row has column headers, not cells


# Bring an element to the top of the view, just below Streamlit's header bar (which would otherwise cover it).
_SCROLL_TO_TOP = """e => {
  e.scrollIntoView({block: 'start'});
  let box = e.parentElement;
  while (box && !['auto', 'scroll'].includes(getComputedStyle(box).overflowY)) box = box.parentElement;
  if (box) box.scrollBy(0, -80);
}"""


def screenshot(page: Page, path: Path, at: Locator | None = None) -> Path:
    """Save what the viewport shows (Streamlit scrolls inside its main block, so that is what a user sees), scrolled
    to `at` first when given."""
    if at is not None:
        at.evaluate(_SCROLL_TO_TOP)
        page.wait_for_timeout(300)  # the grid redraws its canvas after a scroll
    page.mouse.move(700, 10)  # off the sidebar and the tables: no hover toolbar in the picture
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
    return path

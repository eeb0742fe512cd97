"""Sessions that cannot be borrowed (issue 18, item 5): the sign-in bound to a cookie the signed-in browser holds,
rotated at sign-in and expiring when idle; an attempt limit that concurrent attempts cannot pass, checked before any
hashing, with the same work for refused and checked attempts; no traceback in the browser, an error id in the log.

The browser tests replay a signed-in session's id from another browser context, as someone who read it in an upload
URL or a log would.
"""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest

from ingest.service import ingest_report
from store import passwords, sessions
from store.db import connect
from store.identity import ROLES, Config, SignInFailed, User, authenticate
from store.passwords import Throttle, hash_password
from store.throttle import StoreThrottle
from tests import browser_kit as kit
from tests.conftest import HEADER_NL, AppEnv, nl_row, open_dashboard_page

if TYPE_CHECKING:
    from playwright.sync_api import Page

FAST = {"n": 2**10, "r": 8, "p": 1}
PASSWORD = "correct horse battery staple"
HASH = hash_password(PASSWORD, **FAST)
CONFIG = Config(path=Path("oversight.toml"), users={"olivia": ("compliance_officer",)},
                password_hashes={"olivia": HASH})
USERS = f'[users.olivia]\nroles = ["compliance_officer"]\npassword_hash = "{HASH}"\n'


# --- the binding, as a pure decision -------------------------------------------------------------------------------

def signed(token: str = "secret") -> sessions.SignedIn:
    return sessions.SignedIn("olivia", HASH, sessions.digest(token), connection="nonce-A", last_seen=100.0)


def test_the_connection_that_signed_in_needs_no_cookie_yet() -> None:
    kept = sessions.check(signed(), password_hash=HASH, connection="nonce-A", cookie=None, now=160.0)
    assert isinstance(kept, sessions.SignedIn) and kept.last_seen == 160.0


def test_another_connection_needs_the_cookie_and_is_then_bound() -> None:
    moved = sessions.check(signed(), password_hash=HASH, connection="nonce-B", cookie="secret", now=160.0)
    assert isinstance(moved, sessions.SignedIn) and moved.connection == "nonce-B"
    for cookie in (None, "", "guess", sessions.digest("secret")):
        assert sessions.check(signed(), password_hash=HASH, connection="nonce-B", cookie=cookie,
                              now=160.0) is sessions.Refusal.BORROWED


def test_an_idle_or_changed_sign_in_ends() -> None:
    idle = 100.0 + sessions.IDLE_SECONDS + 1
    assert sessions.check(signed(), password_hash=HASH, connection="nonce-A", cookie=None,
                          now=idle) is sessions.Refusal.IDLE
    assert sessions.check(signed(), password_hash=None, connection="nonce-A", cookie=None,
                          now=160.0) is sessions.Refusal.CHANGED


def test_a_sign_in_rotates_its_secret() -> None:
    assert len({sessions.new_token() for _ in range(50)}) == 50
    assert len(sessions.new_token()) >= 43  # 256 bits, URL-safe base64


# --- the attempt limit ----------------------------------------------------------------------------------------------

@pytest.fixture
def hashing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every scrypt computation (the expensive work) as it happens."""
    passwords._dummy_hash()  # made once per process, on first use: not part of any attempt's work
    done: list[str] = []
    real = passwords._scrypt

    def counted(*args: object, **kwargs: object) -> bytes:
        done.append("hash")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(passwords, "_scrypt", counted)
    return done


def attempt_concurrently(throttle: passwords.AttemptLimit, count: int) -> list[BaseException | None]:
    """`count` wrong passwords for olivia at the same moment, each in its own thread (as browser sessions are)."""
    start = threading.Barrier(count)
    outcomes: list[BaseException | None] = [None] * count

    def one(i: int) -> None:
        start.wait()
        try:
            authenticate(CONFIG, "olivia", f"wrong password number {i}", throttle)
        except BaseException as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.parametrize("where", ["process", "store"])
def test_concurrent_wrong_passwords_cannot_pass_the_limit(where: str, db_path: Path, hashing: list[str]) -> None:
    con = connect(db_path)
    try:
        throttle = Throttle(limit=5) if where == "process" else StoreThrottle(con, limit=5)
        outcomes = attempt_concurrently(throttle, 8)
        assert all(isinstance(o, SignInFailed) for o in outcomes)
        with pytest.raises(SignInFailed):  # the right password, after eight wrong ones at once: paused
            authenticate(CONFIG, "olivia", PASSWORD, throttle)
        assert len(hashing) == 9  # every attempt, refused or checked, did the same work: one hash
    finally:
        con.close()


def test_the_limit_is_taken_before_any_hashing(hashing: list[str]) -> None:
    order: list[str] = []

    class Watched(Throttle):
        def attempt(self, name: str) -> bool:
            order.append(f"attempt ({len(hashing)} hashed)")
            return super().attempt(name)

    with pytest.raises(SignInFailed):
        authenticate(CONFIG, "olivia", "not it at all, sorry", Watched())
    assert order == ["attempt (0 hashed)"] and hashing == ["hash"]


def test_refused_and_checked_attempts_do_equal_work(hashing: list[str]) -> None:
    throttle = Throttle(limit=1)
    with pytest.raises(SignInFailed):
        authenticate(CONFIG, "olivia", "wrong once", throttle)  # checked
    with pytest.raises(SignInFailed):
        authenticate(CONFIG, "olivia", PASSWORD, throttle)  # refused by the limit
    with pytest.raises(SignInFailed):
        authenticate(CONFIG, "mallory", PASSWORD, throttle)  # unknown name
    assert hashing == ["hash", "hash", "hash"]


def test_the_store_limit_holds_across_connections_and_a_success_clears_it(db_path: Path) -> None:
    first, second = connect(db_path), None
    try:
        for _ in range(5):
            assert StoreThrottle(first).attempt("Olivia")
        second = first.cursor()  # another session of the server: its own cursor, the same database
        assert not StoreThrottle(second).attempt("olivia ")
        assert StoreThrottle(second, clock=lambda: 10**12).attempt("olivia")  # the pause is over
        StoreThrottle(second).succeeded("olivia")
        assert duckdb.connect(":memory:") and StoreThrottle(first).attempt("olivia")
    finally:
        if second is not None:
            second.close()
        first.close()


# --- the dashboard ----------------------------------------------------------------------------------------------------

def test_an_idle_sign_in_asks_again_and_says_why(app_env: AppEnv) -> None:
    app_env.config.write_text(USERS, encoding="utf-8")
    at = open_dashboard_page("app/signin.py")
    at.text_input[0].input("olivia")
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    assert "Working as **olivia**" in " ".join(c.value for c in at.sidebar.caption)
    state = at.session_state["signed_in"]
    at.session_state["signed_in"] = replace(state, last_seen=state.last_seen - sessions.IDLE_SECONDS - 1)
    at.run()
    assert "signed out after 30 minutes without activity" in " ".join(i.value for i in at.info)
    assert "Working as" not in " ".join(c.value for c in at.sidebar.caption)


def sign_in_in_browser(page: Page, name: str = "olivia", password: str = PASSWORD) -> None:
    main = kit.main(page)
    main.get_by_label("User name").fill(name)
    main.get_by_role("textbox", name="Password").fill(password)
    kit.click(main.get_by_role("button", name="Sign in"))


STEAL_SESSION = """sessionId => {
  const Real = window.WebSocket;
  function Replaying(url, protocols) {
    // Streamlit sends [subprotocol, xsrf token, existing session id]: put the borrowed id in third place.
    if (Array.isArray(protocols) && protocols.length >= 2) protocols = [protocols[0], protocols[1], sessionId];
    return new Real(url, protocols);
  }
  Replaying.prototype = Real.prototype;
  Object.assign(Replaying, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  window.WebSocket = Replaying;
}"""


@pytest.mark.browser
def test_a_session_id_replayed_from_another_browser_does_not_carry_the_sign_in(tmp_path: Path) -> None:
    with kit.running_app(tmp_path, env={"OVERSIGHT_DEMO": "0"}, config=USERS) as app, kit.chromium() as browser, \
            kit.open_page(browser, f"{app.url}/reports") as (page, reported):
        sign_in_in_browser(page)
        assert "Working as olivia" in kit.sidebar(page).inner_text()
        cookies = {c["name"]: c for c in page.context.cookies()}
        assert sessions.COOKIE in cookies and cookies[sessions.COOKIE]["sameSite"] == "Strict"
        assert cookies[sessions.COOKIE]["value"] not in page.url
        # The session id leaks as the probe found it: in the URL of an upload.
        uploads: list[str] = []
        page.on("request", lambda r: uploads.append(r.url) if "/_stcore/upload_file/" in r.url else None)
        report = tmp_path / "belcall_2026-10.csv"
        report.write_text("Dossiernummer;Datum ontvangst;Soort verzoek\nBC-1;05-10-2026;Inzage\n",
                          encoding="utf-8")
        kit.main(page).locator("input[type=file]").first.set_input_files(str(report))
        kit.after_click(page)
        [session_id] = {re.search(r"/upload_file/([^/]+)/", u)[1] for u in uploads}  # type: ignore[index]
        assert session_id not in page.url

        thief = browser.new_context(viewport=kit.SCREEN)
        try:
            stolen = thief.new_page()
            stolen.add_init_script(f"({STEAL_SESSION})({session_id!r})")
            stolen.goto(f"{app.url}/reports")
            kit.wait_for_render(stolen, kit.FIRST_RUN_TIMEOUT_MS)
            shown = stolen.locator("body").inner_text()
            assert "Working as olivia" not in shown and "Upload" not in shown
            assert stolen.get_by_role("heading", name="Sign in").count() == 1
        finally:
            thief.close()
        log = app.log.read_text(errors="replace")
        assert f"Session with id {session_id} is already connected" in log  # the replay did reach the session
        assert "sign-in not honoured" in log
        assert reported.page_errors == []


@pytest.mark.browser
def test_an_error_shows_an_error_id_and_no_traceback(tmp_path: Path) -> None:
    report = tmp_path / "belcall_2026-10.csv"
    report.write_text("\n".join([HEADER_NL, nl_row("BC-1")]) + "\n", encoding="utf-8")
    con = connect(tmp_path / "oversight.duckdb")
    try:
        ingest_report(con, report, user=User("olivia", ROLES), key_path=tmp_path / "oversight.key",
                      processor="Belcall Antwerpen BV", submitted_on=date(2026, 11, 5))
        con.execute("DROP VIEW latest_exceptions")  # a page's query now fails inside DuckDB
    finally:
        con.close()
    with kit.running_app(tmp_path, env={"OVERSIGHT_DEMO": "0"}) as app, kit.chromium() as browser, \
            kit.open_page(browser, f"{app.url}/checks") as (page, _):
        text = kit.main(page).inner_text()
        assert kit.exceptions(page) == 0
        match = re.search(r"Something went wrong on this page \(error ([0-9a-f]{8})\)", text)
        assert match, text
        assert "latest_exceptions" not in text and "Traceback" not in text and str(tmp_path) not in text
        log = app.log.read_text(errors="replace")
        assert f"Error {match[1]} on the page" in log and "latest_exceptions" in log

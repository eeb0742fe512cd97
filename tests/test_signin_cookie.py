"""The password sign-in's cookie (issue 18, item 5), as docs/architecture.md "The sign-in cookie" describes it.

Streamlit gives an app script no way to set a cookie from the server, so the cookie is set by JavaScript and is not
HttpOnly. What protects it instead is verified here, property by property: SameSite=Strict; Secure when the page is
served over HTTPS (run in a real browser on an http and an https origin); a session cookie whose secret stops
counting after IDLE_SECONDS without activity; bound to the server-side session (only its SHA-256 is kept there, and a
secret of another sign-in does not count); rotated at every sign-in, with nothing of the session before kept; never
in a URL and never able to break out of the script that sets it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app import state
from store import sessions
from store.identity import Config, User
from store.passwords import hash_password

HASH = hash_password("correct horse battery staple", n=2**10, r=8, p=1)
CONFIG = Config(path=Path("oversight.toml"), users={"olivia": ("compliance_officer",)},
                password_hashes={"olivia": HASH})
OLIVIA = User("olivia", ("compliance_officer",))


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """A stand-in for one browser session: its session state, and the HTML the run sends to the browser."""
    fake: dict[str, object] = {"session_state": {}, "html": []}
    monkeypatch.setattr(state.st, "session_state", fake["session_state"])
    monkeypatch.setattr(state.st, "html", lambda body, **_: fake["html"].append(body))  # type: ignore[attr-defined]
    monkeypatch.setattr(state, "_connection_nonce", lambda: "nonce-A")
    return fake


def cookie_script(page: dict[str, object], token: str) -> str:
    state._set_cookie(token)
    [html] = page["html"]  # type: ignore[misc]
    return html


def test_the_cookie_is_strict_same_site_secure_on_https_and_lives_only_as_long_as_the_browser(page) -> None:
    script = cookie_script(page, "tok")
    cookie = json.loads(re.search(r"document\.cookie = (\"[^\"]*\")", script)[1])  # type: ignore[index]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert cookie.startswith(f"{sessions.COOKIE}=tok;")
    assert "SameSite=Strict" in cookie and "path=/" in cookie
    assert "location.protocol === 'https:' ? '; Secure'" in script
    assert not attributes & {"expires", "max-age", "domain"}  # a session cookie, for this host only


def test_the_secret_cannot_break_out_of_the_script_that_sets_it(page) -> None:
    # The script JSON-quotes the value but does not escape "<": what keeps it inside is the secret's alphabet
    # (base64url, 256 bits), never anything a user types.
    tokens = {sessions.new_token() for _ in range(200)}
    assert len(tokens) == 200 and all(re.fullmatch(r"[A-Za-z0-9_-]{43}", t) for t in tokens)
    script = cookie_script(page, tokens.pop())
    assert script.count("<script>") == 1 and script.count("</script>") == 1


def test_the_secret_is_made_fresh_at_each_sign_in_and_only_its_digest_is_kept(page) -> None:
    session_state = page["session_state"]
    session_state["filters"] = "from before the sign-in"  # type: ignore[index]
    state.sign_in(CONFIG, OLIVIA)
    first_token = session_state[state.COOKIE_PENDING_KEY]  # type: ignore[index]
    first = session_state[state.SIGNED_IN_KEY]  # type: ignore[index]
    assert "filters" not in session_state  # nothing of the session before the sign-in carries over
    assert len(first_token) >= 43 and first.token_digest == sessions.digest(first_token)
    assert first_token not in repr(first)  # the session keeps the digest, never the secret
    state.sign_in(CONFIG, OLIVIA)
    second_token = session_state[state.COOKIE_PENDING_KEY]  # type: ignore[index]
    assert second_token != first_token
    second = session_state[state.SIGNED_IN_KEY]  # type: ignore[index]
    # the secret of the earlier sign-in does not count for the new one, from another connection
    assert sessions.check(second, password_hash=HASH, connection="nonce-B", cookie=first_token,
                          now=second.last_seen) is sessions.Refusal.BORROWED
    assert isinstance(sessions.check(second, password_hash=HASH, connection="nonce-B", cookie=second_token,
                                     now=second.last_seen), sessions.SignedIn)


def test_the_secret_stops_counting_when_the_sign_in_is_idle(page) -> None:
    state.sign_in(CONFIG, OLIVIA)
    token = page["session_state"][state.COOKIE_PENDING_KEY]  # type: ignore[index]
    signed = page["session_state"][state.SIGNED_IN_KEY]  # type: ignore[index]
    assert sessions.IDLE_SECONDS <= 30 * 60
    later = signed.last_seen + sessions.IDLE_SECONDS + 1
    assert sessions.check(signed, password_hash=HASH, connection="nonce-B", cookie=token,
                          now=later) is sessions.Refusal.IDLE
    assert sessions.check(signed, password_hash=HASH, connection="nonce-A", cookie=token,
                          now=later) is sessions.Refusal.IDLE


def test_the_secret_is_bound_to_its_own_server_side_session(page) -> None:
    state.sign_in(CONFIG, OLIVIA)
    token = page["session_state"][state.COOKIE_PENDING_KEY]  # type: ignore[index]
    mine = page["session_state"][state.SIGNED_IN_KEY]  # type: ignore[index]
    # Another session (another sign-in, maybe the same user's) does not accept this browser's secret.
    other = sessions.SignedIn("olivia", HASH, sessions.digest(sessions.new_token()), "nonce-C", mine.last_seen)
    assert sessions.check(other, password_hash=HASH, connection="nonce-A", cookie=token,
                          now=mine.last_seen) is sessions.Refusal.BORROWED


@pytest.mark.browser
@pytest.mark.parametrize(("origin", "secure"), [("http://oversight.test", False), ("https://oversight.test", True)])
def test_a_real_browser_keeps_the_cookie_as_described(page, origin: str, secure: bool) -> None:
    from tests import browser_kit as kit

    kit.require_chromium()
    script = cookie_script(page, sessions.new_token())
    with kit.chromium() as browser:
        context = browser.new_context()
        try:
            tab = context.new_page()
            tab.route(f"{origin}/**", lambda route: route.fulfill(status=200, content_type="text/html",
                                                                  body=f"<html><body>{script}</body></html>"))
            tab.goto(f"{origin}/")
            [cookie] = [c for c in context.cookies() if c["name"] == sessions.COOKIE]
        finally:
            context.close()
    assert cookie["sameSite"] == "Strict" and cookie["secure"] is secure and cookie["path"] == "/"
    assert cookie["expires"] == -1  # a session cookie: gone with the browser
    assert cookie["httpOnly"] is False  # set by script: see docs/architecture.md for why, and what protects it
    assert cookie["domain"] == "oversight.test"  # host-only

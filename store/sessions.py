"""A dashboard sign-in that cannot be borrowed with the session id (issue 18, item 5).

Streamlit owns its session ids, and they leak (upload URLs, logs); a browser that connects with someone's session id
is attached to that session. So a password sign-in is bound to a secret the signed-in browser holds in a cookie and
the URL never shows: made fresh at each sign-in, kept in the session only as its SHA-256. The connection that signed
in is trusted as it is; any other connection to the session (a reconnect after a network drop, or a borrowed session
id from another browser) must present the cookie, else the sign-in does not count for it. A sign-in unused for
``IDLE_SECONDS`` expires. The dashboard (app/state.py) reads the cookie and the connection; this module decides.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from enum import StrEnum

COOKIE = "oversight_sign_in"
IDLE_SECONDS = 30 * 60  # OWASP Session Management Cheat Sheet: 15-30 minutes of idle time for most applications


class Refusal(StrEnum):
    """Why a stored sign-in does not count for this run."""

    CHANGED = "changed"  # the user's password was changed or the user removed from the file
    IDLE = "idle"  # unused for longer than IDLE_SECONDS
    BORROWED = "borrowed"  # another connection without the sign-in's cookie


@dataclass(frozen=True)
class SignedIn:
    """A password sign-in as the session keeps it: never the cookie's secret itself."""

    name: str
    password_hash: str
    token_digest: str
    connection: str | None  # the handshake nonce (Sec-WebSocket-Key) of the connection that signed in
    last_seen: float


def new_token() -> str:
    """A fresh secret for the sign-in cookie (256 bits)."""
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check(signed: SignedIn, *, password_hash: str | None, connection: str | None, cookie: str | None, now: float,
          idle: float = IDLE_SECONDS) -> SignedIn | Refusal:
    """Return the sign-in, refreshed for this run (and bound to this connection when its cookie proved it), or why it
    does not count."""
    if password_hash is None or not hmac.compare_digest(password_hash, signed.password_hash):
        return Refusal.CHANGED
    if now - signed.last_seen > idle:
        return Refusal.IDLE
    if connection != signed.connection:
        if cookie is None or not hmac.compare_digest(digest(cookie), signed.token_digest):
            return Refusal.BORROWED
        signed = replace(signed, connection=connection)
    return replace(signed, last_seen=now)

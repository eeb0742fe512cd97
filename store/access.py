"""Fail closed: when working without users ("local mode") is allowed, and where the dashboard may listen.

Local mode makes everyone the local user with every role, so it must never happen by accident (issue 18): a missing,
mistyped or emptied configuration file would otherwise silently turn access control off. It is allowed when the
configuration chooses it (``[access] mode = "local"``) or on a database that never had users; a database whose audit
trail records users (``user.added``, ``user.changed``) refuses it otherwise. The dashboard listens on localhost only
unless ``[server] address`` (or ``oversight dashboard --address``) says otherwise, and beyond localhost only with a
sign-in (passwords or an identity provider): an anonymous visitor must never reach a page.
"""

from __future__ import annotations

import ipaddress

import duckdb

from store.errors import StoreError
from store.identity import Config, User, resolve_user
from store.scope import bind_processor

LOCALHOST = "localhost"
USER_ACTIONS = ("user.added", "user.changed")


class LocalModeRefused(StoreError):
    """The database's audit trail knows users, but the configuration has none and does not choose local mode."""

    def __init__(self, config: Config, users: list[str]) -> None:
        where = f"The configuration file {config.path}" if config.path else "No configuration file (--config, " \
                "OVERSIGHT_CONFIG or ./oversight.toml) was found, and it"
        shown = ", ".join(users[:5]) + (", ..." if len(users) > 5 else "")
        super().__init__(
            f"{where} configures no users, but this database's audit trail records users ({shown}): access control "
            "was on here, and nobody gets every role by accident.\n\n"
            "Point --config or OVERSIGHT_CONFIG at the configuration file with the users. To work without users on "
            'purpose, write [access] mode = "local" in the configuration file.')


class AddressRefused(StoreError):
    """The dashboard would listen beyond localhost without a sign-in."""

    def __init__(self, address: str, why: str) -> None:
        super().__init__(
            f"The dashboard will not listen on {address}: {why}, so anyone who can reach this machine would get in. "
            "Give users a sign-in first (oversight user add NAME --role ROLE sets a password; or configure the "
            "identity provider), or serve on localhost only (leave out --address and [server] address).")


def known_users(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The user names the audit trail records as added or changed (empty: the database never had users)."""
    cur = con.cursor()
    try:
        found = cur.execute(
            "SELECT DISTINCT object FROM audit_events WHERE action IN (?, ?) ORDER BY 1", list(USER_ACTIONS)
        ).fetchall()
    finally:
        cur.close()
    return [str(obj).removeprefix("user:") for (obj,) in found]


def check_local_mode(config: Config, trail_users: list[str]) -> None:
    """Refuse local mode unless the configuration chooses it or the database never had users."""
    if config.users or config.local_mode or not trail_users:
        return
    raise LocalModeRefused(config, trail_users)


def acting_user(con: duckdb.DuckDBPyConnection, config: Config, name: str | None = None) -> User:
    """Return who is acting (store.identity.resolve_user), refusing a local user that fail-closed rules forbid, and
    binding a processor user to its register entry (refused when it has none: store.scope.bind_processor)."""
    user = resolve_user(config, name)
    if not user.access_control:
        check_local_mode(config, known_users(con))
    return bind_processor(con, config, user)


def is_loopback(address: str | None) -> bool:
    """Whether an address is this machine only (None or empty is every interface, Streamlit's default)."""
    if not address:
        return False
    if address.strip().lower() == LOCALHOST:
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def listen_address(config: Config, requested: str | None, *, sign_in: bool) -> str:
    """Return where the dashboard listens: `requested`, else ``[server] address``, else localhost; beyond localhost
    only with users who sign in (`sign_in`: passwords or an identity provider)."""
    address = requested or config.server_address or LOCALHOST
    if is_loopback(address):
        return address
    if not config.users:
        raise AddressRefused(address, "no users are configured (everyone would be the local user with every role)")
    if not sign_in:
        raise AddressRefused(address, "the configured users have no way to sign in (no password and no identity "
                                      "provider)")
    return address

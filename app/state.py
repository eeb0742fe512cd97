"""What every page shares: who is working (sign-in), the database connection, the first-start demo, error display.

Who is working is decided afresh on every rerun, in one of four modes (docs/architecture.md, "Identity and roles"):
an identity provider (an ``[auth]`` section in ``.streamlit/secrets.toml``: ``st.login``), the users file's password
hashes (the sign-in form), users without either (``OVERSIGHT_USER`` names the user for the whole server), or no users
at all (the local user with all roles, and a notice that access control is off).
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import duckdb
import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError
from streamlit.logger import get_logger

from app.text import literal
from ingest.demo import load_demo
from ingest.errors import IngestError
from ingest.pseudonym import resolve_key_path
from ingest.pseudonym import use_key_file as use_pseudonym_key
from ingest.queries import is_empty
from store import sessions
from store.access import AddressRefused, check_local_mode, is_loopback, known_users
from store.audit import configured_key, use_key_file
from store.db import connect, open_unit, resolve_db, wait_seconds
from store.errors import DatabaseBusy, DatabaseLocked, OversightError, StoreError
from store.identity import Config, User, may, resolve_user, user_for_claims
from store.limits import configure as configure_limits
from store.scope import bind_processor
from store.users_file import load_config

DEMO_MESSAGE = "The demo reports from sample_reports/ were loaded so you can look around."
# OVERSIGHT_DEMO=0 (or false/no/off) keeps an empty database empty: a real deployment, or a test of the first upload.
DEMO_ENV = "OVERSIGHT_DEMO"
ACCESS_OFF = "Access control is off: no users are configured, everyone is the local user with all roles."
NO_SIGN_IN = ("Users are configured in {path}, but none of them can sign in to the dashboard. Give them passwords "
              "with `oversight user add NAME --role ROLE`, configure your identity provider in an [auth] section of "
              ".streamlit/secrets.toml, or start the dashboard with OVERSIGHT_USER=NAME to work as one of them.")
SIGN_IN_PAGE = "app/signin.py"
# dashboard.PAGES marks the processor's portal pages with this instead of an action: only processor users see them.
PORTAL = "portal"
# session_state: the password sign-in (store.sessions.SignedIn); a changed hash signs the session out.
SIGNED_IN_KEY = "signed_in"
COOKIE_PENDING_KEY = "sign_in_cookie"  # the new sign-in's secret, until the next run has given it to the browser
SIGNED_OUT_KEY = "signed_out_because"
IDLE_MESSAGE = (f"You were signed out after {sessions.IDLE_SECONDS // 60} minutes without activity. Sign in again "
                "to go on.")
_LOG = get_logger(__name__)

# Two sessions opening an empty database at once must not both load the demo.
_DEMO_LOCK = threading.Lock()

# Issue 16: the dashboard holds the database file only while a script run works, so that every `oversight` command
# (and the scheduled loader) can use it between runs. A run's connection is opened at its first use and closed when
# the run ends (run_page, or session() stopping the run); it lives in this thread-local because each script run has
# its own thread (a connection left by an unexpected exit is closed with its thread).
_RUN = threading.local()
# While another program writes (a million-row ingest takes a while), a page waits this long, showing that it waits,
# before it says the database is still being updated (never an error).
PAGE_WAIT_SECONDS = 300.0
UPDATING = "Updating: another program{who} is writing to the database. This page loads when it is done…"
STILL_UPDATING = ("The database is still being updated by another program{who}, for longer than {seconds:g} s. "
                  "The page loads when it is done: reload it in a moment.")


class Mode(StrEnum):
    PROVIDER = "provider"  # st.login against the organisation's identity provider
    PASSWORD = "password"  # the sign-in form, against the users file's password hashes
    NAMED = "named"  # users without a sign-in method: OVERSIGHT_USER works for the whole server
    OFF = "off"  # no users: the local user with all roles


@dataclass(frozen=True)
class Session:
    """Who is working in this browser session: ``user`` is None until they have signed in (or have no role)."""

    config: Config
    mode: Mode
    user: User | None
    # Signed in at the identity provider, but the configuration gives that address no role.
    unknown_identity: str | None = None


@dataclass(frozen=True)
class Context:
    """The paths and user a page works with, and its database connection (the run's: see `con`)."""

    db_path: Path | str  # the DuckDB file, or a PostgreSQL store's URL (store.db.resolve_db)
    key_path: Path
    config: Config
    user: User

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The connection of the script run on this thread; outside a run (a download's data, fetched on its own
        thread when clicked) a connection of its own, closed when its last cursor is closed and it is dropped."""
        current = _run_connection(open_one=False)
        if current is not None:
            return current
        return connect(self.db_path, wait=max(wait_seconds(), PAGE_WAIT_SECONDS))

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Yield a cursor of its own (DuckDB 2.0 refuses concurrent use of one connection): of the run's connection,
        or, in a widget's callback (run before the page, with the Context of the run that drew the widget), of a
        connection held for this block only."""
        current = _run_connection(open_one=False)
        if current is None:
            with open_unit(self.db_path, write=True, wait=max(wait_seconds(), PAGE_WAIT_SECONDS)) as con:
                yield con
            return
        cur = current.cursor()
        try:
            yield cur
        finally:
            cur.close()


def _store() -> Path | str:
    """The store this dashboard serves: the DuckDB file (absolute), or the PostgreSQL URL (store.db.resolve_db)."""
    location = resolve_db()
    return location if isinstance(location, str) else location.resolve()


def _run_connection(db_path: Path | str | None = None, *, open_one: bool = True) -> duckdb.DuckDBPyConnection | None:
    """The connection of the script run on this thread, opened at the first call that asks (`open_one`).

    Read-write: a page may write on any run (a button, an upload, the first sighting of an inbox file). Sessions of
    this process share DuckDB's one instance of the file, so concurrent runs hold one lock between them. When another
    program holds the file, the page says it is updating and waits (PAGE_WAIT_SECONDS), never an error.
    """
    current: duckdb.DuckDBPyConnection | None = getattr(_RUN, "con", None)
    if current is not None or not open_one:
        return current
    path = str(db_path or _store())
    try:
        current = connect(path)
    except DatabaseLocked as exc:
        who = f" ({exc.holder})" if exc.holder else ""
        seconds = max(wait_seconds(), PAGE_WAIT_SECONDS)
        try:
            with st.spinner(UPDATING.format(who=who), show_time=True):
                current = connect(path, wait=seconds)
        except DatabaseBusy:
            st.info(STILL_UPDATING.format(who=who, seconds=seconds), icon=":material/hourglass_top:")
            st.stop()
    _RUN.con = current
    return current


def end_run() -> None:
    """Let go of the database at the end of a script run, so that other programs can use it until the next one."""
    current = getattr(_RUN, "con", None)
    _RUN.con = None
    if current is not None:
        current.close()


@contextmanager
def user_errors(prefix: str = "") -> Iterator[None]:
    """Show a refused input or storage problem as a message on the page, never as a traceback."""
    try:
        yield
    except OversightError as exc:
        st.error(f"{prefix}{exc}")
    except OSError as exc:  # e.g. an inbox file moved away by another session meanwhile
        st.error(f"{prefix}The file could not be read: {exc}")


def run_page(page: st.Page) -> None:
    """Run a page; an unexpected error shows a message and an error id, never a traceback (the server log holds it
    under that id, with client.showErrorDetails = "none" in app/streamlit.toml for anything this does not catch)."""
    try:
        page.run()
    except Exception:  # Streamlit's st.stop and st.rerun are BaseExceptions and pass through
        error_id = secrets.token_hex(4)
        _LOG.exception("Error %s on the page %s", error_id, page.title)
        st.error(f"Something went wrong on this page (error {error_id}). Try again; if it happens again, give the "
                 "error id to whoever runs the dashboard: the server log holds the details under it.",
                 icon=":material/error:")
    finally:
        end_run()  # st.stop and st.rerun included: the file is held only while the run works


def done(page: str, message: str) -> None:
    """Rerun so the page shows the changed state, and say what happened there (`said`): what this run drew is
    dropped by st.rerun(), so the message waits in the session for the next run of `page`."""
    st.session_state[f"{page}_flash"] = message
    st.rerun()


def said(page: str) -> None:
    """Show the message an action on `page` left before its rerun (see `done`), once."""
    if message := st.session_state.pop(f"{page}_flash", None):
        st.success(message, icon=":material/done:")


def provider_configured() -> bool:
    """Whether an identity provider is configured (an [auth] section in .streamlit/secrets.toml)."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, StreamlitSecretNotFoundError):
        return False


def session() -> Session:
    """Decide who is working in this browser session; on a configuration problem say what to do and stop."""
    try:
        return _session()
    except BaseException:
        end_run()  # stopped before run_page: let go of the database here
        raise


def _session() -> Session:
    try:
        config = load_config()
    except StoreError as exc:
        st.error(str(exc))
        st.stop()
    configure_limits(config.limits)  # the report files this server reads
    if provider_configured():
        if not st.user.get("is_logged_in"):
            return Session(config, Mode.PROVIDER, None)
        claims = st.user.to_dict()
        user = user_for_claims(config, claims)
        identity = None if user else str(claims.get("email") or claims.get("sub") or "this account")
        return Session(config, Mode.PROVIDER, _bound(config, user), identity)
    if config.password_hashes:
        user = _password_user(config)
        return Session(config, Mode.PASSWORD, _bound(config, user))
    if config.users and not os.environ.get("OVERSIGHT_USER"):
        st.error(NO_SIGN_IN.format(path=config.path))
        st.stop()
    try:
        # Without a sign-in, nobody beyond this machine may reach a page (`oversight dashboard` refuses to start so;
        # this also holds for a bare `streamlit run`, whose default is every interface).
        if exposed := _exposed_address():
            raise AddressRefused(exposed, "nobody signs in here" if config.users else "no users are configured")
        user = resolve_user(config)
        if not user.access_control:
            use_key_file(_store(), configured_key(config.audit_key_file, config.key_file))
            check_local_mode(config, known_users(connection()))
    except StoreError as exc:
        st.error(str(exc))
        st.stop()
    return Session(config, Mode.NAMED if config.users else Mode.OFF, _bound(config, user))


def _bound(config: Config, user: User | None) -> User | None:
    """A processor user bound to its register entry (issue 15); one with none behind it is refused at sign-in."""
    if user is None or not user.is_processor:
        return user
    try:
        return bind_processor(connection(), config, user)
    except StoreError as exc:
        st.error(str(exc))
        st.stop()


def _exposed_address() -> str | None:
    """The address the server listens on when it is beyond localhost and this session came over HTTP (AppTest runs
    pages without a server: no request headers, nothing to expose)."""
    address = st.get_option("server.address")
    if is_loopback(address) or not st.context.headers:
        return None
    return address or "every interface"


def _connection_nonce() -> str | None:
    """The handshake nonce of this run's connection (each new websocket has its own; none under AppTest)."""
    return st.context.headers.get("Sec-WebSocket-Key")


def _password_user(config: Config) -> User | None:
    """The user signed in with a password in this session, if the sign-in still counts (store.sessions.check)."""
    signed = st.session_state.get(SIGNED_IN_KEY)
    if not isinstance(signed, sessions.SignedIn):
        return None
    checked = sessions.check(signed, password_hash=config.password_hashes.get(signed.name),
                             connection=_connection_nonce(), cookie=st.context.cookies.get(sessions.COOKIE),
                             now=time.monotonic())
    if checked is sessions.Refusal.BORROWED:
        # Not for this connection; the browser that holds the cookie keeps its sign-in.
        _LOG.warning("A connection without the sign-in cookie reached a signed-in session: sign-in not honoured.")
        return None
    if isinstance(checked, sessions.Refusal):
        st.session_state.pop(SIGNED_IN_KEY, None)
        if checked is sessions.Refusal.IDLE:
            st.session_state[SIGNED_OUT_KEY] = IDLE_MESSAGE
        return None
    st.session_state[SIGNED_IN_KEY] = checked
    if token := st.session_state.pop(COOKIE_PENDING_KEY, None):
        _set_cookie(token)
    return User(checked.name, config.users[checked.name])


def _set_cookie(token: str) -> None:
    """Give the browser the sign-in's secret as a cookie, once (Streamlit has no server-side cookie API): never in
    the URL, sent back only to this site (SameSite=Strict), over HTTPS only when the page is served so."""
    value = json.dumps(f"{sessions.COOKIE}={token}; path=/; SameSite=Strict")
    st.html(f"<script>document.cookie = {value} + (location.protocol === 'https:' ? '; Secure' : '');</script>",
            unsafe_allow_javascript=True)


def sign_in(config: Config, user: User) -> None:
    """Remember a password sign-in for this browser session, bound to a fresh secret the browser gets as a cookie.

    Everything the session held before is dropped (as at sign-out), so nothing from before the sign-in carries over.
    """
    st.session_state.clear()
    token = sessions.new_token()
    st.session_state[SIGNED_IN_KEY] = sessions.SignedIn(user.name, config.password_hashes[user.name],
                                                        sessions.digest(token), _connection_nonce(),
                                                        time.monotonic())
    st.session_state[COOKIE_PENDING_KEY] = token


def sign_out(mode: Mode) -> None:
    """End the session's sign-in and forget everything it held (filters, uploads, results)."""
    st.session_state.clear()
    if mode is Mode.PROVIDER:
        st.logout()
        # Not st.rerun(): a new run clears the messages not yet sent, and the logout redirect could be one of them.
        st.stop()
    st.rerun()


def visible_pages(current: Session, pages: Sequence[tuple[st.Page, str | None] | st.Page]) -> list[st.Page]:
    """The pages this session may open: the sign-in page until someone with a role has signed in, then every page
    whose required action (a key of store.identity.PERMISSIONS, or None for pages every role reads) the user may do.
    A bare st.Page counts as readable by every role.
    """
    entries = [entry if isinstance(entry, tuple) else (entry, None) for entry in pages]
    if current.user is None:
        # Every page's address opens the sign-in page too (hidden from the menu), so that a shared link such as
        # /findings?processor=… leads there after signing in instead of to "Page not found".
        return [st.Page(SIGN_IN_PAGE, title="Sign in", icon=":material/login:", default=True),
                *(st.Page(SIGN_IN_PAGE, title="Sign in", url_path=page.url_path, visibility="hidden")
                  for page, _ in entries if page.url_path)]
    if current.user.is_processor:
        # The processor's staff see their portal and nothing else: the controller's pages are not registered for
        # them, so their addresses answer "page not found" (issue 15; scoping itself is in the service layer).
        return [page for page, needs in entries if needs == PORTAL]
    return [page for page, needs in entries if needs != PORTAL and (needs is None or may(current.user, needs))]


def connection() -> duckdb.DuckDBPyConnection:
    """The script run's database connection (for the sign-in page, before there is a page context)."""
    current = _run_connection()
    assert current is not None
    return current


def allowed(ctx: Context, action: str) -> bool:
    """Whether the page should offer an action (the service function refuses anyway if not)."""
    return may(ctx.user, action)


def context(*, portal: bool = False) -> Context:
    """Return the page's context; on a configuration or database problem say what to do and stop the page.

    `portal`: the page is the processor's portal (only processor users); every other page refuses processor users,
    whatever way the page script was reached.
    """
    current = session()
    if current.user is None:  # only reachable by running a page script without dashboard.py
        st.warning("Sign in first: open the dashboard's start page.")
        st.stop()
    if current.user.is_processor != portal:
        st.error("This page is not available to you." if current.user.is_processor
                 else "This page is the processor's portal: it opens for the processor's own users.")
        st.stop()
    try:
        db_path = _store()
        use_key_file(db_path, configured_key(current.config.audit_key_file, current.config.key_file))
        use_pseudonym_key(db_path, current.config.key_file)
        _run_connection(db_path)
    except StoreError as exc:
        st.error(str(exc))
        st.stop()
    try:
        key_path = resolve_key_path(db_path)
    except StoreError as exc:
        st.error(str(exc))
        st.stop()
    ctx = Context(db_path, key_path, current.config, current.user)
    _sidebar_user(current)
    _first_start(ctx)
    return ctx


def _sidebar_user(current: Session) -> None:
    user = current.user
    assert user is not None
    roles = ", ".join(user.roles)
    if current.mode is Mode.PROVIDER:
        email = st.user.get("email")
        shown = st.user.get("name") or email or user.name
        st.sidebar.caption(f"Signed in as **{literal(shown)}**"
                           + (f" ({literal(email)})" if email and email != shown else "")
                           + f" · user {literal(user.name)}: {roles}")
    else:
        st.sidebar.caption(f"Working as **{literal(user.name)}** ({roles})")
    if not user.access_control:
        st.sidebar.warning(ACCESS_OFF, icon=":material/lock_open:")
    if current.mode in (Mode.PROVIDER, Mode.PASSWORD) and st.sidebar.button(
            "Sign out", icon=":material/logout:", key="sign_out"):
        sign_out(current.mode)


def _first_start(ctx: Context) -> None:
    """On an empty database load the demo reports once, and say so for the rest of the session."""
    if "demo_checked" not in st.session_state:
        st.session_state["demo_checked"] = True
        with ctx.cursor() as cur:
            empty = is_empty(cur)
        if empty and demo_enabled():
            _load_demo(ctx)
    loaded = st.session_state.get("demo_loaded")
    if loaded:
        st.info(f"{DEMO_MESSAGE} {loaded} demo report(s) were ingested; upload your own on the Reports page.",
                icon=":material/info:")


def demo_enabled() -> bool:
    """Whether the first start on an empty database loads the demo reports (unless OVERSIGHT_DEMO switches it off)."""
    return os.environ.get(DEMO_ENV, "1").strip().lower() not in {"0", "false", "no", "off"}


def _load_demo(ctx: Context) -> None:
    with _DEMO_LOCK, st.spinner("First start: loading the demo reports from sample_reports/…"), ctx.cursor() as cur:
        if not is_empty(cur):  # another session loaded them while this one waited
            return
        try:
            results = load_demo(cur, user=ctx.user, key_path=ctx.key_path)
        except (StoreError, IngestError) as exc:
            st.error(f"The database is empty and the demo reports could not be loaded: {exc}")
            return
        except (OSError, ValueError, KeyError) as exc:
            st.warning(f"The database is empty and the demo reports in sample_reports/ could not be read ({exc}). "
                       "Upload a monthly report on the Reports page to start.")
            return
    st.session_state["demo_loaded"] = sum(r.status != "duplicate" for r in results)
    st.toast(DEMO_MESSAGE, icon=":material/info:")

"""What every page shares: the database connection, who is working, the first-start demo, error display."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import streamlit as st

from ingest.demo import load_demo
from ingest.errors import IngestError
from ingest.pseudonym import resolve_key_path
from ingest.queries import is_empty
from store.db import connect, resolve_db_path
from store.errors import OversightError, StoreError
from store.identity import Config, User, load_config, resolve_user

DEMO_MESSAGE = "The demo reports from sample_reports/ were loaded so you can look around."
ACCESS_OFF = "Access control is off: no users are configured, everyone is the local user with all roles."

# Two sessions opening an empty database at once must not both load the demo.
_DEMO_LOCK = threading.Lock()


@dataclass(frozen=True)
class Context:
    """The connection, paths and user a page works with."""

    con: duckdb.DuckDBPyConnection
    db_path: Path
    key_path: Path
    config: Config
    user: User

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Yield a cursor of its own: DuckDB 2.0 refuses concurrent use of one connection."""
        cur = self.con.cursor()
        try:
            yield cur
        finally:
            cur.close()


@st.cache_resource(show_spinner="Opening the database…")
def _connection(db_path: str) -> duckdb.DuckDBPyConnection:
    """Open the database once per process and path (sessions share it, each query on its own cursor)."""
    return connect(db_path)


@contextmanager
def user_errors(prefix: str = "") -> Iterator[None]:
    """Show a refused input or storage problem as a message on the page, never as a traceback."""
    try:
        yield
    except OversightError as exc:
        st.error(f"{prefix}{exc}")
    except OSError as exc:  # e.g. an inbox file moved away by another session meanwhile
        st.error(f"{prefix}The file could not be read: {exc}")


def context() -> Context:
    """Return the page's context; on a configuration or database problem say what to do and stop the page."""
    try:
        config = load_config()
        user = resolve_user(config)
        db_path = resolve_db_path().resolve()
        con = _connection(str(db_path))
    except StoreError as exc:
        st.error(str(exc))
        st.stop()
    ctx = Context(con, db_path, resolve_key_path(db_path), config, user)
    _sidebar_user(user)
    _first_start(ctx)
    return ctx


def _sidebar_user(user: User) -> None:
    st.sidebar.caption(f"Working as **{user.name}** ({', '.join(user.roles)})")
    if not user.access_control:
        st.sidebar.warning(ACCESS_OFF, icon=":material/lock_open:")


def _first_start(ctx: Context) -> None:
    """On an empty database load the demo reports once, and say so for the rest of the session."""
    if "demo_checked" not in st.session_state:
        st.session_state["demo_checked"] = True
        with ctx.cursor() as cur:
            empty = is_empty(cur)
        if empty:
            _load_demo(ctx)
    loaded = st.session_state.get("demo_loaded")
    if loaded:
        st.info(f"{DEMO_MESSAGE} {loaded} demo report(s) were ingested; upload your own below.",
                icon=":material/info:")


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
                       "Upload a monthly report below to start.")
            return
    st.session_state["demo_loaded"] = sum(r.status != "duplicate" for r in results)
    st.toast(DEMO_MESSAGE, icon=":material/info:")

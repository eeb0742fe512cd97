"""Shared sidebar filters (processor, period) whose values live in the URL, so a view can be shared."""

from __future__ import annotations

import streamlit as st

from app import state
from ingest.queries import periods, processors

ALL = "All"


def url_filter(name: str, label: str, options: list[str]) -> str | None:
    """A sidebar selectbox whose value lives in the URL (?processor=...&period=...) so the view can be shared, and in
    the session, so it follows the user to the next page (opening a page from the navigation clears the URL's query
    and the previous page's widget state; a URL that names a value still wins)."""
    key, kept = f"filter_{name}", f"kept_filter_{name}"
    chosen = (st.session_state[key] if key in st.session_state
              else st.query_params.get(name, st.session_state.get(kept, ALL)))
    # Assigned on every run, even unchanged: a value chosen on another page belongs to that page's widget, and this
    # page's widget would start from its default instead (Streamlit's widget clean-up between pages).
    st.session_state[key] = chosen if chosen in options else ALL
    value = st.sidebar.selectbox(label, [ALL, *options], key=key)
    st.session_state[kept] = value
    if value == ALL:
        st.query_params.pop(name, None)
        return None
    st.query_params[name] = value
    return value


def processor_period(ctx: state.Context, names: list[str]) -> tuple[str | None, str | None]:
    processor = url_filter("processor", "Processor", names)
    with ctx.cursor() as cur:
        months = periods(cur, processor)
    return processor, url_filter("period", "Period", months)


def sidebar(ctx: state.Context) -> tuple[list[str], str | None, str | None]:
    """The page recipe's first step (style.md): the processors known, and the sidebar's processor and period."""
    with ctx.cursor() as cur:
        names = processors(cur)
    return (names, *processor_period(ctx, names))

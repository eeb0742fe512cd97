"""Shared sidebar filters (processor, period) whose values live in the URL, so a view can be shared."""

from __future__ import annotations

import streamlit as st

from app import state
from ingest.queries import periods

ALL = "All"


def url_filter(name: str, label: str, options: list[str]) -> str | None:
    """A sidebar selectbox whose value lives in the URL (?processor=...&period=...) so the view can be shared."""
    key = f"filter_{name}"
    if key not in st.session_state:
        st.session_state[key] = st.query_params.get(name, ALL)
    if st.session_state[key] not in options:
        st.session_state[key] = ALL
    value = st.sidebar.selectbox(label, [ALL, *options], key=key)
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

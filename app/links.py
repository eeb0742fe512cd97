"""Links to the Case page (issue 12 §6): every case id a page shows leads to its case, by a shareable URL."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pandas as pd
import streamlit as st

from app.text import literal

CASE_PAGE = "case"  # the Case page's url_path (dashboard.py)
LINK = "_case_page"  # the hidden column that holds a table's case URLs


def case_url(processor: str, case_id: str) -> str:
    """The Case page's address for one case, relative to the app (works under any base path)."""
    return f"{CASE_PAGE}?{urlencode({'case_id': case_id, 'processor': processor}, quote_via=quote)}"


def case_link(processor: str, case_id: str) -> str:
    """A Markdown link to the case, labelled with its id."""
    return f"[{literal(case_id)}]({case_url(processor, case_id)})"


def linked(frame: pd.DataFrame, id_column: str, processor: str | pd.Series) -> tuple[pd.DataFrame, dict, list[str]]:
    """Show a table's case id column as links to the Case page; return the frame, column_config and column_order.

    The ids stay as they are in `id_column` (what a download or a test reads); a hidden column holds the URLs and
    is shown in its place, labelled like it and displaying the id.
    """
    if frame.empty:
        return frame, {}, list(frame.columns)
    processors = processor if isinstance(processor, pd.Series) else pd.Series(processor, index=frame.index)
    out = frame.copy()
    out[LINK] = [case_url(str(p), str(c)) if c is not None and str(c) and not pd.isna(c) else None
                 for p, c in zip(processors, frame[id_column], strict=True)]
    config = {LINK: st.column_config.LinkColumn(id_column, display_text=r"case_id=([^&]*)",
                                                help="Opens the case's page: its values in every report, deadlines, "
                                                     "exceptions, reviews and findings.")}
    return out, config, [LINK if c == id_column else c for c in frame.columns]

"""A resubmission shown before it replaces the current report: cases added, removed, each field before and after.

Issue 12 §1: a file replaces a month's report only after the person has seen what would change and confirmed it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.links import case_link, linked
from ingest.service import IngestResult

SHOWN_IDS = 50


def field_changes_table(changes: list[dict[str, object]]) -> pd.DataFrame:
    """The field-level changes as a table: case, field, before, after (values as text, empty for none)."""
    return pd.DataFrame([{"case id": c["case_id"], "field": c["field"],
                          "before": "" if c["before"] is None else str(c["before"]),
                          "after": "" if c["after"] is None else str(c["after"])} for c in changes],
                        columns=["case id", "field", "before", "after"])


def _ids(processor: str, ids: list[str] | None, total: object) -> str:
    ids = ids or []
    more = int(total or 0) - min(len(ids), SHOWN_IDS)
    return ", ".join(case_link(processor, i) for i in ids[:SHOWN_IDS]) + (f" and {more} more" if more > 0 else "")


def preview_panel(key: str, result: IngestResult) -> bool | None:
    """Show what the resubmission would change; True: replace, False: cancel, None: not decided yet."""
    changes = result.changes or {}
    removed = int(changes.get("removed") or 0)
    with st.container(border=True, key=f"{key}:preview_panel"):
        st.markdown(f"**This file would replace the current report (submission {result.replaces}) of "
                    f"{result.processor} for {result.period}.** Nothing is written until you confirm.")
        cols = st.columns(4)
        cols[0].metric("Cases in the new file", result.rows_loaded)
        cols[1].metric("Added", changes.get("added", 0))
        cols[2].metric("Removed", removed)
        cols[3].metric("Changed", changes.get("changed", 0))
        if result.rows_quarantined:
            st.caption(f"{result.rows_quarantined} row(s) of the new file would be quarantined.")
        if result.added:
            st.markdown(f"Added: {_ids(result.processor, result.added, changes.get('added'))}")
        if result.removed:
            st.warning(f"Removed: {_ids(result.processor, result.removed, changes.get('removed'))}. These cases would "
                       "no longer be in "
                       "the month's report.", icon=":material/warning:")
        if result.field_changes:
            st.markdown("**Changed values**")
            frame, links, order = linked(field_changes_table(result.field_changes), "case id", result.processor)
            st.dataframe(frame, hide_index=True, width="stretch", key=f"{key}:field_changes", column_config=links,
                         column_order=order)
        if result.truncated:
            st.caption("Only the first 10,000 entries of each list are shown.")
        left, right = st.columns(2)
        if left.button("Replace the current report", key=f"{key}:replace", type="primary"):
            return True
        if right.button("Cancel", key=f"{key}:cancel"):
            return False
    return None

"""The Case page: one case's record (issue 12 §6), at a shareable address (`case?case_id=…&processor=…`).

Its values in every submission that listed it side by side (changed values marked), its deadlines with the
calculation spelled out, the exceptions it raised in each check run, its sample reviews, its findings and the audit
events about it. `oversight case show` gives the same.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from app import state
from app.text import literal
from casefile.record import case_record
from casefile.versions import FIELDS, plain
from ingest.queries import processors

CHANGED = "background-color: #fff3cd; font-weight: 600"


def versions_table(versions: list[dict[str, object]]) -> pd.DataFrame:
    """Fields as rows, one column per submission (oldest first): the case as each report stated it."""
    columns = {f"#{v['submission_id']} {v['period']} ({v['status']}, {plain(v['submitted_on'])})": v
               for v in versions}
    return pd.DataFrame({name: ["" if v.get(f) is None else str(plain(v.get(f))) for f in FIELDS]
                         for name, v in columns.items()}, index=FIELDS)


def changed_cells(versions: list[dict[str, object]], table: pd.DataFrame) -> pd.DataFrame:
    """The style of each cell: marked where the value differs from the submission before."""
    styles = pd.DataFrame("", index=table.index, columns=table.columns)
    for column, v in zip(table.columns, versions, strict=True):
        for field in v["changed"]:  # type: ignore[attr-defined]
            styles.loc[field, column] = CHANGED
    return styles


def _lookup(ctx: state.Context) -> None:
    with ctx.cursor() as cur:
        names = processors(cur)
    if not names:
        st.info("No reports yet — upload one on the Reports page; each case id shown anywhere then opens its page "
                "here.", icon=":material/inbox:")
        return
    st.caption("Every case id on the other pages opens its case here. Or look one up:")
    with st.form("case_lookup"):
        processor = st.selectbox("Processor", names, key="case_lookup_processor")
        case_id = st.text_input("Case id", key="case_lookup_id", placeholder="e.g. BC-261005-06")
        if st.form_submit_button("Open case") and case_id.strip():
            st.query_params["processor"], st.query_params["case_id"] = processor, case_id.strip()
            st.rerun()


def _show(record: dict[str, object]) -> None:
    versions: list[dict[str, object]] = record["versions"]  # type: ignore[assignment]
    st.subheader(f"{literal(record['case_id'])} · {literal(record['processor'])}")
    st.caption("This page's address opens this case for anyone who may read the dashboard.")
    st.markdown(f"**Values in every submission that listed it** ({len(versions)}); a marked value changed from the "
                "submission before.")
    table = versions_table(versions)
    st.dataframe(table.style.apply(lambda _: changed_cells(versions, table), axis=None), width="stretch",
                 height=35 * (len(FIELDS) + 1) + 3, key="case_versions")
    rewritten = [(v["submission_id"], f) for v in versions for f in v["changed"]]  # type: ignore[attr-defined]
    if rewritten:
        st.warning("Rewritten between submissions: " + ", ".join(f"{f} (in #{s})" for s, f in rewritten) + ".",
                   icon=":material/history_edu:")

    deadlines: dict[str, object] = record["deadlines"]  # type: ignore[assignment]
    st.markdown(f"**Deadlines** (contract profile {deadlines['profile']}, calendar {deadlines['calendar']}, from "
                f"submission #{deadlines['from_submission_id']})")
    st.markdown("\n".join(f"1. {step}" for step in deadlines["steps"]))  # type: ignore[attr-defined]

    left, right = st.columns(2)
    _section(left, "Exceptions in each check run", [
        {"run": e["run_id"], "at (UTC)": e["run_at"], "period": e["period"], "check": e["check_id"],
         "severity": e["severity"], "clause": e["clause"], "details": json.dumps(e["details"], ensure_ascii=False)}
        for e in record["exceptions"]], "No exception in any check run.", "case_exceptions")  # type: ignore[attr-defined]
    _section(right, "Sample reviews", [
        {"sample": r["sample_id"], "item": r["item_id"], "answer": r["answer"], "comment": r["comment"],
         "by": r["reviewer"], "at (UTC)": r["reviewed_at"], "current": r["current"]}
        for r in record["reviews"]], "Not reviewed in any sample.", "case_reviews")  # type: ignore[attr-defined]
    _section(st, "Findings", [
        {"finding": f["finding_id"], "status": f["status"], "severity": f["severity"], "clause": f["clause"],
         "title": f["title"], "period": f["period"], "due on": f["due_on"]}
        for f in record["findings"]], "In no finding.", "case_findings")  # type: ignore[attr-defined]
    with st.expander(f"Audit events about this case ({len(record['events'])})"):  # type: ignore[arg-type]
        st.dataframe(pd.DataFrame([{"#": e["seq"], "at (UTC)": e["occurred_at"], "user": e["user_name"],
                                    "action": e["action"], "object": e["object"]}
                                   for e in record["events"]]),  # type: ignore[attr-defined]
                     hide_index=True, width="stretch", key="case_events")


def _section(where: Any, title: str, rows: list[dict[str, object]], empty: str, key: str) -> None:
    """A titled table of the case's record, or a line saying there is nothing (the page's three record sections)."""
    where.markdown(f"**{title}**")
    if rows:
        where.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=key)
    else:
        where.caption(empty)


def render() -> None:
    """Draw the page."""
    st.title("Case")
    ctx = state.context()
    case_id, processor = st.query_params.get("case_id"), st.query_params.get("processor")
    if not case_id or not processor:
        _lookup(ctx)
        return
    with state.user_errors(), ctx.cursor() as cur:
        record = case_record(cur, processor, case_id, ctx.config.controller_country)
        _show(record)
    if st.button("Look up another case", key="case_other"):
        st.query_params.clear()
        st.rerun()


if __name__ == "__main__":
    render()

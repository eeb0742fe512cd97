"""The Findings page: raise findings from the latest check run, spot-check reviews or by hand, see what is open and
overdue, and pick one to follow up (its detail and forms are in app/finding_detail.py)."""

from __future__ import annotations

from datetime import date

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from app import filters, state
from app.finding_detail import PAGE, STATUS_LABELS, detail, unsaved_notes
from app.text import literal
from exports.letter import MIME as LETTER_MIME
from exports.letter import PERMISSION as LETTER_PERMISSION
from exports.letter import letter_bytes, letter_file_name
from exports.pack import PERMISSION as PACK_PERMISSION
from exports.pack import pack_bytes, pack_file_name
from findings import queries, terms
from findings.lifecycle import Severity, Status
from findings.raising import raise_from_checks, raise_from_reviews
from findings.record import Raised
from findings.service import raise_finding
from store.identity import may

EXPORT = "findings_export"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PICK = "finding_pick"
TABLE = "findings_table"
# The two expanders run their content only when open (on_change="rerun"): the page's first render stays small.
RAISE_BOX, EXPORTS_BOX = "findings_raise_box", "findings_exports_box"
OVERDUE_STYLE = "background-color: rgba(255, 75, 75, 0.18)"


def findings_table(found: list[dict[str, object]]) -> pd.DataFrame:
    """The findings as shown on the page, one row each, overdue ones flagged."""
    return pd.DataFrame([{
        "finding": f["finding_id"], "status": STATUS_LABELS[str(f["status"])], "severity": f["severity"],
        "overdue": bool(f["overdue"]), "due on": f["due_on"], "processor": f["processor"], "period": f["period"],
        "clause": f["clause"], "title": f["title"], "cases": len(f["case_ids"]), "owner": f["owner"] or "unassigned",
        "source": f["source"],
    } for f in found], columns=["finding", "status", "severity", "overdue", "due on", "processor", "period", "clause",
                                "title", "cases", "owner", "source"])


def _highlight_overdue(table: pd.DataFrame) -> pd.DataFrame:
    """The overdue style on every cell of an overdue finding's row, in one pass over the table (Styler.apply row by
    row took 0.2 s per thousand findings)."""
    overdue = np.broadcast_to(table["overdue"].to_numpy(dtype=bool)[:, None], table.shape)
    return pd.DataFrame(np.where(overdue, OVERDUE_STYLE, ""), index=table.index, columns=table.columns)


def _url_flag(name: str, label: str) -> bool:
    """A sidebar checkbox whose value lives in the URL (?overdue=1), like the shared select filters."""
    key = f"filter_{name}"
    if key not in st.session_state:
        st.session_state[key] = st.query_params.get(name) == "1"
    value = st.sidebar.checkbox(label, key=key)
    if value:
        st.query_params[name] = "1"
    else:
        st.query_params.pop(name, None)
    return value


def _summarise(results: list[Raised]) -> str:
    tally = {o: sum(r.outcome == o for r in results) for o in ("created", "updated", "merged", "unchanged", "skipped")}
    notes = " ".join(r.note for r in results if r.note)
    return ", ".join(f"{n} {o}" for o, n in tally.items() if n) + (f". {notes}" if notes else ".")


def _raise_from_checks(ctx: state.Context, processor: str | None, period: str | None) -> None:
    scope = " · ".join(literal(v) for v in (processor, period) if v) or "all processors and periods"
    st.caption(f"One finding per processor, period and check from the newest check results ({scope}): critical "
               "exceptions become critical, major high, minor medium; info is not raised. Raising again adds new cases "
               "to the open finding.")
    if st.button("Raise from the latest check run", icon=":material/playlist_add:", key="raise_from_checks"):
        with state.user_errors(), st.spinner("Raising findings from the latest check run…"), ctx.cursor() as cur:
            results = raise_from_checks(cur, ctx.user, processor, period)
            if not results:
                st.info("No critical, major or minor exceptions in the newest check results for this scope — run "
                        "the checks first if the reports changed.", icon=":material/info:")
                return
            state.done(PAGE, _summarise(results))


def _raise_from_reviews(ctx: state.Context, processor: str | None, period: str | None) -> None:
    with ctx.cursor() as cur:
        samples = queries.samples_with_deviations(cur, processor=processor, period=period)
    if not samples:
        st.caption("No spot-check review in this scope answered \"no\" yet: reviews are recorded on the sample.")
        return
    labels = {str(s["sample_id"]): f"{s['sample_id']} · {s['processor']} {s['period']} · {s['deviations']} \"no\""
              for s in samples}
    st.caption("One finding per rubric item answered \"no\", against the item's clause, with the review comments.")
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    sample_id = left.selectbox("Sample", list(labels), format_func=labels.get, key="raise_sample")
    if right.button("Raise from its \"no\" answers", icon=":material/fact_check:", key="raise_from_reviews"):
        with state.user_errors(), st.spinner("Raising findings from the reviews…"), ctx.cursor() as cur:
            state.done(PAGE, _summarise(raise_from_reviews(cur, ctx.user, sample_id)))


def _raise_by_hand(ctx: state.Context, names: list[str], processor: str | None, period: str | None) -> None:
    if not names:
        st.info("No processor yet — ingest a report on the Reports page first.", icon=":material/inbox:")
        return
    who = st.selectbox("Processor", names, index=names.index(processor) if processor in names else 0,
                       key="raise_processor")
    with state.user_errors(), ctx.cursor() as cur:
        profile, register = terms.clauses(cur, who)
        with st.form("raise_by_hand", clear_on_submit=False):
            left, right = st.columns(2)
            month = left.text_input("Period (YYYY-MM)", value=period or "", placeholder="2026-10")
            level = right.selectbox("Severity", [s.value for s in Severity], index=1)
            clause = st.selectbox(f"Clause (register of profile '{profile}')", list(register), index=None,
                                  format_func=lambda ref: f"{ref} — {register[ref].title}",
                                  placeholder="Choose the clause the processor fell short of")
            title = st.text_input("Title", placeholder="What is wrong, in words the processor will read")
            description = st.text_area("Description", placeholder="Details, what you expect the processor to do")
            cases = st.text_input("Case ids (comma-separated, optional)", placeholder="BC-2610-0042, BC-2610-0107")
            if not st.form_submit_button("Raise finding", icon=":material/flag:"):
                return
        if clause is None:
            st.error("Choose the clause of the contract the finding is raised against.")
            return
        finding_id = raise_finding(cur, ctx.user, processor=who, period=month.strip(), clause=clause, title=title,
                                   severity=level, description=description,
                                   case_ids=[c for c in cases.replace(";", ",").split(",") if c.strip()])
        st.session_state[PICK] = finding_id
        state.done(PAGE, f"{finding_id} raised against {clause}.")


def _raise_section(ctx: state.Context, names: list[str], processor: str | None, period: str | None) -> None:
    can_raise = may(ctx.user, "raise a finding")
    from_reviews = may(ctx.user, "raise a finding from reviews")
    if not can_raise and not from_reviews:
        return
    box = st.expander("Raise findings", icon=":material/add_alert:", key=RAISE_BOX, on_change="rerun")
    if not box.open:  # closed: its forms (and the clause register they read) do not run
        return
    with box:
        if can_raise:
            st.markdown("**From the latest check run**")
            _raise_from_checks(ctx, processor, period)
        if from_reviews:
            st.markdown("**From spot-check reviews**")
            _raise_from_reviews(ctx, processor, period)
        if can_raise:
            st.markdown("**By hand**")
            _raise_by_hand(ctx, names, processor, period)


def _pick(found: list[dict[str, object]]) -> str | None:
    """The finding to show: picked in the table or the box, kept in the URL (?finding=...)."""
    ids = [str(f["finding_id"]) for f in found]
    titles = {str(f["finding_id"]): str(f["title"]) for f in found}
    selection = st.session_state.get(TABLE)
    rows = list(selection["selection"]["rows"]) if selection else []
    chosen_row = ids[rows[0]] if rows and rows[0] < len(ids) else None
    if chosen_row and chosen_row != st.session_state.get("finding_row_seen"):
        st.session_state[PICK] = chosen_row  # a new click in the table wins over the box
    st.session_state["finding_row_seen"] = chosen_row
    if PICK not in st.session_state:
        st.session_state[PICK] = st.query_params.get("finding")
    if st.session_state[PICK] not in ids:
        st.session_state[PICK] = None
    drafted = unsaved_notes()
    if drafted:
        st.warning(f"A note typed and not used yet on {', '.join(drafted)}: open the finding to use it (move, "
                   "dismiss or record the response), or clear the note.", icon=":material/edit_note:")
    picked = st.selectbox("Finding", ids, key=PICK,
                          format_func=lambda i: f"{i} · {titles[i]}" + (" · unsaved note" if i in drafted else ""),
                          placeholder="Choose a finding (or click its row) to see and follow it up")
    if picked:
        st.query_params["finding"] = picked
    else:
        st.query_params.pop("finding", None)
    return picked


def _chart(ctx: state.Context, processor: str | None, period: str | None) -> None:
    """Open findings by clause, stacked by age: where the processor falls short, and for how long."""
    with ctx.cursor() as cur:
        counts = queries.open_by_clause_and_age(cur, processor=processor, period=period)
    if not counts:
        return
    order = [label for label, _ in queries.AGE_BUCKETS]
    chart = alt.Chart(pd.DataFrame(counts)).mark_bar().encode(
        x=alt.X("findings:Q", title="Open findings", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("clause:N", title="Clause", sort="-x"),
        color=alt.Color("age:N", title="Age", sort=order, scale=alt.Scale(domain=order, scheme="orangered")),
        order=alt.Order("youngest:Q"),
        tooltip=["clause", "age", "findings"],
    )
    st.altair_chart(chart, width="stretch")


def _exports(ctx: state.Context, processor: str | None, period: str | None) -> None:
    """The findings letter to the processor and the month's oversight pack, built on request (each is audited)."""
    box = st.expander("Letter to the processor and monthly pack", icon=":material/download:", key=EXPORTS_BOX,
                      on_change="rerun")
    if not box.open:
        return
    with box:
        if not processor:
            st.caption("Pick a processor in the sidebar (and a period for the pack).")
            return
        left, right = st.columns(2)
        may_letter, may_pack = state.allowed(ctx, LETTER_PERMISSION), state.allowed(ctx, PACK_PERMISSION)
        if left.button("Build the findings letter", disabled=not may_letter, icon=":material/mail:",
                       help="Its open findings with clause, counted cases and due dates, in the processor's language "
                            "(.docx, stored with its hash); no data-subject references."
                       + ("" if may_letter else " Needs the compliance officer or vendor manager role.")):
            with state.user_errors(), st.spinner("Building the findings letter…"), ctx.cursor() as cur:
                data = letter_bytes(cur, ctx.user, processor, "docx")
                st.session_state[EXPORT] = (letter_file_name(processor, "docx", date.today()), data)
        if right.button("Build the monthly pack", disabled=not may_pack or not period, icon=":material/description:",
                        help="The accountability document for the processor and period."
                        + ("" if may_pack else " Needs the compliance officer, auditor or vendor manager role.")):
            with state.user_errors(), st.spinner("Building the monthly pack…"), ctx.cursor() as cur:
                st.session_state[EXPORT] = (pack_file_name(processor, period), pack_bytes(cur, ctx.user, processor,
                                                                                          period))
        built = st.session_state.get(EXPORT)
        if built:
            mime = LETTER_MIME["docx"] if built[0].endswith(".docx") else XLSX
            st.download_button(f"Download {built[0]}", data=built[1], file_name=built[0], mime=mime,
                               icon=":material/download:", type="primary")


def render() -> None:
    """Draw the page."""
    st.title("Findings")
    st.caption("Shortfalls of the processor against its contract clauses, from check runs, spot checks or by hand, "
               "followed from open to closed. A finding past its due date and not closed is overdue.")
    ctx = state.context()
    state.said(PAGE)
    names, processor, period = filters.sidebar(ctx)
    with ctx.cursor() as cur:
        clauses = queries.distinct_clauses(cur)
    status = filters.url_filter("status", "Status", [s.value for s in Status])
    clause = filters.url_filter("clause", "Clause", clauses)
    severity = filters.url_filter("severity", "Severity", [s.value for s in Severity])
    overdue = _url_flag("overdue", "Overdue only")
    _raise_section(ctx, names, processor, period)
    _exports(ctx, processor, period)
    with ctx.cursor() as cur:
        found = queries.list_findings(cur, status=status, processor=processor, period=period, clause=clause,
                                      severity=severity, overdue=overdue)
        kpis = queries.counts(cur, processor=processor, period=period)
    cols = st.columns(3)
    cols[0].metric("Open", kpis["open"], help="Not closed or dismissed.")
    cols[1].metric("Overdue", kpis["overdue"], help="Past the due date and not closed or dismissed.")
    cols[2].metric("All findings", kpis["total"])
    _chart(ctx, processor, period)
    if not found and not names:
        st.info("No report yet — upload one on the Reports page and run the checks; findings are raised from what "
                "they find, from spot checks, or by hand.", icon=":material/inbox:")
        return
    if not found:
        hint = "clear a filter, or " if status or clause or severity or overdue else ""
        st.info(f"No findings for this selection — {hint}raise them from the latest check run under "
                "**Raise findings** above (run the checks first), or by hand.", icon=":material/flag:")
        return
    table = findings_table(found)
    # A Styler ships every cell twice (values and display text): only when there is something to highlight.
    shown = table.style.apply(_highlight_overdue, axis=None) if table["overdue"].any() else table
    st.dataframe(shown, hide_index=True, width="stretch", key=TABLE,
                 on_select="rerun", selection_mode="single-row",
                 column_config={"overdue": st.column_config.CheckboxColumn("overdue")})
    picked = _pick(found)
    if picked:
        detail(ctx, picked)


if __name__ == "__main__":
    render()

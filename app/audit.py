"""The Audit trail page: is the hash chain intact, who changed what and when, the trail and the monthly pack to
download."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from app import filters, state
from app.text import literal
from exports.pack import PERMISSION as PACK_PERMISSION
from exports.pack import pack_bytes, pack_file_name
from exports.scope import known_periods
from exports.trail import trail_csv, trail_xlsx
from ingest.queries import processors
from store import audit, evidence

PAGE_SIZE = 50
PACK_KEY = "audit_pack"


def _url_text(name: str, label: str) -> str | None:
    """A sidebar text filter whose value lives in the URL, like the shared select filters."""
    key = f"filter_{name}"
    if key not in st.session_state:
        st.session_state[key] = st.query_params.get(name, "")
    value = st.sidebar.text_input(label, key=key).strip()
    if value:
        st.query_params[name] = value
    else:
        st.query_params.pop(name, None)
    return value or None


def _url_dates() -> tuple[date | None, date | None]:
    """A sidebar date range (UTC days, both included) kept in the URL as ?since=...&until=..."""
    start = "event_days_from_url"  # read once: the widget keeps its own value afterwards
    if start not in st.session_state:
        try:
            st.session_state[start] = tuple(date.fromisoformat(st.query_params[n]) for n in ("since", "until")
                                            if n in st.query_params)
        except ValueError:
            st.session_state[start] = ()
    chosen = st.sidebar.date_input("Between (UTC days)", value=st.session_state[start], key="filter_event_days",
                                   format="YYYY-MM-DD")
    days = tuple(chosen) if isinstance(chosen, tuple | list) else (chosen,)
    since = days[0] if days else None
    until = days[1] if len(days) > 1 else since
    for name, value in (("since", since), ("until", until)):
        if value:
            st.query_params[name] = value.isoformat()
        else:
            st.query_params.pop(name, None)
    return since, until


def selection_text(wanted: audit.EventFilter) -> str:
    """Say which events a filter selects, for the page and the exported file."""
    parts = [f"action {wanted.action}" if wanted.action else "", f"by {wanted.user}" if wanted.user else "",
             f"object containing '{wanted.obj}'" if wanted.obj else "",
             f"from {wanted.since}" if wanted.since else "", f"to {wanted.until}" if wanted.until else ""]
    return ", ".join(p for p in parts if p) or "all events"


def events_table(events: list[dict[str, object]]) -> pd.DataFrame:
    """The events as shown on the page: details as compact text, the hash shortened (the export has it whole)."""
    return pd.DataFrame([{
        "event": e["seq"], "at (UTC)": e["occurred_at"], "user": e["user_name"], "role": e["role"],
        "action": e["action"], "object": e["object"],
        "details": ", ".join(f"{k}: {v}" for k, v in dict(e["details"]).items()), "hash": str(e["hash"])[:12] + "…",
    } for e in events], columns=["event", "at (UTC)", "user", "role", "action", "object", "details", "hash"])


def _chain_banner(status: audit.ChainStatus) -> None:
    if status.intact:
        unkeyed = (f" Events 1–{status.unkeyed} were written before the chain was keyed (plain SHA-256): anyone who "
                   "could write the database could have recomputed them." if status.unkeyed else "")
        st.success(f"Audit trail intact: {status.events} event(s), each holding the keyed hash of the one before. "
                   f"Newest hash `{status.head or '-'}`: anchor it outside the database (`oversight audit anchor`) "
                   f"to detect a trail cut short later.{unkeyed}", icon=":material/verified:")
    else:
        st.error(f"Audit trail BROKEN at event {status.broken_at}: {status.reason}. The tool never edits or deletes "
                 "events, so the database was changed from outside it: keep the file as it is, compare it with the "
                 "latest backup and tell the compliance officer.", icon=":material/gpp_bad:")


def _data_check(ctx: state.Context) -> None:
    """Check the trail against the last anchor and the data tables on request (it reads every row: not on each
    visit)."""
    if not st.button("Check the data against the trail", icon=":material/policy:",
                     help="Compares every submission, check run and finding with the digest its events recorded, "
                          "and the trail with its last anchor."):
        return
    with st.spinner("Recomputing the digests…"), ctx.cursor() as cur:
        found = evidence.verify_trail(cur, ctx.db_path)
    anchor = (f"the anchor of {found.anchor.anchored_at} ({found.anchor.events} events)" if found.anchor
              else "no anchor (run `oversight audit anchor` at each month end)")
    if found.ok:
        st.success(f"{found.digests_checked} submissions, check runs and findings match what their events recorded; "
                   f"checked against {anchor}.", icon=":material/verified:")
        return
    st.error(f"{len(found.problems)} contradiction(s) between the data and the trail (checked against {anchor}). "
             "The tool never changes data without an event, so the database was changed from outside it.",
             icon=":material/gpp_bad:")
    st.dataframe(pd.DataFrame([{"event": p.seq, "object": p.obj, "what": p.what} for p in found.problems]),
                 hide_index=True, width="stretch")


def _downloads(ctx: state.Context, wanted: audit.EventFilter, status: audit.ChainStatus) -> None:
    def all_events() -> list[dict[str, object]]:
        cur = ctx.con.cursor()  # runs on its own thread when clicked
        try:
            return audit.list_events(cur, action=wanted.action, user=wanted.user, obj=wanted.obj, since=wanted.since,
                                     until=wanted.until, limit=None)
        finally:
            cur.close()

    left, right = st.columns(2)
    left.download_button("Download the selection as CSV", data=lambda: trail_csv(all_events()),
                         file_name="audit-trail.csv", mime="text/csv", icon=":material/download:")
    right.download_button("Download the selection as Excel", data=lambda: trail_xlsx(
        all_events(), status, selection_text(wanted)), file_name="audit-trail.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", icon=":material/download:")


def _trail_section(ctx: state.Context, wanted: audit.EventFilter, status: audit.ChainStatus) -> None:
    with ctx.cursor() as cur:
        total = audit.count_events(cur, wanted)
    if not total:
        st.info("No event matches these filters — widen the date range or clear a filter in the sidebar.",
                icon=":material/filter_alt_off:")
        return
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    page = st.number_input("Page", min_value=1, max_value=pages, value=1, step=1, key="audit_page") if pages > 1 else 1
    first = (page - 1) * PAGE_SIZE
    with ctx.cursor() as cur:
        events = audit.list_events(cur, action=wanted.action, user=wanted.user, obj=wanted.obj, since=wanted.since,
                                   until=wanted.until, limit=PAGE_SIZE, offset=first)
    st.caption(f"Events {first + 1}–{first + len(events)} of {total} ({literal(selection_text(wanted))}), "
               "newest first.")
    st.dataframe(events_table(events), hide_index=True, width="stretch", key="audit_events",
                 column_config={"at (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")})
    _downloads(ctx, wanted, status)


def _pack_section(ctx: state.Context) -> None:
    st.subheader("Monthly oversight pack")
    st.caption("The accountability document of one processor and month: key figures, the report's facts, check "
               "results and exceptions, samples, findings and clause coverage. Each export is recorded above.")
    with ctx.cursor() as cur:
        names = processors(cur)
    if not names:
        st.info("No processor yet — ingest a report on the Reports page first.", icon=":material/inbox:")
        return
    left, right = st.columns(2)
    processor = left.selectbox("Processor", names, key="audit_pack_processor")
    with ctx.cursor() as cur:
        months = known_periods(cur, processor)
    period = right.selectbox("Period", months, key="audit_pack_period")
    allowed = state.allowed(ctx, PACK_PERMISSION)
    if st.button("Build the pack", icon=":material/description:", disabled=not allowed or not period,
                 help=None if allowed else "Exporting the pack needs the compliance officer, auditor or vendor "
                                           "manager role."):
        with state.user_errors(), st.spinner("Building the monthly pack…"), ctx.cursor() as cur:
            st.session_state[PACK_KEY] = (pack_file_name(processor, period), pack_bytes(cur, ctx.user, processor,
                                                                                        period))
            st.rerun()  # the export's audit event belongs in the table above
    built = st.session_state.get(PACK_KEY)
    if built:
        st.download_button(f"Download {built[0]}", data=built[1], file_name=built[0], icon=":material/download:",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", type="primary")


def render() -> None:
    """Draw the page."""
    st.title("Audit trail")
    st.caption("Every change — ingest, mappings, check runs, samples, reviews, findings, exports — appends one event "
               "holding the hash of the one before, so an edited or deleted event shows.")
    ctx = state.context()
    with ctx.cursor() as cur:
        status = audit.verify_chain(cur)
        actions = audit.distinct_values(cur, "action")
        users = audit.distinct_values(cur, "user_name")
    _chain_banner(status)
    _data_check(ctx)
    st.sidebar.header("Audit trail")
    action = filters.url_filter("action", "Action", actions)
    user = filters.url_filter("event_user", "User", users)
    obj = _url_text("object", "Object contains")
    since, until = _url_dates()
    _trail_section(ctx, audit.EventFilter(action, user, obj, since, until), status)
    _pack_section(ctx)


if __name__ == "__main__":
    render()

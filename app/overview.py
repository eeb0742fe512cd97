"""The Overview, the landing page: per processor and month, what came in, what was answered on time, what is open,
the non-conformities by clause, the findings, and whether the report came in on time; each number links to its page.

Loads are cached (`st.cache_data`) keyed by the database path, the filters, today's date and the *data version*:
the newest audit event's number (metrics.overview.data_version). Every ingest, check run and findings change appends
an audit event, so any of them gives a new version and the next render reads afresh; an unchanged database is read
once per filter. Everything is aggregated in DuckDB (processors × months), so no chart ships raw cases.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import altair as alt
import duckdb
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app import filters, state
from app.text import literal
from checks.runner import run_checks
from metrics import kpi
from metrics.attention import Page, Point, all_clear, attention, evidence_points
from metrics.overview import Overview, data_version, has_check_run, load, months_with_data

REPORTS, CHECKS, FINDINGS, CONTRACT = "app/reports.py", "app/checks.py", "app/findings.py", "app/contract.py"
SPOTCHECKS = "app/spotchecks.py"
FIRST_LOOK = "overview_first_look"  # session: the demo's first start was offered its check run
FOCUS = "overview_focus"            # session: a processor picked in the table, applied to the filter next run
RANGE = "overview_months"           # the charted months (select_slider), in the URL as ?from=YYYY-MM&to=YYYY-MM
TABLE = "overview_table"
NO_REPORT = "No report yet — upload one on the Reports page."


@st.cache_data(max_entries=64, show_spinner=False)
def _load(_con: duckdb.DuckDBPyConnection, db_path: str, processor: str | None, start: str, end: str, period: str,
          today: date, version: int) -> Overview:
    """Read the Overview once per database, filters, day and data version (`db_path` and `version` key the cache)."""
    cur = _con.cursor()  # the shared connection (unhashed: the leading underscore); a cursor of its own
    try:
        return load(cur, processor=processor, start=start, end=end, period=period, as_of=today)
    finally:
        cur.close()


def _first_look(ctx: state.Context) -> None:
    """Right after the demo reports were loaded at first start, run the checks once, so the Overview tells their story.

    Only for the session that loaded the demo and a user allowed to run the checks: on real reports a check run is
    an audited act someone chooses (Checks page).
    """
    if not st.session_state.get("demo_loaded") or st.session_state.get(FIRST_LOOK):
        return
    st.session_state[FIRST_LOOK] = True
    if not state.allowed(ctx, "run the checks"):
        return
    with ctx.cursor() as cur:
        if has_check_run(cur):
            return
    with st.spinner("First start: running the checks on the demo reports…"), state.user_errors(), \
            ctx.cursor() as cur:
        run_checks(cur, ctx.user, controller_country=ctx.config.controller_country)


def _months_filter(months: list[str]) -> tuple[str, str]:
    """The charted months: a sidebar range of months with data, kept in the URL; default the last six."""
    wanted = st.session_state.get(RANGE)
    if isinstance(wanted, tuple | list) and len(wanted) == 2 and all(m in months for m in wanted):
        chosen = (str(wanted[0]), str(wanted[1]))
    else:  # first run, or another processor's months: from the URL, else the default
        chosen = kpi.window(months, st.query_params.get("from"), st.query_params.get("to"))
    assert chosen is not None  # months is not empty
    if len(months) < 2:
        return chosen
    # `value` as well as `key`: a range select_slider is only a range when its value is a pair (set via
    # session state alone, a moved handle comes back as one month).
    start, end = st.sidebar.select_slider(
        "Months charted", options=months, value=chosen, key=RANGE, format_func=kpi.month_label,
        help="The trend charts show these months; the tiles and the table show the period chosen above "
             "(or the latest month).")
    if (start, end) == kpi.default_window(months):
        st.query_params.pop("from", None)
        st.query_params.pop("to", None)
    else:
        st.query_params["from"], st.query_params["to"] = start, end
    return start, end


def _link(where: DeltaGenerator, page: str, label: str, params: Mapping[str, str | None],
          icon: str = ":material/arrow_forward:") -> None:
    where.page_link(page, label=label, icon=icon, query_params={k: v for k, v in params.items() if v})


def _tiles(data: Overview, kpis: kpi.PeriodKpis, params: dict[str, str | None]) -> None:
    def count(value: int | None) -> str | int:
        return kpi.MISSING if value is None else value

    findings_open = int(data.findings["open"].sum())
    findings_overdue = int(data.findings["overdue"].sum())
    reports = sum(kpis.reports.values())
    on_time = kpis.reports.get(kpi.ReportStatus.ON_TIME, 0)
    others = ", ".join(f"{n} {s.value}" for s, n in kpis.reports.items() if s is not kpi.ReportStatus.ON_TIME)

    row = st.columns(5)
    row[0].metric("Cases received", kpis.received, border=True,
                  help="Cases whose date of receipt falls in the month, as the month's report lists them.")
    _link(row[0], REPORTS, "Reports", params, ":material/upload_file:")
    row[1].metric("Answered on time", kpi.percent(kpis.on_time), border=True,
                  help=f"1 − answered late / answered ({kpis.late_offending} of {kpis.late_tested}): check "
                       "deadline.late_response (GDPR Art. 12(3)), pooled over the processors shown."
                  if kpis.checked else "No check run for this month yet.")
    _link(row[1], CHECKS, "Deadline checks", params, ":material/rule:")
    row[2].metric("Days to answer", kpi.days(data.median_days), border=True,
                  help="The median of the calendar days from receipt to answer, for the cases answered in the month.")
    _link(row[2], CHECKS, "Deadline checks", params, ":material/rule:")
    row[3].metric("Open at month end", kpis.open_cases, border=True,
                  help="Cases without an answer on the last day of the month, as the month's report lists them.")
    _link(row[3], CHECKS, "Open cases", params, ":material/pending_actions:")
    row[4].metric("Due soon · overdue", f"{count(kpis.due_soon)} · {count(kpis.overdue)}", border=True,
                  help="Open cases due within the contract's due_soon_days (7 by default; deadline.due_soon) and "
                       "open past their deadline (deadline.overdue_open), as of the check run's date.")
    _link(row[4], CHECKS, "Due list", params, ":material/event_upcoming:")

    row = st.columns(5)
    row[0].metric("Non-conformities", count(kpis.non_conformities), border=True,
                  help="Critical and major exceptions in the latest check run of the month.")
    _link(row[0], CHECKS, "Checks", params, ":material/rule:")
    row[1].metric("Findings open", findings_open, border=True,
                  help="Findings about this month not closed or dismissed.")
    _link(row[1], FINDINGS, "Findings", params, ":material/flag:")
    row[2].metric("Findings overdue", findings_overdue, border=True,
                  help="Findings about this month past their due date and not closed (as of today).")
    _link(row[2], FINDINGS, "Overdue findings", {**params, "overdue": "1"}, ":material/flag:")
    row[3].metric("Reports on time", f"{on_time} of {reports}" if reports else kpi.MISSING, border=True,
                  help=(f"Not on time: {others}. " if others else "")
                  + "A report is late after the contract's due day (report.late); a month without one is missing "
                    "once a check run has named it (report.missing).")
    _link(row[3], REPORTS, "Submission history", params, ":material/history:")
    row[4].metric("Processors", kpis.processors, border=True, help="Processors with a report (or a missing one) "
                                                                    "for the month.")


def _attention(data: Overview, checked: bool, evidence: list[Point]) -> None:
    """The month told in a few sentences, most serious first, each with the page that explains it; then evidence
    requests past their due date (any month: an unanswered request does not wait for the month to be chosen)."""
    points = [*attention(data), *evidence]
    if not points and not checked:
        return  # the "no check run" notice above says what to do; silence here is not "all clear"
    pages = {Page.REPORTS: REPORTS, Page.CHECKS: CHECKS, Page.FINDINGS: FINDINGS, Page.SPOTCHECKS: SPOTCHECKS}
    with st.container(border=True, key="overview_attention"):
        st.markdown("**What needs attention**")
        if not points:
            st.markdown(all_clear(data))
        for point in points:
            text, link = st.columns([3, 1], vertical_alignment="center")
            text.markdown(f"- {point.text}")
            _link(link, pages[point.page], point.link, point.params)


def _breakdowns(data: Overview, params: dict[str, str | None]) -> None:
    left, right = st.columns(2)
    left.markdown("**Received by request type**")
    by_type = data.received_by_type()
    if by_type.empty:
        left.caption("No case received in this month.")
    else:
        left.dataframe(by_type.rename(columns={"request_type": "request type"}), hide_index=True, width="stretch",
                       key="overview_by_type")
    right.markdown("**Non-conformities by clause**")
    if data.clauses.empty:
        right.caption("No non-conformity in the latest check run of this month." if data.month()["checked"].any()
                      else "No check run for this month yet.")
    else:
        right.dataframe(data.clauses, hide_index=True, width="stretch", key="overview_by_clause",
                        column_config={"checks": st.column_config.NumberColumn(help="Checks that found them")})
        _link(right, CONTRACT, "Clause coverage", params, ":material/gavel:")


def _table(data: Overview, processor: str | None) -> None:
    month = data.month()
    if month.empty:
        return
    findings = data.findings.set_index("processor")
    table = pd.DataFrame({
        "processor": month["processor"], "report": month["report"], "received": month["received"],
        "answered on time": [kpi.percent(kpi.on_time_rate(*(None if pd.isna(v) else int(v) for v in pair)))
                             for pair in zip(month["late_tested"], month["late_offending"], strict=True)],
        "median days": month["median_days"], "open": month["open_cases"], "due soon": month["due_soon"],
        "overdue": month["overdue"], "non_conformities": month["non_conformities"],
        "findings open": month["processor"].map(findings["open"]),
        "findings overdue": month["processor"].map(findings["overdue"]),
    })
    st.subheader(f"Per processor, {kpi.month_label(data.period)}")
    event = st.dataframe(table, hide_index=True, width="stretch", key=f"{TABLE}:{processor}", on_select="rerun",
                         selection_mode="single-row")
    if processor is None:
        st.caption("Select a processor's row to focus the Overview on it; the links under the numbers then open "
                   "that processor's pages.")
    picked = event.selection.rows if event else []
    if picked and processor is None:
        st.session_state[FOCUS] = str(table["processor"].iloc[picked[0]])
        st.rerun()


def _charts(data: Overview) -> None:
    st.subheader(f"Trends, {kpi.month_label(data.start)} to {kpi.month_label(data.end)}")
    left, right = st.columns(2)
    on_time = data.on_time_trend()
    left.markdown("**Answered on time, per processor**")
    if on_time.empty:
        left.caption("No check run in these months yet.")
    else:
        left.altair_chart(alt.Chart(on_time).mark_line(point=True).encode(
            x=alt.X("period:O", title="Month"),
            y=alt.Y("on_time:Q", title="Answered on time", axis=alt.Axis(format="%"),
                    scale=alt.Scale(domain=[kpi.rate_floor(on_time["on_time"]), 1])),
            color=alt.Color("processor:N", title="Processor"),
            tooltip=["processor", "period", alt.Tooltip("on_time:Q", format=".1%"), "answered", "late"],
        ), width="stretch")
    non_conformities = data.non_conformity_map()
    right.markdown("**Non-conformities per processor and month**")
    if non_conformities.empty:
        right.caption("No report in these months.")
    else:
        base = alt.Chart(non_conformities).encode(x=alt.X("period:O", title="Month"),
                                          y=alt.Y("processor:N", title=None, axis=alt.Axis(labelLimit=240)))
        right.altair_chart(
            (base.mark_rect().encode(color=alt.Color("non_conformities:Q", title="Non-conformities",
                                                     scale=alt.Scale(scheme="reds")),
                                     tooltip=["processor", "period", "non_conformities", "report"])
             + base.mark_text().encode(text="label:N")), width="stretch")
    volume = data.volume_trend()
    st.markdown("**Cases received per month, by request type**")
    if volume.empty:
        st.caption("No case received in these months.")
    else:
        st.altair_chart(alt.Chart(volume).mark_bar().encode(
            x=alt.X("period:O", title="Month"), y=alt.Y("cases:Q", title="Cases received"),
            color=alt.Color("request_type:N", title="Request type"),
            tooltip=["period", "request_type", "cases"],
        ), width="stretch")


def render() -> None:
    """Draw the page."""
    st.title("Overview")
    st.caption("Each processor's month at a glance: requests received and answered on time (GDPR Art. 12(3)), "
               "what is open, the non-conformities by contract clause, findings, and whether the report came in on "
               "time.")
    ctx = state.context()
    _first_look(ctx)
    if FOCUS in st.session_state:  # a row picked in the table: set the shared filter (app/filters.py's key for
        st.session_state["filter_processor"] = st.session_state.pop(FOCUS)  # "processor") before it is drawn
    _, processor, chosen = filters.sidebar(ctx)
    with ctx.cursor() as cur:
        months = months_with_data(cur, processor)
    if not months:
        st.info(NO_REPORT, icon=":material/inbox:")
        st.page_link(REPORTS, label="Upload a report", icon=":material/upload_file:")
        st.stop()
    start, end = _months_filter(months)
    period = chosen or end
    if not chosen:
        st.caption(f"No period chosen: the numbers are for {kpi.month_label(period)}, the last month charted. "
                   "Pick another in the sidebar.")
    with st.spinner("Adding up reports, check results and findings…"), ctx.cursor() as cur:
        data = _load(ctx.con, str(ctx.db_path), processor, start, end, period, date.today(), data_version(cur))
    for problem in data.problems:
        st.warning(problem, icon=":material/gavel:")
    params = {"processor": processor, "period": period}
    month = data.month()
    st.subheader(f"{literal(processor) if processor else 'All processors'}, {kpi.month_label(period)}")
    if not month["checked"].any():
        st.info(f"No check run for {kpi.month_label(period)} yet — run the checks on the Checks page to see answers "
                "on time, due and overdue cases, non-conformities and report timeliness.", icon=":material/rule:")
        st.page_link(CHECKS, label="Run the checks", icon=":material/rule:",
                     query_params={k: v for k, v in params.items() if v})
    with ctx.cursor() as cur:  # a small query on its own (not cached): a request falls due without any new event
        evidence = evidence_points(cur, date.today(), processor)
    _attention(data, bool(month["checked"].any()), evidence)
    _tiles(data, kpi.summarise(month.to_dict("records")), params)
    _breakdowns(data, params)
    _table(data, processor)
    _charts(data)


if __name__ == "__main__":
    render()

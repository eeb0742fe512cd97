"""The Checks page: run the catalog, see every check's latest result, a check's offending cases, trends, due cases."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from app import filters, state
from app.links import linked
from app.text import literal
from checks.catalog import BY_ID, CHECKS
from checks.contract import Clause, Profile, profile_for_processor
from checks.queries import (
    EXCEPTION_LIMIT,
    check_exceptions,
    check_table,
    flatten_details,
    latest_period,
    list_runs,
    non_conformities_by_month,
    open_cases_due,
    report_status,
)
from checks.runner import RunResult, run_checks
from checks.wording import fill
from ingest.facts import period_bounds
from store.errors import OversightError

TABLE_KEY = "checks_table"
RUN_MESSAGE = "checks_run_message"
ROW_PX = 35  # st.dataframe's row height
CASE_FACTS = {"case_id": "case id", "received_on": "received on", "request_type": "request type",
              "responded_on": "responded on", "outcome": "outcome"}


def _profile(ctx: state.Context, processor: str) -> Profile | None:
    """The processor's contract profile for clause titles; a broken profile is shown, and the page goes on."""
    with state.user_errors("Clause titles are not shown: "), ctx.cursor() as cur:
        return profile_for_processor(cur, processor)
    return None


def run_summary(result: RunResult) -> str:
    """Say what a run did in one sentence, with its counts."""
    offending = sum(1 for n in result.offending.values() if n)
    as_of = result.as_of.isoformat() if result.as_of else "the last day of each report's period"
    errors = f" {result.errors} check error(s): see the table." if result.errors else ""
    return (f"Check run {result.run_id}: {len(BY_ID)} checks on {len(result.reports)} report(s) as of {as_of}; "
            f"{result.exceptions} exception(s) from {offending} check(s).{errors}")


def _run_section(ctx: state.Context, processor: str | None, period: str | None) -> None:
    if not state.allowed(ctx, "run the checks"):
        st.caption("A compliance officer or an auditor runs the checks; you see the results of their latest run.")
        return
    with st.container(border=True):
        scope = f"{literal(processor) if processor else 'every processor'}, {period or 'every period'}"
        left, right = st.columns([1, 2], vertical_alignment="bottom")
        as_of = left.date_input(
            "As of", value=period_bounds(period)[1] if period else None, format="YYYY-MM-DD",
            key=f"checks_as_of:{processor}:{period}",
            help="Deadlines are judged on this day. Default: the last day of the period (empty: of each report's).")
        if right.button("Run the checks", type="primary", key="checks_run",
                        help=f"Runs all {len(CHECKS)} checks on the current reports of {scope} and keeps the run."):
            with state.user_errors(), st.status(f"Running {len(CHECKS)} checks on {scope}…") as status, \
                    ctx.cursor() as cur:
                try:
                    result = run_checks(cur, ctx.user, processor=processor, period=period,
                                        as_of=as_of if isinstance(as_of, date) else None,
                                        controller_country=ctx.config.controller_country)
                except OversightError:
                    status.update(label="The checks were not run", state="error")
                    raise
                status.update(label=f"Check run {result.run_id} stored", state="complete")
                st.session_state[RUN_MESSAGE] = (scope, run_summary(result))
        done = st.session_state.get(RUN_MESSAGE)
        if done and done[0] == scope:  # stays while the user looks around the same scope
            st.success(done[1], icon=":material/done_all:")


def rule_text(description: str, profile: Profile | None) -> str:
    """A check's rule with the profile's values filled in (the rule as written when no profile could be read)."""
    return fill(description, profile.parameters) if profile else description


def _clause_text(ref: object, title: object) -> str:
    return f"{ref} — {title}" if title else str(ref)


def results_frame(table: list[dict[str, object]]) -> pd.DataFrame:
    """The per-check results as shown: severity, check, counts, clause with its title, basis and the rule."""
    return pd.DataFrame([{
        "severity": r["severity"], "check": r["title"], "check id": r["check_id"], "tested": r["cases_tested"],
        "offending": r["cases_offending"], "clause": _clause_text(r["clause"], r["clause_title"]),
        "basis": r["basis"], "rule": r["description"], "error": r["error"],
    } for r in table])


def exceptions_frame(check_id: str, exceptions: list[dict[str, object]]) -> pd.DataFrame:
    """Offending cases with their key facts, then the values that offend (details flattened into columns).

    A detail repeating a case fact with the same value is left out; one that differs is kept under its own name.
    """
    row_severity = BY_ID[check_id].severity_sql is not None  # e.g. identity.not_verified: critical for a disclosure
    records = []
    for e in exceptions:
        record = {label: e[name] for name, label in CASE_FACTS.items()}
        if row_severity:
            record["severity"] = e["severity"]
        for key, value in flatten_details(e["details"]).items():
            if key in CASE_FACTS and str(value) == str(e[key]):
                continue
            record[key] = value
        records.append(record)
    frame = pd.DataFrame(records)
    facts = [label for label in CASE_FACTS.values() if label in frame.columns]
    if not frame.empty and frame[facts].isna().all().all():  # report-level checks have no case
        frame = frame.drop(columns=facts)
    return frame


def _run_state(ctx: state.Context, processor: str, period: str) -> bool:
    """Say when the period has no report or no check run yet (the empty guards); return whether a run exists."""
    with ctx.cursor() as cur:
        status = report_status(cur, processor, period)
    if not status["has_report"]:
        st.info(f"No report for {literal(processor)}, {period} yet — upload it on the Reports page.",
                icon=":material/inbox:")
        return False
    if status["run_id"] is None:
        who = ("run the checks above" if state.allowed(ctx, "run the checks")
               else "a compliance officer or an auditor can run them")
        st.info(f"No check run for this period yet — {who}.", icon=":material/rule:")
        return False
    st.caption(f"Check run {status['run_id']} by {literal(status['checked_by'])}, finished "
               f"{status['checked_at']:%Y-%m-%d %H:%M} UTC, as of {status['as_of']}. Select a check to see its "
               "offending cases.")
    if status["stale"]:
        st.warning(f"The report was ingested again after check run {status['run_id']}: run the checks again to see "
                   "its current state.", icon=":material/update:")
    return True


def _table_section(ctx: state.Context, processor: str, period: str, profile: Profile | None) -> str | None:
    """Show every check's latest result; return the check id the user selected."""
    register: Mapping[str, Clause] | None = profile.clauses if profile else None
    with ctx.cursor() as cur:
        table = check_table(cur, processor, period, register, profile.check_clauses if profile else None)
    for row in table:  # issue 12 §8: the rule with the processor's values, never a parameter's name
        row["description"] = rule_text(str(row["description"]), profile)
    event = st.dataframe(
        results_frame(table), hide_index=True, width="stretch", key=TABLE_KEY, on_select="rerun",
        selection_mode="single-row", height=ROW_PX * (len(table) + 1) + 3,  # every check without scrolling
        column_config={
            "tested": st.column_config.NumberColumn(help="Cases (or reports) the check applies to"),
            "offending": st.column_config.NumberColumn(help="Cases (or reports) that break the rule"),
            "rule": st.column_config.TextColumn(help="The rule in one sentence", width="large"),
            "clause": st.column_config.TextColumn(help="The contract clause its exceptions are logged against"),
        })
    selected = event.selection.rows if event else []
    return str(table[selected[0]]["check_id"]) if selected else None


def _exceptions_section(ctx: state.Context, check_id: str, processor: str, period: str,
                        profile: Profile | None) -> None:
    check = BY_ID[check_id]
    st.subheader(f"{check.title} ({check_id})")
    st.caption(f"{rule_text(check.description, profile)} Basis: {check.basis}.")
    with ctx.cursor() as cur:
        found = check_exceptions(cur, check_id, processor, period)
    if not found:
        st.success("No case offends this check in the latest run.", icon=":material/check_circle:")
        return
    if len(found) >= EXCEPTION_LIMIT:  # the query stops there: a page never ships every exception of a month
        st.caption(f"Showing the first {EXCEPTION_LIMIT:,} exceptions by case id; the table above counts them all.")
    frame, links, order = linked(exceptions_frame(check_id, found), "case id", processor)
    st.dataframe(frame, hide_index=True, width="stretch", key="check_exceptions", column_config=links,
                 column_order=order)


def _chart_section(ctx: state.Context, processor: str) -> None:
    st.subheader("Non-conformities per check over the months")
    with ctx.cursor() as cur:
        counts = pd.DataFrame(non_conformities_by_month(cur, processor),
                              columns=["period", "check_id", "non_conformities"])
    if counts.empty:
        st.info("No non-conformities in the latest runs of this processor's reports.", icon=":material/verified:")
        return
    counts["check"] = counts["check_id"].map(lambda i: BY_ID[i].title)
    chart = alt.Chart(counts).mark_bar().encode(
        x=alt.X("period:O", title="Report period"),
        y=alt.Y("sum(non_conformities):Q", title="Non-conformities"),
        color=alt.Color("check_id:N", title="Check"),
        tooltip=["period", "check_id", "check", "non_conformities"],
    )
    st.altair_chart(chart, width="stretch")


def _due_section(ctx: state.Context, processor: str, period: str, profile: Profile | None) -> None:
    st.subheader("Open cases overdue or due soon")
    window = profile.parameters.due_soon_days if profile else 7
    within = st.number_input("Due within (days)", min_value=0, max_value=window, value=window, step=1,
                             key="checks_due_within",
                             help=f"The latest run flags open cases due within {window} days of its as-of date "
                                  "(the contract's due_soon_days); narrow the list here.")
    with ctx.cursor() as cur:
        due = open_cases_due(cur, processor, period, within_days=int(within))
    if not due:
        st.info(f"No open case of the {period} report is overdue or due within {within} days, as far as the latest "
                "run saw.", icon=":material/event_available:")
        return
    st.caption(f"{len(due)} open case(s) as the {period} report left them; days left count from the run's as-of date.")
    frame, links, order = linked(pd.DataFrame([{
        "status": d["status"], "case id": d["case_id"], "request type": d["request_type"],
        "received on": d["received_on"], "due on": d["due_on"], "days left": d["days_left"], "channel": d["channel"],
        "agent": d["agent_id"],
    } for d in due]), "case id", processor)
    st.dataframe(frame, hide_index=True, width="stretch", key="checks_due", column_config=links, column_order=order)


def _runs_section(ctx: state.Context, processor: str) -> None:
    with ctx.cursor() as cur:
        runs = list_runs(cur, processor, limit=20)
    if not runs:
        return
    with st.expander(f"Check runs that included {literal(processor)} ({len(runs)} newest)"):
        st.dataframe(pd.DataFrame([{
            "run": r["run_id"], "finished": r["finished_at"], "by": r["user_name"],
            "scope": f"{r['processor'] or 'all processors'}, {r['period'] or 'all periods'}",
            "as of": r["as_of"], "exceptions": r["exceptions"], "errors": r["errors"],
            "profile": (r["profiles"].get(processor) or {}).get("profile"),
        } for r in runs]), hide_index=True, width="stretch", key="checks_runs",
            column_config={"finished": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})


def render() -> None:
    """Draw the page."""
    st.title("Checks")
    st.caption("Every rule of the catalog recomputed from the processor's own dates: deadlines (GDPR Art. 12, "
               "Reg. 1182/71), identity, contract service levels and report quality, each logged against a clause.")
    ctx = state.context()
    names, chosen, chosen_period = filters.sidebar(ctx)
    if not names:
        st.info("No report yet — upload one on the Reports page, then run the checks here.", icon=":material/inbox:")
        st.stop()
    processor = chosen or (names[0] if len(names) == 1 else None)
    period = chosen_period
    if processor and not period:
        with ctx.cursor() as cur:
            period = latest_period(cur, processor)
        if period:
            st.caption(f"No period chosen: showing {literal(processor)}'s latest report, {period}. Pick another in the "
                       "sidebar.")
    _run_section(ctx, processor, period)
    if not processor:
        st.info("Pick a processor in the sidebar to see its checks.", icon=":material/filter_alt:")
        st.stop()
    if not period:
        st.info(f"No report for {literal(processor)} yet — upload it on the Reports page.", icon=":material/inbox:")
        st.stop()
    profile = _profile(ctx, processor)
    st.subheader(f"Every check: {literal(processor)}, {period}")
    if _run_state(ctx, processor, period):
        selected = _table_section(ctx, processor, period, profile)
        if selected:
            _exceptions_section(ctx, selected, processor, period, profile)
        _due_section(ctx, processor, period, profile)
    _chart_section(ctx, processor)
    _runs_section(ctx, processor)


if __name__ == "__main__":
    render()

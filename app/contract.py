"""The Contract page: a processor's contract profile (holiday calendar, service levels, clause register), which checks
and rubric items evidence each clause and what they showed this month; linking a processor to a profile, and the
profile file itself, validated and saved by a compliance officer."""

from __future__ import annotations

from datetime import date, timedelta

import altair as alt
import holidays
import pandas as pd
import streamlit as st

from app import filters, state
from app.text import literal
from checks.calendar import WorkingCalendar
from checks.contract import (
    DEFAULT_PROFILE,
    CalendarSpec,
    Profile,
    link_processor,
    list_profiles,
    profile_for_processor,
    profile_overview,
)
from checks.coverage import ClauseCoverage, Coverage, Kind, Status, clause_coverage, result_text
from checks.profile_files import PERMISSION as EDIT
from checks.profile_files import read_profile_file, save_profile, validate_profile_text
from checks.queries import latest_period
from checks.wording import fill
from vocab.parameters import BY_NAME as PARAMETER_BY_NAME

PAGE = "contract"  # its key for state.done / state.said
LINK = "link a processor to a contract profile"
SHORT_SHA = 12
UPCOMING = 10
STATUS_COLOURS = {Status.NOT_EVIDENCED: "#bdbdbd", Status.NOT_TESTED: "#f2c14e", Status.PASSED: "#5aae61",
                  Status.EXCEPTIONS: "#d6604d"}


def upcoming_holidays(spec: CalendarSpec, start: date, count: int = UPCOMING) -> pd.DataFrame:
    """The next `count` non-working holidays of the calendar from `start` (inclusive), with their names."""
    calendar = WorkingCalendar.from_spec(spec)
    found: list[date] = []
    day, horizon = start, start + timedelta(days=3 * 366)
    while len(found) < count and day <= horizon:
        if calendar.is_holiday(day):
            found.append(day)
        day += timedelta(days=1)
    # docs/deadlines.md: the public category only, as checks.calendar counts it.
    names = holidays.country_holidays(spec.country, subdiv=spec.subdivision, years=sorted({d.year for d in found}),
                                      categories=(holidays.PUBLIC,))
    agreed = set(spec.extra_dates)
    return pd.DataFrame([{
        "date": d, "weekday": f"{d:%A}",
        "holiday": names.get(d) or "agreed non-working day",
        "source": ("public holiday, also agreed" if d in names else "contract (extra date)") if d in agreed
        else "public holiday",
    } for d in found], columns=["date", "weekday", "holiday", "source"])


def parameters_frame(profile: Profile) -> pd.DataFrame:
    """The service-level parameters, one row each, with what each means."""
    values = profile.as_dict()["parameters"]
    return pd.DataFrame([{
        "parameter": name, "value": ", ".join(value) if isinstance(value, list) else str(value),
        "meaning": PARAMETER_BY_NAME[name].meaning,
    } for name, value in values.items()])


def register_frame(coverage: Coverage, only_evidenced: bool, parameters: object = None) -> pd.DataFrame:
    """The clause register with, per clause, what evidences it and what that showed this month; a clause's summary
    reads with the profile's `parameters` filled in (issue 12 §8)."""
    def ids(c: ClauseCoverage, kind: Kind, tested: bool = False) -> str:
        return ", ".join(e.id for e in (c.tested_by if tested else c.evidence) if e.kind is kind)

    return pd.DataFrame([{
        "clause": c.clause.ref, "title": c.clause.title, "part": c.clause.part,
        "implements": ", ".join(c.clause.implements),
        "summary": fill(c.clause.summary, parameters) if parameters is not None else c.clause.summary,
        "checks": ids(c, Kind.CHECK), "rubric items": ids(c, Kind.RUBRIC),
        "tested by": ", ".join(e.id for e in c.tested_by), "status": c.status.value, "result": result_text(c),
        "open findings": ", ".join(c.open_findings),
    } for c in coverage.clauses if c.evidence or not only_evidenced],
        columns=["clause", "title", "status", "result", "open findings", "checks", "rubric items", "tested by", "part",
                 "implements", "summary"])


def evidence_frame(c: ClauseCoverage) -> pd.DataFrame:
    """One clause's checks and rubric items with their basis and what each found this month."""
    return pd.DataFrame([{
        "kind": e.kind.value, "id": e.id, "what it tests": e.title, "basis": e.basis, "severity": e.severity,
        "tested": e.tested, "offending / 'no'": e.offending,
        # Logged against the service-level item that implements this clause (issue 13, item 14)
        "via": e.via or "",
        "note": "; ".join(x for x in (
            f"failed to run: {e.error}" if e.error else "",
            f"the run logged it against {e.logged_against}" if e.logged_against else "",
            "for information only" if e.offending and not e.is_shortfall else "") if x),
    } for e in c.evidence])


def _profile_section(profile: Profile) -> None:
    st.subheader(profile.title)
    st.caption(f"Profile **{profile.name}** · sha256 `{profile.sha256[:SHORT_SHA]}` · file {profile.path}")
    if profile.description:
        st.markdown(profile.description)


def _calendar_section(profile: Profile, controller_country: str | None) -> None:
    st.subheader("Holiday calendar")
    statutory, why = profile.statutory_spec(controller_country)
    st.caption(f"Statutory deadlines (Art. 12: the month, the extension, the identity pause) count the holidays of "
               f"**{statutory.label()}** ({why}): Reg. 1182/71 counts those of the State where the action is taken, "
               "the controller's. The service levels' working days count the contract calendar below.")
    spec = profile.calendar
    left, middle, right = st.columns(3)
    left.metric("Country", spec.country)
    middle.metric("Subdivision", spec.subdivision or "none")
    right.metric("Extra dates", len(spec.extra_dates),
                 help="Days the parties agreed to treat as non-working on top of the public holidays.")
    if spec.extra_dates:
        st.caption("Extra dates: " + ", ".join(d.isoformat() for d in spec.extra_dates))
    st.caption(f"Working days are Monday to Friday except these holidays (Reg. 1182/71 Art. 2(1)). The next "
               f"{UPCOMING} from today:")
    st.dataframe(upcoming_holidays(spec, date.today()), hide_index=True, width="stretch", key="contract_holidays")


def _parameters_section(profile: Profile) -> None:
    st.subheader("Service levels")
    st.dataframe(parameters_frame(profile), hide_index=True, width="stretch", key="contract_parameters",
                 column_config={"meaning": st.column_config.TextColumn(width="large")})


def _coverage_chart(coverage: Coverage) -> None:
    counts = pd.DataFrame(coverage.counts(), columns=["part", "status", "clauses"])
    order = [s.value for s in Status]
    chart = alt.Chart(counts).mark_bar().encode(
        x=alt.X("clauses:Q", title="Clauses"),
        y=alt.Y("part:N", title=None, sort=list(dict.fromkeys(counts["part"]))),
        color=alt.Color("status:N", title="This month", sort=order,
                        scale=alt.Scale(domain=order, range=[STATUS_COLOURS[s] for s in Status])),
        order=alt.Order("rank:Q"),
        tooltip=["part", "status", "clauses"],
    ).transform_calculate(rank=f"indexof({order!r}, datum.status)")
    st.altair_chart(chart, width="stretch")


def _coverage_section(ctx: state.Context, processor: str, period: str | None, profile: Profile) -> None:
    st.subheader(f"Clause register and coverage, {period}" if period else "Clause register")
    with ctx.cursor() as cur:
        coverage = clause_coverage(cur, processor, period, profile)
    if period is None:
        st.info(f"No report for {literal(processor)} yet — upload it on the Reports page; until then nothing is "
                "tested.",
                icon=":material/inbox:")
    elif not any(e.run_id for c in coverage.clauses for e in c.evidence):
        st.info(f"No check run for {literal(processor)}, {period} yet — run the checks on the Checks page. Until "
                "then only spot-check reviews count as tests.", icon=":material/rule:")
    if coverage.other_profile_runs:
        versions = ", ".join(f"{name} `{sha[:SHORT_SHA]}`" for name, sha in coverage.other_profile_runs)
        st.warning(f"The latest checks of {period} ran under another version of the contract profile ({versions}); "
                   f"the register below is the current one (`{profile.sha256[:SHORT_SHA]}`). Run the checks again "
                   "on the Checks page to test the month against it.", icon=":material/update:")
    clauses = coverage.clauses
    cols = st.columns(5)
    cols[0].metric("Clauses", len(clauses))
    cols[1].metric("Evidenced", sum(c.status is not Status.NOT_EVIDENCED for c in clauses),
                   help="Clauses a check or a spot-check rubric item is logged against.")
    cols[2].metric("Tested this month", sum(bool(c.tested_by) for c in clauses),
                   help="A check tested at least one case or report, or a rubric item was answered yes or no.")
    cols[3].metric("With exceptions", sum(c.status is Status.EXCEPTIONS for c in clauses))
    cols[4].metric("Open findings", sum(len(c.open_findings) for c in clauses))
    _coverage_chart(coverage)
    only = st.toggle("Only clauses evidenced by a check or rubric item", key="contract_only_evidenced")
    st.dataframe(register_frame(coverage, only, profile.parameters), hide_index=True, width="stretch",
                 key="contract_register",
                 column_config={"status": st.column_config.TextColumn(help="What this month's evidence says"),
                                "result": st.column_config.TextColumn(width="medium"),
                                "tested by": st.column_config.TextColumn(
                                    help="Checks that tested a case or report in the latest run, and rubric items "
                                         "answered yes or no on a sample of this month"),
                                "summary": st.column_config.TextColumn(width="large")})
    if coverage.stray_findings:
        listed = "; ".join(f"{ref}: {', '.join(ids)}" for ref, ids in coverage.stray_findings.items())
        st.warning(f"Open findings of this month cite clauses that are not in the current register ({listed}). "
                   "They were raised under another version of the profile: see them on the Findings page.",
                   icon=":material/flag:")
    evidenced = [c for c in clauses if c.evidence]
    if evidenced:
        labels = {c.clause.ref: f"{c.clause.ref} — {c.clause.title} ({c.status.value})" for c in evidenced}
        worst = next((c.clause.ref for c in evidenced if c.status is Status.EXCEPTIONS), evidenced[0].clause.ref)
        ref = st.selectbox("What evidences a clause", list(labels), index=list(labels).index(worst),
                           format_func=labels.__getitem__, key="contract_clause",
                           help="The checks and rubric items logged against the clause, with their legal basis.")
        chosen = coverage.by_ref(ref)
        st.caption(fill(chosen.clause.summary, profile.parameters))
        st.dataframe(evidence_frame(chosen), hide_index=True, width="stretch", key="contract_evidence",
                     column_config={"what it tests": st.column_config.TextColumn(width="large")})


def _link_section(ctx: state.Context, processor: str, linked: str) -> None:
    if not state.allowed(ctx, LINK):
        st.caption(f"{literal(processor)} is held to profile **{literal(linked)}**. A compliance officer links "
                   "processors to profiles.")
        return
    names = list_profiles()
    with st.form("contract_link"):
        chosen = st.selectbox(f"Contract profile of {literal(processor)}", names,
                              index=names.index(linked) if linked in names else None,
                              help="Its next check runs use this profile; the link is audited.")
        if st.form_submit_button("Link", icon=":material/link:") and chosen:
            with state.user_errors(), ctx.cursor() as cur:
                link_processor(cur, ctx.user, processor, chosen)
                state.done(PAGE, f"{processor} is now linked to profile {chosen}. Run the checks again to test it "
                                 "against it.")


def _file_section(ctx: state.Context, linked: str) -> None:
    with st.expander("Profile file"):
        names = list_profiles()
        if not names:
            st.info("There are no profile files in the contracts directory: add one (see contracts/README.md).")
            return
        name = st.selectbox("File", names, index=names.index(linked) if linked in names else 0, key="contract_file",
                            format_func=lambda n: f"{n}.toml")
        with state.user_errors():
            file = read_profile_file(name)
            if file.text is None:
                st.info(f"{file.path} does not exist any more; pick another file.")
                return
            st.caption(f"{file.path} · file sha256 `{(file.sha256 or '')[:SHORT_SHA]}`. Reviewed like code: see "
                       "contracts/README.md for the keys.")
            if not state.allowed(ctx, EDIT):
                st.code(file.text, language="toml")
                st.caption("A compliance officer edits contract profiles here.")
                return
            text = st.text_area("Profile text (TOML)", value=file.text, height=480,
                                key=f"contract_text:{name}:{file.sha256}")
            validate, save = st.columns(2)
            if validate.button("Validate", icon=":material/fact_check:", key="contract_validate"):
                with state.user_errors():
                    checked = validate_profile_text(name, text)
                    st.success(f"Valid: {checked.title}. Its sha256 would be `{checked.sha256}`.",
                               icon=":material/check_circle:")
            if save.button("Save", type="primary", icon=":material/save:", key="contract_save"):
                with state.user_errors(), ctx.cursor() as cur:
                    saved = save_profile(cur, ctx.user, name, text, expected_sha256=file.sha256)
                    if not saved.changed:
                        st.info("The text is the same as the file: nothing was saved.")
                        return
                    also = f" Profiles extending it changed too: {', '.join(saved.dependents)}." \
                        if saved.dependents else ""
                    state.done(PAGE, f"Saved {name}.toml; sha256 `{saved.profile.sha256[:SHORT_SHA]}`, was "
                          f"`{(saved.sha256_before or 'invalid')[:SHORT_SHA]}`.{also}")


def _overview(ctx: state.Context) -> None:
    st.subheader("Contract profiles")
    with ctx.cursor() as cur:
        overview = profile_overview(cur)
    st.dataframe(pd.DataFrame([{**r, "processors": ", ".join(r["processors"])} for r in overview],
                              columns=["name", "title", "calendar", "processors", "status"]),
                 hide_index=True, width="stretch", key="contract_overview")


def render() -> None:
    """Draw the page."""
    st.title("Contract")
    st.caption("What each processor is held to: the holiday calendar that counts working days, the service levels, "
               "the clause register (EU SCC 2021/915 and annexes), and which checks and spot-check items evidence "
               "each clause.")
    ctx = state.context()
    state.said(PAGE)
    names, chosen, period = filters.sidebar(ctx)
    processor = chosen or (names[0] if len(names) == 1 else None)
    if not processor:
        st.info("No report yet — upload one on the Reports page; a processor is held to the default profile until "
                "it is linked to another." if not names else
                "Pick a processor in the sidebar to see its contract and this month's coverage.",
                icon=":material/filter_alt:")
        _overview(ctx)
        st.stop()
    if not period:
        with ctx.cursor() as cur:
            period = latest_period(cur, processor)
        if period:
            st.caption(f"No period chosen: showing {literal(processor)}'s latest report, {period}. Pick another in the "
                       "sidebar.")
    profile = None
    with state.user_errors(f"The contract profile of {literal(processor)} cannot be used: "), ctx.cursor() as cur:
        profile = profile_for_processor(cur, processor)
    if profile is None:  # still offer the link form and the file, to mend it
        with ctx.cursor() as cur:
            overview = profile_overview(cur)
        linked = next((str(e["name"]) for e in overview if processor in e["processors"]), DEFAULT_PROFILE)
    else:
        linked = profile.name
        _profile_section(profile)
        _calendar_section(profile, ctx.config.controller_country)
        _parameters_section(profile)
        _coverage_section(ctx, processor, period, profile)
    st.subheader("Link and edit")
    _link_section(ctx, processor, linked)
    _file_section(ctx, linked)


if __name__ == "__main__":
    render()

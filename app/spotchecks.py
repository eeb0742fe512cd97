"""The Spot checks page: plan a size live, draw with a visible seed, review each case, evaluate per rubric item."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable

import altair as alt
import pandas as pd
import streamlit as st

from app import filters, state
from ingest.queries import periods, processors
from ingest.vocabulary import VOCABULARIES
from spotchecks.draw import STRATA_COLUMNS, Allocation, KeyItems, Method
from spotchecks.evaluate import RELY, Evaluation, evaluate_sample, record_evaluation
from spotchecks.plan import Model, Plan, plan_sample
from spotchecks.population import Filters
from spotchecks.queries import (
    answers,
    case_deadlines,
    case_facts,
    get_sample,
    list_samples,
    population_count,
    sample_items,
)
from spotchecks.review import RUBRIC, record_reviews, rubric_clauses
from spotchecks.samples import draw_sample, enlarge_sample, replace_case
from spotchecks.verify import verify_sample

SAMPLE_KEY = "spot_sample"
ANSWER_LABELS = {"yes": "yes", "no": "no", "na": "not applicable"}
FACTS = ["case_id", "received_on", "request_type", "channel", "identity_verified", "id_requested_on", "id_received_on",
         "forwarded_on", "escalated_on", "escalated_to", "extension_notified_on", "extension_reason", "responded_on",
         "outcome", "refusal_reason", "complaint_right_notified", "suppressed_on", "agent_id", "language", "summary"]


def _months(ctx: state.Context, processor: str, period: str) -> list[str]:
    """The months the population spans (spotchecks.md §2 "period(s)"): the filter's period unless more are picked."""
    with ctx.cursor() as cur:
        options = sorted(set(periods(cur, processor)) | {period})
    return st.multiselect("Months of the population", options, default=[period], key=f"spot_months:{processor}:"
                          f"{period}", help="The union of these months' current reports, each case once (its "
                          "latest month's row). The sidebar's period is the default.")


def _plan_section(ctx: state.Context, processor: str | None, months: list[str]) -> Plan | None:
    """The plan form; n is recomputed on every change (the plan is a pure, fast function)."""
    st.subheader("Plan: how many cases")
    with ctx.cursor() as cur:
        known = population_count(cur, processor, months) if processor and months else None
    cols = st.columns(5)
    confidence = cols[0].selectbox("Confidence", [0.90, 0.95, 0.99], index=1, format_func="{:.0%}".format,
                                   key="spot_confidence")
    tolerable = cols[1].number_input("Tolerable deviation rate (%)", 0.5, 50.0, 5.0, 0.5, key="spot_tolerable")
    expected = cols[2].number_input("Expected deviation rate (%)", 0.0, 49.5, 0.0, 0.25, key="spot_expected")
    model = cols[3].radio("Model", list(Model), key="spot_model",
                          help="Binomial reproduces the AICPA tables; hypergeometric is exact for a finite N.")
    population = cols[4].number_input("Population N", 1, None, known or 1000, key=f"spot_population:{known}",
                                      help="The cases of the selected report." if known else
                                      "Pick a processor and period in the sidebar to use their report's N.")
    with state.user_errors():
        plan = plan_sample(confidence, f"{tolerable}%", f"{expected}%", model=model,
                           population=int(population) if model is Model.hypergeometric or known else None)
        st.metric("Sample size n", plan.n, help=f"{plan.expected_deviations} expected deviation(s); rely if at most "
                  f"{plan.max_deviations} of the n cases deviate.")
        for note in plan.notes:
            st.caption(note)
        return plan
    return None


def _draw_section(ctx: state.Context, processor: str, months: list[str], plan: Plan | None) -> None:
    if not state.allowed(ctx, "draw a sample"):
        st.caption("An auditor or a compliance officer draws samples; you can follow them below.")
        return
    if not months:
        st.info("Pick at least one month of the population above to draw a sample.", icon=":material/event:")
        return
    with st.expander(f"Draw a sample from {processor}, {', '.join(months)}", expanded=True):
        cols = st.columns(4)
        method = cols[0].selectbox("Method", list(Method), key="spot_method")
        by = cols[1].selectbox("Stratify by", STRATA_COLUMNS, key="spot_by", disabled=method is not Method.stratified)
        allocation = cols[2].selectbox("Allocation", list(Allocation), key="spot_allocation",
                                       disabled=method is not Method.stratified)
        per = cols[3].number_input("Cases per agent", 1, 100, 2, key="spot_per", disabled=method is not Method.quota)
        cols = st.columns(4)
        size = cols[0].number_input("Cases", 1, None, plan.n if plan else 59, key=f"spot_size:{plan and plan.n}",
                                    help="The planned n; change it to draw a fixed size.")
        key_items = cols[1].selectbox("Key items", [None, *KeyItems], key="spot_key_items",
                                      format_func=lambda k: "none" if k is None else str(k))
        types = cols[2].multiselect("Only request types", list(VOCABULARIES["request_type"]), key="spot_types")
        outcomes = cols[3].multiselect("Only outcomes", list(VOCABULARIES["outcome"]), key="spot_outcomes")
        seed = st.text_input("Seed (leave empty for a random one from the operating system)", key="spot_seed")
        if st.button("Draw sample", type="primary", key="spot_draw"):
            with state.user_errors(), ctx.cursor() as cur:
                objectives = ({"confidence": plan.confidence, "tolerable": plan.tolerable, "expected": plan.expected,
                               "model": plan.model} if plan else {})
                result = draw_sample(cur, ctx.user, processor=processor, period=months, size=int(size),
                                     method=method, by=by, allocation=allocation, per=int(per), key_items=key_items,
                                     seed=seed.strip() or None, filters=Filters(tuple(types), tuple(outcomes)),
                                     **objectives)
                st.session_state[SAMPLE_KEY] = result.sample_id
                st.query_params["sample"] = result.sample_id
                st.toast(f"Drew {result.sample_id} with seed {result.seed}", icon=":material/casino:")


def _pick_sample(ctx: state.Context, processor: str | None, period: str | None) -> str | None:
    with ctx.cursor() as cur:
        samples = list_samples(cur, processor, period)
    ids = [str(s["sample_id"]) for s in samples]
    if not ids:
        return None
    wanted = st.session_state.get(SAMPLE_KEY) or st.query_params.get("sample")
    if wanted not in ids:
        wanted = ids[0]
    labels = {str(s["sample_id"]): f"{s['sample_id']} — {s['processor']} {', '.join(s['periods'])}, "  # type: ignore[arg-type]
              f"{s['random_items']} cases, "
              f"{s['reviewed']} reviewed" for s in samples}
    chosen = st.selectbox("Sample", ids, index=ids.index(wanted), format_func=labels.get, key=f"spot_pick:{wanted}")
    st.session_state[SAMPLE_KEY] = chosen
    st.query_params["sample"] = chosen
    return chosen


def _sample_section(ctx: state.Context, sample_id: str) -> list[dict[str, object]]:
    with ctx.cursor() as cur:
        sample, items = get_sample(cur, sample_id), sample_items(cur, sample_id)
    st.markdown(f"#### Seed `{sample['seed']}`")
    st.caption(f"Drawn {sample['drawn_at']:%Y-%m-%d %H:%M} UTC by {sample['drawn_by']} from {sample['processor']} "
               f"{', '.join(sample['periods'])} (submission {', '.join(map(str, sample['submission_ids']))}): "  # type: ignore[arg-type, call-overload]
               f"population {sample['population_size']} "
               f"cases, fingerprint `{sample['fingerprint']}`, method {sample['method']}. Anyone can re-draw it "
               f"from the seed: `oversight sample verify {sample_id}`.")
    for note in sample["notes"] or []:  # type: ignore[union-attr]
        st.caption(note)
    active = [i for i in items if i["status"] == "active"]
    done = sum(int(i["answered"]) >= len(RUBRIC) for i in active)  # type: ignore[call-overload]
    replaced = len(items) - len(active)
    st.progress(done / len(active) if active else 0.0, text=f"{done} of {len(active)} cases reviewed"
                + (f" · {replaced} replaced" if replaced else ""))
    st.dataframe(pd.DataFrame([{
        "#": i["position"], "case": i["case_id"], "part": i["part"], "stratum": i["stratum"], "status": i["status"],
        "answered": f"{i['answered']}/{len(RUBRIC)}", "no": i["deviations"], "replaces": i["replaces"],
        "replaced because": i["replaced_because"]} for i in items]), hide_index=True, width="stretch",
        key="spot_items")
    if st.button("Verify: recompute from the seed", key="spot_verify"):
        with state.user_errors(), ctx.cursor() as cur:
            check = verify_sample(cur, sample_id)
            if check.matches:
                st.success("The sample matches: same cases, same ranks, same population.", icon=":material/verified:")
            else:
                st.error("The sample does not match:\n\n" + "\n".join(f"- {p}" for p in check.problems))
    if state.allowed(ctx, "replace a sampled case"):
        _change_section(ctx, sample_id, sample, active)
    return active


def _change_section(ctx: state.Context, sample_id: str, sample: dict[str, object],
                    active: list[dict[str, object]]) -> None:
    with st.expander("Replace a case, or enlarge the sample"):
        left, right = st.columns(2)
        randoms = [str(i["case_id"]) for i in active if i["part"] == "random"]
        case = left.selectbox("Case to replace", randoms, key="spot_replace_case")
        reason = left.text_input("Reason (required)", key="spot_replace_reason",
                                 placeholder="e.g. case file unavailable")
        if left.button("Replace by the next case in rank order", key="spot_replace") and case:
            with state.user_errors(), ctx.cursor() as cur:
                done = replace_case(cur, ctx.user, sample_id, case, reason)
                st.toast(f"{done.case_id} replaced by {done.replacement}", icon=":material/swap_horiz:")
                st.rerun()
        if sample["method"] != Method.quota:
            size = right.number_input("New number of random cases", int(sample["requested_n"] or 0) + 1, None,  # type: ignore[call-overload]
                                      key=f"spot_enlarge:{sample_id}")
            if right.button("Enlarge (same seed, cases kept)", key="spot_enlarge"):
                with state.user_errors(), ctx.cursor() as cur:
                    enlarge_sample(cur, ctx.user, sample_id, int(size))
                    st.rerun()


def _review_section(ctx: state.Context, sample_id: str, processor: str, active: list[dict[str, object]]) -> None:
    st.subheader("Review a case")
    if not active:
        st.info("This sample has no cases to review.")
        return
    order = sorted(active, key=lambda i: (int(i["answered"]) >= len(RUBRIC), i["part"] != "random",  # type: ignore[call-overload]
                                          i["position"]))
    ids = [str(i["case_id"]) for i in order]
    case_id = st.selectbox("Case", ids, key=f"spot_case:{sample_id}", help="Cases still to review come first.")
    with ctx.cursor() as cur:
        facts = case_facts(cur, sample_id, case_id) or {}
        current = {str(a["item_id"]): a for a in answers(cur, sample_id, case_id)}
        clauses = rubric_clauses(cur, processor)
    left, right = st.columns([2, 3])
    with left:
        st.markdown(f"**{case_id}**")
        shown = {k: facts.get(k) for k in FACTS if facts.get(k) not in (None, "")}
        if facts.get("received_on"):
            with state.user_errors("Deadlines not shown: "), ctx.cursor() as cur:
                shown.update(case_deadlines(cur, processor, facts))
        st.dataframe(pd.DataFrame({"fact": list(shown), "value": [str(v) for v in shown.values()]}),
                     hide_index=True, width="stretch", key="spot_facts")
        for e in facts.get("exceptions") or []:  # type: ignore[union-attr]
            st.warning(f"{e['severity']}: {e['check_id']} ({e['clause']})", icon=":material/rule:")
        if not facts.get("exceptions"):
            st.caption("No exception on this case in the latest check run.")
    with right, st.form(f"spot_review:{sample_id}:{case_id}"):
        given: dict[str, tuple[object, str | None]] = {}
        for item in RUBRIC:
            before = current.get(item.id)
            options = list(ANSWER_LABELS)
            answer = st.radio(f"{item.question} ({clauses.get(item.id, item.clause)})", options, horizontal=True,
                              index=options.index(str(before["answer"])) if before else None,
                              format_func=ANSWER_LABELS.get, key=f"spot_answer:{item.id}")
            comment = st.text_input("Comment (required for no)", value=str(before["comment"] or "") if before else "",
                                    key=f"spot_comment:{item.id}", label_visibility="collapsed",
                                    placeholder="Comment (required for no)")
            if answer and (not before or answer != before["answer"] or comment != (before["comment"] or "")):
                given[item.id] = (answer, comment)
        if st.form_submit_button("Save review", type="primary", disabled=not state.allowed(ctx, "record a review")):
            if not given:
                st.info("Nothing changed.")
            else:
                with state.user_errors(), ctx.cursor() as cur:
                    record_reviews(cur, ctx.user, sample_id, case_id, given)
                    st.toast(f"Saved {len(given)} answer(s) for {case_id}", icon=":material/done:")
                    st.rerun()


def _finding_raiser() -> Callable[..., object] | None:
    """findings.service.raise_from_reviews when the findings module offers it (it is built alongside)."""
    for module in ("findings.service", "findings.raising"):
        if importlib.util.find_spec(module) is not None:
            found = getattr(importlib.import_module(module), "raise_from_reviews", None)
            if found:
                return found  # type: ignore[no-any-return]
    return None


def evaluation_chart(ev: Evaluation) -> alt.LayerChart:
    """Upper limit per rubric item against the tolerable rate (8 rows: aggregated before charting)."""
    frame = pd.DataFrame([{"item": r.item_id, "upper limit": r.upper_limit, "conclusion": r.conclusion}
                          for r in ev.items if r.upper_limit is not None])
    bars = alt.Chart(frame).mark_bar().encode(
        y=alt.Y("item:N", sort=None, title="Rubric item"),
        x=alt.X("upper limit:Q", axis=alt.Axis(format="%"), title=f"Upper limit at {ev.confidence:.0%} confidence"),
        color=alt.Color("conclusion:N", scale=alt.Scale(domain=[RELY, "do not rely"], range=["#2e7d32", "#c62828"])),
        tooltip=["item", alt.Tooltip("upper limit:Q", format=".2%"), "conclusion"])
    rule = alt.Chart(pd.DataFrame({"tolerable": [ev.tolerable]})).mark_rule(strokeDash=[4, 4]).encode(
        x="tolerable:Q", tooltip=[alt.Tooltip("tolerable:Q", format=".2%")])
    return bars + rule


def _evaluation_section(ctx: state.Context, sample_id: str) -> None:
    st.subheader("Evaluation")
    with ctx.cursor() as cur:
        ev = evaluate_sample(cur, sample_id)
    (st.success if ev.relied_on else st.warning)(ev.conclusion)
    for note in ev.notes:
        st.caption(note)
    st.dataframe(pd.DataFrame([{
        "item": r.item_id, "clause": r.clause, "n": r.n, "k": r.k, "not applicable": r.not_applicable,
        "rate": r.rate, "upper limit": r.upper_limit, "conclusion": r.conclusion} for r in ev.items]),
        hide_index=True, width="stretch", key="spot_evaluation", column_config={
            "rate": st.column_config.NumberColumn(format="percent"),
            "upper limit": st.column_config.NumberColumn(format="percent")})
    if any(r.upper_limit is not None for r in ev.items):
        st.altair_chart(evaluation_chart(ev), width="stretch")
    if ev.key_items_total:
        st.markdown(f"**Key items** (a census: {ev.key_items_reviewed} of {ev.key_items_total} reviewed; every "
                    "deviation counts in full)")
        st.dataframe(pd.DataFrame([{"item": c.item_id, "clause": c.clause, "n": c.n, "k": c.k,
                                    "cases answered no": ", ".join(c.deviations)} for c in ev.key_items]),
                     hide_index=True, width="stretch", key="spot_key_census")
    deviations = [(r.item_id, r.clause, c) for r in ev.items for c in r.deviations] + \
                 [(c.item_id, c.clause, case) for c in ev.key_items for case in c.deviations]
    if deviations:
        raiser = _finding_raiser()
        if raiser and state.allowed(ctx, "raise a finding from reviews"):
            if st.button(f"Raise findings from the {len(deviations)} \"no\" answer(s)", key="spot_raise"):
                with state.user_errors(), ctx.cursor() as cur:
                    raiser(cur, ctx.user, sample_id)
                    st.success("Findings raised: see the Findings page.", icon=":material/flag:")
        elif not raiser:
            st.caption("Each \"no\" becomes a finding against its clause: "
                       + "; ".join(f"{case} {item} → {clause}" for item, clause, case in deviations))
    if state.allowed(ctx, "evaluate a sample") and st.button("Sign off this evaluation", key="spot_sign_off"):
        with state.user_errors(), ctx.cursor() as cur:
            record_evaluation(cur, ctx.user, sample_id)
            st.success("Evaluation signed off and recorded in the audit trail.", icon=":material/approval:")


def render() -> None:
    """Draw the page."""
    st.title("Spot checks")
    st.caption("Attribute sampling (ISA 530): plan how many cases, draw them reproducibly from a seed, review each "
               "against the rubric, and see per item whether the processor's handling can be relied on.")
    ctx = state.context()
    with ctx.cursor() as cur:
        names = processors(cur)
    processor, period = filters.processor_period(ctx, names)
    if not names:
        st.info("No report yet — upload one on the Reports page, then draw a sample here.", icon=":material/inbox:")
        st.stop()
    months = _months(ctx, processor, period) if processor and period else []
    plan = _plan_section(ctx, processor, months)
    if processor and period:
        _draw_section(ctx, processor, months, plan)
    else:
        st.caption("Pick a processor and a period in the sidebar to draw a sample from their report.")
    st.subheader("Samples")
    sample_id = _pick_sample(ctx, processor, period)
    if not sample_id:
        st.info("No sample drawn for this processor and period yet — draw one above.", icon=":material/casino:")
        st.stop()
    with state.user_errors():
        with ctx.cursor() as cur:
            sample_processor = str(get_sample(cur, sample_id)["processor"])
        active = _sample_section(ctx, sample_id)
        _review_section(ctx, sample_id, sample_processor, active)
        _evaluation_section(ctx, sample_id)


if __name__ == "__main__":
    render()

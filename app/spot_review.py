"""The Spot checks page's Review and Evaluate tabs: one case's facts beside the rubric form, and the evaluation per
rubric item with the findings it raises (spotchecks.md §4-§5)."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app import state
from app.links import case_link
from app.review_form import Item, case_label, next_case, review_form, unsaved_cases
from findings.raising import raise_from_reviews
from spotchecks.evaluate import RELY, Evaluation, evaluate_sample, record_evaluation
from spotchecks.queries import answers, case_deadlines, case_facts
from spotchecks.review import RUBRIC, rubric_clauses

FACTS = ["case_id", "received_on", "request_type", "channel", "identity_verified", "id_requested_on", "id_received_on",
         "forwarded_on", "escalated_on", "escalated_to", "extension_notified_on", "extension_reason", "responded_on",
         "outcome", "refusal_reason", "complaint_right_notified", "suppressed_on", "agent_id", "language", "summary"]


def review_section(ctx: state.Context, sample_id: str, processor: str, active: list[dict[str, object]]) -> None:
    st.subheader("Review a case")
    if not active:
        st.info("This sample has no cases to review.")
        return
    order = sorted(active, key=lambda i: (int(i["answered"]) >= len(RUBRIC), i["part"] != "random",  # type: ignore[call-overload]
                                          i["position"]))
    ids = [str(i["case_id"]) for i in order]
    unsaved = unsaved_cases(sample_id)
    if unsaved:
        st.warning(f"Answers not saved yet on {', '.join(unsaved)}: open the case to save or discard them.",
                   icon=":material/edit_note:")
    labels = {str(i["case_id"]): case_label(str(i["case_id"]), int(i["answered"]),  # type: ignore[call-overload]
                                            int(i.get("applicable", len(RUBRIC))),  # type: ignore[call-overload]
                                            str(i["case_id"]) in unsaved) for i in order}
    case_key = f"spot_case:{sample_id}"
    case_id = st.selectbox("Case", ids, key=case_key, format_func=labels.get,
                           help="Cases still to review come first; ✔ reviewed, ◐ partly answered, ○ to review.")
    with ctx.cursor() as cur:
        facts = case_facts(cur, sample_id, case_id) or {}
        current = {str(a["item_id"]): a for a in answers(cur, sample_id, case_id)}
        clauses = rubric_clauses(cur, processor)
    left, right = st.columns([2, 3])
    with left:
        st.markdown(f"**{case_link(processor, case_id)}** (its page: every report's values, deadlines, findings)")
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
    done = {str(i["case_id"]) for i in order if labels[str(i["case_id"])].startswith("✔")}
    with right:
        # Issue 12 §3: one case, one form; every key names the sample and the case.
        review_form(ctx, sample_id, case_id, [Item(i.id, i.question, clauses.get(i.id, i.clause), i.basis)
                                              for i in RUBRIC],
                    current, then_open=next_case(ids, case_id, done | {case_id}), case_key=case_key)


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


def evaluation_section(ctx: state.Context, sample_id: str) -> None:
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
        if state.allowed(ctx, "raise a finding from reviews"):
            if st.button(f"Raise findings from the {len(deviations)} \"no\" answer(s)", key="spot_raise"):
                with state.user_errors(), st.spinner("Raising findings…"), ctx.cursor() as cur:
                    raise_from_reviews(cur, ctx.user, sample_id)
                    st.success("Findings raised: see the Findings page.", icon=":material/flag:")
        else:
            st.caption("Each \"no\" becomes a finding against its clause: "
                       + "; ".join(f"{case} {item} → {clause}" for item, clause, case in deviations))
    if state.allowed(ctx, "evaluate a sample") and st.button("Sign off this evaluation", key="spot_sign_off"):
        with state.user_errors(), ctx.cursor() as cur:
            record_evaluation(cur, ctx.user, sample_id)
            st.success("Evaluation signed off and recorded in the audit trail.", icon=":material/approval:")

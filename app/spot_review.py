"""The Spot checks page's Review and Evaluate tabs: one case's facts beside the rubric form, and the evaluation per
rubric item with the findings it raises (docs/sampling.md)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from app import spot_evidence, state
from app.links import case_link
from app.review_form import Item, case_label, next_case, review_form, unsaved_cases
from findings.raising import raise_from_reviews
from spotchecks import signoff
from spotchecks.agreement import agreement
from spotchecks.conclusions import INSUFFICIENT, NOT_RELIED_ON, RELIED_ON
from spotchecks.evaluate import Evaluation, evaluate_sample
from spotchecks.queries import answers, case_deadlines, case_facts
from spotchecks.review import CASE_FILE_NOT_SUPPLIED, RUBRIC, items_for, record_unable, rubric_clauses
from spotchecks.review_sheet import read_sheet, write_sheet
from spotchecks.signoff import sign_off
from spotchecks.topup import top_up

FACTS = ["case_id", "received_on", "request_type", "channel", "identity_verified", "id_requested_on", "id_received_on",
         "forwarded_on", "escalated_on", "escalated_to", "extension_notified_on", "extension_reason", "responded_on",
         "outcome", "refusal_reason", "complaint_right_notified", "suppressed_on", "agent_id", "language", "summary"]


def review_section(ctx: state.Context, sample_id: str, processor: str, active: list[dict[str, object]]) -> None:
    st.subheader("Review a case")
    if not active:
        st.info("This sample has no cases to review.")
        return
    _offline_section(ctx, sample_id)
    order = sorted(active, key=lambda i: (bool(i["complete"]), i["part"] != "random", i["position"]))
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
        asked = items_for(cur, sample_id, case_id)
    left, right = st.columns([2, 3])
    with left:
        st.markdown(f"**{case_link(processor, case_id)}** (its page: every report's values, deadlines, findings)")
        shown = {k: facts.get(k) for k in FACTS if facts.get(k) not in (None, "")}
        if facts.get("received_on"):
            with state.user_errors("Deadlines not shown: "), ctx.cursor() as cur:
                shown.update(case_deadlines(cur, processor, facts, ctx.config.controller_country))
        st.dataframe(pd.DataFrame({"fact": list(shown), "value": [str(v) for v in shown.values()]}),
                     hide_index=True, width="stretch", key="spot_facts")
        for e in facts.get("exceptions") or []:  # type: ignore[union-attr]
            st.warning(f"{e['severity']}: {e['check_id']} ({e['clause']})", icon=":material/rule:")
        if not facts.get("exceptions"):
            st.caption("No exception on this case in the latest check run.")
        spot_evidence.case_files(ctx, sample_id, case_id)  # the processor's files, to open beside the form
    done = {str(i["case_id"]) for i in order if labels[str(i["case_id"])].startswith("✔")}
    with right:
        # Only the items that apply to this case, from its facts (issue 14, item 1); the rest are not asked.
        skipped = [item.id for item in RUBRIC if item.id not in asked]
        if skipped:
            st.caption(f"Not asked (they do not apply to this case's facts): {', '.join(skipped)}.")
        if asked and state.allowed(ctx, "record a review") and st.button(
                "Case file not supplied", key=f"spot_unable:{sample_id}:{case_id}", icon=":material/folder_off:",
                help="Every item that applies is answered \"unable\": each counts as a deviation (ISA 530 ¶11), and "
                     "together they raise a finding against the contract's case-records clause (SL 6 in "
                     "the default profile, implementing SCC 7.6(c))."):
            with state.user_errors(), ctx.cursor() as cur:
                record_unable(cur, ctx.user, sample_id, case_id, CASE_FILE_NOT_SUPPLIED)
                st.rerun()
        # Issue 12 §3: one case, one form; every key names the sample and the case.
        review_form(ctx, sample_id, case_id,
                    [Item(i.id, i.question, clauses.get(i.id, i.clause), i.basis) for i in RUBRIC if i.id in asked],
                    current, then_open=next_case(ids, case_id, done | {case_id}), case_key=case_key)


SHEET = "spot_review_sheet"  # session key: (sample id, file name, bytes) of the sheet prepared for download


def _offline_section(ctx: state.Context, sample_id: str) -> None:
    """Review offline (issue 14, item 10): the sample's review sheet to download, and an answered one to upload;
    the same service functions as `oversight sample review-sheet` and `review-import`."""
    with st.expander("Review offline: download the review sheet (.xlsx), upload it answered"):
        prepared = st.session_state.get(SHEET)
        if prepared and prepared[0] == sample_id:
            st.download_button(f"Download {prepared[1]}", data=prepared[2], file_name=prepared[1],
                               icon=":material/download:", key="spot_sheet_download",
                               mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        elif st.button("Prepare the review sheet", key="spot_sheet_prepare", icon=":material/table:"):
            with state.user_errors(), tempfile.TemporaryDirectory() as folder, ctx.cursor() as cur:
                path = Path(folder) / f"review-{sample_id}.xlsx"
                write_sheet(cur, sample_id, path)
                st.session_state[SHEET] = (sample_id, path.name, path.read_bytes())
                st.rerun()
        if not state.allowed(ctx, "record a review"):
            return
        uploaded = st.file_uploader("Answered review sheet", type=["xlsx"], key=f"spot_sheet_upload:{sample_id}")
        if uploaded is not None and st.button("Import the answers", key="spot_sheet_import", type="primary"):
            with state.user_errors(), tempfile.TemporaryDirectory() as folder, ctx.cursor() as cur:
                path = Path(folder) / "answered.xlsx"
                path.write_bytes(uploaded.getvalue())
                done = read_sheet(cur, ctx.user, sample_id, path)
                st.session_state.pop(SHEET, None)
                st.success(f"Recorded {done.answers} changed answer(s) for {len(done.cases)} case(s).",
                           icon=":material/upload:")


def evaluation_chart(ev: Evaluation) -> alt.LayerChart:
    """Upper limit per rubric item against its tolerable rate (8 rows: aggregated before charting)."""
    frame = pd.DataFrame([{"item": r.item, "upper limit": r.upper_limit, "tolerable": r.tolerable,
                           "conclusion": r.conclusion} for r in ev.items if r.upper_limit is not None])
    bars = alt.Chart(frame).mark_bar().encode(
        y=alt.Y("item:N", sort=None, title="Rubric item"),
        x=alt.X("upper limit:Q", axis=alt.Axis(format="%"), title=f"Upper limit at {ev.confidence:.0%} confidence"),
        color=alt.Color("conclusion:N", scale=alt.Scale(domain=[RELIED_ON, NOT_RELIED_ON, INSUFFICIENT],
                                                        range=["#2e7d32", "#c62828", "#9e9e9e"])),
        tooltip=["item", alt.Tooltip("upper limit:Q", format=".2%"), alt.Tooltip("tolerable:Q", format=".2%"),
                 "conclusion"])
    ticks = alt.Chart(frame).mark_tick(color="black", thickness=2).encode(
        y=alt.Y("item:N", sort=None), x="tolerable:Q", tooltip=[alt.Tooltip("tolerable:Q", format=".2%")])
    return bars + ticks


def evaluation_section(ctx: state.Context, sample_id: str) -> None:
    st.subheader("Evaluation")
    with ctx.cursor() as cur:
        ev = evaluate_sample(cur, sample_id)
        signed = signoff.status(cur, sample_id)
    (st.success if ev.relied_on else st.warning)(f"**{ev.verdict}** — {ev.conclusion}")
    for note in ev.notes:
        st.caption(note)
    st.dataframe(pd.DataFrame([{
        "item": r.item, "clause": r.clause, "applicable": r.applicable, "reviewed": r.reviewed,
        "deviations": r.deviations, "upper limit": r.upper_limit, "tolerable": r.tolerable,
        "conclusion": r.conclusion, "more needed": r.more_needed, "why": r.text} for r in ev.items]),
        hide_index=True, width="stretch", key="spot_evaluation", column_config={
            "tolerable": st.column_config.NumberColumn(format="percent"),
            "upper limit": st.column_config.NumberColumn(format="percent")})
    if any(r.upper_limit is not None for r in ev.items):
        st.altair_chart(evaluation_chart(ev), width="stretch")
    if any(ev.deviations_by_cause.values()):
        st.markdown("**Deviations by cause** (ISA 530 ¶12)")
        st.dataframe(pd.DataFrame([{"cause": k, "deviations": v} for k, v in ev.deviations_by_cause.items() if v]),
                     hide_index=True, key="spot_causes")
    insufficient = [r for r in ev.items if r.conclusion == INSUFFICIENT and r.more_needed]
    if insufficient and state.allowed(ctx, "draw a sample"):
        left, right = st.columns([2, 1])
        choice = left.selectbox("Top up an item (next cases of its sub-population, same seed)",
                                [r.item for r in insufficient], key="spot_top_up_item",
                                format_func=lambda i: f"{i}: {ev.item(i).more_needed} more case(s)")
        if right.button("Draw the top-up", key="spot_top_up") and choice:
            with state.user_errors(), ctx.cursor() as cur:
                done = top_up(cur, ctx.user, sample_id, choice)
                st.toast(f"{len(done.case_ids)} case(s) added for {choice}", icon=":material/add:")
                st.rerun()
    deviations = [(r.item, r.clause, c) for r in ev.items for c in r.deviation_case_ids]
    if deviations:
        if state.allowed(ctx, "raise a finding from reviews"):
            if st.button(f"Raise findings from the {len(deviations)} deviation(s)", key="spot_raise"):
                with state.user_errors(), st.spinner("Raising findings…"), ctx.cursor() as cur:
                    raise_from_reviews(cur, ctx.user, sample_id)
                    st.success("Findings raised: see the Findings page.", icon=":material/flag:")
        else:
            st.caption("Each deviation becomes a finding against its clause: "
                       + "; ".join(f"{case} {item} → {clause}" for item, clause, case in deviations))
    with ctx.cursor() as cur:
        agreed = agreement(cur, sample_id)
    if agreed:
        st.markdown("**Second review** (another auditor's independent answers: agreement and Cohen's kappa)")
        st.dataframe(pd.DataFrame([{"item": a.item, "cases": a.cases, "agreement": a.agreement, "kappa": a.kappa,
                                    "note": a.note} for a in agreed]), hide_index=True, key="spot_agreement",
                     column_config={"agreement": st.column_config.NumberColumn(format="percent")})
    if signed:
        (st.warning if signed.superseded else st.caption)(
            f"Signed off {signed.signed_off_at:%Y-%m-%d %H:%M} UTC by {signed.signed_off_by} ({signed.verdict})"
            + (f"; superseded: {signed.superseded_by} it." if signed.superseded else "."))
    if state.allowed(ctx, "evaluate a sample") and st.button("Sign off this evaluation", key="spot_sign_off"):
        with state.user_errors(), ctx.cursor() as cur:
            sign_off(cur, ctx.user, sample_id, users=ctx.config.users)
            st.success("Evaluation signed off and recorded in the audit trail.", icon=":material/approval:")

"""The Spot checks page: plan a size live, draw with a visible seed, review each case, evaluate per rubric item.

One tab per step; the Review and Evaluate tabs are drawn by app/spot_review.py."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import filters, spot_evidence, spot_review, state
from app.links import linked
from app.text import literal
from ingest.queries import periods
from ingest.vocabulary import VOCABULARIES
from spotchecks.commitments import commit_seed
from spotchecks.draw import STRATA_COLUMNS, Allocation, KeyItems, Method
from spotchecks.plan import Model, Plan, plan_sample
from spotchecks.population import Filters
from spotchecks.queries import get_sample, list_samples, population_count, sample_items
from spotchecks.samples import NotInPopulation, draw_sample, enlarge_sample, replace_case
from spotchecks.seeds import check_seed
from spotchecks.verify import verify_sample

SAMPLE_KEY = "spot_sample"
TABS = ("Plan and draw", "Sample", "Review", "Evaluate")
STEP = "step"  # the tabs' key and their URL query parameter
NEXT_STEP = "spot_next_step"  # the tab an action opens on the next run
PAGE = "spotchecks"  # its key for state.done / state.said
KEY_ITEM_LABELS = {KeyItems.major: "major: every case with a critical or major exception",
                   KeyItems.refusals: "refusals: every refused, partly refused or identity-not-confirmed case"}
COMMITTED = "spot_committed"  # the seed just committed, shown in this session until the user says it is kept


def _months(ctx: state.Context, processor: str, period: str) -> list[str]:
    """The months the population spans (docs/sampling.md "period(s)"): the filter's period unless more are picked."""
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
    with st.expander(f"Draw a sample from {literal(processor)}, {', '.join(months)}", expanded=True):
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
                                      format_func=lambda k: "none" if k is None else KEY_ITEM_LABELS[k])
        types = cols[2].multiselect("Only request types", list(VOCABULARIES["request_type"]), key="spot_types")
        outcomes = cols[3].multiselect("Only outcomes", list(VOCABULARIES["outcome"]), key="spot_outcomes")
        seed = st.text_input("Seed (leave empty for a random one from the operating system)", key="spot_seed")
        reuse = st.text_input("Reason for reusing the seed (only when it was used for another population)",
                              key="spot_seed_reuse", help="A seed used for another month or other cases is refused "
                              "without a reason; the reason is stored with the sample and shown in the pack.")
        # Off by default: the size shown above is planned for the page's tolerable rate.
        per_item = st.toggle("Tolerable rate per rubric item from the contract profile", value=False,
                             key="spot_per_item_rates",
                             help="On: each item is evaluated against its rate in [tolerable_rates] and the size is "
                                  "planned for the most demanding item that applies. Off: the plan's tolerable rate "
                                  "above applies to every item.")
        if st.button("Draw sample", type="primary", key="spot_draw"):
            with state.user_errors(), st.spinner("Ranking the population by the seed…"), ctx.cursor() as cur:
                objectives = ({"confidence": plan.confidence, "tolerable": None if per_item else plan.tolerable,
                               "expected": plan.expected, "model": plan.model} if plan else {})
                # The planned n left as it is: with rates per item the draw plans it for the most demanding item.
                chosen = None if per_item and plan and int(size) == plan.n else int(size)
                result = draw_sample(cur, ctx.user, processor=processor, period=months, size=chosen,
                                     method=method, by=by, allocation=allocation, per=int(per), key_items=key_items,
                                     seed=seed.strip() or None, filters=Filters(tuple(types), tuple(outcomes)),
                                     seed_reuse_reason=reuse.strip() or None,
                                     **objectives)
                st.session_state[SAMPLE_KEY] = result.sample_id
                st.query_params["sample"] = result.sample_id
                # The tabs exist already in this run: their state is set at the start of the next one.
                st.session_state[NEXT_STEP] = TABS[1]
                state.done(PAGE, f"Drew {result.sample_id} with seed {result.seed}.")


def _commit_section(ctx: state.Context) -> None:
    """Commit to a seed before the report arrives (docs/sampling.md): only its SHA-256 is stored; the seed is shown
    once, here, and a later draw with it is marked as matching the commitment."""
    if not state.allowed(ctx, "commit a seed"):
        return
    done = st.session_state.get(COMMITTED)
    with st.expander("Commit to a seed before the report arrives", expanded=done is not None):
        if done is not None:
            st.warning("Keep this seed to yourself until the draw: it is not stored, only its SHA-256 is.",
                       icon=":material/key:")
            st.code(done.seed, language=None)
            st.caption(f"Commitment (SHA-256 of the seed) `{done.commitment}`, recorded "
                       f"{done.committed_at:%Y-%m-%d %H:%M} UTC by {done.committed_by}.")
            for note in done.notes:
                st.caption(note)
            if st.button("I have kept the seed", key="spot_commit_kept"):
                del st.session_state[COMMITTED]
                st.rerun()
            return
        st.caption("Commit now, draw later with the same seed: the sample then shows it was fixed before the report "
                   "came in, so nobody could have picked the cases. Leave the seed empty for a random one.")
        seed = st.text_input("Seed to commit (optional)", key="spot_commit_seed", type="password")
        if st.button("Commit", icon=":material/lock:", key="spot_commit"):
            with state.user_errors(), ctx.cursor() as cur:
                st.session_state[COMMITTED] = commit_seed(cur, ctx.user, seed.strip() or None)
                st.rerun()


def _pick_sample(ctx: state.Context, processor: str | None, period: str | None) -> str | None:
    """The sample the Sample, Review and Evaluate tabs work on: the one just drawn, the URL's, else the newest."""
    with ctx.cursor() as cur:
        samples = list_samples(cur, processor, period)
    ids = [str(s["sample_id"]) for s in samples]
    if not ids:
        st.query_params.pop("sample", None)
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


def _progress(items: list[dict[str, object]]) -> list[dict[str, object]]:
    """The review's progress over the active cases (shown above the tabs); returns the active cases."""
    active = [i for i in items if i["status"] == "active"]
    done = sum(bool(i["complete"]) for i in active)
    replaced = len(items) - len(active)
    st.progress(done / len(active) if active else 0.0, text=f"{done} of {len(active)} cases reviewed"
                + (f" · {replaced} replaced" if replaced else ""))
    return active


def _sample_section(ctx: state.Context, sample_id: str, sample: dict[str, object],
                    items: list[dict[str, object]], active: list[dict[str, object]]) -> None:
    st.markdown(f"#### Seed `{sample['seed']}`")
    st.caption(f"Drawn {sample['drawn_at']:%Y-%m-%d %H:%M} UTC by {literal(sample['drawn_by'])} from "
               f"{literal(sample['processor'])} "
               f"{', '.join(sample['periods'])} (submission {', '.join(map(str, sample['submission_ids']))}): "  # type: ignore[arg-type, call-overload]
               f"population {sample['population_size']} "
               f"cases, fingerprint `{sample['fingerprint']}`, method {sample['method']}. Anyone can re-draw it "
               f"from the seed: `oversight sample verify {sample_id}`.")
    with ctx.cursor() as cur:
        seed = check_seed(cur, sample_id)
    (st.warning if seed.marked else st.caption)(f"Seed: {seed.status.value}. {seed.describe()}")
    for note in sample["notes"] or []:  # type: ignore[attr-defined]
        st.caption(note)
    frame, links, order = linked(pd.DataFrame([{
        "#": i["position"], "case": i["case_id"], "part": i["part"], "stratum": i["stratum"], "status": i["status"],
        "answered": f"{i['answered']}/{i['applicable']}", "no": i["deviations"], "replaces": i["replaces"],
        "replaced because": i["replaced_because"]} for i in items]), "case", str(sample["processor"]))
    st.dataframe(frame, hide_index=True, width="stretch", key="spot_items", column_config=links,
                 column_order=order)
    if st.button("Verify: recompute from the seed", key="spot_verify"):
        with state.user_errors(), st.spinner("Recomputing every rank from the seed…"), ctx.cursor() as cur:
            check = verify_sample(cur, sample_id)
            if check.matches:
                st.success("The sample matches: same cases, same ranks, same population.", icon=":material/verified:")
            else:
                st.error("The sample does not match:\n\n" + "\n".join(f"- {p}" for p in check.problems))
    if state.allowed(ctx, "replace a sampled case"):
        _change_section(ctx, sample_id, sample, active)
    spot_evidence.request_section(ctx, sample_id)  # issue 15 item 3: ask the processor for the case files


def _change_section(ctx: state.Context, sample_id: str, sample: dict[str, object],
                    active: list[dict[str, object]]) -> None:
    with st.expander("Replace a case, or enlarge the sample"):
        left, right = st.columns(2)
        randoms = [str(i["case_id"]) for i in active if i["part"] == "random"]
        case = left.selectbox("Case to replace", randoms, key="spot_replace_case")
        reason = left.selectbox("Not in the population because", list(NotInPopulation), key="spot_replace_reason",
                                format_func=lambda r: r.value,
                                help="Only a case that is not in the population is replaced (ISA 530 ¶10). A case "
                                     "that cannot be tested stays and is answered \"unable\" (a deviation) on the "
                                     "Review tab.")
        note = left.text_input("Note (optional)", key="spot_replace_note", placeholder="e.g. same as BC-261007-04")
        if left.button("Replace by the next case in rank order", key="spot_replace") and case:
            with state.user_errors(), ctx.cursor() as cur:
                done = replace_case(cur, ctx.user, sample_id, case, reason, note)
                st.toast(f"{done.case_id} replaced by {done.replacement}", icon=":material/swap_horiz:")
                st.rerun()
        if sample["method"] != Method.quota:
            size = right.number_input("New number of random cases", int(sample["requested_n"] or 0) + 1, None,  # type: ignore[call-overload]
                                      key=f"spot_enlarge:{sample_id}")
            if right.button("Enlarge (same seed, cases kept)", key="spot_enlarge"):
                with state.user_errors(), st.spinner("Enlarging…"), ctx.cursor() as cur:
                    enlarge_sample(cur, ctx.user, sample_id, int(size))
                    st.rerun()


def _step(has_sample: bool) -> tuple[bool, ...]:
    """The page's steps as tabs whose selection lives in the URL (?step=Review): only the open tab's content runs
    and is sent to the browser, so the page's first render stays small (issue 6: under 2 s with 1,000,000 cases).
    With a sample to work on, the page opens on Review, the monthly work; without one, on Plan and draw."""
    if step := st.session_state.pop(NEXT_STEP, None):
        st.session_state[STEP] = step
    tabs = st.tabs(TABS, key=STEP, bind="query-params", default=TABS[2] if has_sample else TABS[0])
    return tuple(bool(t.open) for t in tabs)


def render() -> None:
    """Draw the page."""
    st.title("Spot checks")
    st.caption("Attribute sampling (ISA 530): plan how many cases, draw them reproducibly from a seed, review each "
               "against the rubric, and see per item whether the processor's handling can be relied on.")
    state.said(PAGE)
    ctx = state.context()
    names, processor, period = filters.sidebar(ctx)
    if not names:
        st.info("No report yet — upload one on the Reports page, then draw a sample here.", icon=":material/inbox:")
        st.stop()
    sample_id = _pick_sample(ctx, processor, period)
    if not sample_id:
        st.info("No sample drawn for this processor and period yet — draw one on the Plan and draw tab.",
                icon=":material/casino:")
    plan_open, sample_open, review_open, evaluate_open = _step(sample_id is not None)
    if plan_open:
        months = _months(ctx, processor, period) if processor and period else []
        plan = _plan_section(ctx, processor, months)
        if processor and period:
            _draw_section(ctx, processor, months, plan)
        else:
            st.caption("Pick a processor and a period in the sidebar to draw a sample from their report.")
        _commit_section(ctx)
        return
    if not sample_id:
        return
    with state.user_errors():
        with ctx.cursor() as cur:
            sample, items = get_sample(cur, sample_id), sample_items(cur, sample_id)
        active = _progress(items)
        if sample_open:
            _sample_section(ctx, sample_id, sample, items, active)
        elif review_open:
            spot_review.review_section(ctx, sample_id, str(sample["processor"]), active)
        elif evaluate_open:
            spot_review.evaluation_section(ctx, sample_id)


if __name__ == "__main__":
    render()

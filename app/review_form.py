"""One case, one form (issue 12 §3): the rubric answers of one sampled case, keyed by sample, case and item.

Opening another case shows that case's saved answers or an empty form, never the previous case's: every widget key
names the case. Answers typed but not saved are kept for the session as a draft of their case (shown again when
the case is reopened, and named above the case list) instead of being dropped silently; "Save and next case" saves
and opens the next case still to review. Each saved answer says who gave it and when.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import streamlit as st

from app import state
from spotchecks.review import DEVIATION_CAUSES, record_reviews
from store.errors import OversightError

# "unable": the case could not be tested, a deviation (issue 14, item 4; ISA 530 ¶11).
ANSWER_LABELS = {"yes": "yes", "no": "no", "na": "not applicable", "unable": "unable to test"}
DRAFTS = "review_drafts"  # session key: {"sample|case": {item_id: (answer, comment)}}
FLASH = "review_flash"


@dataclass(frozen=True)
class Item:
    """A rubric item as the form asks it."""

    id: str
    question: str
    clause: str
    basis: str


def answer_key(sample_id: str, case_id: str, item_id: str) -> str:
    return f"spot_answer:{sample_id}:{case_id}:{item_id}"


def comment_key(sample_id: str, case_id: str, item_id: str) -> str:
    return f"spot_comment:{sample_id}:{case_id}:{item_id}"


def cause_key(sample_id: str, case_id: str, item_id: str) -> str:
    return f"spot_cause:{sample_id}:{case_id}:{item_id}"


def _draft_key(sample_id: str, case_id: str) -> str:
    return f"{sample_id}|{case_id}"


def drafts() -> dict[str, dict[str, tuple[str | None, str]]]:
    """The unsaved answers of this session, per sample and case."""
    return st.session_state.setdefault(DRAFTS, {})


def unsaved_cases(sample_id: str) -> list[str]:
    """The cases of a sample that hold answers typed but not saved in this session."""
    prefix = f"{sample_id}|"
    return sorted(k[len(prefix):] for k, v in drafts().items() if k.startswith(prefix) and v)


def case_label(case_id: str, answered: int, applicable: int, unsaved: bool) -> str:
    """The case as the case list shows it: a reviewed marker, how far its review is, unsaved answers."""
    if answered >= applicable > 0:
        mark = f"✔ {case_id} — reviewed"
    elif answered:
        mark = f"◐ {case_id} — {answered} of {applicable} answered"
    else:
        mark = f"○ {case_id} — to review"
    return mark + (" · unsaved answers" if unsaved else "")


def pending(saved: Mapping[str, Mapping[str, object]], typed: Mapping[str, tuple[str | None, str]]
            ) -> dict[str, tuple[str | None, str]]:
    """The typed answers that differ from the saved ones (an answer or a comment changed)."""
    out = {}
    for item_id, (answer, comment) in typed.items():
        before = saved.get(item_id)
        was = (str(before["answer"]), str(before["comment"] or "")) if before else (None, "")
        if (answer, comment or "") != was:
            out[item_id] = (answer, comment or "")
    return out


def next_case(order: Sequence[str], current: str, done: set[str]) -> str | None:
    """The next case after `current` in list order that is still to review (wrapping round), if any."""
    if current not in order:
        return None
    start = order.index(current)
    for case_id in [*order[start + 1:], *order[:start]]:
        if case_id not in done:
            return case_id
    return None


def _typed(sample_id: str, case_id: str, items: Sequence[Item]) -> dict[str, tuple[str | None, str]]:
    return {i.id: (st.session_state.get(answer_key(sample_id, case_id, i.id)),
                   str(st.session_state.get(comment_key(sample_id, case_id, i.id)) or "")) for i in items}


def _forget(sample_id: str, case_id: str, items: Sequence[Item]) -> None:
    drafts().pop(_draft_key(sample_id, case_id), None)
    for i in items:
        st.session_state.pop(answer_key(sample_id, case_id, i.id), None)
        st.session_state.pop(comment_key(sample_id, case_id, i.id), None)


def _save(ctx: state.Context, sample_id: str, case_id: str, items: Sequence[Item],
          saved: Mapping[str, Mapping[str, object]], then_open: str | None, case_key: str) -> None:
    """Button callback: save what was typed for this case (read now, not when the button was drawn)."""
    given = {k: v for k, v in pending(saved, _typed(sample_id, case_id, items)).items() if v[0]}
    # The cause of each "no" (issue 14, item 8; ISA 530 ¶12), chosen beside its comment.
    given = {k: (*v, st.session_state.get(cause_key(sample_id, case_id, k))) for k, v in given.items()}
    if not given:
        st.session_state[FLASH] = ("info", f"Nothing to save for {case_id}: no answer changed.")
        return
    try:
        with ctx.cursor() as cur:
            record_reviews(cur, ctx.user, sample_id, case_id, given)
    except OversightError as exc:
        st.session_state[FLASH] = ("error", str(exc))
        return
    _forget(sample_id, case_id, items)
    st.session_state[FLASH] = ("success", f"Saved {len(given)} answer(s) for {case_id}.")
    if then_open:
        st.session_state[case_key] = then_open


def _discard(sample_id: str, case_id: str, items: Sequence[Item]) -> None:
    _forget(sample_id, case_id, items)
    st.session_state[FLASH] = ("info", f"Unsaved answers of {case_id} discarded.")


def review_form(ctx: state.Context, sample_id: str, case_id: str, items: Sequence[Item],
                saved: Mapping[str, Mapping[str, object]], *, then_open: str | None, case_key: str) -> None:
    """Draw the rubric form of one case: its draft or saved answers, who saved them when, save / save and next."""
    if flash := st.session_state.pop(FLASH, None):
        getattr(st, flash[0])(flash[1])
    draft = drafts().get(_draft_key(sample_id, case_id), {})
    for item in items:
        akey, ckey = answer_key(sample_id, case_id, item.id), comment_key(sample_id, case_id, item.id)
        before = saved.get(item.id)
        if akey not in st.session_state:  # first drawn in this session (or since saved): the draft, else saved
            answer, comment = draft.get(item.id) or ((str(before["answer"]), str(before["comment"] or ""))
                                                     if before else (None, ""))
            st.session_state[akey], st.session_state[ckey] = answer, comment
        st.radio(f"{item.question} ({item.clause})", list(ANSWER_LABELS), horizontal=True,
                 format_func=ANSWER_LABELS.get, key=akey, help=item.basis)
        st.text_input("Comment", key=ckey, label_visibility="collapsed",
                      placeholder="Comment (required for no and unable; for not applicable, the reason)")
        if st.session_state.get(akey) == "no":
            causes = list(DEVIATION_CAUSES)
            was = str(before.get("cause") or "") if before else ""
            st.selectbox("Cause of the deviation", causes, index=causes.index(was) if was in causes else None,
                         format_func=DEVIATION_CAUSES.get, key=cause_key(sample_id, case_id, item.id),
                         placeholder="Cause of the deviation (ISA 530 ¶12)")
        if before:
            st.caption(f"Saved: {ANSWER_LABELS.get(str(before['answer']), before['answer'])} · by "
                       f"{before['reviewer']} · {before['reviewed_at']:%Y-%m-%d %H:%M} UTC")
    changed = pending(saved, _typed(sample_id, case_id, items))
    if changed:
        drafts()[_draft_key(sample_id, case_id)] = changed
        st.warning(f"{len(changed)} answer(s) of {case_id} not saved yet: save them, or discard them. They are kept "
                   "for this session if you open another case.", icon=":material/edit_note:")
    else:
        drafts().pop(_draft_key(sample_id, case_id), None)
    allowed = state.allowed(ctx, "record a review")
    left, middle, right = st.columns(3)
    args = (ctx, sample_id, case_id, items, saved)
    left.button("Save review", type="primary", key=f"spot_save:{sample_id}:{case_id}", disabled=not allowed,
                on_click=_save, args=(*args, None, case_key))
    middle.button("Save and next case", key=f"spot_save_next:{sample_id}:{case_id}",
                  disabled=not allowed or then_open is None, on_click=_save, args=(*args, then_open, case_key),
                  help=f"Save, then open {then_open}." if then_open else "No other case is left to review.")
    if changed:
        right.button("Discard unsaved", key=f"spot_discard:{sample_id}:{case_id}", on_click=_discard,
                     args=(sample_id, case_id, items))

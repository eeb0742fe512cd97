"""One finding on the Findings page: its summary, cases and history, and the forms that follow it up (move,
dismiss, record the processor's response, assign), each shown only to the roles allowed to use it (docs/findings.md)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from app import state
from app.links import linked
from app.text import literal
from findings import portal, queries
from findings.lifecycle import Response, Status, allowed_moves
from findings.service import assign, move, respond
from store.blobs import download_media_type, get_blob, safe_filename
from store.identity import may

PAGE = "findings"  # its key for state.done / state.said
STATUS_LABELS = {s.value: s.value.replace("_", " ") for s in Status}


CASES_SHOWN = 1_000  # a finding's cases listed on the page; the CLI and the pack list them all


def _cases_table(cases: list[dict[str, object]]) -> pd.DataFrame:
    def evidence(e: dict[str, object]) -> str:
        if "comment" in e:
            return f"review by {e.get('reviewer')}: {e.get('comment') or 'no comment'}"
        if "details" in e:
            return f"run {e.get('run_id')}: " + ", ".join(f"{k} {v}" for k, v in dict(e["details"]).items())
        return "added by hand"

    return pd.DataFrame([{"case": c["case_id"], "added": c["added_at"], "evidence": evidence(dict(c["evidence"]))}
                         for c in cases], columns=["case", "added", "evidence"])


def _history_table(history: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame([{
        "#": e["seq"], "at (UTC)": e["at"], "user": e["user"], "role": e["role"], "action": e["action"],
        "status": (f"{e['from_status'] or '—'} → {e['to_status']}" if e["from_status"] != e["to_status"]
                   else e["to_status"]),
        "details": ", ".join(f"{k}: {v}" for k, v in dict(e["details"]).items() if v not in (None, [], {})),
    } for e in history], columns=["#", "at (UTC)", "user", "role", "action", "status", "details"])


def _summary(f: dict[str, object]) -> None:
    st.subheader(f"{f['finding_id']} · {literal(f['title'])}")
    flag = " · **overdue**" if f["overdue"] else ""
    st.markdown(f"**{STATUS_LABELS[str(f['status'])]}**{flag} · severity **{f['severity']}** · "
                f"{literal(f['processor'])}, {f['period']} · clause **{f['clause']}** · due {f['due_on'] or '—'} · "
                f"owner {literal(f['owner']) if f['owner'] else 'unassigned'} · source `{f['source']}`")
    if f["description"]:
        st.markdown(str(f["description"]))
    if f["status_reason"]:
        st.caption(f"Reason given for the last move: {f['status_reason']}")
    if f["response"]:
        st.info(f"Processor response: **{str(f['response']).replace('_', ' ')}** — {f['response_text']}",
                icon=":material/forum:")


DRAFTS = "finding_drafts"  # session key: widget key -> text typed and not yet used


def draft_input(label: str, key: str, *, area: bool = False, placeholder: str | None = None) -> str:
    """A text input (or area) whose unsaved text survives opening another finding (kept in the session by key)."""
    drafts: dict[str, str] = st.session_state.setdefault(DRAFTS, {})
    if key not in st.session_state:
        st.session_state[key] = drafts.get(key, "")
    widget = st.text_area if area else st.text_input
    # on_change: the draft is recorded before the rerun draws the page's "not used yet" warning above this form
    return str(widget(label, key=key, placeholder=placeholder, on_change=_keep_draft, args=(key,)))


def _keep_draft(key: str) -> None:
    value = str(st.session_state.get(key) or "")
    drafts: dict[str, str] = st.session_state.setdefault(DRAFTS, {})
    if value.strip():
        drafts[key] = value
    else:
        drafts.pop(key, None)


def forget_draft(key: str) -> None:
    st.session_state.setdefault(DRAFTS, {}).pop(key, None)


def unsaved_notes() -> list[str]:
    """The findings with a note, reason or response typed and not used in this session."""
    return sorted({k.split(":", 1)[1] for k, v in st.session_state.get(DRAFTS, {}).items() if v.strip()})


def _forms(ctx: state.Context, f: dict[str, object]) -> None:
    finding_id = str(f["finding_id"])
    moves = [s.value for s in allowed_moves(Status(f["status"]))]
    tabs = [name for name, action, shown in (
        ("Move", "move a finding", [m for m in moves if m != Status.DISMISSED]),
        ("Dismiss", "move a finding", Status.DISMISSED in moves),
        ("Processor response", "record a processor response", True),
        ("Assign", "assign a finding", True)) if shown and may(ctx.user, action)]
    if not tabs:
        st.caption("Your roles let you read findings; raising and following them up needs the vendor manager or "
                   "compliance officer role.")
        return
    for name, tab in zip(tabs, st.tabs(tabs), strict=True):
        with tab, state.user_errors(), ctx.cursor() as cur:
            if name == "Move":
                # Issue 12 §3: every key names the finding, so another finding's form never shows this one's; a
                # note typed and not used stays with its finding for the session, and is named when another is open.
                with st.container(border=True, key=f"move_form:{finding_id}"):
                    target = st.selectbox("Move to", [m for m in moves if m != Status.DISMISSED],
                                          format_func=STATUS_LABELS.get, key=f"move_to:{finding_id}")
                    note = draft_input("Note (optional)", f"move_note:{finding_id}")
                    if note.strip():
                        st.caption("This note is not saved until the finding is moved.")
                    if st.button("Move", key=f"move:{finding_id}"):
                        move(cur, ctx.user, finding_id, target, reason=note)
                        forget_draft(f"move_note:{finding_id}")
                        state.done(PAGE, f"{finding_id} moved to {STATUS_LABELS[target]}.")
            elif name == "Dismiss":
                # Not an st.form: text typed in a form is lost unseen when another finding is opened; a draft stays.
                with st.container(border=True, key=f"dismiss_form:{finding_id}"):
                    reason = draft_input("Reason (required)", f"dismiss_reason:{finding_id}", area=True,
                                         placeholder="False positive because … / accepted risk because …")
                    if st.button("Dismiss", key=f"dismiss:{finding_id}"):
                        move(cur, ctx.user, finding_id, Status.DISMISSED.value, reason=reason)
                        forget_draft(f"dismiss_reason:{finding_id}")
                        state.done(PAGE, f"{finding_id} dismissed.")
            elif name == "Processor response":
                with st.container(border=True, key=f"respond_form:{finding_id}"):
                    answer = st.radio("The processor", [r.value for r in Response], horizontal=True,
                                      format_func=lambda r: r.replace("_", " "), key=f"response:{finding_id}")
                    text = draft_input("What the processor wrote", f"response_text:{finding_id}", area=True)
                    if st.button("Record response", key=f"respond:{finding_id}"):
                        respond(cur, ctx.user, finding_id, answer, text)
                        forget_draft(f"response_text:{finding_id}")
                        state.done(PAGE, f"Response recorded on {finding_id}.")
            else:
                with st.form(f"assign:{finding_id}"):
                    owner = st.text_input("Owner", value=str(f["owner"] or ""), key=f"owner:{finding_id}")
                    due = st.date_input("Due on", value=f["due_on"], format="YYYY-MM-DD", key=f"due_on:{finding_id}")
                    if st.form_submit_button("Assign"):
                        assign(cur, ctx.user, finding_id, owner=owner, due_on=due if isinstance(due, date) else None)
                        state.done(PAGE, f"{finding_id} assigned to {owner.strip()}.")


def _attachment_buttons(ctx: state.Context, r: dict[str, object]) -> None:
    """Each file as a download, never shown inline: the bytes come from the processor (issue 15 item 3's rule)."""
    for i, a in enumerate(r["attachments"]):  # type: ignore[arg-type]
        sha = str(a["sha256"])

        def fetch(sha: str = sha) -> bytes:
            cur = ctx.con.cursor()  # runs on its own thread when clicked
            try:
                return get_blob(cur, sha)
            finally:
                cur.close()

        st.download_button(f"{a['filename']} ({a['size'] or 0:,} bytes)", data=fetch,
                           file_name=safe_filename(str(a["filename"]), "attachment"),
                           mime=download_media_type(str(a["media_type"] or "")), icon=":material/attach_file:",
                           key=f"attachment:{r['response_id']}:{i}", help=f"SHA-256 {sha}")


def _decision_controls(ctx: state.Context, r: dict[str, object]) -> None:
    """Accept or reject a response waiting for a decision (docs/findings.md, "Responses from the processor")."""
    rid = int(r["response_id"])  # type: ignore[call-overload]
    comment = draft_input("Comment (required to reject; the processor reads it)", f"decision_comment:{r['finding_id']}"
                          f":{rid}", area=True)
    left, right = st.columns(2)
    with state.user_errors(), ctx.cursor() as cur:
        if left.button("Accept", key=f"accept_response:{rid}", icon=":material/check:"):
            status = portal.decide_response(cur, ctx.user, rid, True, comment)
            forget_draft(f"decision_comment:{r['finding_id']}:{rid}")
            state.done(PAGE, f"Response {rid} accepted; {r['finding_id']} is {STATUS_LABELS[status]}.")
        if right.button("Reject", key=f"reject_response:{rid}", icon=":material/close:"):
            portal.decide_response(cur, ctx.user, rid, False, comment)
            forget_draft(f"decision_comment:{r['finding_id']}:{rid}")
            state.done(PAGE, f"Response {rid} rejected; {r['finding_id']} stays notified for a new answer.")


def _responses(ctx: state.Context, f: dict[str, object]) -> None:
    """The processor's own answers (issue 15 item 4), oldest first, with their files and the decision on each."""
    with ctx.cursor() as cur:
        responses = portal.responses_for(cur, ctx.user, str(f["finding_id"]))
    if not responses:
        return
    st.markdown(f"**Responses from the processor** ({len(responses)})")
    for r in responses:
        with st.container(border=True, key=f"response:{r['response_id']}"):
            st.markdown(f"**{r['response_id']}. {str(r['response']).replace('_', ' ')}** · "
                        f"{literal(r['submitted_by'])}, {r['submitted_at']:%Y-%m-%d %H:%M} UTC")
            st.markdown(literal(r["explanation"]))
            if r["plan"]:
                st.markdown(f"Plan, by {r['planned_on']}: {literal(r['plan'])}")
            _attachment_buttons(ctx, r)
            if r["decision"]:
                said_text = f" — {literal(r['decision_comment'])}" if r["decision_comment"] else ""
                st.caption(f"{str(r['decision']).capitalize()} by {literal(r.get('decided_by') or '')} on "
                           f"{r['decided_at']:%Y-%m-%d %H:%M} UTC{said_text}")
            elif may(ctx.user, portal.DECIDE):
                _decision_controls(ctx, r)
            else:
                st.caption("Waiting for the compliance officer's or vendor manager's decision.")


def detail(ctx: state.Context, finding_id: str) -> None:
    """Draw the finding and the follow-up forms the user's roles allow."""
    with state.user_errors(), ctx.cursor() as cur:
        f = queries.get_finding(cur, finding_id, case_limit=CASES_SHOWN)
        _summary(f)
        left, right = st.columns(2)
        total = len(f["case_ids"])  # type: ignore[arg-type]
        left.markdown(f"**Cases** ({total:,})")
        if f["cases"]:
            frame, links, order = linked(_cases_table(f["cases"]), "case", str(f["processor"]))
            left.dataframe(frame, hide_index=True, width="stretch", key="finding_cases", column_config=links,
                           column_order=order)
            if total > len(f["cases"]):  # type: ignore[arg-type]
                left.caption(f"The first {len(f['cases']):,} of {total:,} cases by case id (a page ships at most a "  # type: ignore[arg-type]
                             f"few thousand rows). All of them with their evidence: `oversight findings show "
                             f"{finding_id} --format json`; their ids: the monthly pack's findings sheet.")
        else:
            left.caption("A report-level finding: it concerns the report, not single cases.")
        right.markdown("**History**")
        right.dataframe(_history_table(f["history"]), hide_index=True, width="stretch", key="finding_history",
                        column_config={"at (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
        _responses(ctx, f)
        _forms(ctx, f)

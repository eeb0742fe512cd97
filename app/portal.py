"""The processor's portal (issue 15): its reports, check results, evidence requests, findings, letters and activity,
in its own language, for its own processor only.

Thin over the service functions (portal/, spotchecks/evidence.py, findings/portal.py, exports/letter_store.py), which
check the permission and the scope themselves; this page always works for `ctx.user.processor`, the processor the
user was bound to at sign-in, and never reads a processor (or a request, finding or letter id) from the URL: a link
naming another processor changes nothing here. Every sentence comes from the message catalog (i18n/) in the language
chosen in the sidebar, which starts at the processor's language in the register (English when it has none). What the
processor sent or named (file names, explanations, titles) is shown as text, never as Markdown (app/text.py).
"""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from app import state
from app.text import literal
from exports.letter_store import letter_content, list_letters
from findings.lifecycle import Response, Status
from findings.portal import findings_for_processor, respond
from i18n import DEFAULT_LANGUAGE, LANGUAGES, Messages, UnknownLanguage, language_code, messages
from i18n.dates import long_date, month_year
from portal.activity import activity_for
from portal.reports import UploadResult, quarantine_for, submissions_for, upload_report
from portal.results import periods_for, results_for
from registry.processors import get_processor
from spotchecks.evidence import add_evidence, get_evidence, list_requests, request_detail
from store.blobs import download_media_type, safe_filename

PAGE = "portal"  # its key for state.done / state.said
LANGUAGE_KEY = "portal_language"
UPLOAD_RESULT_KEY = "portal_upload_result"
# Each language by its own name: a reader finds theirs whatever language the page is in now.
LANGUAGE_NAMES = {"nl": "Nederlands", "fr": "Français", "en": "English"}
LETTER_MEDIA = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "pdf": "application/pdf"}


def register_language(ctx: state.Context, processor: str) -> str:
    """The processor's language as the register gives it; English when it has none (or one without a catalog)."""
    with ctx.cursor() as cur:
        found = get_processor(cur, processor)
    try:
        return language_code(found.language) if found is not None and found.language else DEFAULT_LANGUAGE
    except UnknownLanguage:
        return DEFAULT_LANGUAGE


def language_choice(default: str) -> Messages:
    """The sidebar's language selector (starting at the register's language) and the messages of the choice."""
    if st.session_state.get(LANGUAGE_KEY) not in LANGUAGES:
        st.session_state[LANGUAGE_KEY] = default
    chosen = st.session_state[LANGUAGE_KEY]
    m = messages(chosen)
    st.sidebar.selectbox(m._("Language"), LANGUAGES, key=LANGUAGE_KEY, format_func=LANGUAGE_NAMES.__getitem__)
    return messages(st.session_state[LANGUAGE_KEY])


def _day(value: object, m: Messages) -> str:
    if isinstance(value, datetime):
        return long_date(value.date(), m.language)
    if isinstance(value, date):
        return long_date(value, m.language)
    return "" if value is None else str(value)


def _status(m: Messages, status: object) -> str:
    """A submission's, request's or finding's state in the reader's language (unknown ones as they are)."""
    labels = {
        "current": m._("current"), "superseded": m._("superseded"),
        "waiting for confirmation": m._("waiting for confirmation"), "rejected": m._("rejected"),
        "open": m._("open"), "answered": m._("answered"), "overdue": m._("overdue"),
        Status.NOTIFIED.value: m._("notified"), Status.REMEDIATION_PLANNED.value: m._("remediation planned"),
        Status.REMEDIATED.value: m._("remediated"), Status.CLOSED.value: m._("closed"),
        Status.DISMISSED.value: m._("dismissed"),
        Response.ACCEPTED.value: m._("accepted"), Response.PARTIALLY_ACCEPTED.value: m._("partially accepted"),
        Response.DISPUTED.value: m._("disputed"),
        "critical": m._("critical"), "major": m._("major"), "minor": m._("minor"), "info": m._("info"),
        "high": m._("high"), "medium": m._("medium"), "low": m._("low"),
        "findings": m._("findings letter"), "reminder": m._("reminder"), "formal_notice": m._("formal notice"),
        "suspension": m._("suspension"), "termination": m._("termination"),
    }
    return labels.get(str(status), str(status or ""))


# --- Reports ---------------------------------------------------------------------------------------------------------

def _save(upload: UploadedFile) -> Path:
    """The upload as a file of its own name (the name may hold the month), in the session's temporary folder."""
    if "portal_upload_dir" not in st.session_state:
        st.session_state["portal_upload_dir"] = tempfile.mkdtemp(prefix="oversight-portal-")
    path = Path(st.session_state["portal_upload_dir"]) / upload.file_id / safe_filename(upload.name, "report.csv")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(upload.getbuffer())
    return path


def _show_upload(m: Messages, result: UploadResult) -> None:
    name = literal(result.file)
    if result.status == "loaded":
        st.success(m._("Loaded: {file} for {month}: {loaded} cases, {quarantined} rows quarantined.", file=name,
                       month=month_year(str(result.period), m.language), loaded=result.rows_loaded,
                       quarantined=result.rows_quarantined), icon=":material/done:")
        if result.quarantine:
            st.dataframe(_quarantine_table(m, result.quarantine), hide_index=True)
    elif result.status == "duplicate":
        st.info(m._("Already received: {file} is the same file as one you sent before; nothing changed.", file=name))
    elif result.status == "pending":
        st.warning(m._("Waiting for confirmation: {file} would remove cases from the report you sent before, so the "
                       "compliance officer confirms it first; nothing was replaced yet.", file=name))
    else:
        st.error(m._("Refused: {file}. The reason:", file=name) + " " + literal(result.reason or ""))


def _quarantine_table(m: Messages, found: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame([{
        m._("Row"): q.get("source_row"), m._("Case"): q.get("case_id"),
        m._("Reasons"): "; ".join(str(x) for x in (q.get("messages") or q.get("reasons") or [])),  # type: ignore[attr-defined]
    } for q in found])


def reports_tab(ctx: state.Context, m: Messages) -> None:
    st.subheader(m._("Send a monthly report"))
    upload = st.file_uploader(m._("Monthly report (CSV or Excel)"), type=["csv", "xlsx", "xlsm"], key="portal_report")
    if upload is not None and st.button(m._("Send the report"), type="primary", key="portal_send_report"):
        with state.user_errors(), ctx.cursor() as cur:
            st.session_state[UPLOAD_RESULT_KEY] = upload_report(cur, ctx.user, _save(upload), key_path=ctx.key_path,
                                                                 file_name=upload.name,
                                                                 keep_notes=ctx.config.keep_notes)
    if isinstance(result := st.session_state.get(UPLOAD_RESULT_KEY), UploadResult):
        _show_upload(m, result)

    st.subheader(m._("Your submissions"))
    with ctx.cursor() as cur:
        submissions = submissions_for(cur, ctx.user)
    if not submissions:
        st.caption(m._("No report received yet."))
        return
    st.dataframe(pd.DataFrame([{
        m._("Month"): month_year(str(s["period"]), m.language), m._("File"): s["file_name"],
        m._("Received on"): _day(s["received_on"], m), m._("State"): _status(m, s["status"]),
        m._("Cases loaded"): s["cases_loaded"], m._("Rows quarantined"): s["rows_quarantined"],
        m._("Reason"): s["reason"] or "",
    } for s in submissions]), hide_index=True)

    quarantined = [s for s in submissions if s["submission_id"] is not None and (s["rows_quarantined"] or 0)]
    if not quarantined:
        return
    st.subheader(m._("Quarantined rows"))
    by_id = {int(s["submission_id"]): s for s in quarantined}  # type: ignore[call-overload]
    def label(i: int) -> str:
        return f"{by_id[i]['file_name']} · {month_year(str(by_id[i]['period']), m.language)}"

    chosen = st.selectbox(m._("Submission"), list(by_id), key="portal_quarantine_submission", format_func=label)
    if chosen is not None:
        with state.user_errors(), ctx.cursor() as cur:
            st.dataframe(_quarantine_table(m, quarantine_for(cur, ctx.user, int(chosen))), hide_index=True)


# --- Check results ---------------------------------------------------------------------------------------------------

def results_tab(ctx: state.Context, m: Messages) -> None:
    with ctx.cursor() as cur:
        periods = periods_for(cur, ctx.user)
    if not periods:
        st.caption(m._("No check results yet."))
        return
    period = st.selectbox(m._("Month"), periods, key="portal_results_month",
                          format_func=lambda p: month_year(p, m.language))
    with ctx.cursor() as cur:
        found = results_for(cur, ctx.user, str(period))
    st.dataframe(pd.DataFrame([{
        m._("Check"): r["title"] or r["check_id"], m._("Severity"): _status(m, r["severity"]),
        m._("Clause"): r["clause"], m._("Cases tested"): r["cases_tested"],
        m._("Cases not in order"): r["cases_offending"], m._("Cases"): ", ".join(r["case_ids"]),  # type: ignore[arg-type]
    } for r in found]), hide_index=True)


# --- Evidence requests -----------------------------------------------------------------------------------------------

def _file_button(ctx: state.Context, request_id: str, f: dict[str, object], key: str) -> None:
    """A file already sent, as a download (never shown inline: it is what the processor uploaded)."""
    def fetch() -> bytes:
        cur = ctx.con.cursor()  # runs on its own thread when clicked
        try:
            return get_evidence(cur, ctx.user, request_id, str(f["case_id"]), str(f["sha256"])).data
        finally:
            cur.close()

    st.download_button(f"{literal(f['filename'])} ({int(f['size'] or 0):,} B)",  # type: ignore[call-overload]
                       data=fetch, file_name=safe_filename(str(f["filename"]), "evidence"),
                       mime=download_media_type(str(f["media_type"] or "")), key=key, icon=":material/attach_file:")


def evidence_tab(ctx: state.Context, m: Messages) -> None:
    with ctx.cursor() as cur:
        requests = list_requests(cur, ctx.user)
    if not requests:
        st.caption(m._("No evidence request yet."))
        return
    for r in requests:
        request_id = str(r["request_id"])
        title = m._("Request {request} for {month}: due on {date} ({state})", request=request_id,
                    month=month_year(str(r["period"]), m.language), date=_day(r["due_on"], m),
                    state=_status(m, r["state"]))
        with st.expander(title, expanded=r["state"] != "answered"):
            with ctx.cursor() as cur:
                detail = request_detail(cur, ctx.user, request_id)
            st.markdown(m._("What is asked: {what}", what=literal(detail["what"])))
            st.caption(m._("Cases answered: {answered} of {cases}", answered=detail["cases_answered"],
                           cases=detail["cases"]))
            files: dict[str, list[dict[str, object]]] = detail["case_files"]  # type: ignore[assignment]
            for case_id in detail["case_ids"]:  # type: ignore[attr-defined]
                _evidence_case(ctx, m, request_id, str(case_id), files.get(str(case_id), []))


def _evidence_case(ctx: state.Context, m: Messages, request_id: str, case_id: str,
                   sent: list[dict[str, object]]) -> None:
    with st.container(border=True):
        st.markdown(m._("Case {case}", case=literal(case_id)))
        for i, f in enumerate(sent):
            _file_button(ctx, request_id, f, key=f"portal_evidence_file:{request_id}:{case_id}:{i}")
        if not sent:
            st.caption(m._("No file sent yet for this case."))
        # A new key after each file sent empties the uploader, so one file is never sent twice by a rerun.
        round_key = f"portal_evidence_round:{request_id}:{case_id}"
        key = f"portal_evidence:{request_id}:{case_id}:{st.session_state.get(round_key, 0)}"
        upload = st.file_uploader(m._("A file for case {case}", case=case_id), key=key)
        if upload is not None and st.button(m._("Send the file"), key=f"{key}:send"):
            with state.user_errors(), ctx.cursor() as cur:
                added = add_evidence(cur, ctx.user, request_id, case_id, upload.getvalue(), upload.name)
                st.session_state[round_key] = st.session_state.get(round_key, 0) + 1
                state.done(PAGE, m._("Sent: {file} for case {case}.", file=literal(added["filename"]),
                                     case=literal(case_id)))


# --- Findings --------------------------------------------------------------------------------------------------------

def findings_tab(ctx: state.Context, m: Messages) -> None:
    with ctx.cursor() as cur:
        findings = findings_for_processor(cur, ctx.user)
    if not findings:
        st.caption(m._("No finding was notified to you."))
        return
    for f in findings:
        finding_id = str(f["finding_id"])
        with st.container(border=True):
            st.markdown(f"**{literal(finding_id)}** · {literal(f['title'])}")
            st.caption(m._("Clause {clause} · severity {severity} · {state} · to be remedied by {date} · cases: "
                           "{cases}", clause=literal(f["clause"] or ""), severity=_status(m, f["severity"]),
                           state=_status(m, f["status"]), date=_day(f["due_on"], m) or "—",
                           cases=len(f["case_ids"])))  # type: ignore[arg-type]
            if f["description"]:
                st.text(str(f["description"]))
            responses: list[dict[str, object]] = f["responses"]  # type: ignore[assignment]
            if responses:
                _responses(ctx, m, responses)
            waiting = any(r["decision"] is None for r in responses)
            if f["status"] == Status.NOTIFIED.value and not waiting:
                _respond_form(ctx, m, finding_id)
            elif waiting:
                st.info(m._("Your response waits for our decision."))


def _responses(ctx: state.Context, m: Messages, responses: list[dict[str, object]]) -> None:
    st.markdown(m._("Your responses so far"))
    st.dataframe(pd.DataFrame([{
        m._("Sent on"): _day(r["submitted_at"], m), m._("Response"): _status(m, r["response"]),
        m._("Explanation"): r["explanation"], m._("Plan"): r["plan"] or "",
        m._("Planned for"): _day(r["planned_on"], m), m._("Decision"): _status(m, r["decision"]) if r["decision"]
        else m._("waiting"), m._("Comment"): r.get("decision_comment") or "",
        m._("Attachments"): ", ".join(str(a["filename"]) for a in r["attachments"]),  # type: ignore[attr-defined]
    } for r in responses]), hide_index=True)


def _respond_form(ctx: state.Context, m: Messages, finding_id: str) -> None:
    answers = {Response.ACCEPTED.value: m._("accepted"),
               Response.PARTIALLY_ACCEPTED.value: m._("partially accepted"),
               Response.DISPUTED.value: m._("disputed")}
    with st.form(f"portal_respond:{finding_id}", clear_on_submit=True):
        st.markdown(m._("Respond to {finding}", finding=literal(finding_id)))
        answer = st.radio(m._("Your response"), list(answers), format_func=answers.__getitem__, horizontal=True,
                          key=f"portal_response:{finding_id}")
        explanation = st.text_area(m._("Explanation"), key=f"portal_explanation:{finding_id}")
        plan = st.text_area(m._("Remediation plan"), key=f"portal_plan:{finding_id}",
                            help=m._("Needed unless you dispute the finding."))
        planned = st.date_input(m._("Done by"), value=None, format="YYYY-MM-DD", key=f"portal_planned:{finding_id}")
        files = st.file_uploader(m._("Attachments"), accept_multiple_files=True, key=f"portal_attach:{finding_id}")
        if st.form_submit_button(m._("Send the response"), type="primary"):
            with state.user_errors(), ctx.cursor() as cur:
                respond(cur, ctx.user, finding_id, str(answer), explanation, plan,
                        planned if isinstance(planned, date) else None,
                        attachments=[(f.name, f.getvalue()) for f in files or []])
                state.done(PAGE, m._("Your response to {finding} was sent.", finding=literal(finding_id)))


# --- Letters and activity --------------------------------------------------------------------------------------------

def letters_tab(ctx: state.Context, m: Messages) -> None:
    with ctx.cursor() as cur:
        letters = list_letters(cur, ctx.user)
    if not letters:
        st.caption(m._("No letter was sent to you yet."))
        return
    for letter in letters:
        letter_id = str(letter["letter_id"])
        fmt = str(letter["format"])

        def fetch(letter_id: str = letter_id) -> bytes:
            cur = ctx.con.cursor()  # runs on its own thread when clicked
            try:
                return letter_content(cur, ctx.user, letter_id)[1]
            finally:
                cur.close()

        st.download_button(
            m._("{letter}: {kind} of {date} ({format})", letter=letter_id, kind=_status(m, letter["kind"]),
                date=_day(letter["created_at"], m), format=fmt.upper()),
            data=fetch, file_name=safe_filename(f"{letter_id}.{fmt}", "letter"),
            mime=LETTER_MEDIA.get(fmt, "application/octet-stream"), key=f"portal_letter:{letter_id}",
            icon=":material/download:")


def activity_tab(ctx: state.Context, m: Messages) -> None:
    with ctx.cursor() as cur:
        events = activity_for(cur, ctx.user, ctx.config)
    if not events:
        st.caption(m._("No activity yet."))
        return
    st.dataframe(pd.DataFrame([{
        m._("When"): e["occurred_at"], m._("User"): e["user_name"], m._("Action"): e["action"],
        m._("Object"): e["object"],
    } for e in events]), hide_index=True)


def render() -> None:
    """Draw the page."""
    ctx = state.context(portal=True)
    processor = ctx.user.processor
    assert processor is not None  # state binds every processor user at sign-in, or refuses it there
    m = language_choice(register_language(ctx, processor))
    st.title(m._("Portal of {processor}", processor=literal(processor)))
    st.caption(m._("Your organisation's own data: what you sent us, what we checked and found, and what we asked "
                   "you for."))
    state.said(PAGE)
    tabs = st.tabs([m._("Reports"), m._("Check results"), m._("Evidence requests"), m._("Findings"), m._("Letters"),
                    m._("Activity")])
    for tab, draw in zip(tabs, (reports_tab, results_tab, evidence_tab, findings_tab, letters_tab, activity_tab),
                         strict=True):
        with tab:
            draw(ctx, m)


if __name__ == "__main__":
    render()

"""Evidence on request on the Spot checks page: send a request for a drawn sample (Sample tab), and the files sent
for a case beside the review form (Review tab). Thin over spotchecks/evidence.py, which checks roles and scope.

Files are only ever offered as downloads (st.download_button), with a sanitised name and a media type that is the
file's own only for PDF, PNG, JPEG and plain text and application/octet-stream otherwise: never rendered as HTML,
never run (issue 15 item 3).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from app import state
from app.text import literal
from spotchecks.evidence import evidence_for_case, get_evidence, request_evidence, requests_for_sample
from store.blobs import download_media_type, safe_filename

DEFAULT_DAYS = 14  # a fortnight to gather case files: the form's default due date, changed at will


def request_section(ctx: state.Context, sample_id: str) -> None:
    """The sample's evidence requests with their progress, and (for auditors) a form to send one."""
    if not state.allowed(ctx, "read evidence"):
        return
    st.markdown("#### Evidence from the processor")
    with state.user_errors(), ctx.cursor() as cur:
        found = requests_for_sample(cur, ctx.user, sample_id)
        if found:
            st.dataframe(pd.DataFrame([{
                "request": r["request_id"], "due": r["due_on"], "cases answered": f"{r['cases_answered']}/{r['cases']}",
                "files": r["files"], "state": r["state"], "days to answer": r["days_to_answer"],
                "what": literal(str(r["what"]))} for r in found]), hide_index=True, width="stretch",
                key="spot_evidence_requests")
        else:
            st.caption("No evidence requested for this sample yet.")
    if not state.allowed(ctx, "request evidence"):
        return
    with st.form(f"spot_evidence_form:{sample_id}", clear_on_submit=True, border=True):
        what = st.text_area("What is wanted for each case", key=f"spot_evidence_what:{sample_id}",
                            placeholder="e.g. the call recording, the reply letter and the identity check record")
        due = st.date_input("Due on", value=date.today() + timedelta(days=DEFAULT_DAYS),
                            min_value=date.today(), key=f"spot_evidence_due:{sample_id}")
        sent = st.form_submit_button("Send the evidence request", icon=":material/outgoing_mail:",
                                     help="Every case of the sample (SCC 7.6(b): the time to answer is measured).")
    if sent:
        with state.user_errors(), ctx.cursor() as cur:
            req = request_evidence(cur, ctx.user, sample_id, what, due)
            st.toast(f"{req['request_id']} sent for {len(req['case_ids'])} case(s)",  # type: ignore[arg-type]
                     icon=":material/outgoing_mail:")
            st.rerun()


def _fetch(ctx: state.Context, request_id: str, case_id: str, sha256: str) -> Callable[[], bytes]:
    """The file's bytes, read only when the button is pressed (scoped: the service checks the user again)."""
    def read() -> bytes:
        with ctx.cursor() as cur:
            return get_evidence(cur, ctx.user, request_id, case_id, sha256).data
    return read


def case_files(ctx: state.Context, sample_id: str, case_id: str) -> None:
    """The files the processor sent for this case, each as a download button (the review form's side)."""
    if not state.allowed(ctx, "read evidence"):
        return
    with state.user_errors("Evidence not shown: "), ctx.cursor() as cur:
        files = evidence_for_case(cur, ctx.user, sample_id, case_id)
    st.markdown("**Evidence sent for this case**")
    if not files:
        st.caption("No file sent for this case yet.")
        return
    for i, f in enumerate(files):
        name = safe_filename(str(f["filename"]))
        st.download_button(f"{name} ({int(f['size']):,} bytes)", data=_fetch(  # type: ignore[call-overload]
                               ctx, str(f["request_id"]), case_id, str(f["sha256"])),
                           file_name=name, mime=download_media_type(str(f["media_type"])),
                           icon=":material/attach_file:", key=f"spot_evidence_file:{sample_id}:{case_id}:{i}",
                           help=f"{f['request_id']}, sent {f['added_at']:%Y-%m-%d %H:%M} UTC by "
                                f"{f['added_by']}. SHA-256 {f['sha256']}")

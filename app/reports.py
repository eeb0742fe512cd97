"""The Reports page: upload a report or take it from the inbox, see what is read, ingest it, and the history."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from app import filters, state
from app.text import literal
from app.widgets import Pending, changes_text, report_card, show_result
from ingest.inbox import inbox_dir, list_inbox, mark_processed
from ingest.queries import list_reports
from ingest.received import first_seen
from ingest.reinstate import reinstate
from ingest.service import IngestResult
from portal.reports import confirm_pending, list_pending, reject_pending
from store.postgres import NothingBesideUrl

ALL = "All"
UPLOAD_KEY = "report_upload"


def _results() -> dict[str, IngestResult]:
    return st.session_state.setdefault("ingest_results", {})


def _saved_upload(upload: UploadedFile) -> Path:
    """Write an upload under the session's temporary folder, keeping its name (it may hold the period)."""
    if "upload_dir" not in st.session_state:
        st.session_state["upload_dir"] = tempfile.mkdtemp(prefix="oversight-upload-")
    path = Path(st.session_state["upload_dir"]) / upload.file_id / Path(upload.name).name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(upload.getbuffer())
    return path


def _forget_removed_uploads(current: set[str]) -> None:
    for key in [k for k in _results() if k.startswith("upload:") and k not in current]:
        del _results()[key]
    if "upload_dir" in st.session_state:
        for folder in Path(st.session_state["upload_dir"]).iterdir():
            if f"upload:{folder.name}" not in current:
                shutil.rmtree(folder, ignore_errors=True)


def _upload_section(ctx: state.Context, names: list[str]) -> None:
    st.subheader("Upload reports")
    files = st.file_uploader(
        "Monthly reports (CSV or Excel)", type=["csv", "xlsx", "xlsm"], accept_multiple_files=True, key=UPLOAD_KEY,
        help="You see what is read from each file, and can correct it, before anything is written.",
    )
    _forget_removed_uploads({f"upload:{f.file_id}" for f in files or []})
    if not files:
        st.caption("Drop a processor's monthly privacy-request report here (CSV, .xlsx or .xlsm); several at once "
                   "is fine. Nothing is written until you press Ingest.")
        return
    for upload in files:
        key = f"upload:{upload.file_id}"
        with st.container(border=True):
            st.markdown(f"##### {literal(upload.name)}")
            if key in _results():
                show_result(ctx, _results()[key])
                continue
            result = report_card(ctx, Pending(key, _saved_upload(upload), upload.name), names)
        if result is not None:
            _results()[key] = result
            st.rerun()


def _inbox_section(ctx: state.Context, names: list[str]) -> None:
    st.subheader("Inbox")
    try:
        folder = inbox_dir(ctx.config, ctx.db_path)
    except NothingBesideUrl as exc:  # a PostgreSQL store without [paths] inbox: no inbox, said so, the page works
        st.caption(str(exc))
        return
    for key, result in _results().items():
        if key.startswith("inbox:"):
            with st.container(border=True):
                st.markdown(f"##### {literal(result.file)} (from the inbox, moved to processed/)")
                show_result(ctx, result)
    items = list_inbox(folder)
    if not items:
        st.caption(f"No files are waiting in the inbox ({folder}). A transfer job can drop reports there, in a "
                   "sub-folder named after the processor; they are offered here for ingest.")
        return
    st.caption(f"{len(items)} file(s) waiting in {folder}; each counts as received on the day it was first seen here.")
    with ctx.cursor() as cur:
        seen = first_seen(cur, items)
    for item in items:
        relative = item.path.relative_to(folder)
        key = f"inbox:{relative}:{item.path.stat().st_mtime_ns}"
        with st.container(border=True):
            st.markdown(f"##### {literal(relative)}")
            result = report_card(ctx, Pending(key, item.path, item.path.name, item.processor,
                                              seen.get(item.path), inbox=item), names)
        if result is not None:
            _results()[key] = result
            try:
                mark_processed(folder, item)
            except OSError as exc:
                st.error(f"{relative} was ingested but could not be moved to processed/ ({exc}). Move it by hand, "
                         "or it will be offered again (and recognised as a duplicate).")
                return
            st.rerun()


def _changes_summary(changes: dict[str, object] | None) -> str | None:
    if not changes:
        return None
    added, removed, changed = (changes.get(k, 0) for k in ("added", "removed", "changed"))
    return f"+{added} added, −{removed} removed, {changed} changed"


def history_table(reports: list[dict[str, object]]) -> pd.DataFrame:
    """The submissions as a table, newest first: status, counts and the resubmission diff."""
    return pd.DataFrame([{
        "submission": r["submission_id"], "processor": r["processor"], "period": r["period"], "kind": r["kind"],
        "file": r["file_name"], "status": r["status"], "submitted on": r["submitted_on"],
        "submitted on from": r["submitted_on_source"], "declared sent on": r["declared_submitted_on"],
        "ingested at": r["ingested_at"], "by": r["ingested_by"],
        "read": r["rows_read"], "loaded": r["rows_loaded"], "quarantined": r["rows_quarantined"],
        "skipped": r["rows_skipped"], "declared": r["declared_total"], "supersedes": r["supersedes"],
        "superseded by": r["superseded_by"], "changes": _changes_summary(r["changes"]),
    } for r in reports])


def _history_section(ctx: state.Context, processor: str | None, period: str | None) -> None:
    st.subheader("Submission history")
    with ctx.cursor() as cur:
        reports = list_reports(cur, processor, period)
    if not reports:
        scope = " for this processor and period" if processor or period else ""
        st.info(f"No reports{scope} yet — upload one above, or drop it in the inbox.", icon=":material/inbox:")
        return
    current = sum(r["status"] == "current" for r in reports)
    st.caption(f"{len(reports)} submission(s), {current} current; a resubmission supersedes the earlier report for "
               "its processor and period, which stays here as history.")
    st.dataframe(history_table(reports), hide_index=True, width="stretch", key="history",
                 column_config={"ingested at": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
    if state.allowed(ctx, "ingest a report"):
        _reinstate_form(ctx, reports)
    resubmissions = [r for r in reports if r["changes"]]
    if resubmissions:
        with st.expander(f"Resubmission changes ({len(resubmissions)})"):
            for r in resubmissions:
                st.markdown(f"**Submission {r['submission_id']}** ({literal(r['file_name'])}, "
                            f"{literal(r['processor'])}, {r['period']}) "
                            f"superseded submission {r['supersedes']}:\n"
                            + changes_text(r["changes"], str(r["processor"])))


def _reinstate_form(ctx: state.Context, reports: list[dict[str, object]]) -> None:
    """Make an earlier submission current again (the wrong file superseded a good one), with a reason."""
    earlier = [r for r in reports if r["status"] == "superseded"]
    if not earlier:
        return
    with st.expander("Reinstate an earlier submission"):
        st.caption("When a resubmission was the wrong file, make the earlier submission the current report again. "
                   "The current one stays in the history as superseded; the reason goes to the audit trail.")
        labels = {r["submission_id"]: f"{r['submission_id']} · {r['processor']} {r['period']} · {r['file_name']} "
                                      f"({r['rows_loaded']} loaded)" for r in earlier}
        with st.form("reinstate", clear_on_submit=True):
            chosen = st.selectbox("Submission", list(labels), format_func=labels.get, key="reinstate_submission")
            reason = st.text_input("Reason", key="reinstate_reason",
                                   placeholder="e.g. submission 13 was mis-mapped and loaded no case")
            if st.form_submit_button("Reinstate", type="primary"):
                with state.user_errors(), ctx.cursor() as cur:
                    done = reinstate(cur, int(chosen), reason=reason, user=ctx.user)
                    state.done("reports", f"Submission {done.submission_id} ({done.file_name}) is the current report "
                                          f"for {done.processor} {done.period} again. Run the checks again.")


def _pending_section(ctx: state.Context) -> None:
    """A processor's resubmissions that would remove cases, held until the compliance officer decides (issue 15)."""
    with ctx.cursor() as cur:
        waiting = list_pending(cur, ctx.user)
    if not waiting:
        return
    st.subheader("Waiting for your confirmation")
    st.caption("Reports the processor uploaded itself that would remove cases from its current report. Nothing is "
               "replaced until you confirm; a confirmed report counts from the day it was uploaded.")
    for row in waiting:
        pending_id, summary = int(row["pending_id"]), row["diff_summary"]
        with st.container(border=True):
            st.markdown(f"##### Upload {pending_id}: {literal(row['file_name'])}")
            st.caption(f"{literal(row['processor'])}, {row['period']}, uploaded {row['uploaded_at']:%Y-%m-%d %H:%M} "
                       f"UTC by {literal(row['uploaded_by'])}; it would replace submission {summary.get('replaces')} "
                       f"with {summary.get('rows_loaded', 0)} case(s), {summary.get('rows_quarantined', 0)} row(s) "
                       "quarantined.")
            st.markdown(changes_text(summary, str(row["processor"])))
            left, right = st.columns(2)
            if left.button("Confirm", key=f"pending_confirm_{pending_id}", type="primary"):
                with state.user_errors(), ctx.cursor() as cur:
                    done = confirm_pending(cur, ctx.user, pending_id, key_path=ctx.key_path,
                                           keep_notes=ctx.config.keep_notes)
                    state.done("reports", f"Upload {pending_id} is submission {done.submission_id}, the current "
                                          f"report for {done.processor} {done.period}. Run the checks again.")
            with right.form(f"pending_reject_{pending_id}", clear_on_submit=True):
                reason = st.text_input("Reason", key=f"pending_reason_{pending_id}",
                                       placeholder="e.g. BC-2 and BC-3 were handled in October")
                if st.form_submit_button("Reject"):
                    with state.user_errors(), ctx.cursor() as cur:
                        reject_pending(cur, ctx.user, pending_id, reason)
                        state.done("reports", f"Upload {pending_id} is rejected; the current report stays.")


def render() -> None:
    """Draw the page."""
    st.title("Reports")
    st.caption("The processor's monthly reports: what was read from each file, what was quarantined and why, "
               "and every submission with its resubmissions.")
    ctx = state.context()
    state.said("reports")
    names, processor, period = filters.sidebar(ctx)
    if state.allowed(ctx, "ingest a report"):
        _pending_section(ctx)
        _upload_section(ctx, names)
        _inbox_section(ctx, names)
    else:  # the ingest service refuses anyway; the page doesn't offer what the role can't do
        st.info(f"Uploading reports needs the compliance officer role; {ctx.user.name} can read the reports "
                "below.", icon=":material/lock:")
    _history_section(ctx, processor, period)


if __name__ == "__main__":
    render()

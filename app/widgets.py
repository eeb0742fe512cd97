"""Widgets of the Reports page: a report waiting to be ingested (what was detected, facts, mapping) and a result."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

from app.links import case_link, linked
from app.resubmit import field_changes_table, preview_panel
from app.state import Context, user_errors
from app.text import literal
from checks.contract import ingest_terms
from checks.profiles import list_profiles
from ingest.errors import IngestError
from ingest.facts import valid_period
from ingest.inbox import InboxFile, opened
from ingest.mapping import DATE_ORDERS, EXTRA, PERSONAL, Mapping, build_mapping, load_saved
from ingest.onboarding import registered_profile
from ingest.queries import list_quarantine
from ingest.service import (
    IngestResult,
    Preview,
    ingest_report,
    inspect_report,
    refusal_for_missing,
)
from ingest.vocabulary import CASE_FIELDS, TRAINING_FIELDS
from store.errors import StoreError

NEW_PROCESSOR = "New processor…"
DATE_ORDER_LABELS = {"dmy": "Day first (31/10/2026)", "mdy": "Month first (10/31/2026)"}
_REQUIRED = {f.name for f in (*CASE_FIELDS, *TRAINING_FIELDS) if f.required}


@dataclass(frozen=True)
class Pending:
    """A report file waiting to be ingested: an upload or a file in the inbox."""

    key: str  # unique per file, prefixes the widget keys
    path: Path
    name: str
    processor: str | None = None  # fixed by the inbox sub-folder
    received_on: date | None = None  # an inbox file: the day it was first seen there (issue 12 §2)
    inbox: InboxFile | None = None  # an inbox file as listed: read only through ingest.inbox.opened


@contextmanager
def _reading(item: Pending) -> Iterator[Path]:
    """The file to read: an upload as saved; an inbox file as a copy made from the very file that was listed, never
    through a link swapped in since (issue 18, item 7)."""
    if item.inbox is None:
        yield item.path
        return
    with opened(item.inbox) as path:
        yield path


def _field_label(name: str) -> str:
    if name == EXTRA:
        return "keep as extra"
    if name == PERSONAL:
        return "keep as extra, pseudonymised (personal data)"
    return f"{name} (required)" if name in _REQUIRED else name


def _inspect(ctx: Context, item: Pending, processor: str | None, mapping: Mapping | None = None) -> Preview:
    """Inspect a file, remembered per session until the next ingest (saved mappings may change then)."""
    memo: dict[tuple[object, ...], Preview] = st.session_state.setdefault("_previews", {})
    path = item.path
    key = (str(path), path.stat().st_mtime_ns, processor, tuple(sorted(mapping.headers.items())) if mapping else (),
           mapping.date_order if mapping else None)
    if key not in memo:
        with ctx.cursor() as cur, _reading(item) as readable:
            memo[key] = inspect_report(cur, readable, processor=processor, mapping=mapping)
    return memo[key]


def processor_input(key: str, existing: list[str], default: str | None) -> str | None:
    """Pick an existing processor or name a new one; return the name (None until given)."""
    options = [*existing, NEW_PROCESSOR]
    if default in existing:
        index: int | None = existing.index(default)
    else:
        index = len(existing) if default or not existing else None
    choice = st.selectbox("Processor", options, index=index, key=f"{key}:processor",
                          placeholder="Choose the processor that sent the report")
    if choice != NEW_PROCESSOR:
        return choice
    name = st.text_input("New processor name", value=default or "", key=f"{key}:new_processor",
                         placeholder="e.g. Belcall Antwerpen BV")
    return name.strip() or None


def profile_input(ctx: Context, key: str, processor: str | None) -> tuple[str | None, bool]:
    """A new processor's contract profile, asked, never assumed (issue 12 §5); (None, True) for a registered one."""
    if not processor:
        return None, False
    with ctx.cursor() as cur:
        current = registered_profile(cur, processor)
    if current is not None:
        st.caption(f"Contract profile: **{current}** (from the processor register).")
        return None, True
    chosen = st.selectbox("Contract profile of this new processor", list_profiles(), index=None,
                          key=f"{key}:profile", placeholder="Which contract applies to it?",
                          help="Its due day, holidays, service levels and clause register; it is added to the "
                               "processor register with it.")
    return chosen, False


def _detected_line(preview: Preview) -> str:
    d = preview.detected
    bits = [d.format.upper()]
    if d.encoding:
        bits.append(f"encoding {d.encoding}")
    if d.delimiter:
        bits.append("tab-delimited" if d.delimiter == "\t" else f"delimiter `{d.delimiter}`")
    for part in preview.parts:
        where = f"sheet '{part.sheet}', " if part.sheet else ""
        bits.append(f"{part.part}: {where}header on row {part.header_row}")
    if preview.ignored_sheets:
        bits.append(f"ignored sheets: {', '.join(preview.ignored_sheets)}")
    return " · ".join(bits)


def _columns_table(preview: Preview) -> pd.DataFrame:
    rows = []
    for part in preview.parts:
        fields = {header: name for name, header in part.columns.items()}
        for header in part.headers:
            if header.strip():
                rows.append({"part": part.part, "header": header.strip(),
                             "field": fields.get(header.strip(), "extra (kept, not checked)")})
    return pd.DataFrame(rows, columns=["part", "header", "field"])


def mapping_form(key: str, preview: Preview, processor: str | None, saved_order: str) -> Mapping | None:
    """Ask which field each unrecognised header holds, and the date order; None when there is nothing to ask."""
    unmapped = [(part, header) for part in preview.parts for header in part.unmapped]
    missing = [name for part in preview.parts for name in part.missing]
    if not unmapped and not missing:
        return None
    with st.container(border=True, key=f"{key}:mapping"):
        st.markdown("**Map the columns**")
        if missing:
            st.warning(f"Required field(s) not found in the header: {', '.join(missing)}. "
                       "Say which column holds each below.", icon=":material/rule:")
        else:
            st.caption("These headers are not recognised. They are kept as extra columns unless you map them.")
        choices: dict[str, str] = {}
        for part, header in unmapped:
            fields = CASE_FIELDS if part.part == "cases" else TRAINING_FIELDS
            options = [EXTRA, PERSONAL, *(f.name for f in fields if f.name not in part.columns)]
            choices[header] = st.selectbox(f'"{literal(header)}"', options, format_func=_field_label,
                                           key=f"{key}:map:{part.part}:{header}")
        order = st.radio("Dates in this report are written", DATE_ORDERS, index=DATE_ORDERS.index(saved_order),
                         format_func=DATE_ORDER_LABELS.get, horizontal=True, key=f"{key}:date_order")
        who = f"for {literal(processor)}" if processor else "for the processor"
        st.caption(f"These choices are saved {who} when the report is ingested, so its next report maps by itself.")
    return build_mapping(choices, order if order != saved_order else None)


def report_card(ctx: Context, item: Pending, existing: list[str]) -> IngestResult | None:
    """Show what would be read from a file, the inputs to confirm, and an Ingest button; return its result."""
    with user_errors():  # the service's messages name the file
        first = _inspect(ctx, item, item.processor)
        if item.processor:
            processor: str | None = item.processor
            st.markdown(f"Processor: **{literal(processor)}** (from the inbox sub-folder)")
        else:
            found = first.facts.get("processor")
            processor = processor_input(item.key, existing, str(found.value) if found else None)
            if found:
                st.caption(f"The {found.source} names the processor '{literal(found.value)}'.")
        new_profile, registered = profile_input(ctx, item.key, processor)
        base = _inspect(ctx, item, processor) if processor and processor != item.processor else first
        st.caption(_detected_line(base))

        left, right = st.columns(2)
        period_fact = base.facts.get("period")
        period = left.text_input("Period (YYYY-MM)", value=str(period_fact.value) if period_fact else "",
                                 key=f"{item.key}:period", placeholder="2026-10").strip()
        left.caption(f"Found in the {period_fact.source}." if period_fact else "Not found in the file: type it.")
        # Issue 12 §2: the report counts from the day it reached the controller, never a day in the future and
        # never the date the processor wrote on its own summary sheet (shown, kept as declared).
        today = date.today()
        received = item.received_on or today
        submitted = right.date_input("Submitted on", value=received, max_value=today, key=f"{item.key}:submitted",
                                     format="YYYY-MM-DD", help="The day the file reached you; lateness counts from it.")
        declared = base.facts.get("declared_submitted_on")
        right.caption((f"First seen in the inbox on {item.received_on}. " if item.received_on else "")
                      + (f"The processor's summary sheet says it was sent on {declared.value} (kept as declared)."
                         if declared else ""))

        with ctx.cursor() as cur:
            saved_order = (load_saved(cur, processor).date_order if processor else None) or "dmy"
        mapping = mapping_form(item.key, base, processor, saved_order)
        final = _inspect(ctx, item, processor, mapping) if mapping else base
        st.dataframe(_columns_table(final), hide_index=True, width="stretch")
        for note in final.notes:
            st.caption(note)

        problems = []
        if not processor:
            problems.append("choose the processor")
        elif not registered and not new_profile:
            problems.append("choose the new processor's contract profile")
        if not valid_period(period):
            problems.append("give the period as YYYY-MM")
        if any(part.missing for part in final.parts):
            if not any(part.unmapped for part in base.parts):
                st.error(refusal_for_missing(final) or "Required fields are missing.")
            problems.append("map the required fields")
        if problems:
            st.caption(f"To ingest, {', '.join(problems)}.")
        preview_key = f"{item.key}:resubmission"
        shown: IngestResult | None = st.session_state.get(preview_key)
        if shown is not None:
            decision = preview_panel(item.key, shown)
            if decision is None:
                return None
            if not decision:
                del st.session_state[preview_key]
                st.rerun()
        elif not st.button("Ingest", key=f"{item.key}:ingest", type="primary", disabled=bool(problems)):
            return None
        with st.status(f"Ingesting {item.name}…", expanded=False) as status:
            try:
                # One cursor for the whole ingest: it stages the file in temporary tables of that connection.
                with ctx.cursor() as cur, _reading(item) as readable:
                    result = ingest_report(
                        cur, readable, user=ctx.user, key_path=ctx.key_path, processor=processor, period=period,
                        submitted_on=submitted if isinstance(submitted, date) else None,
                        mapping=mapping, file_name=item.name, replace=shown is not None, ask_before_replacing=True,
                        profile=new_profile, ask_profile=True, keep_notes=ctx.config.keep_notes,
                        **ingest_terms(cur, new_profile),
                    )
            except (StoreError, IngestError):
                st.session_state.pop(preview_key, None)
                status.update(label=f"{literal(item.name)}: refused, nothing was written", state="error")
                raise
            status.update(label=f"{literal(item.name)}: {result.status}", state="complete")
        if result.status == "preview":  # a resubmission: shown first, written only when confirmed
            st.session_state[preview_key] = result
            st.rerun()
        st.session_state.pop(preview_key, None)
        st.session_state.pop("_previews", None)
        return result
    return None


def _reason_text(counts: dict[str, object]) -> str:
    return ", ".join(f"{reason}: {n}" for reason, n in counts.items()) if counts else ""


def show_result(ctx: Context, result: IngestResult) -> None:
    """Show what happened to one file: status, counts with reasons, notes, changes and its quarantine."""
    where = f"{literal(result.processor)}, {result.period}"
    file = literal(result.file)
    if result.status == "loaded":
        st.success(f"{file}: loaded as submission {result.submission_id} ({where}).", icon=":material/done:")
    elif result.status == "resubmission":
        st.success(f"{file}: loaded as submission {result.submission_id}, a resubmission that supersedes the "
                   f"earlier report for {where} (kept in the history).", icon=":material/published_with_changes:")
    else:
        st.info(f"{file}: duplicate. {' '.join(result.notes)}", icon=":material/copy_all:")
        return
    cols = st.columns(4)
    cols[0].metric("Rows read", result.rows_read)
    cols[1].metric("Loaded", result.rows_loaded)
    cols[2].metric("Quarantined", result.rows_quarantined)
    cols[3].metric("Skipped", result.rows_skipped)
    parts = [{"part": part, "read": c.get("rows_read"), "loaded": c.get("rows_loaded"),
              "quarantined": c.get("rows_quarantined"), "quarantine reasons": _reason_text(c.get("quarantine_reasons")),
              "skipped": c.get("rows_skipped"), "skip reasons": _reason_text(c.get("skipped"))}
             for part, c in result.parts.items()]
    st.dataframe(pd.DataFrame(parts), hide_index=True, width="stretch")
    if result.declared_total is not None:
        st.caption(f"The report declares {result.declared_total} cases.")
    if result.extras:
        st.caption(f"Kept as extra columns: {', '.join(literal(x) for x in result.extras)}.")
    for note in result.notes:
        st.caption(note)
    if result.changes:
        st.markdown("**What changed against the superseded report**")
        st.markdown(changes_text(result.changes, result.processor))
        if result.field_changes:
            frame, links, order = linked(field_changes_table(result.field_changes), "case id", result.processor)
            st.dataframe(frame, hide_index=True, width="stretch", column_config=links, column_order=order)
    with ctx.cursor() as cur:
        quarantined = list_quarantine(cur, submission_id=result.submission_id, current_only=False)
    if quarantined:
        st.markdown(f"**Quarantine of submission {result.submission_id}** (rows kept with their reasons, not loaded)")
        frame, links, order = linked(quarantine_table(quarantined), "case id", result.processor)
        st.dataframe(frame, hide_index=True, width="stretch", column_config=links, column_order=order)


def changes_text(changes: dict[str, object], processor: str) -> str:
    """Render a resubmission diff as Markdown lines: counts and case ids, each linked to its case."""
    lines = []
    for kind in ("added", "removed", "changed"):
        ids = changes.get(f"{kind}_case_ids") or []
        more = int(changes.get(kind) or 0) - len(ids)
        listed = ", ".join(case_link(processor, str(i)) for i in ids) + (f" and {more} more" if more > 0 else "")
        lines.append(f"- {kind}: {changes.get(kind, 0)}" + (f" ({listed})" if ids else ""))
    return "\n".join(lines)


def quarantine_table(rows: list[dict[str, object]]) -> pd.DataFrame:
    """The quarantined rows as a table: row number, case id, reason codes and messages."""
    return pd.DataFrame(
        [{"row": r["source_row"], "part": r["part"], "case id": r["case_id"],
          "reasons": ", ".join(r["reasons"]), "messages": "; ".join(r["messages"])} for r in rows],
        columns=["row", "part", "case id", "reasons", "messages"],
    )

"""Ingest service: inspect a report (what would be read) and ingest it (one transaction per file).

The CLI and the dashboard both call these functions; tests call them directly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from ingest import load, names, onboarding, resubmission
from ingest.errors import (
    AmbiguousHeaders,
    ImplausibleFact,
    IngestError,
    InvalidMapping,
    MissingFact,
    MissingRequiredColumns,
    NoHeaderFound,
    SubmittedInFuture,
)
from ingest.facts import (
    MAX_COUNT,
    Fact,
    implausible_count,
    parse_count,
    parse_period,
    parse_submitted,
    period_bounds,
    summary_facts,
    valid_period,
)
from ingest.mapping import (
    HeaderMap,
    Mapping,
    Part,
    classify,
    header_score,
    load_saved,
    map_header,
    missing_message,
    save_mapping,
)
from ingest.pseudonym import Pseudonymiser, check_key, load_key
from ingest.readers import SPARE_COLUMNS, Detected, Grid, Report, drop_loaded, open_report
from ingest.refusals import record_refusal
from ingest.validate import STAGE_TABLES, STAGE_TYPES, Rules, Staged, stage
from store import audit
from store.db import transaction
from store.identity import User, require
from store.keyring import linking_key
from store.scope import OutOfScope, scope_of

DAY_OF_INGEST = "day of ingest"


@dataclass(frozen=True)
class PartPlan:
    """One part of a report and how its header maps (missing non-empty: it cannot be ingested yet)."""

    part: str
    sheet: str | None
    header_row: int
    headers: list[str]
    columns: dict[str, str]  # field → header text
    unmapped: list[str]
    missing: list[str]


@dataclass(frozen=True)
class Preview:
    """What ingest would read from a file, before anything is written."""

    detected: Detected
    parts: list[PartPlan]
    ignored_sheets: list[str]
    facts: dict[str, Fact | None]
    notes: list[str]

    @property
    def ready(self) -> bool:
        return bool(self.parts) and not any(p.missing for p in self.parts) and self.facts.get("period") is not None


@dataclass
class IngestResult:
    """What happened to one file (the CLI's JSON output is built from it: keep names stable)."""

    file: str
    status: str  # loaded | duplicate | resubmission | preview (a resubmission shown, nothing written)
    submission_id: int | None
    processor: str
    period: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_skipped: int = 0
    parts: dict[str, dict[str, object]] = field(default_factory=dict)
    submitted_on: str | None = None  # the day the controller received the file (issue 12 §2)
    declared_submitted_on: str | None = None  # the processor's own date, from its summary sheet
    declared_total: int | None = None
    extras: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    changes: dict[str, object] | None = None
    detected: dict[str, object] = field(default_factory=dict)
    # A resubmission's case ids added and removed and its field-level changes (issue 12), cut at 10,000 entries.
    added: list[str] | None = None
    removed: list[str] | None = None
    field_changes: list[dict[str, object]] | None = None
    truncated: bool = False
    replaces: int | None = None  # the submission a resubmission (or its preview) replaces
    notes_dropped: int = 0  # free-text case notes not stored ([ingest] keep_notes = false, GDPR Art. 5(1)(c))

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class _Plan:
    report: Report
    maps: dict[Part, tuple[Grid, HeaderMap]]
    summary: dict[str, str]
    title_facts: dict[str, str]
    ignored: list[str]


def _plan(report: Report, mapping: Mapping, *, strict: bool) -> _Plan:
    """Classify the grids and map their headers; strict=False collects missing fields instead of refusing."""
    source = report.detected.file_name
    by_part: dict[Part, list[tuple[Grid, int]]] = {}
    for grid in report.grids:
        part, index = classify(grid, mapping)
        by_part.setdefault(part, []).append((grid, index))
    if len(by_part.get(Part.CASES, [])) > 1:
        names = ", ".join(f"'{g.name}'" for g, _ in by_part[Part.CASES])
        raise AmbiguousHeaders(f"{source}: several sheets look like case lists ({names}). A report holds one case "
                               "list: remove or rename the other sheets, or send them as separate files.")
    maps: dict[Part, tuple[Grid, HeaderMap]] = {}
    for part in (Part.CASES, Part.TRAINING):
        for grid, index in by_part.get(part, [])[:1]:
            where = f"{source}, sheet '{grid.name}'" if grid.name else source
            maps[part] = (grid, _map(grid, part, index, mapping, where, strict))
    if not maps:
        guesses = [(g, i) for g, i in by_part.get(Part.OTHER, []) if i >= 0]
        if not guesses:
            sheets = f" (sheets: {', '.join(g.name for g in report.grids)})" if report.detected.format == "xlsx" else ""
            raise NoHeaderFound(
                f"{source}: no row looks like the header of a case list{sheets}. The report needs a header row "
                "naming at least the case id, the date received and the request type (e.g. Dossiernummer; Datum "
                "ontvangst; Soort verzoek). Check that this is the monthly privacy report, exported as CSV or .xlsx."
            )
        grid, index = guesses[0]
        where = f"{source}, sheet '{grid.name}'" if grid.name else source
        maps[Part.CASES] = (grid, _map(grid, Part.CASES, index, mapping, where, strict))
    summary: dict[str, str] = {}
    for grid, _ in by_part.get(Part.SUMMARY, []):
        summary.update({k: v for k, v in summary_facts(grid).items() if k not in summary})
    title: dict[str, str] = {}
    for grid, header in maps.values():
        title.update(_title_facts(grid, header.header_index))
    used = {id(g) for g, _ in maps.values()} | {id(g) for g, _ in by_part.get(Part.SUMMARY, [])}
    ignored = [g.name or "" for g in report.grids if id(g) not in used]
    return _Plan(report, maps, summary, title, ignored)


def _map(grid: Grid, part: Part, index: int, mapping: Mapping, where: str, strict: bool) -> HeaderMap:
    try:
        return map_header(grid, part, index, mapping, where)
    except MissingRequiredColumns as exc:
        if strict:
            raise
        cells = grid.head[index]
        return HeaderMap(part, index, grid.head_rows[index], [c or "" for c in cells], {}, {}, exc.unmapped,
                         exc.missing)


def _title_facts(grid: Grid, header_index: int) -> dict[str, str]:
    """Facts written in title rows above the header, e.g. 'Periode: oktober 2026'."""
    facts: dict[str, str] = {}
    for row in grid.head[:header_index]:
        cells = [c for c in row if c is not None]
        for cell in cells[:1]:
            if period := parse_period(cell):
                facts.setdefault("period", period)
    return facts


def _facts(plan: _Plan, processor: str | None, period: str | None, submitted_on: date | None,
           today: date) -> tuple[dict[str, Fact | None], list[str]]:
    notes: list[str] = []
    source = plan.report.detected.file_name
    facts: dict[str, Fact | None] = {}

    summary_processor = plan.summary.get("processor")
    if processor:
        facts["processor"] = Fact(processor, "argument")
        if summary_processor and summary_processor != processor:
            notes.append(f"The summary sheet names the processor '{summary_processor}'; the file was ingested "
                         f"for '{processor}' as given.")
    else:
        facts["processor"] = Fact(summary_processor, "summary sheet") if summary_processor else None

    summary_period = parse_period(plan.summary["period"]) if "period" in plan.summary else None
    if period:
        facts["period"] = Fact(period, "argument")
        if summary_period and summary_period != period:
            notes.append(f"The summary sheet says period {summary_period}; the file was ingested for {period} "
                         "as given.")
    elif summary_period:
        facts["period"] = Fact(summary_period, "summary sheet")
    elif "period" in plan.title_facts:
        facts["period"] = Fact(plan.title_facts["period"], "title row")
    elif name_period := parse_period(Path(source).stem):
        facts["period"] = Fact(name_period, "file name")
    else:
        facts["period"] = None

    # Issue 12 §2: a report counts from the day the controller received it, as the person ingesting says (or
    # today); the processor's own date on its summary sheet is only a declaration, kept beside it.
    summary_submitted = parse_submitted(plan.summary["submitted_on"]) if "submitted_on" in plan.summary else None
    if submitted_on:
        facts["submitted_on"] = Fact(submitted_on, "argument")
    else:
        # Said in the ingest result, not in a preview: the date may still be typed before ingest.
        facts["submitted_on"] = Fact(today, DAY_OF_INGEST)
    facts["declared_submitted_on"] = Fact(summary_submitted, "summary sheet") if summary_submitted else None
    total_text = plan.summary.get("declared_total")
    if total_text is not None and implausible_count(total_text):
        raise ImplausibleFact(f"The summary sheet declares a total of '{total_text}' cases: not a number of cases "
                              f"(it must be 0 to {MAX_COUNT:,}). Ask the processor to correct the summary sheet; "
                              "nothing was written.")
    total = parse_count(total_text) if total_text is not None else None
    facts["declared_total"] = Fact(total, "summary sheet") if total is not None else None
    return facts, notes


def _part_plans(plan: _Plan) -> list[PartPlan]:
    result = []
    for part, (grid, header) in plan.maps.items():
        result.append(PartPlan(part.value, grid.name, header.header_row, header.headers,
                               {f: header.headers[i].strip() for f, i in header.columns.items()},
                               header.unmapped, header.missing))
    return result


def inspect_report(con: duckdb.DuckDBPyConnection, path: Path, *, processor: str | None = None,
                   period: str | None = None, mapping: Mapping | None = None,
                   today: date | None = None) -> Preview:
    """Return what ingest would read from the file; refuses only what no mapping can fix."""
    mapping = _effective_mapping(con, processor, mapping)
    with open_report(Path(path), header_score) as report:
        plan = _plan(report, mapping, strict=False)
        facts, notes = _facts(plan, processor, period, None, today or date.today())
        return Preview(report.detected, _part_plans(plan), plan.ignored, facts, notes)


def check_pattern(pattern: str | None) -> str | None:
    """Refuse a customer-reference pattern DuckDB's regular expressions (RE2) cannot read, naming it."""
    if pattern is None:
        return None
    try:
        duckdb.sql("SELECT regexp_full_match('', ?)", params=[pattern]).fetchall()
    except duckdb.Error as exc:
        raise InvalidMapping(f"The customer-reference pattern {pattern!r} is not a regular expression RE2 reads "
                             f"({str(exc).splitlines()[0]}). Correct data_subject_ref_pattern in the profile.") \
            from None
    return pattern


def _effective_mapping(con: duckdb.DuckDBPyConnection, processor: str | None, mapping: Mapping | None) -> Mapping:
    saved = load_saved(con, processor) if processor else Mapping()
    return (mapping or Mapping()).merged_over(saved)


def ingest_report(con: duckdb.DuckDBPyConnection, path: Path, *, user: User, key_path: Path,
                  processor: str | None = None, period: str | None = None, submitted_on: date | None = None,
                  mapping: Mapping | None = None, today: date | None = None,
                  file_name: str | None = None, replace: bool = False,
                  ask_before_replacing: bool = False, profile: str | None = None,
                  ask_profile: bool = False, ref_pattern: str | None = None,
                  ref_pattern_for: Callable[[str], str | None] | None = None, keep_notes: bool | None = None,
                  agent_ids_for: Callable[[str], str] | None = None) -> IngestResult:
    """Ingest one report file in one transaction: loaded, duplicate (nothing written) or resubmission.

    A resubmission that removes cases needs `replace`; one that loads no case is refused always. With
    `ask_before_replacing` (and not `replace`) a resubmission is only previewed: status "preview", nothing written.
    A refused file leaves one `report.refused` audit event and nothing else.

    The first report of a processor not in the register registers it with `profile`; with `ask_profile` (the CLI
    and the dashboard: a person must say which contract applies) it is refused without one. For a registered
    processor a `profile` given must be its current one. `ref_pattern` (a regular expression: the profile's
    data_subject_ref_pattern) marks customer references wherever they land: extras and quarantined raw values that
    match it are stored as their pseudonyms. `ref_pattern_for(processor)` gives it once the report's processor is
    known (the caller reads it from the processor's contract profile, which lives above ingest).

    Minimisation (GDPR Art. 5(1)(c), 25): case notes are stored only with `keep_notes` (None: the configuration's
    `[ingest] keep_notes`, false by default); `agent_ids_for(processor)` gives the profile's agent_ids, and "names"
    stores agent names as their pseudonyms (None: "codes", kept as they are).
    """
    role = require(user, "ingest a report")
    return _ingest_as(con, Path(path), user=user, role=role, key_path=key_path, processor=processor, period=period,
                      submitted_on=submitted_on, mapping=mapping, today=today or date.today(), file_name=file_name,
                      replace=replace, ask=ask_before_replacing and not replace, profile=profile,
                      ask_profile=ask_profile, ref_pattern=ref_pattern, ref_pattern_for=ref_pattern_for,
                      keep_notes=keep_notes, agent_ids_for=agent_ids_for)


class OtherProcessorsReport(IngestError):
    """A processor user's file names another processor on its summary sheet: refused, nothing written."""

    refusal = "other_processor"

    def __init__(self, source: str, own: str) -> None:
        # The other name is not repeated: it came from the file, and the answer must not confirm who else exists.
        super().__init__(f"{source}: refused, nothing was written. The summary sheet of this file names another "
                         f"processor than {own}; you can upload only your own organisation's reports. Correct the "
                         "summary sheet (or remove it) and upload the file again.")


def ingest_own_report(con: duckdb.DuckDBPyConnection, path: Path, *, user: User, key_path: Path,
                      submitted_on: date, today: date | None = None, file_name: str | None = None,
                      ref_pattern_for: Callable[[str], str | None] | None = None,
                      agent_ids_for: Callable[[str], str] | None = None,
                      keep_notes: bool | None = None) -> IngestResult:
    """A processor user ingests a report of its own processor (issue 15 item 2), under the same rules as ours.

    The processor is always the user's bound one (store.scope), never what the file or a caller says; a summary
    sheet naming another processor is refused. The processor must be in the register already (a processor user
    never registers one). A resubmission that would remove cases is not refused and not loaded: it comes back as
    status "preview" (nothing written) for the caller to hold for the compliance officer's confirmation.
    """
    role = require(user, "upload a report as the processor")
    own = scope_of(user)
    if own is None:  # a processor user always has a scope; fail closed all the same
        raise OutOfScope("processor")
    return _ingest_as(con, Path(path), user=user, role=role, key_path=key_path, processor=own, period=None,
                      submitted_on=submitted_on, mapping=None, today=today or date.today(), file_name=file_name,
                      replace=False, ask=False, profile=None, ask_profile=True, ref_pattern=None,
                      ref_pattern_for=ref_pattern_for, bound=True, agent_ids_for=agent_ids_for, keep_notes=keep_notes)


def _ingest_as(con: duckdb.DuckDBPyConnection, path: Path, *, user: User, role: str, key_path: Path,
               processor: str | None, period: str | None, submitted_on: date | None, mapping: Mapping | None,
               today: date, file_name: str | None, replace: bool, ask: bool, profile: str | None,
               ask_profile: bool, ref_pattern: str | None,
               ref_pattern_for: Callable[[str], str | None] | None, bound: bool = False,
               keep_notes: bool | None = None, agent_ids_for: Callable[[str], str] | None = None) -> IngestResult:
    """Run one ingest under a role already checked; a refused file leaves one `report.refused` event."""
    try:
        return _ingest(con, path, user=user, role=role, key_path=key_path, processor=processor, period=period,
                       submitted_on=submitted_on, mapping=mapping, today=today, file_name=file_name,
                       replace=replace, ask=ask, profile=profile, ask_profile=ask_profile,
                       ref_pattern=check_pattern(ref_pattern), ref_pattern_for=ref_pattern_for, bound=bound,
                       keep_notes=configured_keep_notes() if keep_notes is None else keep_notes,
                       agent_ids_for=agent_ids_for)
    except IngestError as exc:
        if exc.refusal:
            details = (exc.details() if isinstance(exc, resubmission.ResubmissionRefused)
                       else {"processor": processor, "period": period})
            record_refusal(con, Path(path), file_name=file_name or Path(path).name, user=user.name, role=role,
                           reason=exc.refusal, details=details)
        raise


def _ingest(con: duckdb.DuckDBPyConnection, path: Path, *, user: User, role: str, key_path: Path,
            processor: str | None, period: str | None, submitted_on: date | None, mapping: Mapping | None,
            today: date, file_name: str | None, replace: bool, ask: bool, profile: str | None,
            ask_profile: bool, ref_pattern: str | None = None,
            ref_pattern_for: Callable[[str], str | None] | None = None, bound: bool = False,
            keep_notes: bool = False, agent_ids_for: Callable[[str], str] | None = None) -> IngestResult:
    explicit = mapping or Mapping()
    if period and not valid_period(period):
        raise MissingFact(f"The period '{period}' is not a month in the form YYYY-MM (e.g. 2026-10).")
    with open_report(path, header_score) as report:
        if file_name:
            report.detected = dataclasses.replace(report.detected, file_name=file_name)
        source = report.detected.file_name
        pre = _plan(report, Mapping(), strict=False)
        pre_facts, _ = _facts(pre, processor, period, submitted_on, today)
        if pre_facts["processor"] is None:
            raise MissingFact(f"{source}: which processor sent this report? Give it with --processor NAME (or pick "
                              "it on the Reports page); the file has no summary sheet naming it.")
        # One processor however its name is typed; a look-alike of a registered one is a question (ingest/names.py).
        processor_name = names.resolve(con, str(pre_facts["processor"].value))
        if bound and (named := pre.summary.get("processor")) and names.key(named) != names.key(processor_name):
            raise OtherProcessorsReport(source, processor_name)
        onboarding.profile_for_report(con, processor_name, profile, required=ask_profile)
        if ref_pattern is None and ref_pattern_for is not None:
            ref_pattern = check_pattern(ref_pattern_for(processor_name))
        effective = _effective_mapping(con, processor_name, explicit)
        plan = _plan(report, effective, strict=True)
        facts, notes = _facts(plan, processor_name, period, submitted_on, today)
        if facts["period"] is None:
            raise MissingFact(f"{source}: which month does this report cover? Give it with --period YYYY-MM; it is "
                              "not on a summary sheet, in a title row or in the file name.")
        period_value = str(facts["period"].value)
        if facts["submitted_on"].source == DAY_OF_INGEST:
            notes.append(f"No date of receipt was given; the day of ingest ({today}) was used.")
        submitted = facts["submitted_on"].value
        if submitted > today:
            raise SubmittedInFuture(f"{source}: the date received, {submitted}, is in the future (today is {today}). "
                                    "Give the day the file reached you, e.g. --submitted-on "
                                    f"{today.isoformat()}.")
        declared_on = facts["declared_submitted_on"].value if facts["declared_submitted_on"] else None
        if declared_on and declared_on != submitted:
            gap = (submitted - declared_on).days
            notes.append(f"The processor's summary sheet says the report was sent on {declared_on}, {abs(gap)} "
                         f"day(s) {'before' if gap > 0 else 'after'} it was received ({submitted}); the report "
                         "counts from the day it was received, the declared date is kept beside it.")
        duplicate = load.find_duplicate(con, processor_name, report.detected.sha256)
        if duplicate:
            again = ""
            if duplicate["status"] != "current":
                again = (f" That submission was superseded; to make it the current report again: oversight reports "
                         f"reinstate {duplicate['submission_id']} --reason TEXT (or Reinstate on the Reports page).")
            return IngestResult(
                source, "duplicate", duplicate["submission_id"], processor_name, str(duplicate["period"]),
                notes=[f"This exact file (SHA-256 {report.detected.sha256[:12]}…) was already ingested as "
                       f"submission {duplicate['submission_id']} ({duplicate['file_name']}); nothing was written."
                       + again],
                detected=asdict(report.detected),
            )
        pseudonymiser = load_key(key_path)
        agents = agent_ids_for is not None and agent_ids_for(processor_name) == "names"
        linking = linking_key(con, key_path, today)  # a rotation's overlap window (store/keyring.py)
        previous = Pseudonymiser(linking[1]) if linking else None
        rules = Rules(period_bounds(period_value)[1], submitted, effective.date_order or "dmy",
                      pseudonymiser.ipad, pseudonymiser.opad, serial_dates=report.detected.format == "xlsx",
                      ref_pattern=ref_pattern, keep_notes=keep_notes, pseudonymise_agents=agents,
                      previous=(previous.ipad, previous.opad) if previous else None)
        staged: dict[Part, Staged] = {}
        headers: dict[Part, HeaderMap] = {}
        try:
            for part, (grid, header) in plan.maps.items():
                table = f"_ingest_{part.value}"
                width = max(len(header.headers), max((len(r) for r in grid.head), default=0))
                grid.load(con, table, header.header_index, width)
                staged[part] = stage(con, table, header, rules, width + SPARE_COLUMNS)
                headers[part] = header
                notes += staged[part].notes
            counts = {part.value: load.part_counts(con, s) for part, s in staged.items()}
            notes_dropped = sum(s.notes_dropped for s in staged.values())
            if notes_dropped:
                notes.append(f"{notes_dropped} case note(s) were not stored: free-text notes are kept only when the "
                             "configuration says [ingest] keep_notes = true (GDPR Art. 5(1)(c)).")
            declared = facts["declared_total"]
            if declared is None and Part.CASES in staged:
                total = _total_row_value(con, staged[Part.CASES])
                if total is not None:
                    declared = Fact(total, "total row")
            extras = sorted({name for s in staged.values() for name in s.extras})
            kind = Part.CASES.value if Part.CASES in staged else Part.TRAINING.value
            with transaction(con):
                # Checked again under the write lock: two sessions may upload the same file at once.
                if raced := load.find_duplicate(con, processor_name, report.detected.sha256):
                    raise DuplicateFile(raced)
                check_key(con, pseudonymiser, key_path)
                processor_id, registered = onboarding.processor_for_report(con, user=user.name, role=role,
                                                                           name=processor_name, profile=profile)
                previous = load.current_submission(con, processor_id, period_value, kind)
                totals = {k: sum(int(c[k]) for c in counts.values())
                          for k in ("rows_read", "rows_loaded", "rows_quarantined", "rows_skipped")}
                diff = None
                if previous is not None and kind == Part.CASES.value:
                    diff = resubmission.compare(con, previous,
                                                _as_staged(resubmission.submission_cases(previous),
                                                           staged[Part.CASES], keep_notes=keep_notes,
                                                           linked=linking is not None),
                                                resubmission.staged_cases(staged[Part.CASES].table))
                    resubmission.judge(diff, file=source, processor=processor_name, period=period_value,
                                       rows_quarantined=totals["rows_quarantined"],
                                       replace=replace or ask or bound)
                    # A processor's own resubmission that removes cases waits for the compliance officer's
                    # confirmation (issue 15, "Names and decisions"): shown, never written here.
                    if ask or (bound and diff.counts["removed"]):
                        raise _Previewed(diff)
                submission_id = load.insert_submission(con, {
                    "processor_id": processor_id, "period": period_value, "kind": kind,
                    "file_name": source, "sha256": report.detected.sha256, "format": report.detected.format,
                    "encoding": report.detected.encoding, "delimiter": report.detected.delimiter,
                    "sheet": plan.maps[Part(kind)][0].name, "header_row": headers[Part(kind)].header_row,
                    "submitted_on": submitted, "submitted_on_source": facts["submitted_on"].source,
                    "declared_submitted_on": declared_on,
                    "declared_total": declared.value if declared else None,
                    "declared_total_source": declared.source if declared else None,
                    "ingested_at": load.now_utc(), "ingested_by": user.name, **totals,
                    "counts": load.to_json(counts), "extras": extras, "notes": notes, "status": "current",
                    "supersedes": previous,
                })
                for part, s in staged.items():
                    target = "cases" if part is Part.CASES else "training"
                    load.insert_rows(con, submission_id, s, target)
                    load.insert_quarantine(con, submission_id, s, part.value)
                    load.record_pseudonyms(con, s, pseudonymiser.fingerprint, agents=agents,
                                           previous_id=linking[0] if linking else None)
                changes = diff.summary() if diff else None
                if previous is not None:
                    con.execute("UPDATE submissions SET status = 'superseded', superseded_by = ? "
                                "WHERE submission_id = ?", [submission_id, previous])
                    con.execute("UPDATE submissions SET changes = ? WHERE submission_id = ?",
                                [load.to_json(changes), submission_id])
                if explicit.headers or explicit.date_order:
                    save_mapping(con, processor_id, explicit, user.name)
                    audit.append_event(con, user=user.name, role=role, action="mapping.saved",
                                       obj=f"processor:{processor_name}",
                                       details={"headers": explicit.labels, "fields": explicit.headers,
                                                "date_order": explicit.date_order})
                status = "resubmission" if previous is not None else "loaded"
                audit.append_event(con, user=user.name, role=role,
                                   action="report.resubmitted" if previous else "report.ingested",
                                   obj=f"submission:{submission_id}",
                                   details={"processor": processor_name, "period": period_value, "file": source,
                                            "sha256": report.detected.sha256, **totals, "supersedes": previous,
                                            **({"registered_processor": {"profile": profile}} if registered
                                               else {})})
                _after_write_hook()
        except _Previewed as shown:
            return IngestResult(
                source, "preview", None, processor_name, period_value, **totals, parts=counts,
                submitted_on=submitted.isoformat(), declared_total=declared.value if declared else None,
                declared_submitted_on=declared_on.isoformat() if declared_on else None,
                extras=extras, notes=notes, changes=shown.diff.summary(), detected=asdict(report.detected),
                **_diff_fields(shown.diff))
        except DuplicateFile as dup:
            return IngestResult(
                source, "duplicate", dup.submission["submission_id"], processor_name, str(dup.submission["period"]),
                notes=[f"This exact file was ingested meanwhile as submission {dup.submission['submission_id']}; "
                       "nothing was written."],
                detected=asdict(report.detected),
            )
        finally:
            for part in staged.keys() | plan.maps.keys():
                for suffix in STAGE_TABLES:
                    con.execute(f"DROP TABLE IF EXISTS _ingest_{part.value}{suffix}")
                for suffix in STAGE_TYPES:
                    con.execute(f"DROP TYPE IF EXISTS _ingest_{part.value}{suffix}")
                drop_loaded(con, f"_ingest_{part.value}")
        return IngestResult(
            source, status, submission_id, processor_name, period_value, **totals, parts=counts,
            submitted_on=submitted.isoformat(), declared_total=declared.value if declared else None,
            declared_submitted_on=declared_on.isoformat() if declared_on else None,
            extras=extras, notes=notes, changes=changes, detected=asdict(report.detected),
            **(_diff_fields(diff) if diff else {}), notes_dropped=notes_dropped,
        )


def _as_staged(old_sql: str, staged: Staged, *, keep_notes: bool, linked: bool) -> str:
    """The earlier submission's cases as this ingest would have stored them, so a resubmission's diff shows what the
    processor changed: no note when notes are not kept (the diff is stored and audited: GDPR Art. 5(1)(c)), and,
    during a key rotation's overlap window, each reference under the current key (store/keyring.py)."""
    sql = old_sql if keep_notes else f"SELECT * REPLACE (NULL::VARCHAR AS summary) FROM ({old_sql})"
    if not linked:
        return sql
    return (f"SELECT o_.* REPLACE (coalesce(m_.new_ref, o_.data_subject_ref) AS data_subject_ref) FROM ({sql}) o_ "
            f"LEFT JOIN (SELECT DISTINCT _ref_prev AS old_ref, p_data_subject_ref AS new_ref FROM {staged.table} "
            "WHERE _ref_prev IS NOT NULL) m_ ON m_.old_ref = o_.data_subject_ref")


def configured_keep_notes() -> bool:
    """`[ingest] keep_notes` of the configuration in force ($OVERSIGHT_CONFIG, else ./oversight.toml); false without
    one. A caller that has loaded the configuration itself passes keep_notes instead."""
    from store.users_file import load_config

    return load_config().keep_notes


def _diff_fields(diff: resubmission.Diff) -> dict[str, object]:
    return {"added": diff.added, "removed": diff.removed,
            "field_changes": [c.as_dict() for c in diff.field_changes], "truncated": diff.truncated,
            "replaces": diff.replaces}


class _Previewed(Exception):  # control flow, not an error: it rolls the transaction back
    """The resubmission was only to be shown: nothing is written."""

    def __init__(self, diff: resubmission.Diff) -> None:
        super().__init__("preview")
        self.diff = diff


class DuplicateFile(Exception):
    """The same file was ingested by another session while this one was reading it."""

    def __init__(self, submission: dict[str, object]) -> None:
        super().__init__(f"already ingested as submission {submission['submission_id']}")
        self.submission = submission


def _after_write_hook() -> None:
    """Called inside the ingest transaction after every write; tests replace it to prove atomicity."""


def _total_row_value(con: duckdb.DuckDBPyConnection, staged: Staged) -> int | None:
    rows = con.execute(f"SELECT [{', '.join(staged.cells)}] FROM {staged.source} WHERE _r = "
                       f"(SELECT max(_r) FROM {staged.table} WHERE skip = 'total')").fetchall()
    for cell in rows[0][0] if rows else []:
        if cell and (n := parse_count(cell)) is not None:
            return n
    return None


def refusal_for_missing(preview: Preview) -> str | None:
    """The refusal message a preview would get at ingest, if any part misses required fields."""
    for p in preview.parts:
        if p.missing:
            header = HeaderMap(Part(p.part), 0, p.header_row, p.headers, {}, {}, p.unmapped, p.missing)
            return missing_message(preview.detected.file_name, header)
    return None

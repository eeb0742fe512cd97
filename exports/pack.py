"""The monthly oversight pack (docs/findings.md, "Exports"): one workbook per processor and month, the accountability
document. Re-running it on the same data gives the same cells, except the one line saying when it was generated."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from exports.errors import UnsupportedFormat
from exports.kpis import MonthlyKpis, monthly_kpis
from exports.output import Produced, record_export
from exports.scope import Scope, file_slug, resolve_scope
from exports.sheets_checks import NO_RUN, checks_sheet, exceptions_sheet
from exports.sheets_coverage import coverage_sheet
from exports.sheets_findings import findings_sheet
from exports.sheets_report import quarantine_sheet, submission_sheet
from exports.sheets_samples import month_samples, samples_sheet
from exports.xlsx import Section, Sheet, workbook_bytes
from findings.queries import counts
from store import audit
from store.identity import User, require
from store.retention import purges_of

PERMISSION = "export the oversight pack"
GENERATED = "Generated"  # the label of the pack's only volatile line
SHEETS = [
    ("Summary", "the month's key figures"),
    ("Submission", "the files received: SHA-256, rows read, loaded, quarantined and skipped, declared total"),
    ("Quarantine", "the rows that could not be loaded, with the reasons"),
    ("Checks", "the latest result of each check: cases tested and offending, clause, contract profile"),
    ("Exceptions", "the offending cases by case id"),
    ("Samples", "spot-check samples: seed, population fingerprint, reviews and evaluation"),
    ("Findings", "findings raised for the month with their history, and earlier ones still open"),
    ("Clause coverage", "each contract clause: which checks and review items evidence it, and the result"),
]


def pack_file_name(processor: str, period: str) -> str:
    """Return the pack's suggested file name, e.g. oversight-pack_Belcall-Antwerpen-BV_2026-10.xlsx."""
    return f"oversight-pack_{file_slug(processor)}_{period}.xlsx"


def _shown(value: object, missing: str) -> object:
    return missing if value is None else value


def key_figures(k: MonthlyKpis, all_months: dict[str, int], samples: int) -> list[list[object]]:
    """The Summary sheet's figures: [figure, value, how it is counted] (the Overview's definitions, metrics/)."""
    no_report = "no report for this month"
    unchecked = NO_RUN if k.cases or k.report != "missing" else no_report
    return [
        ["Report", _shown(k.report, no_report), "on time, late (report.late), missing (report.missing) or not checked"],
        ["Cases in the report", k.cases, "cases listed in the month's current report, carried-over ones included"],
        ["Received", _shown(k.received, no_report), "cases received in the month"],
        ["Answered", _shown(k.answered, no_report), "cases answered in the month"],
        ["Answered on time (%)", _shown(k.on_time_pct, unchecked if not k.checked else "no answered case"),
         "answered cases not offending deadline.late_response (GDPR Art. 12(3))"],
        ["Answered late", _shown(k.answered_late, unchecked), "cases offending deadline.late_response"],
        ["Median days to answer", _shown(k.median_days, "no case answered in the month"),
         "calendar days from receipt to answer, cases answered in the month"],
        ["Open", _shown(k.open, no_report), "cases without an answer at the end of the month"],
        ["Open past the deadline", _shown(k.overdue, unchecked), "cases offending deadline.overdue_open"],
        ["Open and due soon", _shown(k.due_soon, unchecked), "cases offending deadline.due_soon"],
        ["Non-conformities", _shown(k.non_conformities, unchecked),
         "critical and major exceptions in the latest check results"],
        ["Findings for this month: open", k.findings_open, "not closed or dismissed"],
        ["Findings for this month: overdue", k.findings_overdue, "open and past the due date"],
        ["Open findings, all months", all_months["open"], "of this processor"],
        ["Overdue findings, all months", all_months["overdue"], "of this processor"],
        ["Spot-check samples", samples, "samples drawn from the month's cases (Samples sheet)"],
    ]


PURGED = {  # what a retention purge (store.retention) removed of the month, as the Summary says it
    "cases": "{cases} case rows of this month (with {training} training rows and {exceptions} exceptions naming "
             "a case)",
    "quarantine_raw": "the raw values of {rows} quarantined rows of this month",
    "reviews": "{rows} review rows of this month's samples",
    "findings": "{rows} rows of closed findings of this month (with their cases, history and responses)",
    "letters": "{rows} letters sent this month",
    "evidence_files": "{rows} evidence files of this month's requests",
}


def purged_lines(con: duckdb.DuckDBPyConnection, processor: str, period: str) -> list[list[object]]:
    """The Summary's "Purged" lines: what retention purges removed of the month, when, and under which event; the
    pack of a purged month is built from what remains (GDPR Art. 5(1)(e))."""
    return [["Purged", PURGED[p["kind"]].format(rows=p["rows"], **p["tables"])  # type: ignore[index]
             + f" were removed on {p['on']} under the retention period (event {p['seq']})"]
            for p in purges_of(con, processor, period)]


def summary_sheet(con: duckdb.DuckDBPyConnection, scope: Scope, generated: str, as_of: date) -> Sheet:
    """The first sheet: whose pack, when generated, the key figures and what the other sheets hold."""
    kpis = monthly_kpis(con, scope.processor, str(scope.period), as_of)
    all_months = counts(con, processor=scope.processor, as_of=as_of)
    samples = len(month_samples(con, scope))
    return Sheet("Summary", f"Monthly oversight pack — {scope.processor}, {scope.period}",
                 lines=[["Processor", scope.processor], ["Period", scope.period],
                        ["Contract profile", scope.profile], [GENERATED, generated],
                        *purged_lines(con, scope.processor, str(scope.period))],
                 sections=[Section("Key figures", ["figure", "value", "how it is counted"],
                                   key_figures(kpis, all_months, samples)),
                           Section("Sheets", ["sheet", "what it holds"], [list(s) for s in SHEETS])])


def pack_sheets(con: duckdb.DuckDBPyConnection, scope: Scope, generated: str, as_of: date) -> list[Sheet]:
    """Every sheet of the pack; each says so when its source (check run, samples, findings) is missing."""
    return [summary_sheet(con, scope, generated, as_of), submission_sheet(con, scope), quarantine_sheet(con, scope),
            checks_sheet(con, scope), exceptions_sheet(con, scope), samples_sheet(con, scope),
            findings_sheet(con, scope, as_of), coverage_sheet(con, scope)]


def _build(con: duckdb.DuckDBPyConnection, user: User, processor: str, period: str,
           as_of: date | None) -> tuple[str, Scope, bytes]:
    role = require(user, PERMISSION)
    scope = resolve_scope(con, processor, period)
    now = datetime.now(UTC)
    as_of = as_of or now.date()
    # The chain's head before this export's own event: the pack anchors the trail outside the database.
    generated = (f"{now:%Y-%m-%d %H:%M:%S} UTC by {user.name}; overdue counted as of {as_of.isoformat()}; "
                 f"{audit.head_text(con)}")
    return role, scope, workbook_bytes(pack_sheets(con, scope, generated, as_of))


def export_pack(con: duckdb.DuckDBPyConnection, user: User, processor: str, period: str, out_path: Path, *,
                as_of: date | None = None) -> Produced:
    """Write the month's pack to an .xlsx file and record the export (file name, SHA-256) in the audit trail."""
    out_path = Path(out_path)
    if out_path.suffix.lower() != ".xlsx":
        raise UnsupportedFormat(f"The oversight pack is an Excel workbook: give a file name ending in .xlsx, "
                                f"not '{out_path.name}'.")
    role, scope, data = _build(con, user, processor, period, as_of)
    return record_export(con, user=user.name, role=role, action="export.pack", obj=f"processor:{scope.processor}",
                         file_name=out_path.name, data=data, details={"processor": scope.processor,
                                                                      "period": scope.period}, out_path=out_path)


def pack_bytes(con: duckdb.DuckDBPyConnection, user: User, processor: str, period: str, *,
               as_of: date | None = None) -> bytes:
    """Return the month's pack as .xlsx bytes (for a download button), recording the export in the audit trail."""
    role, scope, data = _build(con, user, processor, period, as_of)
    record_export(con, user=user.name, role=role, action="export.pack", obj=f"processor:{scope.processor}",
                  file_name=pack_file_name(scope.processor, period), data=data,
                  details={"processor": scope.processor, "period": scope.period})
    return data

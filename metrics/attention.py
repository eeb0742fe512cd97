"""What needs attention this month: the Overview's numbers told as a few sentences, most serious first.

A pure function of the Overview's aggregated frames (metrics.overview.Overview): no query of its own. Each point
names the processors concerned, the check id that found it (docs/checks.md) and the page that explains it, so a
compliance officer opening the dashboard on the 12th reads in seconds who is slipping and where to look next.

Order (most serious first): reports missing or late (the contract's reporting duty, report.missing / report.late),
open cases past their deadline (GDPR Art. 12(3) not met, deadline.overdue_open), answers sent late in the
month (deadline.late_response), the month's non-conformities and the clause with most of them, then the findings:
non-conformities not yet raised as findings (accountability, Art. 5(2)) and findings past their due date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

import duckdb
import pandas as pd

from ingest.queries import processors
from metrics.kpi import default_window, month_label, on_time_rate, percent
from metrics.overview import Overview, load, months_with_data
from store.errors import OversightError, UnknownProcessor
from vocab.markdown import literal


class NoMonth(OversightError):
    """Nothing to tell: no report yet, or none for the month asked."""


class Page(StrEnum):
    """The page that explains a point (the dashboard maps it to its file)."""

    REPORTS = "reports"
    CHECKS = "checks"
    FINDINGS = "findings"
    SPOTCHECKS = "spotchecks"


@dataclass(frozen=True)
class Point:
    """One sentence (Markdown) and where to read more: a page, its link's label and its URL filters."""

    text: str
    page: Page
    link: str
    params: dict[str, str] = field(default_factory=dict)


def _names(rows: Iterable[tuple[str, int]]) -> str:
    """ "A (2), B (1)", most first, then by name."""
    ranked = sorted(rows, key=lambda r: (-r[1], r[0]))
    return ", ".join(f"{literal(name)} ({n})" for name, n in ranked)


def _count(value: object) -> int:
    return 0 if value is None or pd.isna(value) else int(value)  # type: ignore[call-overload]


def _filter(processors: list[str], period: str | None = None) -> dict[str, str]:
    """The link's filters: the processor when there is just one, and the month."""
    found = {"processor": processors[0]} if len(processors) == 1 else {}
    return {**found, "period": period} if period else found


def _reports(data: Overview) -> list[Point]:
    trend = data.trend()
    points = []
    for processor, rows in trend.groupby("processor", sort=True):
        missing = [month_label(p) for p in rows.loc[rows["missing"] & ~rows["has_report"], "period"]]
        late = [month_label(p) for p in rows.loc[rows["report_late"].fillna(0) > 0, "period"]]
        if not missing and not late:
            continue
        parts = ([f"no report for **{', '.join(missing)}** (report.missing)"] if missing else []) + \
                ([f"the report for **{', '.join(late)}** came in after the contract's due day (report.late)"]
                 if late else [])
        points.append(Point(f"**{literal(processor)}**: {'; '.join(parts)}.", Page.REPORTS, "Submission history",
                            _filter([str(processor)])))
    return points


def _deadlines(data: Overview) -> list[Point]:
    month = data.month()
    label = month_label(data.period)
    points = []
    overdue = [(str(r.processor), _count(r.overdue)) for r in month.itertuples() if _count(r.overdue)]
    if overdue:
        total = sum(n for _, n in overdue)
        points.append(Point(
            f"**{total} open case{'s' if total != 1 else ''} past {'their' if total != 1 else 'its'} deadline** "
            f"at the end of {label} (deadline.overdue_open, GDPR Art. 12(3)): {_names(overdue)}.",
            Page.CHECKS, "Due list", _filter([p for p, _ in overdue], data.period)))
    late = [(str(r.processor), _count(r.late_offending), _count(r.late_tested)) for r in month.itertuples()
            if _count(r.late_offending)]
    if late:
        total = sum(n for _, n, _ in late)
        rates = ", ".join(f"{literal(p)} {percent(on_time_rate(tested, n))} on time ({n} late)"
                          for p, n, tested in sorted(late, key=lambda r: (-r[1], r[0])))
        points.append(Point(
            f"**{total} answer{'s' if total != 1 else ''} sent late** in {label} (deadline.late_response): "
            f"{rates}.", Page.CHECKS, "Deadline checks", _filter([p for p, _, _ in late], data.period)))
    return points


def _non_conformities(data: Overview) -> list[Point]:
    month = data.month()
    found = [(str(r.processor), _count(r.non_conformities)) for r in month.itertuples()
             if _count(r.non_conformities)]
    if not found:
        return []
    total = sum(n for _, n in found)
    text = f"**{total} non-conformit{'ies' if total != 1 else 'y'}** in {month_label(data.period)}: {_names(found)}."
    if not data.clauses.empty:
        top = data.clauses.sort_values(["non_conformities", "clause"], ascending=[False, True]).iloc[0]
        title = f" ({top['title']})" if top.get("title") else ""
        text += f" Most are under **{top['clause']}**{title}: {int(top['non_conformities'])}."
    return [Point(text, Page.CHECKS, "Checks", _filter([p for p, _ in found], data.period))]


def _findings(data: Overview) -> list[Point]:
    month = data.month()
    findings = data.findings.set_index("processor") if not data.findings.empty else pd.DataFrame()
    points = []

    def of(processor: str, column: str) -> int:
        return _count(findings[column].get(processor)) if column in findings else 0

    unraised = [(str(r.processor), _count(r.non_conformities)) for r in month.itertuples()
                if _count(r.non_conformities) and not of(str(r.processor), "open")]
    if unraised:
        points.append(Point(
            f"**No finding open** for the non-conformities of {_names(unraised)} in {month_label(data.period)}: raise "
            "them so each is tracked with the processor until it is closed (accountability, GDPR Art. 5(2)).",
            Page.FINDINGS, "Raise findings", _filter([p for p, _ in unraised], data.period)))
    overdue = [(str(p), of(str(p), "overdue")) for p in month["processor"] if of(str(p), "overdue")]
    if overdue:
        total = sum(n for _, n in overdue)
        points.append(Point(
            f"**{total} finding{'s' if total != 1 else ''} past {'their' if total != 1 else 'its'} due date** "
            f"without an answer that closes {'them' if total != 1 else 'it'}: {_names(overdue)}.",
            Page.FINDINGS, "Overdue findings", {**_filter([p for p, _ in overdue], data.period), "overdue": "1"}))
    return points


def attention(data: Overview) -> list[Point]:
    """The points needing attention for the Overview's month (and its charted months for the reports), most serious
    first; empty when nothing does. Months without a check run say nothing about deadlines or non-conformities: the page
    asks for a run instead."""
    return [*_reports(data), *_deadlines(data), *_non_conformities(data), *_findings(data)]


def evidence_points(con: duckdb.DuckDBPyConnection, as_of: date, processor: str | None = None) -> list[Point]:
    """Evidence requests unanswered past their due date (SCC 7.6(b): the processor deals promptly with the
    controller's inquiries; GDPR Art. 28(3)(h)), whatever month: one point naming each processor and request."""
    from spotchecks.evidence import overdue_requests  # below findings in the layers; only the Overview asks

    found = overdue_requests(con, as_of, processor)
    if not found:
        return []
    by_processor: dict[str, list[str]] = {}
    for r in found:
        by_processor.setdefault(str(r["processor"]), []).append(
            f"{r['request_id']} (due {r['due_on']:%Y-%m-%d}, {r['cases_answered']}/{r['cases']} cases answered)")
    total = len(found)
    told = "; ".join(f"**{literal(p)}**: {', '.join(rs)}" for p, rs in sorted(by_processor.items()))
    plural = total != 1
    return [Point(f"**{total} evidence request{'s' if plural else ''} unanswered past {'their' if plural else 'its'} "
                  f"due date**: {told}.", Page.SPOTCHECKS, "Evidence requests",
                  _filter(sorted(by_processor)) | {"step": "Sample"})]


def all_clear(data: Overview) -> str:
    """What an empty list means, said so (an empty box would leave the reader guessing)."""
    return (f"Nothing needs attention for {month_label(data.period)}: every report in on time, no case open past "
            "its deadline, no answer late, no non-conformity in the latest check run.")


def for_month(con: duckdb.DuckDBPyConnection, *, processor: str | None = None, period: str | None = None,
              as_of: date) -> tuple[Overview, list[Point]]:
    """The Overview's figures and points for a processor (or all) and a month (default: the latest with data).

    Reports are looked at over the months the Overview charts by default, up to that month (kpi.default_window);
    findings are overdue as of `as_of`. The CLI's `oversight attention` and the Overview page say the same."""
    if processor is not None and processor not in (known := processors(con)):
        raise UnknownProcessor(processor, known)
    months = months_with_data(con, processor)
    if not months:
        raise NoMonth("No report yet, so nothing to tell: ingest a monthly report first (oversight ingest FILE "
                      "--processor NAME, or the dashboard's Reports page).")
    period = period or months[-1]
    if period not in months:
        raise NoMonth(f"No report for {period}{f' from {processor}' if processor else ''}. Months with data: "
                      f"{', '.join(months)}.")
    window = default_window([m for m in months if m <= period])
    assert window is not None  # period is one of months
    data = load(con, processor=processor, start=window[0], end=period, period=period, as_of=as_of)
    return data, attention(data)

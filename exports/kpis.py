"""The pack's key figures of a processor's month: the Overview's own numbers (metrics/), so the dashboard and the
accountability document never disagree, plus the findings log's open and overdue counts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import duckdb

from findings.queries import counts
from metrics.kpi import on_time_rate
from metrics.overview import monthly
from store.db import rows


@dataclass(frozen=True)
class MonthlyKpis:
    """A month's figures; None where there is nothing to count (no report, or no check run yet)."""

    cases: int                   # listed in the month's current report, carried-over cases included
    received: int | None         # received in the month
    answered: int | None         # answered in the month
    open: int | None             # without an answer at the end of the month
    median_days: float | None    # calendar days from receipt to answer, cases answered in the month
    checked: bool
    answered_tested: int | None  # deadline.late_response: answered cases it tested …
    answered_late: int | None    # … and found answered after their deadline
    overdue: int | None
    due_soon: int | None
    non_conformities: int | None
    report: str | None           # on time, late, missing, not checked (metrics.kpi.ReportStatus)
    findings_open: int
    findings_overdue: int

    @property
    def on_time_pct(self) -> float | None:
        rate = on_time_rate(self.answered_tested, self.answered_late)
        return None if rate is None else round(100 * rate, 1)


def _plain(value: object) -> object:
    """A pandas cell as a plain value: NaN and NA become None, numpy numbers Python ones."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value) in ("<NA>", "NaT"):
        return None
    return value.item() if hasattr(value, "item") else value


def monthly_kpis(con: duckdb.DuckDBPyConnection, processor: str, period: str, as_of: date) -> MonthlyKpis:
    """Return the month's figures: metrics.overview's row for the processor and month, and the findings counts."""
    frame = monthly(con, processor=processor, start=period, end=period)
    row = {k: _plain(v) for k, v in frame.iloc[0].items()} if len(frame) else {}
    cases = rows(con, "SELECT count(*) AS n FROM report_cases WHERE processor = $processor AND period = $period",
                 {"processor": processor, "period": period})[0]["n"]
    found = counts(con, processor=processor, period=period, as_of=as_of)

    def count(key: str) -> int | None:
        return None if row.get(key) is None else int(row[key])  # type: ignore[call-overload]

    median = row.get("median_days")
    return MonthlyKpis(
        cases=int(cases), received=count("received"), answered=count("answered"), open=count("open_cases"),
        median_days=None if median is None else round(float(median), 1),  # type: ignore[arg-type]
        checked=bool(row.get("checked")), answered_tested=count("late_tested"), answered_late=count("late_offending"),
        overdue=count("overdue"), due_soon=count("due_soon"), non_conformities=count("non_conformities"),
        report=row.get("report"),  # type: ignore[arg-type]
        findings_open=found["open"], findings_overdue=found["overdue"],
    )

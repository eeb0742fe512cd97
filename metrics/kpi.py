"""The Overview's KPI formulas and month arithmetic, as pure functions (style.md: no arithmetic inside a widget)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

MISSING = "—"  # what a tile shows when there is nothing to divide by, or no check run yet


class ReportStatus(StrEnum):
    """Whether a processor's monthly report came in on time (docs/checks.md: report.late, report.missing)."""

    ON_TIME = "on time"
    LATE = "late"
    MISSING = "missing"          # no report, and a check run named the month in report.missing
    NOT_CHECKED = "not checked"  # a report, but no check run has looked at it yet


def ratio(part: float | None, whole: float | None) -> float | None:
    """Divide safely: None when the whole is zero or unknown (a rate of nothing is not 0 % nor 100 %)."""
    if part is None or whole is None or whole == 0:
        return None
    return part / whole


def on_time_rate(tested: int | None, offending: int | None) -> float | None:
    """Share of answered cases answered by their due date: 1 − late/answered (deadline.late_response counts).

    None when nothing was tested (no answers that month, or no check run). Refuses counts no run can produce.
    """
    if tested is None or offending is None:
        return None
    if tested < 0 or offending < 0 or offending > tested:
        raise ValueError(f"'offending' must be between 0 and 'tested' ({tested}), not {offending}")
    late = ratio(offending, tested)
    return None if late is None else 1 - late


def percent(rate: float | None, digits: int = 1) -> str:
    """Show a rate as a percentage for a tile ("97.5 %"), or a dash when there is none."""
    return MISSING if rate is None else f"{rate * 100:.{digits}f} %"


def days(value: float | None) -> str:
    """Show a number of days for a tile ("12 days", "12.5 days"), or a dash."""
    if value is None:
        return MISSING
    shown = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    return f"{shown} day" if shown == "1" else f"{shown} days"


def rate_floor(rates: Iterable[float | None], step: float = 0.05, ceiling: float = 0.9) -> float:
    """The lower end of a rate axis: at most `ceiling` (90 %), lower in `step`s when a rate is lower, so a fall from
    100 % to 99.6 % is not drawn as a cliff, and a real drop stays on the chart.
    """
    known = [r for r in rates if r is not None and r == r]
    low = min([ceiling, *known])
    return max(0.0, math.floor(round(low / step, 9)) * step)


def month_start(period: str) -> date:
    """The first day of a 'YYYY-MM' period (ValueError naming the period if it is not one)."""
    try:
        year, month = (int(part) for part in period.split("-"))
        return date(year, month, 1)
    except ValueError as exc:
        raise ValueError(f"'period' must be a month as YYYY-MM, not {period!r}") from exc


def month_label(period: str) -> str:
    """Name a 'YYYY-MM' period for people: '2026-10' → 'October 2026'."""
    return f"{month_start(period):%B %Y}"


def default_window(months: Sequence[str], size: int = 6) -> tuple[str, str] | None:
    """The last `size` months that have data (months ascending, as 'YYYY-MM'); None when there are none."""
    if size < 1:
        raise ValueError(f"'size' must be a whole number > 0, not {size}")
    if not months:
        return None
    ordered = sorted(months)
    return ordered[max(0, len(ordered) - size)], ordered[-1]


def window(months: Sequence[str], start: str | None, end: str | None, size: int = 6) -> tuple[str, str] | None:
    """The range of months to chart: the wanted one (e.g. from the URL) when both ends are months with data, in
    either order; else the last `size` months with data.
    """
    if start in months and end in months:
        low, high = sorted((str(start), str(end)))
        return low, high
    return default_window(months, size)


def report_status(*, has_report: bool, checked: bool, late: int | None, missing: bool) -> ReportStatus | None:
    """Say whether a processor's report for a month came in on time; None when it had no report to expect.

    A month without a report is `missing` only when a check run named it (report.missing knows when a processor
    was active); a report not yet checked cannot be called on time or late.
    """
    if not has_report:
        return ReportStatus.MISSING if missing else None
    if not checked or late is None:
        return ReportStatus.NOT_CHECKED
    return ReportStatus.LATE if late > 0 else ReportStatus.ON_TIME


def _total(values: Iterable[object]) -> int | None:
    """Add up counts, skipping unknowns; None when every one is unknown (no check run at all)."""
    known = [int(v) for v in values if v is not None and v == v]  # v == v drops NaN
    return sum(known) if known else None


@dataclass(frozen=True)
class PeriodKpis:
    """The tiles of one month, over every processor in scope. Counts from check runs are None before any run."""

    processors: int
    received: int
    answered: int
    late_tested: int | None
    late_offending: int | None
    open_cases: int
    due_soon: int | None
    overdue: int | None
    non_conformities: int | None
    reports: dict[ReportStatus, int]

    @property
    def on_time(self) -> float | None:
        """Pooled over processors: 1 − Σ late / Σ answered (not the mean of each processor's rate)."""
        return on_time_rate(self.late_tested, self.late_offending)

    @property
    def checked(self) -> bool:
        return self.late_tested is not None


def summarise(rows: Iterable[Mapping[str, object]]) -> PeriodKpis:
    """Add up one month's processor rows (metrics.overview.MONTHLY_COLUMNS) into the Overview's tiles."""
    found = list(rows)
    statuses: dict[ReportStatus, int] = {}
    for r in found:
        status = r.get("report")
        if status:
            statuses[ReportStatus(str(status))] = statuses.get(ReportStatus(str(status)), 0) + 1
    reported = [r for r in found if r.get("has_report")]
    return PeriodKpis(
        processors=len(found),
        received=_total(r["received"] for r in reported) or 0,
        answered=_total(r["answered"] for r in reported) or 0,
        late_tested=_total(r["late_tested"] for r in reported),
        late_offending=_total(r["late_offending"] for r in reported),
        open_cases=_total(r["open_cases"] for r in reported) or 0,
        due_soon=_total(r["due_soon"] for r in reported),
        overdue=_total(r["overdue"] for r in reported),
        non_conformities=_total(r["non_conformities"] for r in found),
        reports=statuses,
    )

"""The monthly key figures of a processor, aggregated in SQL: volume, timeliness, open cases, breaches, findings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from exports.scope import findings_log, table_exists
from store.db import rows


@dataclass(frozen=True)
class MonthlyKpis:
    """A month's figures; None where the source does not exist yet (no check run, no findings log)."""

    cases: int
    answered: int
    open: int
    median_days_to_answer: float | None
    answered_late: int | None
    breaches: int | None
    warnings: int | None
    checks_breached: int | None
    findings_open: int | None
    findings_overdue: int | None

    @property
    def on_time_pct(self) -> float | None:
        return on_time_pct(self.answered, self.answered_late)


def on_time_pct(answered: int, late: int | None) -> float | None:
    """Return the share of answered requests answered by their deadline, in percent to one decimal."""
    if late is None or answered == 0:
        return None
    return round(100 * (answered - late) / answered, 1)


def _cases(con: duckdb.DuckDBPyConnection, processor: str, period: str) -> dict[str, object]:
    # Calendar days from receipt to answer; the deadline itself is the checks' business (Reg. 1182/71).
    return rows(con, """
        SELECT count(*) AS cases, count(responded_on) AS answered, count(*) - count(responded_on) AS open,
               round(median(datediff('day', received_on, responded_on)), 1) AS median_days
        FROM report_cases WHERE processor = $processor AND period = $period""",
                {"processor": processor, "period": period})[0]


def _exceptions(con: duckdb.DuckDBPyConnection, processor: str, period: str) -> dict[str, object] | None:
    if not table_exists(con, "latest_exceptions"):
        return None
    ran = rows(con, "SELECT count(*) AS n FROM latest_check_results WHERE processor = $processor AND period = $period",
               {"processor": processor, "period": period})[0]["n"]
    if not ran:
        return None
    return rows(con, """
        SELECT count(DISTINCT case_id) FILTER (WHERE check_id = 'deadline.late_response') AS late,
               count(*) FILTER (WHERE severity = 'breach') AS breaches,
               count(*) FILTER (WHERE severity = 'warning') AS warnings,
               count(DISTINCT check_id) FILTER (WHERE severity = 'breach') AS checks_breached
        FROM latest_exceptions WHERE processor = $processor AND period = $period""",
                {"processor": processor, "period": period})[0]


def findings_counts(con: duckdb.DuckDBPyConnection, processor: str, period: str | None,
                    as_of: date) -> tuple[int, int] | None:
    """Return (open, overdue) findings of the processor, of one month or all; None without a findings log."""
    if not findings_log(con):
        return None
    from findings.queries import counts

    found = counts(con, processor=processor, period=period, as_of=as_of)
    return found["open"], found["overdue"]


def monthly_kpis(con: duckdb.DuckDBPyConnection, processor: str, period: str, as_of: date) -> MonthlyKpis:
    """Return the month's figures from its current report, its latest check results and the findings log."""
    c = _cases(con, processor, period)
    e = _exceptions(con, processor, period)
    f = findings_counts(con, processor, period, as_of)
    return MonthlyKpis(
        cases=c["cases"], answered=c["answered"], open=c["open"], median_days_to_answer=c["median_days"],
        answered_late=e["late"] if e else None, breaches=e["breaches"] if e else None,
        warnings=e["warnings"] if e else None, checks_breached=e["checks_breached"] if e else None,
        findings_open=f[0] if f else None, findings_overdue=f[1] if f else None,
    )

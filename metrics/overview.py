"""The Overview's queries: small frames aggregated in DuckDB (processors × months), never raw cases.

Sources: the current cases reports (view report_cases), the latest check results and exceptions (newest run per
processor, period and check), and the findings log. A month's numbers come from that month's report:

- received: cases whose received_on falls in the month (what the month's report says arrived);
- answered / median days: cases whose responded_on falls in the month; days are calendar days received → answered;
- open: cases without an answer at the end of the month (the report's own snapshot);
- answered on time, due soon, overdue, report late: deadline.late_response, deadline.due_soon,
  deadline.overdue_open and report.late of the latest check run (docs/checks.md);
- non_conformities: the latest run's critical and major exceptions, by the period they were logged against;
- missing: months that a run's report.missing named (that check logs them against the next report's period).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

from checks.contract import profile_for_processor
from findings.queries import counts as findings_counts
from ingest.queries import periods
from metrics.kpi import on_time_rate, report_status
from store.errors import OversightError
from vocab.severity import NON_CONFORMITIES

LATE, DUE_SOON, OVERDUE = "deadline.late_response", "deadline.due_soon", "deadline.overdue_open"
REPORT_LATE, REPORT_MISSING = "report.late", "report.missing"

# One row per processor and month (the per-processor table, the trend lines and the heat map).
MONTHLY_COLUMNS = ["processor", "period", "has_report", "submitted_on", "received", "answered", "median_days",
                   "open_cases", "checked", "late_tested", "late_offending", "due_soon", "overdue", "report_late",
                   "missing", "non_conformities", "report"]

_MONTHLY_SQL = """
WITH reports AS (
    SELECT p.name AS processor, s.period, max(s.submitted_on) AS submitted_on
    FROM submissions s JOIN processors p USING (processor_id)
    WHERE s.status = 'current' AND s.kind = 'cases' AND s.period BETWEEN $start AND $end
      AND ($processor IS NULL OR p.name = $processor)
    GROUP BY ALL),
answers AS (
    SELECT processor, period,
           count(*) FILTER (WHERE strftime(received_on, '%Y-%m') = period) AS received,
           count(*) FILTER (WHERE strftime(responded_on, '%Y-%m') = period) AS answered,
           median(responded_on - received_on) FILTER (WHERE strftime(responded_on, '%Y-%m') = period)
               AS median_days,
           count(*) FILTER (WHERE responded_on IS NULL) AS open_cases
    FROM report_cases
    WHERE period BETWEEN $start AND $end AND ($processor IS NULL OR processor = $processor)
    GROUP BY ALL),
results AS (
    SELECT processor, period,
           max(cases_tested) FILTER (WHERE check_id = $late) AS late_tested,
           max(cases_offending) FILTER (WHERE check_id = $late) AS late_offending,
           max(cases_offending) FILTER (WHERE check_id = $due_soon) AS due_soon,
           max(cases_offending) FILTER (WHERE check_id = $overdue) AS overdue,
           max(cases_offending) FILTER (WHERE check_id = $report_late) AS report_late
    FROM latest_check_results
    WHERE period BETWEEN $start AND $end AND ($processor IS NULL OR processor = $processor)
    GROUP BY ALL),
non_conformities AS (
    SELECT processor, period, count(*) AS non_conformities FROM latest_exceptions
    WHERE list_contains($non_conformity, severity) AND period BETWEEN $start AND $end
      AND ($processor IS NULL OR processor = $processor)
    GROUP BY ALL),
missing AS (
    SELECT DISTINCT processor, json_extract_string(details, '$.missing_period') AS period FROM latest_exceptions
    WHERE check_id = $report_missing AND ($processor IS NULL OR processor = $processor)),
months AS (
    SELECT processor, period FROM reports
    UNION SELECT processor, period FROM missing WHERE period BETWEEN $start AND $end)
SELECT m.processor, m.period, r.period IS NOT NULL AS has_report, r.submitted_on,
       -- a month without a report has no counts (NULL), a report without answers has 0
       CASE WHEN r.period IS NOT NULL THEN coalesce(a.received, 0) END AS received,
       CASE WHEN r.period IS NOT NULL THEN coalesce(a.answered, 0) END AS answered, a.median_days,
       CASE WHEN r.period IS NOT NULL THEN coalesce(a.open_cases, 0) END AS open_cases,
       c.processor IS NOT NULL AS checked,
       c.late_tested, c.late_offending, c.due_soon, c.overdue, c.report_late,
       x.period IS NOT NULL AS missing,
       CASE WHEN c.processor IS NOT NULL THEN coalesce(b.non_conformities, 0) END AS non_conformities
FROM months m
LEFT JOIN reports r USING (processor, period)
LEFT JOIN answers a USING (processor, period)
LEFT JOIN results c USING (processor, period)
LEFT JOIN non_conformities b USING (processor, period)
LEFT JOIN missing x USING (processor, period)
ORDER BY m.processor, m.period"""


@dataclass(frozen=True)
class Overview:
    """What the Overview page shows for a processor (or all) and a month, with the months around it."""

    period: str                 # the month of the tiles and the per-processor table
    start: str                  # the charts' months, inclusive
    end: str
    monthly: pd.DataFrame       # MONTHLY_COLUMNS, every month of start..end and the period
    volume: pd.DataFrame        # period, request_type, cases (received in the month), start..end and the period
    clauses: pd.DataFrame       # clause, title, non_conformities, checks: the period's non-conformities by clause
    findings: pd.DataFrame      # processor, open, overdue: findings of the period (findings.queries.counts)
    median_days: float | None   # pooled over the processors in scope: days from receipt to answer in the period
    problems: tuple[str, ...] = field(default=())  # e.g. a contract profile that could not be read for titles

    def month(self) -> pd.DataFrame:
        """The per-processor rows of the chosen month."""
        return self.monthly[self.monthly["period"] == self.period].reset_index(drop=True)

    def trend(self) -> pd.DataFrame:
        """The per-processor rows of the charted months."""
        shown = self.monthly["period"].between(self.start, self.end)
        return self.monthly[shown].reset_index(drop=True)

    def received_by_type(self) -> pd.DataFrame:
        """The month's cases received per request type, most first."""
        found = self.volume[self.volume["period"] == self.period]
        return found.sort_values(["cases", "request_type"], ascending=[False, True])[["request_type", "cases"]] \
            .reset_index(drop=True)

    def on_time_trend(self) -> pd.DataFrame:
        """The on-time line chart's data: processor, period, on_time (0..1), answered, late; checked months only."""
        found = self.trend()
        found = found[found["checked"] & found["late_tested"].notna()]
        return pd.DataFrame({
            "processor": found["processor"], "period": found["period"],
            "on_time": [on_time_rate(int(t), int(o)) for t, o in zip(found["late_tested"], found["late_offending"],
                                                                     strict=True)],
            "answered": found["late_tested"].astype("int64"), "late": found["late_offending"].astype("int64"),
        }).reset_index(drop=True)

    def non_conformity_map(self) -> pd.DataFrame:
        """The heat map's data: processor, period, non_conformities (None when unchecked), report status, and the cell's
        label: the non-conformities, else why there is no count ("missing", "not checked").
        """
        found = self.trend()[["processor", "period", "non_conformities", "report"]].copy()
        found["label"] = [str(int(b)) if pd.notna(b) else str(r or "") for b, r in
                          zip(found["non_conformities"], found["report"], strict=True)]
        return found

    def volume_trend(self) -> pd.DataFrame:
        """The volume bar chart's data: period, request_type, cases for the charted months."""
        return self.volume[self.volume["period"].between(self.start, self.end)].reset_index(drop=True)


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> pd.DataFrame:
    cur = con.cursor()  # a cursor of its own: the dashboard shares one connection between sessions
    try:
        return cur.execute(sql, params).df()
    finally:
        cur.close()


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """The newest audit event's number: every ingest, check run and findings change appends one, so a cache keyed
    by it is invalidated by any of them.
    """
    cur = con.cursor()
    try:
        found = cur.execute("SELECT coalesce(max(seq), 0) FROM audit_events").fetchall()
    finally:
        cur.close()
    return int(found[0][0])


def months_with_data(con: duckdb.DuckDBPyConnection, processor: str | None = None) -> list[str]:
    """The months with a current report (of the processor, or any), oldest first."""
    return sorted(periods(con, processor))


def has_check_run(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the checks were ever run on this database."""
    cur = con.cursor()
    try:
        return cur.execute("SELECT count(*) FROM check_runs").fetchall()[0][0] > 0
    finally:
        cur.close()


def monthly(con: duckdb.DuckDBPyConnection, *, processor: str | None, start: str, end: str) -> pd.DataFrame:
    """One row per processor and month from `start` to `end` with a report (or a report flagged missing)."""
    frame = _frame(con, _MONTHLY_SQL, {
        "processor": processor, "start": start, "end": end, "late": LATE, "due_soon": DUE_SOON, "overdue": OVERDUE,
        "report_late": REPORT_LATE, "report_missing": REPORT_MISSING,
        "non_conformity": [s.value for s in NON_CONFORMITIES]})
    frame["report"] = [
        (lambda s: s.value if s else None)(report_status(
            has_report=bool(r.has_report), checked=bool(r.checked),
            late=None if pd.isna(r.report_late) else int(r.report_late), missing=bool(r.missing)))
        for r in frame.itertuples()]
    return frame[MONTHLY_COLUMNS]


def volume_by_type(con: duckdb.DuckDBPyConnection, *, processor: str | None, start: str,
                   end: str) -> pd.DataFrame:
    """Cases received per month and request type, over the processors in scope (at most months × 10 rows)."""
    return _frame(con, """
        SELECT period, request_type, count(*) AS cases FROM report_cases
        WHERE period BETWEEN $start AND $end AND ($processor IS NULL OR processor = $processor)
          AND strftime(received_on, '%Y-%m') = period
        GROUP BY ALL ORDER BY period, request_type""", {"processor": processor, "start": start, "end": end})


def median_days(con: duckdb.DuckDBPyConnection, *, processor: str | None, period: str) -> float | None:
    """Median calendar days from receipt to answer of the cases answered in the month, pooled over processors."""
    found = _frame(con, """
        SELECT median(responded_on - received_on) AS days FROM report_cases
        WHERE period = $period AND ($processor IS NULL OR processor = $processor)
          AND strftime(responded_on, '%Y-%m') = period""", {"processor": processor, "period": period})
    value = found["days"].iloc[0]
    return None if pd.isna(value) else float(value)


def non_conformities_by_clause(con: duckdb.DuckDBPyConnection, *, processor: str | None, period: str) -> pd.DataFrame:
    """The month's non-conformities (critical and major exceptions) per processor and contract clause, with how many
    checks produced them."""
    return _frame(con, """
        SELECT processor, clause, count(*) AS non_conformities, count(DISTINCT check_id) AS checks
        FROM latest_exceptions
        WHERE list_contains($non_conformity, severity) AND period = $period
          AND ($processor IS NULL OR processor = $processor)
        GROUP BY ALL ORDER BY processor, clause""",
                  {"non_conformity": [s.value for s in NON_CONFORMITIES], "processor": processor, "period": period})


def clause_titles(con: duckdb.DuckDBPyConnection, names: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """The clause register's titles (ref → title) of the processors' contract profiles, and the problems met.

    A profile that cannot be read costs only its titles: its message is returned, the Overview goes on.
    """
    titles: dict[str, str] = {}
    problems: list[str] = []
    for name in sorted(set(names)):
        try:
            register = profile_for_processor(con, name).clauses
        except OversightError as exc:
            problems.append(f"Clause titles of {name} are not shown: {exc}")
            continue
        for ref, clause in register.items():
            titles.setdefault(str(ref), clause.title)
    return titles, problems


def by_clause(non_conformities: pd.DataFrame, titles: dict[str, str]) -> pd.DataFrame:
    """Add up the processors' non-conformities per clause, most first, with each clause's title."""
    columns = ["clause", "title", "non_conformities", "checks"]
    if non_conformities.empty:
        return pd.DataFrame(columns=columns)
    total = non_conformities.groupby("clause", as_index=False).agg(non_conformities=("non_conformities", "sum"),
                                                                   checks=("checks", "max"))
    total["title"] = total["clause"].map(lambda ref: titles.get(str(ref)))
    return total.sort_values(["non_conformities", "clause"], ascending=[False, True])[columns].reset_index(drop=True)


def findings_by_processor(con: duckdb.DuckDBPyConnection, names: Iterable[str], *, period: str,
                          as_of: date) -> pd.DataFrame:
    """Findings of the month still open, and overdue as of `as_of`, per processor (findings.queries.counts)."""
    records = [{"processor": name, **findings_counts(con, processor=name, period=period, as_of=as_of)}
               for name in sorted(set(names))]
    return pd.DataFrame(records, columns=["processor", "open", "overdue", "total"])


def load(con: duckdb.DuckDBPyConnection, *, processor: str | None, start: str, end: str, period: str,
         as_of: date) -> Overview:
    """Everything the Overview shows: `period` for the tiles and table, `start`..`end` for the charts.

    Findings are overdue as of `as_of` (today, on the page). Monthly rows also cover `period` when it lies
    outside the charted months.
    """
    low, high = min(start, period), max(end, period)
    months = monthly(con, processor=processor, start=low, end=high)
    in_month = months[months["period"] == period]
    non_conformities = non_conformities_by_clause(con, processor=processor, period=period)
    titles, problems = clause_titles(con, non_conformities["processor"])
    names = in_month["processor"] if processor is None else [processor]
    return Overview(
        period=period, start=start, end=end, monthly=months,
        volume=volume_by_type(con, processor=processor, start=low, end=high),
        clauses=by_clause(non_conformities, titles),
        findings=findings_by_processor(con, names, period=period, as_of=as_of),
        median_days=median_days(con, processor=processor, period=period),
        problems=tuple(problems))

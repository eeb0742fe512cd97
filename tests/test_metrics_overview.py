"""The Overview's numbers on the checked demo, each recomputed here from raw rows; and its pure KPI formulas.

Reference values come from the raw cases (report_cases read row by row and counted in Python), the stored
exceptions, and sample_reports/manifest.toml (submission dates; report due day 10 of the next month, docs/checks.md).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from checks.runner import run_checks
from findings.lifecycle import is_overdue
from findings.raising import raise_from_checks
from ingest.demo import manifest
from metrics import kpi
from metrics.kpi import ReportStatus
from metrics.overview import (
    MONTHLY_COLUMNS,
    by_clause,
    clause_titles,
    data_version,
    findings_by_processor,
    has_check_run,
    load,
    median_days,
    monthly,
    months_with_data,
    non_conformities_by_clause,
    volume_by_type,
)
from store.db import connect
from store.identity import ROLES, User
from tests.conftest import DemoFiles, copy_demo

README = Path(__file__).resolve().parents[1] / "sample_reports" / "README.md"
OFFICER = User("olivia", ROLES)
APPELIA, BELCALL = "Appelia Services SRL", "Belcall Antwerpen BV"
FIRST, LAST = "2026-07", "2026-10"


@pytest.fixture
def demo(checked_demo: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Here the demo is checked: a connection to conftest's copy of the checked demo (as of each period's last day),
    free to change."""
    return checked_demo


# GDPR Art. 12(3) sets its month for the rights of Arts 15-22 only (checks/catalog.py, STATUTORY).
STATUTORY_TYPES = {"access", "rectification", "erasure", "restriction", "portability", "objection", "marketing_opt_out"}


def raw_cases(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    cur = con.cursor()
    result = cur.execute("SELECT processor, period, case_id, received_on, request_type, responded_on "
                         "FROM report_cases")
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def raw_exceptions(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str, str]]:
    return con.cursor().execute("SELECT processor, period, check_id, severity, clause FROM latest_exceptions") \
        .fetchall()


def in_month(day: date | None, period: str) -> bool:
    return day is not None and f"{day:%Y-%m}" == period


def by_key(frame) -> dict[tuple[str, str], dict[str, object]]:
    return {(r["processor"], r["period"]): r for r in frame.to_dict("records")}


# --- the monthly frame: one row per processor and month --------------------------------------------------------------

def test_monthly_counts_match_the_raw_cases_of_each_months_report(demo: duckdb.DuckDBPyConnection) -> None:
    rows = by_key(monthly(demo, processor=None, start=FIRST, end=LAST))
    cases = raw_cases(demo)
    reported = {(c["processor"], c["period"]) for c in cases}
    assert reported <= set(rows)
    for key in reported:
        mine = [c for c in cases if (c["processor"], c["period"]) == key]
        answered = [c for c in mine if in_month(c["responded_on"], key[1])]
        row = rows[key]
        assert row["received"] == sum(in_month(c["received_on"], key[1]) for c in mine)
        assert row["answered"] == len(answered)
        assert row["open_cases"] == sum(c["responded_on"] is None for c in mine)
        assert row["median_days"] == statistics.median((c["responded_on"] - c["received_on"]).days
                                                       for c in answered)


def test_on_time_counts_are_the_answered_cases_and_the_late_response_exceptions(
        demo: duckdb.DuckDBPyConnection) -> None:
    rows = by_key(monthly(demo, processor=None, start=FIRST, end=LAST))
    cases = raw_cases(demo)
    found = Counter((p, m, check) for p, m, check, _, _ in raw_exceptions(demo))
    for (processor, period), row in rows.items():
        if not row["has_report"]:
            continue
        # deadline.late_response tests every answered request of a right of Arts 15-22 the month's report lists
        assert row["late_tested"] == sum(c["responded_on"] is not None and c["request_type"] in STATUTORY_TYPES
                                         for c in cases if (c["processor"], c["period"]) == (processor, period))
        assert row["late_offending"] == found[(processor, period, "deadline.late_response")]
        assert row["due_soon"] == found[(processor, period, "deadline.due_soon")]
        assert row["overdue"] == found[(processor, period, "deadline.overdue_open")]
    assert sum(row["late_offending"] for row in rows.values() if row["has_report"]) > 0  # the demo plants some


def test_breaches_per_processor_and_month_count_the_latest_breach_exceptions(
        demo: duckdb.DuckDBPyConnection) -> None:
    rows = by_key(monthly(demo, processor=None, start=FIRST, end=LAST))
    breaches = Counter((p, m) for p, m, _, severity, _ in raw_exceptions(demo) if severity in ("critical", "major"))
    for key, row in rows.items():
        if row["has_report"]:
            assert row["non_conformities"] == breaches[key], key


def submissions_in_readme() -> dict[tuple[str, str], date]:
    """(processor, period) → submission date of the current report, from sample_reports/README.md's file table."""
    current: dict[tuple[str, str], date] = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        period = re.search(r"\d{4}-\d{2}", cells[2]) if len(cells) == 5 else None
        submitted = re.search(r"\d{4}-\d{2}-\d{2}", cells[3]) if len(cells) == 5 else None
        if period and submitted:  # in load order: a resubmission replaces the earlier report
            current[(cells[0], period.group())] = date.fromisoformat(submitted.group())
    return current


def test_report_status_follows_the_readmes_submission_dates(demo: duckdb.DuckDBPyConnection) -> None:
    rows = by_key(monthly(demo, processor=None, start=FIRST, end=LAST))
    current = submissions_in_readme()
    assert len(current) == len({(r.processor, r.period or r.path.stem[-7:]) for r in manifest()})
    for (processor, period), submitted in current.items():
        year, month = (int(x) for x in period.split("-"))
        due = date(year + month // 12, month % 12 + 1, 10)  # day 10 of the next month (report_due_day)
        assert rows[(processor, period)]["report"] == ("late" if submitted > due else "on time"), (processor, period)
    # No Appelia report for September (sample_reports/README.md): a row of its own, flagged missing, without counts.
    gap = rows[(APPELIA, "2026-09")]
    assert (gap["has_report"], gap["report"], gap["received"], gap["non_conformities"]) == (
        False, "missing", None, None)
    assert len(rows) == len(current) + 1


def test_monthly_frame_keeps_to_the_processor_and_months_asked(demo: duckdb.DuckDBPyConnection) -> None:
    frame = monthly(demo, processor=BELCALL, start="2026-08", end="2026-09")
    assert list(frame.columns) == MONTHLY_COLUMNS
    assert [(r.processor, r.period) for r in frame.itertuples()] == [(BELCALL, "2026-08"), (BELCALL, "2026-09")]


def test_a_report_not_yet_checked_has_its_counts_but_no_check_numbers(demo_files: DemoFiles, tmp_path: Path) -> None:
    con = connect(copy_demo(demo_files, tmp_path / "fresh.duckdb"))
    assert not has_check_run(con)
    row = by_key(monthly(con, processor=None, start=LAST, end=LAST))[(BELCALL, LAST)]
    assert row["received"] > 0 and not row["checked"]
    assert (row["late_tested"], row["non_conformities"], row["report"]) == (None, None, "not checked")
    con.close()


# --- volumes, medians, clauses, findings ----------------------------------------------------------------------------

def test_volume_by_type_counts_cases_received_in_their_month(demo: duckdb.DuckDBPyConnection) -> None:
    frame = volume_by_type(demo, processor=APPELIA, start=FIRST, end=LAST)
    expected = Counter((c["period"], c["request_type"]) for c in raw_cases(demo)
                       if c["processor"] == APPELIA and in_month(c["received_on"], str(c["period"])))
    assert {(r.period, r.request_type): r.cases for r in frame.itertuples()} == dict(expected)


def test_pooled_median_is_over_every_processors_answers_not_a_median_of_medians(
        demo: duckdb.DuckDBPyConnection) -> None:
    days = [(c["responded_on"] - c["received_on"]).days for c in raw_cases(demo)
            if c["period"] == LAST and in_month(c["responded_on"], LAST)]
    assert median_days(demo, processor=None, period=LAST) == statistics.median(days)
    assert median_days(demo, processor=BELCALL, period="2026-01") is None


def test_non_conformities_by_clause_add_up_to_the_months_breaches_with_the_registers_titles(
        demo: duckdb.DuckDBPyConnection) -> None:
    raw = non_conformities_by_clause(demo, processor=None, period=LAST)
    titles, problems = clause_titles(demo, raw["processor"])
    table = by_clause(raw, titles)
    expected = Counter(clause for _, period, _, severity, clause in raw_exceptions(demo)
                       if period == LAST and severity in ("critical", "major"))
    assert dict(zip(table["clause"], table["non_conformities"], strict=True)) == dict(expected)
    assert list(table["non_conformities"]) == sorted(table["non_conformities"], reverse=True)
    # Implementing Decision (EU) 2021/915, Clause 8: "Assistance to the controller"
    assert table.set_index("clause").loc["SCC 8(b)", "title"] == "Assistance to the controller"
    assert problems == []


def test_an_unreadable_profile_costs_only_its_clause_titles(demo: duckdb.DuckDBPyConnection) -> None:
    demo.execute("UPDATE processors SET profile = 'no-such-profile' WHERE name = $name", {"name": BELCALL})
    titles, problems = clause_titles(demo, [BELCALL, APPELIA])
    assert titles["SCC 8(b)"] == "Assistance to the controller"  # from Appelia's profile
    assert len(problems) == 1 and problems[0].startswith(f"Clause titles of {BELCALL} are not shown: ")
    assert "no-such-profile" in problems[0]


def test_findings_open_and_overdue_per_processor(demo: duckdb.DuckDBPyConnection) -> None:
    raised_on = date(2026, 11, 12)
    raise_from_checks(demo, OFFICER, processor=BELCALL, period=LAST, today=raised_on)
    found = demo.cursor().execute("SELECT processor, status, due_on FROM findings WHERE period = $p",
                                  {"p": LAST}).fetchall()
    assert found, "the demo's October breaches raise findings"
    first_due = min(due for _, _, due in found)
    for as_of in (raised_on, first_due + timedelta(days=1)):
        frame = findings_by_processor(demo, [APPELIA, BELCALL], period=LAST, as_of=as_of).set_index("processor")
        mine = [(status, due) for processor, status, due in found if processor == BELCALL]
        assert frame.loc[BELCALL, "open"] == len(mine)
        assert frame.loc[BELCALL, "overdue"] == sum(is_overdue(s, d, as_of) for s, d in mine)
        assert (frame.loc[APPELIA, "open"], frame.loc[APPELIA, "overdue"]) == (0, 0)
    assert frame.loc[BELCALL, "overdue"] > 0  # the day after the first due date


# --- the whole load, and what the charts get -------------------------------------------------------------------------

def test_load_gives_the_tiles_period_and_the_charted_months(demo: duckdb.DuckDBPyConnection) -> None:
    data = load(demo, processor=None, start="2026-08", end="2026-09", period=LAST, as_of=date(2026, 11, 12))
    assert set(data.month()["period"]) == {LAST}  # outside the charted months, and still loaded
    assert set(data.trend()["period"]) == {"2026-08", "2026-09"}
    assert set(data.volume_trend()["period"]) == {"2026-08", "2026-09"}
    tiles = kpi.summarise(data.month().to_dict("records"))
    month = [c for c in raw_cases(demo) if c["period"] == LAST]
    assert tiles.received == sum(in_month(c["received_on"], LAST) for c in month)
    assert tiles.received == int(data.received_by_type()["cases"].sum())
    assert tiles.non_conformities == int(data.clauses["non_conformities"].sum())
    assert tiles.reports == {ReportStatus.ON_TIME: 2}


def test_chart_data_is_aggregated_whatever_the_number_of_cases(demo: duckdb.DuckDBPyConnection) -> None:
    def charts() -> tuple[int, int, int, int]:
        data = load(demo, processor=None, start=FIRST, end=LAST, period=LAST, as_of=date(2026, 11, 12))
        return (len(data.on_time_trend()), len(data.non_conformity_map()), len(data.volume_trend()),
                int(data.volume_trend()["cases"].sum()))

    before = charts()
    # 2 processors × 4 months (one of them missing), 10 request types: tens of rows, never the cases
    assert before[:3] == (7, 8, len({(c["period"], c["request_type"]) for c in raw_cases(demo)
                                     if in_month(c["received_on"], str(c["period"]))}))
    assert max(before[:3]) <= 300
    # Twenty times the cases: the same chart rows, twenty times the counts.
    demo.execute("""INSERT INTO cases SELECT c.* REPLACE (c.case_id || '-x' || n AS case_id)
                    FROM cases c, range(19) t(n)""")
    after = charts()
    assert after[:3] == before[:3]
    assert after[3] == 20 * before[3]


def test_data_version_moves_with_every_check_run(demo: duckdb.DuckDBPyConnection) -> None:
    before = data_version(demo)
    run_checks(demo, OFFICER, processor=BELCALL, period=LAST)
    assert data_version(demo) > before


def test_an_empty_database_has_no_months_and_version_zero(tmp_path: Path) -> None:
    con = connect(tmp_path / "empty.duckdb")
    assert (months_with_data(con), data_version(con), has_check_run(con)) == ([], 0, False)
    assert monthly(con, processor=None, start=FIRST, end=LAST).empty
    con.close()


def test_months_with_data_are_oldest_first_per_processor(demo: duckdb.DuckDBPyConnection) -> None:
    assert months_with_data(demo, APPELIA) == ["2026-07", "2026-08", "2026-10"]
    assert months_with_data(demo) == ["2026-07", "2026-08", "2026-09", "2026-10"]


# --- pure KPI formulas ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("part", "whole", "expected"), [(1, 4, 0.25), (0, 3, 0.0), (3, 0, None), (None, 3, None),
                                                         (2, None, None)])
def test_ratio_is_none_when_there_is_nothing_to_divide_by(part, whole, expected) -> None:
    assert kpi.ratio(part, whole) == expected


def test_on_time_rate_is_one_minus_late_over_answered() -> None:
    assert kpi.on_time_rate(264, 1) == pytest.approx(263 / 264)
    assert kpi.on_time_rate(10, 0) == 1.0
    assert kpi.on_time_rate(0, 0) is None  # nothing answered: no rate, not 100 %
    assert kpi.on_time_rate(None, None) is None


@pytest.mark.parametrize(("tested", "offending"), [(3, 4), (-1, 0), (5, -1)])
def test_on_time_rate_refuses_counts_no_run_produces(tested: int, offending: int) -> None:
    with pytest.raises(ValueError, match="'offending' must be between 0 and 'tested'"):
        kpi.on_time_rate(tested, offending)


def test_pooled_on_time_weights_processors_by_their_answers() -> None:
    rows = [{"has_report": True, "received": 10, "answered": 100, "late_tested": 100, "late_offending": 10,
             "open_cases": 1, "due_soon": 0, "overdue": 0, "non_conformities": 10, "report": "on time"},
            {"has_report": True, "received": 5, "answered": 10, "late_tested": 10, "late_offending": 0,
             "open_cases": 2, "due_soon": 1, "overdue": 1, "non_conformities": 1, "report": "late"}]
    tiles = kpi.summarise(rows)
    assert tiles.on_time == pytest.approx(1 - 10 / 110)  # not the mean of 90 % and 100 %
    assert (tiles.received, tiles.open_cases, tiles.due_soon, tiles.overdue, tiles.non_conformities) == (
        15, 3, 1, 1, 11)
    assert tiles.reports == {ReportStatus.ON_TIME: 1, ReportStatus.LATE: 1}


def test_summary_without_any_check_run_has_no_check_numbers() -> None:
    rows = [{"has_report": True, "received": 3, "answered": 2, "late_tested": None, "late_offending": None,
             "open_cases": 1, "due_soon": None, "overdue": None, "non_conformities": None, "report": "not checked"},
            {"has_report": False, "received": None, "answered": None, "late_tested": None, "late_offending": None,
             "open_cases": None, "due_soon": None, "overdue": None, "non_conformities": float("nan"),
             "report": "missing"}]
    tiles = kpi.summarise(rows)
    assert (tiles.received, tiles.on_time, tiles.due_soon, tiles.non_conformities, tiles.checked) == (
        3, None, None, None, False)
    assert tiles.reports == {ReportStatus.NOT_CHECKED: 1, ReportStatus.MISSING: 1}


@pytest.mark.parametrize(("has_report", "checked", "late", "missing", "expected"), [
    (True, True, 0, False, ReportStatus.ON_TIME),
    (True, True, 1, False, ReportStatus.LATE),
    (True, False, None, False, ReportStatus.NOT_CHECKED),
    (False, False, None, True, ReportStatus.MISSING),
    (False, False, None, False, None),  # before the processor's first report: nothing was expected
])
def test_report_status(has_report, checked, late, missing, expected) -> None:
    assert kpi.report_status(has_report=has_report, checked=checked, late=late, missing=missing) == expected


def test_default_window_is_the_last_six_months_with_data() -> None:
    months = [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01", "2026-03"]  # 2026-02 has no report
    assert kpi.default_window(months) == ("2025-09", "2026-03")  # six months with data: 2025-09..12, 2026-01, 03
    assert kpi.default_window(months[:3]) == ("2025-01", "2025-03")
    assert kpi.default_window([]) is None
    with pytest.raises(ValueError, match="'size' must be a whole number > 0"):
        kpi.default_window(months, 0)


def test_window_takes_wanted_months_in_either_order_and_falls_back_on_unknown_ones() -> None:
    months = ["2026-07", "2026-08", "2026-09", "2026-10"]
    assert kpi.window(months, "2026-09", "2026-07") == ("2026-07", "2026-09")
    assert kpi.window(months, "2026-08", "2026-08") == ("2026-08", "2026-08")
    assert kpi.window(months, "2026-13", "2026-08") == ("2026-07", "2026-10")  # a mistyped URL: the default
    assert kpi.window(months, None, None, size=2) == ("2026-09", "2026-10")


def test_month_labels_and_shown_values() -> None:
    assert kpi.month_label("2026-10") == "October 2026"
    with pytest.raises(ValueError, match="'period' must be a month as YYYY-MM, not '2026-13'"):
        kpi.month_label("2026-13")
    assert (kpi.percent(263 / 264), kpi.percent(None), kpi.percent(1.0)) == ("99.6 %", "—", "100.0 %")
    assert (kpi.days(6.0), kpi.days(6.5), kpi.days(1.0), kpi.days(None)) == ("6 days", "6.5 days", "1 day", "—")


def test_rate_axis_starts_at_90_percent_unless_a_rate_is_lower() -> None:
    assert kpi.rate_floor([0.996, 1.0]) == 0.9
    assert kpi.rate_floor([0.82, None]) == pytest.approx(0.8)
    assert kpi.rate_floor([0.85]) == pytest.approx(0.85)
    assert kpi.rate_floor([]) == 0.9

"""The Overview page in AppTest: the landing page on first start, its tiles, links, charts, filters and empty states.

Every number shown is recomputed here from the database the page reads (raw SQL over report_cases, check results
and exceptions), never hard-coded.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from urllib.parse import parse_qs

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Element

from checks.runner import run_checks
from store.identity import ROLES, User
from tests.conftest import AppEnv

ROOT = Path(__file__).resolve().parent.parent
OFFICER = User("olivia", ROLES)
APPELIA, BELCALL = "Appelia Services SRL", "Belcall Antwerpen BV"
NO_REPORT = "No report yet — upload one on the Reports page."
CHART_ROWS = 300  # "a few hundred rows at most" per chart (docs/architecture.md: aggregate in SQL)


# Every test runs the dashboard on its db_path, with no users configured (conftest.app_env).
pytestmark = pytest.mark.usefixtures("app_env")


@pytest.fixture
def checked(app_env: AppEnv, checked_demo_db: Path) -> Path:
    """The page's database: conftest's copy of the demo with one check run (as of each period's end)."""
    return checked_demo_db


@pytest.fixture
def unchecked(app_env: AppEnv, demo_db: Path) -> Path:
    """The page's database: conftest's copy of the demo without a check run."""
    return demo_db


def open_overview(**query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    assert not at.error, text(at.error)
    return at


def text(elements: Iterable[Element]) -> str:
    return "\n".join(str(e.value) for e in elements)


def tiles(at: AppTest) -> dict[str, str]:
    return {m.label: str(m.value) for m in at.metric}


def links(at: AppTest) -> list[tuple[str, str, dict[str, list[str]]]]:
    """(label, page url path, query params) of every page link."""
    return [(e.proto.label, e.proto.page, parse_qs(e.proto.query_string)) for e in at.get("page_link")]


def charts(at: AppTest) -> list[pd.DataFrame]:
    """The data each Altair chart ships to the browser, read from the element's proto."""
    found = [e for e in at.main if type(e).__name__ == "UnknownElement" and hasattr(e.proto, "spec")]
    frames = []
    for chart in found:
        (dataset,) = chart.proto.datasets  # one dataset per chart: layers share it
        frames.append(pa.ipc.open_stream(dataset.data.data).read_all().to_pandas())
    return frames


def sql(db: Path, query: str, params: dict[str, object] | None = None) -> list[tuple]:
    con = duckdb.connect(str(db))  # the app's own connection is in this process: DuckDB shares the instance
    try:
        return con.execute(query, params or {}).fetchall()
    finally:
        con.close()


def received(db: Path, period: str, processor: str | None = None) -> int:
    return sql(db, "SELECT count(*) FROM report_cases WHERE period = $p AND strftime(received_on, '%Y-%m') = $p "
                   "AND ($proc IS NULL OR processor = $proc)", {"p": period, "proc": processor})[0][0]


def on_time(db: Path, period: str, processor: str | None = None) -> str:
    tested, late = sql(db, "SELECT sum(cases_tested), sum(cases_offending) FROM latest_check_results "
                           "WHERE check_id = 'deadline.late_response' AND period = $p "
                           "AND ($proc IS NULL OR processor = $proc)", {"p": period, "proc": processor})[0]
    return f"{(1 - late / tested) * 100:.1f} %"


# --- first start ---------------------------------------------------------------------------------------------------

def test_first_start_lands_on_the_overview_with_the_demo_checked(db_path: Path) -> None:
    at = open_overview()
    assert [t.value for t in at.title] == ["Overview"]
    assert "The demo reports from sample_reports/ were loaded" in text(at.info)
    # one run over every report, as of each period's last day
    assert sql(db_path, "SELECT processor, period, as_of FROM check_runs") == [(None, None, None)]
    shown = tiles(at)
    assert shown["Cases received"] == str(received(db_path, "2026-10"))
    assert shown["Answered on time"] == on_time(db_path, "2026-10")
    assert "No check run" not in text(at.info)
    at.run()  # a rerun does not run the checks again
    assert len(sql(db_path, "SELECT run_id FROM check_runs")) == 1


# --- the checked demo ----------------------------------------------------------------------------------------------

def test_tiles_show_the_latest_month_over_all_processors(checked: Path) -> None:
    at = open_overview()
    assert "No period chosen: the numbers are for October 2026" in text(at.caption)
    assert next(s.value for s in at.subheader) == "All processors, October 2026"
    shown = tiles(at)
    assert shown["Cases received"] == str(received(checked, "2026-10"))
    assert shown["Answered on time"] == on_time(checked, "2026-10")
    due_soon, overdue = (sql(checked, "SELECT count(*) FROM latest_exceptions WHERE check_id = $c AND period = "
                                      "'2026-10'", {"c": c})[0][0]
                         for c in ("deadline.due_soon", "deadline.overdue_open"))
    assert shown["Due soon · overdue"] == f"{due_soon} · {overdue}"
    non_conformities = sql(checked, "SELECT count(*) FROM latest_exceptions "
                                    "WHERE severity IN ('critical', 'major') AND period = '2026-10'")[0][0]
    assert shown["Non-conformities"] == str(non_conformities)
    assert shown["Open at month end"] == str(sql(checked, "SELECT count(*) FROM report_cases WHERE period = "
                                                          "'2026-10' AND responded_on IS NULL")[0][0])
    assert shown["Reports on time"] == "2 of 2"
    assert (shown["Findings open"], shown["Findings overdue"]) == ("0", "0")


def test_breakdowns_and_the_per_processor_table(checked: Path) -> None:
    at = open_overview()
    by_type = next(df.value for df in at.dataframe if "request type" in df.value.columns)
    assert int(by_type["cases"].sum()) == received(checked, "2026-10")
    by_clause = next(df.value for df in at.dataframe if "clause" in df.value.columns)
    expected = dict(sql(checked, "SELECT clause, count(*) FROM latest_exceptions "
                                 "WHERE severity IN ('critical', 'major') AND period = '2026-10' GROUP BY clause"))
    assert dict(zip(by_clause["clause"], by_clause["non_conformities"], strict=True)) == expected
    assert by_clause.set_index("clause").loc["SCC 8(b)", "title"] == "Assistance to the controller"
    table = next(df.value for df in at.dataframe if "processor" in df.value.columns).set_index("processor")
    assert list(table.index) == [APPELIA, BELCALL]
    for name in (APPELIA, BELCALL):
        assert table.loc[name, "received"] == received(checked, "2026-10", name)
        assert table.loc[name, "answered on time"] == on_time(checked, "2026-10", name)
        assert table.loc[name, "report"] == "on time"


def test_every_number_links_to_the_page_that_explains_it(checked: Path) -> None:
    at = open_overview(processor=BELCALL)
    found = links(at)
    pages = {label: page for label, page, _ in found}
    assert pages["Reports"] == "reports" and pages["Deadline checks"] == "checks"
    assert pages["Due list"] == "checks" and pages["Findings"] == "findings"
    assert pages["Clause coverage"] == "contract"
    for _, _, query in found:
        assert query["processor"] == [BELCALL] and query["period"] == ["2026-10"]
    assert next(q for label, _, q in found if label == "Overdue findings")["overdue"] == ["1"]
    assert len(found) >= 9


def test_charts_get_aggregated_rows_only(checked: Path) -> None:
    at = open_overview()
    on_time_rows, heat, volume = charts(at)
    cases = sql(checked, "SELECT count(*) FROM report_cases")[0][0]
    for frame in (on_time_rows, heat, volume):
        assert len(frame) <= CHART_ROWS < cases
    # one point per processor and checked month; one cell per processor and month (Appelia's missing September too)
    assert sorted(zip(on_time_rows["processor"], on_time_rows["period"], strict=True)) == sorted(
        sql(checked, "SELECT DISTINCT processor, period FROM latest_check_results"))
    assert len(heat) == len(on_time_rows) + 1
    assert heat.set_index(["processor", "period"]).loc[(APPELIA, "2026-09"), "label"] == "missing"
    expected = dict(((p, t), n) for p, t, n in sql(
        checked, "SELECT period, request_type, count(*) FROM report_cases "
                 "WHERE strftime(received_on, '%Y-%m') = period GROUP BY ALL"))
    assert dict(zip(zip(volume["period"], volume["request_type"], strict=True), volume["cases"],
                    strict=True)) == expected


# --- filters in the URL --------------------------------------------------------------------------------------------

def test_shared_url_opens_the_filtered_view(checked: Path) -> None:
    at = open_overview(processor=BELCALL, period="2026-09", **{"from": "2026-08", "to": "2026-09"})
    assert [s.value for s in at.sidebar.selectbox] == [BELCALL, "2026-09"]
    assert at.sidebar.select_slider[0].value == ("2026-08", "2026-09")
    assert next(s.value for s in at.subheader) == "Belcall Antwerpen BV, September 2026"
    assert tiles(at)["Cases received"] == str(received(checked, "2026-09", BELCALL))
    table = next(df.value for df in at.dataframe if "processor" in df.value.columns)
    assert list(table["processor"]) == [BELCALL]
    for frame in charts(at):
        assert set(frame["period"]) == {"2026-08", "2026-09"}
    assert [at.query_params[k] for k in ("processor", "period", "from", "to")] == [BELCALL, "2026-09", "2026-08",
                                                                                   "2026-09"]


def test_changing_the_months_goes_into_the_url_and_back_to_default_leaves_it(checked: Path) -> None:
    at = open_overview()
    assert "from" not in at.query_params  # the default (last six months with data) keeps the URL clean
    at.sidebar.select_slider[0].set_value(("2026-07", "2026-08")).run()
    assert (at.query_params["from"], at.query_params["to"]) == ("2026-07", "2026-08")
    assert set(charts(at)[2]["period"]) == {"2026-07", "2026-08"}


def test_selecting_a_processors_row_focuses_the_page_on_it(checked: Path) -> None:
    at = open_overview()
    at.session_state["overview_table:None"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert at.sidebar.selectbox[0].value == BELCALL
    assert at.query_params["processor"] == BELCALL
    assert tiles(at)["Cases received"] == str(received(checked, "2026-10", BELCALL))


# --- empty states and the cache ------------------------------------------------------------------------------------

def test_empty_database_says_to_upload_a_report(db_path: Path) -> None:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90)
    at.session_state["demo_checked"] = True  # as if the demo had been declined: nothing loaded
    at.run()
    assert not at.exception
    assert NO_REPORT in text(at.info)
    assert [(label, page) for label, page, _ in links(at)] == [("Upload a report", "reports")]
    assert not at.metric and not charts(at)


def test_reports_without_a_check_run_say_so_and_link_to_the_checks(unchecked: Path) -> None:
    at = open_overview(processor=APPELIA)
    assert "No check run for October 2026 yet — run the checks on the Checks page" in text(at.info)
    assert ("Run the checks", "checks") in [(label, page) for label, page, _ in links(at)]
    shown = tiles(at)
    assert shown["Cases received"] == str(received(unchecked, "2026-10", APPELIA))
    assert (shown["Answered on time"], shown["Non-conformities"], shown["Due soon · overdue"]) == ("—", "—", "— · —")
    assert not sql(unchecked, "SELECT * FROM check_runs")  # looking is not running: no first start here


def test_a_check_run_elsewhere_refreshes_the_cached_numbers(unchecked: Path) -> None:
    at = open_overview(processor=APPELIA)
    assert tiles(at)["Answered on time"] == "—"
    con = duckdb.connect(str(unchecked))
    try:
        run_checks(con, OFFICER, processor=APPELIA)  # appends an audit event: a new data version
    finally:
        con.close()
    at.run()
    assert tiles(at)["Answered on time"] == on_time(unchecked, "2026-10", APPELIA)
    assert "No check run" not in text(at.info)

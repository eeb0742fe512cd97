"""The Checks page in AppTest, on the demo loaded at first start: run, every check listed, a check's cases, roles.

Reference values are the planted exceptions in sample_reports/README.md (default profile, Belgian calendar).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Element

from checks.catalog import BY_ID, CHECKS
from checks.profiles import load_profile
from checks.wording import fill
from tests.conftest import with_db

ROOT = Path(__file__).resolve().parent.parent
BELCALL = "Belcall Antwerpen BV"

# Every test runs the dashboard on its db_path: empty at first, so the first start loads the demo (conftest.app_env).
pytestmark = pytest.mark.usefixtures("app_env")


def open_checks(**query: str) -> AppTest:
    """Start the dashboard (the first start loads the demo) with URL filters, and go to the Checks page."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).switch_page("app/checks.py")
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception
    assert [s.value for s in at.sidebar.selectbox][: len(query)] == list(query.values())
    return at


def messages(elements: Iterable[Element]) -> str:
    return "\n".join(str(e.value) for e in elements)


def run_button(at: AppTest) -> list[Element]:
    return [b for b in at.button if b.label == "Run the checks"]


def press_run(at: AppTest) -> AppTest:
    (button,) = run_button(at)
    button.click().run()
    assert not at.exception
    assert not at.error, messages(at.error)
    return at


def checks_table(at: AppTest) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if "check id" in df.value.columns)


def select_check(at: AppTest, check_id: str) -> AppTest:
    row = list(checks_table(at)["check id"]).index(check_id)
    at.session_state["checks_table"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    return at


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    found = [df.value for df in at.dataframe if column in df.value.columns]
    assert found, f"no table with a {column!r} column"
    return found[0]


def test_page_before_any_run_says_to_run_the_checks(db_path: Path) -> None:
    at = open_checks(processor=BELCALL)
    assert "showing Belcall Antwerpen BV's latest report, 2026-10" in messages(at.caption)
    assert "No check run for this period yet — run the checks above." in messages(at.info)
    assert run_button(at)
    assert at.date_input[0].label == "As of"
    assert at.date_input[0].value == date(2026, 10, 31)  # the period's last day
    assert not [df for df in at.dataframe if "check id" in df.value.columns]


def test_several_processors_and_none_chosen_asks_to_pick_one(db_path: Path) -> None:
    at = open_checks()
    assert "Pick a processor in the sidebar to see its checks." in messages(at.info)
    at = press_run(at)  # with no processor chosen the button checks every current report
    assert "on 7 report(s) as of the last day of each report's period" in messages(at.success)


def test_running_the_checks_lists_every_catalog_check(db_path: Path) -> None:
    at = press_run(open_checks(processor=BELCALL, period="2026-10"))
    assert f"Check run 1: {len(CHECKS)} checks on 1 report(s) as of 2026-10-31" in messages(at.success)
    table = checks_table(at)
    assert list(table["check id"]) == [c.id for c in CHECKS]
    assert len(table) == len(CHECKS)
    row = table.set_index("check id").loc["deadline.due_soon"]
    assert row["offending"] == 2  # BC-261001-01, BC-261002-01
    assert row["clause"] == "SCC 8(b) — Assistance to the controller"  # Implementing Decision 2021/915, Clause 8
    assert row["basis"] == "GDPR Art. 12(3)"
    # Issue 12 §8: the rule with the profile's value, not the parameter's name.
    assert row["rule"] == fill(BY_ID["deadline.due_soon"].description, load_profile("default").parameters)
    assert "within the profile's 7 days after" in row["rule"]
    assert "Check run 1 by" in messages(at.caption)
    stored = with_db(lambda con: con.execute("SELECT processor, period, as_of, checks_run FROM check_runs").fetchall())
    assert stored == [(BELCALL, "2026-10", date(2026, 10, 31), len(CHECKS))]


def test_the_as_of_date_is_the_one_the_run_uses(db_path: Path) -> None:
    at = open_checks(processor=BELCALL, period="2026-10")
    at.date_input[0].set_value(date(2026, 11, 3)).run()
    at = press_run(at)
    assert "as of 2026-11-03" in messages(at.success)
    table = checks_table(at).set_index("check id")
    # Due Monday 2 November (1 November is a Sunday and All Saints' Day): overdue on the 3rd.
    assert table.loc["deadline.overdue_open", "offending"] == 3
    assert table.loc["deadline.due_soon", "offending"] == 0


def test_selecting_a_check_shows_its_offending_cases(db_path: Path) -> None:
    at = select_check(press_run(open_checks(processor=BELCALL, period="2026-10")), "deadline.late_response")
    assert "Answered after the deadline (deadline.late_response)" in messages(at.subheader)
    cases = frame_with(at, "days_late")
    assert list(cases["case id"]) == ["BC-260818-01"]
    assert str(cases.loc[0, "received on"]) == "2026-08-18"
    assert cases.loc[0, "due_on"] == "2026-09-18"
    assert cases.loc[0, "days_late"] == 18
    assert "data_subject_ref" not in cases.columns
    assert "received_on" not in cases.columns  # the detail repeats the case fact: shown once


def test_a_rewritten_history_shows_before_and_after_columns(db_path: Path) -> None:
    at = select_check(press_run(open_checks(processor=BELCALL, period="2026-09")), "report.history_changed")
    cases = frame_with(at, "before.received_on")
    assert list(cases["case id"]) == ["BC-260824-01"]
    assert (cases.loc[0, "before.received_on"], cases.loc[0, "after.received_on"]) == ("2026-08-24", "2026-09-02")
    assert cases.loc[0, "changed_fields"] == "received_on, forwarded_on"  # every field a check reads is compared


def test_due_list_shows_open_cases_overdue_or_due_soon(db_path: Path) -> None:
    at = press_run(open_checks(processor=BELCALL, period="2026-10"))
    due = frame_with(at, "days left")
    assert list(zip(due["case id"], due["status"], due["days left"], strict=True)) == [
        ("BC-260908-01", "overdue", -23), ("BC-261001-01", "due soon", 2), ("BC-261002-01", "due soon", 2)]
    at.number_input(key="checks_due_within").set_value(1).run()
    assert list(frame_with(at, "days left")["case id"]) == ["BC-260908-01"]


def test_non_conformities_chart_ships_counts_per_check_and_month_not_cases(db_path: Path) -> None:
    at = press_run(open_checks())  # every processor, every period
    at.sidebar.selectbox[0].set_value(BELCALL).run()
    assert "Non-conformities per check over the months" in messages(at.subheader)
    charts = [e for e in at.main if type(e).__name__ == "UnknownElement" and hasattr(e.proto, "spec")]
    assert len(charts) == 1
    data = pa.ipc.open_stream(charts[0].proto.datasets[0].data.data).read_all().to_pandas()
    assert set(data.columns) >= {"period", "check_id", "non_conformities"}
    assert sorted(set(data["period"])) == ["2026-07", "2026-08", "2026-09", "2026-10"]
    assert len(data) <= 24 * 4  # one row per check and month at most, whatever the number of cases
    assert data.set_index(["period", "check_id"]).loc[("2026-09", "report.case_dropped"), "non_conformities"] == 1
    # Only critical and major: minor or info checks never appear, unless a row of theirs is major.
    assert all(BY_ID[c].severity.value in ("critical", "major") or BY_ID[c].severity_sql for c in data["check_id"])
    assert "repeat.fix_not_held" in set(data["check_id"]) and "repeat.same_request" not in set(data["check_id"])


def test_viewer_sees_the_results_but_no_run_button(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    press_run(open_checks(processor=BELCALL, period="2026-10"))  # the local user loads the demo and runs
    (db_path.parent / "oversight.toml").write_text('[users.vera]\nroles = ["viewer"]\n', encoding="utf-8")
    monkeypatch.setenv("OVERSIGHT_USER", "vera")
    at = open_checks(processor=BELCALL, period="2026-10")
    assert not run_button(at)
    assert not at.date_input
    assert "A compliance officer or an auditor runs the checks" in messages(at.caption)
    assert len(checks_table(at)) == len(CHECKS)
    at.sidebar.selectbox[1].set_value("2026-09").run()
    assert "No check run for this period yet — a compliance officer or an auditor can run them." in messages(at.info)

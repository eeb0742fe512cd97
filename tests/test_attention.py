"""What needs attention: the Overview's month told in sentences, most serious first.

On the demo reports the points must be the planted problems of sample_reports/README.md (read from its table, not
retyped here); on hand-made frames, the edge cases: nothing to say, one of a kind, ties, findings overdue.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from findings.raising import raise_from_checks
from metrics.attention import Page, Point, all_clear, attention
from metrics.overview import MONTHLY_COLUMNS, Overview, load
from store.db import connect
from store.identity import ROLES, User
from tests.conftest import AppEnv, DemoFiles, copy_demo

ROOT = Path(__file__).resolve().parent.parent
OFFICER = User("olivia", ROLES)
APPELIA, BELCALL = "Appelia Services SRL", "Belcall Antwerpen BV"
TODAY = date(2026, 11, 28)


def planted(check_id: str, report: str) -> Counter[str]:
    """How many cases the demo's README plants for a check in a report, per processor's full name."""
    counts: Counter[str] = Counter()
    current = ""
    for line in (ROOT / "sample_reports" / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or not line.startswith("|"):
            continue
        current = cells[0].strip("`") or current
        processor = {"Belcall": BELCALL, "Appelia": APPELIA}.get(cells[1])
        if current == check_id and processor and cells[2] == report:
            counts[processor] += len(re.findall(r"\b(?:BC|APS)-\d{6}-\d+", cells[3])) or 1
    return counts


@pytest.fixture(scope="module")
def demo(checked_demo_files: DemoFiles, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo reports with one check run, as the dashboard's first start leaves them: a folder with one copy of
    demo.duckdb and demo.key for the module (tests that change it work on a copy of their own)."""
    folder = tmp_path_factory.mktemp("attention")
    copy_demo(checked_demo_files, folder / "demo.duckdb", folder / "demo.key")
    return folder


def points_for(db: Path, period: str, processor: str | None = None) -> list[Point]:
    con = connect(db)
    try:
        return attention(load(con, processor=processor, start="2026-07", end="2026-10", period=period, as_of=TODAY))
    finally:
        con.close()


def test_the_demo_october_points_are_the_planted_problems(demo: Path) -> None:
    points = points_for(demo / "demo.duckdb", "2026-10")
    texts = [p.text for p in points]
    # Most serious first: the reporting duty, then deadlines, non-conformities, findings.
    assert [p.page for p in points] == [Page.REPORTS, Page.CHECKS, Page.CHECKS, Page.CHECKS, Page.FINDINGS]
    assert texts[0].startswith(f"**{APPELIA}**: no report for **September 2026** (report.missing)")
    assert "the report for **August 2026** came in after the contract's due day (report.late)" in texts[0]
    overdue = planted("deadline.overdue_open", "2026-10")
    # One statutory case is open past its deadline (BC-260908-01); Appelia's old open case is a complaint, outside
    # Art. 12(3) (sla.complaint_late), so the link filters Belcall and the month.
    assert sum(overdue.values()) == 1
    assert texts[1].startswith("**1 open case past its deadline** at the end of October 2026 (deadline.overdue_open")
    assert all(f"{name} ({n})" in texts[1] for name, n in overdue.items())
    late = planted("deadline.late_response", "2026-10")
    assert texts[2].startswith(f"**{sum(late.values())} answers sent late** in October 2026")
    assert all(name in texts[2] for name in late)
    assert "non-conformities** in October 2026" in texts[3] and "Most are under **" in texts[3]
    assert texts[4].startswith("**No finding open** for the non-conformities of")
    assert points[1].params == {"processor": BELCALL, "period": "2026-10"}  # one processor: the link filters it
    assert points[2].params == {"period": "2026-10"}  # two processors: the link filters the month only


def test_the_non_conformity_count_and_top_clause_are_the_latest_runs(demo: Path) -> None:
    con = connect(demo / "demo.duckdb")
    try:
        per_processor = dict(con.execute(
            "SELECT processor, count(*) FROM latest_exceptions "
            "WHERE severity IN ('critical', 'major') AND period = '2026-10' GROUP BY ALL").fetchall())
        [(clause, most)] = con.execute(
            "SELECT clause, count(*) AS n FROM latest_exceptions "
            "WHERE severity IN ('critical', 'major') AND period = '2026-10' "
            "GROUP BY ALL ORDER BY n DESC, clause LIMIT 1").fetchall()
    finally:
        con.close()
    [breaches] = [p.text for p in points_for(demo / "demo.duckdb", "2026-10") if "non-conformit" in p.text
                  and p.page is Page.CHECKS]
    assert breaches.startswith(f"**{sum(per_processor.values())} non-conformities** in October 2026")
    assert f"Most are under **{clause}**" in breaches and breaches.endswith(f": {most}.")


def test_one_processor_and_raised_findings_leave_only_its_points(demo: Path, tmp_path: Path) -> None:
    shutil.copy(demo / "demo.duckdb", tmp_path / "raised.duckdb")
    shutil.copy(demo / "audit.key", tmp_path / "audit.key")  # the chain's key goes with the database
    con = connect(tmp_path / "raised.duckdb")
    try:
        raise_from_checks(con, OFFICER, today=TODAY)
    finally:
        con.close()
    points = points_for(tmp_path / "raised.duckdb", "2026-08", processor=BELCALL)
    assert not any(p.page is Page.REPORTS for p in points)  # Belcall's reports all came in on time
    assert not any("No finding open" in p.text for p in points)  # raised now
    overdue = planted("deadline.overdue_open", "2026-08")
    assert points[0].text.startswith(f"**{overdue[BELCALL]} open case past its deadline** at the end of August")
    assert points[0].params == {"processor": BELCALL, "period": "2026-08"}


def overview(month: list[dict[str, object]], clauses: list[dict[str, object]] | None = None,
             findings: list[dict[str, object]] | None = None) -> Overview:
    """An Overview of hand-made rows for 2026-10 (columns as metrics.overview builds them)."""
    base = {c: None for c in MONTHLY_COLUMNS} | {"period": "2026-10", "has_report": True, "missing": False,
                                                 "checked": True}
    return Overview(period="2026-10", start="2026-10", end="2026-10",
                    monthly=pd.DataFrame([base | row for row in month], columns=MONTHLY_COLUMNS),
                    volume=pd.DataFrame(columns=["period", "request_type", "cases"]),
                    clauses=pd.DataFrame(clauses or [], columns=["clause", "title", "non_conformities", "checks"]),
                    findings=pd.DataFrame(findings or [], columns=["processor", "open", "overdue"]),
                    median_days=None)


def test_a_clean_month_has_nothing_to_say_and_says_so() -> None:
    clean = overview([{"processor": "P", "late_tested": 10, "late_offending": 0, "overdue": 0, "non_conformities": 0,
                       "report_late": 0}])
    assert attention(clean) == []
    assert all_clear(clean).startswith("Nothing needs attention for October 2026")


def test_one_of_a_kind_is_singular_and_ties_go_by_name() -> None:
    data = overview([{"processor": "B", "late_tested": 4, "late_offending": 1, "overdue": 1, "non_conformities": 2},
                     {"processor": "A", "late_tested": 4, "late_offending": 0, "overdue": 0, "non_conformities": 2}],
                    clauses=[{"clause": "SCC 8(b)", "title": "Assistance", "non_conformities": 2, "checks": 1},
                             {"clause": "SCC 7.4", "title": "Security", "non_conformities": 2, "checks": 1}],
                    findings=[{"processor": "A", "open": 1, "overdue": 0}, {"processor": "B", "open": 1,
                                                                            "overdue": 0}])
    texts = [p.text for p in attention(data)]
    assert texts[0].startswith("**1 open case past its deadline**") and texts[0].endswith(": B (1).")
    assert texts[1] == "**1 answer sent late** in October 2026 (deadline.late_response): B 75.0 % on time (1 late)."
    assert texts[2] == ("**4 non-conformities** in October 2026: A (2), B (2). "
                        "Most are under **SCC 7.4** (Security): 2.")
    assert len(texts) == 3  # both have an open finding, none overdue


def test_overdue_findings_link_to_the_overdue_list() -> None:
    data = overview([{"processor": "A", "non_conformities": 0}], findings=[{"processor": "A", "open": 3, "overdue": 2}])
    [point] = attention(data)
    assert point.text.startswith("**2 findings past their due date**") and point.text.endswith(": A (2).")
    assert (point.page, point.params) == (Page.FINDINGS, {"processor": "A", "period": "2026-10", "overdue": "1"})


def test_an_unchecked_month_claims_nothing() -> None:
    data = overview([{"processor": "P", "checked": False}])
    assert attention(data) == []  # the page shows "no check run" instead of an all-clear


def test_the_overview_opens_on_the_story_of_the_demo(app_env: AppEnv, demo: Path) -> None:
    copy_demo(DemoFiles(demo / "demo.duckdb", demo / "demo.key"), app_env.db, app_env.key)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    shown = "\n".join(str(m.value) for m in at.markdown)
    assert "**What needs attention**" in shown
    expected = [p.text for p in points_for(app_env.db, "2026-10")]
    assert all(f"- {text}" in shown for text in expected)
    links = [(link.proto.label, link.proto.page) for link in at.get("page_link")]
    assert ("Submission history", "reports") in [(label, page.rsplit("/", 1)[-1]) for label, page in links]

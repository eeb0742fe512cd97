"""A page for every case (issue 12 §6): `casefile.record.case_record`, `oversight case show` and the Case page, on
the demo reports (a real DuckDB file) after a check run, a sample review and findings; case ids link to it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from casefile.deadlines import rolled_over
from casefile.errors import CaseNotFound
from casefile.record import case_record
from checks.calendar import WorkingCalendar
from findings.raising import raise_from_checks
from spotchecks.review import record_reviews
from spotchecks.samples import draw_sample
from store.identity import ROLES, User
from tests.conftest import AppEnv, open_dashboard_page, run_cli, with_db

BELCALL = "Belcall Antwerpen BV"
REWRITTEN = "BC-260910-01"  # answer date 12-09 in September v1, 21-09 in v2 (sample_reports/README.md)
LATE = "BC-260818-01"  # dropped in September, back in October answered late (deadline.late_response)
OFFICER = User("olivia", ROLES)


@pytest.fixture
def worked(checked_demo):
    """The checked demo after a month's work on LATE: reviewed "no" in a sample, findings raised."""
    sample = draw_sample(checked_demo, OFFICER, processor=BELCALL, period="2026-10", size=1, key_items="major",
                         seed="case page")
    record_reviews(checked_demo, OFFICER, sample.sample_id, LATE, {"timely": ("no", "answered on day 64")})
    raise_from_checks(checked_demo, OFFICER, period="2026-10")
    return checked_demo


def test_versions_are_every_submission_that_listed_the_case_with_changes_marked(demo):
    record = case_record(demo, BELCALL, REWRITTEN)
    versions = record["versions"]
    assert [(v["submission_id"], v["period"], v["status"]) for v in versions] == [
        (5, "2026-09", "superseded"), (6, "2026-09", "current")]
    assert (versions[0]["responded_on"], versions[1]["responded_on"]) == (date(2026, 9, 12), date(2026, 9, 21))
    assert versions[0]["changed"] == [] and versions[1]["changed"] == ["responded_on"]


def test_the_deadline_calculation_is_spelled_out_with_the_days_rolled_over(demo):
    deadlines = case_record(demo, BELCALL, REWRITTEN)["deadlines"]
    assert (deadlines["one_month_on"], deadlines["due_on"]) == (date(2026, 10, 10), date(2026, 10, 12))
    assert deadlines["rolled_over"] == [{"date": "2026-10-10", "why": "weekend"},
                                        {"date": "2026-10-11", "why": "weekend"}]
    assert deadlines["answered_in_time"] is True
    assert ("Sat 10 Oct 2026 is not a working day of calendar BE: rolled over Sat 10 Oct (weekend), Sun 11 Oct "
            "(weekend) to Mon 12 Oct 2026.") in deadlines["steps"]


def test_a_holiday_is_named_as_such():
    # 11 November (Armistice) is a Belgian public holiday: a one-month date on Wed 11 Nov 2026 rolls to Thu 12.
    assert rolled_over(WorkingCalendar.of("BE"), date(2026, 11, 11), date(2026, 11, 12)) == [
        {"date": "2026-11-11", "why": "public holiday or contract day off"}]


def test_exceptions_reviews_findings_and_events_of_the_case(worked):
    record = case_record(worked, BELCALL, LATE)
    assert [v["period"] for v in record["versions"]] == ["2026-08", "2026-10"]
    assert ("2026-10", "deadline.late_response") in [(e["period"], e["check_id"]) for e in record["exceptions"]]
    assert [(r["item_id"], r["answer"], r["comment"], r["current"]) for r in record["reviews"]] == [
        ("timely", "no", "answered on day 64", True)]
    assert any(f["clause"] == "SCC 8(b)" and f["status"] == "open" for f in record["findings"])
    actions = {e["action"] for e in record["events"]}
    assert {"report.ingested", "sample.reviewed", "finding.raised"} <= actions
    other = case_record(worked, BELCALL, REWRITTEN)
    assert "sample.reviewed" not in {e["action"] for e in other["events"]}  # another case's review is not its


def test_an_unknown_case_is_refused_by_name(demo):
    with pytest.raises(CaseNotFound, match="No report of Belcall Antwerpen BV lists case NOPE"):
        case_record(demo, BELCALL, "NOPE")


def test_cli_case_show_json_has_the_shape_of_the_issue(cli_env, checked_demo_db):
    code, out, err = run_cli("case", "show", REWRITTEN, "--processor", BELCALL, "--format", "json")
    assert code == 0, err
    document = json.loads(out)
    assert set(document) >= {"case_id", "processor", "versions", "deadlines", "exceptions", "reviews", "findings"}
    first = document["versions"][0]
    assert (first["submission_id"], first["period"], first["submitted_on"], first["case_id"],
            first["responded_on"]) == (5, "2026-09", "2026-10-05", REWRITTEN, "2026-09-12")
    assert document["deadlines"]["effective_due_on"] == "2026-10-12"


def test_cli_case_show_text_and_refusal(cli_env, demo_db):
    code, out, _ = run_cli("case", "show", REWRITTEN, "--processor", BELCALL)
    assert code == 0 and "responded_on" in out and "2026-09-21 *" in out and "Due on Mon 12 Oct 2026" in out
    code, _, err = run_cli("case", "show", "NOPE", "--processor", BELCALL)
    assert code == 2 and "No report of Belcall Antwerpen BV lists case NOPE" in err


def test_the_case_page_opens_from_its_address(app_env: AppEnv, demo_db: Path):
    at = open_dashboard_page("app/case.py", case_id=REWRITTEN, processor=BELCALL)
    assert f"{REWRITTEN} · {BELCALL}" in [s.value for s in at.subheader]
    assert any("Rewritten between submissions: responded_on (in #6)" in w.value for w in at.warning)
    versions = next(d.value for d in at.dataframe if "responded_on" in d.value.index)
    assert list(versions.loc["responded_on"]) == ["2026-09-12", "2026-09-21"]
    assert any("rolled over Sat 10 Oct (weekend), Sun 11 Oct (weekend)" in m.value for m in at.markdown)


def test_the_case_page_without_a_case_offers_a_lookup(app_env: AppEnv, demo_db: Path):
    at = open_dashboard_page("app/case.py")
    at.text_input(key="case_lookup_id").set_value(REWRITTEN)
    at.selectbox(key="case_lookup_processor").set_value(BELCALL)
    at.button[[b.label for b in at.button].index("Open case")].click().run()
    assert at.query_params["case_id"] == [REWRITTEN] or at.query_params["case_id"] == REWRITTEN
    assert f"{REWRITTEN} · {BELCALL}" in [s.value for s in at.subheader]


def test_case_ids_in_tables_link_to_the_case_page(app_env: AppEnv, checked_demo_db: Path):
    at = open_dashboard_page("app/checks.py", processor=BELCALL, period="2026-10")
    due = next(d.value for d in at.dataframe if "days left" in d.value.columns)
    assert list(due["_case_page"]) == [f"case?case_id={c}&processor=Belcall%20Antwerpen%20BV"
                                       for c in due["case id"]]


def test_the_findings_cases_link_to_the_case_page(app_env: AppEnv, checked_demo_db: Path):
    created = with_db(lambda con: raise_from_checks(con, OFFICER, processor=BELCALL, period="2026-10"))
    with_case = next(f.finding_id for f in created if f.new_cases)
    at = open_dashboard_page("app/findings.py", finding=with_case)
    cases = next(d.value for d in at.dataframe if "evidence" in d.value.columns)
    assert all(url.startswith("case?case_id=") and url.endswith("&processor=Belcall%20Antwerpen%20BV")
               for url in cases["_case_page"])

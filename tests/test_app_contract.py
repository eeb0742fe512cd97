"""The Contract page in AppTest on the checked demo: the processor's profile, its register with this month's coverage,
the link form and the profile file editor by role. Profiles are a copy of contracts/ (OVERSIGHT_CONTRACTS).

Reference values: sample_reports/README.md (planted problems), contracts/default.toml and nl.toml, and the Belgian
public holidays of the `holidays` package that checks.calendar counts.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from app.contract import upcoming_holidays
from checks.calendar import WorkingCalendar
from checks.catalog import BY_ID, CHECKS
from checks.contract import Parameters, load_profile
from checks.profile_files import validate_profile_text
from store import audit
from tests.conftest import DemoFiles, copy_demo, with_db

ROOT = Path(__file__).resolve().parent.parent
BELCALL = "Belcall Antwerpen BV"


def _environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, checked: DemoFiles, config: str) -> Path:
    """Copy the checked demo (every report checked once) and contracts/ into tmp_path and point the dashboard at
    them."""
    copy_demo(checked, tmp_path / "oversight.duckdb", tmp_path / "oversight.key")
    shutil.copytree(ROOT / "contracts", tmp_path / "contracts")
    (tmp_path / "oversight.toml").write_text(config, encoding="utf-8")
    monkeypatch.setenv("OVERSIGHT_DB", str(tmp_path / "oversight.duckdb"))
    monkeypatch.setenv("OVERSIGHT_KEY_FILE", str(tmp_path / "oversight.key"))
    monkeypatch.setenv("OVERSIGHT_CONFIG", str(tmp_path / "oversight.toml"))
    monkeypatch.setenv("OVERSIGHT_CONTRACTS", str(tmp_path / "contracts"))
    monkeypatch.chdir(ROOT)
    return tmp_path / "contracts"


@pytest.fixture
def officer_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, checked_demo_files: DemoFiles) -> Path:
    """No users configured: the local user with every role. Returns the contracts directory."""
    monkeypatch.delenv("OVERSIGHT_USER", raising=False)
    return _environment(tmp_path, monkeypatch, checked_demo_files, "")


@pytest.fixture
def viewer_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, checked_demo_files: DemoFiles) -> Path:
    monkeypatch.setenv("OVERSIGHT_USER", "vera")
    return _environment(tmp_path, monkeypatch, checked_demo_files, '[users.vera]\nroles = ["viewer"]\n')


def open_contract(**query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).switch_page("app/contract.py")
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def text(elements: Iterable[object]) -> str:
    return "\n".join(str(getattr(e, "value", "")) for e in elements)


# Each table of the page by a column only it has.
TABLES = {"register": "rubric items", "evidence": "what it tests", "parameters": "meaning", "holidays": "weekday",
          "overview": "processors"}


def frame(at: AppTest, table: str):
    found = [d.value for d in at.dataframe if TABLES[table] in d.value.columns]
    assert found, f"no {table} table"
    return found[0]


def button(at: AppTest, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, f"no button {label!r}"
    return found[0]


def test_the_register_is_shown_with_this_months_coverage(officer_env):
    at = open_contract(processor=BELCALL, period="2026-10")
    register = frame(at, "register").set_index("clause")
    assert list(register.index) == list(load_profile("default").clauses)
    assert register.loc["SCC 8(b)", "status"] == "exceptions"
    assert register.loc["SCC 8(b)", "result"] == "3 offending case(s); 2 for information (e.g. due soon)"
    assert "deadline.late_response" in register.loc["SCC 8(b)", "checks"]
    # escalation through SL 4, which implements SCC 8(b)
    assert register.loc["SCC 8(b)", "rubric items"] == "timely, substance, refusal_notice, extension_notice, escalation"
    assert register.loc["SL 1", "status"] == "exceptions"  # a quarantined row: report.rows_quarantined
    assert register.loc["SL 1", "implements"] == "SCC 7.6(c)"
    assert {m.label: m.value for m in at.metric}["Clauses"] == "74"
    [chart] = [e for e in at.main if e.type == "vega_lite_chart"]
    shipped = pa.ipc.open_stream(chart.proto.datasets[0].data.data).read_all().to_pandas()
    assert len(shipped) <= 3 * 4  # clauses counted per part and status, never one row per clause or case
    assert shipped["clauses"].sum() == 74
    assert shipped.set_index(["part", "status"]).loc[("Service levels", "exceptions"), "clauses"] == 3
    assert at.subheader[0].value == load_profile("default").title
    assert not at.error


def test_only_evidenced_clauses_on_request_and_a_clauses_evidence_with_its_basis(officer_env):
    at = open_contract(processor=BELCALL, period="2026-10")
    at.toggle(key="contract_only_evidenced").set_value(True).run()
    assert list(frame(at, "register")["clause"]) == ["SCC 7.4", "SCC 7.4(b)", "SCC 7.6", "SCC 7.6(c)", "SCC 8(a)",
                                                     "SCC 8(b)", "SL 1", "SL 2", "SL 3", "SL 4", "SL 5", "SL 6"]
    at.selectbox(key="contract_clause").set_value("SL 1").run()
    evidence = frame(at, "evidence").set_index("id")
    assert set(evidence.index) == {c.id for c in CHECKS if c.id.startswith("report.")}
    assert evidence.loc["report.late", "basis"] == BY_ID["report.late"].basis
    # Under the standard clause SL 1 implements, the same evidence, saying through which item.
    at.selectbox(key="contract_clause").set_value("SCC 7.6(c)").run()
    via = frame(at, "evidence").set_index("id")
    assert set(via.index) == {*evidence.index, "case_records"} and set(via["via"]) == {"SL 1", "SL 6"}


def test_parameters_and_holidays_of_the_profile(officer_env):
    at = open_contract(processor=BELCALL, period="2026-10")
    parameters = frame(at, "parameters").set_index("parameter")
    assert list(parameters.index) == list(Parameters.__dataclass_fields__)
    assert parameters.loc["report_due_day", "value"] == "10"
    assert parameters.loc["handled_by_processor", "value"] == "marketing_opt_out, consent_withdrawal, rectification"
    assert parameters["meaning"].str.len().min() > 20
    shown = frame(at, "holidays")
    calendar = WorkingCalendar.of("BE")
    assert len(shown) == 10 and all(calendar.is_holiday(d) and d >= date.today() for d in shown["date"])


def test_the_calendar_section_says_whose_holidays_the_statutory_deadlines_count(officer_env, tmp_path, monkeypatch):
    at = open_contract(processor=BELCALL, period="2026-10")
    assert "holidays of **BE** (profile default, [calendar]: no [controller] country is configured)" in text(at.caption)
    (tmp_path / "oversight.toml").write_text('[controller]\ncountry = "NL"\n', encoding="utf-8")
    at = open_contract(processor=BELCALL, period="2026-10")
    assert "holidays of **NL** (the controller's country, [controller] country)" in text(at.caption)


def test_upcoming_holidays_name_public_holidays_and_the_contracts_extra_dates():
    be = upcoming_holidays(load_profile("default").calendar, date(2026, 12, 20), 4)
    # Belgian public holidays: Christmas, New Year, then Easter Sunday and Monday 2027 (Easter on 28 March).
    assert [d.isoformat() for d in be["date"]] == ["2026-12-25", "2027-01-01", "2027-03-28", "2027-03-29"]
    assert set(be["source"]) == {"public holiday"}
    nl = upcoming_holidays(load_profile("nl").calendar, date(2027, 5, 1), 4).set_index("date")
    # nl.toml: Bevrijdingsdag every year (Atw art. 3(1)) and 7 May 2027 by decree; Ascension Day on 6 May.
    assert [d.isoformat() for d in nl.index] == ["2027-05-05", "2027-05-06", "2027-05-07", "2027-05-16"]
    assert nl.loc[date(2027, 5, 7), "source"] == "contract (extra date)"
    assert nl.loc[date(2027, 5, 6), "source"] == "public holiday"


def test_validate_shows_the_refusal_for_a_bad_key_and_leaves_the_file(officer_env):
    at = open_contract(processor=BELCALL, period="2026-10")
    before = (officer_env / "default.toml").read_text(encoding="utf-8")
    [editor] = at.text_area
    assert editor.value == before
    editor.set_value(before.replace("due_soon_days = 7", "due_soon_dayz = 7")).run()
    button(at, "Validate").click().run()
    assert not at.exception
    assert "key `parameters.due_soon_dayz`: unknown key. Did you mean `parameters.due_soon_days`?" in text(at.error)
    assert (officer_env / "default.toml").read_text(encoding="utf-8") == before


def test_validate_says_valid_with_the_new_hash(officer_env):
    at = open_contract(processor=BELCALL, period="2026-10")
    [editor] = at.text_area
    proposed = editor.value.replace("due_soon_days = 7", "due_soon_days = 5")
    editor.set_value(proposed).run()
    button(at, "Validate").click().run()
    assert "Valid: EU standard clauses" in text(at.success)
    new = validate_profile_text("default", proposed).sha256
    assert new != load_profile("default").sha256 and new in text(at.success)


def test_save_writes_the_file_audits_it_and_the_page_shows_the_new_values(officer_env):
    at = open_contract(processor=BELCALL, period="2026-10")
    [editor] = at.text_area
    editor.set_value(editor.value.replace("report_due_day = 10", "report_due_day = 12")).run()
    button(at, "Save").click().run()
    assert not at.exception and not at.error
    assert "Saved default.toml" in text(at.success)
    assert "report_due_day = 12" in (officer_env / "default.toml").read_text(encoding="utf-8")
    assert frame(at, "parameters").set_index("parameter").loc["report_due_day", "value"] == "12"
    [event] = with_db(lambda con: audit.list_events(con, action="profile.changed"))
    assert event["details"]["sha256_after"] == load_profile("default").sha256


def test_an_invalid_save_shows_the_refusal_and_writes_nothing(officer_env):
    at = open_contract(processor=BELCALL, period="2026-10")
    before = (officer_env / "default.toml").read_text(encoding="utf-8")
    [editor] = at.text_area
    editor.set_value(before.replace("report_due_day = 10", "report_due_day = 31")).run()
    button(at, "Save").click().run()
    assert not at.exception
    assert "key `parameters.report_due_day`: must be between 1 and 28" in text(at.error)
    assert (officer_env / "default.toml").read_text(encoding="utf-8") == before


def test_the_officer_links_a_processor_and_sees_its_new_profile(officer_env):
    at = open_contract(processor=BELCALL, period="2026-10")
    [link] = [s for s in at.selectbox if s.label == f"Contract profile of {BELCALL}"]
    link.set_value("nl")
    [submit] = [b for b in at.button if b.label == "Link"]
    submit.click().run()
    assert not at.exception
    assert f"{BELCALL} is now linked to profile nl" in text(at.success)
    assert at.subheader[0].value == load_profile("nl").title
    # The month was checked under the default profile: the page says so.
    assert "ran under another version of the contract profile (default" in text(at.warning)


def test_a_viewer_sees_the_file_but_no_edit_box_and_no_link_form(viewer_env):
    at = open_contract(processor=BELCALL, period="2026-10")
    assert not at.error
    assert len(at.text_area) == 0
    assert not [b for b in at.button if b.label in ("Validate", "Save", "Link")]
    assert at.code[0].value == (viewer_env / "default.toml").read_text(encoding="utf-8").rstrip("\n")
    assert "A compliance officer edits contract profiles here." in text(at.caption)
    assert frame(at, "register").shape[0] == 74


def test_without_a_processor_the_profiles_are_listed(officer_env):
    at = open_contract()
    assert "Pick a processor in the sidebar" in text(at.info)
    overview = frame(at, "overview").set_index("name")
    assert list(overview.index) == ["default", "fr", "nl"]
    assert set(overview.loc["default", "processors"].split(", ")) == {BELCALL, "Appelia Services SRL"}


def test_a_broken_profile_is_reported_and_can_still_be_fixed(officer_env):
    path = officer_env / "default.toml"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("critical = 7", "critical = 0"), encoding="utf-8")
    at = open_contract(processor=BELCALL, period="2026-10")
    assert not at.exception
    assert "key `finding_due_days.critical`: must be 1 or more, not 0" in text(at.error)
    [editor] = at.text_area
    editor.set_value(good).run()
    button(at, "Save").click().run()
    assert "Saved default.toml" in text(at.success) and "was `invalid`" in text(at.success)
    assert path.read_text(encoding="utf-8") == good

"""Contract profiles: the shipped default agrees with docs/checks.md and docs/sampling.md, invalid files are refused
naming the file, the key and the reason, `extends` merges, the hash follows the content, and processors are linked."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from checks.catalog import CHECKS
from checks.contract import (
    CalendarSpec,
    contracts_dir,
    link_processor,
    list_profiles,
    load_profile,
    profile_for_processor,
)
from checks.errors import InvalidProfile, UnknownProcessor, UnknownProfile
from ingest.load import ensure_processor
from store.db import connect
from store.errors import PermissionDenied
from store.identity import User
from tests.conftest import run_cli
from vocab.parameters import BY_NAME as PARAMETER_BY_NAME
from vocab.parameters import Kind

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _table_rows(text: str) -> list[list[str]]:
    """The cells of every markdown table row in the text, header and rule rows excluded."""
    found = []
    for line in text.splitlines():
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        found.append([c.strip() for c in line.strip().strip("|").split("|")])
    return found


def _checks_md() -> str:
    return (DOCS / "checks.md").read_text(encoding="utf-8")


# --- the shipped profiles ------------------------------------------------------------------------------------

def test_the_three_shipped_profiles_load():
    assert list_profiles() == ["default", "fr", "nl"]
    assert {name: load_profile(name).calendar.label() for name in list_profiles()} == \
        {"default": "BE", "fr": "FR-57", "nl": "NL + 15 extra dates"}


def test_default_parameters_are_the_table_of_the_documentation():
    table = _checks_md().split("## The default profile")[1].split("## ")[0]
    expected: dict[str, object] = {}
    for cells in _table_rows(table):
        name = cells[0].strip("`")
        if name in ("parameter", "calendar"):
            continue
        # the value is read by the parameter's declared kind; a note in brackets after it is the docs' own
        kind, value = PARAMETER_BY_NAME[name].kind, cells[1].split(" (")[0].strip()
        expected[name] = (int(value) if kind is Kind.WHOLE else float(value) if kind is Kind.SHARE
                          else value == "true" if kind is Kind.SWITCH
                          else value if kind is Kind.CHOICE
                          else () if value == "none" else tuple(v.strip() for v in value.split(",")))
    assert len(expected) == len(PARAMETER_BY_NAME)
    assert vars(load_profile("default").parameters) == expected


def test_default_calendar_is_belgium_public_holidays_as_documented():
    assert "| calendar | Belgium (`BE`), public holidays, no extra dates |" in _checks_md()
    assert load_profile("default").calendar == CalendarSpec("BE", None, ())
    # statutory deadlines: the controller's country, not the processor's (issue 13, item 15)
    assert load_profile("default").statutory_calendar is None


def _annex_table() -> dict[str, tuple[str, str, list[str]]]:
    """docs/checks.md, "Where the default profile logs each check": SL item → (title, implements, what it logs)."""
    found = {}
    for cells in _table_rows(_checks_md()):
        if len(cells) == 4 and re.fullmatch(r"SL \d", cells[0]):
            found[cells[0]] = (cells[1], cells[2], re.findall(r"`([^`]+)`", cells[3]))
    return found


def _expand(pattern: str) -> list[str]:
    """A documented check id, or `training.*` for every catalog check of that family."""
    if pattern.endswith(".*"):
        return [c.id for c in CHECKS if c.id.startswith(pattern[:-1])]
    return [c.id for c in CHECKS if c.id == pattern]


def test_every_documented_check_has_its_default_clause_in_the_catalog():
    # The catalog table of docs/checks.md: id, severity, source, basis, default clause, rule.
    expected = {cells[0].strip("`"): cells[4] for cells in _table_rows(_checks_md())
                if len(cells) == 6 and cells[0].startswith("`") and "." in cells[0]}
    assert len(expected) == len(CHECKS)
    assert {c.id: c.clause for c in CHECKS} == expected
    default = load_profile("default")
    assert all(ref in default.clauses for ref in expected.values())


def test_the_default_profile_logs_what_the_service_level_annex_governs_against_its_items():
    """Issue 13, item 14: report.* against SL 1 (implementing SCC 7.6(c)), training against SL 5 (SCC 7.4(b)),
    forwarding SL 2, opt-out SL 3, escalation SL 4 (never Annex II, the description of the processing)."""
    default = load_profile("default")
    table = _annex_table()
    assert set(table) == {"SL 1", "SL 2", "SL 3", "SL 4", "SL 5", "SL 6"}
    expected = {c.id: c.clause for c in CHECKS}
    rubric_expected = {}
    for ref, (title, implements, logged) in table.items():
        clause = default.clauses[ref]
        assert (clause.title, clause.implements) == (title, (implements,))
        for entry in logged:
            checks = _expand(entry)
            if checks:
                expected.update(dict.fromkeys(checks, ref))
            else:
                rubric_expected[entry] = ref
    assert default.check_clauses == expected
    assert {c for c, ref in default.check_clauses.items() if ref == "SL 1"} == {c.id for c in CHECKS
                                                                               if c.id.startswith("report.")}
    assert "Annex II" not in default.check_clauses.values()
    assert rubric_expected == {"escalation": "SL 4", "case_records": "SL 6"}
    assert default.rubric_clauses["escalation"] == "SL 4" and default.records_clause == "SL 6"
    assert default.clauses["SL 1"].cited() == "SL 1 (SCC 7.6(c))"
    escalation = next(c for c in CHECKS if c.id == "sla.escalation_missing")
    assert "28(3)(e)" in escalation.basis and "38" not in escalation.basis


def test_every_service_level_item_of_every_shipped_profile_is_used():
    for name in list_profiles():
        profile = load_profile(name)
        used = {*profile.check_clauses.values(), *profile.rubric_clauses.values(), profile.records_clause}
        annex = [ref for ref, c in profile.clauses.items() if c.part == "Service levels"]
        assert annex and not set(annex) - used, (name, set(annex) - used)


def test_rubric_items_map_to_the_clauses_of_the_documented_rubric():
    # The rubric table of docs/sampling.md: item, question, default clause, basis; the default profile logs the
    # escalation item against its service-level item SL 4 (docs/checks.md).
    from vocab.rubric import ITEMS

    text = (DOCS / "sampling.md").read_text(encoding="utf-8")
    expected = {cells[0].strip("`"): cells[2] for cells in _table_rows(text)
                if len(cells) == 4 and cells[0].startswith("`")}
    assert len(expected) == 8
    assert {item_id: item.clause for item_id, item in ITEMS.items()} == expected
    assert load_profile("default").rubric_clauses == {**expected, "escalation": "SL 4"}


def test_nl_inherits_the_service_level_annex_and_adds_atw_days():
    nl = load_profile("nl")
    assert nl.clause_for_check("report.late") == "SL 1" and nl.clause_for_check("report.missing") == "SL 1"
    assert nl.clause_for_check("sla.forwarding_late") == "SL 2"
    assert nl.clause_for_check("marketing.optout_not_effective") == "SL 3"
    assert nl.clause_for_check("sla.escalation_late") == "SL 4"
    assert nl.clause_for_check("training.not_current") == "SL 5"
    # Statutory checks keep the standard clause, inherited from default.
    assert nl.clause_for_check("deadline.late_response") == "SCC 8(b)"
    # Algemene termijnenwet art. 3: 5 May every year, and the days declared equal (e.g. Friday after Ascension 2026).
    assert {date(y, 5, 5) for y in range(2024, 2031)} <= set(nl.calendar.extra_dates)
    assert date(2026, 5, 15) in nl.calendar.extra_dates
    assert nl.clauses == load_profile("default").clauses


def test_fr_is_alsace_moselle_with_the_report_due_on_the_15th():
    fr = load_profile("fr")
    assert (fr.calendar.country, fr.calendar.subdivision) == ("FR", "57")
    assert fr.parameters.report_due_day == 15
    assert fr.parameters.forward_working_days == 2  # inherited


def test_clause_for_an_unknown_check_is_a_key_error():
    with pytest.raises(KeyError, match="not a check of the catalog"):
        load_profile("default").clause_for_check("deadline.lat_response")


def test_contracts_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_CONTRACTS", str(tmp_path))
    assert contracts_dir() == tmp_path and list_profiles() == []
    monkeypatch.delenv("OVERSIGHT_CONTRACTS")
    assert contracts_dir() == Path(__file__).resolve().parents[1] / "contracts"


# --- refusals: file, key, reason --------------------------------------------------------------------------------

@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A contracts folder holding a copy of the shipped default profile."""
    shutil.copy(contracts_dir() / "default.toml", tmp_path / "default.toml")
    return tmp_path


def child(folder: Path, body: str, name: str = "acme") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(f'name = "{name}"\nextends = "default"\ntitle = "Acme"\n{body}\n', encoding="utf-8")
    return path


def standalone(folder: Path, refs: list[str], body: str = "", name: str = "solo") -> Path:
    """A profile that extends nothing: every parameter and a small register of the given refs."""
    text = [f'name = "{name}"', 'title = "Solo"', '[calendar]', 'country = "BE"', "[parameters]",
            *(f"{k} = 2" for k in ("forward_working_days", "optout_working_days", "escalation_working_days",
                                    "id_request_within_days", "report_due_day", "training_valid_months",
                                    "due_soon_days", "repeat_window_days")),
            'handled_by_processor = ["rectification"]', 'escalate_request_types = ["erasure"]',
            'escalate_outcomes = ["refused"]', "[finding_due_days]", "critical = 1", "high = 2", "medium = 3",
            "low = 4", "[rubric]",
            *(f'{item} = "SCC 8(b)"' for item in ("recognised", "identity", "timely", "substance", "escalation",
                                                  "refusal_notice", "extension_notice", "minimisation")),
            body]
    for ref in refs:
        text += ["[[clauses]]", f'ref = "{ref}"', 'title = "T"', 'summary = "S"',
                 f'part = "{"Annex" if ref.startswith("Annex") else "SCC"}"']
    path = folder / f"{name}.toml"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


def refused(path: Path, key: str | None, *reason: str) -> str:
    with pytest.raises(InvalidProfile) as caught:
        load_profile(path)
    message = str(caught.value)
    assert str(path) in message
    if key:
        assert f"`{key}`" in message
    for part in reason:
        assert part in message
    return message


ALL_CLAUSES = ["SCC 8(a)", "SCC 8(b)", "SCC 7.4", "SCC 7.6", "Annex II", "Annex III", "SCC 7.6(c)", "SCC 7.4(b)"]


def test_the_standalone_helper_builds_a_valid_profile(folder):
    assert load_profile(standalone(folder, ALL_CLAUSES)).name == "solo"


def test_unknown_key_suggests_the_closest_known_key(folder):
    refused(child(folder, "[parameters]\nforward_workingdays = 3"), "parameters.forward_workingdays",
            "unknown key", "Did you mean `parameters.forward_working_days`?")
    refused(child(folder, 'titel = "x"'), "titel", "unknown key", "Did you mean `title`?")
    refused(child(folder, '[calendar]\ncountri = "NL"'), "calendar.countri", "Did you mean `calendar.country`?")


@pytest.mark.parametrize(("value", "shown"), [("true", "not true"), ('"2"', "not '2'"), ("2.5", "not 2.5")])
def test_a_parameter_that_is_not_a_whole_number_is_refused(folder, value, shown):
    refused(child(folder, f"[parameters]\nforward_working_days = {value}"), "parameters.forward_working_days",
            "must be a whole number", shown)


def test_negative_numbers_are_refused(folder):
    refused(child(folder, "[parameters]\noptout_working_days = -1"), "parameters.optout_working_days",
            "must be 0 or more, not -1")
    refused(child(folder, "[finding_due_days]\nhigh = -14"), "finding_due_days.high", "must be 1 or more")


@pytest.mark.parametrize("day", [0, 29, 31])
def test_report_due_day_must_exist_in_every_month(folder, day):
    refused(child(folder, f"[parameters]\nreport_due_day = {day}"), "parameters.report_due_day",
            "must be between 1 and 28", f"not {day}")


def test_report_due_day_28_is_accepted(folder):
    assert load_profile(child(folder, "[parameters]\nreport_due_day = 28")).parameters.report_due_day == 28


def test_unknown_request_types_and_outcomes_are_refused_with_the_vocabulary(folder):
    refused(child(folder, '[parameters]\nhandled_by_processor = ["marketing_optout"]'),
            "parameters.handled_by_processor", "'marketing_optout' is not a request type",
            "Did you mean `marketing_opt_out`?", "access")
    refused(child(folder, '[parameters]\nescalate_outcomes = ["refusd"]'), "parameters.escalate_outcomes",
            "'refusd' is not a outcome", "Did you mean `refused`?")
    refused(child(folder, '[parameters]\nescalate_request_types = "erasure"'), "parameters.escalate_request_types",
            "must be a list of request types")


def test_a_country_the_holidays_package_does_not_know_is_refused(folder):
    refused(child(folder, '[calendar]\ncountry = "XX"'), "calendar.country",
            "'XX' is not a country the holidays package knows")


def test_an_unknown_subdivision_is_refused_and_the_known_ones_listed(folder):
    message = refused(child(folder, '[calendar]\ncountry = "FR"\nsubdivision = "99"'), "calendar.subdivision",
                      "'99' is not a subdivision of FR")
    assert "57" in message


@pytest.mark.parametrize("value", ['"05/05/2026"', '"2026-02-30"', "2026-05-05T00:00:00", "20260505"])
def test_an_extra_date_that_is_not_an_iso_date_is_refused(folder, value):
    refused(child(folder, f"[calendar]\nextra_dates = [{value}]"), "calendar.extra_dates", "YYYY-MM-DD")


def test_extra_dates_accept_toml_dates_and_iso_strings(folder):
    profile = load_profile(child(folder, '[calendar]\nextra_dates = [2026-05-05, "2026-05-15", 2026-05-05]'))
    assert profile.calendar.extra_dates == (date(2026, 5, 5), date(2026, 5, 15))
    assert profile.calendar.label() == "BE + 2 extra dates"


def test_a_check_id_not_in_the_catalog_is_refused_quoted_or_dotted(folder):
    refused(child(folder, '[checks]\n"sla.forwarding_lat" = "SCC 8(a)"'), "checks.sla.forwarding_lat",
            "unknown key", "Did you mean `checks.sla.forwarding_late`?")
    refused(child(folder, '[checks]\nsla.forwarding_lat = "SCC 8(a)"'), "checks.sla.forwarding_lat", "unknown key")


def test_a_check_mapped_to_a_clause_not_in_the_register_is_refused(folder):
    refused(child(folder, '[checks]\n"report.late" = "SL 9"'), "checks.report.late",
            "maps to 'SL 9', which is not in the clause register")


def test_a_rubric_item_mapped_to_a_clause_not_in_the_register_is_refused(folder):
    refused(child(folder, '[rubric]\ntimely = "SCC 8(z)"'), "rubric.timely", "maps to 'SCC 8(z)'",
            "Did you mean `SCC 8(")
    refused(child(folder, '[rubric]\ntimley = "SCC 8(b)"'), "rubric.timley", "Did you mean `rubric.timely`?")


def test_a_catalog_check_that_resolves_to_no_clause_of_the_register_is_refused(folder):
    # No [checks] table: every check falls back to its catalog default, and SCC 7.6(c) is missing.
    refused(standalone(folder, [r for r in ALL_CLAUSES if r != "SCC 7.6(c)"]), "checks.report.late",
            "has no clause", "catalog default 'SCC 7.6(c)' is not in the clause register")
    # Mapping the report checks elsewhere makes the same register acceptable.
    report_checks = [c.id for c in CHECKS if c.id.startswith("report.")]
    path = standalone(folder, [r for r in ALL_CLAUSES if r != "SCC 7.6(c)"],
                      "[checks]\n" + "\n".join(f'"{c}" = "SCC 7.6"' for c in report_checks))
    refused(path, "rubric.case_records", "maps to 'SCC 7.6(c)'")  # the case-records default needs it too
    text = path.read_text(encoding="utf-8").replace("[rubric]\n", '[rubric]\ncase_records = "SCC 7.6"\n')
    path.write_text(text, encoding="utf-8")
    assert load_profile(path).clause_for_check("report.missing") == "SCC 7.6"


def test_duplicate_clause_refs_are_refused(folder):
    refused(standalone(folder, [*ALL_CLAUSES, "SCC 7.4"]), "clauses[9].ref", "'SCC 7.4' appears twice")


def test_a_clause_without_a_summary_or_with_an_unknown_part_is_refused(folder):
    body = '[[clauses]]\nref = "SL 1"\ntitle = "Reporting"\npart = "Service levels"'
    refused(child(folder, body), "clauses[1].summary", "is missing")
    body = '[[clauses]]\nref = "SL 1"\ntitle = "Reporting"\nsummary = "Monthly."\npart = "Service level"'
    refused(child(folder, body), "clauses[1].part", "is not a part of the contract", "Did you mean `Service levels`?")


def test_toml_syntax_errors_are_refused_with_the_line(folder):
    path = folder / "broken.toml"
    path.write_text('name = "broken"\ntitle = "Broken"\n[parameters\nreport_due_day = 10\n', encoding="utf-8")
    message = refused(path, None, "not valid TOML", "line 3")
    assert "Traceback" not in message


def test_a_missing_parameter_of_a_standalone_profile_is_named(folder):
    path = standalone(folder, ALL_CLAUSES)
    path.write_text(path.read_text(encoding="utf-8").replace("due_soon_days = 2\n", ""), encoding="utf-8")
    refused(path, "parameters.due_soon_days", "is missing", 'extends = "default"')


def test_extends_must_name_a_profile_and_must_not_cycle(folder):
    lost = folder / "lost.toml"
    lost.write_text('name = "lost"\nextends = "nowhere"\ntitle = "Lost"\n', encoding="utf-8")
    refused(lost, "extends", "names 'nowhere', which is not a profile", "Profiles there: default")
    (folder / "a.toml").write_text('name = "a"\nextends = "b"\ntitle = "A"\n', encoding="utf-8")
    (folder / "b.toml").write_text('name = "b"\nextends = "a"\ntitle = "B"\n', encoding="utf-8")
    # The file whose `extends` closes the loop is the one named.
    with pytest.raises(InvalidProfile, match=r"b\.toml, key `extends`: 'a' extends .* \(a cycle: a → b → a\)"):
        load_profile(folder / "a.toml")
    with pytest.raises(InvalidProfile, match=r"a\.toml, key `extends`: 'b' extends .* \(a cycle: b → a → b\)"):
        load_profile(folder / "b.toml")


def test_the_name_must_be_the_file_name(folder):
    path = folder / "acme.toml"
    path.write_text('name = "other"\nextends = "default"\ntitle = "Acme"\n', encoding="utf-8")
    refused(path, "name", "is 'other' but the file is acme.toml")
    path.write_text('extends = "default"\ntitle = "Acme"\n', encoding="utf-8")  # would inherit "default"
    refused(path, "name", "is 'default' but the file is acme.toml")


def test_an_error_in_the_parent_names_the_parent_file(folder):
    parent = folder / "default.toml"
    parent.write_text(parent.read_text(encoding="utf-8").replace("due_soon_days = 7", "due_soon_days = -7"),
                      encoding="utf-8")
    with pytest.raises(InvalidProfile) as caught:
        load_profile(child(folder, ""))
    assert str(parent) in str(caught.value) and "`parameters.due_soon_days`" in str(caught.value)


def test_an_unknown_profile_name_lists_the_known_ones(folder):
    with pytest.raises(UnknownProfile, match="Known profiles: default"):
        load_profile("acme", folder)
    with pytest.raises(UnknownProfile):
        load_profile("default profile", folder)


# --- extends and merge ------------------------------------------------------------------------------------------

def test_extends_merges_tables_and_replaces_arrays(folder):
    profile = load_profile(child(folder, '[parameters]\nreport_due_day = 20\nhandled_by_processor = ["rectification"]'
                                          '\n[calendar]\nextra_dates = [2026-12-24]\n[checks]\n"report.late" = "SL 1"'
                                          '\n[finding_due_days]\nlow = 90'))
    default = load_profile("default", folder)
    assert profile.parameters.report_due_day == 20
    assert profile.parameters.handled_by_processor == ("rectification",)  # arrays replace
    assert profile.parameters.optout_working_days == 5  # tables merge: the rest is inherited
    assert profile.calendar == CalendarSpec("BE", None, (date(2026, 12, 24),))
    assert profile.finding_due_days == {"critical": 7, "high": 14, "medium": 30, "low": 90}
    assert profile.clause_for_check("report.late") == "SL 1"
    assert profile.clause_for_check("report.missing") == "SL 1"
    assert profile.clauses == default.clauses  # the register is inherited when not given
    assert profile.rubric_clauses == default.rubric_clauses


def test_a_child_that_gives_clauses_replaces_the_whole_register(folder):
    refs = [*ALL_CLAUSES, *(f"SL {n}" for n in range(1, 7))]
    part = {"A": "Annex", "S": "SCC"}
    body = "".join(f'\n[[clauses]]\nref = "{r}"\ntitle = "T"\nsummary = "S"\n'
                   f'part = "{"Service levels" if r.startswith("SL") else part[r[0]]}"' for r in refs)
    profile = load_profile(child(folder, body))
    assert list(profile.clauses) == refs
    # The inherited [checks] name SL 2 (and the rest of the annex): a register without them is refused.
    refused(child(folder, body.split("\n[[clauses]]\nref = \"SL 1\"")[0]), "checks.sla.forwarding_late",
            "maps to 'SL 2'")


# --- the hash -----------------------------------------------------------------------------------------------------

def test_sha256_is_stable_and_changes_when_a_parameter_changes_here_or_in_the_parent(folder):
    path = child(folder, "[parameters]\nreport_due_day = 12")
    first = load_profile(path).sha256
    assert load_profile(path).sha256 == first and len(first) == 64
    path.write_text(path.read_text(encoding="utf-8").replace("= 12", "= 13"), encoding="utf-8")
    second = load_profile(path).sha256
    assert second != first
    parent = folder / "default.toml"
    parent.write_text(parent.read_text(encoding="utf-8").replace("optout_working_days = 5", "optout_working_days = 4"),
                      encoding="utf-8")
    assert load_profile(path).sha256 != second


def test_comments_and_layout_do_not_change_the_hash(folder):
    path = child(folder, "[parameters]\nreport_due_day = 12")
    before = load_profile(path).sha256
    path.write_text("# a comment\n" + path.read_text(encoding="utf-8").replace("= 12", "=   12  # why"),
                    encoding="utf-8")
    assert load_profile(path).sha256 == before


# --- linking processors -----------------------------------------------------------------------------------------

def test_a_processor_gets_the_default_profile_until_linked(con, officer):
    ensure_processor(con, "Belcall Antwerpen BV")
    assert profile_for_processor(con, "Belcall Antwerpen BV").name == "default"
    assert profile_for_processor(con, "Never Seen BV").name == "default"
    link_processor(con, officer, "Belcall Antwerpen BV", "nl")
    assert profile_for_processor(con, "Belcall Antwerpen BV").name == "nl"


def test_linking_is_audited_with_the_previous_and_new_profile(con, officer):
    ensure_processor(con, "Belcall Antwerpen BV")
    link_processor(con, officer, "Belcall Antwerpen BV", "nl")
    [(user, role, action, obj, details)] = con.execute(
        "SELECT user_name, role, action, object, details FROM audit_events "
        "WHERE action = 'processor.profile_linked'").fetchall()
    assert (user, role, action, obj) == ("olivia", "compliance_officer", "processor.profile_linked",
                                         "processor:Belcall Antwerpen BV")
    assert json.loads(details) == {"profile": "nl", "previous": "default", "sha256": load_profile("nl").sha256}


def test_a_viewer_may_not_link_a_processor_and_nothing_changes(con):
    ensure_processor(con, "Belcall Antwerpen BV")
    with pytest.raises(PermissionDenied, match="compliance_officer"):
        link_processor(con, User("vera", ("viewer",)), "Belcall Antwerpen BV", "nl")
    assert con.execute("SELECT profile FROM processors").fetchall() == [("default",)]
    assert con.execute("SELECT count(*) FROM audit_events WHERE action = 'processor.profile_linked'").fetchall() \
        == [(0,)]


def test_linking_to_an_unknown_profile_or_processor_is_refused_and_writes_nothing(con, officer):
    ensure_processor(con, "Belcall Antwerpen BV")
    with pytest.raises(UnknownProfile):
        link_processor(con, officer, "Belcall Antwerpen BV", "acme")
    with pytest.raises(UnknownProcessor, match="Known processors: Belcall Antwerpen BV"):
        link_processor(con, officer, "Belcal", "nl")
    assert con.execute("SELECT profile FROM processors").fetchall() == [("default",)]
    assert con.execute("SELECT count(*) FROM audit_events WHERE action = 'processor.profile_linked'").fetchall() \
        == [(0,)]


# --- the CLI ------------------------------------------------------------------------------------------------------

def test_cli_link_then_list_shows_the_processor_under_its_profile(cli_env):
    con = connect(cli_env.db)
    ensure_processor(con, "Belcall")  # as its first report would
    con.close()
    code, out, _ = run_cli("profile", "link", "--processor", "Belcall", "nl")
    assert code == 0 and "Belcall is now held to contract profile 'nl'" in out
    code, out, _ = run_cli("profile", "list", "--format", "json")
    assert code == 0
    listed = {p["name"]: p for p in json.loads(out)}
    assert listed["nl"]["processors"] == ["Belcall"] and listed["default"]["processors"] == []
    assert listed["fr"] == {"name": "fr", "title": load_profile("fr").title, "calendar": "FR-57", "processors": [],
                            "status": "valid"}
    code, out, _ = run_cli("profile", "list")
    assert code == 0 and re.search(r"^nl\s.*NL \+ 15 extra dates\s+Belcall", out, re.M)


def test_cli_show_json_gives_parameters_calendar_register_and_mapping(cli_env):
    code, out, _ = run_cli("profile", "show", "fr", "--format", "json")
    doc = json.loads(out)
    assert code == 0
    assert doc["parameters"]["report_due_day"] == 15
    assert doc["parameters"]["escalate_outcomes"] == ["refused", "partially_fulfilled"]
    assert doc["calendar"] == {"country": "FR", "subdivision": "57", "extra_dates": [], "label": "FR-57"}
    assert doc["checks"]["sla.forwarding_late"] == "SL 2" and doc["case_records"] == "SL 6"
    register = {c["ref"]: c for c in doc["clauses"]}
    assert len(register) == len(doc["clauses"]) == 74
    assert set(register["SCC 7.6"]) == {"ref", "title", "summary", "part", "implements", "text"}
    assert register["SL 1"]["implements"] == ["SCC 7.6(c)"] and register["SCC 7.6"]["implements"] == []
    assert (register["SCC 7.6"]["title"], register["SCC 7.6"]["part"]) == ("Documentation and compliance", "SCC")
    assert doc["sha256"] == load_profile("fr").sha256


def test_cli_show_text_lists_the_sections(cli_env):
    code, out, _ = run_cli("profile", "show", "nl")
    assert code == 0
    assert "calendar (service levels): NL + 15 extra dates" in out and "2026-05-15" in out
    # Whose holidays (issue 13, item 15): with no [controller] country configured, the profile's calendar.
    assert "statutory deadlines (Art. 12) count: NL + 15 extra dates (profile nl, [calendar]: no [controller] " \
           "country is configured)" in out
    assert re.search(r"report\.late\s+SL 1", out) and re.search(r"SCC 8\(a\)\s+Assistance to the controller", out)


def test_cli_unknown_profile_exits_2_with_a_message(cli_env):
    code, out, err = run_cli("profile", "show", "acme")
    assert code == 2 and out == ""
    assert "There is no contract profile 'acme'" in err and "Known profiles: default, fr, nl" in err
    assert "Traceback" not in err
    code, _, err = run_cli("profile", "link", "--processor", "Belcall", "acme")
    assert code == 2 and "There is no contract profile 'acme'" in err


def test_cli_invalid_profile_exits_2_naming_file_and_key(cli_env):
    bad = cli_env.folder / "bad.toml"
    bad.write_text('name = "bad"\nextends = "default"\ntitle = "Bad"\n[parameters]\nreport_due_day = 31\n',
                   encoding="utf-8")
    shutil.copy(contracts_dir() / "default.toml", cli_env.folder / "default.toml")
    code, _, err = run_cli("profile", "show", str(bad))
    assert code == 2 and str(bad) in err and "`parameters.report_due_day`" in err and "between 1 and 28" in err

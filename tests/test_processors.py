"""Processors are onboarded, not guessed (issue 12 §5): the processor register, the first report's --profile, and
open findings that follow a profile change. Real report files, a real DuckDB file, the CLI and the Processors page."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from checks.runner import run_checks
from findings.raising import raise_from_checks
from ingest.onboarding import ProfileMismatch, UnknownProcessor
from registry.errors import RegisterError
from registry.processors import get_processor, register_processor, update_processor
from store.audit import list_events
from store.errors import PermissionDenied
from store.identity import User
from tests.conftest import HEADER_NL, nl_row, open_dashboard_page, run_cli, with_db

ROOT = Path(__file__).resolve().parents[1]

NEW = "Contactia BV"
VIEWER = User("vic", ("viewer",))


def test_the_first_report_of_an_unknown_processor_needs_a_profile(cli_env, write_csv):
    path = str(write_csv("contactia_2026-10.csv", [HEADER_NL, nl_row("NL-1001")]))
    code, _, err = run_cli("ingest", path, "--processor", NEW, "--submitted-on", "2026-11-05")
    assert code == 2 and f"{NEW} is not in the processor register yet" in err
    assert "Profiles: default, fr, nl." in err
    code, _, err = run_cli("ingest", path, "--processor", NEW, "--profile", "be-typo")
    assert code == 2 and "Profiles: default, fr, nl." in err
    code, out, err = run_cli("ingest", path, "--processor", NEW, "--profile", "nl", "--submitted-on", "2026-11-05")
    assert code == 0, err
    code, out, _ = run_cli("profile", "list", "--format", "json")
    assert NEW in next(p for p in json.loads(out) if p["name"] == "nl")["processors"]


def test_later_reports_need_no_profile_and_a_wrong_one_is_refused(con, ingest, write_csv):
    ingest(write_csv("v1_2026-10.csv", [HEADER_NL, nl_row("NL-1")]), processor=NEW, profile="nl", ask_profile=True)
    assert ingest(write_csv("v1_2026-11.csv", [HEADER_NL, nl_row("NL-2", received="05-11-2026")]), processor=NEW,
                  period="2026-11", submitted_on=date(2026, 12, 3), ask_profile=True).status == "loaded"
    with pytest.raises(ProfileMismatch, match="works under contract profile 'nl', not 'fr'"):
        ingest(write_csv("v1_2026-12.csv", [HEADER_NL, nl_row("NL-3", received="05-12-2026")]), processor=NEW,
               period="2026-12", submitted_on=date(2026, 12, 5), profile="fr", ask_profile=True)
    with pytest.raises(UnknownProcessor):
        ingest(write_csv("x_2026-10.csv", [HEADER_NL, nl_row("X-1")]), processor="Other BV", ask_profile=True)
    # One file, one event: the report's own event says that it registered its processor, and with which profile.
    first = list_events(con, action="report.ingested", limit=None)[-1]
    assert (first["details"]["registered_processor"], first["user_name"]) == ({"profile": "nl"}, "olivia")
    assert list_events(con, action="processor.registered") == []


def test_the_register_adds_and_edits_processors_audited(con, officer):
    added = register_processor(con, officer, NEW, profile="nl", country="nl", language="nl",
                               contacts=["Privacy: Eva de Vries <privacy@contactia.nl>", " "])
    assert (added.profile, added.country, added.language, added.contacts) == (
        "nl", "NL", "NL", ("Privacy: Eva de Vries <privacy@contactia.nl>",))
    with pytest.raises(RegisterError, match="already in the processor register"):
        register_processor(con, officer, NEW, profile="nl")
    with pytest.raises(RegisterError, match="Profiles: default, fr, nl"):
        register_processor(con, officer, "Another BV", profile="be")
    with pytest.raises(PermissionDenied):
        register_processor(con, VIEWER, "Another BV", profile="default")
    update_processor(con, officer, NEW, contacts=["DPO: dpo@contactia.nl"], profile="default")
    changed = get_processor(con, NEW)
    assert changed is not None and (changed.profile, changed.contacts) == ("default", ("DPO: dpo@contactia.nl",))
    actions = [e["action"] for e in reversed(list_events(con, action="processor"))]
    assert actions == ["processor.registered", "processor.updated", "processor.profile_linked"]


def test_a_profile_change_moves_open_findings_to_the_new_clause(con, officer, ingest, write_csv, tmp_path,
                                                                monkeypatch):
    # A contract without the service-level annex's reporting item: report.late logged against SCC 7.6(c) itself.
    contracts = tmp_path / "contracts"
    shutil.copytree(ROOT / "contracts", contracts, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (contracts / "direct.toml").write_text('name = "direct"\nextends = "default"\ntitle = "Direct"\n'
                                           '[checks]\n"report.late" = "SCC 7.6(c)"\n', encoding="utf-8")
    monkeypatch.setenv("OVERSIGHT_CONTRACTS", str(contracts))
    # Received on 12 November: after the default profile's due day (10th), so report.late, logged against SL 1.
    ingest(write_csv("b_2026-10.csv", [HEADER_NL, nl_row("BC-1")]), processor=NEW, profile="default",
           submitted_on=date(2026, 11, 12))
    run_checks(con, officer)
    [late] = [r for r in raise_from_checks(con, officer, today=date(2026, 11, 20)) if r.finding_id and
              con.execute("SELECT source FROM findings WHERE finding_id = ?", [r.finding_id]).fetchall()[0][0]
              == "check:report.late"]
    assert con.execute("SELECT clause FROM findings WHERE finding_id = ?", [late.finding_id]).fetchall() == [
        ("SL 1",)]
    update_processor(con, officer, NEW, profile="direct")
    again = {r.finding_id: r.outcome for r in raise_from_checks(con, officer, today=date(2026, 11, 21))}
    assert again[late.finding_id] == "updated"
    assert con.execute("SELECT clause, status FROM findings WHERE finding_id = ?", [late.finding_id]).fetchall() == [
        ("SCC 7.6(c)", "open")]
    moved = con.execute("SELECT details FROM finding_events WHERE finding_id = ? AND action = 'clause_moved'",
                        [late.finding_id]).fetchall()
    assert [json.loads(d)["clause"] for (d,) in moved] == [{"from": "SL 1", "to": "SCC 7.6(c)"}]


def test_the_processors_page_adds_a_processor(app_report):
    at = open_dashboard_page("app/processors.py")
    assert "Belcall Antwerpen BV" in list(next(d.value for d in at.dataframe)["processor"])
    at.text_input(key="processor_add_name").set_value(NEW)
    at.selectbox(key="processor_add_profile").set_value("nl")
    at.text_input(key="processor_add_country").set_value("NL")
    at.text_area(key="processor_add_contacts").set_value("Privacy: Eva de Vries <privacy@contactia.nl>")
    at.button[[b.label for b in at.button].index("Add processor")].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert f"{NEW} added to the register with contract profile nl." in [s.value for s in at.success]
    found = with_db(lambda con: get_processor(con, NEW))
    assert found is not None and (found.profile, found.country) == ("nl", "NL") and found.registered_by


def test_a_processor_with_reports_gets_a_new_language_and_contacts(demo):
    """The register is edited after the processor has reported (the letters and the portal speak its language):
    DuckDB's foreign keys refused a list column's update for a processor with reports (migration 18)."""
    officer = User("olivia", ("compliance_officer",))
    changed = update_processor(demo, officer, "Belcall Antwerpen BV", language="nl",
                               contacts=["DPO: dpo@belcall.example", "Legal: legal@belcall.example"])
    assert (changed.language, changed.contacts) == ("NL", ("DPO: dpo@belcall.example", "Legal: legal@belcall.example"))
    again = update_processor(demo, officer, "Belcall Antwerpen BV", contacts=["DPO: dpo@belcall.example"])
    assert again.contacts == ("DPO: dpo@belcall.example",) and again.language == "NL"
    [event] = [e for e in list_events(demo, action="processor.updated", limit=1)]
    assert event["details"]["contacts"]["to"] == ["DPO: dpo@belcall.example"]

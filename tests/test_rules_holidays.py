"""Whose holidays (issue 13, item 15), on small real report files: the statutory deadlines of Art. 12 count the
holidays of the controller's Member State (Reg. 1182/71: the State where the action is taken), named by the
configuration's ``[controller] country``; a profile may override it with ``[statutory_calendar]``; the contract's
service levels keep counting the working days of the profile's ``[calendar]`` (the default profile: BE)."""

from __future__ import annotations

from datetime import date

import pytest
from typer.testing import CliRunner

from casefile.record import case_record
from checks.profiles import load_profile
from cli import app
from store.errors import ConfigError
from store.users_file import load_config
from tests.checkkit import assert_offends, assert_passes
from tests.reportkit import PROCESSOR, check_file, contracts_with, write_report

ANSWERED = {"request_type": "access", "identity_verified": True, "forwarded_on": "2026-03-27",
            "outcome": "fulfilled"}


def _kings_day_report(tmp_path):
    # Received Fri 27 Mar 2026: the month ends Mon 27 Apr, King's Day, a public holiday in the Netherlands but not in
    # Belgium; under the controller's (NL) calendar the deadline rolls to Tue 28 Apr.
    return write_report(tmp_path, "testcall_2026-10.csv", [
        {"case_id": "H-1", "received_on": "2026-03-27", "responded_on": "2026-04-28", **ANSWERED},
        {"case_id": "H-2", "received_on": "2026-03-27", "responded_on": "2026-04-27", **ANSWERED},  # clean
        {"case_id": "H-3", "received_on": "2026-03-27", "responded_on": "2026-04-29", **ANSWERED},  # late anyway
    ])


def test_statutory_deadlines_count_the_controllers_holidays(con, key_path, tmp_path):
    found = check_file(con, key_path, _kings_day_report(tmp_path), "2026-10", controller_country="NL")
    assert_passes(found, "deadline.late_response", "H-1")  # due Tue 28 Apr under the NL calendar
    assert_passes(found, "deadline.late_response", "H-2")
    assert_offends(found, "deadline.late_response", "H-3", due_on="2026-04-28")
    run = con.execute("SELECT profiles FROM check_runs WHERE run_id = ?", [found.run_id]).fetchall()[0][0]
    assert '"statutory_calendar": "NL"' in run and '"calendar": "BE"' in run  # the run records both
    # the case page and `oversight case show` work the date out over the same calendar as the run
    deadlines = case_record(con, PROCESSOR, "H-1", "NL")["deadlines"]
    assert (deadlines["calendar"], deadlines["due_on"]) == ("NL", date(2026, 4, 28))
    assert deadlines["rolled_over"] == [{"date": "2026-04-27", "why": "public holiday or contract day off"}]


def test_without_a_controller_country_the_profiles_calendar_stands(con, key_path, tmp_path):
    found = check_file(con, key_path, _kings_day_report(tmp_path), "2026-10")
    assert_offends(found, "deadline.late_response", "H-1", due_on="2026-04-27")  # BE: King's Day is a working day
    assert_passes(found, "deadline.late_response", "H-2")


def test_service_levels_keep_the_profiles_calendar(con, key_path, tmp_path):
    # Received Fri 17 Jul 2026; 5 working days in BE (Tue 21 Jul, the national day, does not count) end Mon 27 Jul,
    # in NL Fri 24 Jul. The opt-out service level is the contract's: the profile's BE calendar, whatever the
    # controller's country.
    optout = {"request_type": "marketing_opt_out", "received_on": "2026-07-17", "responded_on": "2026-07-27",
              "outcome": "fulfilled", "forwarded_on": "2026-07-17"}
    path = write_report(tmp_path, "testcall_2026-10.csv", [
        {"case_id": "O-1", **optout, "suppressed_on": "2026-07-27"},  # on the BE date, after the NL one
        {"case_id": "O-2", **optout, "suppressed_on": "2026-07-28"},  # late under either
    ])
    found = check_file(con, key_path, path, "2026-10", controller_country="NL")
    assert_passes(found, "marketing.optout_not_effective", "O-1")
    assert_offends(found, "marketing.optout_not_effective", "O-2", optout_due_on="2026-07-27")


def test_a_profile_may_name_the_statutory_calendar(con, key_path, tmp_path, monkeypatch):
    folder = contracts_with(tmp_path, {"[calendar]": '[statutory_calendar]\ncountry = "NL"\n\n[calendar]'})
    monkeypatch.setenv("OVERSIGHT_CONTRACTS", str(folder))
    profile = load_profile("default")
    assert profile.statutory_spec("FR")[0].country == "NL"  # the contract's word beats the configuration's
    assert profile.calendar.country == "BE"
    found = check_file(con, key_path, _kings_day_report(tmp_path), "2026-10", controller_country="BE")
    assert_passes(found, "deadline.late_response", "H-1")
    assert_offends(found, "deadline.late_response", "H-3", due_on="2026-04-28")


def test_the_configuration_names_the_controllers_country(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text('[access]\nmode = "local"\n\n[controller]\ncountry = "nl"\n', encoding="utf-8")
    assert load_config(good).controller_country == "NL"
    for text in ('[controller]\ncountry = "Holland"\n', '[controller]\ncountrie = "NL"\n'):
        bad = tmp_path / "bad.toml"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=r"\[controller\]"):
            load_config(bad)


def test_oversight_deadline_uses_the_controllers_calendar_and_says_so(tmp_path):
    config = tmp_path / "oversight.toml"
    config.write_text('[access]\nmode = "local"\n\n[controller]\ncountry = "NL"\n', encoding="utf-8")
    out = CliRunner().invoke(app, ["--config", str(config), "deadline", "2026-03-27"])
    assert out.exit_code == 0, out.output
    assert "NL (the controller's country, [controller] country)" in out.output
    assert f"{date(2026, 4, 28):%a %d %b %Y}" in out.output
    plain = tmp_path / "plain.toml"
    plain.write_text('[access]\nmode = "local"\n', encoding="utf-8")
    out = CliRunner().invoke(app, ["--config", str(plain), "deadline", "2026-03-27", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert '"due_on": "2026-04-27"' in out.output and "no [controller] country is configured" in out.output

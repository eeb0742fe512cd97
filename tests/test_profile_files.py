"""Editing contract profile files: validation as a load would see it, refusals that leave the file untouched, and an
atomic, audited save. Every test works on a copy of contracts/ named by OVERSIGHT_CONTRACTS, never on the repo's."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from checks.contract import load_profile
from checks.errors import InvalidProfile
from checks.profile_files import (
    ProfileChangedMeanwhile,
    read_profile_file,
    save_profile,
    validate_profile_text,
)
from store import audit
from store.errors import PermissionDenied
from store.identity import User

REPO_CONTRACTS = Path(__file__).resolve().parents[1] / "contracts"
AUDITOR = User("aude", ("auditor",))


@pytest.fixture
def contracts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "contracts"
    # A profiles folder as a deployment has it: the profile files and their README, not the package's Python files
    shutil.copytree(REPO_CONTRACTS, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    monkeypatch.setenv("OVERSIGHT_CONTRACTS", str(folder))
    return folder


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_valid_text_loads_as_the_saved_file_would(contracts):
    text = (contracts / "nl.toml").read_text(encoding="utf-8").replace("2026-05-15,", "")
    profile = validate_profile_text("nl", text)
    assert profile.path == contracts / "nl.toml"
    assert len(profile.calendar.extra_dates) == len(load_profile("nl").calendar.extra_dates) - 1
    assert profile.parameters == load_profile("default").parameters  # `extends` found its parent
    (contracts / "nl.toml").write_text(text, encoding="utf-8")
    assert load_profile("nl").sha256 == profile.sha256


def test_an_unknown_key_is_refused_naming_the_real_file_the_key_and_the_reason(contracts):
    text = (contracts / "fr.toml").read_text(encoding="utf-8")
    bad = text.replace('name = "fr"', 'name = "fr"\nreport_due_days = 15')
    with pytest.raises(InvalidProfile) as refused:
        validate_profile_text("fr", bad)
    assert (refused.value.file, refused.value.key, refused.value.reason) == (
        str(contracts / "fr.toml"), "report_due_days", "unknown key")
    where = contracts / "fr.toml"
    assert str(refused.value).startswith(f"Contract profile {where}, key `report_due_days`: unknown key.")


def test_a_parent_that_is_not_there_is_refused_naming_the_contracts_directory(contracts):
    text = (contracts / "nl.toml").read_text(encoding="utf-8").replace('extends = "default"', 'extends = "defualt"')
    with pytest.raises(InvalidProfile, match=r"names 'defualt', which is not a profile in ") as refused:
        validate_profile_text("nl", text)
    assert str(contracts) in str(refused.value) and "oversight-profile-" not in str(refused.value)


def test_a_name_that_is_not_the_file_name_is_refused(contracts):
    text = (contracts / "fr.toml").read_text(encoding="utf-8")
    with pytest.raises(InvalidProfile, match=r"key `name`: is 'fr' but the file is acme.toml"):
        validate_profile_text("acme", text)
    with pytest.raises(InvalidProfile, match="cannot be a profile name"):
        validate_profile_text("../fr", text)


def test_a_parent_change_that_would_break_a_profile_extending_it_is_refused(contracts):
    # A contract that logs report.late against Annex II (which the default profile itself no longer uses): the
    # default register must keep it while a profile extending it relies on it.
    (contracts / "acme.toml").write_text('name = "acme"\nextends = "default"\ntitle = "Acme"\n'
                                         '[checks]\n"report.late" = "Annex II"\n', encoding="utf-8")
    text = (contracts / "default.toml").read_text(encoding="utf-8").replace('ref = "Annex II"', 'ref = "Annex IIa"')
    with pytest.raises(InvalidProfile, match=r"saving it would make acme.toml invalid, which extends it .*'Annex II'"):
        validate_profile_text("default", text)


def test_a_profile_already_broken_does_not_block_saving_another(contracts, con, officer):
    (contracts / "fr.toml").write_text('name = "fr"\nextends = "default"\nbogus = 1\n', encoding="utf-8")
    text = (contracts / "nl.toml").read_text(encoding="utf-8").replace("2024-05-10, ", "", 1)
    assert save_profile(con, officer, "nl", text).changed


def test_an_auditor_may_not_save_and_the_file_is_untouched(contracts, con):
    before = sha(contracts / "default.toml")
    text = (contracts / "default.toml").read_text(encoding="utf-8").replace("critical = 7", "critical = 5")
    with pytest.raises(PermissionDenied, match="may not edit a contract profile: that needs one of the roles "
                                               "compliance_officer"):
        save_profile(con, AUDITOR, "default", text)
    assert sha(contracts / "default.toml") == before
    assert audit.count_events(con) == 0


def test_an_invalid_text_is_not_saved_and_not_audited(contracts, con, officer):
    before = sha(contracts / "default.toml")
    text = (contracts / "default.toml").read_text(encoding="utf-8").replace("due_soon_days = 7", "due_soon_days = -1")
    with pytest.raises(InvalidProfile, match=r"key `parameters.due_soon_days`: must be 0 or more, not -1"):
        save_profile(con, officer, "default", text)
    assert sha(contracts / "default.toml") == before
    assert sorted(p.name for p in contracts.iterdir()) == ["README.md", "default.toml", "fr.toml", "nl.toml"]
    assert audit.count_events(con) == 0


def test_a_valid_text_is_saved_and_audited_with_the_hashes_before_and_after(contracts, con, officer):
    path = contracts / "default.toml"
    old_default, old_nl, old_file = load_profile("default").sha256, load_profile("nl").sha256, sha(path)
    text = path.read_text(encoding="utf-8").replace("due_soon_days = 7", "due_soon_days = 5")
    saved = save_profile(con, officer, "default", text, expected_sha256=old_file)
    assert path.read_text(encoding="utf-8") == text
    assert load_profile("default").parameters.due_soon_days == 5
    assert (saved.changed, saved.sha256_before, saved.profile.sha256) == (True, old_default,
                                                                          load_profile("default").sha256)
    assert saved.profile.sha256 != old_default
    [event] = audit.list_events(con)
    assert (event["action"], event["object"], event["user_name"], event["role"]) == (
        "profile.changed", "profile:default", "olivia", "compliance_officer")
    details = event["details"]
    assert (details["sha256_before"], details["sha256_after"]) == (old_default, saved.profile.sha256)
    assert (details["file_sha256_before"], details["file_sha256_after"]) == (old_file, sha(path))
    # nl.toml and fr.toml extend default: their merged content, and so the hash check runs store, changed too.
    assert details["dependents"]["nl"] == {"sha256_before": old_nl, "sha256_after": load_profile("nl").sha256}
    assert set(details["dependents"]) == {"nl", "fr"}
    assert audit.verify_chain(con).intact
    assert not [p for p in contracts.iterdir() if p.name.startswith(".")]  # no temporary file left behind


def test_saving_the_same_text_changes_nothing_and_appends_no_event(contracts, con, officer):
    text = (contracts / "fr.toml").read_text(encoding="utf-8")
    saved = save_profile(con, officer, "fr", text)
    assert (saved.changed, saved.event_seq) == (False, None)
    assert audit.count_events(con) == 0


def test_a_file_changed_since_it_was_read_is_not_overwritten(contracts, con, officer):
    opened = read_profile_file("fr")
    assert opened.text is not None
    meanwhile = opened.text.replace("report_due_day = 15", "report_due_day = 14")
    (contracts / "fr.toml").write_text(meanwhile, encoding="utf-8")
    mine = opened.text.replace("report_due_day = 15", "report_due_day = 12")
    with pytest.raises(ProfileChangedMeanwhile, match="was changed after you opened it"):
        save_profile(con, officer, "fr", mine, expected_sha256=opened.sha256)
    assert (contracts / "fr.toml").read_text(encoding="utf-8") == meanwhile
    assert audit.count_events(con) == 0


def test_a_new_profile_file_is_created_and_audited_as_created(contracts, con, officer):
    text = 'name = "acme"\nextends = "default"\ntitle = "Acme call centre"\n[parameters]\nreport_due_day = 5\n'
    saved = save_profile(con, officer, "acme", text)
    assert load_profile("acme").parameters.report_due_day == 5
    assert (saved.file_sha256_before, saved.sha256_before) == (None, None)
    [event] = audit.list_events(con)
    assert event["details"]["created"] is True
    assert (contracts / "acme.toml").stat().st_mode & 0o777 == 0o644

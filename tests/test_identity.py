"""Users from the configuration file: identity-provider matching, password sign-in, `oversight user add`."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from store.errors import ConfigError, PermissionDenied
from store.identity import (
    ROLES,
    SignInFailed,
    User,
    add_user,
    authenticate,
    load_config,
    may,
    resolve_user,
    user_for_claims,
)
from store.passwords import Throttle, hash_password, verify_password

OFFICER = User("olivia", ROLES)
PASSWORD = "correct horse battery staple"
FAST = {"n": 2**10, "r": 8, "p": 1}


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "oversight.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- the identity provider's claims --------------------------------------------------------------------------------

USERS = """
[users.olivia]
roles = ["compliance_officer"]
email = "Olivia.Jansen@Example.org"

[users."vera@example.org"]
roles = ["vendor_manager", "viewer"]
"""


def test_provider_sign_in_matches_the_email_key_or_a_name_that_is_an_address(tmp_path: Path) -> None:
    config = load_config(config_file(tmp_path, USERS))
    assert user_for_claims(config, {"email": "olivia.jansen@example.org"}) == User("olivia", ("compliance_officer",))
    assert user_for_claims(config, {"email": "VERA@example.org", "email_verified": True}) \
        == User("vera@example.org", ("vendor_manager", "viewer"))


def test_provider_sign_in_never_matches_on_names_or_unverified_addresses(tmp_path: Path) -> None:
    config = load_config(config_file(tmp_path, USERS))
    assert user_for_claims(config, {"email": "mallory@example.org", "preferred_username": "olivia",
                                    "name": "olivia"}) is None
    assert user_for_claims(config, {"sub": "olivia"}) is None
    assert user_for_claims(config, {"email": "olivia.jansen@example.org", "email_verified": False}) is None


def test_one_address_for_two_users_is_refused(tmp_path: Path) -> None:
    path = config_file(tmp_path, USERS + '[users.vera]\nroles = ["viewer"]\nemail = "vera@example.org"\n')
    with pytest.raises(ConfigError, match=r"vera@example.org belongs to both \[users.vera@example.org\] and "
                                          r"\[users.vera\]"):
        load_config(path)


@pytest.mark.parametrize(("entry", "message"), [
    ('roles = ["viewer"]\npassword = "hunter2"', r"unknown key\(s\) password"),
    ('roles = ["viewer"]\npassword_hash = "hunter2"', "password_hash is not of the form"),
    ('roles = ["viewer"]\nemail = "vera"', "email must be an e-mail address"),
])
def test_user_table_mistakes_are_refused_at_load(tmp_path: Path, entry: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(config_file(tmp_path, f"[users.vera]\n{entry}\n"))


def test_unknown_cli_user_is_told_how_to_be_added(tmp_path: Path) -> None:
    config = load_config(config_file(tmp_path, USERS))
    with pytest.raises(ConfigError, match="oversight user add mallory --role ROLE"):
        resolve_user(config, "mallory")


def test_may_follows_the_permission_table() -> None:
    viewer, auditor = User("v", ("viewer",)), User("a", ("auditor",))
    assert not may(viewer, "ingest a report") and not may(auditor, "ingest a report")
    assert may(auditor, "draw a sample") and may(OFFICER, "manage users") and not may(auditor, "manage users")


# --- password sign-in ----------------------------------------------------------------------------------------------

@pytest.fixture
def with_passwords(tmp_path: Path) -> Path:
    return config_file(tmp_path, f'[users.olivia]\nroles = ["compliance_officer"]\n'
                                 f'password_hash = "{hash_password(PASSWORD, **FAST)}"\n'
                                 f'[users.vera]\nroles = ["viewer"]\n')


def test_right_password_signs_in_with_the_configured_roles(with_passwords: Path) -> None:
    assert authenticate(load_config(with_passwords), " olivia ", PASSWORD) == User("olivia", ("compliance_officer",))


def test_every_refusal_says_the_same_thing(with_passwords: Path) -> None:
    config = load_config(with_passwords)
    refusals = []
    for name, password in [("olivia", "wrong horse battery staple"), ("nobody", PASSWORD), ("vera", PASSWORD)]:
        with pytest.raises(SignInFailed) as caught:
            authenticate(config, name, password)
        refusals.append(str(caught.value))
    assert len(set(refusals)) == 1
    assert "olivia" not in refusals[0] and "unknown" not in refusals[0]


def test_too_many_failures_block_even_the_right_password(with_passwords: Path) -> None:
    config, throttle = load_config(with_passwords), Throttle(limit=3, pause=60)
    for _ in range(3):
        with pytest.raises(SignInFailed):
            authenticate(config, "olivia", "not the password at all", throttle)
    with pytest.raises(SignInFailed):
        authenticate(config, "olivia", PASSWORD, throttle)
    assert authenticate(load_config(with_passwords), "olivia", PASSWORD, Throttle()).name == "olivia"


# --- writing the users file ----------------------------------------------------------------------------------------

KEPT = """# Processor oversight, Gent office
[paths]
inbox = "/srv/oversight/inbox"  # the SFTP drop

[users.olivia]
roles = ["compliance_officer"]

# Vera follows up the processors
[users.vera]
roles = ["viewer"]
email = "vera@example.org"

[contracts]
default = "belcall"
"""


def test_adding_a_user_keeps_every_other_line(tmp_path: Path) -> None:
    path = config_file(tmp_path, KEPT)
    assert add_user(path, "bob", ["auditor"], acting=OFFICER, password_hash=hash_password(PASSWORD, **FAST))
    text = path.read_text(encoding="utf-8")
    assert text.startswith(KEPT)
    data = tomllib.loads(text)
    assert data["users"]["bob"]["roles"] == ["auditor"]
    assert verify_password(PASSWORD, data["users"]["bob"]["password_hash"])


def test_updating_a_user_changes_only_their_table(tmp_path: Path) -> None:
    path = config_file(tmp_path, KEPT)
    assert not add_user(path, "vera", ["vendor_manager", "viewer"], acting=OFFICER)
    text = path.read_text(encoding="utf-8")
    assert text == KEPT.replace('[users.vera]\nroles = ["viewer"]',
                                '[users.vera]\nroles = ["vendor_manager", "viewer"]')
    assert load_config(path).emails == {"vera@example.org": "vera"}  # the e-mail stays


def test_an_address_as_user_name_is_written_as_a_quoted_key(tmp_path: Path) -> None:
    path = config_file(tmp_path, KEPT)
    add_user(path, "bob@example.org", ["viewer"], acting=OFFICER)
    assert '[users."bob@example.org"]' in path.read_text(encoding="utf-8")
    assert user_for_claims(load_config(path), {"email": "bob@example.org"}) == User("bob@example.org", ("viewer",))


def test_a_new_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "oversight.toml"
    add_user(path, "olivia", ["compliance_officer"], acting=User("local", ROLES, access_control=False))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_config(path).users == {"olivia": ("compliance_officer",)}


@pytest.mark.parametrize(("text", "name", "roles", "message"), [
    ('users.olivia.roles = ["compliance_officer"]\n', "olivia", ["compliance_officer", "viewer"],
     "cannot update safely"),
    ('[users]\nolivia = { roles = ["compliance_officer"] }\n', "olivia", ["compliance_officer", "viewer"],
     "cannot update safely"),
    ("", "vera", ["viewer"], "no compliance officer"),
    ('[users.olivia]\nroles = ["compliance_officer"]\n', "olivia", ["viewer"], "no compliance officer"),
    ("", "vera smith", ["viewer"], "cannot be a user name"),
    ("[users\n", "vera", ["viewer"], "not valid TOML"),
])
def test_unsafe_or_harmful_changes_write_nothing(tmp_path: Path, text: str, name: str, roles: list[str],
                                                 message: str) -> None:
    path = config_file(tmp_path, text)
    with pytest.raises(ConfigError, match=message):
        add_user(path, name, roles, acting=OFFICER)
    assert path.read_text(encoding="utf-8") == text
    assert [p.name for p in tmp_path.iterdir()] == ["oversight.toml"]  # no temporary file left behind


def test_only_a_compliance_officer_manages_users(tmp_path: Path) -> None:
    path = config_file(tmp_path, KEPT)
    with pytest.raises(PermissionDenied, match="may not manage users"):
        add_user(path, "bob", ["compliance_officer"], acting=User("vera", ("viewer",)))
    assert path.read_text(encoding="utf-8") == KEPT


# --- the command ---------------------------------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("OVERSIGHT_CONFIG", raising=False)
    monkeypatch.delenv("OVERSIGHT_USER", raising=False)
    monkeypatch.setenv("OVERSIGHT_DB", str(tmp_path / "o.duckdb"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_user_add_asks_twice_and_stores_only_a_hash(cli_env: Path) -> None:
    result = runner.invoke(app, ["user", "add", "olivia", "--role", "compliance_officer"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Added user olivia (compliance_officer) in oversight.toml with a new password." in result.stdout
    text = (cli_env / "oversight.toml").read_text(encoding="utf-8")
    assert PASSWORD not in text and "horse" not in text
    stored = tomllib.loads(text)["users"]["olivia"]["password_hash"]
    assert stored.startswith("scrypt$n=131072,r=8,p=1$") and verify_password(PASSWORD, stored)


def test_user_add_with_mismatched_passwords_writes_nothing(cli_env: Path) -> None:
    result = runner.invoke(app, ["user", "add", "olivia", "--role", "compliance_officer"],
                           input=f"{PASSWORD}\n{PASSWORD}!\n")
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert not (cli_env / "oversight.toml").exists()


def test_user_add_reads_the_password_from_stdin_and_updates_roles(cli_env: Path) -> None:
    config = cli_env / "conf" / "team.toml"
    args = ["--config", str(config)]
    assert runner.invoke(app, ["user", "add", "olivia", "--role", "compliance_officer", "--no-password", *args]
                         ).exit_code == 0
    result = runner.invoke(app, ["--user", "olivia", "user", "add", "vera", "--role", "viewer", "--role",
                                 "vendor_manager", "--password-stdin", *args], input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    loaded = load_config(config)
    assert loaded.users == {"olivia": ("compliance_officer",), "vera": ("viewer", "vendor_manager")}
    assert set(loaded.password_hashes) == {"vera"}
    assert PASSWORD not in config.read_text(encoding="utf-8")


def test_user_add_refuses_a_short_password_and_an_unknown_actor(cli_env: Path) -> None:
    short = runner.invoke(app, ["user", "add", "olivia", "--role", "compliance_officer", "--password-stdin"],
                          input="hunter2\n")
    assert short.exit_code == 2 and "use at least 15" in short.stderr
    assert not (cli_env / "oversight.toml").exists()
    config_file(cli_env, '[users.olivia]\nroles = ["compliance_officer"]\n')
    unknown = runner.invoke(app, ["--user", "mallory", "user", "add", "vera", "--role", "viewer", "--no-password"])
    assert unknown.exit_code == 2
    assert "User 'mallory' is not in oversight.toml" in unknown.stderr
    assert "oversight user add mallory --role ROLE" in unknown.stderr


def test_user_list_shows_roles_email_and_whether_a_password_is_set(cli_env: Path) -> None:
    config_file(cli_env, f'[users.olivia]\nroles = ["compliance_officer"]\npassword_hash = '
                         f'"{hash_password(PASSWORD, **FAST)}"\n[users.vera]\nroles = ["viewer"]\n'
                         f'email = "vera@example.org"\n')
    result = runner.invoke(app, ["user", "list", "--format", "json"])
    assert result.exit_code == 0
    assert "scrypt" not in result.stdout
    assert json.loads(result.stdout) == [
        {"name": "olivia", "roles": ["compliance_officer"], "email": None, "password": True},
        {"name": "vera", "roles": ["viewer"], "email": "vera@example.org", "password": False},
    ]

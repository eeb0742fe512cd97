"""Who is acting: identity-provider matching, password sign-in, roles and permissions (the file: test_users_file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.errors import ConfigError
from store.identity import ROLES, SignInFailed, User, authenticate, may, resolve_user, user_for_claims
from store.passwords import Throttle, hash_password
from store.users_file import load_config
from tests.conftest import config_file

OFFICER = User("olivia", ROLES)
PASSWORD = "correct horse battery staple"
FAST = {"n": 2**10, "r": 8, "p": 1}


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

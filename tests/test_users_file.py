"""The configuration file's users: reading and refusing it, `add_user` and `oversight user add`, each change audited."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path

import duckdb
import pytest

from store import audit
from store.db import connect
from store.errors import ConfigError, PermissionDenied
from store.identity import ROLES, User, local_user_name, user_for_claims
from store.passwords import hash_password, parse_hash, verify_password
from store.users_file import add_user, load_config
from tests.conftest import CliEnv, config_file, database_held, run_cli

OFFICER = User("olivia", ROLES)
PASSWORD = "correct horse battery staple"
FAST = {"n": 2**10, "r": 8, "p": 1}


def secrets_of(stored_hash: str) -> list[str]:
    """The texts that must never reach the audit trail: the hash, and its salt and key as stored."""
    salt, key = stored_hash.rsplit("$", 2)[1:]
    parse_hash(stored_hash)  # a real hash, so the salt and key above are what the file holds
    return [PASSWORD, stored_hash, salt, key]


def event_texts(db: Path) -> str:
    """Every column of every audit event, as one text."""
    con = connect(db)
    try:
        return json.dumps(con.execute("SELECT * FROM audit_events").fetchall(), default=str)
    finally:
        con.close()


# --- reading -------------------------------------------------------------------------------------------------------

def test_one_address_for_two_users_is_refused(tmp_path: Path) -> None:
    path = config_file(tmp_path, '[users.olivia]\nroles = ["compliance_officer"]\n[users."vera@example.org"]\n'
                                 'roles = ["viewer"]\n[users.vera]\nroles = ["viewer"]\nemail = "vera@example.org"\n')
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


# --- writing -------------------------------------------------------------------------------------------------------

KEPT = """# Processor oversight, Gent office
[paths]
inbox = "/srv/oversight/inbox"  # the SFTP drop

[users.olivia]
roles = ["compliance_officer"]

# Vera follows up the processors
[users.vera]
roles = ["viewer"]
email = "vera@example.org"

[server]
address = "oversight.internal"  # behind the reverse proxy
"""


def test_adding_a_user_keeps_every_other_line(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = config_file(tmp_path, KEPT)
    assert add_user(con, path, "bob", ["auditor"], acting=OFFICER,
                    password_hash=hash_password(PASSWORD, **FAST)).created
    text = path.read_text(encoding="utf-8")
    assert text.startswith(KEPT)
    data = tomllib.loads(text)
    assert data["users"]["bob"]["roles"] == ["auditor"]
    assert verify_password(PASSWORD, data["users"]["bob"]["password_hash"])


def test_updating_a_user_changes_only_their_table(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = config_file(tmp_path, KEPT)
    assert not add_user(con, path, "vera", ["vendor_manager", "viewer"], acting=OFFICER).created
    text = path.read_text(encoding="utf-8")
    assert text == KEPT.replace('[users.vera]\nroles = ["viewer"]',
                                '[users.vera]\nroles = ["vendor_manager", "viewer"]')
    assert load_config(path).emails == {"vera@example.org": "vera"}  # the e-mail stays


def test_an_address_as_user_name_is_written_as_a_quoted_key(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = config_file(tmp_path, KEPT)
    add_user(con, path, "bob@example.org", ["viewer"], acting=OFFICER)
    assert '[users."bob@example.org"]' in path.read_text(encoding="utf-8")
    assert user_for_claims(load_config(path), {"email": "bob@example.org"}) == User("bob@example.org", ("viewer",))


def test_a_new_file_is_readable_by_its_owner_only(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = tmp_path / "etc" / "oversight.toml"
    add_user(con, path, "olivia", ["compliance_officer"], acting=User("local", ROLES, access_control=False))
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
def test_unsafe_or_harmful_changes_write_nothing_and_append_no_event(
        tmp_path: Path, con: duckdb.DuckDBPyConnection, text: str, name: str, roles: list[str], message: str) -> None:
    path = config_file(tmp_path, text)
    with pytest.raises(ConfigError, match=message):
        add_user(con, path, name, roles, acting=OFFICER)
    assert path.read_text(encoding="utf-8") == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "oversight.toml"]  # no temporary file left
    assert audit.count_events(con) == 0


def test_only_a_compliance_officer_manages_users(tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    path = config_file(tmp_path, KEPT)
    with pytest.raises(PermissionDenied, match="may not manage users"):
        add_user(con, path, "bob", ["compliance_officer"], acting=User("vera", ("viewer",)))
    assert path.read_text(encoding="utf-8") == KEPT
    assert audit.count_events(con) == 0


# --- the audit trail -----------------------------------------------------------------------------------------------

def test_adding_a_user_appends_one_event_with_roles_and_no_secret(tmp_path: Path,
                                                                   con: duckdb.DuckDBPyConnection) -> None:
    path = config_file(tmp_path, KEPT)
    saved = add_user(con, path, "bob", ["auditor", "viewer"], acting=User("olivia", ("compliance_officer",)),
                     password_hash=hash_password(PASSWORD, **FAST), email="bob@example.org")
    [event] = audit.list_events(con)
    assert (event["seq"], event["action"], event["object"]) == (saved.event_seq, "user.added", "user:bob")
    assert (event["user_name"], event["role"]) == ("olivia", "compliance_officer")
    assert event["details"] == {"file": str(path.resolve()), "roles": ["auditor", "viewer"], "roles_before": None,
                                "email": "bob@example.org", "password": "set", "processor": None}
    trail = json.dumps(con.execute("SELECT * FROM audit_events").fetchall(), default=str)
    for secret in secrets_of(tomllib.loads(path.read_text(encoding="utf-8"))["users"]["bob"]["password_hash"]):
        assert secret not in trail
    assert audit.verify_chain(con).intact


def test_changing_a_user_appends_a_changed_event_and_no_change_appends_none(tmp_path: Path,
                                                                            con: duckdb.DuckDBPyConnection) -> None:
    path = config_file(tmp_path, KEPT.replace('email = "vera@example.org"\n', 'email = "vera@example.org"\n'
                                              f'password_hash = "{hash_password(PASSWORD, **FAST)}"\n'))
    saved = add_user(con, path, "vera", ["vendor_manager"], acting=OFFICER)
    [event] = audit.list_events(con)
    assert (saved.created, event["action"], event["object"]) == (False, "user.changed", "user:vera")
    assert event["details"]["roles_before"] == ["viewer"] and event["details"]["roles"] == ["vendor_manager"]
    assert event["details"]["password"] == "kept"  # no new password given: the stored one stays, unnamed
    text = path.read_text(encoding="utf-8")

    again = add_user(con, path, "vera", ["vendor_manager"], acting=OFFICER)
    assert (again.created, again.event_seq) == (False, None)
    assert audit.count_events(con) == 1 and path.read_text(encoding="utf-8") == text


def test_the_file_is_not_replaced_when_the_event_cannot_be_appended(tmp_path: Path, db_path: Path) -> None:
    path = config_file(tmp_path, KEPT)
    connect(db_path).close()
    read_only = connect(db_path, read_only=True)
    try:
        with pytest.raises(duckdb.Error, match="read-only"):
            add_user(read_only, path, "bob", ["auditor"], acting=OFFICER)
    finally:
        read_only.close()
    assert path.read_text(encoding="utf-8") == KEPT
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "oversight.toml"]


# --- the command ---------------------------------------------------------------------------------------------------

def test_user_add_asks_twice_and_stores_only_a_hash(cli_env: CliEnv) -> None:
    result = run_cli("user", "add", "olivia", "--role", "compliance_officer", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.code == 0, result.out + result.err
    assert "Added user olivia (compliance_officer) in oversight.toml with a new password." in result.out
    text = (cli_env.folder / "oversight.toml").read_text(encoding="utf-8")
    assert PASSWORD not in text and "horse" not in text
    stored = tomllib.loads(text)["users"]["olivia"]["password_hash"]
    assert stored.startswith("scrypt$n=131072,r=8,p=1$") and verify_password(PASSWORD, stored)


def test_user_add_records_who_added_whom_in_the_audit_trail_without_the_password(cli_env: CliEnv) -> None:
    first = run_cli("user", "add", "olivia", "--role", "compliance_officer", "--no-password")
    assert first.code == 0, first.out + first.err
    assert f"Recorded as audit event 1 in {cli_env.db}." in first.out
    second = run_cli("--user", "olivia", "user", "add", "vera", "--role", "viewer", "--password-stdin",
                     input=f"{PASSWORD}\n")
    assert second.code == 0, second.out + second.err

    con = connect(cli_env.db)
    try:
        events = list(reversed(audit.list_events(con)))
        assert audit.verify_chain(con).intact
    finally:
        con.close()
    # The first user is added by the local user, who has every role while no users are configured.
    assert [(e["user_name"], e["role"], e["action"], e["object"]) for e in events] == [
        (local_user_name(), "compliance_officer", "user.added", "user:olivia"),
        ("olivia", "compliance_officer", "user.added", "user:vera"),
    ]
    assert [e["details"]["password"] for e in events] == ["none", "set"]
    config = tomllib.loads((cli_env.folder / "oversight.toml").read_text(encoding="utf-8"))
    stored = config["users"]["vera"]["password_hash"]
    trail = event_texts(cli_env.db)
    for secret in secrets_of(stored):
        assert secret not in trail


def test_user_add_with_mismatched_passwords_writes_nothing(cli_env: CliEnv) -> None:
    result = run_cli("user", "add", "olivia", "--role", "compliance_officer", input=f"{PASSWORD}\n{PASSWORD}!\n")
    assert result.code != 0
    assert "do not match" in result.out + result.err
    assert not (cli_env.folder / "oversight.toml").exists()
    assert "user.added" not in event_texts(cli_env.db)


def test_user_add_reads_the_password_from_stdin_and_updates_roles(cli_env: CliEnv) -> None:
    config = cli_env.folder / "conf" / "team.toml"
    args = ["--config", str(config)]
    assert run_cli("user", "add", "olivia", "--role", "compliance_officer", "--no-password", *args).code == 0
    result = run_cli("--user", "olivia", "user", "add", "vera", "--role", "viewer", "--role",
                     "vendor_manager", "--password-stdin", *args, input=f"{PASSWORD}\n")
    assert result.code == 0, result.out + result.err
    loaded = load_config(config)
    assert loaded.users == {"olivia": ("compliance_officer",), "vera": ("viewer", "vendor_manager")}
    assert set(loaded.password_hashes) == {"vera"}
    assert PASSWORD not in config.read_text(encoding="utf-8")


def test_user_add_refuses_a_short_password_and_an_unknown_actor(cli_env: CliEnv) -> None:
    short = run_cli("user", "add", "olivia", "--role", "compliance_officer", "--password-stdin", input="hunter2\n")
    assert short.code == 2 and "use at least 15" in short.err
    assert not (cli_env.folder / "oversight.toml").exists()
    config_file(cli_env.folder, '[users.olivia]\nroles = ["compliance_officer"]\n')
    unknown = run_cli("--user", "mallory", "user", "add", "vera", "--role", "viewer", "--no-password")
    assert unknown.code == 2
    assert "User 'mallory' is not in oversight.toml" in unknown.err
    assert "oversight user add mallory --role ROLE" in unknown.err


def test_user_add_on_a_busy_database_changes_nothing_and_says_to_run_it_again(cli_env: CliEnv,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    connect(cli_env.db).close()
    monkeypatch.setenv("OVERSIGHT_DB_WAIT", "0.5")  # issue 16: it waits that long for the other program first
    with database_held(cli_env.db) as holder:
        result = run_cli("user", "add", "olivia", "--role", "compliance_officer")  # no password asked
    assert result.code == 2
    assert "oversight.toml was not changed" in result.err and f"PID {holder.pid}" in result.err
    assert "Run the command again when that has finished" in result.err and "Stop the dashboard" not in result.err
    assert "Password" not in result.out + result.err
    assert not (cli_env.folder / "oversight.toml").exists()


def test_user_list_shows_roles_email_and_whether_a_password_is_set(cli_env: CliEnv) -> None:
    config_file(cli_env.folder, f'[users.olivia]\nroles = ["compliance_officer"]\npassword_hash = '
                                f'"{hash_password(PASSWORD, **FAST)}"\n[users.vera]\nroles = ["viewer"]\n'
                                f'email = "vera@example.org"\n')
    result = run_cli("user", "list", "--format", "json")
    assert result.code == 0
    assert "scrypt" not in result.out
    assert json.loads(result.out) == [
        {"name": "olivia", "roles": ["compliance_officer"], "email": None, "password": True, "processor": None},
        {"name": "vera", "roles": ["viewer"], "email": "vera@example.org", "password": False, "processor": None},
    ]

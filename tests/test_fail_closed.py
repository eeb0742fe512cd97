"""Fail closed (issue 18, item 1): a configured deployment never falls back to "everyone has every role" by accident.

Each refusal is shown by the real `oversight` command in a fresh process on real files; the dashboard's address rule
by the real launcher and a real `streamlit run`, whose listening sockets are read from /proc.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from store.access import AddressRefused, LocalModeRefused, check_local_mode, is_loopback, listen_address
from store.db import connect
from store.errors import ConfigError
from store.identity import ROLES, Config, User
from store.passwords import hash_password
from store.users_file import add_user, load_config
from tests import browser_kit as kit
from tests.conftest import LOCAL_MODE_CONFIG, ROOT, config_file

FAST = {"n": 2**10, "r": 8, "p": 1}
OFFICER = User("olivia", ROLES)


def oversight(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `oversight ARGS` in a fresh interpreter, as a user's shell does (no OVERSIGHT_* from this process)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")}
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={**base, "PYTHONPATH": str(ROOT), **(env or {})}, timeout=120)


@pytest.fixture
def had_users(tmp_path: Path) -> Path:
    """A database whose audit trail records that users were configured (vic, then olivia), and its folder."""
    db = tmp_path / "oversight.duckdb"
    users = tmp_path / "users.toml"
    con = connect(db)
    try:
        add_user(con, users, "olivia", ["compliance_officer"], acting=OFFICER)
        add_user(con, users, "vic", ["viewer"], acting=OFFICER)
    finally:
        con.close()
    return db


# --- the configuration file ----------------------------------------------------------------------------------------

def test_an_explicit_configuration_that_is_missing_unreadable_or_broken_is_refused(tmp_path: Path) -> None:
    broken = config_file(tmp_path, '[users.vic\nroles = ["viewer"]\n')
    folder = tmp_path / "a-folder.toml"
    folder.mkdir()
    for args, env, said in [
        (["--config", str(tmp_path / "missing.toml")], None, "does not exist"),
        ([], {"OVERSIGHT_CONFIG": str(tmp_path / "missing.toml")}, "does not exist"),
        (["--config", str(broken)], None, "is not valid TOML"),
        ([], {"OVERSIGHT_CONFIG": str(folder)}, "could not be read"),
    ]:
        done = oversight("--db", str(tmp_path / "o.duckdb"), *args, "check", cwd=tmp_path, env=env)
        assert done.returncode == 2, done.stderr
        assert said in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(("text", "named"), [
    ('[user.vic]\nroles = ["compliance_officer"]\n', "[user]"),
    ('[Users.vic]\nroles = ["compliance_officer"]\n', "[Users]"),
    ('mode = "local"\n', "[mode]"),
    ('[paths]\ninbx = "/srv/inbox"\n', "inbx"),
    ('[access]\nmode = "open"\n', 'mode "open" is not known'),
    ('[server]\naddres = "0.0.0.0"\n', "addres"),
])
def test_unknown_tables_and_keys_are_refused_naming_them(tmp_path: Path, text: str, named: str) -> None:
    with pytest.raises(ConfigError, match=r"unknown|not known") as refused:
        load_config(config_file(tmp_path, text))
    assert named in str(refused.value)


def test_local_mode_beside_users_is_a_contradiction_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r'mode = "local" gives everyone every role, but users are configured'):
        load_config(config_file(tmp_path, LOCAL_MODE_CONFIG + '[users.vic]\nroles = ["viewer"]\n'))


# --- local mode ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("config", ["missing", "commented out", "/dev/null"])
def test_a_database_whose_trail_knows_users_refuses_local_mode(had_users: Path, tmp_path: Path, config: str) -> None:
    # The probe's cases: the file gone (no ./oversight.toml), its users commented out, OVERSIGHT_CONFIG=/dev/null.
    env = {"OVERSIGHT_DB": str(had_users)}
    if config == "commented out":
        env["OVERSIGHT_CONFIG"] = str(config_file(tmp_path, '# [users.vic]\n# roles = ["viewer"]\n'))
    elif config == "/dev/null":
        env["OVERSIGHT_CONFIG"] = "/dev/null"
    done = oversight("--user", "vic", "check", cwd=tmp_path, env=env)
    assert done.returncode == 2, done.stdout
    assert "this database's audit trail records users (olivia, vic)" in done.stderr
    assert 'write [access] mode = "local"' in done.stderr
    assert not done.stdout


def test_local_mode_chosen_on_purpose_or_on_a_database_that_never_had_users_works(had_users: Path,
                                                                                  tmp_path: Path) -> None:
    chosen = config_file(tmp_path, LOCAL_MODE_CONFIG)
    done = oversight("--db", str(had_users), "--config", str(chosen), "audit", "verify", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    fresh = oversight("--db", str(tmp_path / "fresh.duckdb"), "audit", "verify", cwd=tmp_path)
    assert fresh.returncode == 0, fresh.stderr


def test_check_local_mode_decides_on_the_configuration_and_the_trail() -> None:
    check_local_mode(Config(path=None), [])
    check_local_mode(Config(path=Path("o.toml"), local_mode=True), ["vic"])
    check_local_mode(Config(path=Path("o.toml"), users={"vic": ("viewer",)}), ["vic"])
    with pytest.raises(LocalModeRefused, match="No configuration file"):
        check_local_mode(Config(path=None), ["vic"])


def test_the_dashboard_refuses_local_mode_on_a_database_that_had_users(had_users: Path, app_env,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import open_dashboard_page

    monkeypatch.setenv("OVERSIGHT_DB", str(had_users))
    app_env.config.write_text("# users to come\n", encoding="utf-8")
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert "this database's audit trail records users (olivia, vic)" in " ".join(e.value for e in at.error)
    assert not at.dataframe and "Working as" not in " ".join(c.value for c in at.sidebar.caption)
    app_env.config.write_text(LOCAL_MODE_CONFIG, encoding="utf-8")
    open_dashboard_page("app/audit.py")  # chosen on purpose: the pages open


# --- where the dashboard listens -----------------------------------------------------------------------------------

def test_listen_address_is_localhost_unless_configured_and_beyond_it_only_with_a_sign_in() -> None:
    local = Config(path=None)
    named = Config(path=Path("o.toml"), users={"vic": ("viewer",)})
    assert listen_address(local, None, sign_in=False) == "localhost"
    assert listen_address(local, "127.0.0.1", sign_in=False) == "127.0.0.1"
    assert listen_address(local, "::1", sign_in=False) == "::1"
    for address in ("0.0.0.0", "", "oversight.example.org", "192.168.1.10"):
        with pytest.raises(AddressRefused, match="no users are configured"):
            listen_address(Config(path=None, server_address=address or None), address or "0.0.0.0", sign_in=False)
    with pytest.raises(AddressRefused, match="no way to sign in"):
        listen_address(named, "0.0.0.0", sign_in=False)
    configured = Config(path=Path("o.toml"), users={"vic": ("viewer",)}, server_address="0.0.0.0")
    assert listen_address(configured, None, sign_in=True) == "0.0.0.0"
    assert not is_loopback(None) and is_loopback("localhost") and is_loopback("127.0.0.2")


def test_oversight_dashboard_refuses_to_serve_beyond_localhost_without_a_sign_in(tmp_path: Path) -> None:
    env = {"OVERSIGHT_DB": str(tmp_path / "o.duckdb")}
    for args in (["--address", "0.0.0.0"], ["--", "--server.address", "0.0.0.0"], ["--", "--server.address=::"]):
        done = oversight("dashboard", "--headless", *args, cwd=tmp_path, env=env)
        assert done.returncode == 2, done.stderr
        assert "will not listen on" in done.stderr
    named = config_file(tmp_path, '[users.vic]\nroles = ["viewer"]\n[server]\naddress = "0.0.0.0"\n')
    done = oversight("--config", str(named), "dashboard", "--headless", cwd=tmp_path, env=env)
    assert done.returncode == 2 and "no way to sign in" in done.stderr


def listening(port: int) -> list[str]:
    """The local addresses of the sockets listening on `port` (from /proc/net/tcp and tcp6, state 0A = LISTEN)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if fields[3] == "0A" and int(port_hex, 16) == port:
                found.append(address)
    return found


LOOPBACK_HEX = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1 as /proc writes them


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the listening sockets from Linux's /proc")
def test_the_launched_dashboard_listens_on_localhost_only(tmp_path: Path) -> None:
    (tmp_path / "oversight.toml").write_text(LOCAL_MODE_CONFIG, encoding="utf-8")
    port = kit.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")}
    env.update(OVERSIGHT_DB=str(tmp_path / "o.duckdb"), OVERSIGHT_DEMO="0", PYTHONPATH=str(ROOT))
    args = [sys.executable, "-m", "cli", "dashboard", "--headless", "--port", str(port), "--",
            "--server.fileWatcherType", "none"]
    with kit.started(args, tmp_path / "streamlit.log", cwd=tmp_path, env=env) as process:
        kit.wait_healthy(f"http://127.0.0.1:{port}", process, tmp_path / "streamlit.log")
        sockets = listening(port)
    assert sockets and set(sockets) <= LOOPBACK_HEX, sockets


@pytest.mark.browser
def test_a_bare_streamlit_run_on_every_interface_shows_no_page_without_a_sign_in(tmp_path: Path) -> None:
    # Not through the launcher: Streamlit's own default listens everywhere, so the pages refuse by themselves.
    kit.require_chromium()
    (tmp_path / "oversight.toml").write_text(LOCAL_MODE_CONFIG, encoding="utf-8")
    port = kit.free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")},
           "OVERSIGHT_DB": str(tmp_path / "o.duckdb"), "OVERSIGHT_CONFIG": str(tmp_path / "oversight.toml"),
           "OVERSIGHT_DEMO": "0"}
    args = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"), "--server.headless", "true",
            "--server.port", str(port), "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    url = f"http://127.0.0.1:{port}"
    with kit.started(args, tmp_path / "streamlit.log", cwd=ROOT, env=env) as process:
        kit.wait_healthy(url, process, tmp_path / "streamlit.log")
        with kit.chromium() as browser, kit.open_page(browser, url) as (page, _):
            text = kit.main(page).inner_text()
    assert "will not listen on every interface" in text
    assert "Working as" not in text and "What needs attention" not in text


def test_a_signed_in_deployment_may_serve_beyond_localhost(tmp_path: Path) -> None:
    from commands.dashboard import serving_address

    secret = hash_password("a long passphrase here", **FAST)
    config = load_config(config_file(tmp_path, f'[users.olivia]\nroles = ["compliance_officer"]\n'
                                               f'password_hash = "{secret}"\n[server]\naddress = "0.0.0.0"\n'))
    assert serving_address(config, None, [], tmp_path) == "0.0.0.0"
    provider = load_config(config_file(tmp_path, '[users.vic]\nroles = ["viewer"]\n'))
    (tmp_path / "secrets.toml").write_text('[auth]\nclient_id = "x"\n', encoding="utf-8")
    assert serving_address(provider, "0.0.0.0", ["--secrets.files", str(tmp_path / "secrets.toml")],
                           tmp_path) == "0.0.0.0"

"""Processor users (issue 15, item 1): bound to one processor of the register, holding no other role, refused when
nothing stands behind the binding, and limited to their side of the command line."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from store.access import acting_user
from store.errors import ConfigError
from store.identity import ROLES, User
from store.scope import OutOfScope, UnboundProcessorUser, bind_processor, require_processor, scope_of, sql_filter
from store.users_file import add_user, load_config
from tests.conftest import config_file, run_cli

BELCALL = "Belcall Antwerpen BV"
APPELIA = "Appelia Services SRL"
OFFICER_TOML = '[users.olivia]\nroles = ["compliance_officer"]\n'


def _config(folder: Path, extra: str) -> Path:
    return config_file(folder, OFFICER_TOML + extra)


# --- the users file ---------------------------------------------------------------------------------------------

def test_a_processor_user_is_bound_by_name_and_id(tmp_path):
    config = load_config(_config(tmp_path, f'[users.piet]\nroles = ["processor"]\nprocessor = "{BELCALL}"\n'
                                           "processor_id = 1\n"))
    assert config.users["piet"] == ("processor",)
    assert (config.user_processors, config.user_processor_ids) == ({"piet": BELCALL}, {"piet": 1})


@pytest.mark.parametrize(("entry", "message"), [
    ('roles = ["processor", "auditor"]\nprocessor = "X"', "cannot be combined with other roles (auditor)"),
    ('roles = ["processor"]', "has the \"processor\" role but no processor"),
    ('roles = ["viewer"]\nprocessor = "X"', "names a processor but has no \"processor\" role"),
    ('roles = ["processor"]\nprocessor = "X"\nprocessor_id = "1"', "processor_id must be the register's whole"),
    ('roles = ["processor"]\nprocessor = "X"\nprocessor_id = 0', "processor_id must be the register's whole"),
])
def test_a_processor_binding_that_does_not_hold_is_refused(tmp_path, entry, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(_config(tmp_path, f"[users.piet]\n{entry}\n"))


def test_user_add_records_the_register_name_and_id_and_refuses_an_unknown_processor(demo, tmp_path):
    path = _config(tmp_path, "")
    officer = User("olivia", ("compliance_officer",))
    saved = add_user(demo, path, "piet", ["processor"], acting=officer, processor="  belcall   antwerpen bv ")
    assert saved.created
    entry = tomllib.loads(path.read_text(encoding="utf-8"))["users"]["piet"]
    [(pid,)] = demo.execute("SELECT processor_id FROM processors WHERE name = ?", [BELCALL]).fetchall()
    assert entry == {"roles": ["processor"], "processor": BELCALL, "processor_id": pid}
    [event] = demo.execute("SELECT details FROM audit_events WHERE action = 'user.added'").fetchall()
    assert BELCALL in event[0]
    with pytest.raises(ConfigError, match="'Contactia BV' is not in the processor register"):
        add_user(demo, path, "kees", ["processor"], acting=officer, processor="Contactia BV")
    assert "kees" not in path.read_text(encoding="utf-8")  # nothing written


# --- binding at sign-in --------------------------------------------------------------------------------------------

def test_acting_user_binds_by_register_id_before_the_name_the_file_gives(demo, tmp_path):
    path = _config(tmp_path, "")
    add_user(demo, path, "piet", ["processor"], acting=User("olivia", ("compliance_officer",)), processor=BELCALL)
    config = load_config(path)
    assert acting_user(demo, config, "piet").processor == BELCALL
    # The register entry renamed since (the file still says the old name): the id recorded by `user add` decides.
    [(pid,)] = demo.execute("SELECT processor_id FROM processors WHERE name = ?", [BELCALL]).fetchall()
    stale = load_config(_config(tmp_path, f'[users.piet]\nroles = ["processor"]\nprocessor = "Belcall NV"\n'
                                          f"processor_id = {pid}\n"))
    assert acting_user(demo, stale, "piet").processor == BELCALL


def test_a_processor_user_with_no_register_entry_is_refused_at_sign_in(demo, tmp_path):
    config = load_config(_config(tmp_path, '[users.piet]\nroles = ["processor"]\nprocessor = "Contactia BV"\n'))
    with pytest.raises(UnboundProcessorUser, match="bound to 'Contactia BV', which is not in the processor register"):
        acting_user(demo, config, "piet")


def test_an_unbound_processor_user_sees_nothing_and_staff_see_everything():
    unbound = User("piet", ("processor",))
    with pytest.raises(OutOfScope):
        scope_of(unbound)
    with pytest.raises(OutOfScope):
        require_processor(unbound, BELCALL, "report")
    staff = User("olivia", ROLES)
    assert scope_of(staff) is None and sql_filter(staff) == ("TRUE", {})
    bound = User("piet", ("processor",), processor=BELCALL)
    assert sql_filter(bound) == ("processor = $scope_processor", {"scope_processor": BELCALL})
    with pytest.raises(OutOfScope, match="No report was found") as caught:
        require_processor(bound, APPELIA, "report")
    assert APPELIA not in str(caught.value)  # "not found", never "belongs to Appelia"
    require_processor(bound, " belcall antwerpen bv", "report")  # names compare as ingest compares them


def test_bind_processor_leaves_staff_unchanged(demo):
    staff = User("olivia", ("compliance_officer",))
    assert bind_processor(demo, load_config(None), staff) is staff


# --- the command line ------------------------------------------------------------------------------------------

@pytest.fixture
def processor_cli(demo_db, cli_env):
    """The demo database with a users file: an officer and Belcall's user piet (bound by the officer's command)."""
    _config(cli_env.folder, "")
    code, _, err = run_cli("--user", "olivia", "user", "add", "piet", "--role", "processor", "--processor", BELCALL,
                             "--no-password")
    assert code == 0, err
    return cli_env


@pytest.mark.parametrize("args", [
    ("reports",), ("check",), ("findings", "list"), ("attention",), ("audit", "verify"),
    ("sample", "list"), ("export", "pack", "--processor", APPELIA, "--period", "2026-10", "--out", "x.xlsx"),
    ("findings", "raise", "--processor", APPELIA, "--period", "2026-10", "--clause", "SCC 8(b)", "--title", "x",
     "--severity", "low"),
])
def test_the_controllers_commands_refuse_a_processor_user_before_reading_anything(processor_cli, args):
    code, out, err = run_cli("--user", "piet", *args)
    assert code == 2 and out == ""
    assert f"'oversight {args[0]}" in err and "is for the controller's staff" in err
    assert APPELIA not in err and "Traceback" not in err


def test_a_processor_user_may_run_its_own_commands(processor_cli):
    code, out, err = run_cli("--user", "piet", "evidence", "list")
    assert code == 0, err
    assert APPELIA not in out


def test_a_cli_processor_user_whose_processor_is_gone_is_refused(processor_cli):
    text = (processor_cli.folder / "oversight.toml").read_text(encoding="utf-8")
    text = text.replace(f'processor = "{BELCALL}"', 'processor = "Nobody BV"').replace("processor_id = ", "# ")
    (processor_cli.folder / "oversight.toml").write_text(text, encoding="utf-8")
    code, _, err = run_cli("--user", "piet", "evidence", "list")
    assert code == 2 and "bound to 'Nobody BV', which is not in the processor register" in err

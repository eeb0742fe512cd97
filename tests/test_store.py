"""Storage: migrations, the hash-chained audit trail, the locked-database message, roles."""

from __future__ import annotations

import time

import pytest

from store import audit
from store.db import connect, transaction
from store.errors import ConfigError, DatabaseLocked, DatabaseTooNew, PermissionDenied
from store.identity import ROLES, require, resolve_user
from store.migrations import LATEST, MIGRATIONS
from store.users_file import load_config
from tests.conftest import database_held


def test_migrations_are_recorded_and_reopening_applies_nothing_twice(db_path):
    con = connect(db_path)
    assert con.execute("SELECT max(version) FROM schema_migrations").fetchall() == [(LATEST,)]
    con.close()
    con = connect(db_path)
    # Every migration once (numbers may have gaps: one written at the same time as another can land later)
    assert con.execute("SELECT list(version ORDER BY version) FROM schema_migrations").fetchall() == [
        (sorted(version for version, _, _ in MIGRATIONS),)]
    con.close()


def test_a_database_from_a_newer_version_is_refused(db_path):
    con = connect(db_path)
    con.execute("INSERT INTO schema_migrations VALUES (?, 'from the future', now())", [LATEST + 1])
    con.close()
    with pytest.raises(DatabaseTooNew, match="Upgrade processor-oversight"):
        connect(db_path)


def test_audit_chain_verifies_and_detects_an_edit(con):
    with transaction(con):
        for i in range(3):
            audit.append_event(con, user="olivia", role="compliance_officer", action="report.ingested",
                               obj=f"submission:{i}", details={"rows": i})
    assert audit.verify_chain(con) == audit.ChainStatus(3, True)
    con.execute("UPDATE audit_events SET details = '{\"rows\": 99}' WHERE seq = 2")
    status = audit.verify_chain(con)
    assert (status.intact, status.broken_at) == (False, 2)


def test_audit_chain_detects_a_deleted_event(con):
    with transaction(con):
        for i in range(3):
            audit.append_event(con, user="olivia", role="compliance_officer", action="x", obj=str(i))
    con.execute("DELETE FROM audit_events WHERE seq = 2")
    assert audit.verify_chain(con).broken_at == 3


def test_a_locked_database_names_the_holder_and_what_to_do(db_path):
    connect(db_path).close()
    with database_held(db_path) as holder, pytest.raises(DatabaseLocked) as caught:
        connect(db_path)
    message = str(caught.value)
    assert f"PID {holder.pid}" in message
    assert "held by another program" in message and "stop the dashboard" not in message
    time.sleep(0.1)


def test_without_users_everyone_is_the_local_user_with_all_roles(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OVERSIGHT_CONFIG", raising=False)
    user = resolve_user(load_config(None), "vera")
    assert user.roles == ROLES and not user.access_control


def test_roles_come_from_the_configuration_and_are_enforced(tmp_path):
    config = tmp_path / "oversight.toml"
    config.write_text('[users.vera]\nroles = ["vendor_manager"]\n[users.olivia]\nroles = ["compliance_officer"]\n')
    cfg = load_config(config)
    assert require(resolve_user(cfg, "olivia"), "ingest a report") == "compliance_officer"
    with pytest.raises(PermissionDenied, match="needs one of the roles compliance_officer"):
        require(resolve_user(cfg, "vera"), "ingest a report")
    with pytest.raises(ConfigError, match="--user"):
        resolve_user(cfg, None)
    config.write_text('[users.x]\nroles = ["boss"]\n')
    with pytest.raises(ConfigError, match="unknown role"):
        load_config(config)



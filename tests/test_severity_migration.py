"""Severities became critical, major, minor and info (issue 13, item 13). A database written before, with check runs
that say "breach" and "warning", opens in this version: the stored runs are evidence and stay as they were written,
and every reader (the latest-run views, findings, key items, the Overview) reads the old words as major and minor."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from findings.raising import raise_from_checks
from metrics.overview import non_conformities_by_clause
from spotchecks.draw import KeyItems
from store import migrations
from store.db import connect, next_id
from store.identity import ROLES, User

OFFICER = User("olivia", ROLES)
PROCESSOR, PERIOD = "Oldcall BV", "2026-10"
BEFORE_SEVERITIES = 5  # the last migration written before severities were renamed


def older_database(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database at schema version 5 holding one check run written with the words of that time."""
    with monkeypatch.context() as m:
        m.setattr(migrations, "MIGRATIONS", [x for x in migrations.MIGRATIONS if x[0] <= BEFORE_SEVERITIES])
        m.setattr(migrations, "LATEST", BEFORE_SEVERITIES)
        con = duckdb.connect(str(path))
        migrations.migrate(con)
    con.execute("INSERT INTO processors (name, created_at) VALUES (?, now())", [PROCESSOR])
    run_id = next_id(con, "check_run_ids")
    con.execute(
        "INSERT INTO check_runs (run_id, started_at, finished_at, user_name, processor, period, as_of, profiles, "
        "checks_run, "
        "exceptions, errors) VALUES (?, now(), now(), 'olivia', ?, ?, DATE '2026-10-31', '{}', 3, 3, 0)",
        [run_id, PROCESSOR, PERIOD])
    for check_id, severity, case_id in (("deadline.late_response", "breach", "OC-1"),
                                        ("extension.no_reason", "warning", "OC-2"),
                                        ("deadline.due_soon", "info", "OC-3")):
        con.execute("INSERT INTO check_results VALUES (?, ?, ?, ?, DATE '2026-10-31', 'default', 'x', ?, 'SCC 8(b)', "
                    "10, 1, NULL)", [run_id, check_id, PROCESSOR, PERIOD, severity])
        con.execute("INSERT INTO exceptions VALUES (?, ?, ?, ?, ?, ?, 'SCC 8(b)', ?)",
                    [run_id, check_id, severity, PROCESSOR, PERIOD, case_id, json.dumps({"case": case_id})])
    con.close()


@pytest.fixture
def migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "old.duckdb"
    older_database(path, monkeypatch)
    con = connect(path)  # opening it applies the migrations written since
    yield con
    con.close()


def test_an_older_database_is_migrated_to_the_latest_schema(migrated):
    assert migrated.execute("SELECT max(version) FROM schema_migrations").fetchall() == [(migrations.LATEST,)]


def test_stored_runs_keep_the_words_they_were_written_with(migrated):
    stored = migrated.execute("SELECT check_id, severity FROM exceptions ORDER BY check_id").fetchall()
    assert stored == [("deadline.due_soon", "info"), ("deadline.late_response", "breach"),
                      ("extension.no_reason", "warning")]
    assert [r[0] for r in migrated.execute("SELECT severity FROM check_results ORDER BY check_id").fetchall()] == [
        "info", "breach", "warning"]


def test_the_latest_run_views_read_old_words_as_major_and_minor(migrated):
    read = dict(migrated.execute("SELECT check_id, severity FROM latest_exceptions").fetchall())
    assert read == {"deadline.late_response": "major", "extension.no_reason": "minor", "deadline.due_soon": "info"}
    results = dict(migrated.execute("SELECT check_id, severity FROM latest_check_results").fetchall())
    assert results == read


def test_findings_raised_from_an_old_run_follow_the_new_mapping(migrated):
    raised = raise_from_checks(migrated, OFFICER, PROCESSOR, PERIOD, today=date(2026, 11, 10))
    severities = dict(migrated.execute("SELECT source, severity FROM findings").fetchall())
    assert len(raised) == 2 and severities == {"check:deadline.late_response": "high",
                                                "check:extension.no_reason": "medium"}  # info raises none


def test_an_old_breach_counts_as_a_non_conformity(migrated):
    by_clause = non_conformities_by_clause(migrated, processor=PROCESSOR, period=PERIOD)
    assert by_clause[["clause", "non_conformities"]].values.tolist() == [["SCC 8(b)", 1]]


def test_key_items_major_is_also_read_under_its_old_name():
    assert KeyItems("breaches") is KeyItems.major and KeyItems("major") is KeyItems.major
    assert [k.value for k in KeyItems] == ["major", "refusals"]  # the old name is accepted, not offered

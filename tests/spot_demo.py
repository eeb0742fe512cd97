"""Fixtures of the spot-check tests: the demo reports loaded once per session, copied into each test's database.

Import `demo_fixture, demo_files_fixture` into a test module to use the fixtures `demo` and `demo_files`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from ingest.demo import load_demo
from store.db import connect
from store.identity import ROLES, User

BELCALL = "Belcall Antwerpen BV"
APPELIA = "Appelia Services SRL"


@pytest.fixture(scope="session", name="demo_files")
def demo_files_fixture(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("spot_demo")
    db, key = folder / "demo.duckdb", folder / "demo.key"
    con = connect(db)
    load_demo(con, user=User("olivia", ROLES), key_path=key)
    con.close()
    return db, key


@pytest.fixture(name="demo")
def demo_fixture(demo_files: tuple[Path, Path], db_path: Path, key_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a fresh copy of the demo database (Belcall 2026-10: 332 cases, current report)."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(demo_files[0], db_path)
    shutil.copyfile(demo_files[1], key_path)
    con = connect(db_path)
    yield con
    con.close()


def user(*roles: str, name: str = "ann") -> User:
    return User(name, roles)


def add_check_run(con: duckdb.DuckDBPyConnection, processor: str, period: str,
                  breaches: dict[str, list[str]], warnings: dict[str, list[str]] | None = None) -> int:
    """Record a check run as the checks engine stores it: results per check, exceptions per offending case."""
    [(run_id,)] = con.execute(
        "INSERT INTO check_runs (started_at, finished_at, user_name, processor, period, as_of, profiles, checks_run, "
        "exceptions, errors) VALUES (now(), now(), 'olivia', ?, ?, NULL, '{}', ?, 0, 0) RETURNING run_id",
        [processor, period, len(breaches) + len(warnings or {})]).fetchall()
    for severity, checks in (("breach", breaches), ("warning", warnings or {})):
        for check_id, case_ids in checks.items():
            con.execute("INSERT INTO check_results VALUES (?, ?, ?, ?, DATE '2026-10-31', 'default', '', ?, "
                        "'SCC 8(b)', 332, ?, NULL)", [run_id, check_id, processor, period, severity, len(case_ids)])
            for case_id in case_ids:
                con.execute("INSERT INTO exceptions VALUES (?, ?, ?, ?, ?, ?, 'SCC 8(b)', '{}')",
                            [run_id, check_id, severity, processor, period, case_id])
    return int(run_id)

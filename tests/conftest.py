"""Shared fixtures: a real DuckDB file per test, a key file, the local user, report-writing helpers, and the
environment the dashboard reads when AppTest runs it in this process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pytest

from ingest.service import IngestResult, ingest_report
from store.db import connect
from store.identity import ROLES, User

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "oversight.duckdb"


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "oversight.key"


@pytest.fixture
def con(db_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(db_path)
    yield connection
    connection.close()


@pytest.fixture
def officer() -> User:
    return User("olivia", ROLES)


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write a CSV report from lines; encoding and line ending as a Belgian Excel would."""

    def write(name: str, lines: list[str], encoding: str = "utf-8", newline: str = "\n") -> Path:
        path = tmp_path / name
        path.write_bytes(newline.join(lines).encode(encoding) + newline.encode(encoding))
        return path

    return write


@pytest.fixture
def ingest(con: duckdb.DuckDBPyConnection, officer: User, key_path: Path) -> Callable[..., IngestResult]:
    """Ingest a file as the compliance officer with the test key; keyword arguments pass through."""

    def run(path: Path, **kwargs: object) -> IngestResult:
        kwargs.setdefault("processor", "Belcall Antwerpen BV")
        kwargs.setdefault("submitted_on", date(2026, 11, 5))
        return ingest_report(con, path, user=officer, key_path=key_path, **kwargs)

    return run


@dataclass(frozen=True)
class AppEnv:
    """Where the dashboard under test finds its database, pseudonym key and configuration file."""

    db: Path
    key: Path
    config: Path


@pytest.fixture
def app_env(db_path: Path, key_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppEnv:
    """Point the dashboard (AppTest runs it in this process) at this test's database and key, with an empty
    configuration file (no users: the local user has every role), from the repository root as `make run` starts it.

    The database starts empty, so the dashboard's first start loads the demo reports.
    """
    env = AppEnv(db=db_path, key=key_path, config=db_path.parent / "oversight.toml")
    env.config.parent.mkdir(parents=True, exist_ok=True)
    env.config.write_text("", encoding="utf-8")  # a stray ./oversight.toml or $OVERSIGHT_CONFIG must not leak in
    monkeypatch.setenv("OVERSIGHT_DB", str(env.db))
    monkeypatch.setenv("OVERSIGHT_KEY_FILE", str(env.key))
    monkeypatch.setenv("OVERSIGHT_CONFIG", str(env.config))
    monkeypatch.delenv("OVERSIGHT_USER", raising=False)
    monkeypatch.chdir(ROOT)
    return env


@pytest.fixture
def app_report(app_env: AppEnv, officer: User, tmp_path: Path) -> AppEnv:
    """The dashboard's database with one Belcall 2026-10 report (cases BC-1 and BC-2) ingested by the officer.

    Its audit event means the database is not empty, so the dashboard does not load the demo.
    """
    report = tmp_path / "belcall_2026-10.csv"
    report.write_text("\n".join([HEADER_NL, nl_row("BC-1"), nl_row("BC-2")]) + "\n", encoding="utf-8")
    con = connect(app_env.db)
    try:
        ingest_report(con, report, user=officer, key_path=app_env.key, processor="Belcall Antwerpen BV",
                      submitted_on=date(2026, 11, 5))
    finally:
        con.close()
    return app_env


def open_dashboard_page(script: str, **query: str) -> AppTest:
    """Start the dashboard with these URL query parameters (as a shared link does) and go to the page `script`."""
    from streamlit.testing.v1 import AppTest  # here, not at the top: most tests never start the dashboard

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(script).run()
    assert not at.exception, at.exception
    return at


HEADER_NL = ("Dossiernummer;Datum ontvangst;Soort verzoek;Kanaal;Klantnummer;Identiteit geverifieerd;"
             "Datum antwoord;Resultaat;Klachtrecht gemeld;Medewerker")


def nl_row(case_id: str, received: str = "05-10-2026", kind: str = "Inzage", customer: str = "KL-100234",
           responded: str = "", outcome: str = "", verified: str = "ja", notice: str = "") -> str:
    """One Dutch report row in the HEADER_NL layout."""
    return f"{case_id};{received};{kind};Telefoon;{customer};{verified};{responded};{outcome};{notice};AG-07"

"""Shared fixtures: a real DuckDB file per test, a key file, the local user, and report-writing helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingest.service import IngestResult, ingest_report
from store.db import connect
from store.identity import ROLES, User


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


HEADER_NL = ("Dossiernummer;Datum ontvangst;Soort verzoek;Kanaal;Klantnummer;Identiteit geverifieerd;"
             "Datum antwoord;Resultaat;Klachtrecht gemeld;Medewerker")


def nl_row(case_id: str, received: str = "05-10-2026", kind: str = "Inzage", customer: str = "KL-100234",
           responded: str = "", outcome: str = "", verified: str = "ja", notice: str = "") -> str:
    """One Dutch report row in the HEADER_NL layout."""
    return f"{case_id};{received};{kind};Telefoon;{customer};{verified};{responded};{outcome};{notice};AG-07"

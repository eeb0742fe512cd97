"""Shared fixtures: a real DuckDB file per test, a key file, the local user, report-writing helpers, the demo
reports loaded (and checked) once per session and copied per test, and the environment the `oversight` command
(under CliRunner) and the dashboard (under AppTest) read when a test runs them in this process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeVar

import duckdb
import pytest

from checks.runner import run_checks
from ingest.demo import load_demo
from ingest.service import IngestResult, ingest_report
from store.db import connect
from store.identity import ROLES, User
from tests import pgcluster

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under CI (CI=true) a browser test that skips is a failure: CI installs chromium, so a skip there means the
    dashboard went untested in a real browser while the run looked green."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") == "true" and report.skipped and item.get_closest_marker("browser") is not None:
        report.outcome = "failed"
        report.longrepr = f"Browser tests must not skip under CI: {report.longrepr}"


@contextmanager
def database_held(path: Path, seconds: float = 30, *, read_only: bool = False) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the DuckDB file (read-write, as the running dashboard or a long ingest does; or
    read-only) for `seconds` or until the block ends, whichever comes first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], "
                               f"read_only={read_only}); print('ready', flush=True); time.sleep(float(sys.argv[2]))",
                               str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        yield holder
    finally:
        holder.kill()
        holder.wait()


# The configuration of a deployment without users, chosen on purpose (store.access: local mode never by accident).
LOCAL_MODE_CONFIG = '[access]\nmode = "local"\n'


def config_file(folder: Path, text: str) -> Path:
    """Write an oversight.toml (users, paths) in `folder` and return its path."""
    path = folder / "oversight.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "oversight.duckdb"


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "oversight.key"


@pytest.fixture
def con(request: pytest.FixtureRequest) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to this test's empty database: a DuckDB file at db_path, or on the PostgreSQL suite (issue 16,
    OVERSIGHT_TEST_STORE=postgres) a new database on the test cluster."""
    with _connection(request, "empty", "db_path") as connection:
        yield connection


@contextmanager
def _connection(request: pytest.FixtureRequest, template: str, file_fixture: str
                ) -> Iterator[duckdb.DuckDBPyConnection]:
    """This test's database: on the PostgreSQL suite a copy of the session template `template`, else the DuckDB file
    the fixture `file_fixture` makes."""
    if ON_POSTGRES:
        with _postgres_database(request, template) as connection:
            yield connection
        return
    connection = connect(request.getfixturevalue(file_fixture))
    try:
        yield connection
    finally:
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


# --- the demo reports (sample_reports/), built once per session, copied per test -----------------------------------

class DemoFiles(NamedTuple):
    """A demo database file and the pseudonym key it was loaded with. Session files: copy them, never open them."""

    db: Path
    key: Path


def copy_demo(files: DemoFiles, db: Path, key: Path | None = None) -> Path:
    """Copy a demo database to `db` (and its key to `key` when given) with its audit key, which goes where the copy
    looks for it (store.audit.key_path_for: beside the pseudonymisation key); return `db`."""
    db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(files.db, db)
    if key is not None:
        shutil.copyfile(files.key, key)
        key.chmod(0o600)  # copyfile gives the umask's mode; a key readable by others is refused (store.keys)
    audit_key = (key or db).parent / "audit.key"
    if files.key.with_name("audit.key") != audit_key:
        shutil.copyfile(files.key.with_name("audit.key"), audit_key)
    audit_key.chmod(0o600)
    return db


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    """The demo reports loaded by the officer (olivia, every role), no check run."""
    folder = tmp_path_factory.mktemp("demo_loaded")
    files = DemoFiles(folder / "demo.duckdb", folder / "demo.key")
    con = connect(files.db)
    try:
        load_demo(con, user=User("olivia", ROLES), key_path=files.key)
    finally:
        con.close()
    return files


@pytest.fixture(scope="session")
def checked_demo_files(demo_files: DemoFiles, tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    """The loaded demo with one check run by the officer: every report, as of each report's last day, as the
    dashboard's first start leaves it."""
    folder = tmp_path_factory.mktemp("demo_checked")
    files = DemoFiles(folder / "demo.duckdb", folder / "demo.key")
    copy_demo(demo_files, files.db, files.key)
    con = connect(files.db)
    try:
        run_checks(con, User("olivia", ROLES))
    finally:
        con.close()
    return files


@pytest.fixture
def demo_db(demo_files: DemoFiles, db_path: Path, key_path: Path) -> Path:
    """This test's copy of the loaded demo, at db_path with its key at key_path (where app_env points)."""
    return copy_demo(demo_files, db_path, key_path)


@pytest.fixture
def checked_demo_db(checked_demo_files: DemoFiles, db_path: Path, key_path: Path) -> Path:
    """This test's copy of the checked demo, at db_path with its key at key_path (where app_env points)."""
    return copy_demo(checked_demo_files, db_path, key_path)


@pytest.fixture
def demo(request: pytest.FixtureRequest) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to this test's copy of the loaded demo (Belcall 2026-10: 332 cases, current report)."""
    with _connection(request, "demo", "demo_db") as connection:
        yield connection


@pytest.fixture
def checked_demo(request: pytest.FixtureRequest) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to this test's copy of the checked demo."""
    with _connection(request, "checked", "checked_demo_db") as connection:
        yield connection


# --- the PostgreSQL suite (issue 16) --------------------------------------------------------------------------------
# `make test-postgres` runs, with the `postgres` extra, every test that works through a connection fixture (con,
# demo, checked_demo, ingest: ingest, checks, spot checks, findings, audit, exports at the service layer) on a
# PostgreSQL database of a throw-away cluster, and the tests marked `postgres`. Tests that name a DuckDB file
# (db_path, the demo files, the CLI's and dashboard's environments) stay in the embedded suite; the selection is
# printed at the start of the run. The default suite deselects the `postgres` tests: they need the extra's DuckDB.
ON_POSTGRES = os.environ.get("OVERSIGHT_TEST_STORE", "duckdb") == "postgres"
CONNECTION_FIXTURES = frozenset({"con", "demo", "checked_demo", "ingest"})
FILE_FIXTURES = frozenset({"db_path", "demo_db", "checked_demo_db", "cli_env", "app_env", "app_report",
                           "demo_files", "checked_demo_files"})


def on_postgres_suite(item: pytest.Item) -> bool:
    """Whether the PostgreSQL suite runs this test."""
    if item.get_closest_marker("postgres") is not None:
        return True
    names = set(getattr(item, "fixturenames", ()))
    return bool(names & CONNECTION_FIXTURES) and not names & FILE_FIXTURES


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep, drop = [], []
    for item in items:
        wanted = on_postgres_suite(item) if ON_POSTGRES else item.get_closest_marker("postgres") is None
        (keep if wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    if ON_POSTGRES:
        files = sorted({item.nodeid.split("::")[0] for item in keep})
        print(f"\nPostgreSQL suite: {len(keep)} tests from {len(files)} files: {', '.join(files)}")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pgcluster.Cluster]:
    """The test cluster (tests/pgcluster.py): started for the session, removed after it."""
    cluster = pgcluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_templates(pg_cluster: pgcluster.Cluster, demo_files: DemoFiles,
                 tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Template databases made once per session: "empty" (migrated), "demo" (loaded) and "checked" (loaded and
    checked), with their key files in the session folder "keys" (copied per test, as copy_demo does): the embedded
    demo's keys, so that both stores hold the same pseudonyms."""
    from store.postgres import release

    folder = tmp_path_factory.mktemp("pg_keys")
    key = folder / "oversight.key"
    for name in ("oversight.key", "audit.key"):
        source = demo_files.key if name == "oversight.key" else demo_files.key.with_name("audit.key")
        shutil.copyfile(source, folder / name)
        (folder / name).chmod(0o600)
    previous = os.environ.get("OVERSIGHT_KEY_FILE")
    os.environ["OVERSIGHT_KEY_FILE"] = str(key)
    try:
        names = {"keys": str(folder)}
        names["empty"] = pg_cluster.create()
        connect(pg_cluster.url(names["empty"])).close()
        release(pg_cluster.url(names["empty"]))
        names["demo"] = pg_cluster.create(names["empty"])
        connection = connect(pg_cluster.url(names["demo"]))
        load_demo(connection, user=User("olivia", ROLES), key_path=key)
        connection.close()
        release(pg_cluster.url(names["demo"]))
        names["checked"] = pg_cluster.create(names["demo"])
        connection = connect(pg_cluster.url(names["checked"]))
        run_checks(connection, User("olivia", ROLES))
        connection.close()
        release(pg_cluster.url(names["checked"]))
    finally:
        if previous is None:
            os.environ.pop("OVERSIGHT_KEY_FILE", None)
        else:
            os.environ["OVERSIGHT_KEY_FILE"] = previous
    return names


@contextmanager
def _postgres_database(request: pytest.FixtureRequest, template: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A new database copied from a session template, with the keys at key_path (OVERSIGHT_KEY_FILE points there:
    nothing lies beside a URL); dropped after the test."""
    from store.postgres import release

    cluster: pgcluster.Cluster = request.getfixturevalue("pg_cluster")
    templates: dict[str, str] = request.getfixturevalue("pg_templates")
    key_path: Path = request.getfixturevalue("key_path")
    # Its own MonkeyPatch, not the test's: a test that undoes its own patches keeps the store's key named.
    monkeypatch = pytest.MonkeyPatch()
    key_path.parent.mkdir(parents=True, exist_ok=True)
    if template != "empty":
        for name in ("oversight.key", "audit.key"):
            target = key_path if name == "oversight.key" else key_path.parent / name
            shutil.copyfile(Path(templates["keys"]) / name, target)
            target.chmod(0o600)
    monkeypatch.setenv("OVERSIGHT_KEY_FILE", str(key_path))
    name = cluster.create(templates[template])
    url = cluster.url(name)
    connection = connect(url)
    try:
        yield connection
    finally:
        connection.close()
        release(url)
        cluster.drop(name)
        monkeypatch.undo()


# --- the `oversight` command under typer's CliRunner ----------------------------------------------------------------

@dataclass(frozen=True)
class CliEnv:
    """Where the `oversight` command under test finds its database and pseudonym key, and the folder it runs in."""

    db: Path
    key: Path
    folder: Path


@pytest.fixture
def cli_env(db_path: Path, key_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliEnv:
    """Point the `oversight` command (run_cli runs it in this process) at this test's database and key, at db_path
    and key_path (where demo_db and checked_demo_db put their copies), from tmp_path as the working folder.

    No configuration file, user or contracts folder comes from the environment: with no users configured the local
    user has every role, and a test that writes `folder / "oversight.toml"` configures the users.
    """
    for name in ("OVERSIGHT_CONFIG", "OVERSIGHT_USER", "OVERSIGHT_CONTRACTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OVERSIGHT_DB", str(db_path))
    monkeypatch.setenv("OVERSIGHT_KEY_FILE", str(key_path))
    monkeypatch.chdir(tmp_path)
    return CliEnv(db=db_path, key=key_path, folder=tmp_path)


class CliResult(NamedTuple):
    """One run of the `oversight` command: its exit code and what it wrote to stdout and to stderr."""

    code: int
    out: str
    err: str


def run_cli(*args: str, input: str | None = None) -> CliResult:
    """Run `oversight <args>` in this process, with `input` as what the user types."""
    # Imported here, not at the top: every test loads this conftest, and a half-edited command module must fail only
    # the CLI tests, not the collection of the whole suite.
    from typer.testing import CliRunner

    from cli import app

    result = CliRunner().invoke(app, list(args), input=input)
    return CliResult(result.exit_code, result.stdout, result.stderr)


# --- the dashboard under AppTest ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class AppEnv:
    """Where the dashboard under test finds its database, pseudonym key and configuration file."""

    db: Path
    key: Path
    config: Path


@pytest.fixture
def app_env(db_path: Path, key_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppEnv:
    """Point the dashboard (AppTest runs it in this process) at this test's database and key, with a configuration
    file that chooses local mode (no users: the local user has every role; a test that means users writes them over
    it), from the repository root as `make run` starts it.

    The database starts empty, so the dashboard's first start loads the demo reports.
    """
    env = AppEnv(db=db_path, key=key_path, config=db_path.parent / "oversight.toml")
    env.config.parent.mkdir(parents=True, exist_ok=True)
    # Chosen, not fallen back to (store.access); and a stray ./oversight.toml or $OVERSIGHT_CONFIG must not leak in.
    env.config.write_text(LOCAL_MODE_CONFIG, encoding="utf-8")
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


def with_db(work: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
    """Work on the dashboard's database ($OVERSIGHT_DB) between two runs of a page: AppTest runs the page in this
    process, so this opens its own connection and closes it before the page runs again."""
    con = connect(os.environ["OVERSIGHT_DB"])
    try:
        return work(con)
    finally:
        con.close()


HEADER_NL = ("Dossiernummer;Datum ontvangst;Soort verzoek;Kanaal;Klantnummer;Identiteit geverifieerd;"
             "Datum antwoord;Resultaat;Klachtrecht gemeld;Medewerker")


def nl_row(case_id: str, received: str = "05-10-2026", kind: str = "Inzage", customer: str = "KL-100234",
           responded: str = "", outcome: str = "", verified: str = "ja", notice: str = "") -> str:
    """One Dutch report row in the HEADER_NL layout."""
    return f"{case_id};{received};{kind};Telefoon;{customer};{verified};{responded};{outcome};{notice};AG-07"

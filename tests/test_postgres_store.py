"""Issue 16, PostgreSQL as the shared store, on a real server (tests/pgcluster.py: a throw-away cluster).

These run in the PostgreSQL suite (`make test-postgres`, marked `postgres`: they need the `postgres` extra's DuckDB).
The demo's check exceptions are the same, check by check, on the embedded file and on PostgreSQL; three writer
processes append audit events while `oversight audit verify` keeps finding the chain whole; an ingest killed halfway
leaves no partial submission; a writer waits for another within the bound, then gets the clear message; a URL with
nothing beside it asks for its key file and inbox; an unreachable server is a message, never a traceback, and never
shows the password.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from store import postgres
from store.db import connect, retrying, transaction
from store.errors import WriteConflict
from store.migrations import MIGRATIONS, postgres_form, view_statements
from tests import pgcluster
from tests.conftest import ROOT, DemoFiles, copy_demo

pytestmark = pytest.mark.postgres

BELCALL = "Belcall Antwerpen BV"


@contextmanager
def database(cluster: pgcluster.Cluster, templates: dict[str, str], template: str) -> Iterator[str]:
    """A new database copied from a session template; its URL; dropped afterwards."""
    name = cluster.create(templates[template])
    url = cluster.url(name)
    try:
        yield url
    finally:
        postgres.release(url)
        cluster.drop(name)


def keys(folder: Path, templates: dict[str, str]) -> dict[str, str]:
    """The template's key files copied into `folder`; the environment a command needs for a URL's store."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("oversight.key", "audit.key"):
        (folder / name).write_bytes((Path(templates["keys"]) / name).read_bytes())
        (folder / name).chmod(0o600)
    return {"OVERSIGHT_KEY_FILE": str(folder / "oversight.key")}


def command(url: str, env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run `oversight --db URL ARGS` in its own process."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")} | env
    return subprocess.run([sys.executable, "-m", "cli", "--db", url, *args], capture_output=True, text=True,
                          cwd=ROOT, env=full, timeout=timeout, check=False)


def table_shape(con: object, catalog: str, schema: str) -> dict[str, list[tuple[str, str]]]:
    """Every base table's columns (name, type) in order, JSON spelled as text (its PostgreSQL form)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in con.execute(  # type: ignore[attr-defined]
            "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
            "JOIN information_schema.tables t USING (table_catalog, table_schema, table_name) "
            "WHERE c.table_catalog = ? AND c.table_schema = ? AND t.table_type = 'BASE TABLE' "
            "ORDER BY c.table_name, c.ordinal_position", [catalog, schema]).fetchall():
        found.setdefault(table, []).append((column, "VARCHAR" if kind == "JSON" else kind))
    return found


def test_every_migration_statement_has_a_postgres_form_with_the_same_numbers() -> None:
    forms = [(version, postgres_form(s)[0]) for version, _, statements in MIGRATIONS for s in statements]
    assert {kind for _, kind in forms} == {"server", "view", "data"}
    assert len(view_statements()) == sum(1 for _, kind in forms if kind == "view")
    assert all(sql.startswith("CREATE OR REPLACE VIEW memory.main.") for sql in view_statements())
    server = [postgres_form(s)[1] for _, _, statements in MIGRATIONS for s in statements
              if postgres_form(s)[0] == "server"]
    assert not any(" JSON" in sql or "BLOB" in sql for sql in server)


def test_the_schema_on_postgresql_is_the_files_table_by_table(pg_cluster: pgcluster.Cluster,
                                                              pg_templates: dict[str, str], tmp_path: Path) -> None:
    file_con = connect(tmp_path / "schema.duckdb")
    try:
        on_file = table_shape(file_con, "schema", "main")
        file_views = {r[0] for r in file_con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND database_name = 'schema'").fetchall()}
    finally:
        file_con.close()
    with database(pg_cluster, pg_templates, "empty") as url:
        con = connect(url)
        try:
            on_server = table_shape(con, "store", "public")
            views = {r[0] for r in con.execute(
                "SELECT view_name FROM duckdb_views() WHERE NOT internal AND database_name = 'memory'").fetchall()}
            versions = [r[0] for r in con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()]
        finally:
            con.close()
    assert versions == sorted(v for v, _, _ in MIGRATIONS)
    assert sorted(on_server) == sorted(on_file)
    for table, columns in on_file.items():
        assert [c for c, _ in on_server[table]] == [c for c, _ in columns], table
    assert views == file_views and "current_cases" in views


def test_the_demo_gives_the_same_exceptions_check_by_check_on_both_stores(
        checked_demo_files: DemoFiles, pg_cluster: pgcluster.Cluster, pg_templates: dict[str, str],
        tmp_path: Path) -> None:
    query = ("SELECT check_id, processor, period, coalesce(case_id, ''), severity, clause, details "
             "FROM latest_exceptions ORDER BY ALL")
    results = ("SELECT check_id, processor, period, cases_tested, cases_offending, error FROM latest_check_results "
               "ORDER BY ALL")

    def read(con: object) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        found = [(*row[:6], json.loads(row[6])) for row in con.execute(query).fetchall()]  # type: ignore
        return found, con.execute(results).fetchall()  # type: ignore[attr-defined]

    file_con = connect(copy_demo(checked_demo_files, tmp_path / "demo.duckdb"))
    try:
        on_file, file_results = read(file_con)
    finally:
        file_con.close()
    with database(pg_cluster, pg_templates, "checked") as url:
        con = connect(url)
        try:
            on_server, server_results = read(con)
        finally:
            con.close()
    by_check = {}
    for row in on_file:
        by_check[row[0]] = by_check.get(row[0], 0) + 1
    assert len(by_check) > 25 and len(on_file) > 60  # the demo offends most of the catalog
    assert on_server == on_file
    assert server_results == file_results
    assert not any(r[5] for r in server_results), "no check may fail on either store"


WRITER = textwrap.dedent("""
    import sys
    from store.audit import append_event
    from store.db import connect, transaction
    url, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    con = connect(url)
    for i in range(count):
        with transaction(con):
            append_event(con, user=name, role="compliance_officer", action="test.append", obj=f"{name}:{i}",
                         details={"i": i})
    con.close()
    print("done", flush=True)
""")


def test_three_writer_processes_keep_the_audit_chain_whole(pg_cluster: pgcluster.Cluster,
                                                           pg_templates: dict[str, str], tmp_path: Path) -> None:
    with database(pg_cluster, pg_templates, "demo") as url:
        env = keys(tmp_path / "keys", pg_templates)
        full = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")} | env
        before = connect(url)
        try:
            [(start,)] = before.execute("SELECT max(seq) FROM audit_events").fetchall()
        finally:
            before.close()
        writers = [subprocess.Popen([sys.executable, "-c", WRITER, url, f"writer{n}", "25"], cwd=ROOT, env=full,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(3)]
        verified = 0
        while any(w.poll() is None for w in writers):
            done = command(url, env, "audit", "verify")
            assert done.returncode == 0, done.stdout + done.stderr
            verified += 1
        for w in writers:
            out, err = w.communicate(timeout=120)
            assert w.returncode == 0 and out.strip() == "done", err
        final = command(url, env, "audit", "verify")
        assert final.returncode == 0, final.stdout + final.stderr
        con = connect(url)
        try:
            seqs = [r[0] for r in con.execute("SELECT seq FROM audit_events ORDER BY seq").fetchall()]
            per_writer = dict(con.execute("SELECT user_name, count(*) FROM audit_events WHERE action = 'test.append' "
                                          "GROUP BY ALL").fetchall())
        finally:
            con.close()
    assert verified >= 1
    assert seqs == list(range(1, start + 76))  # no number taken twice, none skipped
    assert per_writer == {"writer0": 25, "writer1": 25, "writer2": 25}


def big_report(path: Path, rows: int) -> Path:
    """A Belcall October report of `rows` cases (canonical English headers)."""
    lines = ["Case ID,Date received,Request type,Date responded,Outcome"]
    lines += [f"BC-K{i:07d},03/10/2026,access,20/10/2026,granted" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_ingest_killed_halfway_leaves_no_partial_submission(pg_cluster: pgcluster.Cluster,
                                                               pg_templates: dict[str, str], tmp_path: Path) -> None:
    report = big_report(tmp_path / "belcall_2026-10.csv", 300_000)
    with database(pg_cluster, pg_templates, "empty") as url:
        env = keys(tmp_path / "keys", pg_templates)
        full = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")} | env
        name = url.rsplit("/", 1)[1]
        ingest = subprocess.Popen([sys.executable, "-m", "cli", "--db", url, "ingest", str(report),
                                   "--processor", BELCALL, "--period", "2026-10", "--profile", "default"],
                                  cwd=ROOT, env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Halfway: the ingest holds the writers' lock, i.e. it is inside its one write transaction.
        deadline = time.monotonic() + 240
        while ingest.poll() is None and time.monotonic() < deadline:
            held = pg_cluster.psql(f"SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                                   f"WHERE l.locktype = 'advisory' AND l.objid = {postgres.WRITER_LOCK & 0xFFFFFFFF} "
                                   f"AND d.datname = '{name}'")
            if int(held.strip() or 0):
                break
            time.sleep(0.05)
        assert ingest.poll() is None, "the ingest finished before it could be killed: make the report larger"
        time.sleep(0.2)
        ingest.send_signal(signal.SIGKILL)
        ingest.communicate(timeout=60)
        # The server ends the killed client's transaction when it notices the connection gone.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and int(pg_cluster.psql(
                f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{name}'").strip() or 0):
            time.sleep(0.1)
        con = connect(url)
        try:
            counts = con.execute("SELECT (SELECT count(*) FROM submissions), (SELECT count(*) FROM cases), "
                                 "(SELECT count(*) FROM processors), (SELECT count(*) FROM audit_events)").fetchall()[0]
        finally:
            con.close()
            postgres.release(url)
        assert counts == (0, 0, 0, 0)
        again = command(url, env, "ingest", str(big_report(tmp_path / "small.csv", 50)), "--processor",
                        BELCALL, "--period", "2026-10", "--profile", "default")
        assert again.returncode == 0, again.stdout + again.stderr
        assert "50 rows read: 50 loaded" in again.stdout, again.stdout
        verified = command(url, env, "audit", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr


HOLDER = textwrap.dedent("""
    import sys, time
    from store.db import connect, transaction
    con = connect(sys.argv[1])
    with transaction(con):
        con.execute("INSERT INTO meta VALUES ('held', 'yes')")
        print("holding", flush=True)
        time.sleep(float(sys.argv[2]))
    print("released", flush=True)
""")


def test_a_writer_waits_for_another_within_the_bound_then_gets_the_clear_message(
        pg_cluster: pgcluster.Cluster, pg_templates: dict[str, str], tmp_path: Path) -> None:
    with database(pg_cluster, pg_templates, "demo") as url:
        env = keys(tmp_path / "keys", pg_templates)
        full = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")} | env
        holder = subprocess.Popen([sys.executable, "-c", HOLDER, url, "6"], cwd=ROOT, env=full,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
            busy = command(url, env | {"OVERSIGHT_DB_WAIT": "1"}, "hold", "add", "--processor", BELCALL,
                           "--period", "2026-10", "--reason", "a dispute")
            assert busy.returncode == 2, busy.stdout + busy.stderr
            assert "busy" in busy.stderr and "another writer" in busy.stderr and "Traceback" not in busy.stderr
            waited = command(url, env | {"OVERSIGHT_DB_WAIT": "30"}, "hold", "add", "--processor", BELCALL,
                             "--period", "2026-10", "--reason", "a dispute")
            assert waited.returncode == 0, waited.stdout + waited.stderr
        finally:
            holder.communicate(timeout=60)
        con = connect(url)
        try:
            holds = con.execute("SELECT count(*) FROM legal_holds").fetchall()[0][0]
            held = con.execute("SELECT value FROM meta WHERE key = 'held'").fetchall()
        finally:
            con.close()
    assert holds == 1 and held == [("yes",)]  # the refused one wrote nothing, the waiting one wrote once


def test_a_url_has_nothing_beside_it_so_the_key_and_the_inbox_must_be_named(
        pg_cluster: pgcluster.Cluster, pg_templates: dict[str, str], tmp_path: Path) -> None:
    with database(pg_cluster, pg_templates, "empty") as url:
        report = big_report(tmp_path / "belcall_2026-10.csv", 3)
        refused = command(url, {}, "ingest", str(report), "--processor", BELCALL, "--period", "2026-10")
        assert refused.returncode == 2 and "Traceback" not in refused.stderr
        assert "OVERSIGHT_KEY_FILE" in refused.stderr and "[paths] key_file" in refused.stderr
        inbox = command(url, {}, "inbox", "list")
        assert inbox.returncode == 2 and "[paths] inbox" in inbox.stderr
        config = tmp_path / "oversight.toml"
        key = tmp_path / "named" / "oversight.key"
        config.write_text(f'[access]\nmode = "local"\n\n[paths]\nkey_file = "{key}"\ninbox = "{tmp_path / "in"}"\n',
                          encoding="utf-8")
        named = command(url, {"OVERSIGHT_CONFIG": str(config)}, "ingest", str(report), "--processor",
                        BELCALL, "--period", "2026-10", "--profile", "default")
        assert named.returncode == 0, named.stdout + named.stderr
        assert key.exists() and (key.parent / "audit.key").exists()  # the audit key goes beside the named key
        listed = command(url, {"OVERSIGHT_CONFIG": str(config), "OVERSIGHT_KEY_FILE": str(key)}, "inbox", "list")
        assert listed.returncode == 0, listed.stdout + listed.stderr
        backup = command(url, {"OVERSIGHT_KEY_FILE": str(key)}, "backup", str(tmp_path / "copy.duckdb"))
        assert backup.returncode == 2 and "pg_dump" in backup.stderr


def test_a_dump_made_while_a_writer_appends_restores_into_a_database_that_verifies(
        pg_cluster: pgcluster.Cluster, pg_templates: dict[str, str], tmp_path: Path) -> None:
    dump = tmp_path / "oversight.dump"
    with database(pg_cluster, pg_templates, "checked") as url:
        env = keys(tmp_path / "keys", pg_templates)
        full = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")} | env
        writer = subprocess.Popen([sys.executable, "-c", WRITER, url, "writer", "40"], cwd=ROOT, env=full,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            dumped = pg_cluster.tool("pg_dump", "--format=custom", f"--file={dump}", url.rsplit("/", 1)[1])
            assert dumped.returncode == 0, dumped.stderr
        finally:
            _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
        original = command(url, env, "reports", "--format", "json")
        assert original.returncode == 0, original.stderr
    restored = pg_cluster.create()
    try:
        done = pg_cluster.tool("pg_restore", "--no-owner", f"--dbname={restored}", str(dump))
        assert done.returncode == 0, done.stderr
        url = pg_cluster.url(restored)
        verified = command(url, env, "audit", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        reports = command(url, env, "reports", "--format", "json")
        assert reports.returncode == 0 and json.loads(reports.stdout) == json.loads(original.stdout)
        con = connect(url)
        try:
            appended = con.execute("SELECT count(*) FROM audit_events WHERE action = 'test.append'").fetchall()[0][0]
            runs = con.execute("SELECT count(*) FROM check_runs").fetchall()[0][0]
        finally:
            con.close()
        assert 0 <= appended <= 40 and runs == 1  # the dump is one moment of the writer's run, whole
    finally:
        postgres.release(pg_cluster.url(restored))
        pg_cluster.drop(restored)


def test_a_unit_that_loses_a_race_runs_again_only_if_nothing_of_it_was_written(
        pg_cluster: pgcluster.Cluster, pg_templates: dict[str, str]) -> None:
    with database(pg_cluster, pg_templates, "empty") as url:
        name = url.rsplit("/", 1)[1]
        con = connect(url)
        attempts: list[int] = []

        def next_number() -> int:
            """Take the next number of a series, as the audit chain does; another program takes it first once."""
            attempts.append(1)
            with transaction(con):
                [(taken,)] = con.execute("SELECT count(*) FROM meta WHERE key LIKE 'race-%'").fetchall()
                if len(attempts) == 1:  # outside this tool's lock, as a foreign writer would
                    pg_cluster.psql(f"INSERT INTO meta VALUES ('race-{taken + 1}', 'theirs')", database=name)
                con.execute("INSERT INTO meta VALUES (?, 'ours')", [f"race-{taken + 1}"])
            return int(taken) + 1

        try:
            assert retrying(next_number) == 2 and len(attempts) == 2
            attempts.clear()

            def two_steps() -> None:
                attempts.append(1)
                with transaction(con):
                    con.execute("INSERT INTO meta VALUES ('step-1', 'written')")
                with transaction(con):
                    pg_cluster.psql("INSERT INTO meta VALUES ('step-2', 'theirs')", database=name)
                    con.execute("INSERT INTO meta VALUES ('step-2', 'ours')")

            with pytest.raises(WriteConflict, match="nothing of this step was written"):
                retrying(two_steps)
            assert len(attempts) == 1  # its first step had been written: never run twice
            found = dict(con.execute("SELECT key, value FROM meta WHERE key LIKE 'race-%' OR key LIKE 'step-%'"
                                     ).fetchall())
        finally:
            con.close()
    assert found == {"race-1": "theirs", "race-2": "ours", "step-1": "written", "step-2": "theirs"}


DASHBOARD_PAGES = ["app/overview.py", "app/reports.py", "app/checks.py", "app/spotchecks.py", "app/findings.py",
                   "app/contract.py", "app/processors.py", "app/audit.py"]


def test_every_dashboard_page_renders_on_postgresql_without_an_error(
        pg_cluster: pgcluster.Cluster, pg_templates: dict[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import open_dashboard_page

    with database(pg_cluster, pg_templates, "checked") as url:
        env = keys(tmp_path / "keys", pg_templates)
        config = tmp_path / "oversight.toml"
        config.write_text('[access]\nmode = "local"\n', encoding="utf-8")  # no [paths] inbox: said, not failed
        for name in ("OVERSIGHT_USER", "OVERSIGHT_CONTRACTS"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("OVERSIGHT_DB", url)
        monkeypatch.setenv("OVERSIGHT_KEY_FILE", env["OVERSIGHT_KEY_FILE"])
        monkeypatch.setenv("OVERSIGHT_CONFIG", str(config))
        monkeypatch.setenv("OVERSIGHT_DEMO", "0")
        monkeypatch.chdir(ROOT)
        for page in DASHBOARD_PAGES:
            at = open_dashboard_page(page, processor=BELCALL, period="2026-10")
            assert not at.exception, (page, [e.value for e in at.exception])
            assert not at.error, (page, [e.value for e in at.error])
            shown = " ".join(str(m.value) for m in (*at.markdown, *at.caption, *at.info))
            assert len(shown) > 40 or at.dataframe, page  # the page itself rendered, not only the sidebar
        reports = open_dashboard_page("app/reports.py")
        assert any("nothing lies beside the database" in str(c.value) for c in reports.caption)


DEFAULT_INSTALL = ROOT / ".venv" / "bin" / "python"  # DuckDB 2.0: `make test-postgres` builds it first


def test_a_file_of_the_default_install_moves_into_postgresql_and_verifies(
        checked_demo_files: DemoFiles, pg_cluster: pgcluster.Cluster, pg_templates: dict[str, str],
        tmp_path: Path) -> None:
    """The move a team makes when it outgrows one file: `oversight store export` on the default install (its file
    cannot be opened by the extra's DuckDB 1.5.5), `oversight --db URL store import` with the extra."""
    assert DEFAULT_INSTALL.exists(), "make install first: the default install exports the file"
    db = copy_demo(checked_demo_files, tmp_path / "keys" / "oversight.duckdb", tmp_path / "keys" / "oversight.key")
    env = {"OVERSIGHT_KEY_FILE": str(tmp_path / "keys" / "oversight.key")}
    full = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")} | env
    exported = subprocess.run([str(DEFAULT_INSTALL), "-m", "cli", "--db", str(db), "store", "export",
                               str(tmp_path / "export")], capture_output=True, text=True, cwd=ROOT, env=full,
                              timeout=300, check=False)
    assert exported.returncode == 0, exported.stderr
    version = subprocess.run([str(DEFAULT_INSTALL), "-c", "import duckdb; print(duckdb.__version__)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version.startswith("2.")
    query = ("SELECT check_id, processor, period, coalesce(case_id, ''), details FROM latest_exceptions "
             "ORDER BY ALL")
    with database(pg_cluster, pg_templates, "empty") as url:
        imported = command(url, env, "store", "import", str(tmp_path / "export"))
        assert imported.returncode == 0, imported.stdout + imported.stderr
        verified = command(url, env, "audit", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "differ" not in verified.stdout
        con = connect(url)
        try:
            moved = [(*r[:4], json.loads(r[4])) for r in con.execute(query).fetchall()]
        finally:
            con.close()
    original = subprocess.run([str(DEFAULT_INSTALL), "-c", "import duckdb, json, sys; c = duckdb.connect(sys.argv[1], "
                               "read_only=True); print(json.dumps(c.execute(sys.argv[2]).fetchall(), default=str))",
                               str(db), query], capture_output=True, text=True, check=True).stdout
    assert moved == [(*r[:4], json.loads(r[4])) for r in json.loads(original)]
    assert len(moved) > 60


def test_retention_on_postgresql_compacts_with_vacuum_while_others_work(
        pg_cluster: pgcluster.Cluster, pg_templates: dict[str, str], tmp_path: Path) -> None:
    with database(pg_cluster, pg_templates, "demo") as url:
        env = keys(tmp_path / "keys", pg_templates)
        reader = connect(url)  # another program's open connection: the file's compaction would need it gone
        try:
            done = command(url, env, "retention", "apply")
            assert done.returncode == 0, done.stdout + done.stderr
            assert "the database was compacted" in done.stdout
            assert reader.execute("SELECT count(*) FROM submissions").fetchall()[0][0] > 0
        finally:
            reader.close()


def test_an_unreachable_server_is_a_message_without_the_password(tmp_path: Path) -> None:
    url = "postgresql://olivia:s3cret-pw@127.0.0.1:1/oversight"
    done = command(url, {"OVERSIGHT_KEY_FILE": str(tmp_path / "k" / "oversight.key")}, "reports")
    assert done.returncode == 2
    assert "could not be opened" in done.stderr and "Traceback" not in done.stderr
    assert "s3cret-pw" not in done.stderr + done.stdout

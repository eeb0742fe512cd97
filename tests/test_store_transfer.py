"""Moving the whole record between stores (store/transfer.py, `oversight store export|import`; issue 16): a team that
outgrows one file takes its evidence along. On the embedded file here; tests/test_postgres_store.py moves a file
written by the default install (DuckDB 2.0) into PostgreSQL.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from store.audit import verify_chain
from store.db import connect
from store.errors import PermissionDenied
from store.identity import User
from store.migrations import load_order, sequences
from store.transfer import MANIFEST, TransferRefused, export_store, import_store
from tests.conftest import CliEnv, copy_demo, run_cli

LATEST_EXCEPTIONS = ("SELECT check_id, processor, period, coalesce(case_id, ''), details::VARCHAR "
                     "FROM latest_exceptions ORDER BY ALL")


def test_the_schema_knows_its_load_order_and_its_sequences() -> None:
    order = load_order()
    assert order.index("processors") < order.index("submissions") and order.index("processors") < order.index(
        "mappings")
    assert sequences()["submission_ids"] == ("submissions", "submission_id")
    assert sequences()["check_run_ids"] == ("check_runs", "run_id")
    assert len(sequences()) == 8


def test_an_export_imports_into_a_new_file_whole_and_verifying(checked_demo_db: Path, key_path: Path,
                                                                 tmp_path: Path, officer: User) -> None:
    source = connect(checked_demo_db)
    try:
        exported = export_store(source, officer, tmp_path / "export")
        expected = source.execute(LATEST_EXCEPTIONS).fetchall()
        [(max_submission,)] = source.execute("SELECT max(submission_id) FROM submissions").fetchall()
        [(exported_event,)] = source.execute("SELECT action FROM audit_events ORDER BY seq DESC LIMIT 1").fetchall()
    finally:
        source.close()
    assert exported_event == "store.exported"
    assert stat.S_IMODE((tmp_path / "export").stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in (tmp_path / "export").iterdir())
    manifest = json.loads((tmp_path / "export" / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["tables"]["cases"] > 1000 and manifest["audit"]["events"] == exported.events

    target_path = key_path.parent / "moved.duckdb"  # beside the same keys: the target uses the same key files
    target = connect(target_path)
    try:
        imported = import_store(target, officer, tmp_path / "export")
        assert imported.tables == exported.tables and imported.head == exported.head
        assert target.execute(LATEST_EXCEPTIONS).fetchall() == expected
        chain = verify_chain(target)
        assert chain.intact and chain.events == exported.events + 1  # and the import's own event
        [(action, user)] = target.execute("SELECT action, user_name FROM audit_events ORDER BY seq DESC LIMIT 1"
                                          ).fetchall()
        assert (action, user) == ("store.imported", officer.name)
        # The sequences continue past the imported ids: the next report gets a new submission id.
        [(next_id,)] = target.execute("SELECT nextval('submission_ids')").fetchall()
        assert next_id == max_submission + 1
    finally:
        target.close()


def test_an_import_refuses_a_store_that_is_not_empty_and_writes_nothing(checked_demo_db: Path, tmp_path: Path,
                                                                        officer: User) -> None:
    con = connect(checked_demo_db)
    try:
        export_store(con, officer, tmp_path / "export")
        [(before,)] = con.execute("SELECT count(*) FROM cases").fetchall()
        with pytest.raises(TransferRefused, match="not empty"):
            import_store(con, officer, tmp_path / "export")
        assert con.execute("SELECT count(*) FROM cases").fetchall()[0][0] == before
    finally:
        con.close()


def test_an_export_changed_after_it_was_made_is_refused(checked_demo_db: Path, key_path: Path, tmp_path: Path,
                                                        officer: User) -> None:
    con = connect(checked_demo_db)
    try:
        export_store(con, officer, tmp_path / "export")
    finally:
        con.close()
    other = connect(tmp_path / "other.duckdb")
    try:
        export_store(other, officer, tmp_path / "other")  # an empty store's export: a different cases file
    finally:
        other.close()
    (tmp_path / "export" / "cases.parquet").write_bytes((tmp_path / "other" / "cases.parquet").read_bytes())
    target = connect(key_path.parent / "moved.duckdb")
    try:
        with pytest.raises(TransferRefused, match="differs from the export's manifest"):
            import_store(target, officer, tmp_path / "export")
        assert target.execute("SELECT count(*) FROM audit_events").fetchall()[0][0] == 0
    finally:
        target.close()


def test_an_export_never_overwrites_and_only_the_compliance_officer_moves_the_store(
        checked_demo_db: Path, tmp_path: Path, officer: User) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine", encoding="utf-8")
    con = connect(checked_demo_db)
    try:
        with pytest.raises(TransferRefused, match="not an empty folder"):
            export_store(con, officer, tmp_path / "full")
        with pytest.raises(PermissionDenied):
            export_store(con, User("vera", ("vendor_manager",)), tmp_path / "new")
    finally:
        con.close()
    assert (tmp_path / "full" / "keep.txt").read_text(encoding="utf-8") == "mine"
    assert not (tmp_path / "new").exists()


def test_the_commands_move_the_record_from_one_file_to_another(checked_demo_files, cli_env: CliEnv) -> None:
    copy_demo(checked_demo_files, cli_env.db, cli_env.key)
    exported = run_cli("store", "export", str(cli_env.folder / "export"))
    assert exported.code == 0, exported.err
    assert "Import them into a new, empty store" in exported.out
    moved = cli_env.db.with_name("moved.duckdb")
    imported = run_cli("--db", str(moved), "store", "import", str(cli_env.folder / "export"))
    assert imported.code == 0, imported.err
    assert "match the export" in imported.out
    verified = run_cli("--db", str(moved), "audit", "verify")
    assert verified.code == 0, verified.out + verified.err
    again = run_cli("--db", str(moved), "store", "import", str(cli_env.folder / "export"))
    assert again.code == 2 and "not empty" in again.err
    nothing = run_cli("--db", str(moved), "store", "import", str(cli_env.folder / "nowhere"))
    assert nothing.code == 2 and "manifest" in nothing.err and "Traceback" not in nothing.err

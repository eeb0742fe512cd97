"""Compaction (store/compact.py): deleted values leave the file's bytes; the schema keeps working; a file held
elsewhere is refused with nothing changed."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import duckdb
import pytest

from store.compact import DatabaseInUse, compact
from store.db import connect
from store.migrations import LATEST, schema_version
from tests.conftest import database_held


def test_a_deleted_value_is_gone_from_the_file_and_the_schema_still_works(demo_db: Path) -> None:
    con = connect(demo_db)
    [(period,)] = con.execute("SELECT min(period) FROM submissions").fetchall()
    [(victim,)] = con.execute(
        "SELECT case_id FROM cases c JOIN submissions s USING (submission_id) WHERE s.period = ? "
        "ORDER BY case_id LIMIT 1", [period]).fetchall()
    counts = con.execute("SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM submissions)").fetchall()[0]
    # The sequence's next value, read on a copy (taking it here would move it): DuckDB 1.5.5 and 2.0 report
    # duckdb_sequences().last_value differently after a reopen, nextval is the same on both.
    probe = demo_db.with_name("probe.duckdb")
    con.execute("CHECKPOINT")
    shutil.copyfile(demo_db, probe)
    other = duckdb.connect(str(probe))
    [(next_before,)] = other.execute("SELECT nextval('submission_ids')").fetchall()
    other.close()
    # A value written in clear, once: it must not survive its deletion in the file's free blocks.
    marker = "ERASED-NOTE-7f3a9c"
    # Stored as written, so that the bytes can be looked for (DuckDB 1.5.5 would otherwise compress the column).
    con.execute("SET force_compression = 'uncompressed'")
    con.execute("UPDATE cases SET summary = ? WHERE case_id = ?", [marker, victim])
    con.execute("CHECKPOINT")
    con.execute("DELETE FROM cases WHERE case_id = ?", [victim])
    con.execute("CHECKPOINT")
    con.close()
    assert marker.encode() in demo_db.read_bytes()  # DuckDB leaves deleted bytes in free blocks

    result = compact(demo_db)

    data = demo_db.read_bytes()
    assert marker.encode() not in data
    assert result.path == demo_db.resolve() and result.bytes_after > 0
    assert stat.S_IMODE(demo_db.stat().st_mode) == 0o600
    assert not demo_db.with_name(demo_db.name + ".compacting").exists()
    con = connect(demo_db)
    try:
        assert schema_version(con) == LATEST
        after = con.execute("SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM submissions)").fetchall()[0]
        assert after == (counts[0] - 1, counts[1])
        # Sequences continue where they were; views and constraints still work.
        assert con.execute("SELECT nextval('submission_ids')").fetchall()[0][0] == next_before
        assert con.execute("SELECT count(*) FROM current_cases").fetchall()[0][0] > 0
        with pytest.raises(Exception, match=r"(?i)constraint|duplicate"):
            con.execute("INSERT INTO processors SELECT * FROM processors LIMIT 1")
    finally:
        con.close()


def test_a_file_held_by_another_process_is_refused_and_left_alone(demo_db: Path) -> None:
    before = demo_db.read_bytes()
    with database_held(demo_db), pytest.raises(DatabaseInUse, match=r"open elsewhere.*PID"):
        compact(demo_db)
    assert demo_db.read_bytes() == before


def test_a_file_open_in_this_process_is_refused(demo_db: Path) -> None:
    con = connect(demo_db)
    try:
        with pytest.raises(DatabaseInUse, match="this program"):
            compact(demo_db)
    finally:
        con.close()
    compact(demo_db)  # closed: it compacts

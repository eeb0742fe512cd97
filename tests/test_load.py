"""Submissions: idempotency, resubmission with diff, atomicity, pseudonymisation."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

import duckdb
import pytest

import ingest.service as service
from ingest.errors import KeyMismatch
from ingest.pseudonym import Pseudonymiser, load_key
from tests.conftest import HEADER_NL, nl_row


def table_counts(con) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
            for t in ("processors", "submissions", "cases", "quarantine", "training", "mappings", "audit_events")}


def test_the_same_file_twice_is_recognised_and_nothing_is_written(con, ingest, write_csv):
    path = write_csv("r_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2", received="31/02/2026")])
    first = ingest(path)
    before = table_counts(con)
    again = ingest(path)
    assert (first.status, again.status) == ("loaded", "duplicate")
    assert again.submission_id == first.submission_id
    assert table_counts(con) == before


def test_a_new_file_for_the_same_period_supersedes_and_reports_what_changed(con, ingest, write_csv):
    ingest(write_csv("v1_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2"), nl_row("BC-3")]))
    second = ingest(write_csv("v2_2026-10.csv", [
        HEADER_NL, nl_row("BC-1"), nl_row("BC-2", responded="09-10-2026", outcome="Uitgevoerd"), nl_row("BC-4")]),
        replace=True)  # it removes BC-3: refused without (tests/test_resubmission.py)
    assert second.status == "resubmission"
    assert second.changes["added_case_ids"] == ["BC-4"]
    assert second.changes["removed_case_ids"] == ["BC-3"]
    assert second.changes["changed_case_ids"] == ["BC-2"]
    statuses = con.execute("SELECT file_name, status FROM submissions ORDER BY submission_id").fetchall()
    assert statuses == [("v1_2026-10.csv", "superseded"), ("v2_2026-10.csv", "current")]
    current = [r[0] for r in con.execute("SELECT case_id FROM report_cases ORDER BY case_id").fetchall()]
    assert current == ["BC-1", "BC-2", "BC-4"]


def test_current_state_of_a_case_is_its_newest_report(con, ingest, write_csv):
    ingest(write_csv("a_2026-09.csv", [HEADER_NL, nl_row("BC-1", received="20-09-2026")]), period="2026-09",
           submitted_on=date(2026, 10, 5))
    ingest(write_csv("a_2026-10.csv", [HEADER_NL, nl_row("BC-1", received="20-09-2026", responded="02-10-2026",
                                                         outcome="Uitgevoerd")]))
    rows = con.execute("SELECT period, responded_on FROM current_cases WHERE case_id = 'BC-1'").fetchall()
    assert rows == [("2026-10", date(2026, 10, 2))]


def test_a_failure_half_way_leaves_nothing_behind(con, ingest, write_csv, monkeypatch):
    path = write_csv("r_2026-10.csv", [HEADER_NL, nl_row("BC-1"), nl_row("BC-2", received="31/02/2026")])

    def crash() -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "_after_write_hook", crash)
    with pytest.raises(RuntimeError):
        ingest(path)
    assert table_counts(con) == dict.fromkeys(table_counts(con), 0)
    monkeypatch.undo()
    assert ingest(path).status == "loaded"  # and the file is not taken for a duplicate afterwards


def test_raw_customer_reference_is_nowhere_in_the_database(db_path, con, ingest, write_csv, key_path):
    raw = "KL-987654-UNIQUE"
    result = ingest(write_csv("r_2026-10.csv", [HEADER_NL, nl_row("BC-1", customer=raw),
                                                 nl_row("BC-2", customer=raw, received="31/02/2026")]))
    assert result.rows_quarantined == 1
    con.execute("CHECKPOINT")
    con.close()
    assert raw.encode() not in db_path.read_bytes()
    check = duckdb.connect(str(db_path), read_only=True)
    key = load_key(key_path)
    expected = hmac.new(key.key, raw.encode(), hashlib.sha256).hexdigest()
    assert check.execute("SELECT DISTINCT data_subject_ref FROM cases").fetchall() == [(expected,)]
    assert check.execute("SELECT raw->>'Klantnummer' FROM quarantine").fetchall() == [(expected,)]
    check.close()


def test_sql_pseudonym_matches_the_python_reference():
    p = Pseudonymiser(bytes(range(32)))
    values = ["KL-1", "CL-55012", "é ü € 漢字", "x" * 200]
    got = duckdb.connect().execute(
        "SELECT v, sha256($o || unhex(sha256($i || encode(v)))) FROM unnest($vs) t(v)",
        {"o": p.opad, "i": p.ipad, "vs": values}).fetchall()
    assert dict(got) == {v: p.pseudonym(v) for v in values}


def test_key_file_is_private_and_another_key_is_refused(con, ingest, write_csv, key_path, tmp_path, officer):
    ingest(write_csv("r_2026-10.csv", [HEADER_NL, nl_row("BC-1")]))
    assert key_path.stat().st_mode & 0o777 == 0o600
    other = tmp_path / "other.key"
    with pytest.raises(KeyMismatch, match="OVERSIGHT_KEY_FILE"):
        service.ingest_report(con, write_csv("s_2026-10.csv", [HEADER_NL, nl_row("BC-9")]), user=officer,
                              key_path=other, processor="Other BV", submitted_on=date(2026, 11, 5))
    assert con.execute("SELECT count(*) FROM submissions").fetchall()[0][0] == 1

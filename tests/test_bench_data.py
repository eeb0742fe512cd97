"""The benchmark data generator (bench/data.py): a small build whose counts add up and that the checks can run on."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from bench.data import build, matches
from checks.runner import run_checks
from store.db import connect
from store.identity import User

BENCH_USER = User("bench", ("compliance_officer",), False)
DATE_FIELDS = ("received_on", "id_requested_on", "id_received_on", "forwarded_on", "escalated_on",
               "extension_notified_on", "responded_on", "suppressed_on")


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "small.duckdb"
    build(path, cases=2_000, months=12, processors=3, start="2025-01")
    return path


def scalar(path: Path, sql: str) -> object:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()[0][0]
    finally:
        con.close()


def test_every_request_is_listed_and_rows_count_the_carried_over_ones(small: Path) -> None:
    assert scalar(small, "SELECT count(DISTINCT (processor, case_id)) FROM report_cases") == 2_000
    rows = scalar(small, "SELECT count(*) FROM cases")
    meta = json.loads(scalar(small, "SELECT value FROM meta WHERE key = 'bench.data'"))
    assert meta["rows"] == rows
    assert 2_000 < rows < 2_000 * 1.6  # open cases are listed again the next month


def test_one_current_cases_report_per_processor_and_month(small: Path) -> None:
    assert scalar(small, "SELECT count(*) FROM submissions WHERE status = 'current' AND kind = 'cases'") == 36
    assert scalar(small, "SELECT list(DISTINCT period ORDER BY period) FROM submissions") == [
        f"2025-{m:02d}" for m in range(1, 13)]
    assert scalar(small, "SELECT count(*) FROM (SELECT processor_id, period FROM submissions GROUP BY ALL "
                         "HAVING count(*) > 1)") == 0


def test_submission_counts_add_up_like_ingest_writes_them(small: Path) -> None:
    con = duckdb.connect(str(small), read_only=True)
    try:
        reports = con.execute("""
            SELECT s.rows_read, s.rows_loaded, s.rows_quarantined, s.rows_skipped, s.counts,
                   (SELECT count(*) FROM cases c WHERE c.submission_id = s.submission_id) AS case_rows,
                   (SELECT count(*) FROM training t WHERE t.submission_id = s.submission_id) AS training_rows
            FROM submissions s""").fetchall()
    finally:
        con.close()
    for read, loaded, quarantined, skipped, counts, case_rows, training_rows in reports:
        parts = json.loads(counts)
        assert read == loaded + quarantined + skipped == case_rows + training_rows
        assert parts["cases"] == {"rows_read": case_rows, "rows_loaded": case_rows, "rows_quarantined": 0,
                                  "rows_skipped": 0, "skipped": {}, "quarantine_reasons": {}}
        assert parts.get("training", {}).get("rows_loaded", 0) == training_rows


def test_a_report_shows_only_what_was_known_at_the_end_of_its_month(small: Path) -> None:
    later = " OR ".join(f"{f} > last_day(CAST(strptime(period, '%Y-%m') AS DATE))" for f in DATE_FIELDS)
    assert scalar(small, f"SELECT count(*) FROM report_cases WHERE {later}") == 0
    assert scalar(small, "SELECT count(*) FROM report_cases WHERE responded_on IS NULL AND outcome IS NOT NULL") == 0
    assert scalar(small, "SELECT count(*) FROM report_cases WHERE received_on > responded_on") == 0


def test_open_cases_are_listed_again_the_next_month(small: Path) -> None:
    open_then, listed_again = duckdb.connect(str(small), read_only=True).execute("""
        SELECT count(*), count(nxt.case_id)
        FROM report_cases prev
        LEFT JOIN report_cases nxt ON nxt.processor = prev.processor AND nxt.case_id = prev.case_id
             AND nxt.period = strftime(strptime(prev.period, '%Y-%m') + INTERVAL 1 MONTH, '%Y-%m')
        WHERE prev.responded_on IS NULL AND prev.period < '2025-12'""").fetchall()[0]
    assert open_then > 100
    assert listed_again / open_then > 0.97  # a few are dropped on purpose (report.case_dropped)


def test_subjects_are_pseudonyms_and_some_come_back(small: Path) -> None:
    refs = [r for (r,) in duckdb.connect(str(small), read_only=True).execute(
        "SELECT data_subject_ref FROM current_cases WHERE data_subject_ref IS NOT NULL").fetchall()]
    assert all(re.fullmatch(r"[0-9a-f]{64}", r) for r in refs)
    assert len(set(refs)) < len(refs)


def test_only_the_first_processor_sends_a_training_roster(small: Path) -> None:
    assert scalar(small, "SELECT list(DISTINCT p.name) FROM training t JOIN submissions s USING (submission_id) "
                         "JOIN processors p USING (processor_id)") == ["Belcall Antwerpen BV"]


def test_same_arguments_give_the_same_database_and_another_seed_another(tmp_path: Path) -> None:
    fingerprint = ("SELECT md5(string_agg(concat_ws('|', s.period, s.processor_id, c.case_id, c.received_on, "
                   "c.request_type, c.responded_on, c.data_subject_ref), ',' ORDER BY s.period, s.processor_id, "
                   "c.source_row)) FROM cases c JOIN submissions s USING (submission_id)")
    prints = []
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        build(tmp_path / f"{name}.duckdb", cases=300, months=3, seed=seed)
        prints.append(scalar(tmp_path / f"{name}.duckdb", fingerprint))
    assert prints[0] == prints[1] != prints[2]


def test_matches_recognises_a_cached_build_only_for_the_same_arguments(small: Path, tmp_path: Path) -> None:
    assert matches(small, cases=2_000, months=12, processors=3)
    assert not matches(small, cases=2_001, months=12, processors=3)
    assert not matches(small, cases=2_000, months=24, processors=3)
    assert not matches(tmp_path / "absent.duckdb", cases=2_000, months=12, processors=3)


def test_twenty_four_months_for_the_dashboard_benchmark(tmp_path: Path) -> None:
    built = build(tmp_path / "long.duckdb", cases=500, months=24, processors=3, start="2025-01")
    assert built.reports == 72
    assert scalar(built.path, "SELECT max(period) FROM submissions") == "2026-12"


def test_build_refuses_impossible_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="processors"):
        build(tmp_path / "x.duckdb", cases=10, processors=9)


def test_the_checks_run_on_it_and_find_the_planted_kinds_of_problem(small: Path, tmp_path: Path) -> None:
    work = tmp_path / "run.duckdb"
    work.write_bytes(small.read_bytes())
    con = connect(work)
    try:
        result = run_checks(con, BENCH_USER)
        answered = con.execute("SELECT count(*) FROM report_cases WHERE responded_on IS NOT NULL").fetchall()[0][0]
    finally:
        con.close()
    assert result.errors == 0
    assert len(result.reports) == 36
    found = result.offending
    for check_id in ("deadline.late_response", "deadline.overdue_open", "deadline.due_soon", "sla.forwarding_late",
                     "sla.escalation_late", "marketing.optout_not_effective", "repeat.same_request",
                     "training.not_current", "training.agent_unknown", "identity.not_verified"):
        assert found[check_id] > 0, check_id
    assert found["report.missing"] == 0  # every month is reported
    # bench/data.py: about 3 % of the requests are answered after the deadline
    assert 0.02 < found["deadline.late_response"] / answered < 0.05

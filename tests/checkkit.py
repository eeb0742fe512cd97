"""Tiny inline reports for the check tests: write cases straight into a real DuckDB file, run, and assert.

Rows go into the same tables ingest writes (processors, submissions, cases, training), so the checks read exactly
what they read in production; only the file parsing is skipped, which the ingest tests cover.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import duckdb

from checks.runner import run_checks
from store.db import next_id
from store.identity import User

OFFICER = User("olivia", ("compliance_officer",))
CASE_DEFAULTS: dict[str, object] = {"request_type": "access", "channel": "phone", "data_subject_ref": None,
                                    "identity_verified": True, "agent_id": "agent.one"}


def d(text: str) -> date:
    return date.fromisoformat(text)


def add_report(con: duckdb.DuckDBPyConnection, period: str, cases: list[dict[str, object]], *,
               processor: str = "Testcall", submitted_on: str | None = None, declared_total: int | None = None,
               rows_read: int | None = None, quarantined: int = 0, training: list[tuple[str, str]] = (),
               profile: str = "default") -> int:
    """Store one current report of `cases` (dicts of canonical fields; `case_id` and `received_on` required)."""
    con.execute("INSERT INTO processors (name, profile, created_at) VALUES (?, ?, now()) ON CONFLICT DO NOTHING",
                [processor, profile])
    processor_id = con.execute("SELECT processor_id FROM processors WHERE name = ?", [processor]).fetchall()[0][0]
    year, month = map(int, period.split("-"))
    submitted = submitted_on or (f"{year + month // 12}-{month % 12 + 1:02d}-05")
    read = len(cases) + quarantined if rows_read is None else rows_read
    counts = {"cases": {"rows_read": read, "rows_loaded": len(cases), "rows_quarantined": quarantined,
                        "rows_skipped": 0, "skipped": {}, "quarantine_reasons": {"bad_date": quarantined}
                        if quarantined else {}}}
    sid = next_id(con, "submission_ids")
    con.execute(
        "INSERT INTO submissions (submission_id, processor_id, period, kind, file_name, sha256, format, submitted_on, "
        "submitted_on_source, declared_total, declared_total_source, ingested_at, ingested_by, rows_read, rows_loaded, "
        "rows_quarantined, rows_skipped, counts, extras, notes, status) VALUES "
        "(?, ?, ?, 'cases', ?, ?, 'csv', ?, 'argument', ?, ?, now(), 'test', ?, ?, ?, 0, ?, [], [], 'current')",
        [sid, processor_id, period, f"{processor}_{period}.csv", f"sha-{processor}-{period}", submitted, declared_total,
         "summary" if declared_total is not None else None, read, len(cases), quarantined,
         json.dumps(counts)])
    for row, case in enumerate(cases, start=2):
        values = {**CASE_DEFAULTS, **case}
        columns = ", ".join(values)
        con.execute(f"INSERT INTO cases (submission_id, source_row, {columns}) VALUES (?, ?, "
                    + ", ".join("?" for _ in values) + ")", [sid, row, *values.values()])
    for row, (agent, trained_on) in enumerate(training, start=2):
        con.execute("INSERT INTO training (submission_id, source_row, agent_id, trained_on) VALUES (?, ?, ?, ?)",
                    [sid, row, agent, trained_on])
    return sid


@dataclass
class Found:
    """The exceptions of one run, by check id."""

    run_id: int
    rows: list[dict[str, object]]
    results: dict[tuple[str, str, str], tuple[int, int, str | None]]

    def of(self, check_id: str) -> list[dict[str, object]]:
        return [r for r in self.rows if r["check_id"] == check_id]

    def cases(self, check_id: str) -> set[str | None]:
        return {r["case_id"] for r in self.of(check_id)}


def run(con: duckdb.DuckDBPyConnection, *, period: str | None = None, as_of: str | None = None,
        processor: str | None = None, controller_country: str | None = None) -> Found:
    result = run_checks(con, OFFICER, processor=processor, period=period, as_of=d(as_of) if as_of else None,
                        controller_country=controller_country)
    cur = con.cursor()
    columns = ["check_id", "severity", "processor", "period", "case_id", "clause", "details"]
    found = [dict(zip(columns, r, strict=True)) for r in cur.execute(
        f"SELECT {', '.join(columns)} FROM exceptions WHERE run_id = ?", [result.run_id]).fetchall()]
    for r in found:
        r["details"] = json.loads(r["details"])
    assert not result.errors, [r for r in result.results if r.error]
    return Found(result.run_id, found, {(r.check_id, r.processor, r.period): (r.cases_tested, r.cases_offending,
                                                                              r.error) for r in result.results})


def assert_offends(found: Found, check_id: str, case_id: str | None, **details: object) -> dict[str, object]:
    """The case offends the check; the given detail values are what the exception records."""
    rows = [r for r in found.of(check_id) if r["case_id"] == case_id]
    assert rows, f"{check_id} should flag {case_id}; it flagged {sorted(map(str, found.cases(check_id)))}"
    for key, value in details.items():
        assert rows[0]["details"][key] == value, (key, rows[0]["details"])
    return rows[0]


def assert_passes(found: Found, check_id: str, case_id: str) -> None:
    """The case does not offend the check."""
    assert case_id not in found.cases(check_id), f"{check_id} should not flag {case_id}: {found.of(check_id)}"

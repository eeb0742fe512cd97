"""Writing a staged report: processors, submissions, cases, training, quarantine (diffs: ingest/resubmission.py)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import duckdb

from ingest.validate import Staged, ident
from store.db import next_id


def now_utc() -> datetime:
    """The current time in UTC, naive (DuckDB TIMESTAMP)."""
    return datetime.now(UTC).replace(tzinfo=None)


def ensure_processor(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """Return the processor's id, registering it (default contract profile) on first sight."""
    con.execute("INSERT INTO processors (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                [name, now_utc()])
    return con.execute("SELECT processor_id FROM processors WHERE name = ?", [name]).fetchall()[0][0]


def find_duplicate(con: duckdb.DuckDBPyConnection, processor: str, sha256: str) -> dict[str, object] | None:
    """Return the submission that already holds this exact file for this processor, if any."""
    rows = con.execute(
        "SELECT s.submission_id, s.period, s.file_name, s.status FROM submissions s JOIN processors p "
        "USING (processor_id) WHERE p.name = ? AND s.sha256 = ? ORDER BY s.submission_id LIMIT 1",
        [processor, sha256],
    ).fetchall()
    if not rows:
        return None
    return dict(zip(("submission_id", "period", "file_name", "status"), rows[0], strict=True))


def current_submission(con: duckdb.DuckDBPyConnection, processor_id: int, period: str, kind: str) -> int | None:
    """Return the current submission for a processor, period and kind, if any."""
    rows = con.execute(
        "SELECT submission_id FROM submissions WHERE processor_id = ? AND period = ? AND kind = ? "
        "AND status = 'current'",
        [processor_id, period, kind],
    ).fetchall()
    return rows[0][0] if rows else None


def insert_submission(con: duckdb.DuckDBPyConnection, values: dict[str, object]) -> int:
    """Insert a submission row and return its id."""
    values = {"submission_id": next_id(con, "submission_ids"), **values}
    names = list(values)
    placeholders = ", ".join(f"${n}" for n in names)
    con.execute(f"INSERT INTO submissions ({', '.join(names)}) VALUES ({placeholders})", values)
    return int(values["submission_id"])  # type: ignore[call-overload]


def insert_rows(con: duckdb.DuckDBPyConnection, submission_id: int, staged: Staged, target: str) -> None:
    """Insert the staged part's loaded rows into `target` (cases or training), in file order."""
    columns = [f.name for f in staged.fields]
    con.execute(
        f"INSERT INTO {target} (submission_id, source_row, {', '.join(columns)}, extras) "
        f"SELECT $sid, source_row, {', '.join(ident('p_' + c) for c in columns)}, _extras "
        f"FROM {staged.table} WHERE status = 'loaded'{_file_order(con, staged)}",
        {"sid": submission_id},
    )


def insert_quarantine(con: duckdb.DuckDBPyConnection, submission_id: int, staged: Staged, part: str) -> None:
    """Insert the staged part's quarantined rows with their reasons and raw values, in file order."""
    con.execute(
        f"INSERT INTO quarantine SELECT $sid, $part, source_row, {'p_case_id' if part == 'cases' else 'NULL'}, "
        "reasons, messages, _raw "
        f"FROM {staged.table} WHERE status = 'quarantined'{_file_order(con, staged)}",
        {"sid": submission_id, "part": part},
    )


def record_pseudonyms(con: duckdb.DuckDBPyConnection, staged: Staged, key_id: str, *, agents: bool,
                      previous_id: str | None = None) -> int:
    """Record which key made each pseudonym the part's loaded rows hold, and, during a rotation's overlap window, link
    each reference's pseudonym under the previous key to its new one (store/keyring.py). Returns the links made."""
    names = {f.name for f in staged.fields}
    columns = [("p_data_subject_ref", "subject")] if "data_subject_ref" in names else []
    if agents and "agent_id" in names:
        columns.append(("p_agent_id", "agent"))
    for column, kind in columns:
        con.execute(f"INSERT INTO pseudonyms SELECT DISTINCT {column}, $key, $kind FROM {staged.table} s "
                    f"WHERE status = 'loaded' AND {column} IS NOT NULL "
                    f"AND NOT EXISTS (SELECT 1 FROM pseudonyms x WHERE x.pseudonym = s.{column})",
                    {"key": key_id, "kind": kind})
    if previous_id is None or "data_subject_ref" not in names:
        return 0
    before = con.execute("SELECT count(*) FROM pseudonym_links").fetchall()[0][0]
    con.execute(f"INSERT INTO pseudonym_links SELECT DISTINCT _ref_prev, $old, p_data_subject_ref, $new "
                f"FROM {staged.table} WHERE status = 'loaded' AND _ref_prev IS NOT NULL ON CONFLICT DO NOTHING",
                {"old": previous_id, "new": key_id})
    return con.execute("SELECT count(*) FROM pseudonym_links").fetchall()[0][0] - before


def _file_order(con: duckdb.DuckDBPyConnection, staged: Staged) -> str:
    """The ORDER BY a staged table needs to be read in file order: none when it was written in that order.

    Staging reads the rows without a join, so DuckDB keeps their order, and sorting a million wide rows would
    cost more than the rest of the insert. The raw rows of a file with empty lines come through a join
    (readers: line numbers), which need not keep it: so the order is checked (row i of the file is row i of the
    table) and sorted only when needed.
    """
    shuffled = con.execute(f"SELECT count(*) FROM {staged.table} WHERE _r >= 0 AND rowid <> _r").fetchall()[0][0]
    return " ORDER BY _r" if shuffled else ""


def part_counts(con: duckdb.DuckDBPyConnection, staged: Staged) -> dict[str, object]:
    """Count a staged part: read, loaded, quarantined, skipped, skipped and quarantined by reason, and the fields
    its header gave (a contract's required_fields are checked against them: report.field_missing)."""
    totals = dict(con.execute(f"SELECT status, count(*) FROM {staged.table} GROUP BY status").fetchall())
    skipped = dict(con.execute(
        f"SELECT skip, count(*) FROM {staged.table} WHERE status = 'skipped' GROUP BY skip ORDER BY skip"
    ).fetchall())
    reasons = dict(con.execute(
        f"SELECT r, count(*) FROM (SELECT unnest(reasons) AS r FROM {staged.table} WHERE status = 'quarantined') "
        "GROUP BY r ORDER BY r"
    ).fetchall())
    loaded, quarantined = totals.get("loaded", 0), totals.get("quarantined", 0)
    skipped_n = totals.get("skipped", 0)
    return {"rows_read": loaded + quarantined + skipped_n, "rows_loaded": loaded, "rows_quarantined": quarantined,
            "rows_skipped": skipped_n, "skipped": skipped, "quarantine_reasons": reasons,
            "fields": list(staged.given),
            **({"notes_dropped": staged.notes_dropped} if "summary" in {f.name for f in staged.fields} else {})}


def to_json(value: object) -> str:
    """Serialise details for JSON columns (dates as ISO)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False,
                      default=lambda v: v.isoformat() if isinstance(v, date | datetime) else str(v))

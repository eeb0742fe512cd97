"""The processor uploads its own monthly report (issue 15 item 2), and the compliance officer confirms what waits.

GDPR Art. 28(3)(h): the processor makes available the information necessary to demonstrate compliance; here it
sends its report itself, under the same ingest rules as the compliance officer's uploads (ingest.service), to its
own processor only (store.scope). The upload time is the report's arrival date (`submitted_on`), the evidence for
report.late (SCC 7.6(c)). A resubmission that would remove cases is neither refused nor loaded: the file is kept
(store.blobs) in `pending_submissions` until the compliance officer confirms it (loaded with replace, arriving on
the day it was uploaded) or rejects it with a reason (issue 15, "Names and decisions").
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from checks.contract import ingest_terms
from ingest.errors import IngestError
from ingest.queries import list_quarantine
from ingest.service import IngestResult, ingest_own_report, ingest_report
from store import audit, limits
from store.blobs import get_blob, put_report_blob, safe_filename
from store.db import next_id, rows, transaction
from store.errors import OversightError
from store.identity import User, require
from store.scope import OutOfScope, in_scope, require_processor, scope_of, sql_filter

PENDING = "pending"
FIELD_CHANGES_KEPT = 200  # field-level changes kept with a pending upload for the officer to read (counts: all)


class PendingError(OversightError):
    """Base class of the refusals about a pending processor upload."""


class PendingDecided(PendingError):
    """The pending upload was already confirmed or rejected."""

    def __init__(self, pending_id: int, status: str) -> None:
        super().__init__(f"Pending upload {pending_id} was already {status}; nothing was changed. "
                         "`oversight reports pending` lists the uploads still waiting.")


class PendingStale(PendingError):
    """Another report of the month was loaded after the upload was compared: its diff no longer says what it does."""

    def __init__(self, pending_id: int, compared: object, current: object) -> None:
        super().__init__(f"Pending upload {pending_id} was compared with submission {compared}, but submission "
                         f"{current} has been loaded for that month since, so what confirming it would remove is no "
                         "longer what was shown. Nothing was loaded. Reject it (oversight reports reject "
                         f"{pending_id} --reason ...) and ask the processor to upload the file again.")


class ReasonRequired(PendingError):
    """A rejection without a reason: the processor is told why, and the audit trail keeps it."""

    def __init__(self) -> None:
        super().__init__("Say why the upload is rejected (--reason TEXT): the processor reads it and the audit trail "
                         "keeps it.")


@dataclass
class UploadResult:
    """What became of a processor's upload: loaded, duplicate, refused (with the reason) or pending."""

    status: str  # loaded | duplicate | refused | pending
    file: str
    processor: str
    period: str | None = None
    submission_id: int | None = None
    pending_id: int | None = None
    submitted_on: str | None = None  # the arrival date: the day of the upload (UTC)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_skipped: int = 0
    replaces: int | None = None  # the submission a loaded resubmission superseded
    changes: dict[str, object] | None = None  # a resubmission's (or a pending upload's) added/removed/changed
    quarantine: list[dict[str, object]] = field(default_factory=list)  # rows with reasons, raw values as stored
    reason: str | None = None  # why it was refused, or why it waits
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _utc(now: datetime | None) -> datetime:
    """`now` as a naive UTC timestamp (a naive `now` is taken as UTC already)."""
    moment = now or datetime.now(UTC)
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def upload_report(con: duckdb.DuckDBPyConnection, user: User, path: Path, *, key_path: Path,
                  file_name: str | None = None, now: datetime | None = None,
                  keep_notes: bool | None = None) -> UploadResult:
    """Ingest a report a processor user uploads for its own processor; a removing resubmission waits (pending).
    `keep_notes`: the configuration's `[ingest] keep_notes` (None: read it where ingest reads it)."""
    require(user, "upload a report as the processor")
    own = scope_of(user)
    if own is None:  # a processor user always has a scope (store.scope fails closed); never the controller's
        raise OutOfScope("processor")
    arrived = _utc(now)
    name = file_name or Path(path).name
    try:
        result = ingest_own_report(con, Path(path), user=user, key_path=key_path, submitted_on=arrived.date(),
                                   today=arrived.date(), file_name=name, keep_notes=keep_notes,
                                   **ingest_terms(con))
    except IngestError as exc:
        return UploadResult("refused", name, own, submitted_on=arrived.date().isoformat(), reason=str(exc))
    if result.status == "preview":
        return _hold(con, user, Path(path), result, arrived)
    return _loaded(con, result)


def _loaded(con: duckdb.DuckDBPyConnection, result: IngestResult) -> UploadResult:
    counts = {k: getattr(result, k) for k in ("rows_read", "rows_loaded", "rows_quarantined", "rows_skipped")}
    if result.status == "duplicate":
        return UploadResult("duplicate", result.file, result.processor, result.period,
                            submission_id=result.submission_id, reason=" ".join(result.notes))
    quarantined = (list_quarantine(con, result.processor, submission_id=result.submission_id, current_only=False)
                   if result.rows_quarantined else [])
    return UploadResult("loaded", result.file, result.processor, result.period, submission_id=result.submission_id,
                        submitted_on=result.submitted_on, **counts, replaces=result.replaces, changes=result.changes,
                        quarantine=[_quarantined_row(q) for q in quarantined], notes=result.notes)


def _quarantined_row(row: dict[str, object]) -> dict[str, object]:
    return {k: row[k] for k in ("submission_id", "part", "source_row", "case_id", "reasons", "messages", "raw")}


def _hold(con: duckdb.DuckDBPyConnection, user: User, path: Path, preview: IngestResult,
          arrived: datetime) -> UploadResult:
    """Keep a resubmission that would remove cases for the compliance officer's confirmation (nothing replaced)."""
    role = require(user, "upload a report as the processor")
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    if sha != preview.detected.get("sha256"):  # the file changed after it was read: keep nothing unread
        return UploadResult("refused", preview.file, preview.processor, preview.period,
                            reason=f"{preview.file} changed while it was being read; upload it again.")
    summary = {**(preview.changes or {}), "replaces": preview.replaces, "rows_read": preview.rows_read,
               "rows_loaded": preview.rows_loaded, "rows_quarantined": preview.rows_quarantined,
               "field_changes": (preview.field_changes or [])[:FIELD_CHANGES_KEPT], "truncated": preview.truncated}
    counts = {k: summary.get(k, 0) for k in ("added", "removed", "changed")}
    with transaction(con):
        waiting = con.execute("SELECT pending_id FROM pending_submissions WHERE processor = ? AND sha256 = ? "
                              "AND status = ?", [preview.processor, sha, PENDING]).fetchall()
        if waiting:
            pending_id = int(waiting[0][0])
        else:
            put_report_blob(con, data, filename=preview.file, max_bytes=limits.current().max_file_bytes)
            pending_id = next_id(con, "pending_submission_ids")
            con.execute(
                "INSERT INTO pending_submissions (pending_id, processor, period, file_name, sha256, uploaded_at, "
                "uploaded_by, diff_summary, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [pending_id, preview.processor, preview.period, preview.file, sha, arrived, user.name,
                 json.dumps(summary, default=str), PENDING])
            # Counts only, no case ids (as report.refused): the trail says what waits, the table what it changes.
            audit.append_event(con, user=user.name, role=role, action="report.pending", obj=f"pending:{pending_id}",
                               details={"processor": preview.processor, "period": preview.period,
                                        "file": preview.file, "sha256": sha, "replaces": preview.replaces,
                                        "uploaded_at": arrived.isoformat(), **counts})
    return UploadResult(
        PENDING, preview.file, preview.processor, preview.period, pending_id=pending_id,
        submitted_on=arrived.date().isoformat(), rows_read=preview.rows_read, rows_loaded=preview.rows_loaded,
        rows_quarantined=preview.rows_quarantined, rows_skipped=preview.rows_skipped, replaces=preview.replaces,
        changes=preview.changes, notes=preview.notes,
        reason=f"It would remove {counts['removed']} case(s) from the current report for {preview.period}, so it "
               "waits for the compliance officer's confirmation; nothing was replaced yet.")


def _pending(con: duckdb.DuckDBPyConnection, user: User, pending_id: int) -> dict[str, object]:
    """One pending upload the user may see; OutOfScope ("not found") otherwise."""
    where, params = sql_filter(user)
    found = rows(con, f"SELECT * FROM pending_submissions WHERE pending_id = $id AND {where}",
                 {"id": int(pending_id), **params})
    if not found:
        raise OutOfScope(f"pending upload {pending_id}")
    row = found[0]
    row["diff_summary"] = json.loads(str(row["diff_summary"]))
    return row


def list_pending(con: duckdb.DuckDBPyConnection, user: User, *,
                 status: str | None = PENDING) -> list[dict[str, object]]:
    """Processor uploads waiting (or, `status` None, all of them), oldest first; a processor user sees its own."""
    where, params = sql_filter(user)
    found = rows(con, f"SELECT * FROM pending_submissions WHERE {where} AND ($status IS NULL OR status = $status) "
                      "ORDER BY uploaded_at, pending_id", {"status": status, **params})
    for row in found:
        row["diff_summary"] = json.loads(str(row["diff_summary"]))
    return found


def confirm_pending(con: duckdb.DuckDBPyConnection, user: User, pending_id: int, *, key_path: Path,
                    now: datetime | None = None, keep_notes: bool | None = None) -> IngestResult:
    """Load a pending upload, replacing the current report; it arrives on the day it was uploaded."""
    role = require(user, "ingest a report")
    row = _pending(con, user, pending_id)
    if row["status"] != PENDING:
        raise PendingDecided(pending_id, str(row["status"]))
    uploaded = row["uploaded_at"]
    assert isinstance(uploaded, datetime)
    # The officer confirmed what the diff showed: against the submission current at the upload. A report of the
    # month loaded since would be replaced unseen (nothing lost silently): refuse, the processor uploads again.
    compared = row["diff_summary"].get("replaces") if isinstance(row["diff_summary"], dict) else None
    current = _current_submission(con, str(row["processor"]), str(row["period"]))
    if compared is not None and current is not None and int(current) != int(compared):  # type: ignore[call-overload]
        raise PendingStale(pending_id, compared, current)
    data = get_blob(con, str(row["sha256"]))
    file_name = str(row["file_name"])
    processor = str(row["processor"])
    with tempfile.TemporaryDirectory(prefix="oversight-pending-") as folder:
        file = Path(folder) / safe_filename(file_name, "report.csv")
        file.write_bytes(data)
        result = ingest_report(
            con, file, user=user, key_path=key_path, processor=processor, period=str(row["period"]),
            submitted_on=uploaded.date(), today=max(date.today(), uploaded.date()), file_name=file_name,
            replace=True, keep_notes=keep_notes, **ingest_terms(con))
    decided = _utc(now)
    with transaction(con):
        # Still waiting? (Read inside the write transaction, so nobody decides it between this and the update.)
        changed = con.execute("SELECT pending_id FROM pending_submissions WHERE pending_id = ? AND status = ?",
                              [int(pending_id), PENDING]).fetchall()
        con.execute(
            "UPDATE pending_submissions SET status = 'confirmed', decided_at = ?, decided_by = ?, submission_id = ? "
            "WHERE pending_id = ? AND status = ?",
            [decided, user.name, result.submission_id, int(pending_id), PENDING])
        if changed:
            audit.append_event(con, user=user.name, role=role, action="report.pending_confirmed",
                               obj=f"pending:{pending_id}",
                               details={"processor": processor, "period": row["period"], "file": file_name,
                                        "sha256": row["sha256"], "submission_id": result.submission_id,
                                        "status": result.status, "submitted_on": uploaded.date().isoformat()})
    return result


def _current_submission(con: duckdb.DuckDBPyConnection, processor: str, period: str) -> int | None:
    """The current submission of a processor's month (None: none loaded)."""
    found = con.execute("SELECT max(s.submission_id) FROM submissions s JOIN processors p USING (processor_id) "
                        "WHERE p.name = ? AND s.period = ? AND s.status = 'current'",
                        [processor, period]).fetchall()
    return found[0][0] if found else None


def reject_pending(con: duckdb.DuckDBPyConnection, user: User, pending_id: int, reason: str, *,
                   now: datetime | None = None) -> dict[str, object]:
    """Refuse a pending upload with a reason (the current report stays); the file is kept as what was sent."""
    role = require(user, "ingest a report")
    if not (reason or "").strip():
        raise ReasonRequired()
    row = _pending(con, user, pending_id)
    if row["status"] != PENDING:
        raise PendingDecided(pending_id, str(row["status"]))
    with transaction(con):
        changed = con.execute("SELECT pending_id FROM pending_submissions WHERE pending_id = ? AND status = ?",
                              [int(pending_id), PENDING]).fetchall()
        con.execute(
            "UPDATE pending_submissions SET status = 'rejected', decided_at = ?, decided_by = ?, reason = ? "
            "WHERE pending_id = ? AND status = ?",
            [_utc(now), user.name, reason.strip(), int(pending_id), PENDING])
        if not changed:
            raise PendingDecided(pending_id, "decided")
        audit.append_event(con, user=user.name, role=role, action="report.pending_rejected",
                           obj=f"pending:{pending_id}",
                           details={"processor": row["processor"], "period": row["period"],
                                    "file": row["file_name"], "sha256": row["sha256"], "reason": reason.strip()})
    return _pending(con, user, pending_id)


def submissions_for(con: duckdb.DuckDBPyConnection, user: User,
                    processor: str | None = None) -> list[dict[str, object]]:
    """A processor's submissions, newest first, with its uploads still waiting or rejected (scoped to the user)."""
    if processor is not None:
        require_processor(user, processor, f"processor '{processor}'")
    where, params = sql_filter(user, "p.name")
    loaded = rows(con, f"""
        SELECT s.submission_id, NULL::INTEGER AS pending_id, p.name AS processor, s.period, s.kind, s.file_name,
               s.submitted_on AS received_on, s.status, s.rows_loaded AS cases_loaded, s.rows_quarantined,
               NULL::VARCHAR AS reason, s.ingested_at AS at
        FROM submissions s JOIN processors p USING (processor_id)
        WHERE {where} AND ($processor IS NULL OR p.name = $processor)""", {"processor": processor, **params})
    where, params = sql_filter(user, "processor")
    held = rows(con, f"""
        SELECT submission_id, pending_id, processor, period, 'cases' AS kind, file_name,
               CAST(uploaded_at AS DATE) AS received_on,
               CASE status WHEN 'pending' THEN 'waiting for confirmation' ELSE status END AS status,
               CAST(json_extract(diff_summary, '$.rows_loaded') AS INTEGER) AS cases_loaded,
               CAST(json_extract(diff_summary, '$.rows_quarantined') AS INTEGER) AS rows_quarantined, reason,
               uploaded_at AS at
        FROM pending_submissions WHERE {where} AND status <> 'confirmed'
          AND ($processor IS NULL OR processor = $processor)""", {"processor": processor, **params})
    found = sorted(loaded + held, key=lambda r: (r["received_on"], r["at"]), reverse=True)  # newest arrival first
    for row in found:
        del row["at"]
    return found


def quarantine_for(con: duckdb.DuckDBPyConnection, user: User, submission_id: int) -> list[dict[str, object]]:
    """A submission's quarantined rows with their reasons (raw values as stored: references pseudonymised)."""
    owner = rows(con, "SELECT p.name FROM submissions s JOIN processors p USING (processor_id) "
                      "WHERE s.submission_id = ?", [int(submission_id)])
    if not owner or not in_scope(user, str(owner[0]["name"])):
        raise OutOfScope(f"submission {submission_id}")
    return [_quarantined_row(q) for q in list_quarantine(con, str(owner[0]["name"]), submission_id=int(submission_id),
                                                         current_only=False)]

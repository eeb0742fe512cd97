"""Evidence on request (issue 15 item 3): after a draw the auditor asks the processor for its case files, the
processor sends files per case, and the reviewer opens them beside the review form.

GDPR Art. 28(3)(h): the processor makes available all information necessary to demonstrate compliance and
contributes to audits; SCC 7.6(b): it deals promptly and adequately with the controller's inquiries, so the time to
answer is measured: per request, the days from the request to the first file of the last case to get one (still
open while a case has none), and whether that was after the due date.

Scoping (store/scope.py): every function takes the acting user; a processor user sees and adds to its own
processor's requests only, and another processor's request answers exactly as one that does not exist. It sees the
request's cases and what is asked, never the sample's seed, key items or id. Files go through store/blobs.py (size,
type and content checks; SHA-256) and every file sent is one `evidence.added` audit event carrying its hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from spotchecks.errors import SpotCheckError
from spotchecks.queries import fetch, get_sample
from store import audit, blobs, limits
from store.db import rows, transaction
from store.identity import User, require
from store.scope import OutOfScope, require_processor, sql_filter

MAX_WHAT = 2000  # characters of "what is wanted": a paragraph, not a document


class EvidenceError(SpotCheckError):
    """Base class of the refusals of evidence requests."""


class InvalidRequest(EvidenceError):
    """A request without what is wanted, or with a due date that cannot be met."""


class NothingToRequest(EvidenceError):
    """The sample has no active case to ask evidence for."""


class CaseNotRequested(EvidenceError):
    """A file sent for a case the request does not cover."""

    def __init__(self, request_id: str, case_id: str, cases: list[str]) -> None:
        super().__init__(f"Case '{case_id}' is not one of the cases of evidence request {request_id} "
                         f"({', '.join(cases)}). Send the file for one of these cases.")


class NoEvidenceFile(EvidenceError):
    """No file was sent for that case (or none with that SHA-256)."""

    def __init__(self, request_id: str, case_id: str, sha256: str | None) -> None:
        which = f"with SHA-256 {sha256} " if sha256 else ""
        super().__init__(f"No file {which}was sent for case '{case_id}' of evidence request {request_id}. "
                         f"List what was sent with: oversight evidence list, or the request's page.")


@dataclass(frozen=True)
class EvidenceFile:
    """One file as it was sent: its bytes, its hash, and how to offer it for download."""

    request_id: str
    case_id: str
    sha256: str
    filename: str
    media_type: str
    size: int
    data: bytes

    @property
    def download_name(self) -> str:
        return blobs.safe_filename(self.filename)

    @property
    def download_media_type(self) -> str:
        return blobs.download_media_type(self.media_type)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _as_date(value: date | str, what: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidRequest(f"The {what} '{value}' is not a date: write it as YYYY-MM-DD.") from None


def _next_request_id(con: duckdb.DuckDBPyConnection, at: datetime) -> str:
    prefix = f"ER-{at.year}-"
    [row] = fetch(con, "SELECT coalesce(max(CAST(substr(request_id, 9) AS INTEGER)), 0) AS last "
                       "FROM evidence_requests WHERE starts_with(request_id, ?)", [prefix])
    return f"{prefix}{int(row['last']) + 1:04d}"  # type: ignore[call-overload]


def _load_request(con: duckdb.DuckDBPyConnection, user: User, request_id: str) -> dict[str, object]:
    """The request, if it exists and is in the user's scope; otherwise the same "not found" either way."""
    found = rows(con, "SELECT * FROM evidence_requests WHERE request_id = ?", [str(request_id).strip()])
    if not found:
        raise OutOfScope(f"evidence request '{request_id}'")
    require_processor(user, str(found[0]["processor"]), f"evidence request '{request_id}'")
    return found[0]


def request_evidence(con: duckdb.DuckDBPyConnection, user: User, sample_id: str, what: str, due_on: date | str,
                     *, today: date | None = None) -> dict[str, object]:
    """Ask the processor for evidence on every active case of a drawn sample (key items and top-ups included).

    One transaction, one `evidence.requested` audit event. Returns the request as `request_detail` gives it.
    """
    role = require(user, "request evidence")
    what = (what or "").strip()
    if not what:
        raise InvalidRequest("Say what is wanted (e.g. 'the call recording and the reply letter of each case').")
    if len(what) > MAX_WHAT:
        raise InvalidRequest(f"What is wanted has {len(what)} characters; keep it to {MAX_WHAT}.")
    due = _as_date(due_on, "due date")
    today = today or date.today()
    if due < today:
        raise InvalidRequest(f"The due date {due.isoformat()} is before today ({today.isoformat()}): give the "
                             "processor a date it can still meet.")
    sample = get_sample(con, sample_id)  # only a drawn sample is stored: "after the draw" holds by construction
    require_processor(user, str(sample["processor"]), f"sample '{sample_id}'")
    cases = [str(r["case_id"]) for r in rows(
        con, "SELECT case_id FROM active_sample_items WHERE sample_id = ? ORDER BY part DESC, position", [sample_id])]
    if not cases:
        raise NothingToRequest(f"Sample {sample_id} has no case to ask evidence for.")
    at = _now()
    with transaction(con):
        request_id = _next_request_id(con, at)
        con.execute(
            "INSERT INTO evidence_requests (request_id, sample_id, processor, period, what, due_on, requested_at, "
            "requested_by, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open')",
            [request_id, sample_id, sample["processor"], sample["period"], what, due, at, user.name])
        con.executemany("INSERT INTO evidence_request_cases VALUES (?, ?)", [[request_id, c] for c in cases])
        audit.append_event(con, user=user.name, role=role, action="evidence.requested",
                           obj=f"evidence_request:{request_id}", details={
                               "sample_id": sample_id, "processor": sample["processor"], "period": sample["period"],
                               "what": what, "due_on": due.isoformat(), "case_ids": cases})
    return request_detail(con, user, request_id)


def _timing(request: dict[str, object], answered_at: datetime | None, as_of: date) -> dict[str, object]:
    """Time to answer (SCC 7.6(b)): days from the request to the last case's first file, or open so far."""
    requested = request["requested_at"]
    assert isinstance(requested, datetime)
    due = request["due_on"]
    assert isinstance(due, date)
    end = answered_at.date() if answered_at else as_of
    return {
        "answered_at": answered_at,
        "days_to_answer": (answered_at.date() - requested.date()).days if answered_at else None,
        "days_open": None if answered_at else max(0, (end - requested.date()).days),
        "overdue": end > due,  # answered after the due date, or still unanswered past it
        "state": "answered" if answered_at else ("overdue" if as_of > due else "open"),
    }


_SUMMARY = """
    WITH firsts AS (
        SELECT request_id, case_id, min(added_at) AS first_at, count(*) AS files
        FROM evidence_files GROUP BY ALL),
    per_request AS (
        SELECT c.request_id, count(*) AS cases, count(f.first_at) AS cases_answered,
               coalesce(sum(f.files), 0) AS files,
               CASE WHEN count(f.first_at) = count(*) THEN max(f.first_at) END AS answered_at
        FROM evidence_request_cases c LEFT JOIN firsts f USING (request_id, case_id)
        GROUP BY c.request_id)
    SELECT r.request_id, r.sample_id, r.processor, r.period, r.what, r.due_on, r.requested_at, r.requested_by,
           p.cases, p.cases_answered, p.files, p.answered_at
    FROM evidence_requests r JOIN per_request p USING (request_id)
"""


def _public(user: User, request: dict[str, object]) -> dict[str, object]:
    """What a processor user may see of a request: not which sample (its seed and key items stay internal)."""
    if user.is_processor:
        request = {k: v for k, v in request.items() if k not in ("sample_id",)}
    return request


def list_requests(con: duckdb.DuckDBPyConnection, user: User, processor: str | None = None,
                  *, as_of: date | None = None) -> list[dict[str, object]]:
    """The evidence requests the user may see, newest first, each with its progress and time to answer."""
    require(user, "read evidence")
    scope, params = sql_filter(user, "r.processor")
    found = rows(con, f"{_SUMMARY} WHERE {scope} AND ($processor IS NULL OR r.processor = $processor) "
                      "ORDER BY r.requested_at DESC, r.request_id DESC", {**params, "processor": processor})
    today = as_of or date.today()
    return [_public(user, {**r, **_timing(r, r["answered_at"], today)}) for r in found]  # type: ignore[arg-type]


def request_detail(con: duckdb.DuckDBPyConnection, user: User, request_id: str,
                   *, as_of: date | None = None) -> dict[str, object]:
    """One request: what is asked, by when, its cases and for each the files sent (no bytes), and its timing."""
    require(user, "read evidence")
    _load_request(con, user, request_id)
    [summary] = rows(con, f"{_SUMMARY} WHERE r.request_id = ?", [request_id])
    files = rows(con, "SELECT case_id, sha256, filename, media_type, size, added_at, added_by FROM evidence_files "
                      "WHERE request_id = ? ORDER BY added_at, sha256", [request_id])
    cases = [str(r["case_id"]) for r in rows(
        con, "SELECT case_id FROM evidence_request_cases WHERE request_id = ? ORDER BY case_id", [request_id])]
    detail = {**summary, **_timing(summary, summary["answered_at"], as_of or date.today())}  # type: ignore[arg-type]
    detail["case_files"] = {c: [f for f in files if f["case_id"] == c] for c in cases}
    detail["case_ids"] = cases
    return _public(user, detail)


def _read(path_or_bytes: bytes | str | Path, filename: str | None) -> tuple[bytes, str]:
    """The file's bytes and name; a path is checked against the size limit before it is read into memory."""
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        if not filename:
            raise InvalidRequest("A file sent as bytes needs its file name (the extension says what it is).")
        return bytes(path_or_bytes), filename
    path = Path(path_or_bytes)
    name = filename or path.name
    if not path.is_file():
        raise InvalidRequest(f"There is no file {path}. Check the path.")
    size, limit = path.stat().st_size, limits.current().max_evidence_bytes
    if size > limit:
        raise blobs.FileTooLarge(name, size, limit)
    return path.read_bytes(), name


def add_evidence(con: duckdb.DuckDBPyConnection, user: User, request_id: str, case_id: str,
                 path_or_bytes: bytes | str | Path, filename: str | None = None) -> dict[str, object]:
    """Send one file for one case of a request; returns its SHA-256, name, type and size.

    The file is checked (store.blobs: not empty, within [limits] max_evidence_bytes, an accepted type by content and
    name), stored once by its hash, and recorded with an `evidence.added` event that carries the hash, so the bytes
    a reviewer opens later can be matched to what was sent.
    """
    role = require(user, "add evidence")
    request = _load_request(con, user, request_id)
    request_id = str(request["request_id"])
    cases = [str(r["case_id"]) for r in rows(
        con, "SELECT case_id FROM evidence_request_cases WHERE request_id = ? ORDER BY case_id", [request_id])]
    case_id = str(case_id).strip()
    if case_id not in cases:
        raise CaseNotRequested(request_id, case_id, cases)
    data, name = _read(path_or_bytes, filename)
    kind = blobs.check(data, name)  # refused before the transaction: nothing written for a refused file
    stored_name = blobs.safe_filename(name)
    at = _now()
    with transaction(con):
        sha = blobs.put_blob(con, data, media_type=kind.media_type, filename=name)
        con.execute("INSERT INTO evidence_files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [request_id, case_id, sha, stored_name, kind.media_type, len(data), at, user.name])
        [(missing,)] = con.execute(
            "SELECT count(*) FROM evidence_request_cases c WHERE c.request_id = ? AND NOT EXISTS "
            "(SELECT 1 FROM evidence_files f WHERE f.request_id = c.request_id AND f.case_id = c.case_id)",
            [request_id]).fetchall()
        if not missing:  # the status is a convenience for listings; the timing is always computed from the files
            con.execute("UPDATE evidence_requests SET status = 'answered' WHERE request_id = ?", [request_id])
        audit.append_event(con, user=user.name, role=role, action="evidence.added",
                           obj=f"evidence_request:{request_id}", details={
                               "case_id": case_id, "sha256": sha, "filename": stored_name,
                               "media_type": kind.media_type, "size": len(data)})
    return {"request_id": request_id, "case_id": case_id, "sha256": sha, "filename": stored_name,
            "media_type": kind.media_type, "size": len(data), "added_at": at}


def get_evidence(con: duckdb.DuckDBPyConnection, user: User, request_id: str, case_id: str,
                 sha256: str | None = None) -> EvidenceFile:
    """A file sent for a case: the one with that SHA-256, or the newest one for the case."""
    require(user, "read evidence")
    request = _load_request(con, user, request_id)
    request_id = str(request["request_id"])
    wanted = sha256.strip().lower() if sha256 else None
    found = rows(con, "SELECT sha256, filename, media_type, size FROM evidence_files WHERE request_id = ? AND "
                      "case_id = ? AND (? IS NULL OR sha256 = ?) ORDER BY added_at DESC LIMIT 1",
                 [request_id, str(case_id).strip(), wanted, wanted])
    if not found:
        raise NoEvidenceFile(request_id, case_id, wanted)
    f = found[0]
    return EvidenceFile(request_id, str(case_id).strip(), str(f["sha256"]), str(f["filename"]),
                        str(f["media_type"]), int(f["size"]),  # type: ignore[call-overload]
                        blobs.get_blob(con, str(f["sha256"])))


def evidence_for_case(con: duckdb.DuckDBPyConnection, user: User, sample_id: str,
                      case_id: str) -> list[dict[str, object]]:
    """The files sent for a sampled case, over every request of the sample (for the review form), newest first."""
    require(user, "read evidence")
    scope, params = sql_filter(user, "r.processor")
    return rows(con, f"""SELECT f.request_id, f.case_id, f.sha256, f.filename, f.media_type, f.size, f.added_at,
                                f.added_by
                         FROM evidence_files f JOIN evidence_requests r USING (request_id)
                         WHERE r.sample_id = $sample_id AND f.case_id = $case_id AND {scope}
                         ORDER BY f.added_at DESC""", {**params, "sample_id": sample_id, "case_id": case_id})


def requests_for_sample(con: duckdb.DuckDBPyConnection, user: User, sample_id: str,
                        *, as_of: date | None = None) -> list[dict[str, object]]:
    """The evidence requests of one sample (the Spot checks page), newest first."""
    require(user, "read evidence")
    return [r for r in list_requests(con, user, as_of=as_of) if r.get("sample_id") == sample_id]


def overdue_requests(con: duckdb.DuckDBPyConnection, as_of: date, processor: str | None = None,
                     *, user: User | None = None) -> list[dict[str, object]]:
    """Requests still unanswered (a case without any file) after their due date, as of a day, oldest due first.

    Without a user it is the controller's view (the Overview, `oversight attention`); with one, scoped to it.
    """
    scope, params = sql_filter(user, "r.processor") if user is not None else ("TRUE", {})
    found = rows(con, f"{_SUMMARY} WHERE {scope} AND ($processor IS NULL OR r.processor = $processor) "
                      "AND p.answered_at IS NULL AND r.due_on < $as_of ORDER BY r.due_on, r.request_id",
                 {**params, "processor": processor, "as_of": as_of})
    return [{**r, **_timing(r, None, as_of)} for r in found]

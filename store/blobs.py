"""A content-addressed file store inside the database: evidence files and attachments, by their SHA-256.

Why in the database and not a folder: several dashboard processes serve the same database, and a file kept beside
one of them is not seen by the others; the database is also what is backed up, retained and erased (issue 15,
"Names and decisions"). A file is stored once however often it is sent (dedupe by hash); its rows elsewhere
(evidence_files, responses' attachments) point at it by `sha256`.

What is accepted is decided by the bytes AND the name: the content is sniffed (magic numbers, UTF-8 text, the
parts list of an Office zip) and must agree with the extension, so an executable renamed `.pdf` or an HTML page
renamed `.txt` is refused. Files are never executed or rendered: `download_media_type` says how a page serves one
(application/octet-stream for anything but pdf/png/jpeg/plain text) and `safe_filename` what it is called.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from store import limits
from store.errors import OversightError


class BlobError(OversightError):
    """Base class of the refusals of the file store."""


class EmptyFile(BlobError):
    """A file with no bytes: nothing to keep as evidence."""

    def __init__(self, filename: str) -> None:
        super().__init__(f"The file '{filename}' is empty (0 bytes). Check that it was saved completely and send it "
                         "again.")


class FileTooLarge(BlobError):
    """A file above the configured size limit."""

    def __init__(self, filename: str, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(
            f"The file '{filename}' has {size:,} bytes; at most {limit:,} are accepted. Send a smaller file (split "
            "it, or compress a scan), or ask a compliance officer to raise [limits] max_evidence_bytes in the "
            "configuration.")


class ForbiddenFileType(BlobError):
    """A file whose content or name is not one of the accepted types, or whose name and content disagree."""

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(
            f"The file '{filename}' is refused: {reason}. Accepted are PDF, PNG, JPEG, plain text or CSV (UTF-8), "
            "Word (.docx), Excel (.xlsx) and e-mails (.eml, .msg); save the document in one of these formats and "
            "send it again.")


class UnknownBlob(BlobError):
    """No stored file has that SHA-256."""

    def __init__(self, sha256: str) -> None:
        super().__init__(f"No stored file has the SHA-256 {sha256}. Check the hash (64 hexadecimal digits) against "
                         "the evidence list.")


@dataclass(frozen=True)
class Kind:
    """An accepted file type: its media type and the extensions that may carry it."""

    media_type: str
    extensions: tuple[str, ...]


KINDS: dict[str, Kind] = {
    "pdf": Kind("application/pdf", (".pdf",)),
    "png": Kind("image/png", (".png",)),
    "jpeg": Kind("image/jpeg", (".jpg", ".jpeg")),
    "text": Kind("text/plain", (".txt", ".log")),
    "csv": Kind("text/csv", (".csv",)),
    "eml": Kind("message/rfc822", (".eml",)),
    "docx": Kind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    "xlsx": Kind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    "msg": Kind("application/vnd.ms-outlook", (".msg",)),
}
# Served inline-safe as themselves; everything else is offered as opaque bytes (never rendered by a browser).
SAFE_TO_SERVE = frozenset({"application/pdf", "image/png", "image/jpeg", "text/plain"})

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Compound File Binary: Outlook .msg (and old .doc/.xls, not accepted)
_MARKUP = re.compile(rb"<\s*(!doctype\s+html|html|script|svg|iframe|object|embed|body|head|\?xml)\b", re.I)
_FORBIDDEN_MAGIC = {
    b"MZ": "it is a Windows program",
    b"\x7fELF": "it is a Linux program",
    b"\xcf\xfa\xed\xfe": "it is a macOS program",
    b"\xca\xfe\xba\xbe": "it is a program or Java class",
    b"#!": "it is a script",
}


def _office_kind(data: bytes) -> str | None:
    """'docx' or 'xlsx' for an Office Open XML zip, None for any other zip (refused: it could hold anything)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def _is_text(data: bytes) -> bool:
    """UTF-8 (a BOM allowed) without control characters other than tab, newline, carriage return, form feed."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return not any(ord(c) < 32 and c not in "\t\n\r\f" for c in text)


def forbidden_reason(data: bytes) -> str | None:
    """Why the content is never accepted (a program or script), or None."""
    return next((what for magic, what in _FORBIDDEN_MAGIC.items() if data.startswith(magic)), None)


def sniff(data: bytes) -> str | None:
    """The accepted kind the content is (a key of KINDS, 'text' for any plain text), or None."""
    if forbidden_reason(data):
        return None
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(_OLE):
        return "msg"
    if data.startswith(b"PK\x03\x04"):
        return _office_kind(data)
    if _is_text(data):
        # HTML, SVG, XML: a browser would render or run it (accepted only inside an e-mail, served as bytes)
        return "markup" if _MARKUP.search(data[:65536]) else "text"
    return None


def classify(data: bytes, filename: str) -> Kind:
    """The accepted kind of a file, by its content and its extension, which must agree; else ForbiddenFileType."""
    name = filename.strip()
    extension = ("." + name.rsplit(".", 1)[1].lower()) if "." in name else ""
    if (reason := forbidden_reason(data)) is not None:
        raise ForbiddenFileType(filename, reason)
    found = sniff(data)
    by_name = next((key for key, kind in KINDS.items() if extension in kind.extensions), None)
    if by_name is None:
        raise ForbiddenFileType(filename, f"the extension '{extension or '(none)'}' is not an accepted type")
    if found == "markup" and by_name == "eml":
        return KINDS["eml"]  # an e-mail's HTML part: stored and downloaded as message/rfc822, never rendered
    if found in (None, "markup"):
        raise ForbiddenFileType(filename, "its content is not an accepted type (HTML, SVG, scripts, programs and "
                                          "archives other than Word or Excel files are never accepted)")
    # Text content may be named .txt, .log, .csv or .eml (an e-mail is text); otherwise content and name must match.
    if found == "text" and by_name in ("text", "csv", "eml"):
        return KINDS[by_name]
    if found != by_name:
        raise ForbiddenFileType(filename, f"its name says {by_name.upper()} but its content is "
                                          f"{'plain text' if found == 'text' else found.upper()}")
    return KINDS[found]


def safe_filename(filename: str, fallback: str = "evidence") -> str:
    """A file name safe to offer for download: no folders, no control or shell characters, at most 120 characters."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", filename or ""))[-1]
    base = re.sub(r"[^\w.\- ()]+", "_", base).strip(" ._")
    if len(base) > 120:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 120 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else base[:120]
    return base or fallback


def download_media_type(media_type: str) -> str:
    """The media type to serve a stored file with: itself for pdf/png/jpeg/plain text, else opaque bytes."""
    return media_type if media_type in SAFE_TO_SERVE else "application/octet-stream"


def check(data: bytes, filename: str, max_bytes: int | None = None) -> Kind:
    """Refuse an empty, oversize or forbidden file; return its accepted kind."""
    limit = max_bytes if max_bytes is not None else limits.current().max_evidence_bytes
    if not data:
        raise EmptyFile(filename)
    if len(data) > limit:
        raise FileTooLarge(filename, len(data), limit)
    return classify(data, filename)


def put_blob(con: duckdb.DuckDBPyConnection, data: bytes, *, media_type: str | None = None, filename: str,
             max_bytes: int | None = None) -> str:
    """Store the bytes once (if new) and return their SHA-256 (hex); refuse empty, oversize and forbidden files.

    `media_type` as the sender declared it is not trusted: the stored type is the sniffed one (`classify`).
    Runs on the caller's connection, inside its transaction when there is one.
    """
    kind = check(data, filename, max_bytes)
    del media_type  # declared by a browser or a caller: never the authority on what the bytes are
    sha = hashlib.sha256(data).hexdigest()
    con.execute(
        "INSERT INTO blobs (sha256, bytes, size, media_type, created_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (sha256) DO NOTHING",
        [sha, data, len(data), kind.media_type, datetime.now(UTC).replace(tzinfo=None)],
    )
    return sha


def media_type_of(data: bytes, filename: str) -> str:
    """The media type `put_blob` would store for this file (after the same checks)."""
    return check(data, filename).media_type


def get_blob(con: duckdb.DuckDBPyConnection, sha256: str) -> bytes:
    """The stored bytes with this SHA-256; UnknownBlob if none. The hash is checked again on the way out."""
    wanted = (sha256 or "").strip().lower()
    cur = con.cursor()
    try:
        found = cur.execute("SELECT bytes FROM blobs WHERE sha256 = ?", [wanted]).fetchall()
    finally:
        cur.close()
    if not found:
        raise UnknownBlob(wanted)
    data = bytes(found[0][0])
    if hashlib.sha256(data).hexdigest() != wanted:  # a row altered in place would be caught here
        raise UnknownBlob(wanted)
    return data


# Issue 15 item 2: a processor's report held for the compliance officer's confirmation. Its type was established by
# the ingest readers, which read the whole file (CSV in UTF-8, UTF-16 or Windows-1252; .xlsx or .xlsm), so the text
# test of `classify` (UTF-8 only) is not the authority here; programs, markup and other containers still are refused.
REPORT_MEDIA_TYPES: dict[str, str] = {
    ".csv": "text/csv",
    ".xlsx": KINDS["xlsx"].media_type,
    ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.12",  # stored as bytes: never opened, never run
}


def put_report_blob(con: duckdb.DuckDBPyConnection, data: bytes, *, filename: str, max_bytes: int) -> str:
    """Store a report file the ingest readers have read (CSV or Excel workbook); return its SHA-256 (hex)."""
    name = filename.strip()
    extension = ("." + name.rsplit(".", 1)[1].lower()) if "." in name else ""
    if not data:
        raise EmptyFile(filename)
    if len(data) > max_bytes:
        raise FileTooLarge(filename, len(data), max_bytes)
    if (reason := forbidden_reason(data)) is not None:
        raise ForbiddenFileType(filename, reason)
    if extension not in REPORT_MEDIA_TYPES:
        raise ForbiddenFileType(filename, f"the extension '{extension or '(none)'}' is not a report (CSV or Excel)")
    if extension == ".csv":
        wrong = data.startswith(b"PK") or sniff(data) not in (None, "text")  # a zip, PDF, image or markup
    else:
        wrong = _office_kind(data) != "xlsx"
    if wrong:
        raise ForbiddenFileType(filename, "its content is not the report its name says")
    sha = hashlib.sha256(data).hexdigest()
    con.execute(
        "INSERT INTO blobs (sha256, bytes, size, media_type, created_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (sha256) DO NOTHING",
        [sha, data, len(data), REPORT_MEDIA_TYPES[extension], datetime.now(UTC).replace(tzinfo=None)],
    )
    return sha
